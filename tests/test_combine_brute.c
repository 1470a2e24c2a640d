/* Brute force against jf_combine on small jobs.
 *
 * With K = 2 (mode both) the second group's tasks have at most one
 * predecessor and one successor, so the edges between them form paths and
 * the best grouping is a question of where to cut each path. For random jobs
 * of at most 12 tasks every subset of those edges (at most 2^11) is
 * contracted with union-find; a subset counts when every group fits the
 * capacity and max_members and the contracted graph is acyclic. The fewest
 * groups over all subsets must equal jf_plan_target_count.
 *
 * Then with K = 3 and 4 in every mode (where the method is a heuristic), the
 * plan must not beat the brute-force minimum: that would mean an invalid
 * grouping. Each plan also goes through jf_test_check_plan.
 *
 *   test_combine_brute         2000 + 1000 jobs (fewer with JF_TEST_QUICK=1)
 *   test_combine_brute SEED    replay one K = 2 case, printing job and plan
 */
#include "jf_test.h"

#define BASE_SEED 0x62727574650aULL
#define MAX_TASKS 12
#define MAX_EDGES 16

/* What the run covered: subsets enumerated, cases where capacity or
 * max_members made some subset invalid, cases with merges. */
static struct {
    uint64_t subsets, constrained, merged, max_edges;
} seen;

static uint32_t find(uint32_t *parent, uint32_t v)
{
    while (parent[v] != v)
        v = parent[v] = parent[parent[v]];
    return v;
}

typedef struct {
    const jf_test_model *m;
    uint32_t n, ne;
    uint32_t ea[MAX_EDGES], eb[MAX_EDGES];                             /* candidate edges */
    uint32_t ja[MAX_TASKS * MAX_TASKS], jb[MAX_TASKS * MAX_TASKS], nj; /* all edges */
} brute;

/* Kahn on the contracted graph: 1 when acyclic. */
static int contracted_acyclic(const brute *b, const uint32_t *root)
{
    uint32_t indeg[MAX_TASKS] = {0}, queue[MAX_TASKS], head = 0, tail = 0, groups = 0;
    for (uint32_t e = 0; e < b->nj; e++)
        if (root[b->ja[e]] != root[b->jb[e]])
            indeg[root[b->jb[e]]]++; /* parallel edges counted each */
    for (uint32_t v = 0; v < b->n; v++)
        if (root[v] == v) {
            groups++;
            if (indeg[v] == 0)
                queue[tail++] = v;
        }
    while (head < tail) {
        uint32_t g = queue[head++];
        for (uint32_t e = 0; e < b->nj; e++)
            if (root[b->ja[e]] == g && root[b->jb[e]] != g && --indeg[root[b->jb[e]]] == 0)
                queue[tail++] = root[b->jb[e]];
    }
    return tail == groups;
}

/* Groups of the subset `mask` of candidate edges, or UINT32_MAX when the
 * subset is not a valid grouping. */
static uint32_t groups_of(const brute *b, uint32_t mask)
{
    const jf_test_model *m = b->m;
    uint32_t parent[MAX_TASKS], root[MAX_TASKS], size[MAX_TASKS] = {0}, groups = b->n;
    double dem[MAX_TASKS][8];
    for (uint32_t v = 0; v < b->n; v++)
        parent[v] = v;
    for (uint32_t e = 0; e < b->ne; e++)
        if (mask >> e & 1) {
            uint32_t x = find(parent, b->ea[e]), y = find(parent, b->eb[e]);
            if (x != y) {
                parent[x] = y;
                groups--;
            }
        }
    for (uint32_t v = 0; v < b->n; v++) {
        root[v] = find(parent, v);
        if (size[root[v]]++ == 0)
            for (int r = 0; r < m->n_res; r++)
                dem[root[v]][r] = 0;
        for (int r = 0; r < m->n_res; r++)
            dem[root[v]][r] = jf_test_fold(m->job, r, dem[root[v]][r], jf_job_demand(m->job, v, r));
    }
    for (uint32_t v = 0; v < b->n; v++)
        if (root[v] == v && size[v] > 1) {
            if (m->params->max_members && size[v] > m->params->max_members)
                return UINT32_MAX;
            if (!jf_test_fits(m, dem[v]))
                return UINT32_MAX;
        }
    return contracted_acyclic(b, root) ? groups : UINT32_MAX;
}

/* The fewest groups of any valid subset; UINT32_MAX when there are too many
 * candidate edges to enumerate. */
static uint32_t brute_minimum(const jf_test_model *m, uint32_t max_edges)
{
    static brute b;
    memset(&b, 0, sizeof b);
    b.m = m;
    b.n = m->n;
    for (uint32_t v = 0; v < m->n; v++) {
        const uint32_t *nb;
        const uint64_t *by;
        uint32_t c = jf_job_succ(m->job, v, &nb, &by);
        for (uint32_t j = 0; j < c; j++) {
            b.ja[b.nj] = v;
            b.jb[b.nj++] = nb[j];
            if (m->second[v] && m->second[nb[j]]) {
                if (b.ne == max_edges)
                    return UINT32_MAX;
                b.ea[b.ne] = v;
                b.eb[b.ne++] = nb[j];
            }
        }
    }
    uint32_t best = m->n, invalid = 0;
    for (uint32_t mask = 1; mask < (1u << b.ne); mask++) {
        uint32_t g = groups_of(&b, mask);
        best = g < best ? g : best;
        invalid += g == UINT32_MAX;
    }
    seen.subsets += 1u << b.ne;
    seen.constrained += invalid > 0;
    seen.merged += best < m->n;
    seen.max_edges = b.ne > seen.max_edges ? b.ne : seen.max_edges;
    return best;
}

/* One case: k_fixed 2 demands equality, else the plan may not beat the
 * minimum. Returns 1 when every check held; *skipped when too big. */
static int run_case(uint64_t seed, int k_fixed, int verbose, int *skipped)
{
    int before = jf_test_failures();
    jf_rng rng = jf_rng_seed(seed);
    jf_test_shape shape = (jf_test_shape)jf_rng_below(&rng, JF_SHAPE_COUNT);
    if (jf_rng_chance(&rng, 0.5)) /* long runs of candidates */
        shape = jf_rng_chance(&rng, 0.6) ? JF_SHAPE_CHAIN : JF_SHAPE_BRAIDS;
    jf_test_spec spec;
    jf_test_spec_random(&rng, shape, 1 + jf_rng_below(&rng, MAX_TASKS), &spec);
    jf_combine_params p = jf_combine_default_params();
    p.degree_threshold = k_fixed ? 2 : 3 + jf_rng_below(&rng, 2);
    p.degree_mode = k_fixed ? JF_DEGREE_BOTH : (jf_degree_mode)jf_rng_below(&rng, 4);
    jf_devices *devs = NULL;
    jf_test_random_limits(&rng, &spec, 0.6 + 0.4 * jf_rng_unit(&rng), &p, &devs);
    if (jf_rng_chance(&rng, 0.5)) { /* every task a candidate: capacity decides */
        p.n_demand_threshold = 0;
        p.default_threshold_percent = 100;
    }
    jf_test_context("brute seed 0x%016" PRIx64 ": %s, %u tasks, K=%u mode=%d", seed,
                    jf_test_shape_name(shape), (unsigned)spec.n, (unsigned)p.degree_threshold,
                    (int)p.degree_mode);
    jf_job *job = NULL;
    *skipped = 0;
    if (JF_CHECK_STATUS(jf_test_spec_build(&spec, &job), JF_OK)) {
        jf_test_model m;
        jf_test_model_init(&m, job, &p);
        jf_combine_stats stats;
        jf_plan *plan = NULL;
        if (JF_CHECK_STATUS(jf_combine(job, &p, &plan, &stats), JF_OK)) {
            if (verbose)
                jf_test_dump(job, &p, plan);
            jf_test_check_plan(&m, plan, &stats);
            uint32_t best = brute_minimum(&m, k_fixed ? 11 : MAX_EDGES);
            if (k_fixed)
                JF_CHECK_U(best, !=, UINT32_MAX); /* K=2: paths, n-1 edges at most */
            if (best == UINT32_MAX)
                *skipped = 1;
            else if (k_fixed)
                JF_CHECK_U(jf_plan_target_count(plan), ==, best);
            else
                JF_CHECK_U(jf_plan_target_count(plan), >=, best);
        }
        jf_plan_destroy(plan);
        jf_test_model_free(&m);
    }
    static int replays;
    if (jf_test_failures() != before && replays++ < 20) { /* the first 20 failing jobs */
        fprintf(stderr, "  replay: test_combine_brute 0x%016" PRIx64 "%s\n", seed,
                k_fixed ? "" : " k");
        if (!verbose && job)
            jf_test_dump(job, &p, NULL);
    }
    jf_job_destroy(job);
    jf_devices_destroy(devs);
    jf_test_spec_free(&spec);
    jf_test_context("");
    return jf_test_failures() == before;
}

int main(int argc, char **argv)
{
    int skipped = 0;
    if (argc > 1) {
        run_case(strtoull(argv[1], NULL, 0), argc > 2 ? 0 : 1, 1, &skipped);
        return jf_test_finish("test_combine_brute", "jobs", 1);
    }
    const char *env = getenv("JF_TEST_SEED");
    uint64_t base = env ? strtoull(env, NULL, 0) : BASE_SEED;
    uint64_t n2 = jf_test_quick() ? 500 : 2000, nk = jf_test_quick() ? 250 : 1000, failed = 0;
    uint64_t skips = 0;
    for (uint64_t i = 0; i < n2; i++)
        failed += !run_case(jf_rng_case_seed(base, i), 1, 0, &skipped);
    for (uint64_t i = 0; i < nk; i++) {
        failed += !run_case(jf_rng_case_seed(base ^ 0x4b, i), 0, 0, &skipped);
        skips += (uint64_t)skipped;
    }
    if (failed)
        fprintf(stderr, "test_combine_brute: %" PRIu64 " failing jobs\n", failed);
    printf("test_combine_brute: %" PRIu64 " subsets enumerated (up to %" PRIu64
           " candidate edges), %" PRIu64 " jobs with some invalid subset, %" PRIu64
           " with merges; K>2 jobs skipped (too many candidate edges): %" PRIu64 "\n",
           seen.subsets, seen.max_edges, seen.constrained, seen.merged, skips);
    return jf_test_finish("test_combine_brute", "jobs", n2 + nk);
}
