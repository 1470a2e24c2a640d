/* The plan's layout, shared by the stages that fill or read it. */
#ifndef JF_PLAN_IMPL_H
#define JF_PLAN_IMPL_H

#include "core/job_impl.h"
#include "jobfuse/plan.h"

struct jf_plan {
    const jf_job *job;
    char errmsg[JF__ERRMSG];
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
};

/* A plan whose targets are already numbered 0..n_targets-1 (target_of per
 * task), in a topological order when possible (else it is reordered). */
JF__HIDDEN jf_status jf__plan_from_numbered(const jf_job *job, const uint32_t *target_of,
                                            uint32_t n_targets, jf_plan **out);

#endif
