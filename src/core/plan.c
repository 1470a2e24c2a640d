/* Building a plan from a grouping of tasks: members in execution order,
 * the second dependency relationship, target demands by rule. */
#include <math.h>
#include <sys/mman.h>

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

/* A plan of a million tasks faults in some 150 MB: one fault per 2 MiB
 * instead of per 4 KiB takes a third off its making (see plan_impl.h). */
void jf__advise_huge(void *block, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t huge = (uintptr_t)2 << 20, lo = ((uintptr_t)block + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)block + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)block;
    (void)bytes;
#endif
}

/* One block holds every array whose size the job and the target count
 * fix: one allocation instead of eleven, and the untouched tail of the
 * edge arrays (sized for the job's edges) costs no page faults. A plan
 * that shares the job's arrays (share_job) holds only what is its own:
 * member offsets, demands (unless a single column, shared too) and devices. */
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
    size_t dem = share_job && nr == 1 ? 0 : nt * nr; /* one column is shared as it is */
    size_t bytes = (nt + 1 + offs + 2 * m + dem) * 8 + (2 * n + 2 * m + nt) * 4;
    char *at = plan->block = jf__malloc(bytes);
    if (!at)
        return plan_fail(plan, JF_ENOMEM, "out of memory");
    jf__advise_huge(at, bytes);
    plan->member_off = carve(&at, (nt + 1) * 8); /* 8-byte elements first */
    plan->succ_off = carve(&at, offs / 2 * 8);
    plan->pred_off = carve(&at, offs / 2 * 8);
    plan->succ_bytes = carve(&at, m * 8);
    plan->pred_bytes = carve(&at, m * 8);
    plan->demand = carve(&at, dem * 8);
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

/* One direction of a graph in CSR: row offsets, neighbours, bytes. */
typedef struct {
    uint64_t *off;
    uint32_t *node;
    uint64_t *bytes;
} csr;

/* Rows longer than this find repeats through a mark per target instead
 * of scanning the row: short rows (nearly all) stay in a cache line. */
#define SCAN_MAX 32

/* Making one direction of the target graph (successors from the job's
 * out rows, predecessors from its in rows). A target of one task whose
 * neighbours are all targets of one task has its task's row, mapped:
 * distinct tasks lie in distinct targets, so nothing merges, and these
 * rows are copied in task order, so the job's arrays stream through the
 * cache and only the writes jump. The other targets ("gathered": several
 * members, or a neighbour that has) are gathered first into `side`, with
 * repeats merged, since their lengths are not known before. */
typedef struct {
    jf_plan *plan;
    csr from, back, to; /* back: the job's rows in the other direction */
    uint64_t *gathered; /* bitmap over targets; NULL when every target is one task */
    uint32_t *list;     /* the gathered targets, in order */
    uint32_t n_list;
    csr side;           /* their rows; side.off has n_list + 1 entries */
    uint32_t *mark;     /* target -> the gathered row that holds it, or UINT32_MAX */
    uint64_t *slot;     /* target -> its place in that row */
    int failed;
} dir_build;

static int bit(const uint64_t *bits, uint32_t i)
{
    return bits && (bits[i >> 6] >> (i & 63)) & 1;
}

static void set_bit(uint64_t *bits, uint32_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static uint64_t member_count(const jf_plan *plan, uint32_t g)
{
    return plan->member_off[g + 1] - plan->member_off[g];
}

/* Whether at least half the tasks merged away: then rows are gathered
 * target by target, else most are copied from the tasks' own. */
static int mostly_merged(const jf_plan *plan)
{
    return (uint64_t)plan->n_targets * 2 <= plan->job->n_tasks;
}

/* Mark the targets of several members, and the single tasks next to them
 * on the `from` side (found through the members' `back` rows). */
static void mark_gathered(dir_build *b)
{
    const jf_plan *plan = b->plan;
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        if (member_count(plan, g) < 2)
            continue;
        set_bit(b->gathered, g);
        for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++)
            for (uint64_t e = b->back.off[plan->members[k]]; e < b->back.off[plan->members[k] + 1];
                 e++)
                set_bit(b->gathered, plan->target_of[b->back.node[e]]);
    }
}

/* The list of gathered targets and room for their rows (at most their
 * members' edges). 0, or -1 when out of memory. */
static int alloc_side(dir_build *b)
{
    const jf_plan *plan = b->plan;
    uint32_t nt = plan->n_targets;
    uint64_t room = 0;
    b->n_list = 0;
    for (uint32_t g = 0; g < nt; g++)
        b->n_list += bit(b->gathered, g);
    b->list = jf__malloc(((size_t)b->n_list + 1) * sizeof *b->list);
    b->side.off = jf__malloc(((size_t)b->n_list + 1) * sizeof *b->side.off);
    if (!b->list || !b->side.off)
        return -1;
    for (uint32_t g = 0, i = 0; g < nt; g++) {
        if (!bit(b->gathered, g))
            continue;
        b->list[i++] = g;
        for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++)
            room += b->from.off[plan->members[k] + 1] - b->from.off[plan->members[k]];
    }
    b->side.node = jf__malloc((size_t)(room + 1) * sizeof *b->side.node);
    b->side.bytes = jf__malloc((size_t)(room + 1) * sizeof *b->side.bytes);
    return b->side.node && b->side.bytes ? 0 : -1;
}

/* The marks, made on the first long row; 0 when out of memory (then rows
 * are scanned, and the build fails at its end). */
static int marks_ready(dir_build *b)
{
    uint32_t nt = b->plan->n_targets;
    if (b->mark || b->failed)
        return !b->failed;
    b->mark = jf__malloc(((size_t)nt + 1) * sizeof *b->mark);
    b->slot = jf__malloc(((size_t)nt + 1) * sizeof *b->slot);
    if (!b->mark || !b->slot) {
        b->failed = 1;
        return 0;
    }
    for (uint32_t g = 0; g < nt; g++)
        b->mark[g] = UINT32_MAX;
    return 1;
}

/* Place of target h in the row of g (entries start..*m of `rows`), added
 * when new. A row that grows long gets marks. */
static uint64_t row_slot(dir_build *b, csr *rows, uint32_t g, uint64_t start, uint64_t *m,
                         uint32_t h)
{
    uint32_t *node = rows->node;
    if (*m - start <= SCAN_MAX || !marks_ready(b)) {
        for (uint64_t k = start; k < *m; k++)
            if (node[k] == h)
                return k;
    } else {
        if (b->mark[node[start]] != g) /* the row has just grown long */
            for (uint64_t k = start; k < *m; k++) {
                b->mark[node[k]] = g;
                b->slot[node[k]] = k;
            }
        if (b->mark[h] == g)
            return b->slot[h];
        b->mark[h] = g;
        b->slot[h] = *m;
    }
    node[*m] = h;
    rows->bytes[*m] = 0;
    return (*m)++;
}

/* Row of target g into `rows` from entry m: distinct targets, bytes
 * summed, in the order the members' own rows meet them. */
static uint64_t gather_row(dir_build *b, csr *rows, uint32_t g, uint64_t m)
{
    const jf_plan *plan = b->plan;
    uint64_t start = m;
    for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++) {
        uint32_t t = plan->members[k];
        for (uint64_t e = b->from.off[t]; e < b->from.off[t + 1]; e++) {
            uint32_t h = plan->target_of[b->from.node[e]];
            if (h == g)
                continue;
            uint64_t s = row_slot(b, rows, g, start, &m, h);
            rows->bytes[s] = jf__bytes_add(rows->bytes[s], b->from.bytes[e]);
        }
    }
    return m;
}

/* Every row gathered in target order straight into place: the way when
 * most tasks are merged and rows are few. As place_rows. */
static int gather_all(dir_build *b)
{
    uint32_t nt = b->plan->n_targets;
    uint64_t m = 0;
    int forward = 1;
    for (uint32_t g = 0; g < nt; g++) {
        uint64_t start = m;
        b->to.off[g] = m;
        m = gather_row(b, &b->to, g, m);
        for (uint64_t k = start; k < m; k++)
            forward &= b->to.node[k] > g;
    }
    b->to.off[nt] = m;
    return b->failed ? -1 : forward;
}

/* Row offsets: a copied row is as long as its task's. */
static void make_offsets(dir_build *b)
{
    const jf_plan *plan = b->plan;
    uint32_t nt = plan->n_targets;
    b->to.off[0] = 0;
    for (uint32_t t = 0; t < plan->job->n_tasks; t++) {
        uint32_t g = plan->target_of[t];
        if (!bit(b->gathered, g))
            b->to.off[g + 1] = b->from.off[t + 1] - b->from.off[t];
    }
    for (uint32_t i = 0; i < b->n_list; i++)
        b->to.off[b->list[i] + 1] = b->side.off[i + 1] - b->side.off[i];
    for (uint32_t g = 0; g < nt; g++)
        b->to.off[g + 1] += b->to.off[g];
}

/* How many tasks ahead place_rows asks for the places it will write: a
 * copied row lands at a random place, at a million tasks a cache miss
 * each; asked for early, the misses overlap instead of queueing (random
 * 1e6: 110 -> 85 ms). The row offset is asked for further ahead still. */
#define AHEAD 16

/* Copy the rows into place; 1 when every edge runs from a lower target
 * number to a higher one. */
static int place_rows(dir_build *b)
{
    const uint32_t *tof = b->plan->target_of;
    csr from = b->from, to = b->to; /* locals: the stores below cannot move them */
    uint32_t n = b->plan->job->n_tasks;
    int forward = 1;
    for (uint32_t t = 0; t < n; t++) {
        uint32_t g = tof[t];
        if (t + 4 * AHEAD < n)
            __builtin_prefetch(&to.off[tof[t + 4 * AHEAD]]);
        if (t + AHEAD < n) {
            uint64_t ahead = to.off[tof[t + AHEAD]];
            __builtin_prefetch(&to.node[ahead], 1);
            __builtin_prefetch(&to.bytes[ahead], 1);
        }
        if (bit(b->gathered, g))
            continue;
        for (uint64_t e = from.off[t], s = to.off[g]; e < from.off[t + 1]; e++, s++) {
            uint32_t h = tof[from.node[e]];
            to.node[s] = h;
            to.bytes[s] = from.bytes[e];
            forward &= h > g;
        }
    }
    for (uint32_t i = 0; i < b->n_list; i++) {
        uint32_t g = b->list[i];
        for (uint64_t e = b->side.off[i], s = b->to.off[g]; e < b->side.off[i + 1]; e++, s++) {
            b->to.node[s] = b->side.node[e];
            b->to.bytes[s] = b->side.bytes[e];
            forward &= b->to.node[s] > g;
        }
    }
    return forward;
}

/* The gathered rows, when there are any; 0 or -1 (out of memory). */
static int gather_rows(dir_build *b)
{
    uint32_t nt = b->plan->n_targets;
    if (nt == b->plan->job->n_tasks)
        return 0; /* every target one task: nothing to gather */
    b->gathered = jf__calloc(((size_t)nt + 63) / 64 + 1, sizeof *b->gathered);
    if (!b->gathered)
        return -1;
    mark_gathered(b);
    if (alloc_side(b) != 0)
        return -1;
    uint64_t m = 0;
    b->side.off[0] = 0;
    for (uint32_t i = 0; i < b->n_list; i++)
        b->side.off[i + 1] = m = gather_row(b, &b->side, b->list[i], m);
    return b->failed ? -1 : 0;
}

/* One direction of the target graph; 1 when every row points forward, 0
 * when not, -1 when out of memory. When at least half the tasks merged,
 * every row is gathered; otherwise most are copied. */
static int build_direction(jf_plan *plan, csr from, csr back, csr to)
{
    dir_build b = {.plan = plan, .from = from, .back = back, .to = to};
    int forward = -1;
    if (mostly_merged(plan))
        forward = gather_all(&b);
    else if (gather_rows(&b) == 0) {
        make_offsets(&b);
        forward = place_rows(&b);
    }
    void *scratch[] = {b.gathered, b.list, b.side.off, b.side.node, b.side.bytes, b.mark, b.slot};
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++)
        jf__free(scratch[i]);
    return forward;
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

/* Predecessor rows by transposing the successor rows (each row comes out
 * sorted by target): cheap when merging left few edges. */
static void transpose_succ(jf_plan *plan)
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

/* Members and target graph from target_of; 1 when the numbering is
 * topological, 0 when not, -1 when out of memory. */
static int fill_graph(jf_plan *plan)
{
    const jf_job *job = plan->job;
    csr out = {job->out_off, job->out_task, job->out_bytes};
    csr in = {job->in_off, job->in_task, job->in_bytes};
    bucket_members(plan);
    int forward = build_direction(plan, out, in, (csr){plan->succ_off, plan->succ, plan->succ_bytes});
    plan->n_edges = plan->succ_off[plan->n_targets];
    if (forward >= 0 && mostly_merged(plan))
        transpose_succ(plan);
    else if (forward >= 0 &&
             build_direction(plan, in, out, (csr){plan->pred_off, plan->pred, plan->pred_bytes}) < 0)
        forward = -1;
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

/* Every task's demand into its target's row, in task order so that the
 * job's columns stream; right for the targets of one task. A row is
 * written whole, one cache line, and asked for ahead (as in place_rows). */
static void copy_demands(jf_plan *plan)
{
    const jf_job *job = plan->job;
    double *const *col = job->demand;
    const uint32_t *tof = plan->target_of;
    size_t nr = (size_t)job->n_res;
    uint32_t n = job->n_tasks;
    for (uint32_t t = 0; t < n; t++) {
        if (t + AHEAD < n)
            __builtin_prefetch(plan->demand + (size_t)tof[t + AHEAD] * nr, 1);
        double *row = plan->demand + (size_t)tof[t] * nr;
        for (size_t r = 0; r < nr; r++)
            row[r] = col[r][t];
    }
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
    int nr = plan->job->n_res, merged = mostly_merged(plan);
    if (!merged)
        copy_demands(plan);
    if (plan->n_targets == plan->job->n_tasks)
        return;
    for (uint32_t g = 0; g < plan->n_targets; g++)
        if (merged || member_count(plan, g) > 1)
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
    plan->pred_off = job->in_off; /* rows as place_rows copies them */
    plan->pred = job->in_task;
    plan->pred_bytes = job->in_bytes;
    plan->n_edges = job->n_edges;
    for (uint32_t g = 0; g <= plan->n_targets; g++)
        plan->member_off[g] = g;
    if (job->n_res == 1) { /* one target per task, in task order: the column is the rows */
        plan->demand = job->demand[0];
        for (uint32_t g = 0; g < plan->n_targets; g++)
            plan->device[g] = -1;
    } else {
        finish_plan(plan);
    }
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
    jf__free(plan->source_onnx_json);
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

jf_status jf_plan_set_source_onnx(jf_plan *plan, const char *json_object)
{
    return replace_string(&plan->source_onnx_json, json_object);
}
