/* Combining for running: the method with limits picked from the dispatch
 * cost, the critical path and the number of threads. */
#include <math.h>
#include <stdlib.h>

#include "combine/combine_impl.h"
#include "core/plan_impl.h"
#include "jobfuse/combine.h"

jf_run_combine_params jf_run_combine_default_params(void)
{
    jf_run_combine_params p;
    memset(&p, 0, sizeof p);
    p.threads = 1;
    p.dispatch_ns = 50;
    p.cp_growth = 0.05;
    p.min_task_us = 0.01;
    p.grain_factor = 200;
    p.targets_per_thread = 32;
    p.combine_ns_per_item = 20;
    return p;
}

typedef struct {
    jf_job *job;
    const jf_run_combine_params *p;
    int time_res;
    double *est;          /* per task, microseconds */
    double *finish;       /* scratch for critical paths: one per task or target */
    double dispatch_ns;   /* the measured cost, or a cautious guess without one */
    double work, cp0;     /* estimated work and critical path, us */
    uint64_t mergeable_in, mergeable_out; /* edges a tree configuration could merge */
    double grain;         /* target time aimed at, us */
    double cp_allowed;
    uint32_t max_members; /* grain / smallest estimate, capped for balance */
} tuner;

static double task_estimate(const tuner *tu, uint32_t t)
{
    double v = tu->time_res >= 0 ? tu->job->demand[tu->time_res][t] : 0.0;
    return JF__MAX(v, tu->p->min_task_us);
}

/* Longest path of estimates over the plan's targets (numbered topologically). */
static double plan_cp(const tuner *tu, const jf_plan *plan, double *finish)
{
    double best = 0;
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        double start = 0, own = 0;
        for (uint64_t e = plan->pred_off[g]; e < plan->pred_off[g + 1]; e++)
            start = JF__MAX(start, finish[plan->pred[e]]);
        for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++)
            own += tu->est[plan->members[k]];
        finish[g] = start + own;
        best = JF__MAX(best, finish[g]);
    }
    return best;
}

/* Estimated run time of a plan: the longer of its critical path and its
 * work per thread, plus the dispatch cost of its targets. */
static double plan_score(const tuner *tu, const jf_plan *plan, double cp)
{
    int threads = tu->p->threads;
    double dispatch_us = tu->dispatch_ns * 1e-3 * (double)plan->n_targets / threads;
    return JF__MAX(cp, tu->work / threads) + dispatch_us;
}

/* What the cheap test needs: the job, the parameters and the dispatch cost. */
static void tuner_start(tuner *tu, jf_job *job, const jf_run_combine_params *p)
{
    memset(tu, 0, sizeof *tu);
    tu->job = job;
    tu->p = p;
    tu->time_res = jf_job_resource_find(job, "time");
    tu->dispatch_ns = p->dispatch_ns > 0 ? p->dispatch_ns : 100.0;
}

/* The estimated work as a plain sum, without the per-task arrays. */
static void tuner_sum_work(tuner *tu)
{
    uint32_t n = tu->job->n_tasks;
    for (uint32_t t = 0; t < n; t++)
        tu->work += task_estimate(tu, t);
}

/* Per-task estimates, the job's critical path and the limits derived from
 * them: only when some configuration will be tried. */
static jf_status tuner_init(tuner *tu)
{
    jf_job *job = tu->job;
    const jf_run_combine_params *p = tu->p;
    uint32_t n = job->n_tasks;
    tu->est = jf__malloc(((size_t)n + 1) * sizeof *tu->est);
    double *finish = tu->finish = jf__malloc(((size_t)n + 1) * sizeof *finish);
    if (!tu->est || !finish)
        return JF_ENOMEM;
    tu->work = 0;
    for (uint32_t t = 0; t < n; t++)
        tu->work += tu->est[t] = task_estimate(tu, t);
    for (uint32_t i = 0; i < n; i++) { /* critical path of the job itself */
        uint32_t t = job->topo[i];
        double start = 0;
        for (uint64_t e = job->in_off[t]; e < job->in_off[t + 1]; e++)
            start = JF__MAX(start, finish[job->in_task[e]]);
        finish[t] = start + tu->est[t];
        tu->cp0 = JF__MAX(tu->cp0, finish[t]);
    }
    int threads = JF__MAX(p->threads, 1);
    double lower = JF__MAX(tu->cp0, tu->work / threads);
    tu->cp_allowed = tu->cp0 + p->cp_growth * lower;
    double balance = tu->work / ((double)threads * JF__MAX(p->targets_per_thread, 1u));
    tu->grain = JF__MIN(p->grain_factor * tu->dispatch_ns * 1e-3, balance);
    double members = floor(tu->grain / p->min_task_us);
    tu->max_members = members < 1 ? 1 : members > 1e9 ? 1000000000u : (uint32_t)members;
    return JF_OK;
}

/* ---- batching independent siblings ---- */

typedef struct {
    uint64_t key;   /* which siblings: (kind, neighbour target) */
    uint32_t target;
} sibling;

static int by_key(const void *a, const void *b)
{
    const sibling *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target;
}

/* Targets with no edge but one shared predecessor (or successor, or none)
 * can run in any order on one worker: no path can join two of them. */
static int sibling_key(const jf_plan *plan, uint32_t g, uint64_t *key)
{
    uint64_t np = plan->pred_off[g + 1] - plan->pred_off[g];
    uint64_t ns = plan->succ_off[g + 1] - plan->succ_off[g];
    if (np == 0 && ns == 0)
        *key = 0;
    else if (np == 1 && ns == 0)
        *key = (1ull << 32) | plan->pred[plan->pred_off[g]];
    else if (np == 0 && ns == 1)
        *key = (2ull << 32) | plan->succ[plan->succ_off[g]];
    else
        return 0;
    return 1;
}

static double target_estimate(const tuner *tu, const jf_plan *plan, uint32_t g)
{
    double v = 0;
    for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++)
        v += tu->est[plan->members[k]];
    return v;
}

/* Relabel runs of siblings into batches of about one grain. */
static uint32_t assign_batches(const tuner *tu, const jf_plan *plan, double grain,
                               const sibling *s, uint32_t n, uint32_t *label)
{
    uint32_t made = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i, head = plan->members[plan->member_off[s[i].target]], count = 0;
        double time = 0;
        for (; j < n && s[j].key == s[i].key; j++) {
            uint32_t g = s[j].target, size = (uint32_t)(plan->member_off[g + 1] - plan->member_off[g]);
            double t = target_estimate(tu, plan, g);
            if (j > i && (time + t > grain || count + size > tu->max_members))
                break;
            time += t;
            count += size;
            for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++)
                label[plan->members[k]] = head;
        }
        made += j - i > 1;
        i = j;
    }
    return made;
}

static jf_status batch_siblings(const tuner *tu, double grain, jf_plan **plan,
                                uint32_t *batched)
{
    jf_plan *p = *plan;
    uint32_t n = tu->job->n_tasks, m = 0;
    sibling *s = jf__malloc(((size_t)p->n_targets + 1) * sizeof *s);
    uint32_t *label = jf__malloc(((size_t)n + 1) * sizeof *label);
    if (!s || !label) {
        jf__free(s);
        jf__free(label);
        return JF_ENOMEM;
    }
    for (uint32_t g = 0; g < p->n_targets; g++)
        if (sibling_key(p, g, &s[m].key) && target_estimate(tu, p, g) < grain)
            s[m++].target = g;
    for (uint32_t t = 0; t < n; t++)
        label[t] = p->members[p->member_off[p->target_of[t]]];
    qsort(s, m, sizeof *s, by_key);
    *batched = assign_batches(tu, p, grain, s, m, label);
    jf_status st = JF_OK;
    if (*batched > 0) {
        jf_plan *q = NULL;
        st = jf_plan_from_groups(tu->job, label, &q);
        if (st == JF_OK) {
            jf_plan_destroy(p);
            *plan = q;
        }
    }
    jf__free(s);
    jf__free(label);
    return st;
}

/* ---- trying configurations ---- */

typedef struct {
    uint32_t k;
    jf_degree_mode mode;
    int limited; /* by time and members; chains never grow the critical path */
    const char *name;
} config;

static const config configs[] = {
    {2, JF_DEGREE_BOTH, 0, "chains"},
    {2, JF_DEGREE_IN, 1, "chains and out-trees (in-degree < 2)"},
    {2, JF_DEGREE_OUT, 1, "chains and in-trees (out-degree < 2)"},
};
/* Blocks (degree < 3 or 5) were tried too: on wavefront and layered jobs the
 * cycle searches cost more than the dispatches they saved (bench/RESULTS.md). */

/* Edges whose two tasks are both first-group candidates of (K = 2, mode):
 * the merges a configuration could make at most. */
static uint64_t mergeable_edges(const jf_job *job, jf_degree_mode mode)
{
    uint64_t count = 0;
    for (uint32_t u = 0; u < job->n_tasks; u++) {
        uint64_t in = job->in_off[u + 1] - job->in_off[u], out = job->out_off[u + 1] - job->out_off[u];
        if ((mode != JF_DEGREE_OUT && in >= 2) || (mode != JF_DEGREE_IN && out >= 2))
            continue;
        for (uint64_t e = job->out_off[u]; e < job->out_off[u + 1]; e++) {
            uint32_t v = job->out_task[e];
            uint64_t vin = job->in_off[v + 1] - job->in_off[v];
            uint64_t vout = job->out_off[v + 1] - job->out_off[v];
            count += !((mode != JF_DEGREE_OUT && vin >= 2) || (mode != JF_DEGREE_IN && vout >= 2));
        }
    }
    return count;
}

/* Tasks that batching could take: no edge but one shared neighbour, or none. */
static uint64_t batchable_tasks(const jf_job *job)
{
    uint64_t count = 0;
    for (uint32_t t = 0; t < job->n_tasks; t++) {
        uint64_t in = job->in_off[t + 1] - job->in_off[t], out = job->out_off[t + 1] - job->out_off[t];
        count += in + out <= 1;
    }
    return count;
}

/* Combining cannot pay when it costs more than every dispatch it could
 * remove: needs only the counts, so it runs before anything per task. */
static int can_pay(const tuner *tu)
{
    const jf_job *job = tu->job;
    double threads = JF__MAX(tu->p->threads, 1);
    double most_saved = (double)job->n_tasks * tu->dispatch_ns / threads;
    double cost = (double)(job->n_tasks + job->n_edges) * tu->p->combine_ns_per_item;
    return most_saved >= cost;
}

/* ... nor when under 1% of the tasks could join another. */
static int enough_mergeable(tuner *tu)
{
    const jf_job *job = tu->job;
    uint64_t enough = job->n_tasks / 100 + 1;
    tu->mergeable_in = mergeable_edges(job, JF_DEGREE_IN);
    tu->mergeable_out = mergeable_edges(job, JF_DEGREE_OUT);
    return tu->mergeable_in >= enough || tu->mergeable_out >= enough ||
           batchable_tasks(job) >= enough;
}

/* What the chains configuration would check: no task above every device. */
static jf_status check_devices(jf_job *job, const jf_devices *devs)
{
    jf_status st = JF_OK;
    for (int r = 0; devs && r < job->n_res && st == JF_OK; r++)
        st = jf__cb_check_fits(job, r, jf_devices_capacity_max(devs, job->res_name[r]));
    return st;
}

static jf_combine_params config_params(const tuner *tu, const config *cf, double grain)
{
    jf_combine_params cp = jf_combine_default_params();
    cp.degree_threshold = cf->k;
    cp.degree_mode = cf->mode;
    cp.devices = tu->p->devices;
    cp.allow_oversize = cf->limited; /* the first (chains) still checks the devices */
    if (cf->limited) {
        snprintf(cp.capacity[0].resource, sizeof cp.capacity[0].resource, "time");
        cp.capacity[0].value = grain;
        cp.n_capacity = 1;
        cp.max_members = (uint32_t)JF__MAX(1.0, JF__MIN((double)tu->max_members,
                                                        grain / tu->p->min_task_us));
    }
    return cp;
}

typedef struct {
    jf_plan *plan;
    double score, cp, grain;
    uint32_t batched;
    const config *cf;
} candidate;

/* Combine by one configuration; *out->plan stays NULL when the result
 * grows the critical path past what is allowed. */
static jf_status try_config(const tuner *tu, const config *cf, double grain, candidate *out)
{
    memset(out, 0, sizeof *out);
    jf_combine_params cp = config_params(tu, cf, grain);
    jf_plan *plan = NULL;
    jf_status st = jf_combine(tu->job, &cp, &plan, NULL);
    if (st == JF_OK)
        st = batch_siblings(tu, grain, &plan, &out->batched);
    if (st != JF_OK) {
        jf_plan_destroy(plan);
        return st;
    }
    out->cp = plan_cp(tu, plan, tu->finish);
    if (out->cp > tu->cp_allowed * (1 + 1e-9)) {
        jf_plan_destroy(plan);
        return JF_OK;
    }
    out->plan = plan;
    out->score = plan_score(tu, plan, out->cp);
    out->grain = grain;
    out->cf = cf;
    return JF_OK;
}

static void keep_better(candidate *best, candidate *c)
{
    if (!c->plan)
        return;
    if (best->plan && best->score <= c->score) {
        jf_plan_destroy(c->plan);
        return;
    }
    jf_plan_destroy(best->plan);
    *best = *c;
}

/* Each limited configuration is tried at the grain, then at a quarter of it
 * when the first grew the critical path too much. */
static jf_status search_configs(const tuner *tu, candidate *best, uint32_t *tried)
{
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        /* a tree configuration costs a combine and a plan: worth it only
         * when a tenth of the tasks could join another that way */
        uint64_t mergeable = configs[i].mode == JF_DEGREE_IN    ? tu->mergeable_in
                             : configs[i].mode == JF_DEGREE_OUT ? tu->mergeable_out
                                                                : UINT64_MAX;
        if (mergeable < tu->job->n_tasks / 10)
            continue;
        double grain = tu->grain;
        for (int attempt = 0; attempt < (configs[i].limited ? 2 : 1); attempt++, grain /= 4) {
            candidate c;
            jf_status st = try_config(tu, &configs[i], grain, &c);
            ++*tried;
            if (st != JF_OK)
                return st;
            int fits = c.plan != NULL;
            keep_better(best, &c);
            if (fits)
                break;
        }
    }
    return JF_OK;
}

/* When nothing was tried, the critical path was not computed: both are
 * reported as 0 and cp_known says so. */
static void fill_report(const tuner *tu, const candidate *best, int worth, uint32_t tried,
                        jf_run_combine_report *r)
{
    memset(r, 0, sizeof *r);
    r->est_work_us = tu->work;
    r->est_cp_before_us = tu->cp0;
    r->est_cp_after_us = best->cf ? best->cp : tu->cp0;
    r->cp_known = worth;
    r->grain_us = best->grain;
    r->batched = best->batched;
    r->tried = tried;
    const char *batched = best->batched ? ", independent siblings batched" : "";
    if (!best->cf)
        snprintf(r->choice, sizeof r->choice, "%s",
                 worth ? "nothing (no configuration kept the critical path)"
                       : "nothing (combining would cost more than the dispatches it could "
                         "save, or under 1% of the tasks could join another)");
    else if (best->cf->limited)
        snprintf(r->choice, sizeof r->choice, "%s, targets of about %.3g us%s", best->cf->name,
                 best->grain, batched);
    else
        snprintf(r->choice, sizeof r->choice, "%s (unlimited)%s", best->cf->name, batched);
}

/* The cheap test first: when combining cannot pay, the work is a plain sum
 * and neither the per-task estimates nor the critical path are computed. */
jf_status jf_combine_for_run(jf_job *job, const jf_run_combine_params *params, jf_plan **out,
                             jf_run_combine_report *report)
{
    *out = NULL;
    if (!job->validated)
        return jf__job_fail(job, JF_EINVAL, "the job must be validated before combining");
    tuner tu;
    tuner_start(&tu, job, params);
    candidate best = {0};
    uint32_t tried = 0;
    int worth = can_pay(&tu) && enough_mergeable(&tu);
    jf_status st = JF_OK;
    if (worth)
        st = tuner_init(&tu);
    else if (report)
        tuner_sum_work(&tu);
    if (st == JF_OK && !worth)
        st = check_devices(job, params->devices);
    if (st == JF_OK && worth)
        st = search_configs(&tu, &best, &tried);
    if (st == JF_OK && !best.plan) /* chains alone never fail the bound */
        st = jf_plan_identity(job, &best.plan);
    if (st == JF_OK && report)
        fill_report(&tu, &best, worth, tried, report);
    if (st == JF_OK)
        *out = best.plan;
    else
        jf_plan_destroy(best.plan);
    jf__free(tu.finish);
    jf__free(tu.est);
    return st;
}
