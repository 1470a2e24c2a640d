/* Hand-made jobs with plans worked out by hand from the rules of
 * DESIGN.md ("The method"). Every plan also goes through
 * jf_test_check_plan. Groups are written "a b c | d | e f": each `|`
 * separates targets. */
#include "jf_test.h"

#define DEFAULT_BYTES 10

static int cases;

/* ---- building jobs ----------------------------------------------------- */

static uint32_t task(const jf_job *job, const char *id)
{
    uint32_t t;
    if (!jf_job_task_find(job, id, &t)) {
        fprintf(stderr, "no task %s\n", id);
        abort();
    }
    return t;
}

static uint32_t task_or_add(jf_job *job, const char *id)
{
    uint32_t t;
    if (jf_job_task_find(job, id, &t))
        return t;
    if (jf_job_add_task_id(job, id, &t) != JF_OK)
        abort();
    return t;
}

/* A job from "a>b>c, a>c": tasks in the order they first appear, each `>`
 * a dependency of DEFAULT_BYTES bytes. Not validated yet. */
static jf_job *make(const char *graph)
{
    jf_job *job = NULL;
    if (jf_job_create("case", &job) != JF_OK)
        abort();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", graph);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        uint32_t prev = UINT32_MAX;
        for (char *s2 = NULL, *id = strtok_r(tok, ">", &s2); id; id = strtok_r(NULL, ">", &s2)) {
            uint32_t t = task_or_add(job, id);
            if (prev != UINT32_MAX)
                jf_job_add_dep(job, prev, t, DEFAULT_BYTES);
            prev = t;
        }
    }
    return job;
}

static void dep(jf_job *job, const char *a, const char *b, uint64_t bytes)
{
    JF_CHECK_STATUS(jf_job_add_dep(job, task(job, a), task(job, b), bytes), JF_OK);
}

/* Set resource `res` of the tasks of "a b c" to values[0], values[1], ... */
static void demands(jf_job *job, const char *res, const char *ids, const double *values)
{
    int r = jf_job_resource(job, res);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ids);
    int i = 0;
    for (char *save = NULL, *id = strtok_r(buf, " ", &save); id; id = strtok_r(NULL, " ", &save))
        JF_CHECK_STATUS(jf_job_set_demand(job, task(job, id), r, values[i++]), JF_OK);
}

static void limit(jf_limit *list, int *count, const char *res, double v, int pct)
{
    jf_test_add_limit(list, count, res, v, pct);
}

/* ---- running and expecting ----------------------------------------------- */

/* Validate, combine (expecting JF_OK) and check every guarantee. */
static jf_plan *combine_ok(jf_job *job, const jf_combine_params *p, jf_combine_stats *stats)
{
    jf_plan *plan = NULL;
    if (!JF_CHECK_STATUS(jf_job_validate(job), JF_OK))
        return NULL;
    jf_status st = jf_combine(job, p, &plan, stats);
    if (!JF_CHECK_STATUS(st, JF_OK)) {
        fprintf(stderr, "  message: %s\n", jf_job_errmsg(job));
        jf_plan_destroy(plan);
        return NULL;
    }
    jf_test_model m;
    jf_test_model_init(&m, job, p);
    if (jf_test_check_plan(&m, plan, stats))
        jf_test_dump(job, p, plan);
    jf_test_model_free(&m);
    return plan;
}

/* The plan's targets are exactly `groups` (as sets: the order of members
 * is checked against the dependencies by jf_test_check_plan). */
static void expect_groups(const jf_job *job, const jf_plan *plan, const char *groups)
{
    int before = jf_test_failures();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", groups);
    uint32_t ngroups = 0;
    for (char *save = NULL, *g = strtok_r(buf, "|", &save); g; g = strtok_r(NULL, "|", &save)) {
        ngroups++;
        uint32_t size = 0, t = UINT32_MAX;
        for (char *s2 = NULL, *id = strtok_r(g, " ", &s2); id; id = strtok_r(NULL, " ", &s2)) {
            uint32_t v = task(job, id);
            if (t == UINT32_MAX)
                t = jf_plan_target_of(plan, v);
            if (!JF_CHECK_U(jf_plan_target_of(plan, v), ==, t))
                fprintf(stderr, "  %s is not with the first task of its group\n", id);
            size++;
        }
        const uint32_t *mem;
        if (t < jf_plan_target_count(plan))
            JF_CHECK_U(jf_plan_target_members(plan, t, &mem), ==, size);
    }
    JF_CHECK_U(jf_plan_target_count(plan), ==, ngroups);
    if (jf_test_failures() != before) {
        fprintf(stderr, "  want %s, got:\n", groups);
        jf_test_dump(job, NULL, plan);
    }
}

/* The target of a has an edge of `bytes` bytes to the target of b. */
static void expect_edge(const jf_job *job, const jf_plan *plan, const char *a, const char *b,
                        uint64_t bytes)
{
    uint32_t ta = jf_plan_target_of(plan, task(job, a)), tb = jf_plan_target_of(plan, task(job, b));
    const uint32_t *tt;
    const uint64_t *by;
    uint32_t c = jf_plan_target_succ(plan, ta, &tt, &by);
    for (uint32_t j = 0; j < c; j++)
        if (tt[j] == tb) {
            JF_CHECK_U(by[j], ==, bytes);
            return;
        }
    jf_test_fail(__FILE__, __LINE__, "no target edge %s -> %s", a, b);
}

static void expect_ecapacity(jf_job *job, const jf_combine_params *p, const char *id,
                             const char *res)
{
    jf_plan *plan = NULL;
    if (!JF_CHECK_STATUS(jf_job_validate(job), JF_OK))
        return;
    JF_CHECK_STATUS(jf_combine(job, p, &plan, NULL), JF_ECAPACITY);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), id);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), res);
    jf_plan_destroy(plan);
}

static jf_combine_params params(uint32_t k, jf_degree_mode mode)
{
    jf_combine_params p = jf_combine_default_params();
    p.degree_threshold = k;
    p.degree_mode = mode;
    return p;
}

/* Run one case: build, combine, expect `groups`, then the extra checks of
 * `more` (may be NULL). */
static void run(const char *name, jf_job *job, const jf_combine_params *p, const char *groups,
                void (*more)(const jf_job *, const jf_plan *, const jf_combine_stats *))
{
    cases++;
    jf_test_context("case %s", name);
    jf_combine_stats stats;
    jf_plan *plan = combine_ok(job, p, &stats);
    if (plan) {
        expect_groups(job, plan, groups);
        if (more)
            more(job, plan, &stats);
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_test_context("");
}

/* ---- the cases ------------------------------------------------------------ */

static void more_chain5(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    JF_CHECK_U(jf_plan_edge_count(plan), ==, 0);
    JF_CHECK_U(s->first_group, ==, 5);
    JF_CHECK_U(s->second_group, ==, 5);
    JF_CHECK_U(s->largest_target, ==, 5);
    JF_CHECK_U(s->merges, ==, 4);
}

static void chains(void)
{
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    run("chain of 5, unlimited", make("a>b>c>d>e"), &p, "a b c d e", more_chain5);

    /* capacity 10, threshold 5: greedy from the source cuts after c and f */
    jf_job *job = make("a>b>c>d>e>f>g");
    demands(job, "memory", "a b c d e f g", (double[]){4, 3, 2, 5, 4, 1, 3});
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 10, 0);
    run("chain, capacity cuts greedily", job, &p, "a b c | d e f | g", NULL);

    /* c (9) is above the default threshold (50% of 10): alone */
    job = make("a>b>c>d>e");
    demands(job, "memory", "a b c d e", (double[]){1, 1, 9, 1, 1});
    run("chain, one task above the threshold", job, &p, "a b | c | d e", NULL);

    p = params(2, JF_DEGREE_BOTH);
    p.max_members = 3;
    run("chain of 7, max_members 3", make("a>b>c>d>e>f>g"), &p, "a b c | d e f | g", NULL);
    p.max_members = 1;
    run("chain, max_members 1", make("a>b>c"), &p, "a | b | c", NULL);

    /* tasks added in reverse: members still run a, b, c */
    p = params(2, JF_DEGREE_BOTH);
    run("chain added backwards", make("c, b, a, a>b>c"), &p, "a b c", NULL);
    run("single task", make("solo"), &p, "solo", NULL);
    run("independent tasks", make("a, b, c"), &p, "a | b | c", NULL);
}

static void more_diamond(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    JF_CHECK_U(jf_plan_target_of(plan, task(job, "a")), ==, 0);
    JF_CHECK_U(jf_plan_target_of(plan, task(job, "d")), ==, 3);
    JF_CHECK_U(jf_plan_edge_count(plan), ==, 4);
    JF_CHECK_U(s->first_group, ==, 2); /* b and c */
    JF_CHECK_U(s->second_group, ==, 2);
    JF_CHECK_U(s->merges, ==, 0);
}

static void diamonds(void)
{
    /* K=2: a has out 2, d in 2; b and c are links but not neighbours */
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    run("diamond, K=2", make("a>b>d, a>c>d"), &p, "a | b | c | d", more_diamond);

    /* K=3: all four in the first group; a->b is safe (b has in 1), then
     * {a,b}->c (c has in 1), then {a,b,c}->d */
    p = params(3, JF_DEGREE_BOTH);
    run("diamond, K=3", make("a>b>d, a>c>d"), &p, "a b c d", NULL);

    /* a->b, a->c, b->c with K=3, capacity 5, every task a candidate: a+b and
     * b+c exceed 5; a+c fits but would need b in between (a cycle) */
    jf_job *job = make("a>b>c, a>c");
    demands(job, "memory", "a b c", (double[]){1, 5, 1});
    limit(p.capacity, &p.n_capacity, "memory", 5, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 100, 1);
    run("triangle, merging a and c would make a cycle", job, &p, "a | b | c", NULL);

    /* the same with room for b and c: {b,c}; a->{b,c} adds both edges */
    job = make("a, b, c");
    dep(job, "a", "b", 3);
    dep(job, "a", "c", 4);
    dep(job, "b", "c", 5);
    demands(job, "memory", "a b c", (double[]){4, 2, 3});
    run("triangle, b and c merge", job, &p, "a | b c", NULL);

    p = params(3, JF_DEGREE_BOTH);
    run("triangle, K=3, unlimited", make("a>b>c, a>c"), &p, "a b c", NULL);

    /* diamond with a shortcut a->d, K=4: only a+d fits, and b and c lie
     * on paths between them */
    p = params(4, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 5, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 100, 1);
    job = make("a>b>d, a>c>d, a>d");
    demands(job, "memory", "a b c d", (double[]){1, 5, 5, 1});
    run("diamond with shortcut, a+d would make a cycle", job, &p, "a | b | c | d", NULL);

    /* a->b, a->c, x->c, K=3: a+b and x+c exceed 5; a+c is not a safe pair
     * (a has two successors, c two predecessors) but no other path joins
     * them, so contracting it keeps the graph acyclic (step 4) */
    p = params(3, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 5, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 100, 1);
    job = make("a>b, a>c, x>c");
    demands(job, "memory", "a b c x", (double[]){1, 5, 1, 5});
    run("acyclic merge beyond the safe rule", job, &p, "a c | b | x", NULL);
}

static void more_triangle_bytes(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    expect_edge(job, plan, "a", "z", 18);
    JF_CHECK_U(jf_plan_edge_count(plan), ==, 1);
}

static void more_dup(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    JF_CHECK_U(jf_job_edge_count(job), ==, 2);
    expect_edge(job, plan, "a", "b", 150);
    expect_edge(job, plan, "x", "b", DEFAULT_BYTES);
    JF_CHECK_U(jf_plan_edge_count(plan), ==, 2);
}

static void bytes_and_duplicates(void)
{
    /* {a,b} -> z carries a->z (7) + b->z (11); z is above the threshold */
    jf_job *job = make("a, b, z");
    dep(job, "a", "b", 1);
    dep(job, "a", "z", 7);
    dep(job, "b", "z", 11);
    demands(job, "memory", "a b z", (double[]){1, 1, 9});
    jf_combine_params p = params(3, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 10, 0);
    run("edge bytes add up", job, &p, "a b | z", more_triangle_bytes);

    /* a->b twice (100 + 50) is one edge of 150: a has out 1, b in 2 */
    job = make("a, x, b, x>b");
    dep(job, "a", "b", 100);
    dep(job, "a", "b", 50);
    p = params(2, JF_DEGREE_BOTH);
    run("duplicate dependency merged", job, &p, "a | x | b", more_dup);

    /* duplicates count once in the degree: b stays a chain link */
    job = make("a>b>c, a>b");
    run("duplicate dependency in a chain", job, &p, "a b c", NULL);
}

static void modes(void)
{
    jf_combine_params p = params(2, JF_DEGREE_IN);
    run("out-tree, mode in", make("a>b, a>c"), &p, "a b c", NULL);
    p = params(2, JF_DEGREE_OUT);
    run("out-tree, mode out", make("a>b, a>c"), &p, "a | b | c", NULL);
    run("in-tree, mode out", make("b>a, c>a"), &p, "b c a", NULL);
    p = params(2, JF_DEGREE_IN);
    run("in-tree, mode in", make("b>a, c>a"), &p, "b | c | a", NULL);
    p = params(2, JF_DEGREE_BOTH);
    run("out-tree, mode both", make("a>b, a>c"), &p, "a | b | c", NULL);
    p = params(2, JF_DEGREE_SUM);
    run("chain of 3, mode sum, K=2", make("a>b>c"), &p, "a | b | c", NULL);
    p = params(3, JF_DEGREE_SUM);
    run("chain of 3, mode sum, K=3", make("a>b>c"), &p, "a b c", NULL);
    p = params(4, JF_DEGREE_BOTH);
    run("fan-out of 4, K=4", make("a>b, a>c, a>d, a>e"), &p, "a | b | c | d | e", NULL);
}

static void more_threads(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    JF_CHECK_D(jf_plan_target_demand(plan, 0, jf_job_resource_find(job, "threads")), ==, 4);
    JF_CHECK_D(jf_plan_target_demand(plan, 0, jf_job_resource_find(job, "memory")), ==, 10);
}

static void more_slots(const jf_job *job, const jf_plan *plan, const jf_combine_stats *s)
{
    JF_CHECK_D(jf_plan_target_demand(plan, 0, jf_job_resource_find(job, "slots")), ==, 3);
}

static void rules_and_thresholds(void)
{
    /* threads combine by max: 2,4,1,3 fit 4 together */
    jf_job *job = make("a>b>c>d");
    demands(job, "threads", "a b c d", (double[]){2, 4, 1, 3});
    demands(job, "memory", "a b c d", (double[]){1, 2, 3, 4});
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "threads", 4, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "threads", 100, 1);
    run("threads combine by max", job, &p, "a b c d", more_threads);

    /* memory by sum: 2,4,1,3 under 4 */
    job = make("a>b>c>d");
    demands(job, "memory", "a b c d", (double[]){2, 4, 1, 3});
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 4, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 100, 1);
    run("memory combines by sum", job, &p, "a | b | c d", NULL);

    /* a custom resource declared max */
    job = make("a>b>c");
    jf_job_declare_resource(job, "slots", JF_RULE_MAX);
    demands(job, "slots", "a b c", (double[]){3, 3, 3});
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "slots", 3, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "slots", 100, 1);
    run("custom max resource", job, &p, "a b c", more_slots);

    /* default threshold: 50% of 4 = 2 leaves b (3) out */
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 4, 0);
    job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){1, 3, 1});
    run("default threshold 50%", job, &p, "a | b | c", NULL);
    /* an absolute threshold of 3 takes b in; capacity cuts after b */
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 3, 0);
    job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){1, 3, 1});
    run("absolute threshold", job, &p, "a b | c", NULL);
    /* default percent 75: threshold 3 */
    p.n_demand_threshold = 0;
    p.default_threshold_percent = 75;
    job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){1, 3, 1});
    run("default percent 75", job, &p, "a b | c", NULL);
    /* 29% of 100 is 29 (though 0.29 * 100 is 28.999999999999996 in doubles) */
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 100, 0);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 29, 1);
    job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){29, 29, 29});
    run("threshold 29% of 100", job, &p, "a b c", NULL);
    p.n_demand_threshold = 0;
    p.default_threshold_percent = 57;
    job = make("a>b");
    demands(job, "memory", "a b", (double[]){57, 43});
    run("default percent 57 of 100", job, &p, "a b", NULL);
    /* demand exactly at the threshold and exactly at the capacity */
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 4, 0);
    job = make("a>b");
    demands(job, "memory", "a b", (double[]){2, 2});
    run("at threshold and capacity", job, &p, "a b", NULL);
}

static void devices_cases(void)
{
    jf_devices *devs = NULL;
    JF_CHECK_STATUS(jf_devices_create(&devs), JF_OK);
    jf_devices_add(devs, "small", 1.0, NULL);
    jf_devices_add(devs, "big", 1.0, NULL);
    jf_devices_set_capacity(devs, 0, "memory", 10);
    jf_devices_set_capacity(devs, 1, "memory", 20);
    jf_devices_set_capacity(devs, 0, "threads", 4);
    jf_devices_set_capacity(devs, 1, "threads", 4);
    JF_CHECK_D(jf_devices_capacity_min(devs, "memory"), ==, 10);
    JF_CHECK_D(jf_devices_capacity_max(devs, "memory"), ==, 20);

    /* the smallest device's 10 is the capacity */
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    p.devices = devs;
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 100, 1);
    jf_job *job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){4, 4, 4});
    run("capacity of the smallest device", job, &p, "a b | c", NULL);
    /* an explicit capacity overrides the devices */
    limit(p.capacity, &p.n_capacity, "memory", 20, 0);
    job = make("a>b>c");
    demands(job, "memory", "a b c", (double[]){4, 4, 4});
    run("explicit capacity overrides devices", job, &p, "a b c", NULL);

    /* 15 fits the big device only: no error, the task stays alone */
    p = params(2, JF_DEGREE_BOTH);
    p.devices = devs;
    job = make("a>mid>c");
    demands(job, "memory", "a mid c", (double[]){1, 15, 1});
    run("task above the smallest device", job, &p, "a | mid | c", NULL);

    cases++;
    jf_test_context("case task above every device");
    job = make("a>huge>c");
    demands(job, "memory", "a huge c", (double[]){1, 25, 1});
    expect_ecapacity(job, &p, "huge", "memory");
    jf_job_destroy(job);

    cases++;
    jf_test_context("case too many threads");
    job = make("a>wide>c");
    demands(job, "threads", "a wide c", (double[]){1, 8, 1});
    expect_ecapacity(job, &p, "wide", "threads");
    jf_job_destroy(job);
    jf_devices_destroy(devs);

    cases++;
    jf_test_context("case task above an explicit capacity");
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 100, 0);
    job = make("a>huge>c");
    demands(job, "memory", "a huge c", (double[]){1, 150, 1});
    expect_ecapacity(job, &p, "huge", "memory");
    jf_job_destroy(job);
    jf_test_context("");
}

static void expect_einval(const char *name, jf_job *job, const jf_combine_params *p,
                          const char *word)
{
    cases++;
    jf_test_context("case %s", name);
    jf_plan *plan = NULL;
    if (JF_CHECK_STATUS(jf_job_validate(job), JF_OK)) {
        JF_CHECK_STATUS(jf_combine(job, p, &plan, NULL), JF_EINVAL);
        JF_CHECK_MENTIONS(jf_job_errmsg(job), word);
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_test_context("");
}

static void bad_params(void)
{
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "memory", 50, 1);
    expect_einval("capacity as a percentage", make("a>b"), &p, "memory");
    p = params(2, JF_DEGREE_BOTH);
    limit(p.capacity, &p.n_capacity, "bandwidth", 50, 0);
    expect_einval("capacity of an unknown resource", make("a>b"), &p, "bandwidth");
    p = params(2, JF_DEGREE_BOTH);
    limit(p.demand_threshold, &p.n_demand_threshold, "memory", 50, 1);
    expect_einval("threshold percentage without capacity", make("a>b"), &p, "memory");
}

static void empty_job(void)
{
    cases++;
    jf_test_context("case empty job");
    jf_job *job = make("");
    jf_combine_params p = params(2, JF_DEGREE_BOTH);
    jf_combine_stats stats;
    jf_plan *plan = combine_ok(job, &p, &stats);
    if (plan) {
        JF_CHECK_U(jf_plan_target_count(plan), ==, 0);
        JF_CHECK_U(jf_plan_edge_count(plan), ==, 0);
        JF_CHECK_U(stats.largest_target, ==, 0);
        JF_CHECK_U(stats.first_group, ==, 0);
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_test_context("");
}

int main(void)
{
    chains();
    diamonds();
    bytes_and_duplicates();
    modes();
    rules_and_thresholds();
    devices_cases();
    bad_params();
    empty_job();
    return jf_test_finish("test_combine_cases", "cases", (uint64_t)cases);
}
