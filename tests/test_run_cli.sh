#!/bin/bash
# jobfuse run from the command line: summary, trace, stats, plans, bad
# input and Ctrl-C. Usage: test_run_cli.sh JOBFUSE TESTS_SRC TESTS_BIN
J=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0 fail=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name"; fi
}
json_ok() { /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

"$J" gen wavefront 40 --work spin:1us -o job.json 2>/dev/null
"$J" run job.json --threads 2 --trace trace.json --stats-json stats.json --explain 2>err.txt
check "run exits 0" test $? -eq 0
last=$(tail -n 1 err.txt)
for key in tasks=1600 targets= threads=2 wall_s= run_s= tasks_per_s=; do
    check "summary has $key" grep -q "$key" <<<"$last"
done
check "explain says how" grep -Eq "targets? by" err.txt
check "trace is JSON" json_ok trace.json
check "trace has a slice per target" /usr/bin/python3 - trace.json stats.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
slices = [e for e in t["traceEvents"] if e.get("ph") == "X"]
members = sum(e["args"]["member_count"] for e in slices)
sys.exit(0 if len(slices) == s["targets"] and members == 1600 else 1)
PY
check "stats has workers" /usr/bin/python3 -c 'import json; d=json.load(open("stats.json")); assert len(d["workers"]) == 2 and d["tasks"] == 1600'

"$J" run job.json --no-combine --threads 1 -q 2>err.txt
check "--no-combine runs every task alone" grep -q "tasks=1600 targets=1600 threads=1" err.txt

"$J" plan job.json -o plan.json 2>/dev/null
"$J" run plan.json -q 2>err.txt
check "a plan runs as it is" grep -q "tasks=1600" err.txt
"$J" run plan.json --no-combine 2>/dev/null
check "a plan refuses combine options" test $? -eq 2

printf '{"format": "jobfuse-job/1", "tasks": [{"id": "a", "deps": ["b"]}, {"id": "b", "deps": ["a"]}]}' >cycle.json
"$J" run cycle.json 2>err.txt
check "a cycle exits 2" test $? -eq 2
check "the cycle is named" grep -q '"a"' err.txt
"$J" run missing.json 2>/dev/null
check "a missing job exits 2" test $? -eq 2
"$J" run job.json --threads 0 2>/dev/null
check "--threads 0 exits 2" test $? -eq 2

"$J" gen par 64 --work sleep:1s -o sleepy.json 2>/dev/null
"$J" run sleepy.json --threads 2 -q 2>err.txt &
pid=$!
sleep 0.5
kill -INT $pid
start=$(date +%s%N)
wait $pid
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "Ctrl-C exits 130 (got $rc)" test $rc -eq 130
check "Ctrl-C stops within a second (${elapsed} ms)" test $elapsed -lt 1500

"$J" run --help >/dev/null
check "--help exits 0" test $? -eq 0
echo "$pass passed, $fail failed"
test $fail -eq 0
