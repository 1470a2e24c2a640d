/* Combining for running: with a dispatch cost high enough to pay, every
 * shape must come out as a valid plan (every task once, target edges
 * forward, members in dependency order) whose estimated critical path stays
 * within the allowed growth; with a cheap dispatch the tasks run alone. */
#include <stdio.h>
#include <stdlib.h>

#include "jobfuse/combine.h"
#include "jobfuse/gen.h"

static int failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

static void check_valid(const jf_job *job, const jf_plan *plan, const char *what)
{
    uint32_t n = jf_job_task_count(job), seen = 0;
    for (uint32_t g = 0; g < jf_plan_target_count(plan); g++) {
        const uint32_t *m, *succ;
        uint32_t k = jf_plan_target_members(plan, g, &m);
        seen += k;
        for (uint32_t i = 0; i < k; i++)
            CHECK(jf_plan_target_of(plan, m[i]) == g, "%s: task %u not in T%u", what, m[i], g);
        uint32_t ns = jf_plan_target_succ(plan, g, &succ, NULL);
        for (uint32_t i = 0; i < ns; i++)
            CHECK(succ[i] > g, "%s: edge T%u -> T%u goes backwards", what, g, succ[i]);
    }
    CHECK(seen == n, "%s: %u members for %u tasks", what, seen, n);
}

static void one_shape(jf_gen_shape shape, uint64_t size, uint64_t tasks)
{
    jf_gen_params gp = jf_gen_default_params();
    gp.shape = shape;
    gp.size = size;
    gp.tasks = tasks;
    gp.seed = 7;
    jf_job *job = NULL;
    if (jf_gen(&gp, &job) != JF_OK) {
        CHECK(0, "gen %s: %s", jf_gen_shape_name(shape), jf_job_errmsg(job));
        jf_job_destroy(job);
        return;
    }
    for (int expensive = 0; expensive < 2; expensive++) {
        jf_run_combine_params rp = jf_run_combine_default_params();
        rp.threads = 2;
        rp.dispatch_ns = expensive ? 20000 : 10; /* a message between machines vs a local pool */
        jf_run_combine_report r;
        jf_plan *plan = NULL;
        jf_status st = jf_combine_for_run(job, &rp, &plan, &r);
        CHECK(st == JF_OK, "%s: %s", jf_gen_shape_name(shape), jf_status_str(st));
        if (st != JF_OK)
            continue;
        check_valid(job, plan, jf_gen_shape_name(shape));
        double lower = r.est_cp_before_us > r.est_work_us / 2 ? r.est_cp_before_us
                                                               : r.est_work_us / 2;
        CHECK(r.est_cp_after_us <= r.est_cp_before_us + 0.05 * lower + 1e-6,
              "%s: critical path %g -> %g", jf_gen_shape_name(shape), r.est_cp_before_us,
              r.est_cp_after_us);
        if (!expensive)
            CHECK(jf_plan_target_count(plan) == jf_job_task_count(job),
                  "%s: combined (%u targets) although it cannot pay", jf_gen_shape_name(shape),
                  jf_plan_target_count(plan));
        if (expensive && shape != JF_GEN_WAVEFRONT)
            CHECK(jf_plan_target_count(plan) < jf_job_task_count(job),
                  "%s: nothing combined although dispatches are expensive (%s)",
                  jf_gen_shape_name(shape), r.choice);
        jf_plan_destroy(plan);
    }
    jf_job_destroy(job);
}

int main(void)
{
    one_shape(JF_GEN_CHAIN, 5000, 0);
    one_shape(JF_GEN_PAR, 5000, 0);
    one_shape(JF_GEN_TREE, 12, 0);
    one_shape(JF_GEN_WAVEFRONT, 60, 0);
    one_shape(JF_GEN_LAYERED, 50, 5000);
    one_shape(JF_GEN_RANDOM, 0, 5000);
    printf("test_for_run: 6 shapes, %d failures\n", failures);
    return failures != 0;
}
