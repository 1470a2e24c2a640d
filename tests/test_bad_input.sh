#!/bin/bash
# Bad input to `jobfuse plan`: every case must exit with status 2, print
# exactly the expected message on stderr, print nothing on stdout, and leave
# no output file (nor an OUT.tmp.* leftover) behind.
#
#   bash test_bad_input.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR
#
# Each case runs in a fresh temporary folder holding copies of the input
# files it names (from data/bad and data/good), so that messages carry
# short, stable paths. Expected messages live in this script, one case a
# line: `bad NAME 'EXPECTED STDERR' ARGS...` runs `jobfuse ARGS...`.
# Syntax errors come from jansson ("file:line:column: its text"); columns
# point at the last character jansson read.

set -u
BIN=${1:?usage: test_bad_input.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
SRC=${2:?usage: test_bad_input.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
DATA_BAD=$SRC/data/bad
DATA_GOOD=$SRC/data/good

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/jf_bad_input.XXXXXX") || exit 1
trap 'rm -rf "$ROOT"' EXIT
passed=0
failed=0
case_no=0

fail() {
    echo "FAIL $NAME: $*"
    [ -n "${ARGS_SHOWN:-}" ] && echo "     jobfuse $ARGS_SHOWN"
    OK=0
}

# A fresh folder with copies of every argument that names an input file.
setup() {
    case_no=$((case_no + 1))
    DIR=$ROOT/case$case_no
    mkdir "$DIR"
    local a
    for a in "$@"; do
        a=${a#*=} # --opt=FILE
        [ -f "$DATA_BAD/$a" ] && cp "$DATA_BAD/$a" "$DIR/"
        [ -f "$DATA_GOOD/$a" ] && cp "$DATA_GOOD/$a" "$DIR/"
    done
    (cd "$DIR" && ls -A) >"$ROOT/before.$case_no"
}

# Run jobfuse ARGS... in $DIR; sets RC, $OUT_FILE and $ERR_FILE.
run() {
    ARGS_SHOWN="$*"
    OUT_FILE=$ROOT/stdout.$case_no
    ERR_FILE=$ROOT/stderr.$case_no
    (cd "$DIR" && "$BIN" "$@" >"$OUT_FILE" 2>"$ERR_FILE")
    RC=$?
}

# The folder holds what it held before (no output, no temporary file).
check_no_output() {
    (cd "$DIR" && ls -A) >"$ROOT/after.$case_no"
    if ! cmp -s "$ROOT/before.$case_no" "$ROOT/after.$case_no"; then
        fail "files left behind: $(comm -13 "$ROOT/before.$case_no" "$ROOT/after.$case_no" |
            tr '\n' ' ')"
    fi
    local tmp
    for tmp in "$DIR"/*.tmp.* "$DIR"/.*.tmp.*; do
        [ -e "$tmp" ] && fail "temporary file left behind: ${tmp#"$DIR"/}"
    done
}

finish_case() {
    if [ "$OK" = 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "     stderr was:"
        sed 's/^/       | /' "$ERR_FILE"
    fi
    ARGS_SHOWN=
}

# bad NAME EXPECTED ARGS...: exit 2, stderr exactly EXPECTED (plus newline),
# stdout empty, no file made.
bad() {
    NAME=$1
    local expected=$2
    shift 2
    OK=1
    setup "$@"
    run "$@"
    [ "$RC" = 2 ] || fail "exit status $RC, want 2"
    local want=$ROOT/want.$case_no
    printf '%s\n' "$expected" >"$want"
    if ! cmp -s "$want" "$ERR_FILE"; then
        fail "stderr differs from the expected message"
        echo "     want: $expected"
    fi
    [ -s "$OUT_FILE" ] && fail "stdout not empty: $(head -c 200 "$OUT_FILE")"
    check_no_output
    finish_case
}

J=plan
O=(-o out.json)

# ---- malformed JSON: file:line:column --------------------------------------
bad syntax_missing_comma "jobfuse: syntax_missing_comma.json:4:3: ']' expected near '{'" \
    $J syntax_missing_comma.json "${O[@]}"
bad syntax_truncated "jobfuse: syntax_truncated.json:3:36: '}' expected near end of file" \
    $J syntax_truncated.json "${O[@]}"
bad syntax_trailing_garbage "jobfuse: syntax_trailing_garbage.json:2:4: end of file expected near 'oops'" \
    $J syntax_trailing_garbage.json "${O[@]}"
bad syntax_empty "jobfuse: syntax_empty.json:1:0: '[' or '{' expected near end of file" \
    $J syntax_empty.json "${O[@]}"
bad syntax_duplicate_key "jobfuse: syntax_duplicate_key.json:3:18: duplicate object key near '\"id\"'" \
    $J syntax_duplicate_key.json "${O[@]}"
bad demand_nan "jobfuse: demand_nan.json:3:38: invalid token near 'NaN'" \
    $J demand_nan.json "${O[@]}"
bad demand_overflow "jobfuse: demand_overflow.json:3:40: real number overflow near '1e999'" \
    $J demand_overflow.json "${O[@]}"

# ---- the document's shape ---------------------------------------------------
bad format_wrong 'jobfuse: format_wrong.json: not a job: "format" must be "jobfuse-job/1"' \
    $J format_wrong.json "${O[@]}"
bad format_missing 'jobfuse: format_missing.json: not a job: "format" must be "jobfuse-job/1"' \
    $J format_missing.json "${O[@]}"
bad root_not_object 'jobfuse: root_not_object.json: a job must be a JSON object, not an array' \
    $J root_not_object.json "${O[@]}"
bad name_not_string 'jobfuse: name_not_string.json: "name" must be a string' \
    $J name_not_string.json "${O[@]}"
bad tasks_not_array 'jobfuse: tasks_not_array.json: "tasks" must be an array, not an object' \
    $J tasks_not_array.json "${O[@]}"
bad tasks_missing 'jobfuse: tasks_missing.json: "tasks" is missing (an array of tasks)' \
    $J tasks_missing.json "${O[@]}"
bad resource_bad_rule 'jobfuse: resource_bad_rule.json: resource "gpus": the rule must be "sum" or "max"' \
    $J resource_bad_rule.json "${O[@]}"
bad resources_not_object 'jobfuse: resources_not_object.json: "resources" must be an object, not an array' \
    $J resources_not_object.json "${O[@]}"

# ---- tasks and ids ----------------------------------------------------------
bad task_not_object 'jobfuse: task_not_object.json: task #1: must be an object, not a string' \
    $J task_not_object.json "${O[@]}"
bad id_missing 'jobfuse: id_missing.json: task #2: missing "id"' \
    $J id_missing.json "${O[@]}"
bad id_empty 'jobfuse: id_empty.json: task #1: "id" must be a non-empty string' \
    $J id_empty.json "${O[@]}"
bad id_not_string 'jobfuse: id_not_string.json: task #0: "id" must be a non-empty string' \
    $J id_not_string.json "${O[@]}"
bad id_duplicate 'jobfuse: id_duplicate.json: task "a": duplicate id (tasks #0 and #2)' \
    $J id_duplicate.json "${O[@]}"
bad op_not_string 'jobfuse: op_not_string.json: task "a": "op" must be a string' \
    $J op_not_string.json "${O[@]}"

# ---- demands ------------------------------------------------------------------
bad demand_negative 'jobfuse: demand_negative.json: task "a": demand "memory" must be >= 0 (got -4096)' \
    $J demand_negative.json "${O[@]}"
bad demand_string 'jobfuse: demand_string.json: task "a": demand "memory" must be a number, not a string' \
    $J demand_string.json "${O[@]}"
bad demand_not_object 'jobfuse: demand_not_object.json: task "a": "demand" must be an object, not an array' \
    $J demand_not_object.json "${O[@]}"

# ---- work -----------------------------------------------------------------------
bad work_unknown_kind 'jobfuse: work_unknown_kind.json: task "a": unknown work kind "dance" (noop, spin or sleep)' \
    $J work_unknown_kind.json "${O[@]}"
bad work_not_object 'jobfuse: work_not_object.json: task "a": "work" must be {"kind": "noop|spin|sleep", "us": N}' \
    $J work_not_object.json "${O[@]}"
bad work_negative_us 'jobfuse: work_negative_us.json: task "a": work "us" must be a number >= 0' \
    $J work_negative_us.json "${O[@]}"

# ---- dependencies -------------------------------------------------------------
bad dep_unknown 'jobfuse: dep_unknown.json: task "b": depends on unknown task "ghost"' \
    $J dep_unknown.json "${O[@]}"
bad dep_self 'jobfuse: dep_self.json: task "b": depends on itself' \
    $J dep_self.json "${O[@]}"
bad dep_self_object 'jobfuse: dep_self_object.json: task "loop": depends on itself' \
    $J dep_self_object.json "${O[@]}"
bad deps_not_array 'jobfuse: deps_not_array.json: task "b": "deps" must be an array, not a string' \
    $J deps_not_array.json "${O[@]}"
bad dep_bad_object 'jobfuse: dep_bad_object.json: task "b": a dependency must be a task id or {"task": id, "bytes": N}' \
    $J dep_bad_object.json "${O[@]}"
bad dep_not_string 'jobfuse: dep_not_string.json: task "b": a dependency must be a task id or {"task": id, "bytes": N}' \
    $J dep_not_string.json "${O[@]}"
bad dep_bytes_negative 'jobfuse: dep_bytes_negative.json: task "b": bytes of the dependency on "a" must be a whole number from 0 to 2^63-1' \
    $J dep_bytes_negative.json "${O[@]}"
bad dep_bytes_string 'jobfuse: dep_bytes_string.json: task "b": bytes of the dependency on "a" must be a whole number from 0 to 2^63-1' \
    $J dep_bytes_string.json "${O[@]}"

# ---- cycles: the message names the tasks of one cycle, in edge order ----------
bad cycle3 'jobfuse: cycle3.json: cycle of 3 tasks: "y" -> "z" -> "x" -> "y"' \
    $J cycle3.json "${O[@]}"
bad cycle2_in_bigger 'jobfuse: cycle2_in_bigger.json: cycle of 2 tasks: "q" -> "p" -> "q"' \
    $J cycle2_in_bigger.json "${O[@]}"
bad cycle_long 'jobfuse: cycle_long.json: cycle of 10 tasks: "n1" -> "n2" -> "n3" -> "n4" -> "n5" -> "n6" -> "n7" -> "n8" -> ... -> "n1"' \
    $J cycle_long.json "${O[@]}"

# ---- a task larger than every device ------------------------------------------
bad too_big_capacity 'jobfuse: demand_too_big.json: task "huge": demand memory=5000 exceeds the capacity of every device (largest 1000)' \
    $J demand_too_big.json --capacity memory=1000 "${O[@]}"
bad too_big_devices 'jobfuse: demand_too_big.json: task "huge": demand memory=5000 exceeds the capacity of every device (largest 1024)' \
    $J demand_too_big.json --devices devices_small.json "${O[@]}"
bad too_big_opt_equals 'jobfuse: small.json: task "load": demand memory=4096 exceeds the capacity of every device (largest 1024)' \
    $J small.json --devices=devices_small.json "${O[@]}"

# ---- devices files ----------------------------------------------------------------
bad devices_malformed "jobfuse: devices_malformed.json:2:57: string or '}' expected near '}'" \
    $J small.json --devices devices_malformed.json "${O[@]}"
bad devices_wrong_format 'jobfuse: devices_wrong_format.json: not a devices file: "format" must be "jobfuse-devices/1"' \
    $J small.json --devices devices_wrong_format.json "${O[@]}"
bad devices_negative_capacity 'jobfuse: devices_negative_capacity.json: device "cpu1": capacity "memory" must be a number >= 0' \
    $J small.json --devices devices_negative_capacity.json "${O[@]}"
bad devices_bad_quantity 'jobfuse: devices_bad_quantity.json: device "cpu0": capacity "memory" must be a number >= 0' \
    $J small.json --devices devices_bad_quantity.json "${O[@]}"
bad devices_duplicate_id 'jobfuse: devices_duplicate_id.json: device "cpu0": duplicate id' \
    $J small.json --devices devices_duplicate_id.json "${O[@]}"
bad devices_empty 'jobfuse: devices_empty.json: "devices" must be a non-empty array' \
    $J small.json --devices devices_empty.json "${O[@]}"
bad devices_bad_speed 'jobfuse: devices_bad_speed.json: device "cpu0": "speed" must be a number > 0' \
    $J small.json --devices devices_bad_speed.json "${O[@]}"
bad devices_no_id 'jobfuse: devices_no_id.json: device #0: needs a string "id"' \
    $J small.json --devices devices_no_id.json "${O[@]}"
bad devices_missing 'jobfuse: no_devices.json: No such file or directory' \
    $J small.json --devices no_devices.json "${O[@]}"

# ---- command-line options ---------------------------------------------------------
bad opt_degree_threshold_0 'jobfuse: --degree-threshold 0: expected a whole number >= 1' \
    $J small.json --degree-threshold 0 "${O[@]}"
bad opt_degree_threshold_neg 'jobfuse: --degree-threshold -1: expected a whole number >= 1' \
    $J small.json --degree-threshold -1 "${O[@]}"
bad opt_degree_mode 'jobfuse: --degree-mode foo: expected both, in, out or sum' \
    $J small.json --degree-mode foo "${O[@]}"
bad opt_capacity_no_value 'jobfuse: --capacity memory: expected RES=VALUE (like memory=4MiB or memory=50%)' \
    $J small.json --capacity memory "${O[@]}"
bad opt_capacity_bad_value 'jobfuse: --capacity memory=lots: expected RES=VALUE (like memory=4MiB or memory=50%)' \
    $J small.json --capacity memory=lots "${O[@]}"
bad opt_capacity_negative 'jobfuse: --capacity memory=-5: expected RES=VALUE (like memory=4MiB or memory=50%)' \
    $J small.json --capacity memory=-5 "${O[@]}"
bad opt_capacity_unknown 'jobfuse: small.json: --capacity bogus: the job has no resource "bogus"' \
    $J small.json --capacity bogus=1 "${O[@]}"
bad opt_capacity_percent 'jobfuse: small.json: --capacity memory: a capacity cannot be a percentage' \
    $J small.json --capacity memory=50% "${O[@]}"
bad opt_threshold_no_base 'jobfuse: small.json: --demand-threshold memory=50%: no device limits "memory", so a percentage has no base; give --capacity memory=VALUE' \
    $J small.json --devices devices_threads_only.json --demand-threshold memory=50% "${O[@]}"
bad opt_threshold_unknown 'jobfuse: small.json: --demand-threshold gpus: the job has no resource "gpus"' \
    $J small.json --demand-threshold gpus=50% "${O[@]}"
bad opt_max_members 'jobfuse: --max-members x: expected a whole number' \
    $J small.json --max-members x "${O[@]}"
bad opt_unknown 'jobfuse: plan: unknown option --frobnicate (see jobfuse plan --help)' \
    $J small.json --frobnicate "${O[@]}"
bad opt_missing_value 'jobfuse: --capacity needs a value' \
    $J small.json -o out.json --capacity
bad opt_two_jobs 'jobfuse: plan: one job at a time (got small.json and dup_dep.json)' \
    $J small.json dup_dep.json "${O[@]}"
bad opt_no_job 'jobfuse: plan: which job? (jobfuse plan JOB.json; --help tells more)' \
    $J "${O[@]}"
bad job_missing 'jobfuse: missing.json: No such file or directory' \
    $J missing.json "${O[@]}"
bad job_missing_stdout 'jobfuse: missing.json: No such file or directory' \
    $J missing.json -o -

# ---- an existing output file survives bad input unchanged --------------------------
NAME=keeps_old_output
OK=1
setup cycle3.json
echo '{"old": true}' >"$DIR/out.json"
(cd "$DIR" && ls -A) >"$ROOT/before.$case_no"
run $J cycle3.json -o out.json
[ "$RC" = 2 ] || fail "exit status $RC, want 2"
[ "$(cat "$DIR/out.json")" = '{"old": true}' ] || fail "out.json was overwritten"
check_no_output
finish_case

# ---- a duplicated dependency: merged, bytes added, one warning naming both ---------
NAME=duplicate_dependency
OK=1
setup dup_dep.json
run $J dup_dep.json --max-members 1 -q -o out.json
[ "$RC" = 0 ] || fail "exit status $RC, want 0"
first=$(head -n 1 "$ERR_FILE")
want='jobfuse: warning: task "b": duplicate dependency on "a" merged (bytes added)'
[ "$first" = "$want" ] || fail "first stderr line: $first; want: $want"
[ "$(grep -c warning "$ERR_FILE")" = 1 ] || fail "want exactly one warning"
grep -q 'edges_before=2 ' "$ERR_FILE" || fail "want edges_before=2 (duplicates merged)"
if [ -f "$DIR/out.json" ]; then
    line=$(grep '"members": \["b"\]' "$DIR/out.json")
    case $line in
    *'"deps": [{"target": "T0", "bytes": 128}]'*) ;;
    *) fail "target of b should depend on T0 with 100 + 28 = 128 bytes: $line" ;;
    esac
else
    fail "no plan written"
fi
finish_case

# ---- bytes of merged dependencies must not wrap around 2^64 --------------------------
# Two dependencies of 1.7e19 bytes each add up past UINT64_MAX. Acceptable:
# refuse the job (exit 2, message naming both tasks, no file) or saturate at
# 18446744073709551615. Not acceptable: a wrapped, smaller number.
NAME=dep_bytes_overflow
OK=1
setup dep_bytes_overflow.json
run $J dep_bytes_overflow.json --max-members 1 -q -o out.json
if [ "$RC" = 2 ]; then
    grep -q '"a"' "$ERR_FILE" && grep -q '"b"' "$ERR_FILE" || fail "message should name \"a\" and \"b\""
    [ -s "$OUT_FILE" ] && fail "stdout not empty"
    check_no_output
elif [ "$RC" = 0 ]; then
    grep -q '"bytes": 18446744073709551615}' "$DIR/out.json" ||
        fail "bytes wrapped around: $(grep -o '"deps": \[{[^]]*\]' "$DIR/out.json" | tail -n 1)"
else
    fail "exit status $RC, want 2 (refused) or 0 (saturated)"
fi
finish_case

# ---- a good job, output in a missing folder: exit 1, nothing written ---------------
NAME=output_dir_missing
OK=1
setup small.json
run $J small.json -o no/such/dir/out.json
[ "$RC" = 1 ] || fail "exit status $RC, want 1"
want='jobfuse: no/such/dir/out.json: No such file or directory'
[ "$(cat "$ERR_FILE")" = "$want" ] || fail "stderr: want $want"
[ -s "$OUT_FILE" ] && fail "stdout not empty"
check_no_output
finish_case

# ---- a good job, output path is a folder: exit 1, no temporary file left -----------
NAME=output_is_dir
OK=1
setup small.json
mkdir "$DIR/plan.d"
(cd "$DIR" && ls -A) >"$ROOT/before.$case_no"
run $J small.json -o plan.d
[ "$RC" = 1 ] || fail "exit status $RC, want 1"
grep -q '^jobfuse: plan.d: ' "$ERR_FILE" || fail "stderr should start with jobfuse: plan.d: "
[ -z "$(ls -A "$DIR/plan.d")" ] || fail "plan.d is not empty"
check_no_output
finish_case

# ---- and the good job itself plans fine (the inputs above are the only fault) ------
NAME=good_small
OK=1
setup small.json devices_small.json
run $J small.json -q -o out.json
[ "$RC" = 0 ] || fail "exit status $RC, want 0"
[ -s "$DIR/out.json" ] || fail "no plan written"
ls "$DIR" | grep -q '\.tmp\.' && fail "temporary file left behind"
finish_case

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
