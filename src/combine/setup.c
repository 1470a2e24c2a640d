/* Setting up the combiner: capacities and thresholds per resource, the
 * capacity check of single tasks, and the two groups of candidates. */
#include <ctype.h>
#include <math.h>

#include "combine/combine_impl.h"
#include "core/plan_impl.h"

static const jf_limit *find_limit(const jf_limit *limits, int n, const char *resource)
{
    for (int i = n - 1; i >= 0; i--) /* the last one given wins */
        if (strcmp(limits[i].resource, resource) == 0)
            return &limits[i];
    return NULL;
}

static jf_status check_limit_names(jf_job *job, const jf_limit *limits, int n, const char *opt)
{
    for (int i = 0; i < n; i++)
        if (jf_job_resource_find(job, limits[i].resource) < 0)
            return jf__job_fail(job, JF_EINVAL, "%s %s: the job has no resource \"%s\"", opt,
                                limits[i].resource, limits[i].resource);
    return JF_OK;
}

static double device_capacity(const jf_combine_params *p, const char *res, int largest)
{
    if (!p->devices)
        return INFINITY;
    return largest ? jf_devices_capacity_max(p->devices, res)
                   : jf_devices_capacity_min(p->devices, res);
}

/* Capacity, largest capacity and demand threshold of resource r. */
static jf_status resource_limits(jf__combiner *c, jf_job *job, const jf_combine_params *p, int r,
                                 double *largest)
{
    const char *name = job->res_name[r];
    const jf_limit *cap = find_limit(p->capacity, p->n_capacity, name);
    if (cap && cap->percent)
        return jf__job_fail(job, JF_EINVAL, "--capacity %s: a capacity cannot be a percentage",
                            name);
    c->cap[r] = cap ? cap->value : device_capacity(p, name, 0);
    *largest = cap ? cap->value : device_capacity(p, name, 1);
    const jf_limit *thr = find_limit(p->demand_threshold, p->n_demand_threshold, name);
    if (thr && thr->percent && !isfinite(c->cap[r]))
        return jf__job_fail(job, JF_EINVAL,
                            "--demand-threshold %s=%g%%: no device limits \"%s\", so a "
                            "percentage has no base; give --capacity %s=VALUE",
                            name, thr->value, name, name);
    if (thr)
        c->threshold[r] = thr->percent ? thr->value * c->cap[r] / 100.0 : thr->value;
    else
        c->threshold[r] = isfinite(c->cap[r]) ? p->default_threshold_percent * c->cap[r] / 100.0
                                              : INFINITY;
    return JF_OK;
}

jf_status jf__cb_check_fits(jf_job *job, int r, double largest)
{
    if (largest == INFINITY) /* no device limits r: nothing to read */
        return JF_OK;
    for (uint32_t t = 0; t < job->n_tasks; t++)
        if (job->demand[r][t] > largest)
            return jf__job_fail(job, JF_ECAPACITY,
                                "task \"%s\": demand %s=%.17g exceeds the capacity of every "
                                "device (largest %.17g)",
                                jf__id(job, t), job->res_name[r], job->demand[r][t], largest);
    return JF_OK;
}

static jf_status check_names(jf_job *job, const jf_combine_params *p)
{
    jf_status st = check_limit_names(job, p->capacity, p->n_capacity, "--capacity");
    if (st == JF_OK)
        st = check_limit_names(job, p->demand_threshold, p->n_demand_threshold,
                               "--demand-threshold");
    return st;
}

static int below_degree(const jf_combine_params *p, uint64_t in, uint64_t out)
{
    uint64_t k = p->degree_threshold;
    switch (p->degree_mode) {
    case JF_DEGREE_IN: return in < k;
    case JF_DEGREE_OUT: return out < k;
    case JF_DEGREE_SUM: return in + out < k;
    default: return in < k && out < k;
    }
}

/* Resource r's column, read once (and not at all when nothing limits
 * r): a task over every device's capacity is an error, as
 * jf__cb_check_fits says it; a second-group candidate over the threshold
 * drops to the first group. */
static jf_status apply_column(jf__combiner *c, jf_job *job, int r, double largest)
{
    const double *col = job->demand[r];
    double threshold = c->threshold[r];
    if (largest == INFINITY && threshold == INFINITY)
        return JF_OK;
    for (uint32_t t = 0; t < job->n_tasks; t++) {
        if (col[t] > largest)
            return jf__cb_check_fits(job, r, largest); /* names the first */
        if (c->group[t] == JF__SECOND && col[t] > threshold) {
            c->group[t] = JF__FIRST_ONLY;
            c->second_group--;
        }
    }
    return JF_OK;
}

/* Limits of every resource and the second group, resource by resource:
 * its limits are checked, then its column (the order of the errors). */
static jf_status apply_limits(jf__combiner *c, jf_job *job, const jf_combine_params *p)
{
    jf_status st = JF_OK;
    for (int r = 0; r < c->n_res && st == JF_OK; r++) {
        double largest = INFINITY;
        st = resource_limits(c, job, p, r, &largest);
        if (st == JF_OK)
            st = apply_column(c, job, r, p->allow_oversize ? INFINITY : largest);
    }
    return st;
}

/* The first group by degree; apply_limits then drops candidates to make
 * the second. */
static void classify_degrees(jf__combiner *c, const jf_combine_params *p)
{
    const jf_job *job = c->job;
    for (uint32_t t = 0; t < job->n_tasks; t++) {
        uint64_t in = job->in_off[t + 1] - job->in_off[t];
        uint64_t out = job->out_off[t + 1] - job->out_off[t];
        c->group[t] = below_degree(p, in, out) ? JF__SECOND : JF__NOT_FIRST;
        c->first_group += c->group[t] == JF__SECOND;
        c->not_first_edges += c->group[t] == JF__NOT_FIRST ? out : 0;
    }
    c->second_group = c->first_group;
}

static void note_reasons(jf__combiner *c)
{
    for (uint32_t t = 0; c->reason && t < c->job->n_tasks; t++)
        c->reason[t] = c->group[t] == JF__NOT_FIRST    ? JF_REFUSED_DEGREE
                       : c->group[t] == JF__FIRST_ONLY ? JF_REFUSED_DEMAND
                                                       : JF_REFUSED_NONE;
}

/* The per-task arrays written in full at the start: parent, size, ord,
 * the candidate classes (and reasons). The arrays a merge writes come
 * later, with the first merge (jf__cb_merge_space). */
static jf_status alloc_state(jf__combiner *c, int explain)
{
    size_t n = (size_t)c->job->n_tasks + 1;
    uint32_t *u = c->block = jf__malloc(n * (3 * 4 + 1 + (explain ? 1 : 0)));
    if (!u)
        return JF_ENOMEM;
    jf__advise_huge(u, 3 * n * sizeof *u);
    c->parent = u;
    c->size = u + n;
    c->ord = u + 2 * n;
    c->group = (uint8_t *)(u + 3 * n);
    c->reason = explain ? c->group + n : NULL;
    return JF_OK;
}

int jf__cb_merge_space(jf__combiner *c)
{
    size_t n = (size_t)c->job->n_tasks + 1, nr = (size_t)(c->n_res ? c->n_res : 1);
    double *d = c->merge_block = jf__malloc(n * (nr * 8 + 5 * 4));
    if (!d)
        return c->out_of_memory = 1, -1;
    c->demand = d; /* 8-byte elements first */
    uint32_t *u = (uint32_t *)(d + n * nr);
    uint32_t **fields[] = {&c->head, &c->tail, &c->next, &c->ext_out, &c->ext_in};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++, u += n)
        *fields[i] = u;
    return 0;
}

/* Every task alone; head, tail, next, ext_* and demand stay unwritten
 * until a merge (see combine_impl.h). */
static void init_groups(jf__combiner *c)
{
    const jf_job *job = c->job;
    for (uint32_t t = 0; t < job->n_tasks; t++) {
        c->parent[t] = t;
        c->size[t] = 1;
    }
    for (uint32_t i = 0; i < job->n_tasks; i++)
        c->ord[job->topo[i]] = i;
    c->largest = job->n_tasks > 0;
}

jf_status jf__cb_init(jf__combiner *c, jf_job *job, const jf_combine_params *p)
{
    memset(c, 0, sizeof *c);
    c->job = job;
    c->n_res = job->n_res;
    c->max_members = p->max_members;
    c->links_only = p->degree_threshold == 2 && p->degree_mode == JF_DEGREE_BOTH;
    if (p->degree_threshold < 1)
        return jf__job_fail(job, JF_EINVAL, "--degree-threshold must be at least 1");
    c->cap = jf__malloc((size_t)(c->n_res + 1) * sizeof(double));
    c->threshold = jf__malloc((size_t)(c->n_res + 1) * sizeof(double));
    c->merged = jf__malloc((size_t)(c->n_res + 1) * sizeof(double));
    if (!c->cap || !c->threshold || !c->merged)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    jf_status st = check_names(job, p);
    if (st != JF_OK)
        return st;
    if (alloc_state(c, p->explain) != JF_OK)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    classify_degrees(c, p);
    st = apply_limits(c, job, p);
    if (st != JF_OK)
        return st;
    note_reasons(c);
    init_groups(c);
    return JF_OK;
}

void jf__cb_free(jf__combiner *c)
{
    for (uint32_t t = 0; c->has_adj && t < c->job->n_tasks; t++) {
        jf__free(c->adj_out[t].node);
        jf__free(c->adj_out[t].count);
        jf__free(c->adj_in[t].node);
        jf__free(c->adj_in[t].count);
    }
    void *blocks[] = {c->cap,     c->threshold, c->merged,    c->block,     c->merge_block,
                      c->mark,    c->stack,     c->found_fwd, c->found_bwd, c->slots,
                      c->keys,    c->has_adj,   c->adj_out,   c->adj_in,    c->acc_mark,
                      c->acc_pos, c->refused_at};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        jf__free(blocks[i]);
    memset(c, 0, sizeof *c);
}

int jf_limit_parse(const char *text, jf_limit *out)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(text, '=');
    size_t n = eq ? (size_t)(eq - text) : 0;
    if (!eq || n == 0 || n >= sizeof out->resource || eq[1] == '\0')
        return -1;
    memcpy(out->resource, text, n);
    for (size_t i = 0; i < n; i++) /* names go into JSON and messages as they are */
        if (!(isalnum((unsigned char)text[i]) || strchr("_.-", text[i])))
            return -1;
    const char *value = eq + 1;
    size_t len = strlen(value);
    if (value[len - 1] == '%') {
        char *end;
        out->value = strtod(value, &end);
        out->percent = 1;
        return end != value && end == value + len - 1 && isfinite(out->value) && out->value >= 0
                   ? 0
                   : -1;
    }
    return jf_parse_quantity(value, &out->value) == 0 && out->value >= 0 ? 0 : -1;
}
