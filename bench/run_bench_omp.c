/* run_bench_omp.c — the OpenMP peer of run_bench: tasks with depend
 * clauses, as one would write the graph by hand with gcc's libgomp.
 *
 * One thread of a team of `threads` walks the tasks in index order and
 * creates one OpenMP task per graph task. Dependencies go through one
 * sentinel byte per task: depend(out: dep[i]) for a task that has
 * successors, depend(in: dep[p]) for each predecessor p (an OpenMP 5.0
 * depend iterator, since in-degrees vary). A task with neither gets no
 * depend clause, which spares libgomp its dependency hash for the
 * embarrassingly parallel shape. Built only with -fopenmp. */
#include <stdlib.h>

#include "run_bench.h"

/* Create the task for graph task i (called by the producer thread only). */
static void spawn(const rb_graph *g, uint32_t i, char *dep, jf_task_fn fn, uint32_t *arg_base)
{
    const uint32_t *p = g->pred + g->pred_off[i];
    int c = (int)(g->pred_off[i + 1] - g->pred_off[i]);
    uint32_t *arg = &arg_base[i];
    /* clang-format off */
    if (c == 0 && !g->has_succ[i]) {
#pragma omp task firstprivate(arg)
        fn(arg);
    } else if (!g->has_succ[i]) {
#pragma omp task firstprivate(arg) depend(iterator(int j = 0 : c), in : dep[p[j]])
        fn(arg);
    } else {
#pragma omp task firstprivate(arg) depend(iterator(int j = 0 : c), in : dep[p[j]])          \
    depend(out : dep[i])
        fn(arg);
    }
    /* clang-format on */
    (void)p; /* used by the iterators only; gcc 12 calls c and p unused */
    (void)c;
}

int rb_omp_run(const rb_graph *g, int threads, jf_task_fn fn, uint32_t *arg_base)
{
    char *dep = malloc(g->n ? g->n : 1);
    if (!dep)
        return -1;
#pragma omp parallel num_threads(threads)
#pragma omp single
    for (uint32_t i = 0; i < g->n; i++)
        spawn(g, i, dep, fn, arg_base);
    free(dep);
    return 0;
}
