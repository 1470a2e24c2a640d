/* Build a job in memory with C functions as tasks, combine it for running
 * and run it on all cores: no JSON in between.
 *
 *   build/examples/capi_run [TASKS]
 *
 * The job is a fan of independent chains: chain c computes a running sum
 * in sums[c]; every link adds its index. The result is checked at the end. */
#include <stdio.h>
#include <stdlib.h>

#include "jobfuse/combine.h"
#include "jobfuse/run.h"

enum { CHAINS = 64 };

typedef struct {
    long long *sum;
    long long value;
} link_arg;

static int add_link(void *arg)
{
    link_arg *a = arg;
    *a->sum += a->value; /* links of one chain never run at the same time */
    return 0;
}

static jf_status build(jf_job *job, link_arg *args, long long *sums, uint32_t tasks)
{
    int time = jf_job_resource(job, "time");
    uint32_t prev[CHAINS];
    for (uint32_t i = 0; i < tasks; i++) {
        uint32_t c = i % CHAINS, t;
        args[i] = (link_arg){&sums[c], i};
        jf_status st = jf_job_add_task(job, add_link, &args[i], &t);
        if (st == JF_OK)
            st = jf_job_set_demand(job, t, time, 0.01); /* an estimate, in microseconds */
        if (st == JF_OK && i >= CHAINS)
            st = jf_job_add_dep(job, prev[c], t, sizeof(long long));
        if (st != JF_OK)
            return st;
        prev[c] = t;
    }
    return jf_job_validate(job);
}

int main(int argc, char **argv)
{
    uint32_t tasks = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    link_arg *args = calloc(tasks, sizeof *args);
    long long sums[CHAINS] = {0}, expect = 0;
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    jf_executor *ex = NULL;
    jf_status st = args ? jf_job_create("capi", &job) : JF_ENOMEM;
    if (st == JF_OK)
        st = build(job, args, sums, tasks);
    if (st == JF_OK)
        st = jf_executor_local_create(0, &ex); /* one worker per core */
    if (st == JF_OK) {
        jf_run_combine_params rp = jf_run_combine_default_params();
        rp.threads = jf_executor_threads(ex);
        rp.dispatch_ns = jf_measure_dispatch_ns(ex);
        st = jf_combine_for_run(job, &rp, &plan, NULL);
    }
    jf_run_stats stats = {0};
    if (st == JF_OK)
        st = jf_run(ex, plan, NULL, &stats);
    for (uint32_t i = 0; i < tasks; i++)
        expect += i;
    long long total = 0;
    for (int c = 0; c < CHAINS; c++)
        total += sums[c];
    if (st == JF_OK)
        printf("%u tasks in %u targets on %d threads: %.3f ms, sum %lld (%s)\n", tasks,
               jf_plan_target_count(plan), stats.threads, stats.run_s * 1e3, total,
               total == expect ? "correct" : "WRONG");
    else
        fprintf(stderr, "capi_run: %s: %s\n", jf_status_str(st), job ? jf_job_errmsg(job) : "");
    jf_run_stats_free(&stats);
    jf_executor_destroy(ex);
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    free(args);
    return st == JF_OK && total == expect ? 0 : 1;
}
