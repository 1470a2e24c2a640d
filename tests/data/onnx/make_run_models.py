#!/usr/bin/python3
"""Small ONNX models for `jobfuse run MODEL.onnx` (tests/test_onnx_run_cli.sh).
Run with Debian's python3-onnx:

    /usr/bin/python3 tests/data/onnx/make_run_models.py

The output is committed; running the script again gives the same files.
"""
import os

import onnx
from onnx import TensorProto, helper

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


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    passthrough()
    shape_only()
    unsupported()
    mixed()
