#!/usr/bin/python3
"""A 1000-node convolutional model for bench/onnx_import_bench: blocks of
Conv -> Mul -> Add -> Relu with a Shape -> Gather -> Concat -> Reshape
detour every tenth block, 16 channels, weights as initializers.

    /usr/bin/python3 bench/models/make_big.py [OUT.onnx]   # default bench/models/big1000.onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

C = 16


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "big1000.onnx")
    rng = np.random.default_rng(1)
    nodes, inits = [], []
    x = "x"
    inits.append(numpy_helper.from_array(np.array([1, C, -1], np.int64), "flat_shape"))
    inits.append(numpy_helper.from_array(np.array([0], np.int64), "zero"))
    k = 0
    while len(nodes) <= 1000 - 8:
        w = numpy_helper.from_array(rng.standard_normal((C, C, 3, 3)).astype(np.float32), f"w{k}")
        s = numpy_helper.from_array(rng.standard_normal((1, C, 1, 1)).astype(np.float32), f"s{k}")
        inits += [w, s]
        nodes += [helper.make_node("Conv", [x, f"w{k}"], [f"c{k}"], pads=[1, 1, 1, 1], name=f"conv{k}"),
                  helper.make_node("Mul", [f"c{k}", f"s{k}"], [f"m{k}"], name=f"mul{k}"),
                  helper.make_node("Add", [f"m{k}", x], [f"a{k}"], name=f"add{k}"),
                  helper.make_node("Relu", [f"a{k}"], [f"r{k}"], name=f"relu{k}")]
        x = f"r{k}"
        if k % 10 == 9:
            nodes += [helper.make_node("Shape", [x], [f"sh{k}"], name=f"shape{k}"),
                      helper.make_node("Gather", [f"sh{k}", "zero"], [f"g{k}"], axis=0, name=f"gather{k}"),
                      helper.make_node("Reshape", [x, "flat_shape"], [f"f{k}"], name=f"flat{k}"),
                      helper.make_node("Reshape", [f"f{k}", f"sh{k}"], [f"u{k}"], name=f"unflat{k}")]
            x = f"u{k}"
        k += 1
    while len(nodes) < 1000:
        nodes.append(helper.make_node("Relu", [x], [f"tail{len(nodes)}"], name=f"tail{len(nodes)}"))
        x = nodes[-1].output[0]
    graph = helper.make_graph(nodes, "big1000",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, 64, 64])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, C, 64, 64])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, out)
    print(f"make_big.py: {len(nodes)} nodes in {out}")


if __name__ == "__main__":
    main()
