/* jobfuse/plan.h — the combined job: target tasks, their dependencies and
 * the device each is placed on. A plan is immutable once made.
 *
 *   jf_plan *plan = NULL;
 *   jf_combine(job, &params, &plan, NULL);
 *   for (uint32_t t = 0; t < jf_plan_target_count(plan); t++) {
 *       const uint32_t *members;
 *       uint32_t n = jf_plan_target_members(plan, t, &members);  // task indices
 *       ...
 *   }
 *   jf_plan_write_json(plan, devs, NULL, "plan.json");
 *   jf_plan_destroy(plan);
 *
 * A plan refers to its job, which must outlive it. Targets are numbered in a
 * topological order of the combined graph; members are in execution order.
 */
#ifndef JOBFUSE_PLAN_H
#define JOBFUSE_PLAN_H

#include "job.h"
#include "devices.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jf_plan jf_plan;

#define JF_PLAN_FORMAT "jobfuse-plan/1"

/* Make a plan from a grouping: group_of[task] names the group of each task
 * (any uint32 labels; equal label = same target). Members are ordered by the
 * job's topological order. JF_ECYCLE if the grouping makes a cycle. */
jf_status jf_plan_from_groups(const jf_job *job, const uint32_t *group_of, jf_plan **out);
/* Every task alone. */
jf_status jf_plan_identity(const jf_job *job, jf_plan **out);
void jf_plan_destroy(jf_plan *plan);
const char *jf_plan_errmsg(const jf_plan *plan);

const jf_job *jf_plan_job(const jf_plan *plan);
uint32_t jf_plan_target_count(const jf_plan *plan);
uint64_t jf_plan_edge_count(const jf_plan *plan);
uint32_t jf_plan_target_members(const jf_plan *plan, uint32_t target, const uint32_t **members);
/* Targets that need this one (successors), distinct, with summed bytes. */
uint32_t jf_plan_target_succ(const jf_plan *plan, uint32_t target, const uint32_t **targets,
                             const uint64_t **bytes);
uint32_t jf_plan_target_pred(const jf_plan *plan, uint32_t target, const uint32_t **targets,
                             const uint64_t **bytes);
/* The demand of a target: its members' demands combined by the job's rules. */
double jf_plan_target_demand(const jf_plan *plan, uint32_t target, int resource);
uint32_t jf_plan_target_of(const jf_plan *plan, uint32_t task);
/* Device index of a target, -1 when not placed. */
int jf_plan_target_device(const jf_plan *plan, uint32_t target);
jf_status jf_plan_set_device(jf_plan *plan, uint32_t target, int device);
/* Critical path of the combined graph: longest sum of target `time`. */
double jf_plan_critical_path(const jf_plan *plan);
/* Free-form note kept per target, shown by --explain (copied). */
jf_status jf_plan_set_note(jf_plan *plan, uint32_t target, const char *note);
const char *jf_plan_target_note(const jf_plan *plan, uint32_t target);

/* Where a plan came from, recorded in the file so `run PLAN` can find and
 * check the job. Both strings are copied; sha256 is 64 hex digits. */
jf_status jf_plan_set_source(jf_plan *plan, const char *path, const char *sha256);
/* For a plan of an ONNX model: how it was imported, as a JSON object text
 * {"inputs": {"x": "1x3x640x640"}, "device_gflops": 100}, kept as
 * source.onnx so that reading the plan imports the model the same way. */
jf_status jf_plan_set_source_onnx(jf_plan *plan, const char *json_object);
/* Options recorded in the file's "options" object, as a JSON object text. */
jf_status jf_plan_set_options_json(jf_plan *plan, const char *json_object);

/* Write jobfuse-plan/1 atomically to path ("-" is stdout). devs names the
 * devices of placed targets and may be NULL. */
jf_status jf_plan_write_json(const jf_plan *plan, const jf_devices *devs, const char *path);
/* Read a plan file: loads the job it names (source.path, relative to the
 * plan file's folder when not absolute), refuses it if its sha256 changed,
 * and rebuilds the plan. *out_job and *out_plan are set even on failure
 * when they could be made; errmsg goes to err (size errlen). */
jf_status jf_plan_read_json(const char *path, jf_job **out_job, jf_plan **out_plan, char *err,
                            size_t errlen);

/* Place targets on devices: list scheduling in topological order, each on
 * the device where it would finish first (time / speed). */
jf_status jf_plan_place(jf_plan *plan, const jf_devices *devs);

/* Graphviz DOT of the plan's job with one cluster per multi-member target
 * (plan may be NULL: the job alone), written atomically to path ("-":
 * stdout). */
jf_status jf_write_dot(const jf_job *job, const jf_plan *plan, const char *path);

/* SHA-256 of a file as 64 hex digits plus NUL. JF_EIO on failure. */
jf_status jf_sha256_file(const char *path, char out_hex[65]);

#ifdef __cplusplus
}
#endif
#endif
