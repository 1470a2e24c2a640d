/* The plan's layout, shared by the stages that fill or read it. */
#ifndef JF_PLAN_IMPL_H
#define JF_PLAN_IMPL_H

#include "core/job_impl.h"
#include "jobfuse/plan.h"

struct jf_plan {
    const jf_job *job;
    char errmsg[JF__ERRMSG];
    void *block;                  /* holds the arrays below, up to device */
    uint32_t n_targets;
    uint32_t *target_of;          /* per task */
    uint64_t *member_off;         /* n_targets + 1 */
    uint32_t *members;            /* tasks, grouped by target, in execution order */
    uint64_t n_edges;
    uint64_t *succ_off, *pred_off; /* n_targets + 1 */
    uint32_t *succ, *pred;
    uint64_t *succ_bytes, *pred_bytes;
    double *demand;               /* n_targets x job->n_res, row-major */
    int *device;                  /* -1 when not placed */
    char **notes;                 /* NULL until a note is set */
    char *source_path, *source_sha256, *options_json;
    char *source_onnx_json;       /* how a model source was imported, or NULL */
};

/* A plan of n_targets targets, empty: the caller fills target_of (per task,
 * 0..n_targets-1, every target non-empty, in a topological order when
 * possible) and then calls jf__plan_build. *out is NULL on failure. */
JF__HIDDEN jf_status jf__plan_alloc(const jf_job *job, uint32_t n_targets, jf_plan **out);
/* Members, target graph (renumbered when target_of was not topological)
 * and demands from target_of. JF_ECYCLE or JF_ENOMEM leave the plan for
 * the caller to destroy. */
JF__HIDDEN jf_status jf__plan_build(jf_plan *plan);

/* Ask for transparent huge pages over the whole 2 MiB pages inside
 * [block, block + bytes): for large arrays that will be written through,
 * one page fault per 2 MiB instead of per 4 KiB (Linux, when the kernel
 * allows; elsewhere nothing changes). Shared with the combiner. */
JF__HIDDEN void jf__advise_huge(void *block, size_t bytes);

#endif
