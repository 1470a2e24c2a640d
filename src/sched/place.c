/* Placement: list scheduling over the targets in topological order. Each
 * target goes to the device where it would finish first, counting its
 * time demand divided by the device's speed. Transfers are not modelled
 * yet: one machine's devices share memory. */
#include <math.h>

#include "core/plan_impl.h"

static int earliest_device(const jf_devices *devs, const double *free_at, double ready,
                           double time)
{
    int best = 0;
    double best_finish = INFINITY;
    for (int d = 0; d < jf_devices_count(devs); d++) {
        double finish = JF__MAX(free_at[d], ready) + time / jf_devices_speed(devs, d);
        if (finish < best_finish) {
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
    if (!free_at || !finish) {
        jf__free(free_at);
        jf__free(finish);
        return JF_ENOMEM;
    }
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        double ready = 0, time = r >= 0 ? jf_plan_target_demand(plan, g, r) : 1.0;
        for (uint64_t e = plan->pred_off[g]; e < plan->pred_off[g + 1]; e++)
            ready = JF__MAX(ready, finish[plan->pred[e]]);
        int d = earliest_device(devs, free_at, ready, time);
        finish[g] = JF__MAX(free_at[d], ready) + time / jf_devices_speed(devs, d);
        free_at[d] = finish[g];
        plan->device[g] = d;
    }
    jf__free(free_at);
    jf__free(finish);
    return JF_OK;
}
