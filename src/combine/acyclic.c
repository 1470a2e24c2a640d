/* Keeping the group graph acyclic. Every group has a topological position
 * `ord`. Merging a -> b is safe without search when a's only successor
 * group is b or b's only predecessor group is a. Otherwise a search bounded
 * by the positions of a and b (Pearce and Kelly's dynamic topological
 * order) proves there is no other path from a to b and moves the groups in
 * between so that the merged group has a valid position.
 *
 * Groups that take part in such checks keep their neighbour lists (task,
 * edge count) in both directions, merged small into large and compacted
 * on use, so a check costs the number of distinct neighbour groups rather
 * than the number of the group's members. Chains (K = 2) never need them. */
#include <stdlib.h>

#include "combine/combine_impl.h"

/* Neighbour entries a search may scan before the merge is refused (as a
 * cycle), so that a single check costs at most a constant. */
#define BUDGET 1024u

static int vec_push(jf__adj *v, uint32_t node, uint32_t count)
{
    if (v->len == v->cap) {
        size_t cap = v->cap;
        if (jf__grow((void **)&v->node, &cap, (size_t)v->len + 1, sizeof *v->node) != 0)
            return -1;
        cap = v->cap;
        if (jf__grow((void **)&v->count, &cap, (size_t)v->len + 1, sizeof *v->count) != 0)
            return -1;
        /* both arrays now hold at least cap entries */
        v->cap = (uint32_t)cap;
    }
    v->node[v->len] = node;
    v->count[v->len++] = count;
    return 0;
}

static void vec_free(jf__adj *v)
{
    jf__free(v->node);
    jf__free(v->count);
    memset(v, 0, sizeof *v);
}

/* Fill a group's neighbour lists from its members' edges. */
static int materialize(jf__combiner *c, uint32_t g)
{
    const jf_job *job = c->job;
    if (c->has_adj[g])
        return 0;
    c->has_adj[g] = 1; /* even half-filled: freed with the rest */
    for (uint32_t m = jf__cb_head(c, g);; m = c->next[m]) {
        for (uint64_t e = job->out_off[m]; e < job->out_off[m + 1]; e++)
            if (vec_push(&c->adj_out[g], job->out_task[e], 1) != 0)
                return c->out_of_memory = 1, -1;
        for (uint64_t e = job->in_off[m]; e < job->in_off[m + 1]; e++)
            if (vec_push(&c->adj_in[g], job->in_task[e], 1) != 0)
                return c->out_of_memory = 1, -1;
        if (m == jf__cb_tail(c, g))
            break;
    }
    return 0;
}

/* Resolve entries to their groups, drop the group itself, merge repeats. */
static void compact(jf__combiner *c, uint32_t g, jf__adj *v)
{
    uint32_t stamp = ++c->acc_stamp, w = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        uint32_t h = jf__cb_find(c, v->node[i]);
        if (h == g)
            continue;
        if (c->acc_mark[h] == stamp) {
            v->count[c->acc_pos[h]] += v->count[i];
            continue;
        }
        c->acc_mark[h] = stamp;
        c->acc_pos[h] = w;
        v->node[w] = h;
        v->count[w++] = v->count[i];
    }
    v->len = w;
}

static int append(jf__adj *into, const jf__adj *from)
{
    for (uint32_t i = 0; i < from->len; i++)
        if (vec_push(into, from->node[i], from->count[i]) != 0)
            return -1;
    return 0;
}

int jf__cb_merge_adj(jf__combiner *c, uint32_t a, uint32_t b, uint32_t root)
{
    if (!c->has_adj || (!c->has_adj[a] && !c->has_adj[b]))
        return 0;
    if (materialize(c, a) != 0 || materialize(c, b) != 0)
        return -1;
    uint32_t big = c->adj_out[a].len + c->adj_in[a].len >= c->adj_out[b].len + c->adj_in[b].len
                       ? a
                       : b;
    uint32_t small = big == a ? b : a;
    if (append(&c->adj_out[big], &c->adj_out[small]) != 0 ||
        append(&c->adj_in[big], &c->adj_in[small]) != 0)
        return c->out_of_memory = 1, -1;
    vec_free(&c->adj_out[small]);
    vec_free(&c->adj_in[small]);
    c->has_adj[small] = 0;
    if (big != root) {
        c->adj_out[root] = c->adj_out[big];
        c->adj_in[root] = c->adj_in[big];
        memset(&c->adj_out[big], 0, sizeof c->adj_out[big]);
        memset(&c->adj_in[big], 0, sizeof c->adj_in[big]);
        c->has_adj[big] = 0;
        c->has_adj[root] = 1;
    }
    return 0;
}

static int ensure_space(jf__combiner *c)
{
    if (c->has_adj)
        return 0;
    size_t n = (size_t)c->job->n_tasks + 1;
    c->has_adj = jf__calloc(n, 1);
    c->adj_out = jf__calloc(n, sizeof *c->adj_out);
    c->adj_in = jf__calloc(n, sizeof *c->adj_in);
    c->acc_mark = jf__calloc(n, sizeof *c->acc_mark);
    c->acc_pos = jf__malloc(n * sizeof *c->acc_pos);
    c->mark = jf__calloc(n, sizeof *c->mark);
    c->stack = jf__malloc((BUDGET + 2) * sizeof *c->stack);
    c->found_fwd = jf__malloc((BUDGET + 2) * sizeof *c->found_fwd);
    c->found_bwd = jf__malloc((BUDGET + 2) * sizeof *c->found_bwd);
    c->slots = jf__malloc((2 * BUDGET + 4) * sizeof *c->slots);
    c->keys = jf__malloc((2 * BUDGET + 4) * sizeof *c->keys);
    if (c->has_adj && c->adj_out && c->adj_in && c->acc_mark && c->acc_pos && c->mark &&
        c->stack && c->found_fwd && c->found_bwd && c->slots && c->keys)
        return 0;
    c->out_of_memory = 1;
    return -1;
}

/* The neighbour groups of g (successors when forward), compacted; a single
 * task uses the job's own edges. Returns the count and the arrays. */
static int neighbours(jf__combiner *c, uint32_t g, int forward, const uint32_t **node,
                      const uint32_t **count, uint32_t *len)
{
    if (c->size[g] == 1 && !c->has_adj[g]) {
        const jf_job *job = c->job;
        const uint64_t *off = forward ? job->out_off : job->in_off;
        *node = (forward ? job->out_task : job->in_task) + off[g];
        *count = NULL;
        *len = (uint32_t)(off[g + 1] - off[g]);
        return 0;
    }
    if (materialize(c, g) != 0)
        return -1;
    jf__adj *v = forward ? &c->adj_out[g] : &c->adj_in[g];
    compact(c, g, v);
    *node = v->node;
    *count = v->count;
    *len = v->len;
    return 0;
}

/* Groups reachable from `from` (forward) or reaching it (backward) whose
 * position lies strictly inside the window (lo, hi). Returns 1 when
 * `avoid` is reached other than directly from `from` (a second path: a
 * cycle), -1 when the budget runs out, else 0 with found[0..*n_found). */
static int search(jf__combiner *c, uint32_t from, uint32_t avoid, int forward, uint32_t lo,
                  uint32_t hi, uint32_t *found, uint32_t *n_found)
{
    uint32_t stamp = ++c->stamp, top = 0, scanned = 0;
    *n_found = 0;
    c->stack[top++] = from;
    c->mark[from] = stamp;
    while (top > 0) {
        uint32_t x = c->stack[--top], len;
        const uint32_t *node, *count;
        if (neighbours(c, x, forward, &node, &count, &len) != 0 || (scanned += len) > BUDGET)
            return -1;
        for (uint32_t i = 0; i < len; i++) {
            uint32_t y = jf__cb_find(c, node[i]);
            if (y == avoid && x != from)
                return 1;
            if (y == x || y == avoid || c->mark[y] == stamp || c->ord[y] <= lo || c->ord[y] >= hi)
                continue;
            c->mark[y] = stamp;
            c->stack[top++] = y;
            found[(*n_found)++] = y;
        }
    }
    return 0;
}

static int by_value(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Sort groups by position, through (ord << 32 | group) keys. */
static void sort_by_ord(jf__combiner *c, uint32_t *groups, uint32_t n, uint64_t *keys)
{
    for (uint32_t i = 0; i < n; i++)
        keys[i] = (uint64_t)c->ord[groups[i]] << 32 | groups[i];
    qsort(keys, n, sizeof *keys, by_value);
    for (uint32_t i = 0; i < n; i++)
        groups[i] = (uint32_t)keys[i];
}

/* Pearce-Kelly reorder: the groups that reach b go first, then the merged
 * group, then those reachable from a, in the positions they all held.
 * Returns the merged group's position. */
static uint32_t reorder(jf__combiner *c, uint32_t a, uint32_t b)
{
    uint32_t nf = c->n_fwd, nb = c->n_bwd, total = nf + nb + 2, k = 0;
    uint64_t *keys = c->keys;
    for (uint32_t i = 0; i < nb; i++)
        keys[k++] = c->ord[c->found_bwd[i]];
    for (uint32_t i = 0; i < nf; i++)
        keys[k++] = c->ord[c->found_fwd[i]];
    keys[k++] = c->ord[a];
    keys[k++] = c->ord[b];
    qsort(keys, total, sizeof *keys, by_value);
    for (uint32_t i = 0; i < total; i++)
        c->slots[i] = (uint32_t)keys[i];
    sort_by_ord(c, c->found_bwd, nb, keys);
    sort_by_ord(c, c->found_fwd, nf, keys);
    for (uint32_t i = 0; i < nb; i++) /* these only move down */
        c->ord[c->found_bwd[i]] = c->slots[i];
    for (uint32_t i = 0; i < nf; i++) /* top-aligned: these only move up */
        c->ord[c->found_fwd[i]] = c->slots[nb + 2 + i];
    return c->slots[nb];
}

/* Edges of group g (out when forward) to `peer` and to any other group. */
static int count_edges(jf__combiner *c, uint32_t g, uint32_t peer, int forward, uint32_t *to_peer,
                       uint32_t *to_other)
{
    const uint32_t *node, *count;
    uint32_t len;
    if (neighbours(c, g, forward, &node, &count, &len) != 0)
        return -1;
    *to_peer = *to_other = 0;
    for (uint32_t i = 0; i < len; i++) {
        uint32_t h = jf__cb_find(c, node[i]), n = count ? count[i] : 1;
        *to_peer += h == peer ? n : 0;
        *to_other += h != peer && h != g;
    }
    return 0;
}

int jf__cb_acyclic(jf__combiner *c, uint32_t a, uint32_t b, uint32_t *ord, uint32_t *edges_ab)
{
    if (jf__cb_safe(c, a, b, ord)) { /* the edge u -> v is the only one */
        *edges_ab = 1;
        return 1;
    }
    uint32_t other_out, other_in, dummy;
    if (ensure_space(c) != 0 || count_edges(c, a, b, 1, edges_ab, &other_out) != 0)
        return 0;
    if (other_out == 0) { /* b is a's only successor group */
        *ord = c->ord[b];
        return 1;
    }
    if (count_edges(c, b, a, 0, &dummy, &other_in) != 0)
        return 0;
    if (other_in == 0) { /* a is b's only predecessor group */
        *ord = c->ord[a];
        return 1;
    }
    JF_ASSERT(c->ord[a] < c->ord[b]);
    if (search(c, a, b, 1, c->ord[a], c->ord[b], c->found_fwd, &c->n_fwd) != 0 ||
        search(c, b, a, 0, c->ord[a], c->ord[b], c->found_bwd, &c->n_bwd) != 0)
        return 0;
    *ord = reorder(c, a, b);
    return 1;
}
