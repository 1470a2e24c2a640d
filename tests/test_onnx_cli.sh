#!/bin/bash
# `jobfuse import` and `jobfuse plan MODEL.onnx` on the command line: good
# models give a job or plan other commands read; corrupt ones (truncated,
# random bytes, a value nobody produces, a cycle) and bad options give exit
# status 2, a message naming the file, and no output file.
#
#   bash test_onnx_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR
set -u
BIN=${1:?usage: test_onnx_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
SRC=${2:?usage: test_onnx_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
SRC=$(cd "$SRC" && pwd)
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
DATA=$SRC/data/onnx/import
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/jf_onnx_cli.XXXXXX") || exit 1
trap 'rm -rf "$ROOT"' EXIT
cd "$ROOT" || exit 1
failed=0
passed=0

check() { # check NAME CONDITION-RESULT MESSAGE
    if [ "$2" = 0 ]; then passed=$((passed + 1)); else echo "FAIL $1: $3"; failed=$((failed + 1)); fi
}

# bad NAME 'TEXT IN STDERR' ARGS...: exit 2, the text in stderr, no out.json
bad() {
    local name=$1 want=$2
    shift 2
    rm -f out.json
    "$BIN" "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    check "$name" "$([ $rc = 2 ] && echo 0 || echo 1)" "exit $rc, want 2 ($(cat stderr.txt))"
    check "$name" "$(grep -qF -- "$want" stderr.txt && echo 0 || echo 1)" \
        "stderr lacks '$want': $(cat stderr.txt)"
    check "$name" "$([ ! -e out.json ] && ! ls out.json.tmp.* >/dev/null 2>&1 && echo 0 || echo 1)" \
        "an output file was left behind"
}

cp "$DATA"/*.onnx "$DATA"/*.bin .
head -c 150 if_open.onnx >truncated.onnx
head -c 2000 /dev/urandom >random.onnx
printf 'hello, I am not a model\n' >text.onnx
: >empty.onnx

bad truncated "truncated.onnx: not an ONNX model" import truncated.onnx -o out.json
bad random "random.onnx: not an ONNX model" import random.onnx -o out.json
bad text "text.onnx: not an ONNX model" import text.onnx -o out.json
bad empty "empty.onnx: empty file" import empty.onnx -o out.json
bad missing "nothere.onnx: No such file" import nothere.onnx -o out.json
bad undefined "reads 'ghost', which no node" import undefined.onnx -o out.json
bad cycle "the graph has a cycle" import cycle.onnx -o out.json
bad plan-cycle "the graph has a cycle" plan cycle.onnx -o out.json
bad plan-truncated "truncated.onnx: not an ONNX model" plan truncated.onnx -o out.json
bad external "external data file ./missing.bin not found" import external_missing.onnx -o out.json
bad input-syntax "--input needs NAME=SHAPE" import unnamed.onnx --input x -o out.json
bad input-shape "the shape is dimensions joined by x" import unnamed.onnx --input x=3xa -o out.json
bad input-name "has no input named 'z'" import unnamed.onnx --input z=3x4 -o out.json
bad gflops "--device-gflops needs a positive number" import unnamed.onnx --device-gflops -1 -o out.json
bad no-model "which model?" import -o out.json

# A good model: the job is jobfuse-job/1 that plan reads; plan on the model
# itself ends its summary with the key=value line.
"$BIN" import unnamed.onnx --input x=8x4 --device-gflops 10 -o job.json 2>import.txt
check import "$?" "import failed: $(cat import.txt)"
check import-last "$(tail -1 import.txt | grep -q '^operators=4 tasks=5 edges=4 ' && echo 0 || echo 1)" \
    "last line: $(tail -1 import.txt)"
"$BIN" plan job.json -o plan.json 2>plan.txt
check plan-job "$?" "plan of the imported job failed: $(cat plan.txt)"
"$BIN" plan unnamed.onnx --input x=8x4 --device-gflops 10 -o plan2.json 2>plan2.txt
check plan-model "$?" "plan of the model failed: $(cat plan2.txt)"
check plan-model-last "$(tail -1 plan2.txt | grep -q '^tasks_before=5 ' && echo 0 || echo 1)" \
    "last line: $(tail -1 plan2.txt)"
check plan-model-summary "$(grep -q 'multiply-accumulates' plan2.txt && echo 0 || echo 1)" \
    "no model summary: $(cat plan2.txt)"
# The plan of a model records how it was imported: reading it back (show)
# imports the model again with the same shapes.
"$BIN" show plan2.json --dot -o plan2.dot 2>show.txt
check show-model-plan "$?" "show of a model's plan failed: $(cat show.txt)"
check show-model-plan-dot "$(grep -q 'Relu_1' plan2.dot && echo 0 || echo 1)" "no task in the DOT"
check source-onnx "$(grep -q '"onnx": {"device_gflops": 10, "inputs": {"x": "8x4"}}' plan2.json && echo 0 || echo 1)" \
    "source.onnx missing: $(head -3 plan2.json)"
"$BIN" import --help >help.txt
check help "$(grep -q -- '--input NAME=SHAPE' help.txt && echo 0 || echo 1)" "import --help"

echo "test_onnx_cli: $passed checks passed, $failed failed"
[ "$failed" = 0 ]
