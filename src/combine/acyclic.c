/* Keeping the group graph acyclic. Every group has a topological position
 * `ord`. Merging a -> b is safe without search when a's only successor
 * group is b or b's only predecessor group is a. Otherwise a search bounded
 * by the positions of a and b (Pearce and Kelly's dynamic topological
 * order) proves there is no other path from a to b and moves the groups in
 * between so the merged group has a valid position. */
#include <stdlib.h>

#include "combine/combine_impl.h"

/* Edges a search may scan before the merge is refused (as a cycle), so a
 * single check never costs more than a constant. */
#define BUDGET 65536u

typedef struct {
    uint32_t to_other, to_peer; /* edges to other groups / to the peer group */
} edge_count;

/* Count a group's edges (out when forward, else in) by the group at their
 * other end. Returns -1 when the budget runs out. */
static int count_edges(jf__combiner *c, uint32_t g, uint32_t peer, int forward, edge_count *n)
{
    const jf_job *job = c->job;
    const uint64_t *off = forward ? job->out_off : job->in_off;
    const uint32_t *adj = forward ? job->out_task : job->in_task;
    uint64_t scanned = 0;
    n->to_other = n->to_peer = 0;
    for (uint32_t m = c->head[g]; m != UINT32_MAX; m = c->next[m]) {
        scanned += off[m + 1] - off[m];
        if (scanned > BUDGET)
            return -1;
        for (uint64_t e = off[m]; e < off[m + 1]; e++) {
            uint32_t h = jf__cb_find(c, adj[e]);
            n->to_peer += h == peer;
            n->to_other += h != peer && h != g;
        }
        if (m == c->tail[g])
            break;
    }
    return 0;
}

static int ensure_search_space(jf__combiner *c)
{
    if (c->mark)
        return 0;
    size_t n = (size_t)c->job->n_tasks + 1;
    c->mark = jf__calloc(n, sizeof *c->mark);
    c->stack = jf__malloc((BUDGET + 2) * sizeof *c->stack);
    c->found_fwd = jf__malloc((BUDGET + 2) * sizeof *c->found_fwd);
    c->found_bwd = jf__malloc((BUDGET + 2) * sizeof *c->found_bwd);
    c->slots = jf__malloc((2 * BUDGET + 4) * sizeof *c->slots);
    c->keys = jf__malloc((2 * BUDGET + 4) * sizeof *c->keys);
    return c->mark && c->stack && c->found_fwd && c->found_bwd && c->slots && c->keys ? 0 : -1;
}

/* Groups reachable from `from` (forward) or reaching it (backward) whose
 * position lies strictly inside the window. Returns 1 when `avoid` is
 * reached other than directly from `from` (a second path: a cycle), -1 when
 * the budget runs out, else 0 with the groups in found[0..*n_found). */
static int search(jf__combiner *c, uint32_t from, uint32_t avoid, int forward, uint32_t lo,
                  uint32_t hi, uint32_t *found, uint32_t *n_found)
{
    const jf_job *job = c->job;
    const uint64_t *off = forward ? job->out_off : job->in_off;
    const uint32_t *adj = forward ? job->out_task : job->in_task;
    uint32_t stamp = ++c->stamp, top = 0, scanned = 0;
    *n_found = 0;
    c->stack[top++] = from;
    c->mark[from] = stamp;
    while (top > 0) {
        uint32_t x = c->stack[--top];
        for (uint32_t m = c->head[x];; m = c->next[m]) {
            if ((scanned += (uint32_t)(off[m + 1] - off[m])) > BUDGET)
                return -1;
            for (uint64_t e = off[m]; e < off[m + 1]; e++) {
                uint32_t y = jf__cb_find(c, adj[e]);
                if (y == avoid && x != from)
                    return 1;
                if (y == x || y == avoid || c->mark[y] == stamp || c->ord[y] <= lo ||
                    c->ord[y] >= hi)
                    continue;
                c->mark[y] = stamp;
                c->stack[top++] = y;
                found[(*n_found)++] = y;
            }
            if (m == c->tail[x])
                break;
        }
    }
    return 0;
}

static int by_ord(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Sort groups by position, as (ord << 32 | group) keys in place of slots. */
static void sort_by_ord(jf__combiner *c, uint32_t *groups, uint32_t n, uint64_t *keys)
{
    for (uint32_t i = 0; i < n; i++)
        keys[i] = (uint64_t)c->ord[groups[i]] << 32 | groups[i];
    qsort(keys, n, sizeof *keys, by_ord);
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
    qsort(keys, total, sizeof *keys, by_ord);
    for (uint32_t i = 0; i < total; i++)
        c->slots[i] = (uint32_t)keys[i];
    sort_by_ord(c, c->found_bwd, nb, keys);
    sort_by_ord(c, c->found_fwd, nf, keys);
    for (uint32_t i = 0; i < nb; i++)
        c->ord[c->found_bwd[i]] = c->slots[i];
    for (uint32_t i = 0; i < nf; i++) /* top-aligned: these only move up */
        c->ord[c->found_fwd[i]] = c->slots[nb + 2 + i];
    return c->slots[nb];
}

/* The general case: search both ways inside the window (ord a, ord b). */
static int searched_merge(jf__combiner *c, uint32_t a, uint32_t b, uint32_t *ord)
{
    uint32_t lo = c->ord[a], hi = c->ord[b];
    JF_ASSERT(lo < hi);
    if (ensure_search_space(c) != 0)
        return 0;
    if (search(c, a, b, 1, lo, hi, c->found_fwd, &c->n_fwd) != 0)
        return 0;
    if (search(c, b, a, 0, lo, hi, c->found_bwd, &c->n_bwd) != 0)
        return 0;
    *ord = reorder(c, a, b);
    return 1;
}

int jf__cb_acyclic(jf__combiner *c, uint32_t a, uint32_t b, uint32_t *ord, uint32_t *edges_ab)
{
    if (c->ext_out[a] == 1 || c->ext_in[b] == 1) { /* the edge u -> v is the only one */
        *edges_ab = 1;
        *ord = c->ext_out[a] == 1 ? c->ord[b] : c->ord[a];
        return 1;
    }
    edge_count out, in;
    if (count_edges(c, a, b, 1, &out) != 0)
        return 0;
    *edges_ab = out.to_peer;
    if (out.to_other == 0) { /* b is a's only successor group */
        *ord = c->ord[b];
        return 1;
    }
    if (count_edges(c, b, a, 0, &in) != 0)
        return 0;
    if (in.to_other == 0) { /* a is b's only predecessor group */
        *ord = c->ord[a];
        return 1;
    }
    return searched_merge(c, a, b, ord);
}
