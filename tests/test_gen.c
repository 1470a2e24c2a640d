/* Synthetic jobs: counts, degree bounds, acyclicity, determinism, demand
 * bounds and rejected parameters for every shape of jobfuse/gen.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobfuse/gen.h"

static int failures;

#define FAIL_AT(...)                                        \
    do {                                                    \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);     \
        fprintf(stderr, __VA_ARGS__);                       \
        fputc('\n', stderr);                                \
        failures++;                                         \
    } while (0)

#define CHECK(cond, ...)       \
    do {                       \
        if (!(cond))           \
            FAIL_AT(__VA_ARGS__); \
    } while (0)

#define CHECK_EQ(what, expected, actual)                                                     \
    do {                                                                                     \
        uint64_t e_ = (uint64_t)(expected), a_ = (uint64_t)(actual);                         \
        if (e_ != a_)                                                                        \
            FAIL_AT("%s: expected %" PRIu64 ", got %" PRIu64, (what), e_, a_);               \
    } while (0)

static jf_gen_params params(jf_gen_shape shape, uint64_t size)
{
    jf_gen_params p = jf_gen_default_params();
    p.shape = shape;
    p.size = size;
    return p;
}

/* Generate; on failure report and return NULL. */
static jf_job *gen_ok(const jf_gen_params *p, const char *what)
{
    jf_job *job = NULL;
    jf_status st = jf_gen(p, &job);
    if (st != JF_OK) {
        FAIL_AT("%s: jf_gen: expected ok, got %s: %s", what, jf_status_str(st),
                jf_job_errmsg(job));
        jf_job_destroy(job);
        return NULL;
    }
    return job;
}

static uint32_t out_degree(const jf_job *job, uint32_t t)
{
    const uint32_t *s;
    return jf_job_succ(job, t, &s, NULL);
}

static uint32_t in_degree(const jf_job *job, uint32_t t)
{
    const uint32_t *s;
    return jf_job_pred(job, t, &s, NULL);
}

/* The topological order is a permutation and every edge goes forward in
 * it; successor lists hold no repeats and the edge count adds up. */
static void check_dag(const jf_job *job, const char *what)
{
    uint32_t n = jf_job_task_count(job);
    const uint32_t *order = jf_job_topo_order(job);
    uint32_t *pos = malloc(((size_t)n + 1) * sizeof *pos);
    for (uint32_t i = 0; i < n; i++)
        pos[i] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        CHECK(order[i] < n && pos[order[i]] == UINT32_MAX, "%s: topo order is no permutation",
              what);
        if (order[i] < n)
            pos[order[i]] = i;
    }
    uint64_t edges = 0;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *s;
        uint32_t k = jf_job_succ(job, t, &s, NULL);
        edges += k;
        for (uint32_t i = 0; i < k; i++) {
            CHECK(pos[t] < pos[s[i]], "%s: edge %s -> %s goes backward (positions %u, %u)", what,
                  jf_job_task_id(job, t), jf_job_task_id(job, s[i]), pos[t], pos[s[i]]);
            CHECK(i == 0 || s[i - 1] != s[i], "%s: repeated edge from %s", what,
                  jf_job_task_id(job, t));
        }
    }
    CHECK_EQ(what, jf_job_edge_count(job), edges);
    free(pos);
}

static void check_counts(const jf_job *job, const char *what, uint64_t tasks, uint64_t edges)
{
    char label[128];
    snprintf(label, sizeof label, "%s: tasks", what);
    CHECK_EQ(label, tasks, jf_job_task_count(job));
    snprintf(label, sizeof label, "%s: edges", what);
    CHECK_EQ(label, edges, jf_job_edge_count(job));
    check_dag(job, what);
}

/* ---- shapes ---- */

static void test_chain_par(void)
{
    jf_gen_params p = params(JF_GEN_CHAIN, 100);
    jf_job *job = gen_ok(&p, "chain 100");
    if (job) {
        check_counts(job, "chain 100", 100, 99);
        for (uint32_t t = 0; t < 100; t++) {
            CHECK(out_degree(job, t) <= 1 && in_degree(job, t) <= 1,
                  "chain: task %s has in %u out %u, expected <= 1", jf_job_task_id(job, t),
                  in_degree(job, t), out_degree(job, t));
        }
        CHECK_EQ("chain: in-degree of the first", 0, in_degree(job, 0));
        CHECK_EQ("chain: out-degree of the last", 0, out_degree(job, 99));
    }
    jf_job_destroy(job);
    p = params(JF_GEN_CHAIN, 1);
    job = gen_ok(&p, "chain 1");
    if (job)
        check_counts(job, "chain 1", 1, 0);
    jf_job_destroy(job);
    p = params(JF_GEN_PAR, 50);
    job = gen_ok(&p, "par 50");
    if (job)
        check_counts(job, "par 50", 50, 0);
    jf_job_destroy(job);
}

static void check_tree_degrees(const jf_job *job, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++) {
        int leaf = 2 * (uint64_t)t + 1 >= n;
        CHECK_EQ("tree: in-degree", leaf ? 0 : 2, in_degree(job, t));
        CHECK_EQ("tree: out-degree", t == 0 ? 0 : 1, out_degree(job, t));
    }
}

static void test_tree(void)
{
    for (uint64_t depth = 1; depth <= 8; depth++) {
        jf_gen_params p = params(JF_GEN_TREE, depth);
        char what[64];
        snprintf(what, sizeof what, "tree %" PRIu64, depth);
        jf_job *job = gen_ok(&p, what);
        if (!job)
            continue;
        uint32_t n = (uint32_t)((1u << depth) - 1);
        check_counts(job, what, n, n - 1);
        check_tree_degrees(job, n);
        /* a reduction: the root runs last */
        CHECK_EQ("tree: last in topo order is the root", 0, jf_job_topo_order(job)[n - 1]);
        jf_job_destroy(job);
    }
}

static void check_wavefront_degrees(const jf_job *job, uint32_t m)
{
    for (uint32_t i = 0; i < m; i++) {
        for (uint32_t j = 0; j < m; j++) {
            char id[32];
            uint32_t t = UINT32_MAX;
            snprintf(id, sizeof id, "w%u_%u", i, j);
            if (!jf_job_task_find(job, id, &t)) {
                FAIL_AT("wavefront %u: no task \"%s\"", m, id);
                continue;
            }
            CHECK_EQ("wavefront: in-degree", (i > 0) + (j > 0), in_degree(job, t));
            CHECK_EQ("wavefront: out-degree", (i + 1 < m) + (j + 1 < m), out_degree(job, t));
        }
    }
}

static void test_wavefront(void)
{
    for (uint32_t m = 1; m <= 9; m++) {
        jf_gen_params p = params(JF_GEN_WAVEFRONT, m);
        char what[64];
        snprintf(what, sizeof what, "wavefront %u", m);
        jf_job *job = gen_ok(&p, what);
        if (!job)
            continue;
        check_counts(job, what, (uint64_t)m * m, 2ull * m * (m - 1));
        check_wavefront_degrees(job, m);
        jf_job_destroy(job);
    }
}

/* Tasks are numbered level by level; each task of a level but the last
 * feeds between succ_min and succ_max tasks of the next (fewer only when
 * the next level is narrower), and nothing else. */
static void check_layered(const jf_job *job, const jf_gen_params *p, uint32_t n, const char *what)
{
    uint32_t w = (uint32_t)(p->size < n ? p->size : n), levels = (n + w - 1) / w;
    for (uint32_t t = 0; t < n; t++) {
        uint32_t level = t / w, next_width = 0;
        if (level + 1 < levels)
            next_width = level + 2 < levels ? w : n - (level + 1) * w;
        uint32_t lo = p->succ_min < next_width ? p->succ_min : next_width;
        uint32_t hi = p->succ_max < next_width ? p->succ_max : next_width;
        uint32_t k = out_degree(job, t);
        CHECK(k >= lo && k <= hi, "%s: task %s (level %u) has out-degree %u, expected %u..%u",
              what, jf_job_task_id(job, t), level, k, lo, hi);
        const uint32_t *s;
        k = jf_job_succ(job, t, &s, NULL);
        for (uint32_t i = 0; i < k; i++)
            CHECK(s[i] / w == level + 1, "%s: edge %s -> %s skips a level", what,
                  jf_job_task_id(job, t), jf_job_task_id(job, s[i]));
    }
}

static void layered_case(uint64_t w, uint64_t tasks, uint32_t lo, uint32_t hi, uint64_t seed)
{
    jf_gen_params p = params(JF_GEN_LAYERED, w);
    p.tasks = tasks;
    p.succ_min = lo;
    p.succ_max = hi;
    p.seed = seed;
    char what[96];
    snprintf(what, sizeof what, "layered %" PRIu64 " tasks %" PRIu64 " succ %u..%u", w, tasks, lo,
             hi);
    jf_job *job = gen_ok(&p, what);
    if (!job)
        return;
    uint32_t n = (uint32_t)(tasks ? tasks : w * w);
    CHECK_EQ(what, n, jf_job_task_count(job));
    check_dag(job, what);
    check_layered(job, &p, n, what);
    jf_job_destroy(job);
}

static void test_layered(void)
{
    layered_case(10, 0, 1, 4, 1);     /* default: W*W tasks */
    layered_case(10, 95, 2, 3, 2);    /* partial last level of 5 */
    layered_case(10, 93, 4, 7, 3);    /* last level narrower than succ_min */
    layered_case(8, 80, 8, 8, 4);     /* complete bipartite levels */
    layered_case(5, 3, 1, 4, 5);      /* fewer tasks than the width */
    layered_case(16, 1000, 0, 2, 6);  /* some tasks without successors */
    layered_case(300, 3000, 1, 4, 7);
    /* complete levels: exactly W*(levels-1)*K edges with K fixed */
    jf_gen_params p = params(JF_GEN_LAYERED, 6);
    p.tasks = 24;
    p.succ_min = p.succ_max = 3;
    jf_job *job = gen_ok(&p, "layered 6x4 succ 3");
    if (job)
        check_counts(job, "layered 6x4 succ 3", 24, 6 * 3 * 3);
    jf_job_destroy(job);
}

/* Edges that go from a higher index to a lower: a random DAG must not be
 * sorted by index. */
static uint64_t backward_edges(const jf_job *job)
{
    uint64_t back = 0;
    for (uint32_t t = 0; t < jf_job_task_count(job); t++) {
        const uint32_t *s;
        uint32_t k = jf_job_succ(job, t, &s, NULL);
        for (uint32_t i = 0; i < k; i++)
            back += s[i] < t;
    }
    return back;
}

static void random_case(uint64_t n, uint64_t edges, uint64_t expected_edges)
{
    jf_gen_params p = params(JF_GEN_RANDOM, n);
    p.edges = edges;
    char what[96];
    snprintf(what, sizeof what, "random %" PRIu64 " edges %" PRIu64, n, edges);
    jf_job *job = gen_ok(&p, what);
    if (!job)
        return;
    check_counts(job, what, n, expected_edges);
    if (expected_edges >= 20)
        CHECK(backward_edges(job) > 0, "%s: every edge goes up in index order", what);
    jf_job_destroy(job);
}

static void test_random(void)
{
    random_case(1000, 0, 4000);  /* default 4 per task */
    random_case(1000, 12345, 12345);
    random_case(20, 190, 190);  /* every pair */
    random_case(20, 150, 150);  /* dense: draws the pairs left out */
    random_case(20, 95, 95);    /* exactly half */
    random_case(20, 3, 3);
    random_case(2, 0, 1);       /* default capped at the pairs there are */
    random_case(1, 0, 0);
    random_case(3000, 3000ull * 2999 / 2 / 2 - 7, 3000ull * 2999 / 2 / 2 - 7);
    /* tasks given through `tasks` instead of `size` */
    jf_gen_params p = params(JF_GEN_RANDOM, 0);
    p.tasks = 100;
    jf_job *job = gen_ok(&p, "random tasks 100");
    if (job)
        check_counts(job, "random tasks 100", 100, 400);
    jf_job_destroy(job);
}

/* ---- determinism ---- */

/* 1 when the two jobs have the same ids, demands, work, edges and bytes. */
static int same_job(const jf_job *a, const jf_job *b)
{
    uint32_t n = jf_job_task_count(a);
    if (n != jf_job_task_count(b) || jf_job_edge_count(a) != jf_job_edge_count(b))
        return 0;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *sa, *sb;
        const uint64_t *ba, *bb;
        uint32_t ka = jf_job_succ(a, t, &sa, &ba), kb = jf_job_succ(b, t, &sb, &bb);
        if (strcmp(jf_job_task_id(a, t), jf_job_task_id(b, t)) != 0 || ka != kb ||
            memcmp(sa, sb, ka * sizeof *sa) != 0 || memcmp(ba, bb, ka * sizeof *ba) != 0)
            return 0;
        for (int r = 0; r < jf_job_resource_count(a); r++)
            if (jf_job_demand(a, t, r) != jf_job_demand(b, t, r))
                return 0;
        if (jf_job_work(a, t).kind != jf_job_work(b, t).kind ||
            jf_job_work(a, t).us != jf_job_work(b, t).us)
            return 0;
    }
    return 1;
}

static void determinism_case(jf_gen_shape shape, uint64_t size, uint64_t tasks)
{
    jf_gen_params p = params(shape, size);
    p.tasks = tasks;
    p.seed = 11;
    const char *name = jf_gen_shape_name(shape);
    jf_job *a = gen_ok(&p, name), *b = gen_ok(&p, name);
    p.seed = 12;
    jf_job *c = gen_ok(&p, name);
    if (a && b && c) {
        CHECK(same_job(a, b), "%s: two jobs from seed 11 differ", name);
        CHECK(!same_job(a, c), "%s: seeds 11 and 12 give the same job", name);
    }
    jf_job_destroy(a);
    jf_job_destroy(b);
    jf_job_destroy(c);
}

static void test_determinism(void)
{
    determinism_case(JF_GEN_CHAIN, 50, 0);
    determinism_case(JF_GEN_PAR, 50, 0);
    determinism_case(JF_GEN_TREE, 5, 0);
    determinism_case(JF_GEN_WAVEFRONT, 6, 0);
    determinism_case(JF_GEN_LAYERED, 20, 500);
    determinism_case(JF_GEN_RANDOM, 500, 0);
    /* the graph does not depend on the demand distributions */
    jf_gen_params p = params(JF_GEN_RANDOM, 300);
    jf_job *a = gen_ok(&p, "random 300"), *b;
    p.memory = (jf_gen_dist){5, 5, 1};
    b = gen_ok(&p, "random 300 memory 5");
    for (uint32_t t = 0; a && b && t < 300; t++) {
        const uint32_t *sa, *sb;
        uint32_t ka = jf_job_succ(a, t, &sa, NULL), kb = jf_job_succ(b, t, &sb, NULL);
        CHECK(ka == kb && memcmp(sa, sb, ka * sizeof *sa) == 0,
              "random 300: task %u's edges change with the memory distribution", t);
    }
    jf_job_destroy(a);
    jf_job_destroy(b);
}

/* ---- demands ---- */

typedef struct {
    double min, max;
    int whole; /* every value a whole number */
} range_seen;

static void see(range_seen *r, double v)
{
    r->min = v < r->min ? v : r->min;
    r->max = v > r->max ? v : r->max;
    r->whole = r->whole && v == floor(v);
}

static void check_range(const char *what, const range_seen *r, const jf_gen_dist *d)
{
    CHECK(r->min >= d->lo && r->max <= d->hi, "%s: expected values in %g..%g, got %g..%g", what,
          d->lo, d->hi, r->min, r->max);
    if (d->integer)
        CHECK(r->whole, "%s: expected whole numbers", what);
    if (d->hi - d->lo >= 10) /* a uniform spread over many draws */
        CHECK(r->max - r->min > (d->hi - d->lo) / 2, "%s: values %g..%g barely spread over %g..%g",
              what, r->min, r->max, d->lo, d->hi);
}

static void demand_case(jf_gen_dist memory, jf_gen_dist time, jf_gen_dist bytes)
{
    jf_gen_params p = params(JF_GEN_LAYERED, 20);
    p.tasks = 2000;
    p.memory = memory;
    p.time = time;
    p.bytes = bytes;
    p.work = (jf_work){JF_WORK_SLEEP, 5};
    jf_job *job = gen_ok(&p, "layered demands");
    if (!job)
        return;
    int mem = jf_job_resource_find(job, "memory"), tim = jf_job_resource_find(job, "time");
    range_seen m = {INFINITY, -INFINITY, 1}, t = m, b = m;
    for (uint32_t k = 0; k < jf_job_task_count(job); k++) {
        see(&m, jf_job_demand(job, k, mem));
        see(&t, jf_job_demand(job, k, tim));
        const uint32_t *s;
        const uint64_t *bb;
        uint32_t deg = jf_job_succ(job, k, &s, &bb);
        for (uint32_t i = 0; i < deg; i++)
            see(&b, (double)bb[i]);
        CHECK(jf_job_work(job, k).kind == JF_WORK_SLEEP && jf_job_work(job, k).us == 5,
              "task %u: expected work sleep 5us, got kind %d %gus", k, (int)jf_job_work(job, k).kind,
              jf_job_work(job, k).us);
    }
    check_range("memory", &m, &memory);
    check_range("time", &t, &time);
    check_range("bytes", &b, &bytes);
    jf_job_destroy(job);
}

static void test_demands(void)
{
    jf_gen_params d = jf_gen_default_params();
    demand_case(d.memory, d.time, d.bytes);
    demand_case((jf_gen_dist){100, 200, 1}, (jf_gen_dist){0.5, 2.5, 0}, (jf_gen_dist){7, 7, 1});
    demand_case((jf_gen_dist){0, 0, 0}, (jf_gen_dist){10, 1000, 1}, (jf_gen_dist){0.4, 3.6, 1});
}

/* ---- bad parameters ---- */

static void expect_einval(const jf_gen_params *p, const char *what)
{
    jf_job *job = NULL;
    jf_status st = jf_gen(p, &job);
    CHECK(st == JF_EINVAL, "%s: expected %s, got %s", what, jf_status_str(JF_EINVAL),
          jf_status_str(st));
    CHECK(job && jf_job_errmsg(job)[0] != '\0', "%s: expected a message on the job", what);
    jf_job_destroy(job);
}

static void test_bad_params(void)
{
    for (int s = JF_GEN_CHAIN; s <= JF_GEN_RANDOM; s++) {
        jf_gen_params p = params((jf_gen_shape)s, 0);
        expect_einval(&p, "size 0");
    }
    jf_gen_params p = params(JF_GEN_TREE, 31);
    expect_einval(&p, "tree depth 31");
    p = params(JF_GEN_WAVEFRONT, 70000);
    expect_einval(&p, "wavefront 70000 (too many tasks)");
    p = params(JF_GEN_CHAIN, 1ull << 33);
    expect_einval(&p, "chain 2^33 (too many tasks)");
    p = params(JF_GEN_RANDOM, 10);
    p.edges = 46;
    expect_einval(&p, "random 10 with 46 edges");
    p = params(JF_GEN_RANDOM, 10);
    p.tasks = 11;
    expect_einval(&p, "random size 10, tasks 11");
    p = params(JF_GEN_LAYERED, 10);
    p.succ_min = 5;
    p.succ_max = 4;
    expect_einval(&p, "layered succ 5..4");
    p = params(JF_GEN_LAYERED, 3);
    expect_einval(&p, "layered width 3 with succ_max 4");
    p = params(JF_GEN_LAYERED, 100000);
    expect_einval(&p, "layered width 100000 squared");
    p = params(JF_GEN_CHAIN, 5);
    p.memory = (jf_gen_dist){10, 5, 1};
    expect_einval(&p, "memory 10..5");
    p.memory = (jf_gen_dist){-1, 5, 0};
    expect_einval(&p, "memory -1..5");
    p.memory = (jf_gen_dist){0.2, 0.8, 1};
    expect_einval(&p, "memory 0.2..0.8 whole");
    p = params(JF_GEN_CHAIN, 5);
    p.time = (jf_gen_dist){NAN, 1, 0};
    expect_einval(&p, "time NaN");
    p = params(JF_GEN_CHAIN, 5);
    p.work.us = -1;
    expect_einval(&p, "work -1us");
    p = params((jf_gen_shape)99, 5);
    expect_einval(&p, "shape 99");
}

static void test_shape_names(void)
{
    for (int s = JF_GEN_CHAIN; s <= JF_GEN_RANDOM; s++) {
        jf_gen_shape back = (jf_gen_shape)-1;
        const char *name = jf_gen_shape_name((jf_gen_shape)s);
        CHECK(jf_gen_shape_parse(name, &back) == 0 && back == (jf_gen_shape)s,
              "shape %d: name \"%s\" parses back to %d", s, name, (int)back);
    }
    jf_gen_shape out;
    CHECK(jf_gen_shape_parse("spiral", &out) != 0, "shape \"spiral\" parsed");
    CHECK(strcmp(jf_gen_shape_name(JF_GEN_WAVEFRONT), "wavefront") == 0,
          "expected \"wavefront\", got \"%s\"", jf_gen_shape_name(JF_GEN_WAVEFRONT));
}

/* Every allocation failure gives JF_ENOMEM (never a crash or a leak). */
static void test_alloc_failures(void)
{
    jf_gen_params p = params(JF_GEN_RANDOM, 40);
    for (uint64_t n = 1; n < 10000; n++) {
        jf_job *job = NULL;
        jf_alloc_fail_after(n);
        jf_status st = jf_gen(&p, &job);
        jf_alloc_fail_after(0);
        jf_job_destroy(job);
        if (st == JF_OK)
            return;
        CHECK(st == JF_ENOMEM, "allocation %" PRIu64 " failing: expected %s, got %s", n,
              jf_status_str(JF_ENOMEM), jf_status_str(st));
    }
    FAIL_AT("jf_gen still failing after 10000 allocations");
}

int main(void)
{
    test_chain_par();
    test_tree();
    test_wavefront();
    test_layered();
    test_random();
    test_determinism();
    test_demands();
    test_bad_params();
    test_shape_names();
    test_alloc_failures();
    if (failures) {
        fprintf(stderr, "test_gen: %d check(s) failed\n", failures);
        return 1;
    }
    puts("test_gen: ok");
    return 0;
}
