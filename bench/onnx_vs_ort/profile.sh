#!/bin/bash
# Where the time goes, per operator type, in ONNX Runtime and in jobfuse, on one
# thread: ONNX Runtime's profiler (its fused and reordered nodes under their own
# names: FusedConv, ReorderInput, ...) against a jobfuse trace of a run with one
# operator per target (--no-combine --no-fuse --no-split, so every kernel is
# timed alone; the fused run is faster than the sum).
#
#   bash bench/onnx_vs_ort/profile.sh det|rec|cls [JOBFUSE_BIN]
#
# Run bench/onnx_vs_ort/run.sh once first (it installs ONNX Runtime).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MODEL=${1:?usage: profile.sh det|rec|cls [JOBFUSE_BIN]}
BIN=${2:-$ROOT/build/jobfuse}
declare -A SHAPE=([det]=1x3x640x640 [rec]=1x3x48x320 [cls]=1x3x48x192)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jf_onnx_profile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OPENBLAS_NUM_THREADS=1 # as run.sh says

M=$ROOT/bench/models/$MODEL.onnx
node "$HERE/ort.js" input "${SHAPE[$MODEL]}" 1 "$WORK/x.npy"
"$BIN" import "$M" --input "x=${SHAPE[$MODEL]}" -o "$WORK/job.json" -q 2>/dev/null
"$BIN" run "$M" --input "x=$WORK/x.npy" --threads 1 --no-combine --no-fuse --no-split --repeat 4 \
    --trace "$WORK/trace.json" -q 2>/dev/null
node "$HERE/ort.js" profile "$M" "x=$WORK/x.npy" 1 "$WORK/job.json" "$WORK/trace.json"
