/* Where activations and scratch live: offsets in one arena, planned before
 * the first run so that running allocates nothing.
 *
 * Operators may run in parallel, in any order the plan allows, so two
 * buffers may share memory only when one is entirely done before the other
 * is first written in EVERY such order: B may take A's memory when B's
 * producer is ordered, by the plan's target edges and the order of members
 * within a target, after every reader of A (after A's producer when nothing
 * reads A). Ancestor bitsets over the tasks answer that; graph inputs
 * (filled before the run) and outputs (read after it) never give their
 * memory away.
 *
 * Offsets are assigned greedily, largest buffer first, each at the lowest
 * offset where it overlaps no buffer it conflicts with — near-optimal on
 * real networks and simple to check. */
#include "onnx/session_impl.h"

#define SX_ALIGN 64
static uint64_t align_up(uint64_t x) { return (x + SX_ALIGN - 1) & ~(uint64_t)(SX_ALIGN - 1); }

typedef struct {
    uint64_t size, offset;
    int32_t producer;     /* op; -1 for graph inputs */
    int pinned;           /* a graph input or output: lives the whole run */
    uint32_t ends_at;     /* its end set: ends[ends_at .. ends_at+n_ends) */
    uint32_t n_ends;
    int32_t value;        /* tensor, or -1 for an op's scratch */
    uint32_t scratch_op;
} mp_item;

typedef struct {
    jf_onnx_session *s;
    uint64_t *anc;        /* anc[task * words + w]: tasks every run finishes before task */
    size_t words;
    mp_item *items;
    size_t n_items;
    uint32_t *ends;       /* readers (or producer) per item */
    size_t n_ends;
    int32_t *item_of;     /* item of each root value, -1 */
} mp;

static int has(const uint64_t *row, uint32_t bit)
{
    return row[bit / 64] >> (bit % 64) & 1;
}

static void set(uint64_t *row, uint32_t bit)
{
    row[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* Every task of op a is done before any task of op b starts. */
static int before(const mp *p, uint32_t a, int32_t b)
{
    if (b < 0)
        return 0;
    const sx_op *oa = &p->s->ops[a], *ob = &p->s->ops[b];
    for (int64_t j = 0; j < ob->n_slices; j++) {
        const uint64_t *row = &p->anc[(ob->first_task + (size_t)j) * p->words];
        for (int64_t i = 0; i < oa->n_slices; i++)
            if (!has(row, oa->first_task + (uint32_t)i))
                return 0;
    }
    return 1;
}

/* What the executor guarantees: a target starts after every member of its
 * predecessor targets (and of theirs) is done; members run in their
 * order. Targets are numbered in a topological order: one forward pass.
 * The plan's edges include the job's, so this is at least as strong. */
static int ancestors(mp *p)
{
    const jf_plan *plan = p->s->plan;
    size_t n_tasks = p->s->n_tasks, n_targets = jf_plan_target_count(plan);
    p->words = (n_tasks + 63) / 64;
    p->anc = jf__calloc(n_tasks * p->words + 1, sizeof *p->anc);
    uint64_t *tanc = jf__calloc(n_targets * p->words + 1, sizeof *tanc);
    if (!p->anc || !tanc)
        return jf__free(tanc), -1;
    for (uint32_t g = 0; g < n_targets; g++) {
        const uint32_t *pred, *members;
        const uint64_t *bytes;
        uint64_t *row = &tanc[g * p->words];
        uint32_t n = jf_plan_target_pred(plan, g, &pred, &bytes);
        for (uint32_t k = 0; k < n; k++) {
            JF_ASSERT(pred[k] < g);
            for (size_t w = 0; w < p->words; w++)
                row[w] |= tanc[pred[k] * p->words + w];
            uint32_t count = jf_plan_target_members(plan, pred[k], &members);
            for (uint32_t m = 0; m < count; m++)
                set(row, members[m]);
        }
        uint32_t count = jf_plan_target_members(plan, g, &members);
        for (uint32_t m = 0; m < count; m++) {
            uint64_t *mine = &p->anc[members[m] * p->words];
            memcpy(mine, row, p->words * sizeof *row);
            for (uint32_t e = 0; e < m; e++)
                set(mine, members[e]);
        }
    }
    jf__free(tanc);
    return 0;
}

static int is_root(const jf_onnx_session *s, size_t t)
{
    const sx_value *x = &s->vals[t];
    return (x->kind == SX_ACTIVATION || x->kind == SX_INPUT) && x->alias == (int32_t)t;
}

static mp_item *add_item(mp *p, uint64_t size, int32_t producer)
{
    mp_item *it = &p->items[p->n_items++];
    memset(it, 0, sizeof *it);
    it->size = align_up(size ? size : 1);
    it->producer = producer;
    it->value = -1;
    return it;
}

/* One item per root value and per op with scratch; inputs and outputs
 * pinned. */
static int make_items(mp *p)
{
    jf_onnx_session *s = p->s;
    const jf_onnx_model *m = s->m;
    p->items = jf__calloc(m->n_tensors + s->n_ops + 1, sizeof *p->items);
    p->item_of = jf__malloc((m->n_tensors + 1) * sizeof *p->item_of);
    if (!p->items || !p->item_of)
        return -1;
    for (size_t t = 0; t < m->n_tensors; t++) {
        p->item_of[t] = -1;
        if (!is_root(s, t))
            continue;
        p->item_of[t] = (int32_t)p->n_items;
        mp_item *it = add_item(p, s->vals[t].bytes, s->vals[t].op);
        it->value = (int32_t)t;
        it->pinned = s->vals[t].kind == SX_INPUT;
    }
    for (size_t i = 0; i < m->n_graph_outputs; i++) {
        int32_t r = p->item_of[sx_resolve(s, m->graph_outputs[i])];
        if (r >= 0)
            p->items[r].pinned = 1;
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        const sx_op *op = &s->ops[i];
        if (!op->scratch || op->fused_into >= 0)
            continue;
        mp_item *it = add_item(p, (uint64_t)op->n_slices * align_up(op->scratch), (int32_t)i);
        it->scratch_op = (uint32_t)i;
    }
    return 0;
}

/* End sets: the ops reading each value (its producer when none does; an
 * op's scratch ends with the op). */
static int make_ends(mp *p)
{
    jf_onnx_session *s = p->s;
    size_t total = p->n_items;
    for (size_t i = 0; i < s->n_ops; i++)
        total += (size_t)s->m->nodes[s->ops[i].node].n_in;
    uint32_t *count = jf__calloc(p->n_items + 1, sizeof *count);
    p->ends = jf__malloc((total + 1) * sizeof *p->ends);
    if (!count || !p->ends)
        return jf__free(count), -1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_ops; i++) {
            const ox_node *n = &s->m->nodes[s->ops[i].node];
            for (int k = 0; k < n->n_in && !s->ops[i].folded; k++) { /* folded: reads nothing */
                int32_t it = n->in[k] < 0 ? -1 : p->item_of[sx_resolve(s, n->in[k])];
                if (it >= 0 && pass == 0)
                    p->items[it].n_ends++;
                else if (it >= 0)
                    p->ends[p->items[it].ends_at + count[it]++] = (uint32_t)i;
            }
        }
        for (size_t it = 0; pass == 0 && it < p->n_items; it++) {
            mp_item *x = &p->items[it];
            x->ends_at = (uint32_t)p->n_ends;
            if (x->n_ends == 0 && x->producer >= 0) { /* unread, or scratch */
                x->n_ends = 1;
                count[it] = 1;
                p->ends[x->ends_at] = (uint32_t)x->producer;
            }
            p->n_ends += x->n_ends;
        }
    }
    jf__free(count);
    return 0;
}

/* b's producer starts only after every end of a, in every run. */
static int after(const mp *p, const mp_item *b, const mp_item *a)
{
    if (a->pinned || b->producer < 0) /* a lives on, or b is an input */
        return 0;
    for (uint32_t e = 0; e < a->n_ends; e++)
        if (!before(p, p->ends[a->ends_at + e], b->producer))
            return 0;
    return 1;
}

static int conflict(const mp *p, const mp_item *a, const mp_item *b)
{
    return !after(p, a, b) && !after(p, b, a);
}

typedef struct {
    uint64_t lo, hi;
} span;

static int by_lo(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Lowest offset where it overlaps none of the placed items it conflicts
 * with. */
static uint64_t place(const mp *p, const mp_item *it, const uint32_t *placed, size_t n_placed,
                      span *spans)
{
    size_t n = 0;
    for (size_t k = 0; k < n_placed; k++) {
        const mp_item *o = &p->items[placed[k]];
        if (conflict(p, it, o))
            spans[n++] = (span){o->offset, o->offset + o->size};
    }
    qsort(spans, n, sizeof *spans, by_lo);
    uint64_t at = 0;
    for (size_t k = 0; k < n; k++) {
        if (spans[k].lo >= at + it->size)
            break;
        at = JF__MAX(at, spans[k].hi);
    }
    return at;
}

typedef struct {
    int pinned;
    uint64_t size;
    uint32_t item;
} size_key;

static int by_size(const void *a, const void *b)
{
    const size_key *x = a, *y = b;
    if (x->pinned != y->pinned)
        return y->pinned - x->pinned; /* inputs and outputs first */
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->item < y->item ? -1 : 1;
}

static int assign(mp *p)
{
    size_key *keys = jf__malloc((p->n_items + 1) * sizeof *keys);
    uint32_t *order = jf__malloc((p->n_items + 1) * sizeof *order);
    span *spans = jf__malloc((p->n_items + 1) * sizeof *spans);
    int rc = keys && order && spans ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < p->n_items; i++)
        keys[i] = (size_key){p->items[i].pinned, p->items[i].size, (uint32_t)i};
    if (rc == 0)
        qsort(keys, p->n_items, sizeof *keys, by_size);
    uint64_t top = 0;
    for (size_t i = 0; rc == 0 && i < p->n_items; i++) {
        order[i] = keys[i].item;
        mp_item *it = &p->items[order[i]];
        it->offset = place(p, it, order, i, spans);
        top = JF__MAX(top, it->offset + it->size);
    }
    p->s->arena_bytes = top;
    jf__free(keys);
    jf__free(order);
    jf__free(spans);
    return rc;
}

static int write_back(mp *p)
{
    jf_onnx_session *s = p->s;
    for (size_t i = 0; i < p->n_items; i++) {
        const mp_item *it = &p->items[i];
        if (it->value >= 0) {
            s->vals[it->value].offset = it->offset;
            continue;
        }
        sx_op *op = &s->ops[it->scratch_op];
        op->scratch_off = jf__malloc((size_t)op->n_slices * sizeof *op->scratch_off);
        if (!op->scratch_off)
            return -1;
        for (int64_t k = 0; k < op->n_slices; k++)
            op->scratch_off[k] = it->offset + (uint64_t)k * align_up(op->scratch);
    }
    return 0;
}

jf_status sx_memplan(jf_onnx_session *s)
{
    mp p = {0};
    p.s = s;
    int rc = ancestors(&p);
    if (rc == 0)
        rc = make_items(&p);
    if (rc == 0)
        rc = make_ends(&p);
    if (rc == 0)
        rc = assign(&p);
    if (rc == 0)
        rc = write_back(&p);
    jf__free(p.anc);
    jf__free(p.items);
    jf__free(p.ends);
    jf__free(p.item_of);
    return rc ? sx_fail(s, JF_ENOMEM, "out of memory") : JF_OK;
}
