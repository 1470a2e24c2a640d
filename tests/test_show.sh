#!/usr/bin/env bash
# jobfuse show: DOT and SVG of jobs and plans, reading plans back, bad input.
# usage: test_show.sh JOBFUSE_BIN TESTS_SRC_DIR TESTS_BIN_DIR
set -u
BIN=$1
OUTDIR=${3:-${TMPDIR:-/tmp}}
mkdir -p "$OUTDIR"
W=$(mktemp -d "$OUTDIR/show.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# expect STATUS CMD...: run CMD, keep stdout in out.txt and stderr in err.txt.
expect() {
    local want=$1; shift
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "exit $got, wanted $want: $*"
        sed 's/^/    stderr: /' err.txt >&2
    fi
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2"; }
has_re() { grep -qE -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$1 should not contain: $2"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
count() { grep -cE -- "$2" "$1"; }
have_dot() { command -v dot >/dev/null 2>&1; }
# The DOT must be accepted by Graphviz when it is installed.
dot_ok() { ! have_dot || dot -Tcanon "$1" >/dev/null 2>dot_err.txt || fail "dot rejects $1: $(cat dot_err.txt)"; }

# ---- a small job: a chain, a branch, an id that needs escaping ----------
cat >job.json <<'EOF'
{"format": "jobfuse-job/1", "name": "demo",
 "resources": {"memory": "sum", "time": "sum", "threads": "max"},
 "tasks": [
   {"id": "load", "demand": {"memory": 4096, "time": 3}, "work": {"kind": "spin", "us": 3}},
   {"id": "scale", "op": "Mul", "deps": [{"task": "load", "bytes": 4096}], "demand": {"memory": 8192, "time": 1}},
   {"id": "save", "deps": [{"task": "scale", "bytes": 1536}], "demand": {"memory": 4096}},
   {"id": "side", "deps": ["load"], "demand": {"memory": 16}},
   {"id": "we\"ird\\id", "deps": [{"task": "side", "bytes": 3145728}], "demand": {"memory": 16}},
   {"id": "join", "deps": ["save", "we\"ird\\id"], "demand": {"memory": 16}}
 ]}
EOF

expect 0 "$BIN" show job.json --dot
cp out.txt job.dot
has job.dot 'digraph "demo"'
for id in load scale save side join 'we\"ird\\id'; do
    has job.dot "label=\"$id"
done
has job.dot 'label="scale\nMul"'
[ "$(count job.dot ' -> ')" = 6 ] || fail "job.dot: $(count job.dot ' -> ') edges, wanted 6"
has job.dot '[label="4 KiB"]'
has job.dot '[label="1.5 KiB"]'
has job.dot '[label="3 MiB"]'
lacks job.dot 'subgraph cluster_'
dot_ok job.dot
# -o writes the same text to a file, and nothing to stdout
expect 0 "$BIN" show job.json --dot -o written.dot
cmp -s written.dot job.dot || fail "show --dot -o differs from stdout"
[ ! -s out.txt ] || fail "show --dot -o also wrote to stdout"
ls written.dot.tmp.* >/dev/null 2>&1 && fail "temporary file left behind"

# ---- a plan written by hand: load+scale+save combined ---------------------
mkdir -p plans
write_plan() { # write_plan FILE JOB_REF SHA TARGETS_JSON
    cat >"$1" <<EOF
{"format": "jobfuse-plan/1", "job": "demo", "options": {"degree_threshold": 2},
 "source": {"path": "$2", "sha256": "$3"},
 "targets": $4,
 "summary": {"tasks_before": 6, "tasks_after": 4}}
EOF
}
GOOD='[{"id": "T0", "members": ["load", "scale", "save"]}, {"id": "T1", "members": ["side"]},
       {"id": "T2", "members": ["we\"ird\\id"]}, {"id": "T3", "members": ["join"]}]'
write_plan plans/hand.json ../job.json "$(sha job.json)" "$GOOD"
expect 0 "$BIN" show plans/hand.json --dot
cp out.txt hand.dot
[ "$(count hand.dot 'subgraph cluster_T[0-9]+ \{')" = 1 ] || fail "hand.dot: wanted 1 cluster"
has_re hand.dot 'label="T[0-9]+ \(3 tasks\)"'
[ "$(count hand.dot ' -> ')" = 6 ] || fail "hand.dot: wanted the 6 edges of the job"
# the cluster holds exactly load, scale, save
sed -n '/subgraph cluster_/,/^    }/p' hand.dot >cluster.txt
for id in load scale save; do has cluster.txt "label=\"$id"; done
for id in side join; do lacks cluster.txt "label=\"$id"; done
dot_ok hand.dot
# the source path is relative to the plan's folder, not the current one
cd plans && expect 0 "$BIN" show hand.json --dot
cd "$W" || exit 1
cp plans/hand.json abs.json
write_plan abs.json "$W/job.json" "$(sha job.json)" "$GOOD"
expect 0 "$BIN" show abs.json --dot

# ---- plans that must be refused with exit 2 -----------------------------
write_plan plans/bad.json ../job.json "$(sha job.json)" \
    '[{"id": "T0", "members": ["load", "scale", "save", "side", "join"]}, {"id": "T1", "members": ["ghost"]}]'
expect 2 "$BIN" show plans/bad.json --dot
has err.txt '"ghost"'
write_plan plans/bad.json ../job.json "$(sha job.json)" \
    '[{"id": "T0", "members": ["load", "scale", "save", "side", "join"]}]'
expect 2 "$BIN" show plans/bad.json --dot
has err.txt 'in no target'
write_plan plans/bad.json ../job.json "$(sha job.json)" \
    '[{"id": "T0", "members": ["load", "scale", "save", "side", "join", "we\"ird\\id"]}, {"id": "T1", "members": ["load"]}]'
expect 2 "$BIN" show plans/bad.json --dot
has err.txt 'two targets'
write_plan plans/bad.json ../job.json "0000000000000000000000000000000000000000000000000000000000000000" "$GOOD"
expect 2 "$BIN" show plans/bad.json --dot
has err.txt 'changed since the plan was made'
write_plan plans/bad.json ../nowhere.json "$(sha job.json)" "$GOOD"
expect 2 "$BIN" show plans/bad.json --dot
has err.txt 'nowhere.json'
write_plan plans/bad.json ../job.json "$(sha job.json)" \
    '[{"id": "A", "members": ["load", "join"]}, {"id": "B", "members": ["scale", "save"]},
      {"id": "C", "members": ["side", "we\"ird\\id"]}]'
expect 2 "$BIN" show plans/bad.json --dot
has err.txt 'cycle between targets'
# a job edited after its plan was made
cp job.json edited.json
write_plan plans/edited.json ../edited.json "$(sha edited.json)" "$GOOD"
expect 0 "$BIN" show plans/edited.json --dot
sed -i 's/"time": 3/"time": 4/' edited.json
expect 2 "$BIN" show plans/edited.json --dot
has err.txt 'edited.json changed since the plan was made'
[ ! -s out.txt ] || fail "a refused plan still printed DOT"

# ---- bad files and usage ------------------------------------------------
printf '{"format": "jobfuse-job/1",\n "tasks": [ {"id": "a",, } ]}\n' >broken.json
expect 2 "$BIN" show broken.json --dot
has_re err.txt 'broken\.json:2:[0-9]+: '
printf '{"format": "jobfuse-plan/1",\n  "targets": [\n' >broken_plan.json
expect 2 "$BIN" show broken_plan.json --dot
has_re err.txt 'broken_plan\.json:[0-9]+:[0-9]+: '
printf '{"format": "jobfuse-job/1", "tasks": [{"id": "a", "deps": ["b"]}, {"id": "b", "deps": ["a"]}]}\n' >cycle.json
expect 2 "$BIN" show cycle.json --dot
expect 2 "$BIN" show missing.json --dot
has err.txt 'missing.json'
expect 2 "$BIN" show job.json
expect 2 "$BIN" show --dot
expect 2 "$BIN" show job.json --dot --svg x.svg
expect 2 "$BIN" show job.json --dot --frobnicate
expect 2 "$BIN" show job.json --svg
expect 0 "$BIN" show --help
has out.txt 'usage: jobfuse show'
expect 1 "$BIN" show job.json --dot -o "$W/no/such/dir/out.dot"  # cannot write: like gen -o

# ---- SVG ----------------------------------------------------------------
if have_dot; then
    expect 0 "$BIN" show plans/hand.json --svg hand.svg
    has hand.svg '<svg'
    has hand.svg '3 tasks'
    ls hand.svg.* >/dev/null 2>&1 && fail "temporary files left beside hand.svg"
    expect 0 "$BIN" show job.json --svg -
    has out.txt '<svg'
else
    echo "note: Graphviz's dot is not installed; SVG rendering not checked" >&2
fi
# without dot on PATH: a clear message, exit 2, no file
expect 2 env PATH="$W/empty" "$BIN" show job.json --svg nodot.svg
has err.txt "needs Graphviz's dot"
[ ! -e nodot.svg ] || fail "nodot.svg written without dot"
ls nodot.svg.* >/dev/null 2>&1 && fail "temporary files left beside nodot.svg"

# ---- a big job: drawn as its combined graph -----------------------------
N=6000
awk -v n=$N 'BEGIN {
    printf "{\"format\": \"jobfuse-job/1\", \"name\": \"big\", \"tasks\": [\n"
    for (i = 0; i < n; i++) {
        printf "{\"id\": \"c%d\", \"demand\": {\"memory\": 1}", i
        if (i > 0) printf ", \"deps\": [{\"task\": \"c%d\", \"bytes\": 1024}]", i - 1
        printf "}%s\n", i + 1 < n ? "," : ""
    }
    printf "]}\n" }' >big.json
targets=$(awk -v n=$N 'BEGIN {
    printf "["
    for (t = 0; t < n / 100; t++) {
        printf "%s{\"id\": \"T%d\", \"members\": [", t ? ", " : "", t
        for (i = 0; i < 100; i++) printf "%s\"c%d\"", i ? ", " : "", t * 100 + i
        printf "]}"
    }
    printf "]" }')
write_plan big_plan.json big.json "$(sha big.json)" "$targets"
expect 0 "$BIN" show big_plan.json --dot
cp out.txt big_plan.dot
has big_plan.dot 'drawn as the combined graph'
[ "$(count big_plan.dot '^    t[0-9]+ \[label=')" = 60 ] || fail "big_plan.dot: wanted 60 target nodes"
[ "$(count big_plan.dot ' -> ')" = 59 ] || fail "big_plan.dot: wanted 59 target edges"
has big_plan.dot '[label="1 KiB"]'
lacks big_plan.dot 'label="c1"'
dot_ok big_plan.dot
# the job alone is combined first (or drawn whole, with a warning, when it cannot be)
expect 0 "$BIN" show big.json --dot
if grep -q 'drawn as the combined graph' out.txt; then
    [ "$(count out.txt '^    t[0-9]+ \[label=')" -lt $N ] || fail "big job not combined"
else
    has err.txt 'drawn whole'
    [ "$(count out.txt ' -> ')" = $((N - 1)) ] || fail "big job drawn whole lacks edges"
fi

# ---- plans made by `jobfuse plan` -----------------------------------------
if "$BIN" plan --help >/dev/null 2>&1; then
    expect 0 "$BIN" plan job.json -o made.json
    expect 0 "$BIN" show made.json --dot
    cp out.txt made.dot
    has_re made.dot 'subgraph cluster_T[0-9]+ \{'
    for id in load scale save side join; do has made.dot "label=\"$id"; done
    [ "$(count made.dot ' -> ')" = 6 ] || fail "made.dot: wanted the 6 edges of the job"
    dot_ok made.dot
    sed -i 's/"memory": 16}/"memory": 17}/' job.json
    expect 2 "$BIN" show made.json --dot
    has err.txt 'changed since the plan was made'
else
    echo "note: \`jobfuse plan --help\` fails; plans made by jobfuse plan not checked" >&2
fi

if [ "$failures" -ne 0 ]; then
    echo "test_show: $failures failure(s)" >&2
    exit 1
fi
echo "test_show: ok"
