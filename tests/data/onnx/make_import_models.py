#!/usr/bin/python3
"""Small ONNX models for the import framework's tests (tests/test_onnx_import.c,
tests/test_onnx_cli.sh): generated ids, If folding, external data, and
corrupt graphs. Run with Debian's python3-onnx:

    /usr/bin/python3 tests/data/onnx/make_import_models.py

The output is committed; running the script again gives the same files.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import")


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def model_of(graph, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="jobfuse-tests")
    m.ir_version = 7
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def unnamed():
    """Nodes without names get unique generated ids; a dynamic dimension."""
    c = helper.make_node("Constant", [], ["two"],
                         value=numpy_helper.from_array(np.full([1], 2, np.float32)))
    nodes = [c, helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Mul", ["a", "two"], ["b"]),
             helper.make_node("Relu", ["b"], ["y"], name="Relu_0")]
    g = helper.make_graph(nodes, "unnamed", [f32("x", ["N", 4])], [f32("y", ["N", 4])])
    save(model_of(g), "unnamed.onnx")


def branch(name, op, weight_value):
    w = numpy_helper.from_array(np.full([3], weight_value, np.float32), name + "_w")
    nodes = [helper.make_node(op, ["x", name + "_w"], [name + "_out"], name=name + "_node")]
    return helper.make_graph(nodes, name, [], [f32(name + "_out", [2, 3])], [w])


def if_models():
    """If with a condition that folds (a Constant) is replaced by its then
    branch; with a graph input as condition it stays one task."""
    cond = helper.make_node("Constant", [], ["cond"],
                            value=helper.make_tensor("c", TensorProto.BOOL, [], [True]))
    node = helper.make_node("If", ["cond"], ["z"], name="choose",
                            then_branch=branch("then", "Add", 1.0),
                            else_branch=branch("else", "Mul", 2.0))
    tail = helper.make_node("Relu", ["z"], ["y"], name="after")
    g = helper.make_graph([cond, node, tail], "if_folded", [f32("x", [2, 3])], [f32("y", [2, 3])])
    save(model_of(g), "if_folded.onnx")

    node = helper.make_node("If", ["flag"], ["z"], name="choose",
                            then_branch=branch("then", "Add", 1.0),
                            else_branch=branch("else", "Mul", 2.0))
    g = helper.make_graph([node, tail], "if_open",
                          [helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
                           f32("x", [2, 3])], [f32("y", [2, 3])])
    save(model_of(g), "if_open.onnx")


def external():
    """A weight stored in a file next to the model: its size counts."""
    w = numpy_helper.from_array(np.arange(256, dtype=np.float32).reshape(16, 16), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "external.bin"), ("offset", "0"), ("length", "1024")):
        e = w.external_data.add()
        e.key, e.value = k, v
    with open(os.path.join(HERE, "external.bin"), "wb") as f:
        f.write(np.arange(256, dtype=np.float32).tobytes())
    for name, location in (("external.onnx", "external.bin"),
                           ("external_missing.onnx", "missing.bin")):
        w.external_data[0].value = location
        g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                              "external", [f32("x", [1, 16])], [f32("y", [1, 16])], [w])
        save(model_of(g), name, check=False)


def corrupt():
    """Graphs that are valid protobuf but not a valid job."""
    g = helper.make_graph([helper.make_node("Relu", ["ghost"], ["y"], name="reader")],
                          "undefined", [f32("x", [2])], [f32("y", [2])])
    save(model_of(g), "undefined.onnx", check=False)
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Relu", ["a"], ["y"], name="out")]
    g = helper.make_graph(nodes, "cycle", [f32("x", [2])], [f32("y", [2])])
    save(model_of(g), "cycle.onnx", check=False)
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="one"),
             helper.make_node("Neg", ["x"], ["y"], name="two")]
    g = helper.make_graph(nodes, "twice", [f32("x", [2])], [f32("y", [2])])
    save(model_of(g), "defined_twice.onnx", check=False)
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "noopset",
                          [f32("x", [2])], [f32("y", [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("com.example", 1)])
    save(m, "no_opset.onnx", check=False)


def main():
    os.makedirs(HERE, exist_ok=True)
    unnamed()
    if_models()
    external()
    corrupt()


if __name__ == "__main__":
    main()
