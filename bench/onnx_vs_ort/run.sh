#!/bin/bash
# jobfuse against ONNX Runtime on the PaddleOCR models, in the same run, on
# the same fixed random inputs: median latency of >= 10 runs after a warm-up
# at 1 and 2 threads, outputs compared (rtol 1e-3, atol 1e-4).
#
#   bash bench/onnx_vs_ort/run.sh [JOBFUSE_BIN]     (make bench-onnx does it all)
#
# ONNX Runtime is the npm package onnxruntime-node, pinned in package.json and
# package-lock.json and installed into node_modules here with
# ONNXRUNTIME_NODE_INSTALL=skip: its CPU library ships inside the package, so
# nothing else is downloaded. All graph optimisations on, intraOpNumThreads
# 1 and 2 (interOp 1, sequential). Models come from bench/models/fetch.sh.
#
# Environment: REPEAT (timed runs, default 10), ROUNDS (turns of both engines,
# default 3; medians over the rounds), THREADS (default "1 2"),
# MODELS (default "det rec cls"), SEED (default 1), WORK (scratch folder).
# One line per model and thread count:
#   model=det threads=1 ort_ms=... jobfuse_ms=... ratio=... match=yes ... kernel_ms=... sched_ms=...
# ratio is jobfuse / ONNX Runtime (below 1: jobfuse is faster).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build/jobfuse}
REPEAT=${REPEAT:-10}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1 2}
MODELS=${MODELS:-det rec cls}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/jf_onnx_vs_ort.XXXXXX")}

mkdir -p "$WORK"
# jobfuse's kernels are single-threaded by design (its workers are the
# parallelism, src/onnx/kernel.h); until the session itself tells OpenBLAS so,
# say it here, or OpenBLAS starts a thread per core inside every kernel call.
export OPENBLAS_NUM_THREADS=1
declare -A SHAPE=([det]=1x3x640x640 [rec]=1x3x48x320 [cls]=1x3x48x192)

[ -x "$BIN" ] || { echo "run.sh: $BIN is not built (make build)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is needed (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d "$HERE/node_modules/onnxruntime-node" ]; then
    echo "run.sh: installing onnxruntime-node (package-lock.json) into $HERE/node_modules" >&2
    (cd "$HERE" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --silent)
fi
bash "$ROOT/bench/models/fetch.sh" >&2
ORT_VERSION=$(node -p "require('$HERE/node_modules/onnxruntime-node/package.json').version")

# key=value from the last line of a jobfuse summary
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One round: ONNX Runtime, then jobfuse, each REPEAT timed runs after a warm-up.
# Appends "ort_median jf_median ort_min jf_min kernel_ms sched_ms" to $WORK/rounds.
round_one() { # round_one MODEL THREADS
    local m=$1 t=$2 x=$WORK/${1}_x.npy ort last
    ort=$(node "$HERE/ort.js" run "$ROOT/bench/models/$m.onnx" "x=$x" "$t" "$REPEAT" \
        "$WORK/ort_${m}_$t") || return 1
    rm -rf "$WORK/jf_${m}_$t"
    "$BIN" run "$ROOT/bench/models/$m.onnx" --input "x=$x" --threads "$t" --repeat "$REPEAT" \
        --output-dir "$WORK/jf_${m}_$t" --stats-json "$WORK/jf_${m}_$t.json" -q \
        2>"$WORK/jf_${m}_$t.log" || return 1
    last=$(tail -1 "$WORK/jf_${m}_$t.log")
    echo "$(field median_ms "$ort") $(field median_ms "$last") $(field min_ms "$ort")" \
        "$(field min_ms "$last") $(field kernel_ms "$last") $(field sched_ms "$last")" \
        >>"$WORK/rounds"
}

# ROUNDS rounds taking turns, so that a busy spell on a shared machine hits
# both engines; medians over the rounds' medians, minimum of the minimums.
bench_one() { # bench_one MODEL THREADS
    local m=$1 t=$2 r last col
    rm -f "$WORK/rounds"
    for r in $(seq "$ROUNDS"); do
        if ! round_one "$m" "$t"; then
            echo "model=$m threads=$t failed: $(grep -v '^tasks=' "$WORK/jf_${m}_$t.log" | tail -1)"
            return
        fi
    done
    col() { awk -v c="$1" '{ print $c }' "$WORK/rounds" | median; }
    local ort_ms jf_ms
    ort_ms=$(col 1)
    jf_ms=$(col 2)
    last=$(tail -1 "$WORK/jf_${m}_$t.log")
    echo "model=$m shape=${SHAPE[$m]} threads=$t ort_ms=$ort_ms jobfuse_ms=$jf_ms" \
        "ratio=$(awk -v a="$jf_ms" -v b="$ort_ms" 'BEGIN { printf "%.2f", a / b }')" \
        "ort_min_ms=$(awk '{ print $3 }' "$WORK/rounds" | sort -g | head -1)" \
        "jobfuse_min_ms=$(awk '{ print $4 }' "$WORK/rounds" | sort -g | head -1)" \
        "$(node "$HERE/ort.js" compare "$WORK/ort_${m}_$t" "$WORK/jf_${m}_$t" 1e-3 1e-4)" \
        "kernel_ms=$(col 5) sched_ms=$(col 6)" \
        "targets=$(field targets "$last") arena_bytes=$(field arena_bytes "$last")" \
        "weight_bytes=$(field weight_bytes "$last")"
}

echo "# onnx_vs_ort: onnxruntime-node $ORT_VERSION, $(nproc) cpus," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), repeat $REPEAT x $ROUNDS rounds, seed $SEED," \
    "$(date -u +%Y-%m-%dT%H:%MZ)"
for m in $MODELS; do
    node "$HERE/ort.js" input "${SHAPE[$m]}" "$SEED" "$WORK/${m}_x.npy"
    for t in $THREADS; do
        bench_one "$m" "$t"
    done
done
echo "# inputs, outputs and logs in $WORK"
