/* run_bench — how fast jobfuse runs fine-grained task graphs on the local
 * pool, against a plain sequential loop, OpenMP tasks and StarPU.
 *
 *   build/bench/run_bench [--quick] [--reps N] [--only SHAPE] [--threads 1,2]
 *                         [--body trivial,1us,50us] [--peers LIST]
 *
 * The five shapes of Taskflow's benchmark suite (linear chain, embarrassingly
 * parallel, binary tree, wavefront, layered graph), each with three task
 * bodies: trivial (a per-task counter increment), 1 us and 50 us (the
 * counter increment after jf_spin_us, the library's calibrated busy wait).
 * Every peer runs the same body function on the same graph:
 *
 *   seq          a plain loop over the tasks in index order (a topological order)
 *   omp          OpenMP tasks with depend clauses (run_bench_omp.c; -fopenmp)
 *   starpu       StarPU, default scheduler, explicit task dependencies (run_bench_starpu.c)
 *   jf           jobfuse without combining: build the job through the C API,
 *                jf_plan_identity, jf_run on the local executor, free
 *   jf_comb      the same with jf_combine_for_run (the combining limits for
 *                running: the executor's threads and its dispatch cost, measured
 *                once per executor by jf_measure_dispatch_ns, outside the clocks)
 *   jf_prebuilt  trivial bodies only: jf_run alone on a pre-built identity plan
 *
 * Time is build + combine + run (+ freeing what was built) for jobfuse, task
 * creation + submission + wait (+ freeing) for OpenMP and StarPU; StarPU's
 * starpu_init/shutdown are left out (they run around each measurement,
 * because StarPU's idle workers poll and would steal the CPU from the other
 * peers). Repetitions of all peers are interleaved and the median is kept.
 *
 * The ideal of a case is the sequential time divided by the threads, or the
 * time of the longest path when that is longer (a chain): seq * max(1/T,
 * depth/n). Every line says time_s, ns_per_task and ratio_to_ideal.
 *
 * Correctness: after every timed run each task's counter must be exactly 1.
 * Before the timed runs each peer runs the graph once with a checking body
 * that stamps every task with 1 + the largest stamp of its predecessors
 * (0 there means a predecessor had not run: a broken dependency). The hash
 * of the stamps must equal the sequential loop's, else the bench stops with
 * status 1. The last lines are verdicts on the targets, PASS or FAIL
 * with the numbers; the exit status is 0 unless something failed to run or
 * a hash differed, whatever the verdicts.
 *
 * OpenMP and StarPU are compiled in when JF_BENCH_OPENMP / JF_BENCH_STARPU
 * are defined (and their files linked); otherwise their lines say skipped.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "jobfuse/combine.h"
#include "jobfuse/run.h"
#include "run_bench.h"

#ifdef JF_BENCH_OPENMP
#define HAVE_OMP 1
#else
#define HAVE_OMP 0
#endif
#ifdef JF_BENCH_STARPU
#define HAVE_STARPU 1
#else
#define HAVE_STARPU 0
#endif

/* The targets (jf_comb at 2 threads unless said otherwise). */
#define TARGET_IDEAL_1US 1.10      /* time / ideal, every shape, 1 us bodies */
#define TARGET_VS_OMP_1US 3.0      /* omp / jf_comb on chain and wavefront, 1 us */
#define TARGET_VS_BEST_TRIVIAL 5.0 /* min(omp, starpu) / jf_comb, every shape */
#define TARGET_IDEAL_50US 1.02     /* time / ideal, every shape, 50 us bodies */
#define TARGET_PREBUILT_NS 60.0    /* jf_prebuilt: ns per task over the ideal */

/* The time demand given to a trivial task (a counter increment). */
#define TRIVIAL_US 0.001

#define MAX_REPS 64
#define MAX_THREADS_LIST 8

/* ---- shapes, bodies, peers ---- */

enum { SH_CHAIN, SH_PAR, SH_TREE, SH_WAVEFRONT, SH_LAYERED, N_SHAPES };
static const char *const shape_names[N_SHAPES] = {"chain", "par", "tree", "wavefront", "layered"};

enum { BODY_TRIVIAL, BODY_1US, BODY_50US, N_BODIES };
static const char *const body_names[N_BODIES] = {"trivial", "1us", "50us"};
static const double body_us[N_BODIES] = {0, 1, 50};

enum { P_SEQ, P_OMP, P_STARPU, P_JF, P_JF_COMB, P_JF_PREBUILT, N_PEERS };
static const char *const peer_names[N_PEERS] = {"seq", "omp",     "starpu",
                                                "jf",  "jf_comb", "jf_prebuilt"};

typedef struct {
    int quick, reps;
    int shapes[N_SHAPES], bodies[N_BODIES], peers[N_PEERS]; /* 1: selected */
    int threads[MAX_THREADS_LIST], n_threads;
} options;

/* Medians of one (case, threads, peer). */
typedef struct {
    int ran;
    uint32_t tasks;
    double time_s, ideal_s;
    double build_s, plan_s, run_s, free_s; /* jobfuse peers */
    uint32_t targets;
    char choice[160]; /* jf_comb: what jf_combine_for_run chose */
} result;

static result results[N_SHAPES][N_BODIES][MAX_THREADS_LIST][N_PEERS];
static jf_executor *executors[MAX_THREADS_LIST];
static double dispatch_ns[MAX_THREADS_LIST]; /* jf_measure_dispatch_ns, once each */

/* ---- clocks, medians, hashes ---- */



static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 0x100000001b3ull;
    return h;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void die(const char *what)
{
    fprintf(stderr, "run_bench: %s\n", what);
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        die("out of memory");
    return p;
}

/* ---- graphs ----
 * Built from an edge list (u, v) with u < v, sorted by v then u. */

typedef struct {
    uint32_t *u, *v;
    uint64_t m, cap;
} edges;

static void edge_add(edges *e, uint32_t u, uint32_t v)
{
    if (e->m == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 1024;
        e->u = realloc(e->u, e->cap * sizeof *e->u);
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (!e->u || !e->v)
            die("out of memory");
    }
    e->u[e->m] = u;
    e->v[e->m++] = v;
}

/* Predecessor CSR (a counting sort keeps each task's predecessors in the
 * order they were added), successor flags and the depth. */
static rb_graph graph_from_edges(uint32_t n, const edges *e)
{
    rb_graph g = {.n = n, .m = e->m};
    g.pred_off = xcalloc((size_t)n + 1, sizeof *g.pred_off);
    g.pred = xcalloc(e->m, sizeof *g.pred);
    g.has_succ = xcalloc(n, 1);
    for (uint64_t k = 0; k < e->m; k++)
        g.pred_off[e->v[k] + 1]++;
    for (uint32_t i = 0; i < n; i++)
        g.pred_off[i + 1] += g.pred_off[i];
    uint64_t *fill = xcalloc(n, sizeof *fill);
    for (uint64_t k = 0; k < e->m; k++) {
        g.pred[g.pred_off[e->v[k]] + fill[e->v[k]]++] = e->u[k];
        g.has_succ[e->u[k]] = 1;
    }
    free(fill);
    uint32_t *d = xcalloc(n, sizeof *d); /* tasks on the longest path ending at i */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t best = 0;
        for (uint64_t k = g.pred_off[i]; k < g.pred_off[i + 1]; k++)
            best = d[g.pred[k]] > best ? d[g.pred[k]] : best;
        d[i] = best + 1;
        g.depth = d[i] > g.depth ? d[i] : g.depth;
    }
    free(d);
    return g;
}

static void graph_free(rb_graph *g)
{
    free(g->pred_off);
    free(g->pred);
    free(g->has_succ);
}

/* Layered: `levels` levels of `width`; each task but the last level's gets
 * 1..4 distinct random successors in the next level. */
static void layered_edges(uint32_t width, uint32_t levels, uint64_t seed, edges *e)
{
    uint64_t s = seed;
    for (uint32_t l = 0; l + 1 < levels; l++) {
        for (uint32_t x = 0; x < width; x++) {
            uint32_t picked[4], k = 1 + (uint32_t)(splitmix(&s) % 4);
            for (uint32_t c = 0; c < k && c < width; c++) {
                uint32_t y;
                int dup;
                do {
                    y = (uint32_t)(splitmix(&s) % width);
                    dup = 0;
                    for (uint32_t q = 0; q < c; q++)
                        dup |= picked[q] == y;
                } while (dup);
                picked[c] = y;
                edge_add(e, l * width + x, (l + 1) * width + y);
            }
        }
    }
}

/* Sort edges by (v, u) so the CSR lists predecessors in order; the layered
 * generator emits them by u. */
static int cmp_edge(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void edges_sort(edges *e)
{
    uint64_t *key = xcalloc(e->m, sizeof *key);
    for (uint64_t k = 0; k < e->m; k++)
        key[k] = (uint64_t)e->v[k] << 32 | e->u[k];
    qsort(key, e->m, sizeof *key, cmp_edge);
    for (uint64_t k = 0; k < e->m; k++) {
        e->v[k] = (uint32_t)(key[k] >> 32);
        e->u[k] = (uint32_t)key[k];
    }
    free(key);
}

/* The size parameter of a shape: tasks (chain, par), depth (tree), side
 * (wavefront), width = levels (layered, except the 50 us sizes). */
static rb_graph make_graph(int shape, int body, int quick)
{
    int big = body != BODY_50US;
    uint32_t n = 0;
    edges e = {0};
    switch (shape) {
    case SH_CHAIN:
        n = quick ? (big ? 4096 : 256) : (big ? 1u << 18 : 1u << 13);
        for (uint32_t i = 1; i < n; i++)
            edge_add(&e, i - 1, i);
        break;
    case SH_PAR: n = quick ? (big ? 4096 : 256) : (big ? 1u << 18 : 1u << 13); break;
    case SH_TREE: {
        uint32_t depth = quick ? (big ? 12 : 8) : (big ? 18 : 13);
        n = (1u << depth) - 1; /* node k's children: 2k+1, 2k+2 */
        for (uint32_t k = 1; k < n; k++)
            edge_add(&e, (k - 1) / 2, k);
        break;
    }
    case SH_WAVEFRONT: {
        uint32_t side = quick ? (big ? 64 : 16) : (big ? 512 : 90);
        n = side * side;
        for (uint32_t i = 0; i < side; i++)
            for (uint32_t j = 0; j < side; j++) {
                if (i > 0)
                    edge_add(&e, (i - 1) * side + j, i * side + j);
                if (j > 0)
                    edge_add(&e, i * side + j - 1, i * side + j);
            }
        break;
    }
    case SH_LAYERED: {
        uint32_t w = quick ? (big ? 64 : 16) : (big ? 512 : 128);
        uint32_t levels = quick ? w : (big ? 512 : 64);
        n = w * levels;
        layered_edges(w, levels, 0x5eed0000u + (uint64_t)body, &e);
        edges_sort(&e);
        break;
    }
    }
    rb_graph g = graph_from_edges(n, &e);
    free(e.u);
    free(e.v);
    return g;
}

/* ---- the task bodies ---- */

static double cur_us; /* spin of the current case's body; 0: trivial */

/* Every peer runs this for every task, arg = &counter[task]. */
__attribute__((noinline)) static int task_body(void *arg)
{
    if (cur_us > 0)
        jf_spin_us(cur_us);
    (*(uint32_t *)arg)++;
    return 0;
}

/* The checking body: stamp = 1 + the largest predecessor stamp. */
static const rb_graph *check_graph;
static const uint32_t *check_base;
static _Atomic uint32_t *check_stamp, *check_runs;
static atomic_int check_broken;

static int check_body(void *arg)
{
    uint32_t i = (uint32_t)((const uint32_t *)arg - check_base), best = 0;
    for (uint64_t k = check_graph->pred_off[i]; k < check_graph->pred_off[i + 1]; k++) {
        uint32_t s = atomic_load_explicit(&check_stamp[check_graph->pred[k]], memory_order_relaxed);
        if (s == 0)
            atomic_store(&check_broken, 1);
        best = s > best ? s : best;
    }
    atomic_store_explicit(&check_stamp[i], best + 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&check_runs[i], 1, memory_order_relaxed);
    return 0;
}

static void check_begin(const rb_graph *g, const uint32_t *base)
{
    check_graph = g;
    check_base = base;
    check_stamp = xcalloc(g->n, sizeof *check_stamp);
    check_runs = xcalloc(g->n, sizeof *check_runs);
    atomic_store(&check_broken, 0);
}

/* The hash of the stamps, or 0 when a task ran other than once or before
 * one of its predecessors. */
static uint64_t check_end(const rb_graph *g)
{
    uint64_t h = fnv(fnv(0xcbf29ce484222325ull, g->n), g->m), sum = 0;
    int ok = !atomic_load(&check_broken);
    for (uint32_t i = 0; i < g->n; i++) {
        ok &= atomic_load(&check_runs[i]) == 1;
        sum += atomic_load(&check_stamp[i]);
        h = fnv(h, atomic_load(&check_stamp[i]));
    }
    free((void *)check_stamp);
    free((void *)check_runs);
    return ok ? fnv(h, sum) : 0;
}

/* After a timed run: every counter 1, then reset. */
static int counters_ok(uint32_t *cnt, uint32_t n)
{
    int ok = 1;
    for (uint32_t i = 0; i < n; i++)
        ok &= cnt[i] == 1;
    memset(cnt, 0, (size_t)n * sizeof *cnt);
    return ok;
}

/* ---- jobfuse ---- */

typedef struct {
    double build_s, plan_s, run_s, free_s;
    uint32_t targets;
    char choice[160]; /* what jf_combine_for_run chose */
} jf_parts;

/* The job through the C API: one function task per graph task with its
 * time demand, one dependency per edge, validated. */
static jf_status jf_build(const rb_graph *g, jf_task_fn fn, uint32_t *base, double us, jf_job **out)
{
    jf_status st = jf_job_create("run_bench", out);
    int tr = st == JF_OK ? jf_job_resource(*out, "time") : -1;
    st = st == JF_OK && tr < 0 ? JF_ENOMEM : st;
    for (uint32_t i = 0; st == JF_OK && i < g->n; i++) {
        uint32_t t;
        st = jf_job_add_task(*out, fn, &base[i], &t);
        if (st == JF_OK)
            st = jf_job_set_demand(*out, t, tr, us > 0 ? us : TRIVIAL_US);
    }
    for (uint32_t v = 0; st == JF_OK && v < g->n; v++)
        for (uint64_t k = g->pred_off[v]; st == JF_OK && k < g->pred_off[v + 1]; k++)
            st = jf_job_add_dep(*out, g->pred[k], v, 0);
    return st == JF_OK ? jf_job_validate(*out) : st;
}

/* Combining for running with the executor's threads and dispatch cost
 * (measured once per executor, outside the clocks), or no combining. */
static jf_status jf_make_plan(jf_job *job, int combine, int ti, jf_plan **out, char *choice)
{
    if (!combine)
        return jf_plan_identity(job, out);
    jf_run_combine_params rp = jf_run_combine_default_params();
    rp.threads = jf_executor_threads(executors[ti]);
    rp.dispatch_ns = dispatch_ns[ti];
    jf_run_combine_report report;
    jf_status st = jf_combine_for_run(job, &rp, out, &report);
    if (st == JF_OK)
        snprintf(choice, 160, "%s", report.choice);
    return st;
}

static int jf_report(const char *what, jf_status st, const char *msg)
{
    fprintf(stderr, "run_bench: %s: %s: %s\n", what, jf_status_str(st), msg ? msg : "");
    return -1;
}

static int jf_run_plan(jf_executor *ex, const jf_plan *plan, uint32_t n)
{
    jf_run_params rp = jf_run_default_params();
    jf_run_stats rs;
    memset(&rs, 0, sizeof rs);
    jf_status st = jf_run(ex, plan, &rp, &rs);
    uint64_t tasks = rs.tasks;
    jf_run_stats_free(&rs);
    if (st != JF_OK)
        return jf_report("jf_run", st, jf_executor_errmsg(ex));
    if (tasks != n) {
        fprintf(stderr, "run_bench: jf_run ran %" PRIu64 " tasks of %" PRIu32 "\n", tasks, n);
        return -1;
    }
    return 0;
}

/* Build, plan, run, free: one timed jobfuse run, parts in *t. */
static int jf_once(const rb_graph *g, int ti, int combine, double us, jf_task_fn fn, uint32_t *base,
                   jf_parts *t)
{
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    double t0 = wall_s();
    jf_status st = jf_build(g, fn, base, us, &job);
    double t1 = wall_s();
    if (st == JF_OK)
        st = jf_make_plan(job, combine, ti, &plan, t->choice);
    double t2 = wall_s();
    int rc = st == JF_OK ? jf_run_plan(executors[ti], plan, g->n)
                         : jf_report("build or combine", st, jf_job_errmsg(job));
    double t3 = wall_s();
    t->targets = plan ? jf_plan_target_count(plan) : 0;
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    double t4 = wall_s();
    t->build_s = t1 - t0;
    t->plan_s = t2 - t1;
    t->run_s = t3 - t2;
    t->free_s = t4 - t3;
    return rc;
}

/* ---- one measurement of one peer ---- */

typedef struct {
    const rb_graph *g;
    double us;
    int threads, ti;
    uint32_t *cnt;
    jf_plan *prebuilt; /* identity plan of a job on cnt with task_body */
} run_ctx;

static int seq_run(const rb_graph *g, jf_task_fn fn, uint32_t *base)
{
    for (uint32_t i = 0; i < g->n; i++)
        fn(&base[i]);
    return 0;
}

static int omp_run(const run_ctx *c, jf_task_fn fn, uint32_t *base)
{
#if HAVE_OMP
    return rb_omp_run(c->g, c->threads, fn, base);
#else
    (void)c, (void)fn, (void)base;
    return -1;
#endif
}

/* StarPU: started before the clock, stopped after. */
static int starpu_timed(const run_ctx *c, jf_task_fn fn, uint32_t *base, double *time_s)
{
#if HAVE_STARPU
    if (rb_starpu_start(c->threads) != 0)
        return -1;
    double t0 = wall_s();
    int rc = rb_starpu_run(c->g, fn, base);
    *time_s = wall_s() - t0;
    rb_starpu_stop();
    return rc;
#else
    (void)c, (void)fn, (void)base, (void)time_s;
    return -1;
#endif
}

/* Run peer p once with body fn; *time_s its time, *t the jobfuse parts. */
static int peer_once(const run_ctx *c, int p, jf_task_fn fn, uint32_t *base, double *time_s,
                     jf_parts *t)
{
    memset(t, 0, sizeof *t);
    if (p == P_STARPU)
        return starpu_timed(c, fn, base, time_s);
    double t0 = wall_s();
    int rc = -1;
    switch (p) {
    case P_SEQ: rc = seq_run(c->g, fn, base); break;
    case P_OMP: rc = omp_run(c, fn, base); break;
    case P_JF:
    case P_JF_COMB: rc = jf_once(c->g, c->ti, p == P_JF_COMB, c->us, fn, base, t); break;
    case P_JF_PREBUILT: rc = jf_run_plan(executors[c->ti], c->prebuilt, c->g->n); break;
    }
    *time_s = wall_s() - t0;
    if (p == P_JF_PREBUILT)
        t->run_s = *time_s;
    return rc;
}

/* The checking run of a peer: its stamp hash (0: broken). The prebuilt
 * plan runs task_body, so jf_prebuilt is checked by its counters alone. */
static uint64_t peer_check(const run_ctx *c, int p)
{
    if (p == P_JF_PREBUILT)
        return 0;
    uint32_t *base = xcalloc(c->g->n, sizeof *base);
    double s;
    jf_parts t;
    check_begin(c->g, base);
    int rc = peer_once(c, p, check_body, base, &s, &t);
    uint64_t h = check_end(c->g);
    free(base);
    return rc == 0 ? h : 0;
}

/* ---- a case: one shape and body, all thread counts and peers ---- */

static int peer_wanted(const options *o, int p, int body, int threads)
{
    if (!o->peers[p] || (p == P_SEQ && threads > 0))
        return 0;
    if (p == P_JF_PREBUILT && body != BODY_TRIVIAL)
        return 0;
    return (p != P_OMP || HAVE_OMP) && (p != P_STARPU || HAVE_STARPU);
}

typedef struct {
    double time[MAX_REPS], build[MAX_REPS], plan[MAX_REPS], run[MAX_REPS], fre[MAX_REPS];
    uint32_t targets;
    char choice[160];
} samples;

static samples samp[MAX_THREADS_LIST][N_PEERS];

static int case_id(int shape, int body)
{
    return shape * N_BODIES + body + 1;
}

static void print_line(int shape, int body, const rb_graph *g, int threads, int p, int reps,
                       const result *r, uint64_t hash)
{
    printf("case=%d shape=%s body=%s tasks=%" PRIu32 " edges=%" PRIu64 " depth=%" PRIu32
           " threads=%d peer=%s reps=%d time_s=%.6f ns_per_task=%.1f ideal_s=%.6f "
           "ratio_to_ideal=%.3f over_ideal_ns=%.1f",
           case_id(shape, body), shape_names[shape], body_names[body], g->n, g->m, g->depth,
           threads, peer_names[p], reps, r->time_s, r->time_s * 1e9 / g->n, r->ideal_s,
           r->time_s / r->ideal_s, (r->time_s - r->ideal_s) * 1e9 / g->n);
    if (p == P_JF || p == P_JF_COMB)
        printf(" build_s=%.6f plan_s=%.6f run_s=%.6f free_s=%.6f targets=%" PRIu32, r->build_s,
               r->plan_s, r->run_s, r->free_s, r->targets);
    printf(" hash=%016" PRIx64, hash);
    if (p == P_JF_COMB)
        printf(" choice=\"%s\"", r->choice);
    printf("\n");
}

static void skip_line(int shape, int body, int threads, int p, const char *why)
{
    printf("case=%d shape=%s body=%s threads=%d peer=%s skipped=%s\n", case_id(shape, body),
           shape_names[shape], body_names[body], threads, peer_names[p], why);
}

/* Check every peer that will run against seq; 0 or -1 after a message. */
static int case_check(const options *o, run_ctx *c, int shape, int body, uint64_t *want)
{
    c->threads = 1;
    c->ti = 0;
    *want = peer_check(c, P_SEQ);
    for (int ti = 0; ti < o->n_threads; ti++)
        for (int p = P_OMP; p < N_PEERS; p++) {
            if (!peer_wanted(o, p, body, o->threads[ti]) || p == P_JF_PREBUILT)
                continue;
            c->threads = o->threads[ti];
            c->ti = ti;
            uint64_t h = peer_check(c, p);
            if (h != *want || h == 0) {
                fprintf(stderr,
                        "run_bench: case %d (%s, %s) threads=%d peer=%s: check hash %016" PRIx64
                        " != seq %016" PRIx64 "\n",
                        case_id(shape, body), shape_names[shape], body_names[body], c->threads,
                        peer_names[p], h, *want);
                return -1;
            }
        }
    return 0;
}

/* One timed repetition of peer p (thread slot ti) into samp. */
static int rep_one(run_ctx *c, int ti, int p, int rep)
{
    double s;
    jf_parts t;
    c->ti = ti;
    int rc = peer_once(c, p, task_body, c->cnt, &s, &t);
    if (rc != 0 || !counters_ok(c->cnt, c->g->n)) {
        fprintf(stderr, "run_bench: peer %s threads=%d: %s\n", peer_names[p], c->threads,
                rc ? "failed" : "a task did not run exactly once");
        return -1;
    }
    samples *sp = &samp[ti][p];
    sp->time[rep] = s;
    sp->build[rep] = t.build_s;
    sp->plan[rep] = t.plan_s;
    sp->run[rep] = t.run_s;
    sp->fre[rep] = t.free_s;
    sp->targets = t.targets;
    memcpy(sp->choice, t.choice, sizeof sp->choice);
    return 0;
}

/* All peers, all thread counts, interleaved, `reps` times. */
static int case_reps(const options *o, run_ctx *c, int body)
{
    for (int rep = 0; rep < o->reps; rep++) {
        c->threads = 1;
        if (o->peers[P_SEQ] && rep_one(c, 0, P_SEQ, rep) != 0)
            return -1;
        for (int ti = 0; ti < o->n_threads; ti++)
            for (int p = P_OMP; p < N_PEERS; p++) {
                c->threads = o->threads[ti];
                if (peer_wanted(o, p, body, c->threads) && rep_one(c, ti, p, rep) != 0)
                    return -1;
            }
    }
    return 0;
}

static result summarize(samples *sp, int reps, double seq_s, const rb_graph *g, int threads)
{
    result r = {.ran = 1, .tasks = g->n};
    double par = 1.0 / threads, path = (double)g->depth / g->n;
    r.ideal_s = seq_s * (par > path ? par : path);
    r.time_s = median(sp->time, reps);
    r.build_s = median(sp->build, reps);
    r.plan_s = median(sp->plan, reps);
    r.run_s = median(sp->run, reps);
    r.free_s = median(sp->fre, reps);
    r.targets = sp->targets;
    memcpy(r.choice, sp->choice, sizeof r.choice);
    return r;
}

static void case_print(const options *o, const rb_graph *g, int shape, int body, uint64_t hash)
{
    double seq_s = median(samp[0][P_SEQ].time, o->reps);
    result rs = summarize(&samp[0][P_SEQ], o->reps, seq_s, g, 1);
    print_line(shape, body, g, 1, P_SEQ, o->reps, &rs, hash);
    for (int ti = 0; ti < o->n_threads; ti++)
        for (int p = P_OMP; p < N_PEERS; p++) {
            int t = o->threads[ti];
            if (!peer_wanted(o, p, body, t)) {
                if (o->peers[p] && (p != P_JF_PREBUILT || body == BODY_TRIVIAL))
                    skip_line(shape, body, t, p, "not_built");
                continue;
            }
            result *r = &results[shape][body][ti][p];
            *r = summarize(&samp[ti][p], o->reps, seq_s, g, t);
            print_line(shape, body, g, t, p, o->reps, r, hash);
        }
    fflush(stdout);
}

/* The identity plan on a job of task_body over cnt, for jf_prebuilt. */
static jf_plan *prebuilt_plan(const rb_graph *g, uint32_t *cnt, jf_job **job)
{
    jf_plan *plan = NULL;
    jf_status st = jf_build(g, task_body, cnt, 0, job);
    if (st == JF_OK)
        st = jf_plan_identity(*job, &plan);
    if (st != JF_OK)
        jf_report("prebuilt plan", st, jf_job_errmsg(*job));
    return plan;
}

static int run_case(const options *o, int shape, int body, uint64_t *hash_all)
{
    rb_graph g = make_graph(shape, body, o->quick);
    run_ctx c = {.g = &g, .us = body_us[body], .cnt = xcalloc(g.n, sizeof(uint32_t))};
    jf_job *job = NULL;
    cur_us = body_us[body];
    if (body == BODY_TRIVIAL && o->peers[P_JF_PREBUILT])
        c.prebuilt = prebuilt_plan(&g, c.cnt, &job);
    uint64_t hash = 0;
    int rc = body == BODY_TRIVIAL && o->peers[P_JF_PREBUILT] && !c.prebuilt ? -1 : 0;
    if (rc == 0)
        rc = case_check(o, &c, shape, body, &hash);
    if (rc == 0)
        rc = case_reps(o, &c, body);
    if (rc == 0)
        case_print(o, &g, shape, body, hash);
    *hash_all = fnv(*hash_all, hash);
    jf_plan_destroy(c.prebuilt);
    jf_job_destroy(job);
    free(c.cnt);
    graph_free(&g);
    return rc;
}

/* ---- verdicts ---- */

static int n_pass, n_fail;

static void verdict(const char *target, const char *shape, int threads, double value,
                    const char *value_name, double limit, int pass_if_below)
{
    int pass = pass_if_below ? value <= limit : value >= limit;
    printf("verdict target=%s shape=%s threads=%d %s=%.3f limit=%.3f %s\n", target, shape, threads,
           value_name, value, limit, pass ? "PASS" : "FAIL");
    pass ? n_pass++ : n_fail++;
}

static void verdict_skip(const char *target, const char *shape, int threads, const char *why)
{
    printf("verdict target=%s shape=%s threads=%d SKIP (%s)\n", target, shape, threads, why);
}

static int thread_slot(const options *o, int threads)
{
    for (int ti = 0; ti < o->n_threads; ti++)
        if (o->threads[ti] == threads)
            return ti;
    return -1;
}

/* jf_comb's ratio to the ideal with this body, every shape, 2 threads. */
static void verdicts_ideal(const options *o, int body, const char *target, double limit)
{
    int ti = thread_slot(o, 2);
    for (int s = 0; s < N_SHAPES; s++) {
        if (!o->shapes[s] || !o->bodies[body])
            continue;
        const result *r = ti < 0 ? NULL : &results[s][body][ti][P_JF_COMB];
        if (!r || !r->ran)
            verdict_skip(target, shape_names[s], 2, "not run");
        else
            verdict(target, shape_names[s], 2, r->time_s / r->ideal_s, "ratio_to_ideal", limit, 1);
    }
}

/* How many times faster jf_comb is than the best of `peers` (2 threads). */
static void verdicts_faster(const options *o, int body, const int *shapes, int n_shapes,
                            int with_starpu, const char *target, double limit)
{
    int ti = thread_slot(o, 2);
    for (int k = 0; k < n_shapes; k++) {
        int s = shapes[k];
        if (!o->shapes[s] || !o->bodies[body])
            continue;
        const result *r = ti < 0 ? NULL : results[s][body][ti];
        int have = r && r[P_JF_COMB].ran && r[P_OMP].ran && (!with_starpu || r[P_STARPU].ran);
        if (!have) {
            verdict_skip(target, shape_names[s], 2, "a peer was not run");
            continue;
        }
        double best = r[P_OMP].time_s;
        if (with_starpu && r[P_STARPU].time_s < best)
            best = r[P_STARPU].time_s;
        verdict(target, shape_names[s], 2, best / r[P_JF_COMB].time_s, "speedup", limit, 0);
    }
}

/* jf_prebuilt: ns per task over the ideal, every shape and thread count. */
static void verdicts_prebuilt(const options *o)
{
    for (int s = 0; s < N_SHAPES; s++)
        for (int ti = 0; ti < o->n_threads && o->shapes[s] && o->bodies[BODY_TRIVIAL]; ti++) {
            const result *r = &results[s][BODY_TRIVIAL][ti][P_JF_PREBUILT];
            if (!r->ran) {
                verdict_skip("prebuilt_overhead", shape_names[s], o->threads[ti], "not run");
                continue;
            }
            double over = (r->time_s - r->ideal_s) * 1e9 / r->tasks;
            verdict("prebuilt_overhead", shape_names[s], o->threads[ti], over, "over_ideal_ns",
                    TARGET_PREBUILT_NS, 1);
        }
}

static void print_verdicts(const options *o)
{
    static const int chain_wave[] = {SH_CHAIN, SH_WAVEFRONT};
    static const int all[] = {SH_CHAIN, SH_PAR, SH_TREE, SH_WAVEFRONT, SH_LAYERED};
    verdicts_ideal(o, BODY_1US, "ideal_1us", TARGET_IDEAL_1US);
    verdicts_faster(o, BODY_1US, chain_wave, 2, 0, "vs_omp_1us", TARGET_VS_OMP_1US);
    verdicts_faster(o, BODY_TRIVIAL, all, N_SHAPES, 1, "vs_best_trivial", TARGET_VS_BEST_TRIVIAL);
    verdicts_ideal(o, BODY_50US, "ideal_50us", TARGET_IDEAL_50US);
    verdicts_prebuilt(o);
    printf("verdicts pass=%d fail=%d\n", n_pass, n_fail);
}

/* ---- a table for RESULTS.md: time in ms (ratio to the ideal) ---- */

static void print_table(const options *o)
{
    printf("\n| shape | body | threads | ideal ms |");
    for (int p = P_OMP; p < N_PEERS; p++)
        printf(" %s |", peer_names[p]);
    printf("\n|---|---|---|---|");
    for (int p = P_OMP; p < N_PEERS; p++)
        printf("---|");
    printf("\n");
    for (int s = 0; s < N_SHAPES; s++)
        for (int b = 0; b < N_BODIES; b++)
            for (int ti = 0; ti < o->n_threads; ti++) {
                const result *r = results[s][b][ti];
                double ideal = 0;
                for (int p = P_OMP; p < N_PEERS; p++)
                    ideal = r[p].ran ? r[p].ideal_s : ideal;
                if (ideal == 0)
                    continue;
                printf("| %s | %s | %d | %.2f |", shape_names[s], body_names[b], o->threads[ti],
                       ideal * 1e3);
                for (int p = P_OMP; p < N_PEERS; p++)
                    if (r[p].ran)
                        printf(" %.2f (%.2fx) |", r[p].time_s * 1e3, r[p].time_s / r[p].ideal_s);
                    else
                        printf(" - |");
                printf("\n");
            }
    printf("\n");
}

/* ---- options ---- */

static void usage(void)
{
    fprintf(stderr, "usage: run_bench [--quick] [--reps N] [--only SHAPE[,SHAPE]] "
                    "[--threads 1,2] [--body trivial,1us,50us] [--peers LIST]\n"
                    "shapes: chain par tree wavefront layered; peers: seq omp starpu jf "
                    "jf_comb jf_prebuilt\n");
    exit(2);
}

/* Set sel[k] for every name of `list` found in names[0..n); 0 on success. */
static int parse_names(const char *list, const char *const *names, int n, int *sel)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    memset(sel, 0, (size_t)n * sizeof *sel);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < n && strcmp(tok, names[k]) != 0)
            k++;
        if (k == n)
            return -1;
        sel[k] = 1;
    }
    return 0;
}

static int parse_threads(const char *list, options *o)
{
    char *end;
    o->n_threads = 0;
    for (const char *p = list; *p; p = *end ? end + 1 : end) {
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > 256 || (*end && *end != ',') ||
            o->n_threads == MAX_THREADS_LIST)
            return -1;
        o->threads[o->n_threads++] = (int)t;
    }
    return o->n_threads > 0 ? 0 : -1;
}

static options parse_options(int argc, char **argv)
{
    options o = {.reps = 5, .threads = {1, 2}, .n_threads = 2};
    for (int k = 0; k < N_SHAPES; k++)
        o.shapes[k] = 1;
    for (int k = 0; k < N_BODIES; k++)
        o.bodies[k] = 1;
    for (int k = 0; k < N_PEERS; k++)
        o.peers[k] = 1;
    int reps_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--quick"))
            o.quick = 1;
        else if (!strcmp(a, "--reps") && v && ++i)
            bad = (o.reps = atoi(v)) < 1 || o.reps > MAX_REPS || !(reps_set = 1);
        else if (!strcmp(a, "--only") && v && ++i)
            bad = parse_names(v, shape_names, N_SHAPES, o.shapes);
        else if (!strcmp(a, "--body") && v && ++i)
            bad = parse_names(v, body_names, N_BODIES, o.bodies);
        else if (!strcmp(a, "--peers") && v && ++i)
            bad = parse_names(v, peer_names, N_PEERS, o.peers);
        else if (!strcmp(a, "--threads") && v && ++i)
            bad = parse_threads(v, &o);
        else
            bad = 1;
        if (bad)
            usage();
    }
    if (o.quick && !reps_set)
        o.reps = 1;
    o.peers[P_SEQ] = 1; /* the reference of every ratio and hash */
    return o;
}

/* ---- main ---- */

/* Calibrate jf_spin_us outside the clocks and say how long it really spins. */
static void spin_report(void)
{
    double v[5];
    jf_spin_us(1);
    for (int k = 0; k < 5; k++) {
        double t0 = wall_s();
        for (int j = 0; j < 1000; j++)
            jf_spin_us(1);
        v[k] = (wall_s() - t0) * 1e3; /* us per call */
    }
    double one = median(v, 5);
    for (int k = 0; k < 5; k++) {
        double t0 = wall_s();
        jf_spin_us(50);
        v[k] = (wall_s() - t0) * 1e6;
    }
    printf("spin us=1 measured_us=%.3f us=50 measured_us=%.3f\n", one, median(v, 5));
}

/* How many cores this process really gets: a fixed amount of arithmetic on
 * one thread, then on `threads` threads at once. A 2-core machine busy with
 * other work shows a speedup well under 2, and then the 2-thread lines
 * measure the other work as much as the peers. */
static void *burn(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 20000000; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (void *)(uintptr_t)(x | 1);
}

static double burn_s(int threads)
{
    pthread_t tid[MAX_THREADS_LIST * 32];
    int made = 0;
    double t0 = wall_s();
    while (made < threads && made < (int)(sizeof tid / sizeof tid[0]) &&
           pthread_create(&tid[made], NULL, burn, (void *)(uintptr_t)made) == 0)
        made++;
    for (int k = 0; k < made; k++)
        pthread_join(tid[k], NULL);
    return made == threads ? wall_s() - t0 : -1;
}

static void machine_report(const options *o, const char *when)
{
    int most = 1;
    for (int ti = 0; ti < o->n_threads; ti++)
        most = o->threads[ti] > most ? o->threads[ti] : most;
    double one[3], many[3];
    for (int k = 0; k < 3; k++) {
        one[k] = burn_s(1);
        many[k] = burn_s(most);
    }
    double s1 = median(one, 3), sn = median(many, 3);
    printf("machine when=%s threads=%d parallel_speedup=%.2f loadavg=", when, most,
           sn > 0 ? most * s1 / sn : 0);
    double la[1];
    if (getloadavg(la, 1) == 1)
        printf("%.2f\n", la[0]);
    else
        printf("?\n");
}

static void print_header(const options *o)
{
    printf("run_bench nproc=%ld openmp=%d starpu=%d quick=%d reps=%d threads=",
           sysconf(_SC_NPROCESSORS_ONLN), HAVE_OMP, HAVE_STARPU, o->quick, o->reps);
    for (int ti = 0; ti < o->n_threads; ti++)
        printf("%s%d", ti ? "," : "", o->threads[ti]);
    printf("\n");
#if HAVE_STARPU
    if (o->peers[P_STARPU] && rb_starpu_start(1) == 0) {
        printf("starpu sched=%s\n", rb_starpu_sched_name());
        rb_starpu_stop();
    }
#endif
    spin_report();
    machine_report(o, "start");
}

int main(int argc, char **argv)
{
    options o = parse_options(argc, argv);
    print_header(&o);
    for (int ti = 0; ti < o.n_threads; ti++) {
        if (jf_executor_local_create(o.threads[ti], &executors[ti]) != JF_OK)
            die("jf_executor_local_create failed");
        dispatch_ns[ti] = jf_measure_dispatch_ns(executors[ti]);
        printf("executor threads=%d dispatch_ns=%.1f\n", o.threads[ti], dispatch_ns[ti]);
    }
    uint64_t hash_all = 0xcbf29ce484222325ull;
    int rc = 0;
    for (int s = 0; s < N_SHAPES && rc == 0; s++)
        for (int b = 0; b < N_BODIES && rc == 0; b++)
            if (o.shapes[s] && o.bodies[b])
                rc = run_case(&o, s, b, &hash_all);
    for (int ti = 0; ti < o.n_threads; ti++)
        jf_executor_destroy(executors[ti]);
    if (rc != 0)
        return 1;
    machine_report(&o, "end");
    print_table(&o);
    print_verdicts(&o);
    printf("hash_all=%016" PRIx64 "\n", hash_all);
    return 0;
}
