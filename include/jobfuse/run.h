/* jobfuse/run.h — running a plan on an executor.
 *
 *   jf_executor *ex = NULL;
 *   jf_executor_local_create(0, &ex);            // 0: one worker per core
 *   jf_run_params rp = jf_run_default_params();
 *   jf_run_stats rs;
 *   jf_status st = jf_run(ex, plan, &rp, &rs);
 *   if (st == JF_ETASK) puts(jf_executor_errmsg(ex)); // names the failed task
 *   jf_run_stats_free(&rs);
 *   jf_executor_destroy(ex);
 *
 * An executor only reads the plan (and its job): one plan can be run many
 * times, by several executors. Every executor sits behind jf_executor_i, so
 * MPI, StarPU or GPU executors plug in without the core knowing them.
 *
 * What a task does: a task added with jf_job_add_task() calls its function
 * (0 = success, anything else fails the run); otherwise its `work` runs:
 * noop, spin (busy wait `us` microseconds) or sleep. A target runs its
 * members back to back in their order, in one dispatch.
 */
#ifndef JOBFUSE_RUN_H
#define JOBFUSE_RUN_H

#include <signal.h>

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jf_executor jf_executor;

/* Called from one worker now and then while a run goes on. */
typedef void (*jf_progress_fn)(void *user, uint64_t targets_done, uint64_t targets_total);

typedef struct {
    /* When *stop becomes non-zero (a signal handler may set it), running
     * targets finish, nothing new starts and jf_run returns JF_EINTR. */
    volatile sig_atomic_t *stop;
    jf_progress_fn progress;    /* NULL: none */
    void *progress_user;
    double progress_interval_s; /* default 0.2 */
    int trace;                  /* record a slice per target (jf_run_stats.slices) */
} jf_run_params;

/* One executed target, for traces. Times in ns since the run started. */
typedef struct {
    uint32_t target;
    uint32_t worker;
    uint64_t start_ns, end_ns;
} jf_slice;

typedef struct {
    double run_s;            /* from the first dispatch to the last target's end */
    uint64_t tasks, targets; /* executed */
    int threads;
    double *worker_busy_s;   /* per worker, `threads` entries (owned; see _free) */
    jf_slice *slices;        /* targets executed, when params.trace (owned) */
    uint64_t n_slices;
    /* failure: the task that failed and its return value */
    int failed;
    uint32_t failed_task;
    int failed_code;
} jf_run_stats;

typedef struct jf_executor_i {
    const char *name;
    /* Run the plan to completion, or until a task fails or *stop is set.
     * Fills stats (zeroed by the caller). */
    jf_status (*run)(void *self, const jf_plan *plan, const jf_run_params *params,
                     jf_run_stats *stats, char *errmsg, size_t errlen);
    int (*threads)(void *self);
    void (*destroy)(void *self);
} jf_executor_i;

jf_run_params jf_run_default_params(void);

/* Wrap an implementation; the executor owns `self` (iface->destroy frees it)
 * once this succeeds; on failure `self` stays the caller's. One run at a
 * time per executor. Stats are filled even when a run fails: free them. */
jf_status jf_executor_create(const jf_executor_i *iface, void *self, jf_executor **out);
/* The local pool: `threads` persistent workers (0: one per online core),
 * per-worker queues with work stealing. */
jf_status jf_executor_local_create(int threads, jf_executor **out);
void jf_executor_destroy(jf_executor *ex);
const char *jf_executor_name(const jf_executor *ex);
int jf_executor_threads(const jf_executor *ex);
/* The message of the last failed run ("" if none). */
const char *jf_executor_errmsg(const jf_executor *ex);

/* Run a plan (params NULL: defaults). JF_ETASK (a task failed; message names it), JF_EINTR,
 * JF_ENOMEM. stats may be NULL; else free it with jf_run_stats_free(). */
jf_status jf_run(jf_executor *ex, const jf_plan *plan, const jf_run_params *params,
                 jf_run_stats *stats);
void jf_run_stats_free(jf_run_stats *stats);

/* Cost of one dispatch on this executor in nanoseconds of one worker's
 * time: a few milliseconds of running tiny probe tasks; -1 if the probe
 * could not run. */
double jf_measure_dispatch_ns(jf_executor *ex);

/* Busy-wait for about `us` microseconds (calibrated once per process). */
void jf_spin_us(double us);

/* Chrome trace-event JSON of a traced run (opens in Perfetto): one slice
 * per target with its worker, start and duration, member ids in args. */
jf_status jf_trace_write_json(const jf_plan *plan, const jf_run_stats *stats, const char *path);

#ifdef __cplusplus
}
#endif
#endif
