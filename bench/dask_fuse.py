#!/usr/bin/python3
"""The Dask peer of bench/plan_bench: time dask.optimization.fuse_linear on a
jobfuse-job/1 file.

    /usr/bin/python3 bench/dask_fuse.py JOB.json [--reps 3]

Loads the job (not timed), builds a Dask graph {id: (noop, *dep_ids)} so
that Dask sees every dependency as a task key, and times only

    dask.optimization.fuse_linear(dsk, keys=<sinks>)

(the sinks are the outputs a caller would ask for, so they are not fused
away), median of --reps calls. As a stricter peer it also times the same
call with `dependencies=` precomputed, which spares Dask the dependency scan
that jobfuse does at validation, outside its own combine time.

Prints one parseable line:

    dask_fuse_linear_s=0.812 dask_fuse_linear_deps_s=0.601 tasks_before=...
    edges_before=... tasks_after=... reps=3 dask_version=...

Exit status 2 when the file cannot be read, 3 when Dask is missing.
"""
import gc
import json
import statistics
import sys
import time


def noop(*args):
    return None


def load_graph(path):
    """The job's tasks as {id: (noop, *deps)} and the sinks' ids."""
    with open(path, "r", encoding="utf-8") as f:
        job = json.load(f)
    if job.get("format") != "jobfuse-job/1":
        raise ValueError("%s: not a jobfuse-job/1 file" % path)
    dsk, has_dependent, edges = {}, set(), 0
    for task in job["tasks"]:
        deps = [d if isinstance(d, str) else d["task"] for d in task.get("deps", [])]
        dsk[task["id"]] = (noop, *deps)
        has_dependent.update(deps)
        edges += len(deps)
    sinks = [k for k in dsk if k not in has_dependent]
    return dsk, sinks, edges


def median_time(fn, reps):
    """Median wall time of reps calls of fn, and its last result."""
    times, result = [], None
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if _ + 1 < reps:
            result = None
    return statistics.median(times), result


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    reps = int(argv[argv.index("--reps") + 1]) if "--reps" in argv else 3
    try:
        import dask
        from dask.optimization import fuse_linear
        from dask.core import get_dependencies
    except ImportError as e:
        print("dask_fuse.py: dask is not installed (%s)" % e, file=sys.stderr)
        return 3
    try:
        dsk, sinks, edges = load_graph(argv[1])
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("dask_fuse.py: %s" % e, file=sys.stderr)
        return 2
    keys = set(sinks)
    t_plain, (fused, _) = median_time(lambda: fuse_linear(dsk, keys=keys), reps)
    deps = {k: get_dependencies(dsk, k, as_list=True) for k in dsk}
    t_deps, _ = median_time(lambda: fuse_linear(dsk, keys=keys, dependencies=deps), reps)
    print("dask_fuse_linear_s=%.6f dask_fuse_linear_deps_s=%.6f tasks_before=%d "
          "edges_before=%d tasks_after=%d reps=%d dask_version=%s"
          % (t_plain, t_deps, len(dsk), edges, len(fused), reps, dask.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
