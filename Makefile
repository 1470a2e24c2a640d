# make demo   — install what is missing, build, plan and run the bundled example job
# make check  — install what is missing, build, run every test (also under ASan+UBSan)
# make bench  — build and run bench/plan_bench (not part of check)

DEBS := build-essential cmake pkg-config libjansson-dev libssl-dev graphviz \
        protobuf-c-compiler libprotobuf-c-dev libonnx-dev libopenblas-dev python3-onnx
BENCH_DEBS := python3-dask python3-numpy libstarpu-dev
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps build build-asan demo check check-release check-asan bench clean

all: build

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

bench-deps:
	@$(MAKE) --no-print-directory deps DEBS="$(BENCH_DEBS)"

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DJF_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)

demo: build
	./build/jobfuse plan examples/demo.json -o build/demo-plan.json --explain
	@echo "plan written to build/demo-plan.json"
	./build/jobfuse run examples/demo.json --explain --trace build/demo-trace.json
	@echo "trace written to build/demo-trace.json (open it in Perfetto)"

check-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

check-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  JF_TEST_QUICK=1 ctest --output-on-failure -j $(JOBS)

check: check-release check-asan

bench: build bench-deps
	cmake -S . -B build >/dev/null && cmake --build build -j $(JOBS)
	./build/bench/plan_bench
	./build/bench/run_bench

# make bench-onnx — fetch the PaddleOCR models, install ONNX Runtime (npm
# onnxruntime-node, pinned in bench/onnx_vs_ort) and time both on them
.PHONY: bench-onnx
bench-onnx: build
	bash bench/models/fetch.sh
	bash bench/onnx_vs_ort/run.sh $(CURDIR)/build/jobfuse

clean:
	rm -rf build build-asan
