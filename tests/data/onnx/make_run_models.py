#!/usr/bin/python3
"""Small ONNX models for `jobfuse run MODEL.onnx` (tests/test_onnx_run_cli.sh).
Run with Debian's python3-onnx:

    /usr/bin/python3 tests/data/onnx/make_run_models.py

The output is committed; running the script again gives the same files.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run")


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def model_of(graph, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="jobfuse-tests")
    m.ir_version = 7
    return m


def passthrough():
    """No operator at all: the output is the input, so a run copies it."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    save(model_of(helper.make_graph([], "passthrough", [x], [x])), "passthrough.onnx")


def shape_only():
    """Shape of an input whose shape is fixed: folded at load, nothing runs."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [2])
    g = helper.make_graph([helper.make_node("Shape", ["x"], ["y"], name="shape")],
                          "shape_only", [x], [y])
    save(model_of(g), "shape_only.onnx")


def unsupported():
    """Det has no kernel (and no shape rule): the run must stop before it starts."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Det", ["x"], ["y"], name="the_det")],
                          "unsupported", [x], [y])
    save(model_of(g), "unsupported.onnx")


def mixed():
    """A float and an int64 input, two outputs whose names are not file
    names: scores/relu:0 = Relu(Gather(a, idx)) and .hidden = a + a."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [4, 3])
    idx = helper.make_tensor_value_info("idx", TensorProto.INT64, [2])
    y = helper.make_tensor_value_info("scores/relu:0", TensorProto.FLOAT, [2, 3])
    z = helper.make_tensor_value_info(".hidden", TensorProto.FLOAT, [4, 3])
    nodes = [helper.make_node("Gather", ["a", "idx"], ["g"], name="gather", axis=0),
             helper.make_node("Relu", ["g"], ["scores/relu:0"], name="relu"),
             helper.make_node("Add", ["a", "a"], [".hidden"], name="twice")]
    save(model_of(helper.make_graph(nodes, "mixed", [a, idx], [y, z])), "mixed.onnx")


def conv_chain():
    """A Conv far bigger than the rest (split at 2 threads) with a Relu to
    fuse, then a small Conv, a bias Add and a Sigmoid: --no-split, --no-fuse
    and --no-combine must change the plan, never the values."""
    rng = np.random.default_rng(5)
    w1 = numpy_helper.from_array(rng.uniform(-0.3, 0.3, (32, 8, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.uniform(-0.3, 0.3, (8, 32, 1, 1)).astype(np.float32), "w2")
    b = numpy_helper.from_array(rng.uniform(-0.1, 0.1, (1, 8, 1, 1)).astype(np.float32), "b")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 32, 32])
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="big_conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="small_conv"),
             helper.make_node("Add", ["c2", "b"], ["a2"], name="bias"),
             helper.make_node("Sigmoid", ["a2"], ["y"], name="sigmoid")]
    g = helper.make_graph(nodes, "conv_chain", [x], [y], [w1, w2, b])
    save(model_of(g), "conv_chain.onnx")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    passthrough()
    shape_only()
    unsupported()
    mixed()
    conv_chain()
