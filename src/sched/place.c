/* Placement: list scheduling over the targets in topological order. Each
 * target goes to the device where it would finish first, counting its
 * time demand divided by the device's speed. Transfers are not modelled
 * yet: one machine's devices share memory. */
#include <math.h>

#include "core/plan_impl.h"

/* cap[d * n_res + r]: device d's capacity for the job's resource r, looked
 * up by name once rather than for every target. */
static double *capacity_table(const jf_plan *plan, const jf_devices *devs)
{
    const jf_job *job = plan->job;
    int nd = jf_devices_count(devs), nr = job->n_res;
    double *cap = jf__malloc(((size_t)nd * (size_t)nr + 1) * sizeof *cap);
    for (int d = 0; cap && d < nd; d++)
        for (int r = 0; r < nr; r++)
            cap[(size_t)d * nr + r] = jf_devices_capacity(devs, d, job->res_name[r]);
    return cap;
}

/* Whether every demand of the target fits the device's capacity. */
static int fits(const jf_plan *plan, uint32_t g, const double *cap_d)
{
    int nr = plan->job->n_res;
    const double *demand = plan->demand + (size_t)g * (size_t)nr;
    for (int r = 0; r < nr; r++)
        if (demand[r] > cap_d[r])
            return 0;
    return 1;
}

/* The device where target g would finish first among those it fits; -1
 * when it fits none. */
static int earliest_device(const jf_plan *plan, uint32_t g, const jf_devices *devs,
                           const double *cap, const double *free_at, double ready, double time)
{
    int best = -1, nr = plan->job->n_res;
    double best_finish = INFINITY;
    for (int d = 0; d < jf_devices_count(devs); d++) {
        if (!fits(plan, g, cap + (size_t)d * nr))
            continue;
        double finish = JF__MAX(free_at[d], ready) + time / jf_devices_speed(devs, d);
        if (best < 0 || finish < best_finish) {
            best_finish = finish;
            best = d;
        }
    }
    return best;
}

jf_status jf_plan_place(jf_plan *plan, const jf_devices *devs)
{
    int nd = jf_devices_count(devs), r = jf_job_resource_find(plan->job, "time");
    if (nd == 0)
        return JF_EINVAL;
    double *free_at = jf__calloc((size_t)nd, sizeof *free_at);
    double *finish = jf__calloc((size_t)plan->n_targets + 1, sizeof *finish);
    double *cap = capacity_table(plan, devs);
    if (!free_at || !finish || !cap) {
        jf__free(free_at);
        jf__free(finish);
        jf__free(cap);
        return JF_ENOMEM;
    }
    jf_status st = JF_OK;
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        double ready = 0, time = r >= 0 ? jf_plan_target_demand(plan, g, r) : 1.0;
        for (uint64_t e = plan->pred_off[g]; e < plan->pred_off[g + 1]; e++)
            ready = JF__MAX(ready, finish[plan->pred[e]]);
        int d = earliest_device(plan, g, devs, cap, free_at, ready, JF__MAX(time, 1e-6));
        if (d < 0) {
            jf__fmt(plan->errmsg, sizeof plan->errmsg,
                    "target T%u (first task \"%s\") fits no single device", g,
                    jf__id(plan->job, plan->members[plan->member_off[g]]));
            st = JF_ECAPACITY;
            break;
        }
        finish[g] = JF__MAX(free_at[d], ready) + time / jf_devices_speed(devs, d);
        free_at[d] = finish[g];
        plan->device[g] = d;
    }
    jf__free(free_at);
    jf__free(finish);
    jf__free(cap);
    return st;
}
