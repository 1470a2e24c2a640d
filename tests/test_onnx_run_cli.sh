#!/bin/bash
# `jobfuse run MODEL.onnx` on the command line: inputs from .npy files and
# from --random-input, outputs written as .npy, --repeat's figures, stats and
# traces; bad .npy files, missing inputs, an operator without a kernel and bad
# options give exit status 2, a message, and no output file. Then every small
# model of tests/data/onnx/{run,import,ops} runs on random inputs; a model
# whose operators have no kernel yet is counted as skipped, not failed. Last,
# when bench/models and bench/onnx_vs_ort's ONNX Runtime are in place, the
# PaddleOCR models' outputs must match ONNX Runtime's.
#
#   bash test_onnx_run_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR
set -u
BIN=${1:?usage: test_onnx_run_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
SRC=${2:?usage: test_onnx_run_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
SRC=$(cd "$SRC" && pwd)
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
DATA=$SRC/data/onnx
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/jf_onnx_run.XXXXXX") || exit 1
trap 'rm -rf "$ROOT"' EXIT
cd "$ROOT" || exit 1
failed=0
passed=0
skipped=0

check() { # check NAME CONDITION-RESULT MESSAGE
    if [ "$2" = 0 ]; then passed=$((passed + 1)); else echo "FAIL $1: $3"; failed=$((failed + 1)); fi
}
yes_no() { "$@" && echo 0 || echo 1; }
not() { ! "$@"; }

# bad NAME 'TEXT IN STDERR' ARGS...: exit 2, the text in stderr, no out/ made
bad() {
    local name=$1 want=$2
    shift 2
    rm -rf out
    "$BIN" run "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    check "$name" "$([ $rc = 2 ] && echo 0 || echo 1)" "exit $rc, want 2 ($(cat stderr.txt))"
    check "$name" "$(yes_no grep -qF -- "$want" stderr.txt)" "stderr lacks '$want': $(cat stderr.txt)"
    check "$name" "$(yes_no test ! -e out)" "out/ was made: $(ls out 2>/dev/null)"
}

# good NAME ARGS...: exit 0 and a summary line
good() {
    local name=$1
    shift
    "$BIN" run "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    check "$name" "$rc" "exit $rc: $(cat stderr.txt)"
    check "$name-summary" "$(yes_no grep -q '^tasks=.* arena_bytes=[0-9]* weight_bytes=' stderr.txt)" \
        "no summary line: $(tail -1 stderr.txt)"
}

cp "$DATA"/run/*.onnx .
make_npy() { # make_npy DESCR SHAPE DATA_BYTES FILE: a version 1.0 file of zeros
    local h="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
    local len=$(( (10 + ${#h} + 1 + 63) / 64 * 64 - 10 ))
    h=$(printf '%-*s' $((len - 1)) "$h")
    { printf '\223NUMPY\001\000'; printf "\\$(printf '%03o' $((len % 256)))"
      printf "\\$(printf '%03o' $((len / 256)))"; printf '%s\n' "$h"; head -c "$3" /dev/zero; } >"$4"
}
make_npy '<i8' '(3, 4)' 96 int64.npy
make_npy '<f4' '(3, 4)' 48 zeros.npy

# ---- .npy in and out, without any kernel: the passthrough model copies ----
good random passthrough.onnx --input x=3x4 --random-input 7 --output-dir a -q
check random-out "$(yes_no test -s a/x.npy)" "a/x.npy not written"
good npy-in passthrough.onnx --input x=a/x.npy --output-dir b -q
check npy-same "$(yes_no cmp -s a/x.npy b/x.npy)" "the output differs from the input"
good npy-made passthrough.onnx --input x=zeros.npy --output-dir z -q
check npy-made-same "$(yes_no cmp -s zeros.npy z/x.npy)" "a file made here does not come back"
check npy-shape "$(yes_no grep -q "'shape': (3, 4)" a/x.npy)" "a/x.npy: $(head -c 80 a/x.npy | tr -d '\0')"
good same-seed passthrough.onnx --input x=3x4 --random-input 7 --output-dir c -q
check same-seed "$(yes_no cmp -s a/x.npy c/x.npy)" "the same seed gave other values"
good other-seed passthrough.onnx --input x=3x4 --random-input 8 --output-dir d -q
check other-seed "$(yes_no not cmp -s a/x.npy d/x.npy)" "another seed gave the same values"
check no-temp "$(yes_no test -z "$(ls a b c d | grep tmp)")" "temporary files left"
good shape-only shape_only.onnx --input x=5x3 --random-input 1 --output-dir s -q
check shape-only-out "$(yes_no grep -q "'descr': '<i8'" s/y.npy)" "s/y.npy is not int64"

# ---- --repeat, --stats-json, --trace, --explain ----
good repeat passthrough.onnx --input x=a/x.npy --repeat 4 --stats-json st.json --trace tr.json \
    --threads 2 --explain -q
check repeat-figures "$(yes_no grep -q ' runs=4 median_ms=[0-9.]* min_ms=[0-9.]*$' stderr.txt)" \
    "last line: $(tail -1 stderr.txt)"
check repeat-split "$(yes_no grep -q ' kernel_ms=[0-9.]* sched_ms=' stderr.txt)" "no kernel_ms"
check stats-json "$(yes_no grep -q '"workers": \[{"worker": 0, "busy_s": ' st.json)" \
    "stats: $(cat st.json)"
check stats-runs "$(yes_no grep -q '"runs": 4, "median_ms"' st.json)" "stats: $(cat st.json)"
check trace "$(yes_no test -s tr.json)" "no trace written"
check explain "$(yes_no grep -q 'tasks (operators and slices) ->' stderr.txt)" "no explain: $(cat stderr.txt)"
"$BIN" run --help >help.txt
check help "$(yes_no grep -q -- '--random-input SEED' help.txt)" "run --help lacks --random-input"

# ---- --no-split, --no-fuse, --no-combine change the plan, not the values ----
if "$BIN" run conv_chain.onnx --random-input 1 -q 2>/dev/null; then
    for opt in "" --no-split --no-fuse --no-combine "--no-split --no-fuse"; do
        dir=cc$(tr -d ' -' <<<"$opt")
        # shellcheck disable=SC2086
        good "chain$opt" conv_chain.onnx --random-input 1 --threads 2 --explain --output-dir "$dir" \
            $opt -q
        cp stderr.txt "$dir.txt"
    done
    check chain-explain "$(yes_no grep -qE '^(split|fused) ' cc.txt)" "$(cat cc.txt)"
    check chain-no-split "$(yes_no not grep -q '^split ' ccnosplit.txt)" "$(cat ccnosplit.txt)"
    check chain-no-fuse "$(yes_no not grep -q '^fused ' ccnofuse.txt)" "$(cat ccnofuse.txt)"
    good chain-1 conv_chain.onnx --random-input 1 --threads 1 --output-dir cc1 -q
    "$BIN" run passthrough.onnx --input x=2048x4 --random-input 1 --output-dir ccx -q 2>/dev/null
    if /usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null; then
        /usr/bin/python3 - "$DATA/run/conv_chain.onnx" <<'EOF' >py.txt 2>&1
import sys
import numpy as np
import onnx
from onnx import numpy_helper
w = {t.name: numpy_helper.to_array(t).astype(np.float64)
     for t in onnx.load(sys.argv[1]).graph.initializer}
def conv(x, k, pad):                        # NCHW, stride 1, float64
    h, wd = x.shape[2], x.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return sum(np.einsum("oc,nchw->nohw", k[:, :, i, j], xp[:, :, i:i + h, j:j + wd])
               for i in range(k.shape[2]) for j in range(k.shape[3]))
x = np.load("ccx/x.npy").reshape(1, 8, 32, 32).astype(np.float64)  # the same random values
r = np.maximum(conv(x, w["w1"], 1), 0)
want = 1 / (1 + np.exp(-(conv(r, w["w2"], 0) + w["b"])))
for d in ["cc", "ccnosplit", "ccnofuse", "ccnocombine", "ccnosplitnofuse", "cc1"]:
    got = np.load(d + "/y.npy")
    assert np.allclose(got, want, rtol=1e-4, atol=1e-5), (d, np.abs(got - want).max())
EOF
        check chain-values "$?" "$(cat py.txt)"
    fi
fi

# ---- Ctrl-C between or during runs: exit 130, no output written ----
if "$BIN" run mixed.onnx --random-input 1 -q 2>/dev/null; then
    rm -rf int
    "$BIN" run mixed.onnx --random-input 1 --repeat 1000000 --output-dir int -q 2>int.txt &
    pid=$!
    sleep 0.5
    kill -INT $pid
    wait $pid
    rc=$?
    check sigint "$([ $rc = 130 ] && echo 0 || echo 1)" "exit $rc, want 130: $(cat int.txt)"
    check sigint-message "$(yes_no grep -q 'interrupted' int.txt)" "$(cat int.txt)"
    check sigint-nothing "$(yes_no test -z "$(ls int 2>/dev/null)")" "int/: $(ls int)"
fi

# ---- bad input: exit 2 before anything runs, nothing written ----
head -c 164 a/x.npy >truncated.npy   # a 128-byte header, 36 of the 48 bytes of data
printf 'x,y\n1,2\n' >text.npy
{ head -c 128 a/x.npy | sed 's/False/True /'; tail -c +129 a/x.npy; } >fortran.npy
bad npy-truncated "truncated.npy: truncated: 36 bytes of data where the shape and dtype need 48" \
    passthrough.onnx --input x=truncated.npy --output-dir out
bad npy-text "text.npy: not a .npy file" passthrough.onnx --input x=text.npy --output-dir out
bad npy-missing "nothere.npy: No such file" passthrough.onnx --input x=nothere.npy --output-dir out
bad npy-fortran "fortran.npy: fortran_order is True" passthrough.onnx --input x=fortran.npy \
    --output-dir out
bad npy-dtype "int64.npy: int64 data, but the model's input 'x' is float32" passthrough.onnx \
    --input x=int64.npy --output-dir out
bad npy-rank "input 'x' has rank 2" passthrough.onnx --input x=s/y.npy --output-dir out
bad no-values "the input 'x' has no values: give --input x=FILE.npy" passthrough.onnx \
    --input x=3x4 --output-dir out
bad unsupported "node 'the_det' (Det): no kernel for operator Det" unsupported.onnx \
    --random-input 1 --output-dir out
bad unknown-input "has no input named 'z'" passthrough.onnx --input z=a/x.npy --output-dir out
bad twice "--input x is given both a shape and a/x.npy" passthrough.onnx --input x=3x4 \
    --input x=a/x.npy --output-dir out
bad twice-npy "--input x is given twice (a/x.npy and b/x.npy)" passthrough.onnx --input x=a/x.npy \
    --input x=b/x.npy --output-dir out
bad seed "--random-input abc: expected a whole number" passthrough.onnx --random-input abc
bad repeat "--repeat x: expected a whole number" passthrough.onnx --random-input 1 --repeat x
bad outdir-file "--output-dir a/x.npy: exists and is not a folder" passthrough.onnx \
    --random-input 1 --output-dir a/x.npy
bad outdir-deep "cannot make it" passthrough.onnx --random-input 1 --output-dir no/such/out
bad json-job "--repeat is for ONNX models" "$SRC/../examples/demo.json" --repeat 3
bad model-missing "nothere.onnx: No such file" nothere.onnx --random-input 1
check bad-left-nothing "$(yes_no test -z "$(ls a | grep -v '^x.npy$')")" "a/: $(ls a)"

# ---- every small model on random inputs (kernels permitting) ----
try_model() { # try_model FILE: runs, or has an operator without a kernel
    local m=$1 name
    name=$(basename "$m" .onnx)
    rm -rf o
    "$BIN" run "$m" --random-input 1 --output-dir o -q >stdout.txt 2>stderr.txt
    local rc=$?
    if [ $rc = 2 ] && grep -q 'no kernel for operator' stderr.txt; then
        skipped=$((skipped + 1))
        return
    fi
    if [ "$name" = binary_mod ]; then # random integers hold zeros: a clean failure
        check "model-$name" "$(yes_no grep -q 'division by zero' stderr.txt)" \
            "exit $rc: $(tail -3 stderr.txt)"
        return
    fi
    check "model-$name" "$rc" "exit $rc: $(tail -3 stderr.txt)"
    [ $rc = 0 ] && check "model-$name-out" "$(yes_no test -n "$(ls o/*.npy 2>/dev/null)")" \
        "no output written"
}
for m in mixed.onnx "$DATA"/import/unnamed.onnx "$DATA"/import/if_folded.onnx \
    "$DATA"/import/external.onnx "$DATA"/ops/*.onnx; do
    case $(basename "$m") in err_*) continue ;; esac # bad on purpose: tests of the rules
    [ -f "$m" ] && try_model "$m"
done

# mixed.onnx once Gather, Relu and Add have kernels: names become file names,
# and with numpy the values are checked.
if "$BIN" run mixed.onnx --random-input 3 --output-dir m -q 2>/dev/null; then
    check mixed-names "$(yes_no test -s m/scores_relu_0.npy -a -s m/_hidden.npy)" "m/: $(ls m)"
    "$BIN" run passthrough.onnx --input x=3x4 --random-input 3 --output-dir ma -q 2>/dev/null
    if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
        /usr/bin/python3 - <<'EOF' >py.txt 2>&1
import numpy as np
a = np.load("ma/x.npy").reshape(4, 3)       # input 0 (a) uses the seed itself
z = np.load("m/_hidden.npy")
assert np.allclose(z, a + a), (z, a)
y = np.load("m/scores_relu_0.npy")
assert y.shape == (2, 3) and (y >= 0).all(), y
EOF
        check mixed-values "$?" "$(cat py.txt)"
    fi
fi

# ---- the real models against ONNX Runtime, when both are here ----
# (bench/models/fetch.sh and bench/onnx_vs_ort/run.sh put them in place; under
# JF_TEST_QUICK only cls, the small one)
ORT_DIR=$SRC/../bench/onnx_vs_ort
if [ -d "$ORT_DIR/node_modules/onnxruntime-node" ] && command -v node >/dev/null; then
    models="det:1x3x640x640 rec:1x3x48x320 cls:1x3x48x192"
    [ -n "${JF_TEST_QUICK:-}" ] && [ "${JF_TEST_QUICK}" != 0 ] && models="cls:1x3x48x192"
    for ms in $models; do
        m=${ms%%:*} model=$SRC/../bench/models/${ms%%:*}.onnx
        [ -f "$model" ] || continue
        node "$ORT_DIR/ort.js" input "${ms#*:}" 1 "$m.npy" &&
            node "$ORT_DIR/ort.js" run "$model" "x=$m.npy" 1 1 "ort_$m" >/dev/null
        check "$m-ort" "$?" "ONNX Runtime failed on $m"
        good "$m-jobfuse" "$model" --input "x=$m.npy" --threads 2 --output-dir "jf_$m" -q
        node "$ORT_DIR/ort.js" compare "ort_$m" "jf_$m" 1e-3 1e-4 >cmp.txt
        check "$m-match" "$(yes_no grep -q '^match=yes' cmp.txt)" "$(cat cmp.txt)"
    done
fi

echo "test_onnx_run_cli: $passed checks passed, $failed failed, $skipped models skipped" \
    "(operators without kernels)"
[ "$failed" = 0 ]
