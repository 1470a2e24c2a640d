/* The executor handle: an interface of function pointers plus the
 * implementation's state, and jf_run() on top of it. The core knows no
 * executor but through jf_executor_i. */
#include "core/job_impl.h"
#include "jobfuse/gen.h"
#include "jobfuse/run.h"

#define PROBE_SIDE 64     /* the probe: a 64 x 64 wavefront of noop tasks */
#define PROBE_MIN_S 0.005 /* measure for at least this long */
#define PROBE_MIN_RUNS 3
#define PROBE_MAX_RUNS 50

struct jf_executor {
    jf_executor_i iface;
    void *self;
    char errmsg[JF__ERRMSG];
};

jf_run_params jf_run_default_params(void)
{
    jf_run_params p;
    memset(&p, 0, sizeof p);
    p.progress_interval_s = 0.2;
    return p;
}

jf_status jf_executor_create(const jf_executor_i *iface, void *self, jf_executor **out)
{
    JF_ASSERT(iface && iface->run && out);
    *out = NULL;
    jf_executor *ex = jf__calloc(1, sizeof *ex);
    if (!ex)
        return JF_ENOMEM;
    ex->iface = *iface;
    ex->self = self;
    *out = ex;
    return JF_OK;
}

void jf_executor_destroy(jf_executor *ex)
{
    if (!ex)
        return;
    if (ex->iface.destroy)
        ex->iface.destroy(ex->self);
    jf__free(ex);
}

const char *jf_executor_name(const jf_executor *ex)
{
    return ex && ex->iface.name ? ex->iface.name : "";
}

int jf_executor_threads(const jf_executor *ex)
{
    return ex && ex->iface.threads ? ex->iface.threads(ex->self) : 1;
}

const char *jf_executor_errmsg(const jf_executor *ex)
{
    return ex ? ex->errmsg : "";
}

jf_status jf_run(jf_executor *ex, const jf_plan *plan, const jf_run_params *params,
                 jf_run_stats *stats)
{
    JF_ASSERT(ex && plan);
    jf_run_params defaults = jf_run_default_params();
    jf_run_stats scratch;
    jf_run_stats *st = stats ? stats : &scratch;
    memset(st, 0, sizeof *st);
    ex->errmsg[0] = '\0';
    jf_status s = ex->iface.run(ex->self, plan, params ? params : &defaults, st, ex->errmsg,
                                sizeof ex->errmsg);
    if (!stats)
        jf_run_stats_free(&scratch);
    return s;
}

void jf_run_stats_free(jf_run_stats *stats)
{
    if (!stats)
        return;
    jf__free(stats->worker_busy_s);
    jf__free(stats->slices);
    memset(stats, 0, sizeof *stats);
}

/* Worker time per target of one run of the probe: its wall time times the
 * threads, over the targets. -1 when it failed. */
static double probe_once(jf_executor *ex, const jf_plan *plan, double *wall)
{
    jf_run_stats st;
    jf_status s = jf_run(ex, plan, NULL, &st);
    double ns = st.targets ? st.run_s * 1e9 * st.threads / (double)st.targets : -1.0;
    *wall += st.run_s;
    jf_run_stats_free(&st);
    return s == JF_OK ? ns : -1.0;
}

/* The fastest of a few runs: preemption only ever adds time. */
static double probe(jf_executor *ex, const jf_plan *plan)
{
    double best = -1.0, wall = 0.0;
    for (int i = 0; i < PROBE_MAX_RUNS && (i < PROBE_MIN_RUNS || wall < PROBE_MIN_S); i++) {
        double ns = probe_once(ex, plan, &wall);
        if (ns < 0)
            return -1.0;
        best = best < 0 || ns < best ? ns : best;
    }
    return best;
}

double jf_measure_dispatch_ns(jf_executor *ex)
{
    jf_gen_params g = jf_gen_default_params();
    g.shape = JF_GEN_WAVEFRONT;
    g.size = PROBE_SIDE;
    g.work.kind = JF_WORK_NOOP;
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    double ns = -1.0;
    if (jf_gen(&g, &job) == JF_OK && jf_plan_identity(job, &plan) == JF_OK)
        ns = probe(ex, plan);
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    return ns;
}
