#!/usr/bin/python3
"""Small ONNX models, one per operator case, for the operator rules' test
(tests/test_onnx_ops.c): shapes, folding of shape arithmetic, flops and
multiply-accumulates. Run with Debian's python3-onnx (1.12):

    /usr/bin/python3 tests/onnx/make_op_models.py

It writes tests/data/onnx/ops/NAME.onnx and tests/data/onnx/ops/expected.json.
The output is committed; running the script again gives the same files.

Expected output shapes come from onnx.shape_inference.infer_shapes(...,
data_prop=True) where it infers them (every hand-computed shape given here
must then agree with it); otherwise (opsets above 17, which onnx 1.12 does
not know, folding it does not do, ceil_mode windows) from the hand
computation. Graph outputs are declared without type or shape, so the
importer has to infer them. Expected flops and multiply-accumulates are
computed here from the formulas of the issue, written independently of the
C rules:

  Conv, ConvInteger   macs = N * Cout * prod(out) * Cin/group * prod(kernel),
                      the bias adds N * Cout * prod(out) flops
  ConvTranspose       macs = N * Cin * prod(in) * Cout/group * prod(kernel)
  MatMul              macs = batch * M * K * N
  Gemm                macs = M * K * N; + M*N flops each for C, alpha != 1,
                      beta != 1 (with C)
  LSTM / GRU / RNN    macs = dirs * seq * batch * gates * H * (I + H); per
                      direction, step, batch row and hidden unit 28 / 20 / 5
                      element-wise flops, + 8 / 6 / 2 with a bias
  pools               flops = output elements * kernel size
  global pools        flops = input elements
  element-wise        flops = output elements * cost * (inputs - 1); the
                      cost is 1, 4 for transcendental functions (table UNARY,
                      BINARY)
  reductions          flops = input elements
  Softmax 3, BatchNormalization 2, DynamicQuantizeLinear 4 per element
  Resize              per output element: nearest 1, linear 3 * (2^d - 1)
                      for d resized axes
  data movement       0 (Reshape, Transpose, Concat, Slice, Gather, Pad, ...)
and flops = 2 * macs + the extra flops.
"""
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "onnx", "ops")
FLOAT, INT64, BOOL, UINT8, INT32 = (TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL,
                                    TensorProto.UINT8, TensorProto.INT32)
I64_MAX, I64_MIN = 2**63 - 1, -2**63
UNKNOWN = "unknown"  # an output whose shape depends on values not known at import

UNARY = {"Relu": 1, "LeakyRelu": 2, "Sigmoid": 4, "HardSigmoid": 3, "Sqrt": 1, "Log": 4,
         "Neg": 1, "Exp": 4, "Tanh": 4, "Erf": 4, "Abs": 1, "Reciprocal": 1, "Floor": 1,
         "Ceil": 1, "Not": 1, "Softplus": 4, "Clip": 2, "HardSwish": 4}
BINARY = {"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 4, "Max": 1, "Min": 1, "Equal": 1,
          "GreaterOrEqual": 1, "Less": 1, "Greater": 1, "And": 1, "Or": 1, "Mod": 1,
          "Sum": 1, "PRelu": 2}

EXPECTED = {}


def prod(v):
    return math.prod(v) if v else 1


def arr(values, dtype=np.float32):
    return np.array(values, dtype=dtype)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class Case:
    """One model: graph inputs, initializers, nodes, outputs with their
    expected shapes, and the expected cost of every operator task."""

    def __init__(self, name, opset=13):
        self.name, self.opset = name, opset
        self.inputs, self.inits, self.nodes, self.outputs = [], [], [], []
        self.hand, self.costs, self.error, self.given = {}, {}, None, {}
        self.values = {}
        self.onnx_differs = set()

    def inp(self, name, shape, dtype=FLOAT, given=None):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        if given:
            self.given[name] = given
        return name

    def init(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def ints(self, name, values):
        return self.init(name, arr(values, np.int64))

    def const(self, name, value):
        """A Constant node (a weight, not a task)."""
        self.nodes.append(helper.make_node("Constant", [], [name],
                                           value=numpy_helper.from_array(np.asarray(value))))
        return name

    def node(self, op, ins, outs, name, macs=0, flops=0, **attrs):
        outs = [outs] if isinstance(outs, str) else outs
        self.nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        self.costs[name] = (macs, flops)
        return outs[0]

    def out(self, name, shape=None, dtype=FLOAT, onnx_differs=False, values=None):
        """A graph output; shape: the hand-computed one (None: onnx's);
        values: its folded contents (computed here with numpy)."""
        self.outputs.append(name)
        if values is not None:
            self.values[name] = [v.item() for v in np.asarray(values).reshape(-1)]
        self.hand[name] = (shape, dtype)
        if onnx_differs:
            self.onnx_differs.add(name)

    def model(self, graph_outputs):
        g = helper.make_graph(self.nodes, self.name, self.inputs, graph_outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="jobfuse-tests")
        m.ir_version = 8
        return m

    def inferred(self, bare):
        """Output name -> (shape, dtype) that onnx infers, where static."""
        if self.opset > onnx.defs.onnx_opset_version():
            return {}
        inf = onnx.shape_inference.infer_shapes(bare, data_prop=True)
        try:
            onnx.checker.check_model(inf)
        except onnx.checker.ValidationError as e:
            if "'shape' of 'type' is required" not in str(e):
                raise  # the checker only misses the shapes onnx did not infer
        found = {}
        for vi in inf.graph.output:
            tt = vi.type.tensor_type
            if not tt.HasField("shape") or tt.elem_type == 0:
                continue
            dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            if None not in dims:
                found[vi.name] = (dims, tt.elem_type)
        return found

    def save(self):
        bare = self.model([helper.make_tensor_value_info(o, 0, None) for o in self.outputs])
        found = {} if self.error else self.inferred(bare)
        outputs = []
        for o in self.outputs:
            hand, dtype = self.hand[o]
            if hand == UNKNOWN:
                shape, source = None, "unknown"
            elif o in found and o not in self.onnx_differs:
                if hand is not None and (list(hand), dtype) != (found[o][0], found[o][1]):
                    raise SystemExit(f"{self.name}: {o}: hand {hand} {dtype} but onnx "
                                     f"infers {found[o]}")
                shape, dtype, source = found[o][0], found[o][1], "onnx"
            elif hand is None and not self.error:
                raise SystemExit(f"{self.name}: {o}: onnx infers no shape; give one")
            else:
                shape, source = hand, "hand"
            outputs.append({"name": o, "shape": shape, "dtype": dtype, "from": source})
            if o in self.values and shape is not None:
                assert len(self.values[o]) == prod(shape), (self.name, o)
                outputs[-1]["values"] = self.values[o]
        # Models whose shapes stay unknown cannot run: they live apart from
        # those that tests of the runtime try (tests/test_onnx_run_cli.sh).
        file = ("dynamic/" if UNKNOWN in [h[0] for h in self.hand.values()] else "") + \
            self.name + ".onnx"
        onnx.save(bare, os.path.join(OUT, file))
        entry = {"file": file, "opset": self.opset, "outputs": outputs,
                 "nodes": {k: {"macs": v[0], "flops": v[1]} for k, v in self.costs.items()}}
        if self.given:
            entry["inputs"] = self.given
        if self.error:
            entry = {"file": file, "opset": self.opset, "error": self.error}
        EXPECTED[self.name] = entry


# ---- hand shape computations -------------------------------------------------------
def window_out(size, k, s, d, pb, pe, auto_pad="NOTSET", ceil_mode=0):
    """Sliding-window output size along one axis."""
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return -(-size // s)
    if auto_pad == "VALID":
        pb = pe = 0
    span = size + pb + pe - ((k - 1) * d + 1)
    out = (-(-span // s) if ceil_mode else span // s) + 1
    # ceil_mode: a window starting in the end padding is dropped
    if ceil_mode and (out - 1) * s >= size + pb:
        out -= 1
    return out


def conv_case(name, x, w, bias=True, opset=13, group=1, strides=None, dilations=None,
              pads=None, auto_pad=None, op="Conv"):
    c = Case(name, opset)
    sp = len(x) - 2
    strides, dilations = strides or [1] * sp, dilations or [1] * sp
    pads_l = pads or [0] * (2 * sp)
    attrs = {"group": group, "strides": strides, "dilations": dilations}
    if pads:
        attrs["pads"] = pads
    if auto_pad:
        attrs["auto_pad"] = auto_pad
    xin = c.inp("x", x, UINT8 if op == "ConvInteger" else FLOAT)
    wv = rand(w) if op == "Conv" else np.ones(w, np.uint8)
    ins = [xin, c.init("w", wv)]
    if bias:
        ins.append(c.init("b", rand([w[0]], 1)))
    outsp = [window_out(x[2 + i], w[2 + i], strides[i], dilations[i], pads_l[i],
                        pads_l[i + sp], auto_pad or "NOTSET") for i in range(sp)]
    out = [x[0], w[0]] + outsp
    macs = x[0] * w[0] * prod(outsp) * (x[1] // group) * prod(w[2:])
    flops = 2 * macs + (prod(out) if bias else 0)
    c.node(op, ins, "y", "conv", macs, flops, **attrs)
    c.out("y", out, INT32 if op == "ConvInteger" else FLOAT)
    c.save()


def conv_cases():
    conv_case("conv_basic", [1, 3, 8, 8], [4, 3, 3, 3], pads=[1, 1, 1, 1])
    conv_case("conv_stride_dil", [1, 2, 11, 9], [3, 2, 3, 2], strides=[2, 1],
              dilations=[2, 3], pads=[1, 0, 2, 1])
    conv_case("conv_group", [2, 4, 7, 7], [6, 2, 3, 3], bias=False, group=2)
    conv_case("conv_depthwise", [1, 4, 6, 6], [4, 1, 3, 3], group=4, strides=[2, 2],
              pads=[1, 1, 1, 1])
    conv_case("conv_same_upper", [1, 2, 7, 7], [3, 2, 3, 3], strides=[2, 2],
              auto_pad="SAME_UPPER")
    conv_case("conv_same_lower", [1, 2, 7, 6], [3, 2, 4, 4], auto_pad="SAME_LOWER", opset=11)
    conv_case("conv_valid", [1, 2, 7, 8], [3, 2, 3, 3], strides=[2, 2], auto_pad="VALID",
              opset=9)
    conv_case("conv_1d", [1, 2, 10], [3, 2, 3], strides=[3])
    conv_case("conv_3d", [1, 1, 4, 5, 6], [2, 1, 2, 2, 2], pads=[0, 1, 0, 0, 1, 1])
    conv_case("conv_integer", [1, 2, 5, 5], [3, 2, 3, 3], bias=False, op="ConvInteger",
              pads=[1, 1, 1, 1])


def conv_transpose_case(name, x, w, group=1, strides=None, pads=None, output_padding=None,
                        output_shape=None, auto_pad=None, dilations=None, bias=False):
    c = Case(name, 13)
    sp = len(x) - 2
    strides, dilations = strides or [1] * sp, dilations or [1] * sp
    pads_l, opad = pads or [0] * (2 * sp), output_padding or [0] * sp
    attrs = {"group": group, "strides": strides, "dilations": dilations}
    for key, v in (("pads", pads), ("output_padding", output_padding),
                   ("output_shape", output_shape), ("auto_pad", auto_pad)):
        if v:
            attrs[key] = v
    ins = [c.inp("x", x), c.init("w", rand(w))]
    cout = w[1] * group
    if bias:
        ins.append(c.init("b", rand([cout], 2)))
    if output_shape:
        outsp = output_shape
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        outsp = [x[2 + i] * strides[i] for i in range(sp)]
    else:
        outsp = [strides[i] * (x[2 + i] - 1) + opad[i] + (w[2 + i] - 1) * dilations[i] + 1 -
                 pads_l[i] - pads_l[i + sp] for i in range(sp)]
    out = [x[0], cout] + outsp
    macs = x[0] * x[1] * prod(x[2:]) * (cout // group) * prod(w[2:])
    c.node("ConvTranspose", ins, "y", "deconv", macs, 2 * macs + (prod(out) if bias else 0),
           **attrs)
    c.out("y", out)
    c.save()


def conv_transpose_cases():
    conv_transpose_case("convt_basic", [1, 4, 5, 5], [4, 2, 3, 3], strides=[2, 2],
                        pads=[1, 1, 1, 1], output_padding=[1, 1], bias=True)
    conv_transpose_case("convt_group", [1, 4, 3, 3], [4, 3, 2, 2], group=2, strides=[2, 2])
    conv_transpose_case("convt_output_shape", [1, 2, 4, 4], [2, 2, 3, 3], strides=[2, 2],
                        output_shape=[9, 10])
    conv_transpose_case("convt_same", [1, 2, 3, 4], [2, 3, 3, 3], strides=[2, 2],
                        auto_pad="SAME_UPPER")
    conv_transpose_case("convt_dilation", [2, 3, 4], [3, 2, 3], dilations=[2], pads=[1, 0])


def matmul_case(name, a, b, op="MatMul"):
    c = Case(name, 13)
    dtype = UINT8 if op == "MatMulInteger" else FLOAT
    ins = [c.inp("a", a, dtype), c.inp("b", b, dtype)]
    a2 = [1] + a if len(a) == 1 else a
    b2 = b + [1] if len(b) == 1 else b
    batch = list(np.broadcast_shapes(tuple(a2[:-2]), tuple(b2[:-2])))
    out = batch + ([a2[-2]] if len(a) > 1 else []) + ([b2[-1]] if len(b) > 1 else [])
    macs = prod(batch) * a2[-2] * a2[-1] * b2[-1]
    c.node(op, ins, "y", "mm", macs, 2 * macs)
    c.out("y", out, INT32 if op == "MatMulInteger" else FLOAT)
    c.save()


def matmul_cases():
    matmul_case("matmul_2d", [3, 4], [4, 5])
    matmul_case("matmul_batched", [2, 1, 3, 4], [5, 4, 6])
    matmul_case("matmul_1d_left", [4], [2, 4, 3])
    matmul_case("matmul_1d_right", [2, 3, 4], [4])
    matmul_case("matmul_1d_both", [4], [4])
    matmul_case("matmul_integer", [2, 3, 4], [4, 2], op="MatMulInteger")


def gemm_case(name, a, b, cshape, trans_a=0, trans_b=0, alpha=1.0, beta=1.0):
    c = Case(name, 13)
    ins = [c.inp("a", a), c.init("b", rand(b))]
    if cshape is not None:
        ins.append(c.init("c", rand(cshape, 3)))
    m, k = (a[1], a[0]) if trans_a else (a[0], a[1])
    n = b[0] if trans_b else b[1]
    macs = m * k * n
    extra = (m * n if cshape is not None else 0) + (m * n if alpha != 1 else 0) + \
        (m * n if cshape is not None and beta != 1 else 0)
    c.node("Gemm", ins, "y", "gemm", macs, 2 * macs + extra, transA=trans_a, transB=trans_b,
           alpha=alpha, beta=beta)
    c.out("y", [m, n])
    c.save()


def gemm_cases():
    gemm_case("gemm_basic", [3, 4], [4, 5], [5])
    gemm_case("gemm_trans", [4, 3], [5, 4], [3, 5], trans_a=1, trans_b=1, alpha=0.5, beta=2.0)
    gemm_case("gemm_no_c", [2, 6], [6, 3], None, alpha=2.0)


RECURRENT = {"LSTM": (4, 28, 8), "GRU": (3, 20, 6), "RNN": (1, 5, 2)}


def recurrent_case(name, op, seq, batch, inp, hidden, direction="forward", bias=True,
                   layout=0, outs=("y", "y_h", "y_c"), opset=13):
    c = Case(name, opset)
    gates, unit, bias_unit = RECURRENT[op]
    dirs = 2 if direction == "bidirectional" else 1
    x = [batch, seq, inp] if layout else [seq, batch, inp]
    ins = [c.inp("x", x), c.init("w", rand([dirs, gates * hidden, inp])),
           c.init("r", rand([dirs, gates * hidden, hidden], 1))]
    if bias:
        ins.append(c.init("bias", rand([dirs, 2 * gates * hidden], 2)))
    attrs = {"hidden_size": hidden, "direction": direction}
    if layout:
        attrs["layout"] = layout
    steps = dirs * seq * batch
    macs = steps * gates * hidden * (inp + hidden)
    flops = 2 * macs + steps * hidden * (unit + (bias_unit if bias else 0))
    c.node(op, ins, list(outs), "rnn", macs, flops, **attrs)
    y = [batch, seq, dirs, hidden] if layout else [seq, dirs, batch, hidden]
    h = [batch, dirs, hidden] if layout else [dirs, batch, hidden]
    for o, shape in zip(outs, (y, h, h)):
        if o:
            c.out(o, shape)
    c.save()


def recurrent_cases():
    recurrent_case("lstm_forward", "LSTM", 5, 2, 3, 4)
    recurrent_case("lstm_bidirectional", "LSTM", 4, 1, 3, 2, "bidirectional", bias=False,
                   outs=("y", "y_h"))
    recurrent_case("lstm_reverse_hidden_only", "LSTM", 3, 2, 2, 3, "reverse", outs=("", "y_h"))
    recurrent_case("lstm_layout1", "LSTM", 5, 2, 3, 4, layout=1, opset=14)
    recurrent_case("gru_forward", "GRU", 4, 2, 3, 5, outs=("y", "y_h"))
    recurrent_case("rnn_bidirectional", "RNN", 3, 1, 2, 4, "bidirectional", outs=("y", "y_h"))


def pool_case(name, op, x, kernel, strides=None, pads=None, auto_pad=None, ceil_mode=0,
              dilations=None, opset=13, indices=False, onnx_differs=False):
    c = Case(name, opset)
    sp = len(x) - 2
    strides_l, dil = strides or [1] * sp, dilations or [1] * sp
    pads_l = pads or [0] * (2 * sp)
    attrs = {"kernel_shape": kernel}
    for key, v in (("strides", strides), ("pads", pads), ("auto_pad", auto_pad),
                   ("ceil_mode", ceil_mode), ("dilations", dilations)):
        if v:
            attrs[key] = v
    out = x[:2] + [window_out(x[2 + i], kernel[i], strides_l[i], dil[i], pads_l[i],
                              pads_l[i + sp], auto_pad or "NOTSET", ceil_mode)
                   for i in range(sp)]
    outs = ["y", "idx"] if indices else ["y"]
    c.node(op, [c.inp("x", x)], outs, "pool", 0, prod(out) * prod(kernel), **attrs)
    c.out("y", out, onnx_differs=onnx_differs)
    if indices:
        c.out("idx", out, INT64)
    c.save()


def pool_cases():
    pool_case("maxpool_basic", "MaxPool", [1, 2, 6, 6], [2, 2], strides=[2, 2])
    pool_case("maxpool_ceil", "MaxPool", [1, 1, 8, 8], [3, 3], strides=[2, 2], ceil_mode=1,
              opset=11)
    # The last window would start in the end padding: ONNX Runtime and
    # PyTorch drop it (4 -> 3); onnx 1.12's inference does not.
    pool_case("maxpool_ceil_drop", "MaxPool", [1, 1, 5, 5], [2, 2], strides=[2, 2],
              pads=[1, 1, 1, 1], ceil_mode=1, opset=11, onnx_differs=True)
    pool_case("maxpool_dilation_indices", "MaxPool", [1, 2, 9, 7], [2, 3], dilations=[2, 1],
              pads=[1, 0, 1, 1], indices=True, opset=12)
    pool_case("avgpool_pads", "AveragePool", [2, 3, 5, 5], [3, 3], pads=[1, 1, 1, 1])
    pool_case("avgpool_same_upper", "AveragePool", [1, 1, 7, 5], [3, 2], strides=[2, 2],
              auto_pad="SAME_UPPER", opset=9)
    pool_case("avgpool_1d", "AveragePool", [1, 2, 9], [3], strides=[3])
    c = Case("global_avgpool", 13)
    c.node("GlobalAveragePool", [c.inp("x", [2, 3, 4, 5])], "y", "gap", 0, 2 * 3 * 4 * 5)
    c.out("y", [2, 3, 1, 1])
    c.save()


def norm_cases():
    for opset in (9, 15):
        c = Case(f"batchnorm_op{opset}", opset)
        ins = [c.inp("x", [2, 3, 4, 4])] + [c.init(k, arr([1, 2, 3])) for k in "sbmv"]
        c.node("BatchNormalization", ins, "y", "bn", 0, 2 * 2 * 3 * 16)
        c.out("y", [2, 3, 4, 4])
        c.save()
    for opset, axis in ((11, None), (13, None), (13, 1)):
        c = Case(f"softmax_op{opset}" + ("_axis1" if axis is not None else ""), opset)
        attrs = {"axis": axis} if axis is not None else {}
        c.node("Softmax", [c.inp("x", [2, 3, 5])], "y", "softmax", 0, 3 * 30, **attrs)
        c.out("y", [2, 3, 5])
        c.save()
    c = Case("dynamic_quantize", 11)
    c.node("DynamicQuantizeLinear", [c.inp("x", [3, 4])], ["y", "scale", "zp"], "dq", 0, 4 * 12)
    c.out("y", [3, 4], UINT8)
    c.out("scale", [], FLOAT)
    c.out("zp", [], UINT8)
    c.save()


def resize_flops(inp, out, mode):
    resized = sum(1 for a, b in zip(inp, out) if a != b)
    per = 3 * (2 ** resized - 1) if mode == "linear" else 1
    return per * prod(out)


def resize_cases():
    c = Case("resize_scales_op11", 11)
    x = c.inp("x", [1, 2, 4, 6])
    ins = [x, c.init("roi", arr([])), c.init("scales", arr([1, 1, 2, 1.5]))]
    c.node("Resize", ins, "y", "resize", 0, resize_flops([1, 2, 4, 6], [1, 2, 8, 9], "nearest"))
    c.out("y", [1, 2, 8, 9])
    c.save()

    c = Case("resize_sizes_op13", 13)
    ins = [c.inp("x", [1, 2, 4, 6]), "", "", c.ints("sizes", [1, 2, 5, 7])]
    c.node("Resize", ins, "y", "resize", 0, resize_flops([1, 2, 4, 6], [1, 2, 5, 7], "linear"),
           mode="linear")
    c.out("y", [1, 2, 5, 7])
    c.save()

    c = Case("resize_empty_scales_sizes_op11", 11)
    ins = [c.inp("x", [1, 1, 3, 3]), c.init("roi", arr([])), c.init("scales", arr([])),
           c.ints("sizes", [1, 1, 7, 2])]
    c.node("Resize", ins, "y", "resize", 0, 1 * 14)
    c.out("y", [1, 1, 7, 2])
    c.save()

    c = Case("resize_op10", 10)
    ins = [c.inp("x", [1, 3, 5, 5]), c.init("scales", arr([1, 1, 0.5, 2.5]))]
    c.node("Resize", ins, "y", "resize", 0, resize_flops([1, 3, 5, 5], [1, 3, 2, 12], "linear"),
           mode="linear")
    c.out("y", [1, 3, 2, 12])
    c.save()

    c = Case("upsample_op9", 9)
    ins = [c.inp("x", [1, 2, 3, 3]), c.init("scales", arr([1, 1, 2, 2]))]
    c.node("Upsample", ins, "y", "up", 0, 2 * 36)
    c.out("y", [1, 2, 6, 6])
    c.save()

    # sizes from shape arithmetic: [N, C] of x and 2 * [H, W] of another input
    c = Case("resize_sizes_folded", 13)
    x, g = c.inp("x", [1, 3, 4, 5]), c.inp("g", [2, 2, 6, 7])
    c.node("Shape", [x], "sx", "shape_x")
    c.node("Shape", [g], "sg", "shape_g")
    c.node("Slice", ["sx", c.ints("s0", [0]), c.ints("s2", [2])], "nc", "slice_nc")
    c.node("Slice", ["sg", "s2", c.ints("s4", [4])], "hw", "slice_hw")
    c.node("Mul", ["hw", c.ints("two", [2])], "hw2", "mul_hw", 0, 2)
    c.node("Concat", ["nc", "hw2"], "sizes", "concat_sizes", axis=0)
    c.node("Resize", [x, "", "", "sizes"], "y", "resize", 0, 1 * 3 * 12 * 14)
    c.out("y", [1, 3, 12, 14])
    c.save()

    # scales from float arithmetic on a folded shape: H' = 8 / H
    c = Case("resize_scales_folded", 13)
    x = c.inp("x", [1, 1, 4, 2])
    c.node("Shape", [x], "s", "shape")
    c.node("Cast", ["s"], "sf", "cast", to=FLOAT)
    c.node("Div", [c.init("target", arr([1, 1, 8, 8])), "sf"], "scales", "div", 0, 4)
    c.node("Resize", [x, "", "scales"], "y", "resize", 0, 64)
    c.out("y", [1, 1, 8, 8])
    c.save()

    # opset 18: axes attribute and keep_aspect_ratio_policy (hand shapes)
    c = Case("resize_axes_policy_op18", 18)
    ins = [c.inp("x", [1, 2, 4, 8]), "", "", c.ints("sizes", [6, 6])]
    c.node("Resize", ins, "y", "resize", 0, 1 * 2 * 3 * 6, axes=[2, 3],
           keep_aspect_ratio_policy="not_larger")
    c.out("y", [1, 2, 3, 6])
    c.save()


def pad_cases():
    c = Case("pad_op9", 9)
    c.node("Pad", [c.inp("x", [2, 3, 4])], "y", "pad", pads=[0, 1, 2, 1, 0, -1])
    c.out("y", [3, 4, 5])
    c.save()
    c = Case("pad_op11", 11)
    ins = [c.inp("x", [1, 2, 5, 5]), c.ints("pads", [0, 0, 1, 2, 0, 0, 3, -1]),
           c.init("value", arr(0.5))]
    c.node("Pad", ins, "y", "pad", mode="constant")
    c.out("y", [1, 2, 9, 6])
    c.save()
    c = Case("pad_axes_op18", 18)
    ins = [c.inp("x", [2, 3, 4]), c.ints("pads", [1, 2, 3, 4]), "", c.ints("axes", [-1, 0])]
    c.node("Pad", ins, "y", "pad")
    c.out("y", [8, 3, 8])  # axis 2 gets 1 + 3, axis 0 2 + 4
    c.save()


# ---- element-wise ------------------------------------------------------------------
def unary_cases():
    c = Case("unary_chain", 14)
    prev = c.inp("x", [2, 3, 4])
    ops = [("Relu", {}), ("LeakyRelu", {"alpha": 0.1}), ("Sigmoid", {}),
           ("HardSigmoid", {"alpha": 0.2}), ("Sqrt", {}), ("Log", {}), ("Neg", {}),
           ("Exp", {}), ("Tanh", {}), ("Erf", {}), ("Abs", {}), ("Reciprocal", {}),
           ("Floor", {}), ("Ceil", {}), ("Softplus", {}), ("HardSwish", {}), ("Identity", {})]
    for i, (op, attrs) in enumerate(ops):
        prev = c.node(op, [prev], f"t{i}", f"{op.lower()}_{i}", 0, UNARY.get(op, 0) * 24,
                      **attrs)
    c.out(prev, [2, 3, 4])
    c.save()

    c = Case("clip_op6", 6)
    c.node("Clip", [c.inp("x", [3, 5])], "y", "clip", 0, 2 * 15, min=0.0, max=6.0)
    c.out("y", [3, 5])
    c.save()
    c = Case("clip_op11", 11)
    c.node("Clip", [c.inp("x", [3, 5]), c.init("lo", arr(0)), ""], "y", "clip", 0, 2 * 15)
    c.out("y", [3, 5])
    c.save()

    c = Case("cast_not", 13)
    x = c.inp("x", [2, 2])
    c.node("Cast", [x], "b", "cast", to=BOOL)
    c.node("Not", ["b"], "y", "not", 0, 4)
    c.out("y", [2, 2], BOOL)
    c.save()


def binary_cases():
    shapes = {"Add": ([2, 1, 4], [3, 1]), "Sub": ([4], [2, 3, 4]), "Mul": ([2, 3, 1], [1, 5]),
              "Div": ([3, 4], []), "Pow": ([2, 3], [3]), "Equal": ([2, 1], [1, 3]),
              "GreaterOrEqual": ([5], [2, 1]), "Less": ([1, 3], [2, 1]), "Mod": ([2, 4], [4])}
    for op, (a, b) in shapes.items():
        c = Case("binary_" + op.lower(), 13)
        dtype = INT64 if op == "Mod" else FLOAT
        out = list(np.broadcast_shapes(tuple(a), tuple(b)))
        c.node(op, [c.inp("a", a, dtype), c.inp("b", b, dtype)], "y", op.lower(), 0,
               BINARY[op] * prod(out))
        is_cmp = op in ("Equal", "GreaterOrEqual", "Less")
        c.out("y", out, BOOL if is_cmp else dtype)
        c.save()

    c = Case("max_variadic", 13)
    ins = [c.inp("a", [2, 1, 3]), c.inp("b", [4, 1]), c.inp("c", [3])]
    c.node("Max", ins, "y", "max", 0, 2 * 24)
    c.out("y", [2, 4, 3])
    c.save()

    c = Case("where", 13)
    ins = [c.inp("c", [2, 1], BOOL), c.inp("a", [1, 3]), c.inp("b", [])]
    c.node("Where", ins, "y", "where", 0, 6)
    c.out("y", [2, 3])
    c.save()


def reduce_case(name, op, x, opset, axes=None, keepdims=None, as_input=False, out=None,
                noop=None):
    c = Case(name, opset)
    ins, attrs = [c.inp("x", x)], {}
    if axes is not None and as_input:
        ins.append(c.ints("axes", axes))
    elif axes is not None:
        attrs["axes"] = axes
    if keepdims is not None:
        attrs["keepdims"] = keepdims
    if noop is not None:
        attrs["noop_with_empty_axes"] = noop
    c.node(op, ins, "y", "reduce", 0, prod(x), **attrs)
    c.out("y", out)
    c.save()


def reduce_cases():
    reduce_case("reducemean_op13", "ReduceMean", [2, 3, 4, 5], 13, axes=[-1, 1], keepdims=0,
                out=[2, 4])
    reduce_case("reducemax_op13", "ReduceMax", [2, 3, 4], 13, axes=[2], out=[2, 3, 1])
    reduce_case("reducemean_all_op11", "ReduceMean", [2, 3, 4], 11, out=[1, 1, 1])
    reduce_case("reducesum_input_op13", "ReduceSum", [2, 3, 4], 13, axes=[0, -2],
                as_input=True, keepdims=0, out=[4])
    reduce_case("reducesum_noop_op13", "ReduceSum", [2, 3], 13, noop=1, out=[2, 3])
    reduce_case("reducemean_input_op18", "ReduceMean", [2, 3, 4], 18, axes=[1],
                as_input=True, out=[2, 1, 4])
    reduce_case("reducemax_input_op18", "ReduceMax", [2, 3, 4], 18, axes=[0, 2],
                as_input=True, keepdims=0, out=[3])


# ---- shape operators -----------------------------------------------------------------
def reshape_cases():
    for name, x, shape, out, opset, attrs in [
            ("reshape_zero_neg", [2, 3, 4], [0, -1], [2, 12], 13, {}),
            ("reshape_neg_first", [2, 3, 4], [-1, 2, 2], [6, 2, 2], 5, {}),
            ("reshape_scalar", [1, 1], [], [], 13, {})]:
        c = Case(name, opset)
        c.node("Reshape", [c.inp("x", x), c.ints("shape", shape)], "y", "reshape", **attrs)
        c.out("y", out)
        c.save()
    # allowzero: a 0 in the target is a 0, not a copy (an empty weight, as
    # graph inputs with a 0 dimension are taken for dynamic ones)
    c = Case("reshape_allowzero", 14)
    c.node("Reshape", [c.init("x", np.zeros([3, 0], np.float32)), c.ints("shape", [0, 5])], "y",
           "reshape", allowzero=1)
    c.out("y", [0, 5])
    c.save()
    for axis, out, opset in ((0, [1, 24], 9), (2, [6, 4], 13), (-1, [6, 4], 13)):
        c = Case(f"flatten_axis{axis}".replace("-", "m"), opset)
        c.node("Flatten", [c.inp("x", [2, 3, 4])], "y", "flatten", axis=axis)
        c.out("y", out)
        c.save()
    for name, perm, out in (("transpose_default", None, [4, 3, 2]),
                            ("transpose_perm", [1, 2, 0], [3, 4, 2])):
        c = Case(name, 13)
        attrs = {"perm": perm} if perm else {}
        c.node("Transpose", [c.inp("x", [2, 3, 4])], "y", "transpose", **attrs)
        c.out("y", out)
        c.save()


def concat_split_cases():
    c = Case("concat_neg_axis", 13)
    ins = [c.inp("a", [2, 3, 4]), c.inp("b", [2, 1, 4]), c.init("w", rand([2, 5, 4]))]
    c.node("Concat", ins, "y", "concat", axis=-2)
    c.out("y", [2, 9, 4])
    c.save()
    for name, opset, split, attrs, outs in (
            ("split_attr_op11", 11, None, {"split": [2, 4], "axis": 1}, [[3, 2], [3, 4]]),
            ("split_input_op13", 13, [1, 2, 3], {"axis": -1}, [[3, 6, 1], [3, 6, 2],
                                                               [3, 6, 3]]),
            ("split_equal_op13", 13, None, {}, [[1, 6], [1, 6], [1, 6]]),
            ("split_num_outputs_op18", 18, None, {"num_outputs": 3, "axis": 1},
             [[3, 3], [3, 3], [3, 1]])):
        c = Case(name, opset)
        x = {"split_input_op13": [3, 6, 6], "split_num_outputs_op18": [3, 7]}.get(name, [3, 6])
        ins = [c.inp("x", x)] + ([c.ints("split", split)] if split else [])
        names = [f"y{i}" for i in range(len(outs))]
        c.node("Split", ins, names, "split", **attrs)
        for n, shape in zip(names, outs):
            c.out(n, shape)
        c.save()


def slice_cases():
    c = Case("slice_op9", 9)
    c.node("Slice", [c.inp("x", [10, 6, 4])], "y", "slice", starts=[1, -4], ends=[1000, -1],
           axes=[0, 1])
    c.out("y", [9, 3, 4])
    c.save()
    c = Case("slice_neg_steps", 13)
    ins = [c.inp("x", [10, 6, 4]), c.ints("starts", [-1, 5, I64_MAX]),
           c.ints("ends", [I64_MIN, 0, 1]), c.ints("axes", [0, 1, -1]),
           c.ints("steps", [-3, -2, -1])]
    c.node("Slice", ins, "y", "slice")
    c.out("y", [4, 3, 2])
    c.save()
    c = Case("slice_default_axes", 11)
    ins = [c.inp("x", [5, 7]), c.ints("starts", [1, 2]), c.ints("ends", [4, 100])]
    c.node("Slice", ins, "y", "slice")
    c.out("y", [3, 5])
    c.save()


def gather_cases():
    c = Case("gather_axis1", 13)
    ins = [c.inp("x", [3, 5, 4]), c.ints("idx", [[0, -1, 2], [1, 1, 4]])]
    c.node("Gather", ins, "y", "gather", axis=1)
    c.out("y", [3, 2, 3, 4])
    c.save()
    c = Case("gather_scalar_neg_axis", 13)
    ins = [c.inp("x", [3, 5, 4]), c.init("idx", np.array(2, np.int64))]
    c.node("Gather", ins, "y", "gather", axis=-1)
    c.out("y", [3, 5])
    c.save()


def squeeze_cases():
    for name, opset, op, x, axes, out in (
            ("squeeze_op11", 11, "Squeeze", [1, 3, 1, 2], [0, -2], [3, 2]),
            ("squeeze_op13", 13, "Squeeze", [1, 3, 1, 2], [2], [1, 3, 2]),
            ("squeeze_all_op13", 13, "Squeeze", [1, 3, 1, 2], None, [3, 2]),
            ("unsqueeze_op11", 11, "Unsqueeze", [3, 2], [0, 3], [1, 3, 2, 1]),
            ("unsqueeze_op13", 13, "Unsqueeze", [3, 2], [-1, 1], [3, 1, 2, 1])):
        c = Case(name, opset)
        ins, attrs = [c.inp("x", x)], {}
        if axes is not None and opset >= 13:
            ins.append(c.ints("axes", axes))
        elif axes is not None:
            attrs["axes"] = axes
        c.node(op, ins, "y", op.lower(), **attrs)
        c.out("y", out)
        c.save()


def shape_value_cases():
    c = Case("shape_start_end_op15", 15)
    c.node("Shape", [c.inp("x", [2, 3, 4, 5])], "y", "shape", start=1, end=-1)
    c.out("y", [2], INT64)
    c.save()
    c = Case("size", 13)
    c.node("Size", [c.inp("x", [2, 3])], "y", "size")
    c.out("y", [], INT64)
    c.save()
    # ConstantOfShape from a folded shape, int64 value
    c = Case("constant_of_shape", 13)
    c.node("Shape", [c.inp("x", [2, 3, 4])], "s", "shape")
    c.node("ConstantOfShape", ["s"], "y", "cos",
           value=numpy_helper.from_array(np.array([7], np.int64)))
    c.out("y", [2, 3, 4], INT64)
    c.save()


def folding_cases():
    """Shape arithmetic folded so that later shapes are known."""
    # Shape -> Gather -> Concat -> Reshape: x [2, 3, 4, 5] -> [2, 60]
    c = Case("fold_shape_gather_concat_reshape", 13)
    x = c.inp("x", [2, 3, 4, 5])
    c.node("Shape", [x], "s", "shape")
    c.node("Gather", ["s", c.ints("i0", [0])], "n", "gather", axis=0)
    c.node("Concat", ["n", c.ints("m1", [-1])], "target", "concat", axis=0)
    c.node("Reshape", [x, "target"], "y", "reshape")
    c.out("y", [2, 60])
    c.save()

    # PyTorch-style: h = int(float(H) * 0.5); Reshape(x, [N, C, h, -1])
    c = Case("fold_cast_arith_unsqueeze", 13)
    x = c.inp("x", [1, 2, 6, 4])
    c.node("Shape", [x], "s", "shape")
    c.node("Gather", ["s", c.init("i2", np.array(2, np.int64))], "h", "gather_h")
    c.node("Cast", ["h"], "hf", "cast_f", to=FLOAT)
    c.node("Mul", ["hf", c.init("half", np.array(0.5, np.float32))], "hh", "mul", 0, 1)
    c.node("Cast", ["hh"], "hi", "cast_i", to=INT64)
    c.node("Unsqueeze", ["hi", c.ints("ax0", [0])], "hu", "unsqueeze")
    c.node("Slice", ["s", c.ints("z", [0]), c.ints("two", [2])], "nc", "slice")
    c.node("Concat", ["nc", "hu", c.ints("m1", [-1])], "target", "concat", axis=0)
    c.node("Reshape", [x, "target"], "y", "reshape")
    c.out("y", [1, 2, 3, 8])
    c.save()

    # Integer Div truncates, Sub, Max, Squeeze of a folded value, Equal/Where
    c = Case("fold_int_ops", 13)
    x = c.inp("x", [3, 7, 5])
    c.node("Shape", [x], "s", "shape")
    c.node("Div", ["s", c.ints("d", [2, 2, 2])], "q", "div", 0, 3)          # [1, 3, 2]
    c.node("Sub", ["q", c.ints("one", [1])], "q1", "sub", 0, 3)            # [0, 2, 1]
    c.node("Max", ["q1", c.ints("lo", [1])], "q2", "max", 0, 3)            # [1, 2, 1]
    c.node("Equal", ["q2", c.ints("k", [1, 1, 1])], "e", "equal", 0, 3)    # [T, F, T]
    c.node("Where", ["e", c.ints("a", [3, 3, 3]), "s"], "t", "where", 0, 3)  # [3, 7, 3]
    c.node("Reshape", [c.init("w", rand([63])), "t"], "y", "reshape")
    c.out("y", [3, 7, 3])
    c.save()

    # Range / Expand / Tile / ConstantOfShape / Squeeze fed by folded values
    c = Case("fold_range_expand_tile", 13)
    x = c.inp("x", [2, 4])
    c.node("Shape", [x], "s", "shape")
    c.node("Gather", ["s", c.init("i1", np.array(1, np.int64))], "w", "gather")
    c.node("Range", [c.init("r0", np.array(0, np.int64)), "w",
                     c.init("r1", np.array(1, np.int64))], "r", "range")
    c.node("Expand", [x, c.ints("es", [3, 1, 1])], "ex", "expand")
    c.node("Tile", [x, c.ints("reps", [2, 1])], "ti", "tile")
    c.node("Squeeze", ["s", c.ints("sq_axes", [])], "sq", "squeeze")
    c.out("r", [4], INT64)
    c.out("ex", [3, 2, 4])
    c.out("ti", [4, 4])
    c.out("sq", [2], INT64)
    c.save()

    # An If whose condition folds from the input's shape: N == 1 takes the
    # then branch (Relu), the else branch would flatten.
    c = Case("if_folded_shape", 13)
    x = c.inp("x", [1, 3, 4])
    c.node("Shape", [x], "s", "shape")
    c.node("Gather", ["s", c.init("i0", np.array(0, np.int64))], "n", "gather")
    c.node("Equal", ["n", c.init("one", np.array(1, np.int64))], "cond", "equal", 0, 1)
    then = helper.make_graph([helper.make_node("Relu", [x], ["t_out"], name="then_relu")],
                             "then", [], [helper.make_tensor_value_info("t_out", FLOAT, None)])
    other = helper.make_graph([helper.make_node("Flatten", [x], ["e_out"], name="else_flat")],
                              "else", [], [helper.make_tensor_value_info("e_out", FLOAT, None)])
    c.nodes.append(helper.make_node("If", ["cond"], ["z"], name="choose", then_branch=then,
                                    else_branch=other))
    c.costs["then_relu"] = (0, 12)
    c.node("Sigmoid", ["z"], "y", "after", 0, 4 * 12)
    c.out("y", [1, 3, 4])
    c.save()

    # A dynamic input dimension fixed by the caller flows through a Reshape
    c = Case("given_input_shape", 13)
    x = c.inp("x", ["N", 3, 4], given=[5, 3, 4])
    c.node("Shape", [x], "s", "shape")
    c.node("Slice", ["s", c.ints("a", [0]), c.ints("b", [1])], "n", "slice")
    c.node("Concat", ["n", c.ints("m1", [-1])], "t", "concat", axis=0)
    c.node("Reshape", [x, "t"], "y", "reshape")
    c.out("y", [5, 12])
    c.save()


def fold_value_cases():
    """Folded contents, checked value by value: integer Div truncates, Mod
    follows the divisor's sign, Cast truncates, Range, Where, Not, ..."""
    c = Case("fold_values", 13)
    x = c.inp("x", [2, 3, 5])
    c.node("Shape", [x], "s", "shape")                                      # [2, 3, 5]
    a = arr([-7, 7, -8], np.int64)
    c.node("Div", [c.ints("a", a), c.ints("d", [2, -2, 3])], "div", "div", 0, 3)
    c.out("div", [3], INT64, values=[int(p / q) for p, q in zip(a, [2, -2, 3])])
    c.node("Mod", ["a", c.ints("m", [3, -3, 5])], "mod", "mod", 0, 3)
    c.out("mod", [3], INT64, values=np.mod(a, [3, -3, 5]))
    c.node("Cast", [c.init("f", arr([2.7, -2.7, 0.5]))], "cast", "cast", to=INT64)
    c.out("cast", [3], INT64, values=np.trunc([2.7, -2.7, 0.5]).astype(np.int64))
    r = [np.array(v, np.int64) for v in (5, -1, -2)]
    c.node("Range", [c.init("r0", r[0]), c.init("r1", r[1]), c.init("r2", r[2])], "range",
           "range")
    c.out("range", [3], INT64, values=np.arange(5, -1, -2))
    c.node("Greater", ["s", c.ints("three", [3])], "gt", "greater", 0, 3)
    c.node("Not", ["gt"], "ngt", "not", 0, 3)
    c.out("ngt", [3], BOOL, values=[True, True, False])
    c.node("Where", ["ngt", "s", c.ints("zero", [0])], "where", "where", 0, 3)
    c.out("where", [3], INT64, values=[2, 3, 0])
    c.node("Mul", ["s", "s"], "sq", "mul", 0, 3)
    c.node("ReduceProd", ["s"], "numel", "reduce_prod", 0, 3, keepdims=0)
    c.out("numel", [], INT64, values=30)
    c.node("Slice", ["sq", c.ints("st", [-1]), c.ints("en", [I64_MIN]), c.ints("ax", [0]),
                     c.ints("sp", [-2])], "rev", "slice")
    c.out("rev", [2], INT64, values=[25, 4])
    c.node("Gather", ["s", c.ints("gi", [[-1, 0]])], "gat", "gather")
    c.out("gat", [1, 2], INT64, values=[[5, 2]])
    c.node("Concat", ["gat", c.ints("row", [[7, 8]])], "cat", "concat", axis=0)
    c.node("Transpose", ["cat"], "tr", "transpose")
    c.out("tr", [2, 2], INT64, values=[[5, 7], [2, 8]])
    c.node("Unsqueeze", ["numel", c.ints("u0", [0])], "un", "unsqueeze")
    c.node("ConstantOfShape", [c.ints("cs", [2])], "cos", "constant_of_shape",
           value=numpy_helper.from_array(np.array([4], np.int64)))
    c.node("Max", ["un", "cos", c.ints("big", [31])], "max3", "max3", 0, 4)
    c.out("max3", [2], INT64, values=[31, 31])
    c.node("Clip", ["s", c.ints("lo", 3), c.ints("hi", 4)], "clip", "clip", 0, 6)
    c.out("clip", [3], INT64, values=[3, 3, 4])
    c.node("Abs", [c.ints("neg", [-4, 4])], "abs", "abs", 0, 2)
    c.node("Pow", ["abs", c.ints("e", [3])], "pow", "pow", 0, 8)
    c.out("pow", [2], INT64, values=[64, 64])
    c.node("Split", ["s"], ["p0", "p1", "p2"], "split", axis=0)
    c.node("Expand", ["p1", c.ints("es", [2, 1])], "exp", "expand")
    c.out("exp", [2, 1], INT64, values=[[3], [3]])
    c.node("Tile", ["p2", c.ints("reps", [3])], "tile", "tile")
    c.out("tile", [3], INT64, values=[5, 5, 5])
    c.save()


def more_op_cases():
    c = Case("einsum_batched_matmul", 12)
    ins = [c.inp("a", [2, 3, 4]), c.inp("b", [2, 4, 5])]
    c.node("Einsum", ins, "y", "einsum", 2 * 3 * 4 * 5, 2 * 2 * 3 * 4 * 5, equation="bij,bjk->bik")
    c.out("y", [2, 3, 5])
    c.save()
    c = Case("einsum_implicit", 12)
    ins = [c.inp("a", [3, 4]), c.inp("b", [4, 2])]
    c.node("Einsum", ins, "y", "einsum", 3 * 4 * 2, 2 * 3 * 4 * 2, equation="ij,jk")
    c.out("y", [3, 2])
    c.save()
    c = Case("einsum_ellipsis", 12)
    ins = [c.inp("a", [2, 1, 3, 4]), c.inp("b", [1, 5, 4, 6])]
    c.node("Einsum", ins, "y", "einsum", 2 * 5 * 3 * 4 * 6, 2 * 2 * 5 * 3 * 4 * 6,
           equation="...ij, ...jk -> ...ik")
    c.out("y", [2, 5, 3, 6])
    c.save()
    c = Case("einsum_transpose", 12)
    c.node("Einsum", [c.inp("a", [3, 4, 5])], "y", "einsum", 0, 60, equation="ijk->kji")
    c.out("y", [5, 4, 3])
    c.save()

    c = Case("gathernd_batch", 13)
    ins = [c.inp("data", [2, 3, 4]), c.ints("idx", [[1], [2]])]
    c.node("GatherND", ins, "y", "gathernd", batch_dims=1)
    c.out("y", [2, 4])
    c.save()

    c = Case("resize_crop", 11)
    ins = [c.inp("x", [1, 1, 4, 6]), c.init("roi", arr([0, 0, 0, 0, 1, 1, 0.5, 0.5])),
           c.init("scales", arr([1, 1, 2, 2]))]
    # the roi does not change the output size (onnx's inference, ONNX Runtime)
    c.node("Resize", ins, "y", "resize", 0,
           resize_flops([1, 1, 4, 6], [1, 1, 8, 12], "linear"), mode="linear",
           coordinate_transformation_mode="tf_crop_and_resize")
    c.out("y", [1, 1, 8, 12])
    c.save()

    c = Case("unary_chain2", 17)
    prev = c.inp("x", [3, 4])
    ops = [("Celu", 4), ("ThresholdedRelu", 2), ("Shrink", 2), ("Tan", 4), ("Atan", 4),
           ("Sinh", 4), ("Cosh", 4), ("Asinh", 4), ("Sin", 4), ("Cos", 4), ("Round", 1),
           ("Sign", 1), ("Selu", 4), ("Elu", 4), ("Softsign", 3)]
    for i, (op, cost) in enumerate(ops):
        prev = c.node(op, [prev], f"t{i}", f"{op.lower()}_{i}", 0, cost * 12)
    c.out(prev, [3, 4])
    c.save()

    c = Case("bitwise_op18", 18)
    a, b = c.inp("a", [2, 3], INT32), c.inp("b", [3], INT32)
    c.node("BitwiseAnd", [a, b], "t", "band", 0, 6)
    c.node("BitwiseNot", ["t"], "y", "bnot", 0, 6)
    c.out("y", [2, 3], INT32)
    c.save()


def u8(name, c, value):
    return c.init(name, np.array(value, np.uint8))


def quantized_cases():
    c = Case("qlinear_conv", 10)
    ins = [c.inp("x", [1, 2, 5, 5], UINT8), c.init("xs", arr(0.1)), u8("xz", c, 3),
           u8("w", c, np.ones([3, 2, 3, 3])), c.init("ws", arr(0.2)), u8("wz", c, 0),
           c.init("ys", arr(0.3)), u8("yz", c, 1), c.init("b", arr([1, 2, 3], np.int32))]
    macs = 1 * 3 * 3 * 3 * 2 * 9
    c.node("QLinearConv", ins, "y", "qconv", macs, 2 * macs + 27)
    c.out("y", [1, 3, 3, 3], UINT8)
    c.save()
    c = Case("qlinear_matmul", 10)
    ins = [c.inp("a", [2, 3], UINT8), c.init("as", arr(0.1)), u8("az", c, 3),
           u8("b", c, np.ones([3, 4])), c.init("bs", arr(0.2)), u8("bz", c, 0),
           c.init("ys", arr(0.3)), u8("yz", c, 1)]
    c.node("QLinearMatMul", ins, "y", "qmm", 2 * 3 * 4, 2 * 2 * 3 * 4)
    c.out("y", [2, 4], UINT8)
    c.save()
    c = Case("quantize_dequantize", 13)
    ins = [c.inp("x", [2, 3]), c.init("s", arr(0.5)), u8("z", c, 2)]
    c.node("QuantizeLinear", ins, "q", "quantize", 0, 12)
    c.node("DequantizeLinear", ["q", "s", "z"], "y", "dequantize", 0, 12)
    c.out("q", [2, 3], UINT8)
    c.out("y", [2, 3])
    c.save()


def misc_cases():
    c = Case("layernorm_op17", 17)
    ins = [c.inp("x", [2, 3, 4]), c.init("g", rand([4])), c.init("b", rand([4], 1))]
    c.node("LayerNormalization", ins, ["y", "mean", "inv"], "ln", 0, 5 * 24, axis=-1)
    c.out("y", [2, 3, 4])
    c.out("mean", [2, 3, 1])
    c.out("inv", [2, 3, 1])
    c.save()
    c = Case("instancenorm", 13)
    ins = [c.inp("x", [2, 3, 4, 4]), c.init("g", rand([3])), c.init("b", rand([3], 1))]
    c.node("InstanceNormalization", ins, "y", "in", 0, 5 * 96)
    c.out("y", [2, 3, 4, 4])
    c.save()
    c = Case("topk_op11", 11)
    c.node("TopK", [c.inp("x", [3, 5]), c.ints("k", [2])], ["v", "i"], "topk", 0, 15, axis=1)
    c.out("v", [3, 2])
    c.out("i", [3, 2], INT64)
    c.save()
    c = Case("onehot_op11", 11)
    ins = [c.inp("idx", [2, 3], INT64), c.init("depth", np.array(4, np.int64)),
           c.init("values", arr([0, 1]))]
    c.node("OneHot", ins, "y", "onehot", axis=1)
    c.out("y", [2, 4, 3])
    c.save()
    for op, x, out in (("DepthToSpace", [1, 8, 2, 3], [1, 2, 4, 6]),
                       ("SpaceToDepth", [1, 2, 4, 6], [1, 8, 2, 3])):
        c = Case(op.lower(), 13)
        c.node(op, [c.inp("x", x)], "y", op.lower(), blocksize=2)
        c.out("y", out)
        c.save()
    c = Case("nonzero_folded", 13)
    c.node("NonZero", [c.init("v", arr([[1, 0], [0, 3]]))], "y", "nonzero")
    c.out("y", [2, 2], INT64, values=np.array(np.nonzero([[1, 0], [0, 3]])))
    c.save()
    c = Case("argmax", 13)
    c.node("ArgMax", [c.inp("x", [3, 4, 5])], "y", "argmax", 0, 60, axis=1, keepdims=0)
    c.out("y", [3, 5], INT64)
    c.save()
    c = Case("cumsum", 13)
    c.node("CumSum", [c.inp("x", [3, 4]), c.init("ax", np.array(1, np.int64))], "y", "cumsum",
           0, 12)
    c.out("y", [3, 4])
    c.save()
    c = Case("gather_elements_scatter_nd", 13)
    ins = [c.inp("d", [3, 4]), c.ints("i", [[0, 1], [2, 3], [1, 1]])]
    c.node("GatherElements", ins, "g", "gather_elements", axis=1)
    ins = [c.inp("data", [4, 3]), c.ints("si", [[1], [3]]), c.inp("upd", [2, 3])]
    c.node("ScatterND", ins, "s", "scatter_nd")
    c.out("g", [3, 2])
    c.out("s", [4, 3])
    c.save()
    c = Case("dropout_mask_op13", 13)
    c.node("Dropout", [c.inp("x", [2, 3])], ["y", "mask"], "dropout")
    c.out("y", [2, 3])
    c.out("mask", [2, 3], BOOL)
    c.save()
    c = Case("logsoftmax_hardmax", 13)
    c.node("LogSoftmax", [c.inp("x", [2, 5])], "l", "logsoftmax", 0, 30)
    c.node("Hardmax", ["l"], "y", "hardmax", 0, 10, axis=0)
    c.out("y", [2, 5])
    c.save()
    c = Case("global_maxpool", 13)
    c.node("GlobalMaxPool", [c.inp("x", [1, 3, 5])], "y", "gmp", 0, 15)
    c.out("y", [1, 3, 1])
    c.save()
    c = Case("variadic_mean_min_sum", 13)
    ins = [c.inp("a", [2, 3]), c.inp("b", [3]), c.inp("c", [1, 1])]
    c.node("Mean", ins, "m", "mean", 0, 3 * 6)
    c.node("Min", ["m", "a"], "n", "min", 0, 6)
    c.node("Sum", ["n"], "y", "sum")
    c.out("y", [2, 3])
    c.save()
    c = Case("reduce_l2_gemm_scalar_c", 13)
    c.node("ReduceL2", [c.inp("x", [2, 3, 4])], "r", "reduce_l2", 0, 24, axes=[2], keepdims=0)
    c.node("Gemm", ["r", c.init("w", rand([3, 5])), c.init("bias", arr(1.0))], "y", "gemm",
           2 * 3 * 5, 2 * 2 * 3 * 5 + 10)
    c.out("y", [2, 5])
    c.save()


def unknown_cases():
    """Values that do not fold leave shapes unknown, without failing."""
    c = Case("unknown_reshape_resize_range", 13)
    x, s = c.inp("x", [2, 3, 4]), c.inp("s", [2], INT64)
    c.node("Reshape", [x, s], "r", "reshape")
    c.node("Relu", ["r"], "y", "relu")
    c.node("Resize", [x, "", "", c.inp("sizes", [3], INT64)], "z", "resize")
    c.node("Range", [c.init("r0", np.array(0, np.int64)), c.inp("lim", [], INT64),
                     c.init("r1", np.array(1, np.int64))], "q", "range")
    c.out("y", UNKNOWN)
    c.out("z", UNKNOWN)
    c.out("q", UNKNOWN, INT64)
    c.save()


def error_cases():
    """Inconsistent shapes: the import fails with a message."""
    c = Case("err_conv_channels")
    c.node("Conv", [c.inp("x", [1, 3, 5, 5]), c.init("w", rand([2, 4, 3, 3]))], "y", "conv")
    c.out("y")
    c.error = "channel"
    c.save()
    c = Case("err_concat_dims")
    c.node("Concat", [c.inp("a", [2, 3]), c.inp("b", [3, 3])], "y", "concat", axis=1)
    c.out("y")
    c.error = "does not match"
    c.save()
    c = Case("err_reshape_count")
    c.node("Reshape", [c.inp("x", [2, 3]), c.ints("s", [4, -1])], "y", "reshape")
    c.out("y")
    c.error = "cannot reshape"
    c.save()
    c = Case("err_matmul_inner")
    c.node("MatMul", [c.inp("a", [2, 3]), c.inp("b", [4, 5])], "y", "mm")
    c.out("y")
    c.error = "inner dimensions"
    c.save()
    c = Case("err_broadcast")
    c.node("Add", [c.inp("a", [2, 3]), c.inp("b", [4])], "y", "add")
    c.out("y")
    c.error = "broadcast"
    c.save()
    c = Case("err_gather_index")
    c.node("Gather", [c.ints("d", [1, 2, 3]), c.ints("i", [3])], "g", "gather")
    c.node("Reshape", [c.inp("x", [6]), "g"], "y", "reshape")
    c.out("y")
    c.error = "out of range"
    c.save()
    c = Case("err_reshape_two_free")
    c.node("Reshape", [c.inp("x", [2, 3]), c.ints("s", [-1, -1])], "y", "reshape")
    c.out("y")
    c.error = "target shape"
    c.save()
    c = Case("err_conv_kernel_too_big")
    c.node("Conv", [c.inp("x", [1, 1, 2, 2]), c.init("w", rand([1, 1, 3, 3]))], "y", "conv")
    c.out("y")
    c.error = "larger than the padded input"
    c.save()
    c = Case("err_slice_step0")
    ins = [c.inp("x", [4]), c.ints("a", [0]), c.ints("b", [4]), c.ints("ax", [0]),
           c.ints("st", [0])]
    c.node("Slice", ins, "y", "slice")
    c.out("y")
    c.error = "step 0"
    c.save()
    c = Case("err_lstm_weights")
    ins = [c.inp("x", [2, 1, 3]), c.init("w", rand([1, 8, 3])), c.init("r", rand([1, 8, 2]))]
    c.node("LSTM", ins, ["y"], "lstm", hidden_size=3)
    c.out("y")
    c.error = "do not fit"
    c.save()
    c = Case("err_squeeze_not_one")
    c.node("Squeeze", [c.inp("x", [2, 3]), c.ints("axes", [1])], "y", "squeeze")
    c.out("y")
    c.error = "cannot squeeze"
    c.save()


def main():
    os.makedirs(os.path.join(OUT, "dynamic"), exist_ok=True)
    for folder in (OUT, os.path.join(OUT, "dynamic")):
        for old in os.listdir(folder):
            if old.endswith(".onnx"):
                os.remove(os.path.join(folder, old))
    for make in (conv_cases, conv_transpose_cases, matmul_cases, gemm_cases, recurrent_cases,
                 pool_cases, norm_cases, resize_cases, pad_cases, unary_cases, binary_cases,
                 reduce_cases, reshape_cases, concat_split_cases, slice_cases, gather_cases,
                 squeeze_cases, shape_value_cases, folding_cases, fold_value_cases,
                 more_op_cases, quantized_cases, misc_cases, unknown_cases, error_cases):
        make()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"format": "jobfuse-onnx-ops/1", "models": EXPECTED}, f, indent=1,
                  sort_keys=True)
        f.write("\n")
    print(f"{len(EXPECTED)} models in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
