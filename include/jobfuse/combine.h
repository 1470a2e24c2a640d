/* jobfuse/combine.h — the combination method of DESIGN.md.
 *
 *   jf_combine_params p = jf_combine_default_params();
 *   p.degree_threshold = 2;
 *   p.devices = devs;                           // capacities: smallest device
 *   jf_combine_stats stats;
 *   jf_plan *plan = NULL;
 *   jf_status st = jf_combine(job, &p, &plan, &stats);
 *   if (st == JF_ECAPACITY) puts(jf_job_errmsg(job)); // names task and resource
 *
 * Steps: (1) distinct in/out degree of every task; (2) first group: degree
 * below the threshold K by degree_mode; (3) second group: demand at or below
 * the demand threshold of every thresholded resource; (4) groups are grown
 * along dependencies while their combined demand fits the capacity, they
 * stay under max_members and the combined graph stays acyclic; (5) each
 * group becomes a target whose members run in topological order; (6) the
 * target graph has an edge wherever an original edge crosses targets, bytes
 * added; (7) growth goes on until no neighbouring pair could merge.
 */
#ifndef JOBFUSE_COMBINE_H
#define JOBFUSE_COMBINE_H

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { JF_DEGREE_BOTH, JF_DEGREE_IN, JF_DEGREE_OUT, JF_DEGREE_SUM } jf_degree_mode;

#define JF_MAX_LIMITS 16

/* A per-resource value from the command line: "memory=4MiB" or "memory=50%". */
typedef struct {
    char resource[32];
    double value;
    int percent; /* value is a percentage of the capacity */
} jf_limit;

/* Why a merge was refused, for statistics and --explain. */
#define JF_REFUSAL_MAP(X)                                                   \
    X(NONE, "none", "no neighbour left to merge with")                     \
    X(DEGREE, "degree", "degree at or above the threshold")                \
    X(DEMAND, "demand", "demand above the demand threshold")               \
    X(CAPACITY, "capacity", "the combined demand would exceed the capacity") \
    X(MEMBERS, "max_members", "the target reached --max-members")          \
    X(CYCLE, "cycle", "merging would make a cycle (or a bounded search could not rule one out)")

typedef enum {
#define JF__REFUSAL_ENUM(name, key, text) JF_REFUSED_##name,
    JF_REFUSAL_MAP(JF__REFUSAL_ENUM)
#undef JF__REFUSAL_ENUM
    JF_REFUSED_COUNT
} jf_refusal;

const char *jf_refusal_key(jf_refusal r);  /* "capacity" */
const char *jf_refusal_text(jf_refusal r); /* a sentence for --explain */

typedef struct {
    uint32_t degree_threshold;   /* K, default 2 */
    jf_degree_mode degree_mode;  /* default JF_DEGREE_BOTH */
    const jf_devices *devices;   /* capacities; NULL: only explicit ones */
    jf_limit capacity[JF_MAX_LIMITS];         /* overrides --capacity */
    int n_capacity;
    jf_limit demand_threshold[JF_MAX_LIMITS]; /* --demand-threshold */
    int n_demand_threshold;
    double default_threshold_percent;         /* 50 */
    uint32_t max_members;        /* 0: unlimited */
    int explain;                 /* keep per-target notes */
    int allow_oversize;          /* a task above a capacity stays alone instead of
                                    failing (when capacities are a grain, not devices) */
} jf_combine_params;

typedef struct {
    uint64_t refused[JF_REFUSED_COUNT]; /* merges refused, by reason */
    uint32_t first_group;    /* tasks in the first group of candidates */
    uint32_t second_group;   /* tasks in the second group */
    uint32_t largest_target; /* most members in one target */
    uint32_t merges;         /* merges done */
    uint32_t passes;         /* passes until the fixpoint */
} jf_combine_stats;

jf_combine_params jf_combine_default_params(void);

/* Combine the validated job. *out owns the new plan; the job must outlive
 * it. stats may be NULL. JF_ECAPACITY (message on the job: task and
 * resource) when a task's own demand exceeds every device; JF_EINVAL for a
 * bad parameter (message on the job); JF_ENOMEM. */
jf_status jf_combine(jf_job *job, const jf_combine_params *params, jf_plan **out,
                     jf_combine_stats *stats);

/* ---- combining for running -------------------------------------------
 * Picks the limits itself: targets grow until each takes well above the
 * dispatch overhead, while the estimated critical path grows by at most
 * cp_growth of the estimated run time (max of critical path and work per
 * thread) and every thread keeps targets_per_thread targets to balance.
 * Time estimates are the tasks' `time` demands, at least min_task_us. It
 * first checks that combining can pay for itself at all, then tries chains
 * and trees (by in- or out-degree), batches independent siblings, and keeps the plan with the best estimate. */
typedef struct {
    int threads;                  /* workers that will run the plan (>= 1) */
    double dispatch_ns;           /* cost of one dispatch, measured (jf_measure_dispatch_ns);
                                     <= 0 (no measure) counts as 100 */
    double cp_growth;             /* 0.05 */
    double min_task_us;           /* estimate for tasks without a time demand: 0.01 */
    double grain_factor;          /* a target aims at grain_factor x dispatch cost: 200 */
    uint32_t targets_per_thread;  /* 32 */
    double combine_ns_per_item;   /* what combining costs per task + edge: 20 (plan_bench);
                                     when even removing every dispatch would save less,
                                     the tasks run alone */
    const jf_devices *devices;    /* capacities still apply; may be NULL */
} jf_run_combine_params;

typedef struct {
    char choice[160];       /* what was chosen, for --explain */
    double est_work_us;     /* estimated work of all tasks */
    double est_cp_before_us, est_cp_after_us;
    int cp_known;           /* 0: combining could not pay, the critical path was
                               not computed (both fields 0) */
    double grain_us;        /* the target size aimed at */
    uint32_t batched;       /* targets made by batching independent siblings */
    uint32_t tried;         /* configurations tried */
} jf_run_combine_report;

jf_run_combine_params jf_run_combine_default_params(void);
/* Combine for running. report may be NULL. Statuses as jf_combine. */
jf_status jf_combine_for_run(jf_job *job, const jf_run_combine_params *params, jf_plan **out,
                             jf_run_combine_report *report);

/* Parse "RES=VALUE" or "RES=N%" into a limit; 0 on success. */
int jf_limit_parse(const char *text, jf_limit *out);

#ifdef __cplusplus
}
#endif
#endif
