/* run_bench_starpu.c — the StarPU peer of run_bench (Debian's
 * libstarpu-dev, starpu-1.3), default scheduler.
 *
 * One codelet without data buffers whose CPU function runs the bench's
 * task body. Each graph task becomes a starpu_task created with
 * starpu_task_create() but destroy = 0, so that a later task may still
 * name it in starpu_task_declare_deps_array() after it has run (StarPU
 * allows this while the task is valid); tasks are submitted in index order
 * (a topological order), awaited with starpu_task_wait_for_all() and then
 * destroyed. Creation, submission, waiting and destruction are all timed by
 * the caller; starpu_init()/starpu_shutdown() are not. */
#include <stdlib.h>

/* starpu.h declares a few functions without prototypes. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <starpu.h>
#pragma GCC diagnostic pop

#include "run_bench.h"

static jf_task_fn body_fn;

static void cpu_func(void *buffers[], void *cl_arg)
{
    (void)buffers;
    body_fn(cl_arg);
}

static struct starpu_codelet codelet = {
    .where = STARPU_CPU,
    .cpu_funcs = {cpu_func},
    .nbuffers = 0,
    .name = "run_bench",
};

int rb_starpu_start(int threads)
{
    struct starpu_conf conf;
    if (starpu_conf_init(&conf) != 0)
        return -1;
    conf.ncpus = threads;
    conf.ncuda = 0;
    conf.nopencl = 0;
    return starpu_init(&conf) == 0 ? 0 : -1;
}

void rb_starpu_stop(void)
{
    starpu_shutdown();
}

const char *rb_starpu_sched_name(void)
{
    struct starpu_sched_policy *p = starpu_sched_ctx_get_sched_policy(0);
    return p && p->policy_name ? p->policy_name : "?";
}

/* Create task i, tie it to its predecessors and submit it. */
static int submit_one(const rb_graph *g, uint32_t i, struct starpu_task **tasks,
                      struct starpu_task **deps, uint32_t *arg_base)
{
    struct starpu_task *t = starpu_task_create();
    if (!t)
        return -1;
    t->cl = &codelet;
    t->cl_arg = &arg_base[i];
    t->destroy = 0;
    tasks[i] = t;
    unsigned c = 0;
    for (uint64_t e = g->pred_off[i]; e < g->pred_off[i + 1]; e++)
        deps[c++] = tasks[g->pred[e]];
    starpu_task_declare_deps_array(t, c, deps);
    return starpu_task_submit(t) == 0 ? 0 : -1;
}

static uint32_t max_in_degree(const rb_graph *g)
{
    uint64_t best = 1;
    for (uint32_t i = 0; i < g->n; i++)
        if (g->pred_off[i + 1] - g->pred_off[i] > best)
            best = g->pred_off[i + 1] - g->pred_off[i];
    return (uint32_t)best;
}

int rb_starpu_run(const rb_graph *g, jf_task_fn fn, uint32_t *arg_base)
{
    struct starpu_task **tasks = calloc(g->n ? g->n : 1, sizeof *tasks);
    struct starpu_task **deps = malloc(max_in_degree(g) * sizeof *deps);
    int rc = tasks && deps ? 0 : -1;
    uint32_t made = 0;
    body_fn = fn;
    for (; rc == 0 && made < g->n; made++)
        rc = submit_one(g, made, tasks, deps, arg_base);
    starpu_task_wait_for_all();
    for (uint32_t i = 0; tasks && i < made; i++)
        if (tasks[i])
            starpu_task_destroy(tasks[i]);
    free(deps);
    free(tasks);
    return rc;
}
