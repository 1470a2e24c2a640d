/* The combination method (DESIGN.md, "The method"). Groups grow by merging
 * along dependencies in topological order; union-find keeps the groups,
 * a topological position per group keeps the cycle test local. */
#include <math.h>

#include "combine/combine_impl.h"
#include "core/plan_impl.h"

jf_combine_params jf_combine_default_params(void)
{
    jf_combine_params p;
    memset(&p, 0, sizeof p);
    p.degree_threshold = 2;
    p.degree_mode = JF_DEGREE_BOTH;
    p.default_threshold_percent = 50.0;
    return p;
}

const char *jf_refusal_key(jf_refusal r)
{
    static const char *const key[] = {
#define JF__REFUSAL_KEY(name, k, text) k,
        JF_REFUSAL_MAP(JF__REFUSAL_KEY)
#undef JF__REFUSAL_KEY
    };
    return (unsigned)r < JF_REFUSED_COUNT ? key[r] : "?";
}

const char *jf_refusal_text(jf_refusal r)
{
    static const char *const text[] = {
#define JF__REFUSAL_TEXT(name, k, t) t,
        JF_REFUSAL_MAP(JF__REFUSAL_TEXT)
#undef JF__REFUSAL_TEXT
    };
    return (unsigned)r < JF_REFUSED_COUNT ? text[r] : "?";
}

/* ---- union-find ---- */

uint32_t jf__cb_find(jf__combiner *c, uint32_t t)
{
    uint32_t *parent = c->parent;
    for (uint32_t p = parent[t]; p != t; p = parent[t]) {
        uint32_t up = parent[p];
        if (up == p) /* t hangs right under the root: nothing to shorten */
            return p;
        parent[t] = up; /* path halving */
        t = up;
    }
    return t;
}

/* ---- limits ---- */

static double combine_value(jf_rule rule, double a, double b)
{
    return rule == JF_RULE_MAX ? JF__MAX(a, b) : a + b;
}

static jf_refusal check_limits(const jf__combiner *c, uint32_t a, uint32_t b)
{
    if (c->max_members && c->size[a] + c->size[b] > c->max_members)
        return JF_REFUSED_MEMBERS;
    for (int r = 0; r < c->n_res; r++) { /* kept in c->merged for the merge */
        c->merged[r] = combine_value(c->job->res_rule[r], jf__cb_demand(c, a, r),
                                     jf__cb_demand(c, b, r));
        if (c->merged[r] > c->cap[r])
            return JF_REFUSED_CAPACITY;
    }
    return JF_REFUSED_NONE;
}

/* ---- merging ---- */

/* What a merge needs of a group, read once, whether it is one task or more. */
typedef struct {
    uint32_t head, tail, out, in, size;
} group_view;

static group_view view_of(const jf__combiner *c, uint32_t g)
{
    if (c->size[g] > 1)
        return (group_view){c->head[g], c->tail[g], c->ext_out[g], c->ext_in[g], c->size[g]};
    const jf_job *job = c->job;
    return (group_view){g, g, (uint32_t)(job->out_off[g + 1] - job->out_off[g]),
                        (uint32_t)(job->in_off[g + 1] - job->in_off[g]), 1};
}

static int merge_groups(jf__combiner *c, uint32_t a, uint32_t b, const group_view *va,
                        const group_view *vb, uint32_t ord, uint32_t edges_ab)
{
    uint32_t root = va->size >= vb->size ? a : b, other = root == a ? b : a;
    if (!c->merge_block && jf__cb_merge_space(c) != 0)
        return -1;
    if (c->has_adj && jf__cb_merge_adj(c, a, b, root) != 0)
        return -1;
    for (int r = 0; r < c->n_res; r++) /* a loop: a call to memcpy costs more here */
        c->demand[(size_t)root * c->n_res + r] = c->merged[r];
    c->next[va->tail] = vb->head; /* a's members run before b's */
    c->head[root] = va->head;
    c->tail[root] = vb->tail;
    c->ext_out[root] = va->out + vb->out - edges_ab;
    c->ext_in[root] = va->in + vb->in - edges_ab;
    c->size[root] = va->size + vb->size; /* last: the fields above are read by size */
    c->largest = JF__MAX(c->largest, c->size[root]);
    c->ord[root] = ord;
    c->parent[other] = root;
    c->merges++;
    return 0;
}

/* Try to merge the groups of edge e = u -> v; returns why not, or NONE. */
static jf_refusal try_merge(jf__combiner *c, uint64_t e, uint32_t u, uint32_t v)
{
    uint32_t a = jf__cb_find(c, u), b = jf__cb_find(c, v);
    if (a == b)
        return JF_REFUSED_NONE;
    jf_refusal why = check_limits(c, a, b);
    if (why != JF_REFUSED_NONE)
        return why;
    group_view va = view_of(c, a), vb = view_of(c, b);
    uint32_t ord, edges_ab = 1, sum = va.size + vb.size;
    if (c->refused_at && c->refused_at[e] == sum)
        return JF_REFUSED_CYCLE;
    if (va.out == 1 || vb.in == 1) /* the safe rule: u -> v is a's only way out or b's only way in */
        ord = va.out == 1 ? c->ord[b] : c->ord[a];
    else if (!jf__cb_acyclic(c, a, b, &ord, &edges_ab)) {
        if (!c->refused_at)
            c->refused_at = jf__calloc(c->job->n_edges + 1, sizeof *c->refused_at);
        if (c->refused_at)
            c->refused_at[e] = sum;
        return JF_REFUSED_CYCLE;
    }
    if (merge_groups(c, a, b, &va, &vb, ord, edges_ab) != 0)
        c->out_of_memory = 1;
    return JF_REFUSED_NONE;
}

static void note_refusal(jf__combiner *c, uint32_t u, uint32_t v, jf_refusal why)
{
    c->refused[why]++;
    if (c->reason) {
        c->reason[jf__cb_find(c, u)] = (uint8_t)why;
        c->reason[jf__cb_find(c, v)] = (uint8_t)why;
    }
}

static jf_refusal candidate_refusal(const jf__combiner *c, uint32_t u, uint32_t v)
{
    if (c->group[u] == JF__NOT_FIRST || c->group[v] == JF__NOT_FIRST)
        return JF_REFUSED_DEGREE;
    return JF_REFUSED_DEMAND;
}

/* ---- runs of links ---- */

/* With K = 2 and mode both every candidate has at most one edge in and
 * one out, so candidates form runs u -> v -> w ... whose merges touch
 * nothing else: a run can be merged as soon as the sweep meets its first
 * task, the growing group held in locals instead of being looked up and
 * written back at every edge. The merges, refusals and positions are
 * those try_merge makes edge by edge (the property tests hold both). */
typedef struct {
    uint32_t root, head, tail, out, in, size, ord;
} run;

static uint32_t out_degree(const jf_job *job, uint32_t t)
{
    return (uint32_t)(job->out_off[t + 1] - job->out_off[t]);
}

static uint32_t in_degree(const jf_job *job, uint32_t t)
{
    return (uint32_t)(job->in_off[t + 1] - job->in_off[t]);
}

static run run_start(const jf__combiner *c, uint32_t u)
{
    return (run){u, u, u, out_degree(c->job, u), in_degree(c->job, u), 1, c->ord[u]};
}

/* Demand k of the run's group merged with the single task v. */
static double run_demand(const jf__combiner *c, const run *r, uint32_t v, int k)
{
    const jf_job *job = c->job;
    double a = r->size > 1 ? c->demand[(size_t)r->root * c->n_res + k] : job->demand[k][r->root];
    return combine_value(job->res_rule[k], a, job->demand[k][v]);
}

/* check_limits, then merge_groups, for the run's group and the single
 * task v over their one edge. The merged demand is computed twice rather
 * than kept in c->merged: one store-to-load round trip less per merge on
 * the chain of sums. */
static jf_refusal run_add(jf__combiner *c, run *r, uint32_t v)
{
    if (c->max_members && r->size + 1 > c->max_members)
        return JF_REFUSED_MEMBERS;
    for (int k = 0; k < c->n_res; k++)
        if (run_demand(c, r, v, k) > c->cap[k])
            return JF_REFUSED_CAPACITY;
    for (int k = 0; k < c->n_res; k++) /* element k is read before it is written */
        c->demand[(size_t)r->root * c->n_res + k] = run_demand(c, r, v, k);
    r->ord = r->out == 1 ? c->ord[v] : r->ord; /* the safe rule, as try_merge */
    r->out += out_degree(c->job, v) - 1;
    r->in += in_degree(c->job, v) - 1;
    c->next[r->tail] = v;
    r->tail = v;
    r->size++;
    c->parent[v] = r->root;
    c->merges++;
    return JF_REFUSED_NONE;
}

static void run_flush(jf__combiner *c, const run *r)
{
    if (r->size < 2)
        return;
    c->head[r->root] = r->head;
    c->tail[r->root] = r->tail;
    c->ext_out[r->root] = r->out;
    c->ext_in[r->root] = r->in;
    c->size[r->root] = r->size;
    c->ord[r->root] = r->ord;
    c->largest = JF__MAX(c->largest, r->size);
}

/* The run that starts at u: every edge out of its tasks, in order. */
static void walk_run(jf__combiner *c, uint32_t u)
{
    const jf_job *job = c->job;
    run r = run_start(c, u);
    while (out_degree(job, u) == 1) {
        uint32_t v = job->out_task[job->out_off[u]];
        if (c->group[v] != JF__SECOND) {
            c->refused[candidate_refusal(c, u, v)]++;
            break;
        }
        if (!c->merge_block && jf__cb_merge_space(c) != 0)
            return; /* no merge yet, nothing to flush; out_of_memory fails the combine */
        jf_refusal why = run_add(c, &r, v);
        if (why != JF_REFUSED_NONE) {
            c->refused[why]++;
            run_flush(c, &r);
            r = run_start(c, v);
        }
        u = v;
    }
    run_flush(c, &r);
}

/* Whether a second-group task begins a run (its edge in, if any, comes
 * from outside the second group); the others were walked from theirs. */
static int starts_run(const jf__combiner *c, uint32_t u)
{
    const jf_job *job = c->job;
    return in_degree(job, u) == 0 || c->group[job->in_task[job->in_off[u]]] != JF__SECOND;
}

/* One sweep over all edges in topological order. Refusals are counted
 * afresh each pass, so the last pass (no merge) leaves the counts at the
 * fixpoint. */
static uint32_t sweep(jf__combiner *c)
{
    const jf_job *job = c->job;
    uint32_t before = c->merges;
    /* runs: not with --explain (reasons are noted per edge), and only on
     * the first pass, while every run starts as single tasks */
    int runs = c->links_only && !c->reason && c->passes == 1;
    memset(c->refused, 0, sizeof c->refused);
    if (!c->reason) /* the edges out of tasks outside the first group, counted once */
        c->refused[JF_REFUSED_DEGREE] = c->not_first_edges;
    for (uint32_t i = 0; i < job->n_tasks; i++) {
        uint32_t u = job->topo[i];
        if (c->group[u] == JF__NOT_FIRST && !c->reason)
            continue;
        if (runs && c->group[u] == JF__SECOND) {
            if (starts_run(c, u))
                walk_run(c, u);
            continue;
        }
        for (uint64_t e = job->out_off[u]; e < job->out_off[u + 1]; e++) {
            uint32_t v = job->out_task[e];
            jf_refusal why = c->group[u] == JF__SECOND && c->group[v] == JF__SECOND
                                 ? try_merge(c, e, u, v)
                                 : candidate_refusal(c, u, v);
            if (why != JF_REFUSED_NONE)
                note_refusal(c, u, v, why);
        }
    }
    return c->merges - before;
}

/* Targets numbered by their groups' positions, which the combiner keeps
 * topological: the plan needs no second ordering. */
static jf_status make_plan(jf__combiner *c, jf_plan **out)
{
    if (c->merges == 0 && c->job->topo_is_index) /* the plan can share the job's graph */
        return jf_plan_identity(c->job, out);
    uint32_t n = c->job->n_tasks, targets = 0;
    jf_status st = jf__plan_alloc(c->job, n - c->merges, out); /* each merge: one group less */
    if (st != JF_OK)
        return st;
    if (c->merges == 0) { /* every task alone, numbered by its position */
        memcpy((*out)->target_of, c->ord, (size_t)n * sizeof *c->ord);
        return jf__plan_build(*out);
    }
    uint32_t *at = (*out)->target_of; /* first position -> group, then task -> target */
    for (uint32_t i = 0; i < n; i++)
        at[i] = UINT32_MAX;
    for (uint32_t t = 0; t < n; t++)
        if (c->parent[t] == t)
            at[c->ord[t]] = t;
    for (uint32_t i = 0; i < n; i++)
        if (at[i] != UINT32_MAX)
            c->size[at[i]] = targets++; /* reused: group -> target number */
    JF_ASSERT(targets == n - c->merges);
    for (uint32_t t = 0; t < n; t++)
        (*out)->target_of[t] = c->size[jf__cb_find(c, t)];
    return jf__plan_build(*out);
}

static void fill_stats(const jf__combiner *c, jf_combine_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    memcpy(stats->refused, c->refused, sizeof stats->refused);
    stats->first_group = c->first_group;
    stats->second_group = c->second_group;
    stats->largest_target = c->largest;
    stats->merges = c->merges;
    stats->passes = c->passes;
}

static jf_status add_notes(const jf__combiner *c, jf_plan *plan)
{
    for (uint32_t g = 0; g < jf_plan_target_count(plan); g++) {
        const uint32_t *m;
        jf_plan_target_members(plan, g, &m);
        jf_refusal why = (jf_refusal)c->reason[jf__cb_find((jf__combiner *)c, m[0])];
        char note[160];
        jf__fmt(note, sizeof note, "%s: %s", jf_refusal_key(why), jf_refusal_text(why));
        if (jf_plan_set_note(plan, g, note) != JF_OK)
            return JF_ENOMEM;
    }
    return JF_OK;
}

jf_status jf_combine(jf_job *job, const jf_combine_params *params, jf_plan **out,
                     jf_combine_stats *stats)
{
    *out = NULL;
    if (!job->validated)
        return jf__job_fail(job, JF_EINVAL, "the job must be validated before combining");
    jf__combiner c;
    jf_status st = jf__cb_init(&c, job, params);
    if (st == JF_OK) {
        /* Refusals by limits persist (groups only grow); only a refused
         * cycle can turn into a merge later, so only then sweep again. */
        uint32_t merged;
        do {
            c.passes++;
            merged = sweep(&c);
        } while (merged > 0 && c.refused[JF_REFUSED_CYCLE] > 0 && !c.out_of_memory);
        st = c.out_of_memory ? JF_ENOMEM : make_plan(&c, out);
        if (st != JF_OK)
            jf__job_fail(job, st, "combining: %s", jf_status_str(st));
    }
    if (st == JF_OK && params->explain && add_notes(&c, *out) != JF_OK)
        st = jf__job_fail(job, JF_ENOMEM, "out of memory");
    if (st == JF_OK && stats)
        fill_stats(&c, stats);
    if (st != JF_OK) {
        jf_plan_destroy(*out);
        *out = NULL;
    }
    jf__cb_free(&c);
    return st;
}
