/* tests/jf_test.h — what jobfuse's test programs share.
 *
 *   #include "jf_test.h"
 *   int main(void) {
 *       jf_rng rng = jf_rng_seed(42);
 *       jf_test_spec spec;
 *       jf_test_spec_random(&rng, JF_SHAPE_LAYERED, 100, &spec);
 *       jf_job *job = NULL;
 *       JF_CHECK_STATUS(jf_test_spec_build(&spec, &job), JF_OK);
 *       JF_CHECK_U(jf_job_task_count(job), ==, spec.n);   // prints both values
 *       ...
 *       return jf_test_finish("test_x", "jobs", 1);
 *   }
 *
 * Four parts:
 *  - checks: JF_CHECK(cond), JF_CHECK_U/I/D(a, op, b), JF_CHECK_STATUS,
 *    JF_CHECK_MENTIONS. Each evaluates its operands once, prints file:line,
 *    both values and the context string set with jf_test_context() (a seed,
 *    so a failing case can be replayed), and yields 1 when the check held.
 *  - jf_rng: splitmix64, the same numbers on every machine.
 *  - jf_test_spec: a random job described in plain arrays (shape, edges,
 *    demands of memory/time (sum) and threads/slots (max)), turned into a
 *    validated jf_job by jf_test_spec_build(); jf_test_random_limits() picks
 *    capacities (explicit or through devices), demand thresholds and
 *    max_members around the spec's demands.
 *  - jf_test_model: what jf_combine must do, computed independently from the
 *    job and the parameters (degrees, the two candidate groups, capacities,
 *    thresholds), and jf_test_check_plan(), which checks every guarantee of
 *    DESIGN.md on a plan.
 */
#ifndef JF_TEST_H
#define JF_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobfuse/combine.h"

#define JF_TEST_FN static inline

/* ======================================================================
 * checks
 * ====================================================================== */

#define JF_TEST_MAX_REPORTS 60

/* Seconds on the monotonic clock. */
static inline double jf_test_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int jf_test_failures_ __attribute__((unused));
static char jf_test_ctx_[512] __attribute__((unused));
static int jf_test_muted_ __attribute__((unused));

/* Text printed after every failure until changed ("" for none). */
JF_TEST_FN void jf_test_context(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(jf_test_ctx_, sizeof jf_test_ctx_, fmt, ap);
    va_end(ap);
}

JF_TEST_FN int jf_test_failures(void)
{
    return jf_test_failures_;
}

/* For testing the checks themselves: between jf_test_mute() and
 * jf_test_unmute(saved) failures are neither printed nor kept; unmute
 * returns how many there were. */
JF_TEST_FN int jf_test_mute(void)
{
    jf_test_muted_ = 1;
    return jf_test_failures_;
}

JF_TEST_FN int jf_test_unmute(int saved)
{
    int n = jf_test_failures_ - saved;
    jf_test_failures_ = saved;
    jf_test_muted_ = 0;
    return n;
}

JF_TEST_FN void jf_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

JF_TEST_FN void jf_test_fail(const char *file, int line, const char *fmt, ...)
{
    jf_test_failures_++;
    if (jf_test_muted_)
        return;
    if (jf_test_failures_ > JF_TEST_MAX_REPORTS) {
        if (jf_test_failures_ == JF_TEST_MAX_REPORTS + 1)
            fprintf(stderr, "(further failures are counted, not printed)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (jf_test_ctx_[0])
        fprintf(stderr, "  [%s]", jf_test_ctx_);
    fputc('\n', stderr);
}

JF_TEST_FN int jf_test_op_(const char *op, int cmp)
{
    if (strcmp(op, "==") == 0)
        return cmp == 0;
    if (strcmp(op, "!=") == 0)
        return cmp != 0;
    if (strcmp(op, "<") == 0)
        return cmp < 0;
    if (strcmp(op, "<=") == 0)
        return cmp <= 0;
    if (strcmp(op, ">") == 0)
        return cmp > 0;
    if (strcmp(op, ">=") == 0)
        return cmp >= 0;
    fprintf(stderr, "jf_test: unknown operator %s\n", op);
    abort();
}

JF_TEST_FN int jf_test_check_(int ok, const char *expr, const char *file, int line)
{
    if (!ok)
        jf_test_fail(file, line, "check failed: %s", expr);
    return ok;
}

JF_TEST_FN int jf_test_cmp_u_(uint64_t a, const char *op, uint64_t b, const char *ea,
                              const char *eb, const char *file, int line)
{
    int ok = jf_test_op_(op, (a > b) - (a < b));
    if (!ok)
        jf_test_fail(file, line, "check failed: %s %s %s: %" PRIu64 " vs %" PRIu64, ea, op, eb, a,
                     b);
    return ok;
}

JF_TEST_FN int jf_test_cmp_i_(int64_t a, const char *op, int64_t b, const char *ea, const char *eb,
                              const char *file, int line)
{
    int ok = jf_test_op_(op, (a > b) - (a < b));
    if (!ok)
        jf_test_fail(file, line, "check failed: %s %s %s: %" PRId64 " vs %" PRId64, ea, op, eb, a,
                     b);
    return ok;
}

/* Exact comparison; NaN never compares (then only != holds). */
JF_TEST_FN int jf_test_cmp_d_(double a, const char *op, double b, const char *ea, const char *eb,
                              const char *file, int line)
{
    int ok = (a != a || b != b) ? strcmp(op, "!=") == 0 : jf_test_op_(op, (a > b) - (a < b));
    if (!ok)
        jf_test_fail(file, line, "check failed: %s %s %s: %.17g vs %.17g", ea, op, eb, a, b);
    return ok;
}

JF_TEST_FN int jf_test_status_(jf_status got, jf_status want, const char *eg, const char *file,
                               int line)
{
    if (got != want)
        jf_test_fail(file, line, "check failed: %s: got %d (%s), want %d (%s)", eg, (int)got,
                     jf_status_str(got), (int)want, jf_status_str(want));
    return got == want;
}

static inline int jf_test_wordch_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* 1 when `word` occurs in text as a whole word (not inside a longer id). */
JF_TEST_FN int jf_test_mentions(const char *text, const char *word)
{
    size_t n = strlen(word);
    if (!text || n == 0)
        return 0;
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !jf_test_wordch_(p[-1])) && !jf_test_wordch_(p[n]))
            return 1;
    return 0;
}

JF_TEST_FN int jf_test_mentions_(const char *text, const char *word, const char *file, int line)
{
    int ok = jf_test_mentions(text, word);
    if (!ok)
        jf_test_fail(file, line, "check failed: message \"%s\" names \"%s\"",
                     text ? text : "(null)", word);
    return ok;
}

#define JF_CHECK(cond) jf_test_check_((cond) != 0, #cond, __FILE__, __LINE__)
#define JF_CHECK_U(a, op, b)                                                                       \
    jf_test_cmp_u_((uint64_t)(a), #op, (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define JF_CHECK_I(a, op, b)                                                                       \
    jf_test_cmp_i_((int64_t)(a), #op, (int64_t)(b), #a, #b, __FILE__, __LINE__)
#define JF_CHECK_D(a, op, b)                                                                       \
    jf_test_cmp_d_((double)(a), #op, (double)(b), #a, #b, __FILE__, __LINE__)
#define JF_CHECK_STATUS(got, want) jf_test_status_((got), (want), #got, __FILE__, __LINE__)
#define JF_CHECK_MENTIONS(text, word) jf_test_mentions_((text), (word), __FILE__, __LINE__)

/* Print "name: N what, F failures" and give main's exit status. */
JF_TEST_FN int jf_test_finish(const char *name, const char *what, uint64_t count)
{
    printf("%s: %" PRIu64 " %s, %d failures\n", name, count, what, jf_test_failures_);
    fflush(stdout);
    return jf_test_failures_ ? 1 : 0;
}

/* 1 when the environment asks for a shorter run (JF_TEST_QUICK=1). */
JF_TEST_FN int jf_test_quick(void)
{
    const char *q = getenv("JF_TEST_QUICK");
    return q && q[0] && strcmp(q, "0") != 0;
}

JF_TEST_FN void *jf_test_alloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "jf_test: out of memory\n");
        abort();
    }
    return p;
}

/* ======================================================================
 * random numbers: splitmix64
 * ====================================================================== */

typedef struct {
    uint64_t state;
} jf_rng;

JF_TEST_FN jf_rng jf_rng_seed(uint64_t seed)
{
    jf_rng r = {seed};
    return r;
}

JF_TEST_FN uint64_t jf_rng_next(jf_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
JF_TEST_FN uint32_t jf_rng_below(jf_rng *r, uint32_t n)
{
    return (uint32_t)(((jf_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [lo, hi]. */
JF_TEST_FN int64_t jf_rng_range(jf_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(jf_rng_next(r) % (uint64_t)(hi - lo + 1));
}

JF_TEST_FN double jf_rng_unit(jf_rng *r)
{
    return (double)(jf_rng_next(r) >> 11) * 0x1p-53;
}

JF_TEST_FN int jf_rng_chance(jf_rng *r, double p)
{
    return jf_rng_unit(r) < p;
}

/* Seed of case i of a run with base seed `base`: cases are independent. */
JF_TEST_FN uint64_t jf_rng_case_seed(uint64_t base, uint64_t i)
{
    jf_rng r = jf_rng_seed(base ^ (i * 0xd1b54a32d192ed03ULL));
    return jf_rng_next(&r);
}

/* ======================================================================
 * random jobs
 * ====================================================================== */

typedef enum {
    JF_SHAPE_CHAIN,     /* a line */
    JF_SHAPE_PAR,       /* no edges */
    JF_SHAPE_OUT_TREE,  /* root fans out (k-ary or random recursive) */
    JF_SHAPE_IN_TREE,   /* the same reversed: a reduction */
    JF_SHAPE_WAVEFRONT, /* grid, (i,j) needs (i-1,j) and (i,j-1) */
    JF_SHAPE_LAYERED,   /* levels, 1-4 successors in the next level */
    JF_SHAPE_RANDOM,    /* random forward edges, random density and locality */
    JF_SHAPE_DIAMONDS,  /* fork into short chains, join, repeat */
    JF_SHAPE_BRAIDS,    /* parallel chains with rare cross links */
    JF_SHAPE_UNION,     /* disjoint union of 2-4 of the shapes above */
    JF_SHAPE_COUNT
} jf_test_shape;

static const char *const jf_test_shape_names_[JF_SHAPE_COUNT]
    __attribute__((unused)) = {"chain",   "par",    "out-tree", "in-tree", "wavefront",
                               "layered", "random", "diamonds", "braids",  "union"};

JF_TEST_FN const char *jf_test_shape_name(jf_test_shape s)
{
    return (unsigned)s < JF_SHAPE_COUNT ? jf_test_shape_names_[s] : "?";
}

/* The resources of every spec, in this order. */
enum { JF_RES_MEMORY, JF_RES_TIME, JF_RES_THREADS, JF_RES_SLOTS, JF_TEST_NRES };
static const char *const jf_test_res_names_[JF_TEST_NRES]
    __attribute__((unused)) = {"memory", "time", "threads", "slots"};
static const jf_rule jf_test_res_rules_[JF_TEST_NRES]
    __attribute__((unused)) = {JF_RULE_SUM, JF_RULE_SUM, JF_RULE_MAX, JF_RULE_MAX};

typedef struct {
    uint32_t n;          /* tasks */
    size_t m, cap;       /* dependencies as added (duplicates kept) */
    uint32_t *from, *to; /* logical task numbers */
    uint64_t *bytes;
    uint32_t *perm;               /* logical number -> task index */
    double *demand[JF_TEST_NRES]; /* by logical number */
} jf_test_spec;

JF_TEST_FN void jf_test_spec_add_edge(jf_test_spec *s, uint32_t a, uint32_t b, uint64_t bytes)
{
    if (s->m == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->from = realloc(s->from, s->cap * sizeof *s->from);
        s->to = realloc(s->to, s->cap * sizeof *s->to);
        s->bytes = realloc(s->bytes, s->cap * sizeof *s->bytes);
        if (!s->from || !s->to || !s->bytes) {
            fprintf(stderr, "jf_test: out of memory\n");
            abort();
        }
    }
    s->from[s->m] = a;
    s->to[s->m] = b;
    s->bytes[s->m] = bytes;
    s->m++;
}

JF_TEST_FN void jf_test_spec_free(jf_test_spec *s)
{
    free(s->from);
    free(s->to);
    free(s->bytes);
    free(s->perm);
    for (int r = 0; r < JF_TEST_NRES; r++)
        free(s->demand[r]);
    memset(s, 0, sizeof *s);
}

/* An edge a->b among nodes base.. with random bytes. */
JF_TEST_FN void jf_test_edge_(jf_rng *r, jf_test_spec *s, uint32_t a, uint32_t b)
{
    jf_test_spec_add_edge(s, a, b, (uint64_t)jf_rng_range(r, 1, 4096));
}

JF_TEST_FN uint32_t jf_test_tree_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n, int in)
{
    uint32_t arity = jf_rng_below(r, 5); /* 0: random recursive tree */
    for (uint32_t i = 1; i < n; i++) {
        uint32_t parent = arity ? (i - 1) / arity : jf_rng_below(r, i);
        if (in)
            jf_test_edge_(r, s, base + i, base + parent);
        else
            jf_test_edge_(r, s, base + parent, base + i);
    }
    return n;
}

JF_TEST_FN uint32_t jf_test_wavefront_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n)
{
    uint32_t w = 1 + jf_rng_below(r, n < 24 ? n : 24), h = n / w;
    for (uint32_t i = 0; i < h; i++)
        for (uint32_t j = 0; j < w; j++) {
            if (i > 0)
                jf_test_edge_(r, s, base + (i - 1) * w + j, base + i * w + j);
            if (j > 0)
                jf_test_edge_(r, s, base + i * w + j - 1, base + i * w + j);
        }
    return w * h;
}

JF_TEST_FN uint32_t jf_test_layered_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n)
{
    uint32_t wmax = 1 + jf_rng_below(r, 8), start = 0, prev = 0, prev_w = 0;
    while (start < n) {
        uint32_t w = 1 + jf_rng_below(r, wmax);
        if (w > n - start)
            w = n - start;
        for (uint32_t i = 0; prev_w && i < prev_w; i++) {
            uint32_t k = 1 + jf_rng_below(r, 4), first = jf_rng_below(r, w);
            for (uint32_t j = 0; j < k && j < w; j++) /* k distinct successors */
                jf_test_edge_(r, s, base + prev + i, base + start + (first + j) % w);
        }
        prev = start;
        prev_w = w;
        start += w;
    }
    return n;
}

JF_TEST_FN uint32_t jf_test_random_dag_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n)
{
    if (n < 2)
        return n;
    double density = jf_rng_unit(r) * (jf_rng_chance(r, 0.5) ? 1.2 : 4.0);
    uint32_t m = (uint32_t)(density * n), reach = 1 + jf_rng_below(r, 6);
    int local = jf_rng_chance(r, 0.6);
    for (uint32_t e = 0; e < m; e++) {
        uint32_t a = jf_rng_below(r, n - 1), b;
        if (local) {
            b = a + 1 + jf_rng_below(r, reach);
            if (b >= n)
                b = n - 1;
        } else {
            b = a + 1 + jf_rng_below(r, n - 1 - a);
        }
        jf_test_edge_(r, s, base + a, base + b);
    }
    return n;
}

JF_TEST_FN uint32_t jf_test_diamonds_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n)
{
    uint32_t src = 0, next = 1;
    while (next < n) {
        uint32_t k = 1 + jf_rng_below(r, 3), len = 1 + jf_rng_below(r, 3);
        if (next + k * len + 1 > n)
            break;
        uint32_t join = next + k * len;
        for (uint32_t b = 0; b < k; b++) {
            uint32_t prev = src;
            for (uint32_t i = 0; i < len; i++) {
                uint32_t v = next + b * len + i;
                jf_test_edge_(r, s, base + prev, base + v);
                prev = v;
            }
            jf_test_edge_(r, s, base + prev, base + join);
        }
        src = join;
        next = join + 1;
    }
    for (; next < n; next++) /* a tail chain for the rest */
        jf_test_edge_(r, s, base + next - 1, base + next);
    return n;
}

JF_TEST_FN uint32_t jf_test_braids_(jf_rng *r, jf_test_spec *s, uint32_t base, uint32_t n)
{
    uint32_t c = 1 + jf_rng_below(r, 5), len = (n + c - 1) / c;
    double p = jf_rng_unit(r) * 0.3;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t chain = v / len, i = v % len;
        if (i + 1 < len && v + 1 < n)
            jf_test_edge_(r, s, base + v, base + v + 1);
        if (c > 1 && i + 1 < len && jf_rng_chance(r, p)) {
            uint32_t other = (chain + 1 + jf_rng_below(r, c - 1)) % c;
            uint32_t w = other * len + i + 1;
            if (w < n)
                jf_test_edge_(r, s, base + v, base + w);
        }
    }
    return n;
}

/* Edges of one shape on nodes base..base+n-1; returns the nodes used. */
JF_TEST_FN uint32_t jf_test_shape_edges_(jf_rng *r, jf_test_spec *s, jf_test_shape shape,
                                         uint32_t base, uint32_t n)
{
    switch (shape) {
    case JF_SHAPE_CHAIN:
        for (uint32_t i = 1; i < n; i++)
            jf_test_edge_(r, s, base + i - 1, base + i);
        return n;
    case JF_SHAPE_PAR: return n;
    case JF_SHAPE_OUT_TREE: return jf_test_tree_(r, s, base, n, 0);
    case JF_SHAPE_IN_TREE: return jf_test_tree_(r, s, base, n, 1);
    case JF_SHAPE_WAVEFRONT: return jf_test_wavefront_(r, s, base, n);
    case JF_SHAPE_LAYERED: return jf_test_layered_(r, s, base, n);
    case JF_SHAPE_RANDOM: return jf_test_random_dag_(r, s, base, n);
    case JF_SHAPE_DIAMONDS: return jf_test_diamonds_(r, s, base, n);
    case JF_SHAPE_BRAIDS: return jf_test_braids_(r, s, base, n);
    default: break;
    }
    uint32_t parts = 2 + jf_rng_below(r, 3), used = 0;
    for (uint32_t p = 0; p < parts && used < n; p++) {
        uint32_t left = n - used, size = p + 1 == parts ? left : 1 + jf_rng_below(r, left);
        used += jf_test_shape_edges_(r, s, (jf_test_shape)jf_rng_below(r, JF_SHAPE_UNION),
                                     base + used, size);
    }
    return used;
}

/* Random demands: integers, so that sums are exact in any order. A job gets
 * one profile; some tasks are outliers, some demand nothing. */
JF_TEST_FN void jf_test_random_demands(jf_rng *r, jf_test_spec *s)
{
    static const double mem_hi[] = {1, 10, 100, 1000, 100000};
    double hi = mem_hi[jf_rng_below(r, 5)];
    double p_out = jf_rng_chance(r, 0.5) ? 0.0 : 0.1, p_zero = jf_rng_chance(r, 0.7) ? 0 : 0.2;
    uint32_t threads_hi = 1 + jf_rng_below(r, 8), slots_hi = jf_rng_below(r, 12);
    for (int k = 0; k < JF_TEST_NRES; k++) {
        free(s->demand[k]);
        s->demand[k] = jf_test_alloc(s->n, sizeof(double));
    }
    for (uint32_t v = 0; v < s->n; v++) {
        double mem = (double)jf_rng_range(r, 1, (int64_t)hi);
        if (jf_rng_chance(r, p_out))
            mem = (double)jf_rng_range(r, (int64_t)hi, 4 * (int64_t)hi);
        if (jf_rng_chance(r, p_zero))
            mem = 0;
        s->demand[JF_RES_MEMORY][v] = mem;
        s->demand[JF_RES_TIME][v] = (double)jf_rng_range(r, 0, 10);
        s->demand[JF_RES_THREADS][v] = (double)jf_rng_range(r, 1, threads_hi);
        s->demand[JF_RES_SLOTS][v] = (double)jf_rng_range(r, 0, slots_hi);
    }
}

/* A random spec of about n tasks (1 <= result <= n for n >= 1) of one
 * shape, with duplicated dependencies now and then, tasks added in a random
 * order (usually) and random demands. */
JF_TEST_FN void jf_test_spec_random(jf_rng *r, jf_test_shape shape, uint32_t n, jf_test_spec *s)
{
    memset(s, 0, sizeof *s);
    s->n = n ? jf_test_shape_edges_(r, s, shape, 0, n) : 0;
    if (s->n == 0 && n > 0)
        s->n = 1;
    double p_dup = jf_rng_chance(r, 0.7) ? 0.0 : jf_rng_unit(r) * 0.3;
    size_t m = s->m;
    for (size_t e = 0; e < m; e++)
        if (jf_rng_chance(r, p_dup))
            jf_test_edge_(r, s, s->from[e], s->to[e]);
    s->perm = jf_test_alloc(s->n, sizeof *s->perm);
    for (uint32_t i = 0; i < s->n; i++)
        s->perm[i] = i;
    if (jf_rng_chance(r, 0.75))
        for (uint32_t i = s->n; i > 1; i--) {
            uint32_t j = jf_rng_below(r, i), t = s->perm[i - 1];
            s->perm[i - 1] = s->perm[j];
            s->perm[j] = t;
        }
    jf_test_random_demands(r, s);
}

/* Make and validate the job of a spec: tasks "t<index>", resources memory,
 * time (sum), threads, slots (max). *out is set even on failure. */
JF_TEST_FN jf_status jf_test_spec_build(const jf_test_spec *s, jf_job **out)
{
    jf_job *job = NULL;
    jf_status st = jf_job_create("random", &job);
    *out = job;
    if (st != JF_OK)
        return st;
    int res[JF_TEST_NRES];
    for (int k = 0; k < JF_TEST_NRES; k++)
        if ((res[k] = jf_job_declare_resource(job, jf_test_res_names_[k], jf_test_res_rules_[k])) <
            0)
            return JF_ENOMEM;
    uint32_t *logical = jf_test_alloc(s->n, sizeof *logical);
    for (uint32_t v = 0; v < s->n; v++)
        logical[s->perm[v]] = v;
    for (uint32_t i = 0; i < s->n && st == JF_OK; i++) {
        uint32_t t;
        st = jf_job_add_task_anon(job, &t);
        for (int k = 0; k < JF_TEST_NRES && st == JF_OK; k++)
            st = jf_job_set_demand(job, t, res[k], s->demand[k][logical[i]]);
    }
    free(logical);
    for (size_t e = 0; e < s->m && st == JF_OK; e++)
        st = jf_job_add_dep(job, s->perm[s->from[e]], s->perm[s->to[e]], s->bytes[e]);
    return st == JF_OK ? jf_job_validate(job) : st;
}

/* ======================================================================
 * random limits
 * ====================================================================== */

JF_TEST_FN double jf_test_spec_max_demand(const jf_test_spec *s, int k)
{
    double m = 0;
    for (uint32_t v = 0; v < s->n; v++)
        m = s->demand[k][v] > m ? s->demand[k][v] : m;
    return m;
}

JF_TEST_FN void jf_test_add_limit(jf_limit *list, int *count, const char *res, double v, int pct)
{
    if (*count >= JF_MAX_LIMITS)
        abort();
    jf_limit *l = &list[(*count)++];
    memset(l, 0, sizeof *l);
    snprintf(l->resource, sizeof l->resource, "%s", res);
    l->value = v;
    l->percent = pct;
}

/* Fill the capacity part of *p around the spec's demands: sometimes no
 * limit at all, sometimes tight (capacity = the largest demand, so few
 * merges fit), explicit capacities or devices (*devs, to destroy; NULL when
 * none) whose smallest capacity may be below some tasks' demands; random
 * demand thresholds, default percent and max_members. `tight` in [0,1]
 * leans towards tight capacities. No task exceeds what it may exceed. */
JF_TEST_FN void jf_test_random_limits(jf_rng *r, const jf_test_spec *s, double tight,
                                      jf_combine_params *p, jf_devices **devs)
{
    static const double factors[] = {1, 1, 1.2, 1.5, 2, 2, 3, 5, 10, 40};
    /* 29% and 57% of 100 are not 0.29 * 100 and 0.57 * 100 in doubles */
    static const double percents[] = {10, 25, 29, 33, 50, 57, 75, 100, 100, 150};
    static const double odds[JF_TEST_NRES] = {0.8, 0.15, 0.35, 0.35};
    *devs = NULL;
    p->n_capacity = p->n_demand_threshold = 0;
    uint32_t ndev = jf_rng_chance(r, 0.5) ? 1 + jf_rng_below(r, 3) : 0;
    if (ndev) {
        if (jf_devices_create(devs) != JF_OK)
            abort();
        for (uint32_t d = 0; d < ndev; d++) {
            char id[16];
            snprintf(id, sizeof id, "dev%u", (unsigned)d);
            jf_devices_add(*devs, id, 1.0, NULL);
        }
    }
    p->devices = *devs;
    int unlimited = jf_rng_chance(r, 0.2 * (1 - tight));
    for (int k = 0; k < JF_TEST_NRES && !unlimited; k++) {
        if (!jf_rng_chance(r, odds[k] + (1 - odds[k]) * tight * 0.5))
            continue;
        double maxd = jf_test_spec_max_demand(s, k), f = factors[jf_rng_below(r, 10)];
        if (jf_rng_chance(r, tight))
            f = 1 + jf_rng_unit(r) * 1.5;
        double cap = ceil(maxd * f);
        if (cap < 1)
            cap = 1;
        if (cap >= 100 && jf_rng_chance(r, 0.5)) /* percentages of it are whole */
            cap = ceil(cap / 100) * 100;
        int by_devices = ndev && jf_rng_chance(r, 0.6);
        if (by_devices) {
            /* the largest device holds every task; the others may be smaller */
            uint32_t big = jf_rng_below(r, ndev);
            for (uint32_t d = 0; d < ndev; d++) {
                double c =
                    d == big ? cap : (double)jf_rng_range(r, (int64_t)(cap / 3), (int64_t)cap);
                if (d != big && jf_rng_chance(r, 0.1))
                    c = INFINITY; /* unnamed on that device: unlimited */
                if (c < 1)
                    c = 1;
                jf_devices_set_capacity(*devs, (int)d, jf_test_res_names_[k], c);
            }
        }
        if (!by_devices || jf_rng_chance(r, 0.2)) /* explicit overrides devices */
            jf_test_add_limit(p->capacity, &p->n_capacity, jf_test_res_names_[k], cap, 0);
        if (jf_rng_chance(r, 0.4)) {
            int pct = jf_rng_chance(r, 0.6);
            double v =
                pct ? percents[jf_rng_below(r, 10)] : (double)jf_rng_range(r, 0, (int64_t)cap);
            jf_test_add_limit(p->demand_threshold, &p->n_demand_threshold, jf_test_res_names_[k], v,
                              pct);
        }
    }
    p->default_threshold_percent = jf_rng_chance(r, 0.6) ? 50 : percents[jf_rng_below(r, 10)];
    p->max_members =
        jf_rng_chance(r, 0.5) ? 0 : 1 + jf_rng_below(r, jf_rng_chance(r, 0.5) ? 4 : 20);
}

/* ======================================================================
 * the model: what jf_combine must do, worked out independently
 * ====================================================================== */

typedef struct {
    const jf_job *job;
    const jf_combine_params *params;
    uint32_t n;
    int n_res;
    double *cap;              /* per resource: merges must fit it; INFINITY: unlimited */
    double *bound;            /* per resource: a task above it is JF_ECAPACITY */
    double *thr;              /* per resource: demand threshold; INFINITY: none */
    uint32_t *indeg, *outdeg; /* distinct, after validation */
    unsigned char *first, *second;
    uint32_t n_first, n_second;
    uint32_t over_task; /* first task above some bound, UINT32_MAX if none */
    int over_res;
} jf_test_model;

JF_TEST_FN const jf_limit *jf_test_find_limit(const jf_limit *list, int count, const char *res)
{
    const jf_limit *found = NULL;
    for (int i = 0; i < count; i++)
        if (strcmp(list[i].resource, res) == 0)
            found = &list[i];
    return found;
}

JF_TEST_FN int jf_test_in_first(jf_degree_mode mode, uint32_t k, uint32_t in, uint32_t out)
{
    switch (mode) {
    case JF_DEGREE_IN: return in < k;
    case JF_DEGREE_OUT: return out < k;
    case JF_DEGREE_SUM: return in + out < k;
    default: return in < k && out < k;
    }
}

JF_TEST_FN void jf_test_model_limits_(jf_test_model *m)
{
    const jf_combine_params *p = m->params;
    for (int r = 0; r < m->n_res; r++) {
        const char *name = jf_job_resource_name(m->job, r);
        const jf_limit *c = jf_test_find_limit(p->capacity, p->n_capacity, name);
        const jf_limit *t = jf_test_find_limit(p->demand_threshold, p->n_demand_threshold, name);
        m->cap[r] = m->bound[r] = INFINITY;
        if (c) {
            m->cap[r] = m->bound[r] = c->value;
        } else if (p->devices) {
            m->cap[r] = jf_devices_capacity_min(p->devices, name);
            m->bound[r] = jf_devices_capacity_max(p->devices, name);
        }
        m->thr[r] = INFINITY;
        if (isfinite(m->cap[r]))
            m->thr[r] = t ? (t->percent ? m->cap[r] * t->value / 100 : t->value)
                          : m->cap[r] * p->default_threshold_percent / 100;
    }
}

JF_TEST_FN void jf_test_model_init(jf_test_model *m, const jf_job *job, const jf_combine_params *p)
{
    memset(m, 0, sizeof *m);
    m->job = job;
    m->params = p;
    m->n = jf_job_task_count(job);
    m->n_res = jf_job_resource_count(job);
    m->cap = jf_test_alloc((size_t)m->n_res, sizeof(double));
    m->bound = jf_test_alloc((size_t)m->n_res, sizeof(double));
    m->thr = jf_test_alloc((size_t)m->n_res, sizeof(double));
    m->indeg = jf_test_alloc(m->n, sizeof(uint32_t));
    m->outdeg = jf_test_alloc(m->n, sizeof(uint32_t));
    m->first = jf_test_alloc(m->n, 1);
    m->second = jf_test_alloc(m->n, 1);
    jf_test_model_limits_(m);
    m->over_task = UINT32_MAX;
    m->over_res = -1;
    for (uint32_t t = 0; t < m->n; t++) {
        const uint32_t *nb;
        const uint64_t *by;
        m->indeg[t] = jf_job_pred(job, t, &nb, &by);
        m->outdeg[t] = jf_job_succ(job, t, &nb, &by);
        m->first[t] = (unsigned char)jf_test_in_first(p->degree_mode, p->degree_threshold,
                                                      m->indeg[t], m->outdeg[t]);
        m->second[t] = m->first[t];
        for (int r = 0; r < m->n_res; r++) {
            double d = jf_job_demand(job, t, r);
            if (d > m->thr[r])
                m->second[t] = 0;
            if (d > m->bound[r] && m->over_task == UINT32_MAX) {
                m->over_task = t;
                m->over_res = r;
            }
        }
        m->n_first += m->first[t];
        m->n_second += m->second[t];
    }
}

JF_TEST_FN void jf_test_model_free(jf_test_model *m)
{
    free(m->cap);
    free(m->bound);
    free(m->thr);
    free(m->indeg);
    free(m->outdeg);
    free(m->first);
    free(m->second);
    memset(m, 0, sizeof *m);
}

/* Fold demand d into acc by the rule of resource r. */
JF_TEST_FN double jf_test_fold(const jf_job *job, int r, double acc, double d)
{
    return jf_job_resource_rule(job, r) == JF_RULE_MAX ? (d > acc ? d : acc) : acc + d;
}

/* 1 when the combined demand dem[0..n_res) fits every capacity. */
JF_TEST_FN int jf_test_fits(const jf_test_model *m, const double *dem)
{
    for (int r = 0; r < m->n_res; r++)
        if (dem[r] > m->cap[r])
            return 0;
    return 1;
}

/* ======================================================================
 * checking a plan against every guarantee
 * ====================================================================== */

typedef struct {
    uint32_t target;
    uint64_t bytes;
} jf_test_tedge;

static inline int jf_test_tedge_cmp_(const void *a, const void *b)
{
    const jf_test_tedge *x = a, *y = b;
    return (x->target > y->target) - (x->target < y->target);
}

/* Sort and merge (target, bytes) pairs; returns the new count. */
JF_TEST_FN size_t jf_test_tedge_merge_(jf_test_tedge *e, size_t n)
{
    qsort(e, n, sizeof *e, jf_test_tedge_cmp_);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && e[k - 1].target == e[i].target)
            e[k - 1].bytes += e[i].bytes;
        else
            e[k++] = e[i];
    }
    return k;
}

/* The plan's view of a target's edges (dir 0: succ, 1: pred), checked
 * against the edges of the original job that leave (enter) it. */
JF_TEST_FN void jf_test_check_tedges_(const jf_plan *plan, const jf_job *job, const uint32_t *tof,
                                      uint32_t t, int dir, jf_test_tedge *buf)
{
    const uint32_t *mem, *tt, *nb;
    const uint64_t *tb, *by;
    uint32_t nm = jf_plan_target_members(plan, t, &mem), nt = jf_plan_target_count(plan);
    size_t k = 0;
    for (uint32_t i = 0; i < nm; i++) {
        uint32_t c = dir ? jf_job_pred(job, mem[i], &nb, &by) : jf_job_succ(job, mem[i], &nb, &by);
        for (uint32_t j = 0; j < c; j++)
            if (tof[nb[j]] != t)
                buf[k++] = (jf_test_tedge){tof[nb[j]], by[j]};
    }
    k = jf_test_tedge_merge_(buf, k);
    uint32_t c =
        dir ? jf_plan_target_pred(plan, t, &tt, &tb) : jf_plan_target_succ(plan, t, &tt, &tb);
    if (!JF_CHECK_U(c, ==, k)) {
        jf_test_fail(__FILE__, __LINE__, "target %u: %s edges differ", (unsigned)t,
                     dir ? "pred" : "succ");
        return;
    }
    jf_test_tedge *got = jf_test_alloc(c, sizeof *got);
    for (uint32_t j = 0; j < c; j++) {
        JF_CHECK_U(tt[j], <, nt);
        JF_CHECK_U(tt[j], !=, t);
        got[j] = (jf_test_tedge){tt[j], tb[j]};
    }
    qsort(got, c, sizeof *got, jf_test_tedge_cmp_);
    for (uint32_t j = 0; j < c; j++) {
        if (j > 0)
            JF_CHECK_U(got[j].target, !=, got[j - 1].target); /* distinct */
        if (JF_CHECK_U(got[j].target, ==, buf[j].target))
            JF_CHECK_U(got[j].bytes, ==, buf[j].bytes);
    }
    free(got);
}

/* Kahn on the target graph; returns the number of targets ordered. */
JF_TEST_FN uint32_t jf_test_kahn_(const jf_plan *plan)
{
    uint32_t nt = jf_plan_target_count(plan), head = 0, tail = 0;
    uint32_t *indeg = jf_test_alloc(nt, sizeof *indeg), *queue = jf_test_alloc(nt, sizeof *queue);
    const uint32_t *tt;
    const uint64_t *tb;
    for (uint32_t t = 0; t < nt; t++)
        if ((indeg[t] = jf_plan_target_pred(plan, t, &tt, &tb)) == 0)
            queue[tail++] = t;
    while (head < tail) {
        uint32_t t = queue[head++], c = jf_plan_target_succ(plan, t, &tt, &tb);
        for (uint32_t j = 0; j < c; j++)
            if (tt[j] < nt && indeg[tt[j]] > 0 && --indeg[tt[j]] == 0)
                queue[tail++] = tt[j];
    }
    free(indeg);
    free(queue);
    return tail;
}

/* 1 when the members of target t are connected through original edges
 * inside t. */
JF_TEST_FN int jf_test_connected_(const jf_plan *plan, const jf_job *job, const uint32_t *tof,
                                  uint32_t t, unsigned char *seen, uint32_t *stack)
{
    const uint32_t *mem, *nb;
    const uint64_t *by;
    uint32_t nm = jf_plan_target_members(plan, t, &mem), top = 0, reached = 1;
    seen[mem[0]] = 1;
    stack[top++] = mem[0];
    while (top > 0) {
        uint32_t v = stack[--top];
        for (int dir = 0; dir < 2; dir++) {
            uint32_t c = dir ? jf_job_pred(job, v, &nb, &by) : jf_job_succ(job, v, &nb, &by);
            for (uint32_t j = 0; j < c; j++)
                if (tof[nb[j]] == t && !seen[nb[j]]) {
                    seen[nb[j]] = 1;
                    stack[top++] = nb[j];
                    reached++;
                }
        }
    }
    for (uint32_t i = 0; i < nm; i++)
        seen[mem[i]] = 0;
    return reached == nm;
}

/* Membership: every task in exactly one target, target_of agrees. Fills
 * tof and pos (position in its target). Returns 1 when consistent. */
JF_TEST_FN int jf_test_check_membership_(const jf_test_model *m, const jf_plan *plan, uint32_t *tof,
                                         uint32_t *pos)
{
    int before = jf_test_failures_;
    uint32_t nt = jf_plan_target_count(plan);
    for (uint32_t v = 0; v < m->n; v++)
        tof[v] = UINT32_MAX;
    JF_CHECK_U(nt, <=, m->n);
    if (m->n > 0)
        JF_CHECK_U(nt, >=, 1);
    for (uint32_t t = 0; t < nt && jf_test_failures_ == before; t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        JF_CHECK_U(nm, >=, 1);
        for (uint32_t i = 0; i < nm && jf_test_failures_ == before; i++) {
            if (!JF_CHECK_U(mem[i], <, m->n))
                break;
            if (!JF_CHECK_U(tof[mem[i]], ==, UINT32_MAX)) /* in two targets */
                break;
            tof[mem[i]] = t;
            pos[mem[i]] = i;
            JF_CHECK_U(jf_plan_target_of(plan, mem[i]), ==, t);
        }
    }
    for (uint32_t v = 0; v < m->n && jf_test_failures_ == before; v++)
        JF_CHECK_U(tof[v], !=, UINT32_MAX); /* task v in no target */
    return jf_test_failures_ == before;
}

/* Each member after every member of its own target it depends on. */
JF_TEST_FN void jf_test_check_order_(const jf_test_model *m, const uint32_t *tof,
                                     const uint32_t *pos)
{
    for (uint32_t v = 0; v < m->n; v++) {
        const uint32_t *nb;
        const uint64_t *by;
        uint32_t c = jf_job_pred(m->job, v, &nb, &by);
        for (uint32_t j = 0; j < c; j++)
            if (tof[nb[j]] == tof[v] && !JF_CHECK_U(pos[nb[j]], <, pos[v]))
                jf_test_fail(__FILE__, __LINE__, "target %u runs \"%s\" before \"%s\" it needs",
                             (unsigned)tof[v], jf_job_task_id(m->job, v),
                             jf_job_task_id(m->job, nb[j]));
    }
}

/* The target graph: exact, numbered topologically, acyclic. */
JF_TEST_FN void jf_test_check_graph_(const jf_test_model *m, const jf_plan *plan,
                                     const uint32_t *tof)
{
    uint32_t nt = jf_plan_target_count(plan);
    uint64_t edges = 0;
    jf_test_tedge *buf = jf_test_alloc(jf_job_edge_count(m->job) + 1, sizeof *buf);
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *tt;
        const uint64_t *tb;
        jf_test_check_tedges_(plan, m->job, tof, t, 0, buf);
        jf_test_check_tedges_(plan, m->job, tof, t, 1, buf);
        uint32_t c = jf_plan_target_succ(plan, t, &tt, &tb);
        edges += c;
        for (uint32_t j = 0; j < c; j++)
            JF_CHECK_U(tt[j], >, t); /* numbered in topological order */
    }
    free(buf);
    JF_CHECK_U(jf_plan_edge_count(plan), ==, edges);
    JF_CHECK_U(jf_test_kahn_(plan), ==, nt); /* acyclic */
}

/* Demands per target, recomputed (dem[t * n_res + r]) and compared. */
JF_TEST_FN void jf_test_check_demand_(const jf_test_model *m, const jf_plan *plan, double *dem)
{
    uint32_t nt = jf_plan_target_count(plan);
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        for (int r = 0; r < m->n_res; r++) {
            double acc = 0;
            for (uint32_t i = 0; i < nm; i++)
                acc = jf_test_fold(m->job, r, acc, jf_job_demand(m->job, mem[i], r));
            dem[(size_t)t * m->n_res + r] = acc;
            if (!JF_CHECK_D(jf_plan_target_demand(plan, t, r), ==, acc))
                jf_test_fail(__FILE__, __LINE__, "target %u, resource %s", (unsigned)t,
                             jf_job_resource_name(m->job, r));
        }
    }
}

/* Multi-member targets: second group only, fit, max_members, connected. */
JF_TEST_FN void jf_test_check_groups_(const jf_test_model *m, const jf_plan *plan,
                                      const uint32_t *tof, const double *dem)
{
    uint32_t nt = jf_plan_target_count(plan), maxm = m->params->max_members;
    unsigned char *seen = jf_test_alloc(m->n, 1);
    uint32_t *stack = jf_test_alloc(m->n, sizeof *stack);
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        if (nm < 2)
            continue;
        for (uint32_t i = 0; i < nm; i++)
            if (!m->second[mem[i]])
                jf_test_fail(__FILE__, __LINE__,
                             "target %u (%u members) holds \"%s\", not in the second group "
                             "(in %u, out %u, first %d)",
                             (unsigned)t, (unsigned)nm, jf_job_task_id(m->job, mem[i]),
                             (unsigned)m->indeg[mem[i]], (unsigned)m->outdeg[mem[i]],
                             m->first[mem[i]]);
        for (int r = 0; r < m->n_res; r++)
            if (!JF_CHECK_D(dem[(size_t)t * m->n_res + r], <=, m->cap[r]))
                jf_test_fail(__FILE__, __LINE__, "target %u exceeds the %s capacity", (unsigned)t,
                             jf_job_resource_name(m->job, r));
        if (maxm)
            JF_CHECK_U(nm, <=, maxm);
        if (!jf_test_connected_(plan, m->job, tof, t, seen, stack))
            jf_test_fail(__FILE__, __LINE__, "target %u: members not connected", (unsigned)t);
    }
    free(seen);
    free(stack);
}

/* The fixpoint: no safe neighbouring pair of second-group targets that
 * would still fit. */
JF_TEST_FN void jf_test_check_fixpoint_(const jf_test_model *m, const jf_plan *plan,
                                        const double *dem)
{
    uint32_t nt = jf_plan_target_count(plan), maxm = m->params->max_members;
    unsigned char *all2 = jf_test_alloc(nt, 1);
    double *u = jf_test_alloc((size_t)m->n_res, sizeof *u);
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        all2[t] = 1;
        for (uint32_t i = 0; i < nm; i++)
            all2[t] &= m->second[mem[i]];
    }
    for (uint32_t a = 0; a < nt; a++) {
        const uint32_t *tt, *mem, *pt;
        const uint64_t *tb, *pb;
        uint32_t c = jf_plan_target_succ(plan, a, &tt, &tb);
        if (!all2[a])
            continue;
        for (uint32_t j = 0; j < c; j++) {
            uint32_t b = tt[j];
            if (b >= nt || !all2[b])
                continue;
            uint32_t in_b = jf_plan_target_pred(plan, b, &pt, &pb);
            if (c != 1 && in_b != 1)
                continue;
            const uint32_t *mb;
            uint32_t na = jf_plan_target_members(plan, a, &mem);
            uint32_t nb = jf_plan_target_members(plan, b, &mb);
            if (maxm && na + nb > maxm)
                continue;
            for (int r = 0; r < m->n_res; r++)
                u[r] = jf_test_fold(m->job, r, dem[(size_t)a * m->n_res + r],
                                    dem[(size_t)b * m->n_res + r]);
            if (jf_test_fits(m, u))
                jf_test_fail(__FILE__, __LINE__,
                             "not at the fixpoint: targets %u (%u members from \"%s\", out %u) "
                             "-> %u (%u members from \"%s\", in %u) could still merge",
                             (unsigned)a, (unsigned)na, jf_job_task_id(m->job, mem[0]), (unsigned)c,
                             (unsigned)b, (unsigned)nb, jf_job_task_id(m->job, mb[0]),
                             (unsigned)in_b);
        }
    }
    free(all2);
    free(u);
}

JF_TEST_FN void jf_test_check_stats_(const jf_test_model *m, const jf_plan *plan,
                                     const jf_combine_stats *stats)
{
    uint32_t nt = jf_plan_target_count(plan), largest = 0;
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *mem;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        largest = nm > largest ? nm : largest;
    }
    JF_CHECK_U(stats->largest_target, ==, largest);
    JF_CHECK_U(stats->second_group, <=, stats->first_group);
    JF_CHECK_U(stats->first_group, <=, m->n);
    JF_CHECK_U(stats->first_group, ==, m->n_first);
    JF_CHECK_U(stats->second_group, ==, m->n_second);
    JF_CHECK_U(stats->merges, ==, m->n - nt);
}

/* Check every guarantee on a plan made by jf_combine(job, params) (stats
 * may be NULL). Returns the number of failed checks. */
JF_TEST_FN int jf_test_check_plan(const jf_test_model *m, const jf_plan *plan,
                                  const jf_combine_stats *stats)
{
    int before = jf_test_failures_;
    if (!JF_CHECK(plan != NULL) || !JF_CHECK(jf_plan_job(plan) == m->job))
        return jf_test_failures_ - before;
    uint32_t nt = jf_plan_target_count(plan);
    uint32_t *tof = jf_test_alloc(m->n, sizeof *tof), *pos = jf_test_alloc(m->n, sizeof *pos);
    if (jf_test_check_membership_(m, plan, tof, pos)) {
        double *dem = jf_test_alloc((size_t)nt * (size_t)(m->n_res ? m->n_res : 1), sizeof *dem);
        jf_test_check_order_(m, tof, pos);
        jf_test_check_graph_(m, plan, tof);
        jf_test_check_demand_(m, plan, dem);
        jf_test_check_groups_(m, plan, tof, dem);
        jf_test_check_fixpoint_(m, plan, dem);
        if (stats)
            jf_test_check_stats_(m, plan, stats);
        /* Merging never shortens the longest path; sums of fractional
         * times in another order may differ in the last bits. */
        double cp_job = jf_job_critical_path(m->job);
        JF_CHECK_D(jf_plan_critical_path(plan), >=, cp_job - 1e-9 * fabs(cp_job));
        free(dem);
    }
    free(tof);
    free(pos);
    return jf_test_failures_ - before;
}

/* 1 when two plans of the same job are identical (targets, members in
 * order, edges with bytes, demands); reports the first difference. */
JF_TEST_FN int jf_test_plans_equal(const jf_plan *a, const jf_plan *b)
{
    const jf_job *job = jf_plan_job(a);
    uint32_t nt = jf_plan_target_count(a);
    if (!JF_CHECK_U(jf_plan_target_count(b), ==, nt) ||
        !JF_CHECK_U(jf_plan_edge_count(b), ==, jf_plan_edge_count(a)))
        return 0;
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *ma, *mb;
        const uint64_t *ba, *bb;
        uint32_t na = jf_plan_target_members(a, t, &ma), nb = jf_plan_target_members(b, t, &mb);
        if (!JF_CHECK_U(nb, ==, na) || !JF_CHECK(memcmp(ma, mb, na * sizeof *ma) == 0))
            return 0;
        na = jf_plan_target_succ(a, t, &ma, &ba);
        nb = jf_plan_target_succ(b, t, &mb, &bb);
        if (!JF_CHECK_U(nb, ==, na) || !JF_CHECK(memcmp(ma, mb, na * sizeof *ma) == 0) ||
            !JF_CHECK(memcmp(ba, bb, na * sizeof *ba) == 0))
            return 0;
        for (int r = 0; r < jf_job_resource_count(job); r++)
            if (!JF_CHECK_D(jf_plan_target_demand(b, t, r), ==, jf_plan_target_demand(a, t, r)))
                return 0;
    }
    return 1;
}

/* Print a job, the parameters (when not NULL) and a plan (when not NULL)
 * to stderr, for replaying a failing case by hand. Tasks and targets are
 * listed for jobs of at most 2000 tasks. */
JF_TEST_FN void jf_test_dump(const jf_job *job, const jf_combine_params *p, const jf_plan *plan)
{
    uint32_t n = jf_job_task_count(job);
    int nr = jf_job_resource_count(job), list = n <= 2000;
    fprintf(stderr, "job: %u tasks, %" PRIu64 " edges\n", (unsigned)n, jf_job_edge_count(job));
    for (uint32_t t = 0; list && t < n; t++) {
        const uint32_t *nb;
        const uint64_t *by;
        uint32_t c = jf_job_succ(job, t, &nb, &by);
        fprintf(stderr, "  %s {", jf_job_task_id(job, t));
        for (int r = 0; r < nr; r++)
            if (jf_job_demand(job, t, r) != 0)
                fprintf(stderr, " %s=%g", jf_job_resource_name(job, r), jf_job_demand(job, t, r));
        fprintf(stderr, " } ->");
        for (uint32_t j = 0; j < c; j++)
            fprintf(stderr, " %s(%" PRIu64 ")", jf_job_task_id(job, nb[j]), by[j]);
        fputc('\n', stderr);
    }
    if (p) {
        fprintf(stderr, "params: K=%u mode=%d max_members=%u default%%=%g devices=%d\n",
                (unsigned)p->degree_threshold, (int)p->degree_mode, (unsigned)p->max_members,
                p->default_threshold_percent, p->devices ? jf_devices_count(p->devices) : 0);
        for (int i = 0; i < p->n_capacity; i++)
            fprintf(stderr, "  capacity %s=%g%s\n", p->capacity[i].resource, p->capacity[i].value,
                    p->capacity[i].percent ? "%" : "");
        for (int i = 0; i < p->n_demand_threshold; i++)
            fprintf(stderr, "  threshold %s=%g%s\n", p->demand_threshold[i].resource,
                    p->demand_threshold[i].value, p->demand_threshold[i].percent ? "%" : "");
        for (int d = 0; p->devices && d < jf_devices_count(p->devices); d++)
            for (int r = 0; r < nr; r++) {
                double c = jf_devices_capacity(p->devices, d, jf_job_resource_name(job, r));
                if (isfinite(c))
                    fprintf(stderr, "  device %d %s=%g\n", d, jf_job_resource_name(job, r), c);
            }
    }
    if (plan)
        fprintf(stderr, "plan: %u targets, %" PRIu64 " edges\n",
                (unsigned)jf_plan_target_count(plan), jf_plan_edge_count(plan));
    for (uint32_t t = 0; list && plan && t < jf_plan_target_count(plan); t++) {
        const uint32_t *mem;
        const uint64_t *by;
        uint32_t nm = jf_plan_target_members(plan, t, &mem);
        fprintf(stderr, "  T%u [", (unsigned)t);
        for (uint32_t i = 0; i < nm; i++)
            fprintf(stderr, "%s%s", i ? " " : "", jf_job_task_id(job, mem[i]));
        fprintf(stderr, "] ->");
        uint32_t c = jf_plan_target_succ(plan, t, &mem, &by);
        for (uint32_t j = 0; j < c; j++)
            fprintf(stderr, " T%u(%" PRIu64 ")", (unsigned)mem[j], by[j]);
        fputc('\n', stderr);
    }
}

#endif
