#!/usr/bin/python3
"""The peer of bench/onnx_import_bench: ONNX's own Python package (Debian
python3-onnx) loading a model and inferring its shapes with data
propagation, the closest thing to what `jobfuse import` does. Prints the
median seconds of REPS runs.

    /usr/bin/python3 bench/onnx_peer.py MODEL.onnx REPS
"""
import statistics
import sys
import time

import onnx


def main():
    path, reps = sys.argv[1], int(sys.argv[2])
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        model = onnx.load(path)
        onnx.shape_inference.infer_shapes(model, data_prop=True)
        times.append(time.perf_counter() - t0)
    print(f"{statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
