/* Property test of jf_combine: random jobs of every shape, random degree
 * thresholds and modes, random capacities (none, explicit, through devices,
 * tight or loose), demand thresholds and max_members; every guarantee of
 * DESIGN.md is checked on every plan (jf_test_check_plan), plans are
 * deterministic, and a task above every capacity is JF_ECAPACITY naming it.
 *
 *   test_combine_props            20000 cases (5000 with JF_TEST_QUICK=1)
 *   test_combine_props SEED [N]   replay one case (N: large case of N tasks),
 *                                 printing job and plan
 *   JF_TEST_SEED=N                another base seed
 */
#include "jf_test.h"

#define BASE_SEED 0x6a6f6266757365ULL

/* What the run covered, printed at the end so a weak run shows. */
static struct {
    uint64_t tasks, targets, multi, ecapacity;
    uint64_t refused[JF_REFUSED_COUNT];
} seen;

static void count_coverage(const jf_plan *plan, const jf_combine_stats *st)
{
    uint32_t nt = jf_plan_target_count(plan);
    seen.tasks += jf_job_task_count(jf_plan_job(plan));
    seen.targets += nt;
    for (uint32_t t = 0; t < nt; t++) {
        const uint32_t *mem;
        seen.multi += jf_plan_target_members(plan, t, &mem) > 1;
    }
    for (int r = 0; r < JF_REFUSED_COUNT; r++)
        seen.refused[r] += st->refused[r];
}

static uint32_t random_size(jf_rng *r)
{
    switch (jf_rng_below(r, 4)) {
    case 0: return 1 + jf_rng_below(r, 12);
    case 1: return 1 + jf_rng_below(r, 60);
    default: return 1 + jf_rng_below(r, 300);
    }
}

/* The bound above which a single task is an error, as the parameters set
 * it for resource name (INFINITY: none). */
static double bound_of(const jf_combine_params *p, const char *name)
{
    const jf_limit *c = jf_test_find_limit(p->capacity, p->n_capacity, name);
    if (c)
        return c->value;
    return p->devices ? jf_devices_capacity_max(p->devices, name) : INFINITY;
}

/* Make one task demand more than its resource's bound allows, when some
 * resource is bounded. Returns the logical task, or UINT32_MAX. */
static uint32_t inject_oversize(jf_rng *r, jf_test_spec *s, const jf_combine_params *p, int *res)
{
    int bounded[JF_TEST_NRES], nb = 0;
    for (int k = 0; k < JF_TEST_NRES; k++)
        if (isfinite(bound_of(p, jf_test_res_names_[k])))
            bounded[nb++] = k;
    if (nb == 0)
        return UINT32_MAX;
    int k = bounded[jf_rng_below(r, (uint32_t)nb)];
    double b = bound_of(p, jf_test_res_names_[k]);
    uint32_t v = jf_rng_below(r, s->n);
    s->demand[k][v] = floor(b) + 1 + (double)jf_rng_below(r, (uint32_t)b + 1);
    *res = k;
    return v;
}

/* res: the spec's resource (JF_RES_...) */
static void expect_ecapacity(const jf_test_model *m, jf_status st, jf_plan *plan, uint32_t task,
                             int res)
{
    JF_CHECK_STATUS(st, JF_ECAPACITY);
    const char *msg = jf_job_errmsg(m->job);
    JF_CHECK_MENTIONS(msg, jf_job_task_id(m->job, task));
    JF_CHECK_MENTIONS(msg, jf_test_res_names_[res]);
    jf_plan_destroy(plan);
}

/* Case `seed` of about `big` tasks (0: a random size up to 300). */
static int run_case(uint64_t seed, uint32_t big, int verbose)
{
    int before = jf_test_failures();
    jf_rng rng = jf_rng_seed(seed);
    jf_test_shape shape = (jf_test_shape)jf_rng_below(&rng, JF_SHAPE_COUNT);
    uint32_t n = big ? big : random_size(&rng);
    jf_test_spec spec;
    jf_test_spec_random(&rng, shape, n, &spec);

    jf_combine_params p = jf_combine_default_params();
    p.degree_threshold = 2 + jf_rng_below(&rng, 3);
    p.degree_mode = (jf_degree_mode)jf_rng_below(&rng, 4);
    p.explain = jf_rng_chance(&rng, 0.2);
    jf_devices *devs = NULL;
    double tight = jf_rng_chance(&rng, 0.3) ? 1.0 : jf_rng_unit(&rng);
    jf_test_random_limits(&rng, &spec, tight, &p, &devs);
    if (big && jf_rng_chance(&rng, 0.5)) { /* unlimited: groups of thousands */
        p.devices = NULL;
        p.n_capacity = p.n_demand_threshold = 0;
        p.max_members = 0;
    }
    int inj_res = -1;
    uint32_t inj =
        jf_rng_chance(&rng, 0.06) ? inject_oversize(&rng, &spec, &p, &inj_res) : UINT32_MAX;
    jf_test_context("seed 0x%016" PRIx64 ": %s, %u tasks, K=%u mode=%d%s", seed,
                    jf_test_shape_name(shape), (unsigned)spec.n, (unsigned)p.degree_threshold,
                    (int)p.degree_mode, inj != UINT32_MAX ? ", oversize task" : "");

    jf_job *job = NULL;
    if (JF_CHECK_STATUS(jf_test_spec_build(&spec, &job), JF_OK)) {
        jf_test_model m;
        jf_test_model_init(&m, job, &p);
        jf_combine_stats stats;
        memset(&stats, 0xff, sizeof stats);
        jf_plan *plan = NULL, *again = NULL;
        jf_status st = jf_combine(job, &p, &plan, &stats);
        if (verbose) {
            fprintf(stderr, "case %s: %s, %u of %u tasks in the second group, %u targets\n",
                    jf_test_ctx_, jf_status_str(st), (unsigned)m.n_second, (unsigned)m.n,
                    plan ? (unsigned)jf_plan_target_count(plan) : 0u);
            jf_test_dump(job, &p, plan);
        }
        if (inj != UINT32_MAX) {
            JF_CHECK_U(m.over_task, ==, spec.perm[inj]);
            expect_ecapacity(&m, st, plan, spec.perm[inj], inj_res);
            seen.ecapacity++;
        } else if (JF_CHECK_U(m.over_task, ==, UINT32_MAX) && JF_CHECK_STATUS(st, JF_OK)) {
            jf_test_check_plan(&m, plan, &stats);
            count_coverage(plan, &stats);
            for (uint32_t t = 0; p.explain && t < jf_plan_target_count(plan); t++) {
                const char *note = jf_plan_target_note(plan, t);
                if (!JF_CHECK(note && note[0])) /* --explain keeps a note per target */
                    break;
            }
            if (JF_CHECK_STATUS(jf_combine(job, &p, &again, NULL), JF_OK))
                jf_test_plans_equal(plan, again); /* deterministic */
            jf_plan_destroy(again);
            jf_plan_destroy(plan);
        } else {
            fprintf(stderr, "  message: %s\n", jf_job_errmsg(job));
            jf_plan_destroy(plan);
        }
        jf_test_model_free(&m);
    }
    static int replays;
    if (jf_test_failures() != before && replays++ < 20) { /* the first 20 failing jobs */
        fprintf(stderr, "  replay: test_combine_props 0x%016" PRIx64 " %u\n", seed, (unsigned)big);
        if (!verbose && job && jf_job_task_count(job) <= 40)
            jf_test_dump(job, &p, NULL);
    }
    jf_job_destroy(job);
    jf_devices_destroy(devs);
    jf_test_spec_free(&spec);
    jf_test_context("");
    return jf_test_failures() == before;
}

/* A plan made from a grouping (jf_plan_from_groups) must fail the checker
 * in `want_fail` cases: the checks are not vacuous. */
static void expect_checker(const char *name, const char *graph, const uint32_t *group_of,
                           const double *memory, double cap, int want_fail)
{
    jf_job *job = NULL;
    jf_job_create(name, &job);
    uint32_t n = 0;
    for (const char *g = graph; *g; g++)
        if (*g >= 'a' && *g <= 'z' && (uint32_t)(*g - 'a') + 1 > n)
            n = (uint32_t)(*g - 'a') + 1;
    for (uint32_t i = 0; i < n; i++) {
        char id[2] = {(char)('a' + i), 0};
        uint32_t t;
        jf_job_add_task_id(job, id, &t);
        jf_job_set_demand(job, t, jf_job_resource(job, "memory"), memory ? memory[i] : 1);
    }
    for (const char *g = graph; g[0] && g[1] && g[2]; g++)
        if (g[1] == '>')
            jf_job_add_dep(job, (uint32_t)(g[0] - 'a'), (uint32_t)(g[2] - 'a'), 1);
    jf_combine_params p = jf_combine_default_params();
    if (cap > 0)
        jf_test_add_limit(p.capacity, &p.n_capacity, "memory", cap, 0);
    jf_plan *plan = NULL;
    jf_test_context("checker self-test %s", name);
    if (JF_CHECK_STATUS(jf_job_validate(job), JF_OK) &&
        JF_CHECK_STATUS(jf_plan_from_groups(job, group_of, &plan), JF_OK)) {
        jf_test_model m;
        jf_test_model_init(&m, job, &p);
        int saved = jf_test_mute();
        jf_test_check_plan(&m, plan, NULL);
        int got = jf_test_unmute(saved);
        if (want_fail)
            JF_CHECK_I(got, >, 0);
        else
            JF_CHECK_I(got, ==, 0);
        jf_test_model_free(&m);
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_test_context("");
}

static void check_the_checker(void)
{
    static const uint32_t alone[] = {0, 1, 2, 3}, one[] = {0, 0, 0, 0}, ab[] = {0, 0, 2, 3};
    expect_checker("chain merged", "a>b>c>d", one, NULL, 0, 0);
    expect_checker("chain not merged (fixpoint)", "a>b>c>d", alone, NULL, 0, 1);
    expect_checker("chain half merged (fixpoint)", "a>b>c>d", ab, NULL, 0, 1);
    expect_checker("diamond alone", "a>b,a>c,b>d,c>d", alone, NULL, 0, 0);
    expect_checker("diamond merged (degree)", "a>b,a>c,b>d,c>d", one, NULL, 0, 1);
    expect_checker("chain over capacity", "a>b>c>d", ab, (double[]){2, 2, 1, 1}, 3, 1);
    expect_checker("chain under capacity", "a>b>c>d", ab, (double[]){1, 2, 3, 3}, 5, 0);
    expect_checker("not connected", "a,b,c,d", ab, NULL, 0, 1);
}

static void check_defaults(void)
{
    jf_combine_params p = jf_combine_default_params();
    JF_CHECK_U(p.degree_threshold, ==, 2);
    JF_CHECK_I(p.degree_mode, ==, JF_DEGREE_BOTH);
    JF_CHECK_D(p.default_threshold_percent, ==, 50);
    JF_CHECK_U(p.max_members, ==, 0);
    JF_CHECK_I(p.n_capacity, ==, 0);
    JF_CHECK_I(p.n_demand_threshold, ==, 0);
    JF_CHECK(p.devices == NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* replay one case */
        uint64_t seed = strtoull(argv[1], NULL, 0);
        run_case(seed, argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 0, 1);
        return jf_test_finish("test_combine_props", "jobs", 1);
    }
    const char *env = getenv("JF_TEST_SEED");
    uint64_t base = env ? strtoull(env, NULL, 0) : BASE_SEED;
    uint64_t count = jf_test_quick() ? 5000 : 20000, failed = 0;
    check_defaults();
    check_the_checker();
    for (uint64_t i = 0; i < count; i++)
        failed += !run_case(jf_rng_case_seed(base, i), 0, 0);
    /* a few large jobs: groups of thousands of members, long searches */
    uint64_t large = jf_test_quick() ? 4 : 12;
    for (uint64_t i = 0; i < large; i++)
        failed += !run_case(jf_rng_case_seed(base ^ 0x1a79e, i), 20000 + 5000 * (uint32_t)i, 0);
    count += large;
    if (failed)
        fprintf(stderr, "test_combine_props: %" PRIu64 " failing jobs\n", failed);
    printf("test_combine_props: %" PRIu64 " tasks into %" PRIu64 " targets (%" PRIu64
           " with several members), %" PRIu64 " oversize tasks refused; merges refused:",
           seen.tasks, seen.targets, seen.multi, seen.ecapacity);
    for (int r = 1; r < JF_REFUSED_COUNT; r++)
        printf(" %s %" PRIu64, jf_refusal_key((jf_refusal)r), seen.refused[r]);
    printf("\n");
    return jf_test_finish("test_combine_props", "jobs", count);
}
