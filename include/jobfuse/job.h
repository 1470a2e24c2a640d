/* jobfuse/job.h — the computing job: tasks, dependencies and demands.
 *
 *   jf_job *job = NULL;
 *   jf_job_create("demo", &job);
 *   uint32_t a, b;
 *   jf_job_add_task_id(job, "load", &a);
 *   jf_job_add_task_id(job, "save", &b);
 *   jf_job_set_demand(job, a, jf_job_resource(job, "memory"), 4096);
 *   jf_job_add_dep(job, a, b, 4096);            // save needs load's output
 *   if (jf_job_validate(job) != JF_OK)          // builds the edges, finds cycles
 *       puts(jf_job_errmsg(job));
 *   jf_job_destroy(job);
 *
 * Tasks are numbered 0..n-1 in the order they were added. A job is built,
 * then validated; after jf_job_validate() returns JF_OK it is read-only and
 * its edges can be walked (jf_job_succ, jf_job_pred). The job owns every
 * string and array it hands out; they stay valid until jf_job_destroy().
 */
#ifndef JOBFUSE_JOB_H
#define JOBFUSE_JOB_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jf_job jf_job;

/* How demands of one resource combine when tasks are merged. */
typedef enum { JF_RULE_SUM, JF_RULE_MAX } jf_rule;

/* What `run` executes for a task read from JSON. */
typedef enum { JF_WORK_NOOP, JF_WORK_SPIN, JF_WORK_SLEEP } jf_work_kind;

typedef struct {
    jf_work_kind kind;
    double us;  /* microseconds for spin and sleep */
} jf_work;

/* A task of the C API: returns 0 on success, anything else fails the run. */
typedef int (*jf_task_fn)(void *arg);

#define JF_JOB_FORMAT "jobfuse-job/1"

/* Create an empty job with the default resources memory, time, flops (sum)
 * and threads (max). name may be NULL. */
jf_status jf_job_create(const char *name, jf_job **out);
/* Free the job and everything it owns; accepts NULL. */
void jf_job_destroy(jf_job *job);

/* The message of the last failure ("" if none), with file:line:column or
 * the task id where there is one. Valid until the next call on the job. */
const char *jf_job_errmsg(const jf_job *job);
const char *jf_job_name(const jf_job *job);

/* Read a jobfuse-job/1 file; the job is validated. *out is set even on
 * failure so that jf_job_errmsg() can tell why; destroy it in both cases.
 * JF_EIO, JF_EPARSE (file:line:column), JF_EINVAL (task id), JF_ECYCLE. */
jf_status jf_job_read_json(const char *path, jf_job **out);
/* Write the job as jobfuse-job/1 to path atomically ("-" is stdout). */
jf_status jf_job_write_json(const jf_job *job, const char *path);

/* ---- resources ---------------------------------------------------------- */
/* Index of a resource, declaring it (rule sum) when the job lacks it;
 * -1 only when out of memory. */
int jf_job_resource(jf_job *job, const char *name);
/* Declare or re-declare a resource's combine rule; returns its index or -1. */
int jf_job_declare_resource(jf_job *job, const char *name, jf_rule rule);
/* Index of a resource or -1 when the job has none of that name. */
int jf_job_resource_find(const jf_job *job, const char *name);
int jf_job_resource_count(const jf_job *job);
const char *jf_job_resource_name(const jf_job *job, int r);
jf_rule jf_job_resource_rule(const jf_job *job, int r);

/* ---- building ----------------------------------------------------------- */
/* Add a task with a unique id (copied). JF_EINVAL on a duplicate id. */
jf_status jf_job_add_task_id(jf_job *job, const char *id, uint32_t *out_task);
/* Add a task whose id is "t<index>". */
jf_status jf_job_add_task_anon(jf_job *job, uint32_t *out_task);
/* Add a task that runs fn(arg); its id is "t<index>". */
jf_status jf_job_add_task(jf_job *job, jf_task_fn fn, void *arg, uint32_t *out_task);
/* Make a task (one added with its own id, say) run fn(arg). */
jf_status jf_job_set_fn(jf_job *job, uint32_t task, jf_task_fn fn, void *arg);
jf_status jf_job_set_demand(jf_job *job, uint32_t task, int resource, double value);
jf_status jf_job_set_work(jf_job *job, uint32_t task, jf_work work);
/* The operator name (copied), e.g. "Conv"; NULL clears it. */
jf_status jf_job_set_op(jf_job *job, uint32_t task, const char *op);
/* `after` needs the output of `before`, bytes long. Checked at validation. */
jf_status jf_job_add_dep(jf_job *job, uint32_t before, uint32_t after, uint64_t bytes);
/* Build the edge arrays, merge duplicated dependencies (bytes added, with a
 * warning through the log callback) and check for self-dependencies and
 * cycles. JF_EINVAL, JF_ECYCLE (naming the tasks of one cycle), JF_ENOMEM. */
jf_status jf_job_validate(jf_job *job);

/* ---- reading (after validation) ----------------------------------------- */
uint32_t jf_job_task_count(const jf_job *job);
uint64_t jf_job_edge_count(const jf_job *job);
const char *jf_job_task_id(const jf_job *job, uint32_t task);
/* 1 and *out_task set when a task has that id, else 0. */
int jf_job_task_find(const jf_job *job, const char *id, uint32_t *out_task);
double jf_job_demand(const jf_job *job, uint32_t task, int resource);
jf_work jf_job_work(const jf_job *job, uint32_t task);
const char *jf_job_op(const jf_job *job, uint32_t task); /* NULL if none */
jf_task_fn jf_job_task_fn(const jf_job *job, uint32_t task, void **out_arg);
/* Successors (tasks that need this one) and predecessors, distinct, with
 * the bytes of each edge. The arrays belong to the job. Returns the count. */
uint32_t jf_job_succ(const jf_job *job, uint32_t task, const uint32_t **tasks,
                     const uint64_t **bytes);
uint32_t jf_job_pred(const jf_job *job, uint32_t task, const uint32_t **tasks,
                     const uint64_t **bytes);
/* A topological order of all tasks (owned by the job), deterministic. */
const uint32_t *jf_job_topo_order(const jf_job *job);
/* Sum of the `time` demand along the longest path (0 without `time`). */
double jf_job_critical_path(const jf_job *job);

#ifdef __cplusplus
}
#endif
#endif
