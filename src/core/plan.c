/* Building a plan from a grouping of tasks: members in execution order,
 * the second dependency relationship, target demands by rule. */
#include <math.h>

#include "core/plan_impl.h"

static jf_status plan_fail(jf_plan *plan, jf_status st, const char *msg)
{
    jf__fmt(plan->errmsg, sizeof plan->errmsg, "%s", msg);
    return st;
}

/* The next `bytes` of a block being cut into arrays. */
static void *carve(char **at, size_t bytes)
{
    void *p = *at;
    *at += bytes;
    return p;
}

/* One block holds every array whose size the job and the target count
 * fix: one allocation instead of eleven, and the untouched tail of the
 * edge arrays (sized for the job's edges) costs no page faults. A plan
 * that shares the job's arrays (share_job) holds only what is its own:
 * member offsets, demands and devices. */
static jf_status plan_alloc(const jf_job *job, uint32_t n_targets, int share_job, jf_plan **out)
{
    jf_plan *plan = jf__calloc(1, sizeof *plan);
    *out = plan;
    if (!plan)
        return JF_ENOMEM;
    plan->job = job;
    plan->n_targets = n_targets;
    size_t n = share_job ? 0 : job->n_tasks, nt = n_targets, nr = (size_t)job->n_res;
    size_t m = share_job ? 0 : job->n_edges, offs = share_job ? 0 : 2 * (nt + 1);
    char *at = plan->block = jf__malloc((nt + 1 + offs + 2 * m + nt * nr) * 8 +
                                        (2 * n + 2 * m + nt) * 4);
    if (!at)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    plan->member_off = carve(&at, (nt + 1) * 8); /* 8-byte elements first */
    plan->succ_off = carve(&at, offs / 2 * 8);
    plan->pred_off = carve(&at, offs / 2 * 8);
    plan->succ_bytes = carve(&at, m * 8);
    plan->pred_bytes = carve(&at, m * 8);
    plan->demand = carve(&at, nt * nr * 8);
    plan->target_of = carve(&at, n * 4);
    plan->members = carve(&at, n * 4);
    plan->succ = carve(&at, m * 4);
    plan->pred = carve(&at, m * 4);
    plan->device = carve(&at, nt * 4);
    return JF_OK;
}

/* Dense target numbers in order of first appearance in topological order;
 * *n_targets is the count. */
static jf_status number_groups(const jf_job *job, const uint32_t *group_of, uint32_t *target_of,
                               uint32_t *dense, uint32_t *n_targets)
{
    uint32_t n = job->n_tasks, groups = 0;
    for (uint32_t t = 0; t < n; t++)
        dense[t] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = job->topo[i], g = group_of[t];
        if (g >= n)
            return JF_EINVAL;
        if (dense[g] == UINT32_MAX)
            dense[g] = groups++;
        target_of[t] = dense[g];
    }
    *n_targets = groups;
    return JF_OK;
}

/* Members bucketed by target_of, each bucket in topological order. When
 * every target is a single task the buckets need no counting. */
static void bucket_members(jf_plan *plan)
{
    const jf_job *job = plan->job;
    uint32_t n = job->n_tasks, nt = plan->n_targets;
    uint64_t *off = plan->member_off;
    if (nt == n) {
        for (uint32_t t = 0; t < n; t++)
            plan->members[plan->target_of[t]] = t;
        for (uint32_t g = 0; g <= nt; g++)
            off[g] = g;
        return;
    }
    memset(off, 0, ((size_t)nt + 1) * sizeof *off);
    for (uint32_t t = 0; t < n; t++)
        off[plan->target_of[t] + 1]++;
    for (uint32_t g = 0; g < nt; g++)
        off[g + 1] += off[g];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = job->topo[i];
        plan->members[off[plan->target_of[t]]++] = t;
    }
    for (uint32_t g = nt; g > 0; g--)
        off[g] = off[g - 1];
    off[0] = 0;
}

/* Rows longer than this find repeats through a mark per target instead
 * of scanning the row: short rows (nearly all) stay in a cache line. */
#define SCAN_MAX 32

/* Scratch of the successor rows: marks, made on the first long row. */
typedef struct {
    uint32_t *mark; /* target -> the row that holds it, or UINT32_MAX */
    uint64_t *slot; /* target -> its place in that row */
    int failed;
} row_marks;

static int marks_ready(row_marks *rm, uint32_t nt)
{
    if (rm->mark)
        return 1;
    rm->mark = jf__malloc(((size_t)nt + 1) * sizeof *rm->mark);
    rm->slot = jf__malloc(((size_t)nt + 1) * sizeof *rm->slot);
    if (!rm->mark || !rm->slot) {
        rm->failed = 1;
        return 0;
    }
    for (uint32_t g = 0; g < nt; g++)
        rm->mark[g] = UINT32_MAX;
    return 1;
}

/* Make the marks of row g (from `start` to m) when it grows long. */
static void mark_row(const jf_plan *plan, row_marks *rm, uint32_t g, uint64_t start, uint64_t m)
{
    for (uint64_t k = start; k < m; k++) {
        rm->mark[plan->succ[k]] = g;
        rm->slot[plan->succ[k]] = k;
    }
}

/* Place of target h in row g (from `start` to *m), added when new. */
static uint64_t row_slot(jf_plan *plan, row_marks *rm, uint32_t g, uint64_t start, uint64_t *m,
                         uint32_t h)
{
    if (*m - start <= SCAN_MAX || !marks_ready(rm, plan->n_targets)) {
        for (uint64_t k = start; k < *m; k++)
            if (plan->succ[k] == h)
                return k;
    } else {
        if (rm->mark[plan->succ[start]] != g) /* the row has just grown long */
            mark_row(plan, rm, g, start, *m);
        if (rm->mark[h] == g)
            return rm->slot[h];
        rm->mark[h] = g;
        rm->slot[h] = *m;
    }
    plan->succ[*m] = h;
    plan->succ_bytes[*m] = 0;
    return (*m)++;
}

/* Successor row of target g: distinct targets, bytes summed. */
static uint64_t fill_row(jf_plan *plan, row_marks *rm, uint32_t g, uint64_t m)
{
    const jf_job *job = plan->job;
    uint64_t start = m;
    for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++) {
        uint32_t t = plan->members[k];
        for (uint64_t e = job->out_off[t]; e < job->out_off[t + 1]; e++) {
            uint32_t h = plan->target_of[job->out_task[e]];
            if (h == g)
                continue;
            uint64_t s = row_slot(plan, rm, g, start, &m, h);
            plan->succ_bytes[s] = jf__bytes_add(plan->succ_bytes[s], job->out_bytes[e]);
        }
    }
    return m;
}

/* Successor rows of targets with several members (or next to them):
 * distinct targets, bytes summed. 1 when every row points forward (the
 * numbering is topological), 0 when not, -1 when out of memory. */
static int fill_succ(jf_plan *plan)
{
    uint32_t nt = plan->n_targets;
    int forward = 1;
    row_marks rm = {NULL, NULL, 0};
    uint64_t m = 0;
    for (uint32_t g = 0; g < nt; g++) {
        uint64_t start = m;
        plan->succ_off[g] = m;
        m = fill_row(plan, &rm, g, m);
        for (uint64_t k = start; k < m; k++)
            forward &= plan->succ[k] > g;
    }
    plan->succ_off[nt] = m;
    plan->n_edges = m;
    jf__free(rm.mark);
    jf__free(rm.slot);
    return rm.failed ? -1 : forward;
}

/* One direction of a graph in CSR: row offsets, neighbours, bytes. */
typedef struct {
    uint64_t *off;
    uint32_t *node;
    uint64_t *bytes;
} csr;

/* When every target is a single task, a target's row is its task's row
 * mapped to targets: distinct tasks lie in distinct targets, so nothing
 * merges. The tasks are read in their own order, so the job's arrays
 * stream through the cache and only the writes jump. Rows keep the
 * order of the task's own row. 1 when every mapped edge runs from a lower
 * number to a higher one (to test the successor direction). */
static int copy_rows(const jf_plan *plan, csr from, csr to)
{
    uint32_t n = plan->job->n_tasks;
    const uint32_t *tof = plan->target_of;
    int forward = 1;
    to.off[0] = 0;
    for (uint32_t t = 0; t < n; t++)
        to.off[tof[t] + 1] = from.off[t + 1] - from.off[t];
    for (uint32_t g = 0; g < n; g++)
        to.off[g + 1] += to.off[g];
    for (uint32_t t = 0; t < n; t++) {
        uint32_t g = tof[t];
        for (uint64_t e = from.off[t], s = to.off[g]; e < from.off[t + 1]; e++, s++) {
            to.node[s] = tof[from.node[e]];
            to.bytes[s] = from.bytes[e];
            forward &= to.node[s] > g;
        }
    }
    return forward;
}

/* Both directions of a plan of single tasks; as fill_succ. */
static int copy_graph(jf_plan *plan)
{
    const jf_job *job = plan->job;
    csr out = {job->out_off, job->out_task, job->out_bytes};
    csr in = {job->in_off, job->in_task, job->in_bytes};
    int forward = copy_rows(plan, out, (csr){plan->succ_off, plan->succ, plan->succ_bytes});
    copy_rows(plan, in, (csr){plan->pred_off, plan->pred, plan->pred_bytes});
    plan->n_edges = job->n_edges;
    return forward;
}

/* Predecessor rows by transposing the successor rows: each row comes out
 * sorted by target. */
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

/* Kahn over targets with the successor rows and in-degrees counted into
 * rank; rank[g] = position. Returns the count ordered. */
static uint32_t order_targets(const jf_plan *plan, uint32_t *rank, uint32_t *queue)
{
    uint32_t nt = plan->n_targets, head = 0, tail = 0;
    memset(rank, 0, (size_t)nt * sizeof *rank);
    for (uint64_t e = 0; e < plan->n_edges; e++)
        rank[plan->succ[e]]++;
    for (uint32_t g = 0; g < nt; g++)
        if (rank[g] == 0)
            queue[tail++] = g;
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

/* Members and target graph from target_of; as fill_succ. */
static int fill_graph(jf_plan *plan)
{
    bucket_members(plan);
    if (plan->n_targets == plan->job->n_tasks)
        return copy_graph(plan);
    int forward = fill_succ(plan);
    if (forward >= 0)
        fill_pred(plan);
    return forward;
}

/* The first numbering was not topological: renumber the targets in a
 * topological order and fill the rows again. */
static jf_status renumber(jf_plan *plan)
{
    size_t nt = plan->n_targets;
    uint32_t *rank = jf__malloc((nt + 1) * sizeof *rank);
    uint32_t *queue = jf__malloc((nt + 1) * sizeof *queue);
    jf_status st = JF_OK;
    if (!rank || !queue)
        st = plan_fail(plan, JF_ENOMEM, "out of memory");
    else if (order_targets(plan, rank, queue) != nt)
        st = plan_fail(plan, JF_ECYCLE, "the grouping makes a cycle between targets");
    else {
        for (uint32_t t = 0; t < plan->job->n_tasks; t++)
            plan->target_of[t] = rank[plan->target_of[t]];
        if (fill_graph(plan) < 0)
            st = plan_fail(plan, JF_ENOMEM, "out of memory");
    }
    jf__free(rank);
    jf__free(queue);
    return st;
}

/* The target graph from target_of, renumbered when not topological. */
static jf_status build_graph(jf_plan *plan)
{
    int forward = fill_graph(plan);
    if (forward < 0)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    return forward ? JF_OK : renumber(plan);
}

/* Targets of one task take its demand; read in task order, the job's
 * columns stream. */
static void copy_demands(jf_plan *plan)
{
    const jf_job *job = plan->job;
    size_t nr = (size_t)job->n_res;
    for (uint32_t t = 0; t < job->n_tasks; t++)
        for (size_t r = 0; r < nr; r++)
            plan->demand[plan->target_of[t] * nr + r] = job->demand[r][t];
}

/* Resource r of target g: its members' demands folded in member order
 * (the order readers fold them in, so sums agree to the last bit), in a
 * register rather than through the plan's array. */
static double fold_demand(const jf_plan *plan, uint32_t g, int r)
{
    const double *col = plan->job->demand[r];
    const uint32_t *mem = plan->members;
    uint64_t k = plan->member_off[g], end = plan->member_off[g + 1];
    double acc = col[mem[k]];
    if (plan->job->res_rule[r] == JF_RULE_MAX)
        for (k++; k < end; k++)
            acc = JF__MAX(acc, col[mem[k]]);
    else
        for (k++; k < end; k++)
            acc += col[mem[k]];
    return acc;
}

static void aggregate_demands(jf_plan *plan)
{
    const jf_job *job = plan->job;
    int nr = job->n_res;
    if (plan->n_targets == job->n_tasks) {
        copy_demands(plan);
        return;
    }
    for (uint32_t g = 0; g < plan->n_targets; g++)
        for (int r = 0; r < nr; r++)
            plan->demand[(size_t)g * (size_t)nr + (size_t)r] = fold_demand(plan, g, r);
}

/* Demands and device slots of a plan whose members are set. */
static void finish_plan(jf_plan *plan)
{
    aggregate_demands(plan);
    for (uint32_t g = 0; g < plan->n_targets; g++)
        plan->device[g] = -1;
}

/* Graph, demands and device slots of a plan whose target_of is set. */
static jf_status build_plan(jf_plan *plan)
{
    jf_status st = build_graph(plan);
    if (st == JF_OK)
        finish_plan(plan);
    return st;
}

static jf_status give(jf_plan *plan, jf_status st, jf_plan **out)
{
    if (st != JF_OK) {
        jf_plan_destroy(plan);
        plan = NULL;
    }
    *out = plan;
    return st;
}

jf_status jf_plan_from_groups(const jf_job *job, const uint32_t *group_of, jf_plan **out)
{
    JF_ASSERT(job->validated);
    size_t n = (size_t)job->n_tasks + 1;
    uint32_t *target_of = jf__malloc(n * sizeof *target_of), *dense = jf__malloc(n * sizeof *dense);
    uint32_t nt = 0;
    jf_plan *plan = NULL;
    jf_status st = target_of && dense ? number_groups(job, group_of, target_of, dense, &nt)
                                      : JF_ENOMEM;
    if (st == JF_OK)
        st = plan_alloc(job, nt, 0, &plan);
    if (st == JF_OK) {
        memcpy(plan->target_of, target_of, (size_t)job->n_tasks * sizeof *target_of);
        st = build_plan(plan);
    }
    jf__free(target_of);
    jf__free(dense);
    return give(plan, st, out);
}

jf_status jf__plan_alloc(const jf_job *job, uint32_t n_targets, jf_plan **out)
{
    JF_ASSERT(job->validated);
    jf_plan *plan;
    jf_status st = plan_alloc(job, n_targets, 0, &plan);
    return give(plan, st, out);
}

jf_status jf__plan_build(jf_plan *plan)
{
    return build_plan(plan);
}

/* Every task alone in the tasks' own order, which is topological: the
 * target graph is the job's graph, so the plan points at the job's arrays
 * (the job outlives its plans and is read-only once validated). */
static jf_status share_identity(const jf_job *job, jf_plan **out)
{
    jf_status st = plan_alloc(job, job->n_tasks, 1, out);
    if (st != JF_OK)
        return st;
    jf_plan *plan = *out;
    plan->target_of = plan->members = job->topo; /* both the identity */
    plan->succ_off = job->out_off;
    plan->succ = job->out_task;
    plan->succ_bytes = job->out_bytes;
    plan->pred_off = job->in_off; /* rows sorted by task, as fill_pred sorts them */
    plan->pred = job->in_task;
    plan->pred_bytes = job->in_bytes;
    plan->n_edges = job->n_edges;
    for (uint32_t g = 0; g <= plan->n_targets; g++)
        plan->member_off[g] = g;
    finish_plan(plan);
    return JF_OK;
}

jf_status jf_plan_identity(const jf_job *job, jf_plan **out)
{
    JF_ASSERT(job->validated);
    if (job->topo_is_index) {
        jf_status st = share_identity(job, out);
        return give(*out, st, out);
    }
    jf_status st = jf__plan_alloc(job, job->n_tasks, out);
    if (st != JF_OK)
        return st;
    for (uint32_t i = 0; i < job->n_tasks; i++) /* numbered by topological position */
        (*out)->target_of[job->topo[i]] = i;
    st = jf__plan_build(*out);
    return give(*out, st, out);
}

void jf_plan_destroy(jf_plan *plan)
{
    if (!plan)
        return;
    jf__free(plan->block);
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
