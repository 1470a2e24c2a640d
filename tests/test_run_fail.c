/* Failures and stops of the local executor.
 *
 *  - A C-API task returning 7 in the middle of a big random job: the run
 *    is JF_ETASK with a message naming the task and the code; no task that
 *    depends on the failed one runs, no task runs twice or early, targets
 *    that were running finish, few targets start after the failure (none
 *    with one thread), and the same executor then runs the plan cleanly.
 *  - A failure inside one huge combined target stops at that member.
 *  - params.stop set from another thread mid-run: JF_EINTR within a second,
 *    also when tasks sleep or spin for long, when one target is a long
 *    chain of members and when C-API tasks sleep.
 *  - Allocation failures at every allocation of creating an executor and
 *    of a run (including a deque growing mid-run): JF_ENOMEM, no leak.
 *
 * Executors are destroyed at the end of every case: under ASan a leaked or
 * unjoined thread or block shows; the library's byte count must return to
 * where it started.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/gen.h"
#include "jobfuse/run.h"

#define BASE_SEED 0x6661696c757265ULL
#define NONE UINT32_MAX


/* ---- a job of recording tasks, one of which may fail ---------------------- */

typedef struct world world;

typedef struct {
    world *w;
    uint32_t task;
} slot;

struct world {
    jf_job *job;
    slot *slots;
    atomic_int *runs, *done;
    _Atomic uint64_t *start; /* sequence number when the task started; 0: never */
    _Atomic uint64_t seq, fail_seq;
    atomic_uint violations;
    uint32_t fail_task;
    int fail_code;
};

static int record_task(void *arg)
{
    slot *s = arg;
    world *w = s->w;
    uint32_t t = s->task;
    atomic_store(&w->start[t], atomic_fetch_add(&w->seq, 1) + 1);
    const uint32_t *pred;
    uint32_t np = jf_job_pred(w->job, t, &pred, NULL);
    for (uint32_t i = 0; i < np; i++)
        if (!atomic_load_explicit(&w->done[pred[i]], memory_order_acquire))
            atomic_fetch_add(&w->violations, 1);
    atomic_fetch_add(&w->runs[t], 1);
    if (t == w->fail_task) {
        atomic_store(&w->fail_seq, atomic_fetch_add(&w->seq, 1) + 1);
        return w->fail_code;
    }
    atomic_store_explicit(&w->done[t], 1, memory_order_release);
    return 0;
}

static void world_build(world *w, const jf_test_spec *s)
{
    memset(w, 0, sizeof *w);
    w->slots = jf_test_alloc(s->n, sizeof *w->slots);
    w->runs = jf_test_alloc(s->n, sizeof *w->runs);
    w->done = jf_test_alloc(s->n, sizeof *w->done);
    w->start = jf_test_alloc(s->n, sizeof *w->start);
    w->fail_task = NONE;
    if (jf_job_create("fail", &w->job) != JF_OK)
        abort();
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t t;
        w->slots[i] = (slot){w, i};
        JF_CHECK_STATUS(jf_job_add_task(w->job, record_task, &w->slots[i], &t), JF_OK);
    }
    for (size_t e = 0; e < s->m; e++)
        jf_job_add_dep(w->job, s->perm[s->from[e]], s->perm[s->to[e]], s->bytes[e]);
    JF_CHECK_STATUS(jf_job_validate(w->job), JF_OK);
}

static void world_reset(world *w, uint32_t fail_task, int code)
{
    uint32_t n = jf_job_task_count(w->job);
    for (uint32_t i = 0; i < n; i++) {
        atomic_store(&w->runs[i], 0);
        atomic_store(&w->done[i], 0);
        atomic_store(&w->start[i], 0);
    }
    atomic_store(&w->seq, 0);
    atomic_store(&w->fail_seq, 0);
    atomic_store(&w->violations, 0);
    w->fail_task = fail_task;
    w->fail_code = code;
}

static void world_free(world *w)
{
    jf_job_destroy(w->job);
    free(w->slots);
    free(w->runs);
    free(w->done);
    free(w->start);
}

/* below[t] = 1 for every task reachable from `from` (itself excluded). */
static unsigned char *descendants(const jf_job *job, uint32_t from)
{
    uint32_t n = jf_job_task_count(job), top = 0;
    unsigned char *below = jf_test_alloc(n, 1);
    uint32_t *stack = jf_test_alloc(n, sizeof *stack);
    stack[top++] = from;
    while (top) {
        const uint32_t *succ;
        uint32_t c = jf_job_succ(job, stack[--top], &succ, NULL);
        for (uint32_t i = 0; i < c; i++)
            if (!below[succ[i]]) {
                below[succ[i]] = 1;
                stack[top++] = succ[i];
            }
    }
    free(stack);
    return below;
}

/* ---- a failing task ------------------------------------------------------ */

/* Targets that started (first member ran): all members ran, except after
 * the failed task in its own target. Returns how many targets started
 * after the failed task returned. */
static uint32_t check_targets(const world *w, const jf_plan *plan)
{
    uint32_t late = 0, fail_seq = (uint32_t)atomic_load(&w->fail_seq);
    for (uint32_t t = 0; t < jf_plan_target_count(plan); t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem), ran = 0, stop = nm;
        for (uint32_t i = 0; i < nm; i++) {
            ran += atomic_load(&w->runs[mem[i]]) > 0;
            if (mem[i] == w->fail_task)
                stop = i + 1;
        }
        if (ran == 0)
            continue;
        if (!JF_CHECK_U(ran, ==, stop))
            jf_test_fail(__FILE__, __LINE__, "target %u started and did not finish", t);
        late += atomic_load(&w->start[mem[0]]) > fail_seq;
    }
    return late;
}

static void check_failed_run(const world *w, const jf_plan *plan, jf_executor *ex,
                             const jf_run_stats *st, jf_status s)
{
    uint32_t n = jf_job_task_count(w->job), ft = w->fail_task;
    const char *msg = jf_executor_errmsg(ex);
    JF_CHECK_STATUS(s, JF_ETASK);
    JF_CHECK_MENTIONS(msg, jf_job_task_id(w->job, ft));
    JF_CHECK_MENTIONS(msg, "7");
    JF_CHECK_I(st->failed, ==, 1);
    JF_CHECK_U(st->failed_task, ==, ft);
    JF_CHECK_I(st->failed_code, ==, 7);
    JF_CHECK_U(atomic_load(&w->violations), ==, 0);
    JF_CHECK_I(atomic_load(&w->runs[ft]), ==, 1);
    unsigned char *below = descendants(w->job, ft);
    uint64_t ran = 0;
    for (uint32_t t = 0; t < n; t++) {
        int r = atomic_load(&w->runs[t]);
        ran += r;
        if (!JF_CHECK_I(r, <=, 1) || (below[t] && !JF_CHECK_I(r, ==, 0)))
            jf_test_fail(__FILE__, __LINE__, "task %s (depends on %s: %d)",
                         jf_job_task_id(w->job, t), jf_job_task_id(w->job, ft), below[t]);
    }
    free(below);
    JF_CHECK_U(st->tasks, ==, ran);
    JF_CHECK_U(st->targets, <, jf_plan_target_count(plan));
    uint32_t late = check_targets(w, plan);
    JF_CHECK_U(late, <=, st->threads == 1 ? 0 : 16u * (uint32_t)st->threads);
}

static void check_clean_run(world *w, const jf_plan *plan, jf_executor *ex)
{
    uint32_t n = jf_job_task_count(w->job);
    jf_run_stats st;
    world_reset(w, NONE, 0);
    JF_CHECK_STATUS(jf_run(ex, plan, NULL, &st), JF_OK);
    JF_CHECK(strcmp(jf_executor_errmsg(ex), "") == 0);
    JF_CHECK_U(st.tasks, ==, n);
    JF_CHECK_I(st.failed, ==, 0);
    JF_CHECK_U(atomic_load(&w->violations), ==, 0);
    for (uint32_t t = 0; t < n; t++)
        if (!JF_CHECK_I(atomic_load(&w->runs[t]), ==, 1))
            break;
    jf_run_stats_free(&st);
}

static jf_plan *make_plan(const jf_job *job, int combined)
{
    jf_plan *plan = NULL;
    jf_combine_params cp = jf_combine_default_params();
    cp.max_members = 16;
    jf_status s =
        combined ? jf_combine((jf_job *)job, &cp, &plan, NULL) : jf_plan_identity(job, &plan);
    JF_CHECK_STATUS(s, JF_OK);
    return plan;
}

static void test_task_failure(uint64_t base, int cases)
{
    static const jf_test_shape shapes[] = {JF_SHAPE_LAYERED, JF_SHAPE_RANDOM,   JF_SHAPE_WAVEFRONT,
                                           JF_SHAPE_BRAIDS,  JF_SHAPE_DIAMONDS, JF_SHAPE_UNION};
    for (int c = 0; c < cases; c++) {
        jf_rng r = jf_rng_seed(jf_rng_case_seed(base, (uint64_t)c));
        jf_test_spec spec;
        jf_test_spec_random(&r, shapes[c % 6], 3000 + jf_rng_below(&r, 5000), &spec);
        world w;
        world_build(&w, &spec);
        uint32_t ft = jf_job_topo_order(w.job)[spec.n / 2];
        for (int combined = 0; combined < 2; combined++) {
            jf_plan *plan = make_plan(w.job, combined);
            for (int threads = 1; plan && threads <= 4; threads++) {
                jf_test_context("case %d shape %s n %u threads %d combined %d", c,
                                jf_test_shape_name(shapes[c % 6]), (unsigned)spec.n, threads,
                                combined);
                jf_executor *ex = NULL;
                jf_run_stats st;
                JF_CHECK_STATUS(jf_executor_local_create(threads, &ex), JF_OK);
                world_reset(&w, ft, 7);
                jf_status s = jf_run(ex, plan, NULL, &st);
                check_failed_run(&w, plan, ex, &st, s);
                jf_run_stats_free(&st);
                check_clean_run(&w, plan, ex);
                jf_executor_destroy(ex);
            }
            jf_plan_destroy(plan);
        }
        world_free(&w);
        jf_test_spec_free(&spec);
    }
    jf_test_context("%s", "");
}

/* One target of 1000 members; member 500 fails. */
static void test_failure_in_target(void)
{
    jf_test_spec spec;
    jf_rng r = jf_rng_seed(3);
    jf_test_spec_random(&r, JF_SHAPE_CHAIN, 1000, &spec);
    world w;
    world_build(&w, &spec);
    jf_plan *plan = NULL;
    jf_combine_params cp = jf_combine_default_params();
    JF_CHECK_STATUS(jf_combine(w.job, &cp, &plan, NULL), JF_OK);
    const uint32_t *topo = jf_job_topo_order(w.job);
    if (plan && JF_CHECK_U(jf_plan_target_count(plan), ==, 1)) {
        jf_executor *ex = NULL;
        jf_run_stats st;
        JF_CHECK_STATUS(jf_executor_local_create(3, &ex), JF_OK);
        world_reset(&w, topo[500], 7);
        check_failed_run(&w, plan, ex, &st, jf_run(ex, plan, NULL, &st));
        JF_CHECK_U(st.tasks, ==, 501);
        for (uint32_t i = 0; i < 1000; i++)
            if (!JF_CHECK_I(atomic_load(&w.runs[topo[i]]), ==, i <= 500))
                break;
        jf_run_stats_free(&st);
        jf_executor_destroy(ex);
    }
    jf_plan_destroy(plan);
    world_free(&w);
    jf_test_spec_free(&spec);
}

/* ---- stopping ------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

typedef struct {
    double delay_s, set_at;
} stopper;

static void *stop_later(void *arg)
{
    stopper *s = arg;
    struct timespec ts = {(time_t)s->delay_s, (long)((s->delay_s - (time_t)s->delay_s) * 1e9)};
    nanosleep(&ts, NULL);
    s->set_at = jf_test_now_s();
    stop_flag = 1;
    return NULL;
}

/* Run plan with a stop request after delay_s; it must end within 1 s. */
static void run_stopped(const jf_plan *plan, int threads, double delay_s, const char *what)
{
    jf_executor *ex = NULL;
    jf_run_params rp = jf_run_default_params();
    jf_run_stats st;
    stopper sp = {delay_s, 0};
    pthread_t th;
    jf_test_context("stop: %s, %d threads, after %g s", what, threads, delay_s);
    JF_CHECK_STATUS(jf_executor_local_create(threads, &ex), JF_OK);
    stop_flag = 0;
    rp.stop = &stop_flag;
    rp.trace = 1;
    if (delay_s > 0)
        pthread_create(&th, NULL, stop_later, &sp);
    else
        stop_flag = 1;
    jf_status s = jf_run(ex, plan, &rp, &st);
    double end = jf_test_now_s();
    if (delay_s > 0)
        pthread_join(th, NULL);
    else
        sp.set_at = end;
    JF_CHECK_STATUS(s, JF_EINTR);
    JF_CHECK_MENTIONS(jf_executor_errmsg(ex), "interrupted");
    JF_CHECK_D(end - sp.set_at, <, 1.0);
    JF_CHECK_U(st.targets, <, jf_plan_target_count(plan));
    JF_CHECK_U(st.n_slices, ==, st.targets);
    if (delay_s <= 0)
        JF_CHECK_U(st.tasks, ==, 0);
    jf_run_stats_free(&st);
    stop_flag = 0;
    jf_executor_destroy(ex);
    jf_test_context("%s", "");
}

static void run_gen_stopped(jf_gen_shape shape, uint64_t size, jf_work work, int combine,
                            int threads, double delay_s, const char *what)
{
    jf_gen_params g = jf_gen_default_params();
    g.shape = shape;
    g.size = size;
    g.work = work;
    jf_job *job = NULL;
    JF_CHECK_STATUS(jf_gen(&g, &job), JF_OK);
    jf_plan *plan = make_plan(job, 0);
    if (combine) {
        jf_combine_params cp = jf_combine_default_params();
        jf_plan_destroy(plan);
        plan = NULL;
        JF_CHECK_STATUS(jf_combine(job, &cp, &plan, NULL), JF_OK);
    }
    if (plan)
        run_stopped(plan, threads, delay_s, what);
    jf_plan_destroy(plan);
    jf_job_destroy(job);
}

static int sleepy_task(void *arg)
{
    struct timespec ts = {0, 50000000}; /* 50 ms, not interruptible by the executor */
    (void)arg;
    nanosleep(&ts, NULL);
    return 0;
}

static void test_stop_c_tasks(void)
{
    jf_job *job = NULL;
    JF_CHECK_STATUS(jf_job_create("sleepy", &job), JF_OK);
    for (int i = 0; i < 400; i++) {
        uint32_t t;
        jf_job_add_task(job, sleepy_task, NULL, &t);
    }
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    jf_plan *plan = make_plan(job, 0);
    if (plan)
        run_stopped(plan, 3, 0.15, "C tasks sleeping 50 ms");
    jf_plan_destroy(plan);
    jf_job_destroy(job);
}

static void test_stop(void)
{
    jf_work nap = {JF_WORK_SLEEP, 100000}, long_nap = {JF_WORK_SLEEP, 30e6};
    jf_work long_spin = {JF_WORK_SPIN, 30e6}, small_spin = {JF_WORK_SPIN, 10};
    for (int threads = 1; threads <= 4; threads *= 2)
        run_gen_stopped(JF_GEN_PAR, 200, nap, 0, threads, 0.1, "200 sleeps of 100 ms");
    run_gen_stopped(JF_GEN_CHAIN, 100, nap, 0, 4, 0.1, "a chain of sleeps, workers parked");
    run_gen_stopped(JF_GEN_PAR, 1, long_nap, 0, 2, 0.1, "one sleep of 30 s");
    run_gen_stopped(JF_GEN_PAR, 1, long_spin, 0, 2, 0.1, "one spin of 30 s");
    run_gen_stopped(JF_GEN_CHAIN, 300000, small_spin, 1, 2, 0.1, "one target of 300000 spins");
    run_gen_stopped(JF_GEN_PAR, 50, nap, 0, 2, 0, "stopped before the start");
    test_stop_c_tasks();
}

/* ---- allocation failures --------------------------------------------------- */

/* One root with 3000 successors: the root's worker pushes 2999 targets,
 * so its deque grows during the run. */
static jf_job *star_job(void)
{
    jf_job *job = NULL;
    uint32_t t;
    JF_CHECK_STATUS(jf_job_create("star", &job), JF_OK);
    for (uint32_t i = 0; i <= 3000; i++)
        jf_job_add_task_anon(job, &t);
    for (uint32_t i = 1; i <= 3000; i++)
        jf_job_add_dep(job, 0, i, 1);
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    return job;
}

/* 1 when creating and running succeeded (the k-th allocation was past). */
static int alloc_case(const jf_plan *plan, uint64_t k, jf_alloc_stats *base, int *mid_run)
{
    jf_executor *ex = NULL;
    jf_run_params rp = jf_run_default_params();
    jf_run_stats st;
    jf_status run = JF_OK;
    rp.trace = 1;
    jf_alloc_fail_after(k);
    jf_status made = jf_executor_local_create(3, &ex);
    if (made == JF_OK) {
        run = jf_run(ex, plan, &rp, &st);
        *mid_run |= run == JF_ENOMEM && st.targets > 0;
        if (run == JF_ENOMEM)
            JF_CHECK_MENTIONS(jf_executor_errmsg(ex), "memory");
        jf_run_stats_free(&st);
    }
    jf_alloc_fail_after(0);
    if (!JF_CHECK(made == JF_OK || made == JF_ENOMEM) ||
        !JF_CHECK(run == JF_OK || run == JF_ENOMEM))
        jf_test_fail(__FILE__, __LINE__, "allocation %llu: %s, %s", (unsigned long long)k,
                     jf_status_str(made), jf_status_str(run));
    JF_CHECK((made == JF_OK) == (ex != NULL));
    jf_executor_destroy(ex);
    jf_alloc_stats now;
    jf_alloc_get_stats(&now);
    JF_CHECK_U(now.bytes_in_use, ==, base->bytes_in_use);
    return made == JF_OK && run == JF_OK;
}

static uint64_t test_alloc_failures(void)
{
    jf_job *job = star_job();
    jf_plan *plan = make_plan(job, 0);
    jf_alloc_stats base;
    jf_alloc_get_stats(&base);
    int mid_run = 0;
    uint64_t k = 1;
    while (plan && k < 500 && !alloc_case(plan, k, &base, &mid_run))
        k++;
    JF_CHECK_U(k, <, 500);
    JF_CHECK_I(mid_run, ==, 1); /* some case failed while the deque grew */
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    return k;
}

int main(void)
{
    alarm(300); /* a hung run fails the test instead of stalling it */
    jf_alloc_stats before, after;
    jf_alloc_get_stats(&before);
    const char *env = getenv("JF_TEST_SEED");
    uint64_t base = env ? strtoull(env, NULL, 0) : BASE_SEED;
    int cases = jf_test_quick() ? 3 : 12;
    test_task_failure(base, cases);
    test_failure_in_target();
    test_stop();
    uint64_t allocs = test_alloc_failures();
    jf_alloc_get_stats(&after);
    JF_CHECK_U(after.bytes_in_use, ==, before.bytes_in_use);
    printf("test_run_fail: %llu allocation failure points\n", (unsigned long long)allocs);
    return jf_test_finish("test_run_fail", "failing jobs", (uint64_t)cases);
}
