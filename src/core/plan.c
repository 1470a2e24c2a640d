/* Building a plan from a grouping of tasks: members in execution order,
 * the second dependency relationship, target demands by rule. */
#include <math.h>

#include "core/plan_impl.h"

static jf_status plan_fail(jf_plan *plan, jf_status st, const char *msg)
{
    jf__fmt(plan->errmsg, sizeof plan->errmsg, "%s", msg);
    return st;
}

/* Dense target numbers in order of first appearance in topological order. */
static jf_status number_groups(jf_plan *plan, const uint32_t *group_of)
{
    const jf_job *job = plan->job;
    uint32_t n = job->n_tasks, *dense = jf__malloc(((size_t)n + 1) * sizeof *dense);
    if (!dense)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    for (uint32_t t = 0; t < n; t++)
        dense[t] = UINT32_MAX;
    uint32_t groups = 0;
    jf_status st = JF_OK;
    for (uint32_t i = 0; i < n && st == JF_OK; i++) {
        uint32_t t = job->topo[i], g = group_of[t];
        if (g >= n) {
            st = plan_fail(plan, JF_EINVAL, "group label out of range");
            break;
        }
        if (dense[g] == UINT32_MAX)
            dense[g] = groups++;
        plan->target_of[t] = dense[g];
    }
    jf__free(dense);
    plan->n_targets = groups;
    return st;
}

/* Members bucketed by target_of, each bucket in topological order. */
static void bucket_members(jf_plan *plan)
{
    const jf_job *job = plan->job;
    uint32_t n = job->n_tasks, nt = plan->n_targets;
    memset(plan->member_off, 0, ((size_t)nt + 1) * sizeof *plan->member_off);
    for (uint32_t t = 0; t < n; t++)
        plan->member_off[plan->target_of[t] + 1]++;
    for (uint32_t g = 0; g < nt; g++)
        plan->member_off[g + 1] += plan->member_off[g];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = job->topo[i];
        plan->members[plan->member_off[plan->target_of[t]]++] = t;
    }
    for (uint32_t g = nt; g > 0; g--)
        plan->member_off[g] = plan->member_off[g - 1];
    plan->member_off[0] = 0;
}

/* Successor rows of the target graph, distinct, bytes summed; `mark` and
 * `slot` are scratch of n_targets entries. */
static void fill_succ(jf_plan *plan, uint32_t *mark, uint64_t *slot)
{
    const jf_job *job = plan->job;
    uint64_t m = 0;
    for (uint32_t g = 0; g < plan->n_targets; g++)
        mark[g] = UINT32_MAX;
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        plan->succ_off[g] = m;
        for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++) {
            uint32_t t = plan->members[k];
            for (uint64_t e = job->out_off[t]; e < job->out_off[t + 1]; e++) {
                uint32_t h = plan->target_of[job->out_task[e]];
                if (h == g)
                    continue;
                if (mark[h] != g) {
                    mark[h] = g;
                    slot[h] = m;
                    plan->succ[m] = h;
                    plan->succ_bytes[m++] = 0;
                }
                plan->succ_bytes[slot[h]] = jf__bytes_add(plan->succ_bytes[slot[h]], job->out_bytes[e]);
            }
        }
    }
    plan->succ_off[plan->n_targets] = m;
    plan->n_edges = m;
}

static void fill_pred(jf_plan *plan)
{
    uint32_t nt = plan->n_targets;
    memset(plan->pred_off, 0, ((size_t)nt + 1) * sizeof *plan->pred_off);
    for (uint64_t e = 0; e < plan->n_edges; e++)
        plan->pred_off[plan->succ[e] + 1]++;
    for (uint32_t g = 0; g < nt; g++)
        plan->pred_off[g + 1] += plan->pred_off[g];
    for (uint32_t g = 0; g < nt; g++)
        for (uint64_t e = plan->succ_off[g]; e < plan->succ_off[g + 1]; e++) {
            uint64_t s = plan->pred_off[plan->succ[e]]++;
            plan->pred[s] = g;
            plan->pred_bytes[s] = plan->succ_bytes[e];
        }
    for (uint32_t g = nt; g > 0; g--)
        plan->pred_off[g] = plan->pred_off[g - 1];
    plan->pred_off[0] = 0;
}

/* Kahn over targets; rank[g] = position. Returns the count ordered. */
static uint32_t order_targets(const jf_plan *plan, uint32_t *rank, uint32_t *queue)
{
    uint32_t nt = plan->n_targets, head = 0, tail = 0;
    for (uint32_t g = 0; g < nt; g++) {
        rank[g] = (uint32_t)(plan->pred_off[g + 1] - plan->pred_off[g]);
        if (rank[g] == 0)
            queue[tail++] = g;
    }
    while (head < tail) {
        uint32_t g = queue[head++];
        for (uint64_t e = plan->succ_off[g]; e < plan->succ_off[g + 1]; e++)
            if (--rank[plan->succ[e]] == 0)
                queue[tail++] = plan->succ[e];
    }
    for (uint32_t i = 0; i < tail; i++)
        rank[queue[i]] = i;
    return tail;
}

static jf_status alloc_graph(jf_plan *plan)
{
    size_t nt = plan->n_targets, m = plan->job->n_edges + 1;
    plan->succ_off = jf__malloc((nt + 1) * sizeof(uint64_t));
    plan->pred_off = jf__malloc((nt + 1) * sizeof(uint64_t));
    plan->succ = jf__malloc(m * sizeof(uint32_t));
    plan->pred = jf__malloc(m * sizeof(uint32_t));
    plan->succ_bytes = jf__malloc(m * sizeof(uint64_t));
    plan->pred_bytes = jf__malloc(m * sizeof(uint64_t));
    if (!plan->succ_off || !plan->pred_off || !plan->succ || !plan->pred || !plan->succ_bytes ||
        !plan->pred_bytes)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    return JF_OK;
}

/* Whether every target edge goes from a lower number to a higher one. */
static int numbered_topologically(const jf_plan *plan)
{
    for (uint32_t g = 0; g < plan->n_targets; g++)
        for (uint64_t e = plan->succ_off[g]; e < plan->succ_off[g + 1]; e++)
            if (plan->succ[e] <= g)
                return 0;
    return 1;
}

/* Build the target graph, order it, and when the first numbering is not
 * already topological renumber the targets and build it again. */
static jf_status build_graph(jf_plan *plan)
{
    size_t nt = plan->n_targets;
    uint32_t *rank = jf__malloc((nt + 1) * sizeof *rank);
    uint32_t *queue = jf__malloc((nt + 1) * sizeof *queue);
    uint64_t *slot = jf__malloc((nt + 1) * sizeof *slot);
    if (!rank || !queue || !slot || alloc_graph(plan) != JF_OK) {
        jf__free(rank);
        jf__free(queue);
        jf__free(slot);
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    }
    bucket_members(plan);
    fill_succ(plan, queue, slot);
    fill_pred(plan);
    jf_status st = JF_OK;
    if (numbered_topologically(plan)) {
        /* nothing to reorder */
    } else if (order_targets(plan, rank, queue) != nt) {
        st = plan_fail(plan, JF_ECYCLE, "the grouping makes a cycle between targets");
    } else {
        int identity = 1;
        for (uint32_t g = 0; g < nt && identity; g++)
            identity = rank[g] == g;
        if (!identity) {
            for (uint32_t t = 0; t < plan->job->n_tasks; t++)
                plan->target_of[t] = rank[plan->target_of[t]];
            bucket_members(plan);
            fill_succ(plan, queue, slot);
            fill_pred(plan);
        }
    }
    jf__free(rank);
    jf__free(queue);
    jf__free(slot);
    return st;
}

static void aggregate_demands(jf_plan *plan)
{
    const jf_job *job = plan->job;
    int nr = job->n_res;
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        double *d = plan->demand + (size_t)g * (size_t)nr;
        for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++) {
            uint32_t t = plan->members[k];
            for (int r = 0; r < nr; r++) {
                double v = job->demand[r][t];
                d[r] = job->res_rule[r] == JF_RULE_MAX ? JF__MAX(d[r], v) : d[r] + v;
            }
        }
    }
}

static jf_status plan_alloc(const jf_job *job, jf_plan **out)
{
    jf_plan *plan = jf__calloc(1, sizeof *plan);
    *out = plan;
    if (!plan)
        return JF_ENOMEM;
    plan->job = job;
    size_t n = (size_t)job->n_tasks + 1;
    plan->target_of = jf__malloc(n * sizeof *plan->target_of);
    plan->members = jf__malloc(n * sizeof *plan->members);
    plan->member_off = jf__malloc((n + 1) * sizeof *plan->member_off);
    if (!plan->target_of || !plan->members || !plan->member_off)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    return JF_OK;
}

/* Demands and device slots of the targets. */
static jf_status finish_plan(jf_plan *plan)
{
    const jf_job *job = plan->job;
    size_t nt = (size_t)plan->n_targets + 1;
    plan->demand = jf__calloc(nt * (size_t)(job->n_res ? job->n_res : 1), sizeof(double));
    plan->device = jf__malloc(nt * sizeof *plan->device);
    if (!plan->demand || !plan->device)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    aggregate_demands(plan);
    for (uint32_t g = 0; g < plan->n_targets; g++)
        plan->device[g] = -1;
    return JF_OK;
}

jf_status jf_plan_from_groups(const jf_job *job, const uint32_t *group_of, jf_plan **out)
{
    JF_ASSERT(job->validated);
    jf_plan *plan;
    jf_status st = plan_alloc(job, &plan);
    if (st == JF_OK)
        st = number_groups(plan, group_of);
    if (st == JF_OK)
        st = build_graph(plan);
    if (st == JF_OK)
        st = finish_plan(plan);
    if (st != JF_OK) {
        jf_plan_destroy(plan);
        *out = NULL;
        return st;
    }
    *out = plan;
    return JF_OK;
}

jf_status jf__plan_from_numbered(const jf_job *job, const uint32_t *target_of,
                                 uint32_t n_targets, jf_plan **out)
{
    JF_ASSERT(job->validated);
    jf_plan *plan;
    jf_status st = plan_alloc(job, &plan);
    if (st == JF_OK) {
        memcpy(plan->target_of, target_of, (size_t)job->n_tasks * sizeof *target_of);
        plan->n_targets = n_targets;
        st = build_graph(plan);
    }
    if (st == JF_OK)
        st = finish_plan(plan);
    if (st != JF_OK) {
        jf_plan_destroy(plan);
        plan = NULL;
    }
    *out = plan;
    return st;
}

jf_status jf_plan_identity(const jf_job *job, jf_plan **out)
{
    uint32_t *group = jf__malloc(((size_t)job->n_tasks + 1) * sizeof *group);
    if (!group)
        return JF_ENOMEM;
    for (uint32_t t = 0; t < job->n_tasks; t++)
        group[t] = t;
    jf_status st = jf_plan_from_groups(job, group, out);
    jf__free(group);
    return st;
}

void jf_plan_destroy(jf_plan *plan)
{
    if (!plan)
        return;
    jf__free(plan->target_of);
    jf__free(plan->member_off);
    jf__free(plan->members);
    jf__free(plan->succ_off);
    jf__free(plan->pred_off);
    jf__free(plan->succ);
    jf__free(plan->pred);
    jf__free(plan->succ_bytes);
    jf__free(plan->pred_bytes);
    jf__free(plan->demand);
    jf__free(plan->device);
    if (plan->notes)
        for (uint32_t g = 0; g < plan->n_targets; g++)
            jf__free(plan->notes[g]);
    jf__free(plan->notes);
    jf__free(plan->source_path);
    jf__free(plan->source_sha256);
    jf__free(plan->options_json);
    jf__free(plan);
}

const char *jf_plan_errmsg(const jf_plan *plan) { return plan ? plan->errmsg : "out of memory"; }
const jf_job *jf_plan_job(const jf_plan *plan) { return plan->job; }
uint32_t jf_plan_target_count(const jf_plan *plan) { return plan->n_targets; }
uint64_t jf_plan_edge_count(const jf_plan *plan) { return plan->n_edges; }
uint32_t jf_plan_target_of(const jf_plan *plan, uint32_t task) { return plan->target_of[task]; }
int jf_plan_target_device(const jf_plan *plan, uint32_t target) { return plan->device[target]; }

uint32_t jf_plan_target_members(const jf_plan *plan, uint32_t target, const uint32_t **members)
{
    uint64_t b = plan->member_off[target];
    *members = plan->members + b;
    return (uint32_t)(plan->member_off[target + 1] - b);
}

uint32_t jf_plan_target_succ(const jf_plan *plan, uint32_t target, const uint32_t **targets,
                             const uint64_t **bytes)
{
    uint64_t b = plan->succ_off[target];
    *targets = plan->succ + b;
    if (bytes)
        *bytes = plan->succ_bytes + b;
    return (uint32_t)(plan->succ_off[target + 1] - b);
}

uint32_t jf_plan_target_pred(const jf_plan *plan, uint32_t target, const uint32_t **targets,
                             const uint64_t **bytes)
{
    uint64_t b = plan->pred_off[target];
    *targets = plan->pred + b;
    if (bytes)
        *bytes = plan->pred_bytes + b;
    return (uint32_t)(plan->pred_off[target + 1] - b);
}

double jf_plan_target_demand(const jf_plan *plan, uint32_t target, int resource)
{
    int nr = plan->job->n_res;
    if (resource < 0 || resource >= nr)
        return 0.0;
    return plan->demand[(size_t)target * (size_t)nr + (size_t)resource];
}

jf_status jf_plan_set_device(jf_plan *plan, uint32_t target, int device)
{
    if (target >= plan->n_targets)
        return JF_EINVAL;
    plan->device[target] = device;
    return JF_OK;
}

double jf_plan_critical_path(const jf_plan *plan)
{
    int r = jf_job_resource_find(plan->job, "time");
    uint32_t nt = plan->n_targets;
    if (r < 0 || nt == 0)
        return 0.0;
    double *finish = jf__calloc(nt, sizeof *finish), best = 0.0;
    if (!finish)
        return -1.0;
    for (uint32_t g = 0; g < nt; g++) { /* targets are numbered topologically */
        double start = 0.0;
        for (uint64_t e = plan->pred_off[g]; e < plan->pred_off[g + 1]; e++)
            start = JF__MAX(start, finish[plan->pred[e]]);
        finish[g] = start + jf_plan_target_demand(plan, g, r);
        best = JF__MAX(best, finish[g]);
    }
    jf__free(finish);
    return best;
}

static jf_status replace_string(char **slot, const char *value)
{
    char *copy = value ? jf__strdup(value) : NULL;
    if (value && !copy)
        return JF_ENOMEM;
    jf__free(*slot);
    *slot = copy;
    return JF_OK;
}

jf_status jf_plan_set_note(jf_plan *plan, uint32_t target, const char *note)
{
    if (target >= plan->n_targets)
        return JF_EINVAL;
    if (!plan->notes && !(plan->notes = jf__calloc(plan->n_targets, sizeof *plan->notes)))
        return JF_ENOMEM;
    return replace_string(&plan->notes[target], note);
}

const char *jf_plan_target_note(const jf_plan *plan, uint32_t target)
{
    return plan->notes ? plan->notes[target] : NULL;
}

jf_status jf_plan_set_source(jf_plan *plan, const char *path, const char *sha256)
{
    jf_status st = replace_string(&plan->source_path, path);
    return st == JF_OK ? replace_string(&plan->source_sha256, sha256) : st;
}

jf_status jf_plan_set_options_json(jf_plan *plan, const char *json_object)
{
    return replace_string(&plan->options_json, json_object);
}
