/* From an inferred model to a job: a task per operator, Input and Output
 * tasks for the graph's ends, a dependency per consumed tensor with its
 * bytes, and each task's memory, flops and time. */
#include "onnx/onnx_impl.h"

typedef struct {
    jf_job *job;
    int r_memory, r_time, r_flops;
    double us_per_flop;
    uint32_t *task_of_tensor; /* task producing each activation or input, else UINT32_MAX */
} job_build;

/* Add a task under id, or id#2, id#3... when the id is taken. */
static jf_status add_task(jf_job *job, const char *id, const char *op, uint32_t *out)
{
    jf_status st = jf_job_add_task_id(job, id, out);
    char buf[600];
    for (int k = 2; st == JF_EINVAL && k < 1000000; k++) {
        snprintf(buf, sizeof buf, "%.500s#%d", id, k);
        st = jf_job_add_task_id(job, buf, out);
    }
    return st == JF_OK ? jf_job_set_op(job, *out, op) : st;
}

static jf_status add_end_task(job_build *b, const char *prefix, const char *op,
                              const ox_tensor *t, uint32_t *out)
{
    char id[512];
    snprintf(id, sizeof id, "%s:%s", prefix, t->name);
    jf_status st = add_task(b->job, id, op, out);
    if (st == JF_OK)
        st = jf_job_set_demand(b->job, *out, b->r_memory, (double)ox_bytes(t));
    return st;
}

/* The value a folded If's output stands for. */
static int32_t unalias(const jf_onnx_model *m, int32_t t)
{
    while (t >= 0 && m->tensors[t].alias >= 0)
        t = m->tensors[t].alias;
    return t;
}

/* The node's distinct input tensors (explicit, then implicit). */
static int node_inputs(const jf_onnx_model *m, const ox_node *n, int32_t *out, int max)
{
    int count = 0;
    for (int k = 0; k < n->n_in + n->n_implicit; k++) {
        int32_t t = unalias(m, k < n->n_in ? n->in[k] : n->implicit[k - n->n_in]);
        int seen = t < 0;
        for (int j = 0; j < count && !seen; j++)
            seen = out[j] == t;
        if (!seen && count < max)
            out[count++] = t;
    }
    return count;
}

#define MAX_NODE_INPUTS 4096

static jf_status add_operator(job_build *b, jf_onnx_model *m, const ox_node *n)
{
    uint32_t task;
    jf_status st = add_task(b->job, n->id, n->op, &task);
    int32_t ins[MAX_NODE_INPUTS];
    int count = node_inputs(m, n, ins, MAX_NODE_INPUTS);
    uint64_t memory = n->subgraph_weight_bytes;
    for (int i = 0; i < count && st == JF_OK; i++) {
        const ox_tensor *t = &m->tensors[ins[i]];
        memory += ox_bytes(t);
        uint32_t from = b->task_of_tensor[ins[i]];
        if (from == UINT32_MAX)
            continue;
        /* Two tensors from one producer make one dependency: add the bytes. */
        uint64_t bytes = ox_bytes(t);
        for (int j = i + 1; j < count; j++)
            if (b->task_of_tensor[ins[j]] == from)
                bytes += ox_bytes(&m->tensors[ins[j]]);
        int first_from_producer = 1;
        for (int j = 0; j < i; j++)
            first_from_producer &= b->task_of_tensor[ins[j]] != from;
        if (first_from_producer)
            st = jf_job_add_dep(b->job, from, task, bytes);
    }
    for (int o = 0; o < n->n_out && st == JF_OK; o++) {
        if (n->out[o] < 0)
            continue;
        memory += ox_bytes(&m->tensors[n->out[o]]);
        if (m->tensors[n->out[o]].kind == OX_ACTIVATION)
            b->task_of_tensor[n->out[o]] = task;
    }
    if (st == JF_OK)
        st = jf_job_set_demand(b->job, task, b->r_memory, (double)memory);
    if (st == JF_OK)
        st = jf_job_set_demand(b->job, task, b->r_flops, n->flops);
    if (st == JF_OK)
        st = jf_job_set_demand(b->job, task, b->r_time, n->flops * b->us_per_flop);
    return st;
}

static jf_status add_tasks(job_build *b, jf_onnx_model *m)
{
    jf_status st = JF_OK;
    for (size_t i = 0; i < m->n_graph_inputs && st == JF_OK; i++) {
        int32_t t = m->graph_inputs[i];
        st = add_end_task(b, "input", "Input", &m->tensors[t], &b->task_of_tensor[t]);
    }
    for (size_t i = 0; i < m->n_order && st == JF_OK; i++)
        if (m->nodes[m->order[i]].is_task)
            st = add_operator(b, m, &m->nodes[m->order[i]]);
    for (size_t i = 0; i < m->n_graph_outputs && st == JF_OK; i++) {
        const ox_tensor *t = &m->tensors[m->graph_outputs[i]];
        uint32_t task, from = b->task_of_tensor[unalias(m, m->graph_outputs[i])];
        st = add_end_task(b, "output", "Output", t, &task);
        if (st == JF_OK && from != UINT32_MAX)
            st = jf_job_add_dep(b->job, from, task, ox_bytes(t));
    }
    return st;
}

/* Highest sum of live activation bytes when the operators run one at a
 * time in the visit order: a value lives from its producer until its last
 * reader; graph inputs from the start, graph outputs to the end. */
static uint64_t peak_activation(const jf_onnx_model *m)
{
    size_t *last = jf__calloc(m->n_tensors + 1, sizeof *last);
    if (!last)
        return 0;
    int32_t ins[MAX_NODE_INPUTS];
    for (size_t i = 0; i < m->n_order; i++) {
        const ox_node *n = &m->nodes[m->order[i]];
        int count = node_inputs(m, n, ins, MAX_NODE_INPUTS);
        for (int k = 0; k < count; k++)
            last[ins[k]] = i + 1;
    }
    for (size_t i = 0; i < m->n_graph_outputs; i++)
        last[unalias(m, m->graph_outputs[i])] = SIZE_MAX;
    uint64_t live = 0, peak = 0;
    for (size_t i = 0; i < m->n_graph_inputs; i++)
        live += ox_bytes(&m->tensors[m->graph_inputs[i]]);
    peak = live;
    for (size_t i = 0; i < m->n_order; i++) {
        const ox_node *n = &m->nodes[m->order[i]];
        for (int o = 0; o < n->n_out; o++)
            if (n->out[o] >= 0 && m->tensors[n->out[o]].kind == OX_ACTIVATION)
                live += ox_bytes(&m->tensors[n->out[o]]);
        peak = JF__MAX(peak, live);
        int count = node_inputs(m, n, ins, MAX_NODE_INPUTS);
        for (int k = 0; k < count; k++)
            if (last[ins[k]] == i + 1 && m->tensors[ins[k]].kind != OX_WEIGHT)
                live -= JF__MIN(live, ox_bytes(&m->tensors[ins[k]]));
    }
    jf__free(last);
    return peak;
}

static const char *job_name(const jf_onnx_model *m, char *buf, size_t size)
{
    const char *g = m->proto->graph->name;
    if (g && *g)
        return g;
    const char *base = strrchr(m->path, '/');
    snprintf(buf, size, "%s", base ? base + 1 : m->path);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = '\0';
    return buf;
}

jf_status jf_onnx_job(jf_onnx_model *m, jf_job **out)
{
    char name[256];
    *out = NULL;
    job_build b = {0};
    jf_status st = jf_job_create(job_name(m, name, sizeof name), &b.job);
    if (st != JF_OK)
        return st;
    double gflops = m->opts.device_gflops > 0 ? m->opts.device_gflops : jf_onnx_device_gflops();
    m->stats.device_gflops = gflops;
    b.us_per_flop = 1.0 / (gflops * 1e3);
    b.r_memory = jf_job_resource(b.job, "memory");
    b.r_time = jf_job_resource(b.job, "time");
    b.r_flops = jf_job_resource(b.job, "flops");
    b.task_of_tensor = jf__malloc((m->n_tensors + 1) * sizeof *b.task_of_tensor);
    if (!b.task_of_tensor || b.r_memory < 0 || b.r_time < 0 || b.r_flops < 0)
        st = JF_ENOMEM;
    for (size_t i = 0; st == JF_OK && i < m->n_tensors; i++)
        b.task_of_tensor[i] = UINT32_MAX;
    if (st == JF_OK)
        st = add_tasks(&b, m);
    if (st == JF_OK)
        st = jf_job_validate(b.job);
    if (st != JF_OK)
        ox_errf(m, "%s: %s", m->path, *jf_job_errmsg(b.job) ? jf_job_errmsg(b.job)
                                                             : jf_status_str(st));
    jf__free(b.task_of_tensor);
    m->stats.peak_activation_bytes = peak_activation(m);
    if (st != JF_OK)
        jf_job_destroy(b.job);
    else
        *out = b.job;
    return st;
}
