/* The local executor: a pool of persistent worker threads running a plan.
 *
 * A run in short:
 *  - the calling thread is worker 0; workers 1..n-1 are threads made at
 *    creation, waiting on start_cv between runs (1 thread: no handoff);
 *  - each target has an atomic count of unfinished predecessor targets,
 *    set from the plan before the start; the roots are dealt to the
 *    workers' deques in contiguous blocks;
 *  - a worker runs a target's members back to back, then releases its
 *    successors: the first that becomes ready is its next target, straight
 *    away, the others go to its own deque;
 *  - an idle worker takes from its own deque, steals round-robin from the
 *    others, spins a little, then parks on park_cv; a worker that pushed
 *    work wakes parked ones only when the `parked` count says there are
 *    any, so the busy path makes no system call;
 *  - each worker counts the targets it finished in its own cache line; the
 *    idle path sums them, and the worker that sees all done raises `halt`;
 *    a failed task, the caller's stop flag or a failed allocation raise it
 *    too. Once it is up no target starts; running ones finish (a stop flag
 *    also cuts long targets between members, and long sleeps and spins).
 *
 * Memory: the pending counters, the deques' rings (kept across runs and
 * doubled in the rare case they fill up) and the statistics are allocated
 * before the workers start; nothing is allocated per task.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/plan_impl.h"
#include "jobfuse/run.h"
#include "run/deque.h"
#include "run/local_impl.h"

#define NONE UINT32_MAX
#define SPIN_ROUNDS 64     /* failed steal rounds before parking */
#define SPIN_PAUSES 16     /* cpu_relax() between two rounds */
#define PARK_NS 100000000u /* a parked worker looks at the stop flag this often */
#define SLICE_NS 20000000u /* long sleeps and spins look at it this often */
#define PROGRESS_EVERY 64  /* worker 0 reads the clock every so many targets */
#define DEQUE_MIN 256
#define MAX_THREADS 1024

typedef struct jf__pool pool;

typedef struct {
    jf__deque dq;
    _Alignas(64) _Atomic uint64_t done; /* targets finished this run; the owner writes */
    uint64_t targets, tasks;            /* finished targets, started tasks */
    uint64_t busy, last_end, idle;      /* ticks */
    int victim;                         /* where to steal first */
    int id;
    pool *pool;
    pthread_t thread;
} worker;

struct jf__pool {
    void *block; /* what to free: the pool is cache-line aligned in it */
    int n, started;
    worker *w;
    void *w_block;
    pthread_mutex_t mu;
    pthread_cond_t start_cv, park_cv, done_cv;
    uint64_t epoch;        /* under mu: bumped to start a run */
    int shutdown, arrived; /* under mu */
    atomic_int running;    /* one run at a time */
    _Atomic uint32_t *pending;
    uint32_t pending_cap;
    /* the run in progress, read-only while it goes */
    const jf_plan *plan;
    const jf_run_params *params;
    volatile sig_atomic_t *stop;
    jf_slice *slices; /* by target, ticks until finish() */
    uint64_t t0, progress_every;
    uint64_t progress_due; /* worker 0's */
    /* written rarely, read on every target */
    _Alignas(64) atomic_int halt;
    atomic_int failed, nomem;
    uint32_t failed_task;
    int failed_code;
    /* written whenever a worker parks */
    _Alignas(64) atomic_int parked;
    atomic_int woken; /* signals not yet answered; see wake() */
};

/* ---- memory -------------------------------------------------------------- */

/* Zeroed memory aligned to a cache line; *block is what to free. */
static void *alloc_lines(size_t size, void **block)
{
    char *b = jf__calloc(1, size + 64);
    *block = b;
    return b ? (void *)(((uintptr_t)b + 63) & ~(uintptr_t)63) : NULL;
}

static int reserve_pending(pool *p, uint32_t n)
{
    if (n <= p->pending_cap)
        return 0;
    _Atomic uint32_t *a = jf__malloc((size_t)n * sizeof *a);
    if (!a)
        return -1;
    jf__free(p->pending);
    p->pending = a;
    p->pending_cap = n;
    return 0;
}

/* ---- waking, parking and stopping --------------------------------------- */

/* After making work or halting: wake parked workers, if there are any
 * that no signal is already on its way to.
 *
 * The fence pairs with the one in park(): either the parker sees the new
 * state or this sees it parked. `woken` counts signals sent and not yet
 * answered by a parker leaving park(); both counts change under mu only,
 * where woken <= parked always holds, so a parked worker that has no
 * signal coming makes woken < parked. Skipping when woken >= parked spares
 * the lock and the futex call that a busy worker otherwise made on every
 * push while the other one, woken already, was still being scheduled
 * (thousands per run on a loaded machine). The hint is read outside mu:
 * parked is read with acquire, so seeing a parker's new count means seeing
 * the woken it left before parking again; and a count read too old is the
 * case where the parker's own check after its fence sees the work. */
static void wake(pool *p, int all)
{
    atomic_thread_fence(memory_order_seq_cst);
    int parked = atomic_load_explicit(&p->parked, memory_order_acquire);
    if (parked == 0 || atomic_load_explicit(&p->woken, memory_order_relaxed) >= parked)
        return;
    pthread_mutex_lock(&p->mu);
    parked = atomic_load_explicit(&p->parked, memory_order_relaxed);
    int woken = atomic_load_explicit(&p->woken, memory_order_relaxed);
    if (all && woken < parked) {
        pthread_cond_broadcast(&p->park_cv);
        atomic_store_explicit(&p->woken, parked, memory_order_relaxed);
    } else if (woken < parked) {
        pthread_cond_signal(&p->park_cv);
        atomic_store_explicit(&p->woken, woken + 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&p->mu);
}

static void halt(pool *p)
{
    atomic_store(&p->halt, 1);
    wake(p, 1);
}

static void fail(pool *p, uint32_t task, int code)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&p->failed, &expected, 1)) {
        p->failed_task = task;
        p->failed_code = code;
    }
    halt(p);
}

static void out_of_memory(pool *p)
{
    atomic_store(&p->nomem, 1);
    halt(p);
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static inline int stop_requested(const pool *p)
{
    return p->stop && *p->stop;
}

/* 1 when no target may start any more. */
static inline int must_stop(pool *p)
{
    if (atomic_load_explicit(&p->halt, memory_order_relaxed))
        return 1;
    if (!stop_requested(p))
        return 0;
    halt(p);
    return 1;
}

static uint64_t done_sum(pool *p)
{
    uint64_t sum = 0;
    for (int i = 0; i < p->n; i++)
        sum += atomic_load_explicit(&p->w[i].done, memory_order_relaxed);
    return sum;
}

/* Idle path: 1 (and the run halted) when every target is done. The fence
 * makes sure that of two workers finishing the last targets at once, one
 * sees the other's count. */
static int all_done(pool *p)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (done_sum(p) < p->plan->n_targets)
        return 0;
    halt(p);
    return 1;
}

static int work_visible(pool *p)
{
    for (int i = 0; i < p->n; i++)
        if (jf__deque_maybe_full(&p->w[i].dq))
            return 1;
    return 0;
}

static void timed_wait(pool *p, uint64_t ns)
{
    uint64_t until = jf__mono_ns() + ns;
    struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
    pthread_cond_timedwait(&p->park_cv, &p->mu, &ts);
}

static uint64_t park_ns(const pool *p, const worker *w)
{
    if (w->id != 0 || !p->params->progress)
        return PARK_NS;
    double ns = p->params->progress_interval_s * 1e9;
    if (!(ns > 1e6))
        ns = 1e6;
    return ns < PARK_NS ? (uint64_t)ns : PARK_NS;
}

/* Sleep until woken or a timeout passes, unless there is a reason not to. */
static void park(pool *p, worker *w)
{
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->parked, 1);
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load(&p->halt) && !work_visible(p) && done_sum(p) < p->plan->n_targets)
        timed_wait(p, park_ns(p, w));
    int woken = atomic_load_explicit(&p->woken, memory_order_relaxed);
    if (woken > 0) /* this worker's signal, or one it came out without */
        atomic_store_explicit(&p->woken, woken - 1, memory_order_relaxed);
    atomic_fetch_sub(&p->parked, 1);
    pthread_mutex_unlock(&p->mu);
}

/* Worker 0, now and then: tell the caller how far the run got. */
static void progress_tick(pool *p)
{
    if (!p->params->progress)
        return;
    uint64_t now = jf__ticks();
    if (now < p->progress_due)
        return;
    p->progress_due = sat_add(now, p->progress_every);
    p->params->progress(p->params->progress_user, done_sum(p), p->plan->n_targets);
}

/* ---- running a target ---------------------------------------------------- */

static int spin_for(const pool *p, double us)
{
    uint64_t start = jf__ticks(), n = jf__ticks_of_ns(us * 1e3);
    while (jf__ticks() - start < n)
        if (stop_requested(p))
            return -1;
    return 0;
}

/* Sleep in slices, so that a stop request cuts a long sleep short. */
static int sleep_for(const pool *p, double us)
{
    uint64_t end = sat_add(jf__mono_ns(), us > 0 ? (uint64_t)JF__MIN(us * 1e3, 1e18) : 0);
    for (;;) {
        if (stop_requested(p))
            return -1;
        uint64_t now = jf__mono_ns();
        if (now >= end)
            return 0;
        uint64_t until = JF__MIN(end, now + SLICE_NS);
        struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

/* Run one task: 0, or non-zero when the run must stop (failure recorded). */
static int run_task(pool *p, const jf_job *job, uint32_t m)
{
    jf_task_fn fn = job->fn ? job->fn[m] : NULL;
    if (fn) {
        int rc = fn(job->arg[m]);
        if (rc != 0)
            fail(p, m, rc);
        return rc;
    }
    jf_work wk = job->work[m];
    int rc = 0;
    if (wk.kind == JF_WORK_SPIN)
        rc = spin_for(p, wk.us);
    else if (wk.kind == JF_WORK_SLEEP)
        rc = sleep_for(p, wk.us);
    if (rc != 0)
        halt(p);
    return rc;
}

/* The members in their order; 0 when all ran. */
static int run_members(pool *p, worker *w, const uint32_t *mem, uint64_t n)
{
    const jf_job *job = p->plan->job;
    for (uint64_t i = 0; i < n; i++) {
        if (i > 0 && stop_requested(p)) {
            halt(p);
            return -1;
        }
        w->tasks++;
        if (run_task(p, job, mem[i]) != 0)
            return -1;
    }
    return 0;
}

/* The last predecessor to finish makes a target ready. Seeing 1 means the
 * others are done (only predecessors count down), which spares the atomic
 * write on chains. */
static inline int ready(_Atomic uint32_t *count)
{
    return atomic_load_explicit(count, memory_order_acquire) == 1 ||
           atomic_fetch_sub_explicit(count, 1, memory_order_acq_rel) == 1;
}

/* Ask for the successors' counters before the target's members run: on a
 * graph whose edges jump about (layered), each is a cache miss, often a
 * line the other worker wrote last; fetched together, and while the task
 * body runs, they cost little by the time release() counts them down. */
static inline void prefetch_counters(pool *p, const uint32_t *succ, uint64_t n)
{
    for (uint64_t e = 0; e < n; e++)
        __builtin_prefetch((const void *)&p->pending[succ[e]], 1, 3);
}

/* Release t's successors: the first ready one is returned to run next on
 * this worker, the others are pushed on its deque. */
static uint32_t release(pool *p, worker *w, uint64_t first, uint64_t last)
{
    const jf_plan *pl = p->plan;
    uint32_t next = NONE;
    int pushed = 0;
    for (uint64_t e = first; e < last; e++) {
        uint32_t s = pl->succ[e];
        if (!ready(&p->pending[s]))
            continue;
        if (next == NONE)
            next = s;
        else if (jf__deque_push(&w->dq, s) == 0)
            pushed++;
        else
            out_of_memory(p);
    }
    if (pushed)
        wake(p, pushed > 1);
    return next;
}

static void record_slice(pool *p, const worker *w, uint32_t t, uint64_t start)
{
    jf_slice *s = &p->slices[t];
    s->target = t;
    s->worker = (uint32_t)w->id;
    s->start_ns = start;
    s->end_ns = jf__ticks_ordered();
}

/* Run target t; returns the next target for this worker, or NONE. */
static uint32_t run_target(pool *p, worker *w, uint32_t t)
{
    if (must_stop(p))
        return NONE;
    const jf_plan *pl = p->plan;
    uint64_t start = p->slices ? jf__ticks_ordered() : 0;
    uint64_t a = pl->member_off[t], b = pl->member_off[t + 1];
    uint64_t first = pl->succ_off[t], last = pl->succ_off[t + 1];
    prefetch_counters(p, pl->succ + first, last - first);
    if (run_members(p, w, pl->members + a, b - a) != 0)
        return NONE;
    if (p->slices)
        record_slice(p, w, t, start);
    atomic_store_explicit(&w->done, ++w->targets, memory_order_relaxed);
    return release(p, w, first, last);
}

/* ---- finding work -------------------------------------------------------- */

static int steal_round(pool *p, worker *w, uint32_t *t)
{
    for (int i = 0; i < p->n; i++) {
        int v = (w->victim + i) % p->n;
        if (v == w->id)
            continue;
        int got;
        while ((got = jf__deque_steal(&p->w[v].dq, t)) < 0) {
        }
        if (got) {
            w->victim = v;
            return 1;
        }
    }
    return 0;
}

/* Stealing, a short spin, then parking: 1 and *t when a target turned
 * up, 0 when this worker's run is over. */
static int look_for_work(pool *p, worker *w, uint32_t *t)
{
    for (int round = 0;; round++) {
        if (must_stop(p))
            return 0;
        if (p->n > 1 && steal_round(p, w, t))
            return 1;
        if (round == 0 && all_done(p))
            return 0;
        if (round < SPIN_ROUNDS && p->n > 1) {
            for (int i = 0; i < SPIN_PAUSES; i++)
                jf__cpu_relax();
            continue;
        }
        if (all_done(p))
            return 0;
        park(p, w);
        if (w->id == 0)
            progress_tick(p);
        round = -1;
    }
}

/* 1 and *t when there is a target to run; 0 when this worker's run is
 * over. The clock is read only when the own deque is empty: reading it
 * costs about 10 ns here (a VM), as much as a dispatch, so busy time is
 * the time in the loop less the time spent looking for work. */
static int find_work(pool *p, worker *w, uint32_t *t)
{
    if (jf__deque_take(&w->dq, t))
        return 1;
    uint64_t since = jf__ticks();
    int found = look_for_work(p, w, t);
    if (found)
        w->idle += jf__ticks() - since;
    else
        w->last_end = since;
    return found;
}

static void work_loop(pool *p, worker *w)
{
    uint32_t t;
    int reports = w->id == 0 && p->params->progress;
    uint64_t start = jf__ticks();
    w->last_end = start;
    while (find_work(p, w, &t)) {
        do {
            t = run_target(p, w, t);
            if (reports && (w->targets & (PROGRESS_EVERY - 1)) == 0)
                progress_tick(p);
        } while (t != NONE);
    }
    uint64_t span = w->last_end - start;
    w->busy = span > w->idle ? span - w->idle : 0;
}

/* ---- the threads --------------------------------------------------------- */

/* Wait for the next run; 0 when the pool shuts down. */
static int wait_start(pool *p, uint64_t *seen)
{
    pthread_mutex_lock(&p->mu);
    while (p->epoch == *seen && !p->shutdown)
        pthread_cond_wait(&p->start_cv, &p->mu);
    *seen = p->epoch;
    int go = !p->shutdown;
    pthread_mutex_unlock(&p->mu);
    return go;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    uint64_t seen = 0;
    while (wait_start(p, &seen)) {
        work_loop(p, w);
        pthread_mutex_lock(&p->mu);
        if (++p->arrived == p->n - 1)
            pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static void start_workers(pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->arrived = 0;
    p->epoch++;
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
}

static void wait_workers(pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->arrived < p->n - 1)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Workers leave asynchronous signals (SIGINT...) to the caller's threads;
 * faults still reach the thread that caused them. */
static void block_async_signals(sigset_t *old)
{
    static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGALRM,
                               SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static int start_threads(pool *p)
{
    sigset_t old;
    block_async_signals(&old);
    int rc = 0;
    for (int i = 1; i < p->n && rc == 0; i++)
        if ((rc = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i])) == 0)
            p->started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- a run ---------------------------------------------------------------- */

/* Deal the roots to the workers in contiguous blocks, each pushed from
 * its end so that the owner takes them in increasing (topological) order. */
static int seed_roots(pool *p, const jf_plan *pl)
{
    uint32_t roots = 0;
    for (uint32_t t = 0; t < pl->n_targets; t++)
        roots += pl->pred_off[t + 1] == pl->pred_off[t];
    uint32_t per = JF__MAX(1, (roots + (uint32_t)p->n - 1) / (uint32_t)p->n);
    int64_t cap = DEQUE_MIN;
    while (cap < per)
        cap *= 2;
    for (int i = 0; i < p->n; i++)
        if (jf__deque_reserve(&p->w[i].dq, cap) != 0)
            return -1;
    for (uint32_t t = pl->n_targets; t-- > 0;)
        if (pl->pred_off[t + 1] == pl->pred_off[t] && jf__deque_push(&p->w[--roots / per].dq, t))
            return -1;
    return 0;
}

static void reset_run(pool *p, const jf_plan *pl, const jf_run_params *rp)
{
    p->plan = pl;
    p->params = rp;
    p->stop = rp->stop;
    atomic_store(&p->halt, 0);
    atomic_store(&p->failed, 0);
    atomic_store(&p->nomem, 0);
    atomic_store(&p->parked, 0);
    atomic_store(&p->woken, 0);
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        jf__deque_reset(&w->dq);
        atomic_store_explicit(&w->done, 0, memory_order_relaxed);
        w->targets = w->tasks = w->busy = w->last_end = w->idle = 0;
        w->victim = (i + 1) % p->n;
    }
    for (uint32_t t = 0; t < pl->n_targets; t++)
        atomic_store_explicit(&p->pending[t], (uint32_t)(pl->pred_off[t + 1] - pl->pred_off[t]),
                              memory_order_relaxed);
}

static int alloc_stats(pool *p, const jf_run_params *rp, jf_run_stats *st, uint32_t nt)
{
    st->threads = p->n;
    st->worker_busy_s = jf__calloc((size_t)p->n, sizeof *st->worker_busy_s);
    if (!st->worker_busy_s)
        return -1;
    p->slices = NULL;
    if (!rp->trace)
        return 0;
    if (!(st->slices = p->slices = jf__malloc((size_t)nt * sizeof *st->slices)))
        return -1;
    for (uint32_t t = 0; t < nt; t++)
        st->slices[t].worker = UINT32_MAX;
    return 0;
}

static int prepare(pool *p, const jf_plan *pl, const jf_run_params *rp, jf_run_stats *st)
{
    if (reserve_pending(p, pl->n_targets) != 0 || alloc_stats(p, rp, st, pl->n_targets) != 0)
        return -1;
    reset_run(p, pl, rp);
    if (seed_roots(p, pl) != 0)
        return -1;
    double every = rp->progress_interval_s > 0 ? rp->progress_interval_s * 1e9 : 0;
    p->progress_every = jf__ticks_of_ns(every);
    p->t0 = jf__ticks();
    p->progress_due = sat_add(p->t0, p->progress_every);
    return 0;
}

/* Slices in ns since the start, executed targets only, in target order. */
static void finish_slices(pool *p, jf_run_stats *st)
{
    uint64_t k = 0;
    for (uint32_t t = 0; t < p->plan->n_targets; t++) {
        jf_slice s = st->slices[t];
        if (s.worker == UINT32_MAX)
            continue;
        s.start_ns = s.start_ns > p->t0 ? (uint64_t)jf__ns_of_ticks(s.start_ns - p->t0) : 0;
        s.end_ns = s.end_ns > p->t0 ? (uint64_t)jf__ns_of_ticks(s.end_ns - p->t0) : 0;
        st->slices[k++] = s;
    }
    st->n_slices = k;
}

static void collect_stats(pool *p, jf_run_stats *st)
{
    uint64_t end = p->t0;
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        st->tasks += w->tasks;
        st->targets += w->targets;
        st->worker_busy_s[i] = jf__ns_of_ticks(w->busy) * 1e-9;
        end = JF__MAX(end, w->last_end);
    }
    st->run_s = jf__ns_of_ticks(end - p->t0) * 1e-9;
    if (st->slices)
        finish_slices(p, st);
}

static jf_status finish(pool *p, jf_run_stats *st, char *err, size_t errlen)
{
    const jf_plan *pl = p->plan;
    collect_stats(p, st);
    if (p->params->progress)
        p->params->progress(p->params->progress_user, st->targets, pl->n_targets);
    if (atomic_load(&p->failed)) {
        st->failed = 1;
        st->failed_task = p->failed_task;
        st->failed_code = p->failed_code;
        jf__fmt(err, errlen, "task \"%s\" failed with code %d",
                jf_job_task_id(pl->job, p->failed_task), p->failed_code);
        return JF_ETASK;
    }
    if (atomic_load(&p->nomem)) {
        jf__fmt(err, errlen, "out of memory while running");
        return JF_ENOMEM;
    }
    if (st->targets < pl->n_targets) {
        jf__fmt(err, errlen, "interrupted after %llu of %llu targets",
                (unsigned long long)st->targets, (unsigned long long)pl->n_targets);
        return JF_EINTR;
    }
    return JF_OK;
}

static jf_status local_run(void *self, const jf_plan *plan, const jf_run_params *rp,
                           jf_run_stats *st, char *err, size_t errlen)
{
    pool *p = self;
    JF_ASSERT(atomic_exchange(&p->running, 1) == 0); /* one run at a time */
    jf_status s = JF_ENOMEM;
    if (prepare(p, plan, rp, st) != 0) {
        jf__fmt(err, errlen, "out of memory preparing a run of %u targets",
                (unsigned)plan->n_targets);
    } else {
        if (plan->n_targets > 0) {
            if (p->n > 1)
                start_workers(p);
            work_loop(p, &p->w[0]);
            wait_workers(p);
        }
        s = finish(p, st, err, errlen);
    }
    atomic_store(&p->running, 0);
    return s;
}

/* ---- the pool's life ------------------------------------------------------ */

static int local_threads(void *self)
{
    return ((pool *)self)->n;
}

static void local_destroy(void *self)
{
    pool *p = self;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i <= p->started; i++)
        pthread_join(p->w[i].thread, NULL);
    for (int i = 0; p->w && i < p->n; i++)
        jf__deque_free(&p->w[i].dq);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start_cv);
    pthread_cond_destroy(&p->park_cv);
    pthread_cond_destroy(&p->done_cv);
    jf__free(p->pending);
    jf__free(p->w_block);
    jf__free(p->block);
}

static const jf_executor_i local_iface = {"local", local_run, local_threads, local_destroy};

static int init_sync(pool *p)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    rc = rc ? rc : pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = rc ? rc : pthread_cond_init(&p->park_cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    return rc;
}

static int init_workers(pool *p)
{
    if (!(p->w = alloc_lines((size_t)p->n * sizeof *p->w, &p->w_block)))
        return -1;
    for (int i = 0; i < p->n; i++) {
        p->w[i].id = i;
        p->w[i].pool = p;
        if (jf__deque_init(&p->w[i].dq, DEQUE_MIN) != 0)
            return -1;
    }
    return 0;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

jf_status jf_executor_local_create(int threads, jf_executor **out)
{
    *out = NULL;
    jf__clock_init();
    void *block;
    pool *p = alloc_lines(sizeof *p, &block);
    if (!p)
        return JF_ENOMEM;
    p->block = block;
    p->n = threads > 0 ? JF__MIN(threads, MAX_THREADS) : default_threads();
    if (init_sync(p) != 0) {
        jf__free(block);
        return JF_ENOMEM;
    }
    if (init_workers(p) != 0 || start_threads(p) != 0 ||
        jf_executor_create(&local_iface, p, out) != JF_OK) {
        local_destroy(p);
        return JF_ENOMEM;
    }
    return JF_OK;
}
