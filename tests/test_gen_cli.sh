#!/bin/bash
# jobfuse gen from the command line: files that plan reads, usage errors
# (exit 2, no file left), determinism, --help.
# usage: bash test_gen_cli.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR
set -u
BIN=$1
DIR=$3/gen_cli
PY=/usr/bin/python3
rm -rf "$DIR"
mkdir -p "$DIR"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_exit WANT CMD...: run CMD, compare its exit status with WANT.
expect_exit() {
    local want=$1
    shift
    "$@" >"$DIR/out" 2>"$DIR/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$*: expected exit $want, got $got; stderr: $(head -c 400 "$DIR/err")"
        return 1
    fi
}

# check_job FILE TASKS EDGES: valid jobfuse-job/1 JSON with those counts.
check_job() {
    "$PY" - "$@" <<'EOF' || fail "check_job $*"
import json, sys
path, tasks, edges = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
job = json.load(open(path))
assert job["format"] == "jobfuse-job/1", job.get("format")
ids = [t["id"] for t in job["tasks"]]
assert len(ids) == tasks, f"expected {tasks} tasks, got {len(ids)}"
assert len(set(ids)) == tasks, "duplicate ids"
deps = sum(len(t.get("deps", [])) for t in job["tasks"])
assert deps == edges, f"expected {edges} edges, got {deps}"
for t in job["tasks"]:
    mem = t["demand"]["memory"]
    assert 1024 <= mem <= 65536, f"memory {mem} outside the default 1KiB..64KiB"
EOF
}

# 1. a chain that plan can read
expect_exit 0 "$BIN" gen chain 10 -o "$DIR/x.json" &&
    check_job "$DIR/x.json" 10 9
grep -q "^gen: chain tasks=10 edges=9 seed=1" "$DIR/err" ||
    fail "summary line: expected 'gen: chain tasks=10 edges=9 seed=1 ...', got: $(cat "$DIR/err")"
expect_exit 0 "$BIN" plan "$DIR/x.json" -o "$DIR/x-plan.json" &&
    "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["format"]=="jobfuse-plan/1"' \
        "$DIR/x-plan.json" || fail "plan of the generated chain"

# 2. every shape; stdout without -o
expect_exit 0 "$BIN" gen par 7 -o "$DIR/par.json" && check_job "$DIR/par.json" 7 0
expect_exit 0 "$BIN" gen tree 4 -o "$DIR/tree.json" && check_job "$DIR/tree.json" 15 14
expect_exit 0 "$BIN" gen wavefront 5 -o "$DIR/wf.json" && check_job "$DIR/wf.json" 25 40
expect_exit 0 "$BIN" gen layered 6 --tasks 24 --succ 2..2 -o "$DIR/lay.json" &&
    check_job "$DIR/lay.json" 24 36
expect_exit 0 "$BIN" gen random 50 --edges 120 -o "$DIR/rnd.json" && check_job "$DIR/rnd.json" 50 120
expect_exit 0 "$BIN" gen chain 3 && cp "$DIR/out" "$DIR/stdout.json" && check_job "$DIR/stdout.json" 3 2

# 3. options: quantities, ranges, work, seed
expect_exit 0 "$BIN" gen layered 10 --tasks 1k --memory 2KiB..4KiB --time 1ms --bytes 7 \
    --work sleep:5us --seed 0x2a -o "$DIR/opt.json" &&
    "$PY" - "$DIR/opt.json" <<'EOF' || fail "option values in the job"
import json, sys
job = json.load(open(sys.argv[1]))
assert len(job["tasks"]) == 1000
for t in job["tasks"]:
    assert 2048 <= t["demand"]["memory"] <= 4096, t
    assert t["demand"]["time"] == 1000, t
    assert t["work"]["kind"] == "sleep" and t["work"]["us"] == 5, t
    for d in t.get("deps", []):
        assert d["bytes"] == 7, d
EOF

# a bare LO takes HI's unit
expect_exit 0 "$BIN" gen par 100 --time 1..2ms -o "$DIR/time.json" &&
    "$PY" - "$DIR/time.json" <<'EOF' || fail "--time 1..2ms: expected times in 1000..2000 us"
import json, sys
times = [t["demand"]["time"] for t in json.load(open(sys.argv[1]))["tasks"]]
assert 1000 <= min(times) and max(times) <= 2000, (min(times), max(times))
EOF

# 4. determinism: same seed, same bytes; another seed, another job
expect_exit 0 "$BIN" gen random 200 --seed 5 -o "$DIR/s5a.json"
expect_exit 0 "$BIN" gen random 200 --seed 5 -o "$DIR/s5b.json"
expect_exit 0 "$BIN" gen random 200 --seed 6 -o "$DIR/s6.json"
cmp -s "$DIR/s5a.json" "$DIR/s5b.json" || fail "seed 5 twice: the files differ"
cmp -s "$DIR/s5a.json" "$DIR/s6.json" && fail "seeds 5 and 6: the files are the same"

# 5. usage errors: exit 2, a message, and no file
bad() {
    rm -f "$DIR/bad.json"
    expect_exit 2 "$BIN" gen "$@" -o "$DIR/bad.json"
    [ -s "$DIR/err" ] || fail "gen $*: no message on stderr"
    [ -e "$DIR/bad.json" ] && fail "gen $*: left a file behind"
    ls "$DIR" | grep -q '\.tmp\.' && fail "gen $*: left a temporary file"
    return 0
}
bad
bad chain
bad spiral 10
bad chain ten
bad chain 0
bad chain 10 extra
bad chain 10 --frobnicate
bad chain 10 --seed
bad chain 10 --seed -3
bad tree 31
bad wavefront 70000
bad random 10 --edges 46
bad random 10 --edges 0
bad random 10 --tasks 10
bad chain 10 --edges 5
bad layered 10 --succ 5..2
bad layered 10 --succ 1..11
bad layered 10 --succ x
bad chain 10 --memory 5..x
bad chain 10 --memory 64KiB..1KiB
bad chain 10 --time 3parsecs
bad chain 10 --work spin
bad chain 10 --work dance:3us
expect_exit 2 "$BIN" gen chain 10 -o || true

# 6. --help: exit 0, every option named
expect_exit 0 "$BIN" gen --help
for opt in --tasks --edges --succ --seed --memory --time --bytes --work -o --help \
    chain par tree wavefront layered random default; do
    grep -q -- "$opt" "$DIR/out" || fail "gen --help does not mention $opt"
done
expect_exit 0 "$BIN" gen chain 10 -h

if [ "$failures" != 0 ]; then
    echo "test_gen_cli: $failures failure(s)" >&2
    exit 1
fi
echo "test_gen_cli: ok"
