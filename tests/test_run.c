/* Differential test of the local executor: random jobs of every shape, run
 * by pools of 1-4 threads on plans with every task alone and on combined
 * plans, against a serial reference. Every task is a C-API task whose
 * record checks that all its predecessors are done, counts its runs and
 * computes a value from its predecessors' values; after a run every task
 * ran once, none before its predecessors, and every value equals the
 * serial one. The same executors run every plan in a row.
 *
 * Also: jobs of jf_gen's shapes with noop/spin/sleep work, traces, progress
 * reports, an empty plan, a plan that is one huge target, one plan run by
 * two executors at once, the accuracy of jf_spin_us() and the sanity of
 * jf_measure_dispatch_ns().
 *
 *   test_run            4000 random jobs (400 with JF_TEST_QUICK=1)
 *   JF_TEST_SEED=N      another base seed
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/gen.h"
#include "jobfuse/run.h"

#define BASE_SEED 0x72756e6e6572ULL
#define MAX_THREADS 4

static jf_executor *pools[MAX_THREADS + 1]; /* by thread count */


/* ---- a job of checking tasks ---------------------------------------------- */

typedef struct world world;

typedef struct {
    world *w;
    uint32_t task;
    atomic_int runs, done;
    _Atomic uint64_t value;
} rec;

struct world {
    jf_job *job;
    rec *recs;
    uint64_t *ref; /* the serial reference values */
    atomic_uint violations;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xbf58476d1ce4e5b9ULL;
}

/* The value of task t from its predecessors' values (sorted by task). */
static uint64_t value_of(const world *w, uint32_t t, int serial)
{
    const uint32_t *pred;
    uint32_t np = jf_job_pred(w->job, t, &pred, NULL);
    uint64_t h = mix(0x5eed, t);
    for (uint32_t i = 0; i < np; i++)
        h = mix(h, serial ? w->ref[pred[i]]
                          : atomic_load_explicit(&w->recs[pred[i]].value, memory_order_relaxed));
    return h;
}

static int check_task(void *arg)
{
    rec *r = arg;
    world *w = r->w;
    const uint32_t *pred;
    uint32_t np = jf_job_pred(w->job, r->task, &pred, NULL);
    for (uint32_t i = 0; i < np; i++)
        if (!atomic_load_explicit(&w->recs[pred[i]].done, memory_order_acquire))
            atomic_fetch_add(&w->violations, 1);
    atomic_store_explicit(&r->value, value_of(w, r->task, 0), memory_order_relaxed);
    atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed);
    atomic_store_explicit(&r->done, 1, memory_order_release);
    return 0;
}

/* The job of a spec, with a checking task per node (same indices). */
static void world_build(world *w, const jf_test_spec *s)
{
    memset(w, 0, sizeof *w);
    w->recs = jf_test_alloc(s->n, sizeof *w->recs);
    w->ref = jf_test_alloc(s->n, sizeof *w->ref);
    if (jf_job_create("run", &w->job) != JF_OK)
        abort();
    int mem = jf_job_resource(w->job, "memory");
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t t;
        w->recs[i].w = w;
        w->recs[i].task = i;
        JF_CHECK_STATUS(jf_job_add_task(w->job, check_task, &w->recs[i], &t), JF_OK);
    }
    for (uint32_t v = 0; v < s->n; v++)
        jf_job_set_demand(w->job, s->perm[v], mem, s->demand[JF_RES_MEMORY][v]);
    for (size_t e = 0; e < s->m; e++)
        jf_job_add_dep(w->job, s->perm[s->from[e]], s->perm[s->to[e]], s->bytes[e]);
    JF_CHECK_STATUS(jf_job_validate(w->job), JF_OK);
    const uint32_t *topo = jf_job_topo_order(w->job);
    for (uint32_t i = 0; i < s->n; i++)
        w->ref[topo[i]] = value_of(w, topo[i], 1);
}

static void world_reset(world *w)
{
    uint32_t n = jf_job_task_count(w->job);
    for (uint32_t i = 0; i < n; i++) {
        atomic_store(&w->recs[i].runs, 0);
        atomic_store(&w->recs[i].done, 0);
        atomic_store(&w->recs[i].value, 0);
    }
    atomic_store(&w->violations, 0);
}

static void world_free(world *w)
{
    jf_job_destroy(w->job);
    free(w->recs);
    free(w->ref);
}

/* ---- checks on a finished run --------------------------------------------- */

static void check_world(const world *w)
{
    uint32_t n = jf_job_task_count(w->job), bad = 0;
    JF_CHECK_U(atomic_load(&w->violations), ==, 0);
    for (uint32_t t = 0; t < n && bad < 5; t++) {
        int ok = JF_CHECK_I(atomic_load(&w->recs[t].runs), ==, 1);
        ok &= JF_CHECK_U(atomic_load(&w->recs[t].value), ==, w->ref[t]);
        bad += !ok;
    }
}

/* Slices: one per target, on a real worker, after all predecessors. */
static void check_slices(const jf_plan *plan, const jf_run_stats *st)
{
    uint32_t nt = jf_plan_target_count(plan);
    if (!JF_CHECK_U(st->n_slices, ==, nt) || !JF_CHECK(nt == 0 || st->slices))
        return;
    for (uint32_t t = 0; t < nt; t++) {
        const jf_slice *s = &st->slices[t];
        const uint32_t *pred;
        const uint64_t *bytes;
        if (!JF_CHECK_U(s->target, ==, t) || !JF_CHECK_U(s->worker, <, st->threads) ||
            !JF_CHECK_U(s->start_ns, <=, s->end_ns))
            return;
        uint32_t np = jf_plan_target_pred(plan, t, &pred, &bytes);
        for (uint32_t i = 0; i < np; i++)
            if (!JF_CHECK_U(st->slices[pred[i]].end_ns, <=, s->start_ns))
                return;
    }
}

static void check_stats(const jf_plan *plan, const jf_run_stats *st, int threads, int trace)
{
    JF_CHECK_U(st->tasks, ==, jf_job_task_count(jf_plan_job(plan)));
    JF_CHECK_U(st->targets, ==, jf_plan_target_count(plan));
    JF_CHECK_I(st->threads, ==, threads);
    JF_CHECK_I(st->failed, ==, 0);
    JF_CHECK(st->run_s >= 0 && st->run_s < 60);
    double busy = 0;
    for (int i = 0; st->worker_busy_s && i < st->threads; i++)
        busy += st->worker_busy_s[i];
    JF_CHECK(st->worker_busy_s != NULL);
    JF_CHECK_D(busy, <=, st->run_s * threads + 1e-3);
    if (trace)
        check_slices(plan, st);
    else
        JF_CHECK_U(st->n_slices, ==, 0);
}

/* ---- progress reports ----------------------------------------------------- */

typedef struct {
    uint64_t calls, last, total;
    int backwards;
} progress_log;

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    progress_log *l = user;
    l->backwards |= done < l->last || done > total;
    l->calls++;
    l->last = done;
    l->total = total;
}

/* ---- the differential test ------------------------------------------------ */

static uint32_t random_size(jf_rng *r, uint64_t i)
{
    if (i % 40 == 39)
        return 2000 + jf_rng_below(r, 18000);
    switch (jf_rng_below(r, 4)) {
    case 0: return 1 + jf_rng_below(r, 12);
    case 1: return 1 + jf_rng_below(r, 60);
    default: return 1 + jf_rng_below(r, 400);
    }
}

static jf_plan *random_plan(jf_rng *r, world *w, int combined)
{
    jf_plan *plan = NULL;
    if (!combined) {
        JF_CHECK_STATUS(jf_plan_identity(w->job, &plan), JF_OK);
        return plan;
    }
    jf_combine_params cp = jf_combine_default_params();
    cp.degree_threshold = 2 + jf_rng_below(r, 2);
    cp.max_members = jf_rng_chance(r, 0.5) ? 0 : 1 + jf_rng_below(r, 30);
    if (jf_rng_chance(r, 0.5)) {
        jf_test_add_limit(cp.capacity, &cp.n_capacity, "memory", 1e9, 0);
        jf_test_add_limit(cp.demand_threshold, &cp.n_demand_threshold, "memory", 60, 1);
    }
    JF_CHECK_STATUS(jf_combine(w->job, &cp, &plan, NULL), JF_OK);
    return plan;
}

static void run_checked(world *w, const jf_plan *plan, int threads, jf_rng *r)
{
    jf_run_params rp = jf_run_default_params();
    jf_run_stats st;
    progress_log log = {0, 0, 0, 0};
    rp.trace = jf_rng_chance(r, 0.3);
    if (jf_rng_chance(r, 0.2)) {
        rp.progress = on_progress;
        rp.progress_user = &log;
        rp.progress_interval_s = jf_rng_chance(r, 0.5) ? 0 : 1e-4;
    }
    world_reset(w);
    JF_CHECK_STATUS(jf_run(pools[threads], plan, &rp, &st), JF_OK);
    JF_CHECK(strcmp(jf_executor_errmsg(pools[threads]), "") == 0);
    check_world(w);
    check_stats(plan, &st, threads, rp.trace);
    if (rp.progress) {
        JF_CHECK_U(log.calls, >=, 1);
        JF_CHECK_U(log.last, ==, jf_plan_target_count(plan));
        JF_CHECK_U(log.total, ==, jf_plan_target_count(plan));
        JF_CHECK_I(log.backwards, ==, 0);
    }
    jf_run_stats_free(&st);
}

static uint64_t test_differential(uint64_t base, uint64_t cases)
{
    uint64_t tasks = 0;
    for (uint64_t i = 0; i < cases; i++) {
        jf_rng r = jf_rng_seed(jf_rng_case_seed(base, i));
        jf_test_shape shape = (jf_test_shape)(i % JF_SHAPE_COUNT);
        jf_test_spec spec;
        jf_test_spec_random(&r, shape, random_size(&r, i), &spec);
        jf_test_context("seed %llu case %llu shape %s n %u", (unsigned long long)base,
                        (unsigned long long)i, jf_test_shape_name(shape), (unsigned)spec.n);
        world w;
        world_build(&w, &spec);
        for (int combined = 0; combined < 2; combined++) {
            jf_plan *plan = random_plan(&r, &w, combined);
            for (int threads = 1; plan && threads <= MAX_THREADS; threads++)
                run_checked(&w, plan, threads, &r);
            jf_plan_destroy(plan);
        }
        tasks += spec.n;
        world_free(&w);
        jf_test_spec_free(&spec);
    }
    jf_test_context("%s", "");
    return tasks;
}

/* ---- jobs of jf_gen with work instead of functions ------------------------ */

static void run_gen(jf_gen_shape shape, uint64_t size, jf_work work)
{
    jf_gen_params g = jf_gen_default_params();
    g.shape = shape;
    g.size = size;
    g.seed = 7;
    g.work = work;
    jf_job *job = NULL;
    jf_test_context("gen %s size %llu", jf_gen_shape_name(shape), (unsigned long long)size);
    if (!JF_CHECK_STATUS(jf_gen(&g, &job), JF_OK)) {
        jf_job_destroy(job);
        return;
    }
    for (int combined = 0; combined < 2; combined++) {
        jf_plan *plan = NULL;
        jf_combine_params cp = jf_combine_default_params();
        JF_CHECK_STATUS(combined ? jf_combine(job, &cp, &plan, NULL) : jf_plan_identity(job, &plan),
                        JF_OK);
        for (int threads = 1; plan && threads <= MAX_THREADS; threads++) {
            jf_run_params rp = jf_run_default_params();
            rp.trace = threads % 2;
            jf_run_stats st;
            JF_CHECK_STATUS(jf_run(pools[threads], plan, &rp, &st), JF_OK);
            check_stats(plan, &st, threads, rp.trace);
            jf_run_stats_free(&st);
        }
        jf_plan_destroy(plan);
    }
    jf_job_destroy(job);
    jf_test_context("%s", "");
}

static void test_gen_shapes(void)
{
    jf_work noop = {JF_WORK_NOOP, 0}, spin = {JF_WORK_SPIN, 0.5}, nap = {JF_WORK_SLEEP, 20};
    run_gen(JF_GEN_CHAIN, 3000, noop);
    run_gen(JF_GEN_PAR, 3000, noop);
    run_gen(JF_GEN_TREE, 11, noop);
    run_gen(JF_GEN_WAVEFRONT, 50, spin);
    run_gen(JF_GEN_LAYERED, 40, spin);
    run_gen(JF_GEN_RANDOM, 2000, noop);
    run_gen(JF_GEN_PAR, 40, nap);
    run_gen(JF_GEN_CHAIN, 20, nap);
}

/* ---- corner cases ---------------------------------------------------------- */

static void test_empty(void)
{
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    JF_CHECK_STATUS(jf_job_create("empty", &job), JF_OK);
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    JF_CHECK_STATUS(jf_plan_identity(job, &plan), JF_OK);
    for (int threads = 1; plan && threads <= MAX_THREADS; threads++) {
        jf_run_params rp = jf_run_default_params();
        rp.trace = 1;
        jf_run_stats st;
        JF_CHECK_STATUS(jf_run(pools[threads], plan, &rp, &st), JF_OK);
        JF_CHECK_U(st.tasks, ==, 0);
        JF_CHECK_U(st.targets, ==, 0);
        JF_CHECK_U(st.n_slices, ==, 0);
        JF_CHECK_I(st.threads, ==, threads);
        jf_run_stats_free(&st);
        JF_CHECK_STATUS(jf_run(pools[threads], plan, NULL, NULL), JF_OK);
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
}

/* A long chain combined into one target: its members run in order on one
 * worker, in one dispatch. */
static void test_huge_target(void)
{
    uint32_t n = jf_test_quick() ? 20000 : 100000;
    jf_test_spec spec;
    jf_rng r = jf_rng_seed(11);
    jf_test_spec_random(&r, JF_SHAPE_CHAIN, n, &spec);
    world w;
    world_build(&w, &spec);
    jf_plan *plan = NULL;
    jf_combine_params cp = jf_combine_default_params();
    JF_CHECK_STATUS(jf_combine(w.job, &cp, &plan, NULL), JF_OK);
    if (plan && JF_CHECK_U(jf_plan_target_count(plan), ==, 1)) {
        for (int threads = 1; threads <= MAX_THREADS; threads++) {
            jf_run_params rp = jf_run_default_params();
            rp.trace = 1;
            jf_run_stats st;
            world_reset(&w);
            JF_CHECK_STATUS(jf_run(pools[threads], plan, &rp, &st), JF_OK);
            check_world(&w);
            check_stats(plan, &st, threads, 1);
            jf_run_stats_free(&st);
        }
    }
    jf_plan_destroy(plan);
    world_free(&w);
    jf_test_spec_free(&spec);
}

/* One plan, two executors, two threads, at the same time. */
typedef struct {
    const jf_plan *plan;
    jf_executor *ex;
    int failures;
} runner;

static void *run_many(void *arg)
{
    runner *rn = arg;
    for (int i = 0; i < 20; i++) {
        jf_run_stats st;
        jf_status s = jf_run(rn->ex, rn->plan, NULL, &st);
        rn->failures += s != JF_OK || st.targets != jf_plan_target_count(rn->plan);
        jf_run_stats_free(&st);
    }
    return NULL;
}

static void test_shared_plan(void)
{
    jf_gen_params g = jf_gen_default_params();
    g.shape = JF_GEN_LAYERED;
    g.size = 30;
    g.tasks = 3000;
    g.work.kind = JF_WORK_NOOP;
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    JF_CHECK_STATUS(jf_gen(&g, &job), JF_OK);
    JF_CHECK_STATUS(jf_plan_identity(job, &plan), JF_OK);
    runner a = {plan, pools[2], 0}, b = {plan, NULL, 0};
    JF_CHECK_STATUS(jf_executor_local_create(2, &b.ex), JF_OK);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run_many, &a);
    pthread_create(&tb, NULL, run_many, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    JF_CHECK_I(a.failures, ==, 0);
    JF_CHECK_I(b.failures, ==, 0);
    jf_executor_destroy(b.ex);
    jf_plan_destroy(plan);
    jf_job_destroy(job);
}

static void test_executor_basics(void)
{
    jf_executor *ex = NULL;
    JF_CHECK_STATUS(jf_executor_local_create(0, &ex), JF_OK);
    JF_CHECK_I(jf_executor_threads(ex), >=, 1);
    JF_CHECK(strcmp(jf_executor_name(ex), "local") == 0);
    JF_CHECK(strcmp(jf_executor_errmsg(ex), "") == 0);
    jf_executor_destroy(ex);
    jf_executor_destroy(NULL);
    jf_run_stats_free(NULL);
    for (int t = 1; t <= 2; t++) {
        double ns = jf_measure_dispatch_ns(pools[t]);
        JF_CHECK_D(ns, >, 0);
        JF_CHECK_D(ns, <, 1e5);
    }
    jf_run_params rp = jf_run_default_params();
    JF_CHECK(rp.stop == NULL && rp.progress == NULL && rp.trace == 0);
    JF_CHECK_D(rp.progress_interval_s, ==, 0.2);
}

/* ---- spinning ---------------------------------------------------------------- */

/* Seconds per call of jf_spin_us(us), the fastest of `reps` batches:
 * preemption can only make a batch slower. */
static double fastest_spin_s(double us, int calls, int reps)
{
    double best = INFINITY;
    for (int i = 0; i < reps; i++) {
        double start = jf_test_now_s();
        for (int c = 0; c < calls; c++)
            jf_spin_us(us);
        double t = (jf_test_now_s() - start) / calls;
        best = t < best ? t : best;
    }
    return best;
}

static void test_spin(void)
{
    jf_spin_us(1); /* calibrates */
    double ms = fastest_spin_s(1000, 1, 9) * 1e3;
    JF_CHECK_D(ms, >=, 0.9);
    JF_CHECK_D(ms, <=, 1.5);
    double us = fastest_spin_s(1, 2000, 9) * 1e6;
    JF_CHECK_D(us, >=, 0.9);
    JF_CHECK_D(us, <=, 1.5);
    double zero = fastest_spin_s(0, 1000, 5) * 1e6;
    JF_CHECK_D(zero, <, 0.5);
    jf_spin_us(-1);
}

int main(void)
{
    jf_alloc_stats before, after;
    alarm(300); /* a hung run fails the test instead of stalling it */
    jf_alloc_get_stats(&before);
    const char *env = getenv("JF_TEST_SEED");
    uint64_t base = env ? strtoull(env, NULL, 0) : BASE_SEED;
    uint64_t cases = jf_test_quick() ? 400 : 4000;
    for (int t = 1; t <= MAX_THREADS; t++)
        if (!JF_CHECK_STATUS(jf_executor_local_create(t, &pools[t]), JF_OK))
            return jf_test_finish("test_run", "jobs", 0);
    test_executor_basics();
    test_spin();
    test_empty();
    test_huge_target();
    test_gen_shapes();
    test_shared_plan();
    uint64_t tasks = test_differential(base, cases);
    for (int t = 1; t <= MAX_THREADS; t++)
        jf_executor_destroy(pools[t]);
    jf_alloc_get_stats(&after);
    JF_CHECK_U(after.bytes_in_use, ==, before.bytes_in_use);
    printf("test_run: %llu tasks in random jobs\n", (unsigned long long)tasks);
    return jf_test_finish("test_run", "jobs", cases);
}
