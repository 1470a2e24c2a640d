/* The combiner's state, shared by the files of the combine stage. */
#ifndef JF_COMBINE_IMPL_H
#define JF_COMBINE_IMPL_H

#include "core/job_impl.h"
#include "jobfuse/combine.h"

enum { JF__NOT_FIRST = 0, JF__FIRST_ONLY = 1, JF__SECOND = 2 };

/* A group's neighbours: tasks (resolved to groups on use) and edge counts. */
typedef struct {
    uint32_t *node, *count;
    uint32_t len, cap;
} jf__adj;

typedef struct {
    const jf_job *job;
    int n_res;
    double *cap;       /* per resource, INFINITY when not limited */
    double *threshold; /* per resource, INFINITY when not thresholded */
    double *merged;    /* per resource: the two groups' demand, as check_limits found it */
    uint32_t max_members;
    int links_only;    /* K = 2, mode both: candidates have one edge in and out at most */
    uint8_t *group;    /* JF__NOT_FIRST, JF__FIRST_ONLY or JF__SECOND per task */
    uint8_t *reason;   /* last refusal per group root (explain only) */

    void *block;       /* holds parent, size, ord, group, reason (alloc_state) */
    void *merge_block; /* holds head ... demand, from the first merge on */

    /* per task; meaningful at group roots */
    uint32_t *parent, *size, *ord;
    /* A group of one task keeps nothing of its own: its member, outside
     * edges and demand are the task's, read from the job through the
     * functions below. These are written by the merge that makes a group
     * larger and read only while size > 1, so the pages of tasks that
     * never merge are never touched (nor faulted in), and a combine
     * without merges never allocates them. */
    uint32_t *head, *tail, *next;
    uint32_t *ext_out, *ext_in; /* original edges leaving / entering the group */
    double *demand;             /* n_tasks x n_res */
    uint32_t first_group, second_group, largest;
    uint64_t not_first_edges; /* edges out of tasks outside the first group */

    /* neighbour lists, made only for groups that need the general check */
    uint8_t *has_adj;
    jf__adj *adj_out, *adj_in;
    uint32_t *acc_mark, *acc_pos, acc_stamp;

    /* the bounded search */
    uint32_t *mark, stamp;
    uint32_t *stack, *found_fwd, *found_bwd, *slots;
    uint64_t *keys;
    uint32_t n_fwd, n_bwd;

    /* per edge: the two groups' combined size when a cycle check refused
     * them; sizes only grow, so an equal sum means neither group changed
     * and the answer stands (made on the first refusal) */
    uint32_t *refused_at;

    uint64_t refused[JF_REFUSED_COUNT];
    uint32_t merges, passes;
    int out_of_memory; /* sticky: set where an allocation failed */
} jf__combiner;

static inline uint32_t jf__cb_head(const jf__combiner *c, uint32_t g)
{
    return c->size[g] > 1 ? c->head[g] : g;
}

static inline uint32_t jf__cb_tail(const jf__combiner *c, uint32_t g)
{
    return c->size[g] > 1 ? c->tail[g] : g;
}

static inline uint32_t jf__cb_ext_out(const jf__combiner *c, uint32_t g)
{
    return c->size[g] > 1 ? c->ext_out[g] : (uint32_t)(c->job->out_off[g + 1] - c->job->out_off[g]);
}

static inline uint32_t jf__cb_ext_in(const jf__combiner *c, uint32_t g)
{
    return c->size[g] > 1 ? c->ext_in[g] : (uint32_t)(c->job->in_off[g + 1] - c->job->in_off[g]);
}

static inline double jf__cb_demand(const jf__combiner *c, uint32_t g, int r)
{
    return c->size[g] > 1 ? c->demand[(size_t)g * c->n_res + r] : c->job->demand[r][g];
}

/* The safe rule: merging a -> b over an edge is acyclic when that edge is
 * a's only way out or b's only way in; then *ord is the merged group's
 * position. Inline, as every merge of a chain asks it. */
static inline int jf__cb_safe(const jf__combiner *c, uint32_t a, uint32_t b, uint32_t *ord)
{
    if (jf__cb_ext_out(c, a) == 1) {
        *ord = c->ord[b];
        return 1;
    }
    if (jf__cb_ext_in(c, b) == 1) {
        *ord = c->ord[a];
        return 1;
    }
    return 0;
}

JF__HIDDEN jf_status jf__cb_init(jf__combiner *c, jf_job *job, const jf_combine_params *p);
JF__HIDDEN void jf__cb_free(jf__combiner *c);
JF__HIDDEN uint32_t jf__cb_find(jf__combiner *c, uint32_t task);
/* 1 when merging groups a -> b keeps the group graph acyclic; then *ord is
 * the merged group's topological position (other groups may be moved) and
 * *edges_ab the number of original edges from a to b. */
JF__HIDDEN int jf__cb_acyclic(jf__combiner *c, uint32_t a, uint32_t b, uint32_t *ord,
                              uint32_t *edges_ab);

/* JF_ECAPACITY (message on the job) when a task's demand of resource r
 * exceeds `largest`, the biggest capacity any device has. */
JF__HIDDEN jf_status jf__cb_check_fits(jf_job *job, int r, double largest);

/* The arrays a merge writes (merge_block), made before the first merge;
 * 0, or -1 with out_of_memory set. */
JF__HIDDEN int jf__cb_merge_space(jf__combiner *c);

/* Keep neighbour lists across the merge of a and b into root; 0 or -1. */
JF__HIDDEN int jf__cb_merge_adj(jf__combiner *c, uint32_t a, uint32_t b, uint32_t root);

#endif
