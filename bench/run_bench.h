/* run_bench.h — what run_bench.c shares with its peers in
 * run_bench_omp.c (OpenMP tasks) and run_bench_starpu.c (StarPU).
 *
 * A graph is given by its predecessor lists in CSR form; task indices are a
 * topological order (every predecessor has a smaller index), so a plain
 * loop over 0..n-1 is a valid sequential schedule. Every peer runs task i
 * by calling fn(&arg_base[i]) exactly once, after all its predecessors.
 */
#ifndef RUN_BENCH_H
#define RUN_BENCH_H

#include <stdint.h>

#include "jobfuse/job.h"

typedef struct {
    uint32_t n;         /* tasks */
    uint64_t m;         /* edges */
    uint64_t *pred_off; /* n + 1 offsets into pred */
    uint32_t *pred;     /* predecessors of task i: pred[pred_off[i] .. pred_off[i+1]) */
    uint8_t *has_succ;  /* 1 when some task needs task i */
    uint32_t depth;     /* tasks on the longest path */
} rb_graph;

/* OpenMP peer: one producer thread creates a task per graph task with
 * depend(in:) on its predecessors' sentinels and depend(out:) on its own;
 * `threads` threads in the team. 0 on success. */
int rb_omp_run(const rb_graph *g, int threads, jf_task_fn fn, uint32_t *arg_base);

/* StarPU peer: starpu_init with conf.ncpus = threads and the default
 * scheduler (not timed: its idle workers poll, so the bench starts StarPU
 * just before a measurement and stops it right after). */
int rb_starpu_start(int threads);
void rb_starpu_stop(void);
/* One task per graph task, explicit dependencies
 * (starpu_task_declare_deps_array), submitted in index order, then
 * starpu_task_wait_for_all and the tasks freed. 0 on success. */
int rb_starpu_run(const rb_graph *g, jf_task_fn fn, uint32_t *arg_base);
/* The name of the scheduling policy in use ("lws"), after start. */
const char *rb_starpu_sched_name(void);

#endif
