/* Running a model on the CPU: the session's public calls. Creation checks
 * every operator has a kernel before anything is allocated for the run,
 * converts the weights, builds and combines the job, plans the arena and
 * points every kernel's views at their memory once. */
#include <stdarg.h>

#include <cblas.h>

#include "onnx/session_impl.h"

#define SX_ALIGN 64

void sx_note(jf_onnx_session *s, const char *fmt, ...)
{
    if (!s->opt.explain)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    len = JF__MIN(len, (int)sizeof line - 1);
    if (len < 0 || jf__grow((void **)&s->explain, &s->explain_cap, s->explain_len + (size_t)len + 2, 1))
        return;
    memcpy(s->explain + s->explain_len, line, (size_t)len);
    s->explain_len += (size_t)len;
    s->explain[s->explain_len++] = '\n';
    s->explain[s->explain_len] = '\0';
}

static void set_view(jf_onnx_session *s, ox_view *v, int32_t t)
{
    static const int64_t no_dims[1] = {0};
    if (t < 0) {
        *v = (ox_view){NULL, OX_UNDEFINED, 0, no_dims, 0};
        return;
    }
    int32_t r = sx_resolve(s, t);
    const ox_tensor *x = &s->m->tensors[r];
    *v = (ox_view){s->vals[r].data, s->vals[r].dtype, x->rank, x->dims, s->vals[r].numel};
}

/* Data pointers of activations and inputs, then every operator's views. */
static jf_status bind(jf_onnx_session *s)
{
    uint8_t *base = s->arena;
    for (size_t t = 0; t < s->m->n_tensors; t++) {
        sx_value *x = &s->vals[t];
        if ((x->kind == SX_ACTIVATION || x->kind == SX_INPUT) && x->alias == (int32_t)t)
            x->data = base + x->offset;
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        sx_op *op = &s->ops[i];
        const ox_node *n = &s->m->nodes[op->node];
        op->in = jf__malloc((size_t)(n->n_in + n->n_out + 1) * sizeof *op->in);
        if (!op->in)
            return sx_fail(s, JF_ENOMEM, "out of memory");
        op->out = op->in + n->n_in;
        for (int k = 0; k < n->n_in; k++)
            set_view(s, &op->in[k], n->in[k]);
        for (int k = 0; k < n->n_out; k++)
            set_view(s, &op->out[k], n->out[k]);
        for (int k = 0; op->fused && k < op->fused->n_steps; k++)
            if (op->operand_value[k]) /* an activation's place is known from here on */
                op->fused->steps[k].operand = s->vals[sx_resolve(s, op->operand_value[k] - 1)].data;
    }
    return JF_OK;
}

static jf_status alloc_arena(jf_onnx_session *s)
{
    s->arena = jf__malloc(s->arena_bytes + SX_ALIGN);
    if (!s->arena)
        return sx_fail(s, JF_ENOMEM, "out of memory: an arena of %llu bytes",
                       (unsigned long long)s->arena_bytes);
    /* Kernels get 64-byte aligned memory: keep the block, hand out from an
     * aligned base. */
    s->arena_block = s->arena;
    s->arena = (void *)(((uintptr_t)s->arena + SX_ALIGN - 1) & ~(uintptr_t)(SX_ALIGN - 1));
    memset(s->arena, 0, s->arena_bytes);
    return JF_OK;
}

static jf_status create(jf_onnx_session *s)
{
    jf_status st = JF_OK;
    /* Parallelism is ours (slices on the workers): a multi-threaded
     * OpenBLAS inside a kernel would fight the pool for the cores. */
    openblas_set_num_threads(1);
    if (!s->ex) {
        st = jf_executor_local_create(1, &s->own_ex);
        s->ex = s->own_ex;
        if (st != JF_OK)
            return sx_fail(s, st, "cannot start a worker: %s", jf_status_str(st));
    }
    st = sx_values_plan(s);
    if (st == JF_OK)
        st = sx_values_load(s);
    if (st == JF_OK)
        st = sx_fold_batchnorm(s);
    if (st == JF_OK)
        st = sx_job_build(s);
    if (st == JF_OK)
        st = sx_memplan(s);
    if (st == JF_OK)
        st = alloc_arena(s);
    if (st == JF_OK)
        st = bind(s);
    return st;
}

jf_status jf_onnx_session_create(jf_onnx_model *m, const jf_onnx_session_options *opt,
                                 jf_executor *ex, jf_onnx_session **out)
{
    jf_onnx_session *s = jf__calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return JF_ENOMEM;
    s->m = m;
    s->ex = ex;
    if (opt)
        s->opt = *opt;
    atomic_init(&s->failed, 0);
    return create(s);
}

const char *jf_onnx_session_errmsg(const jf_onnx_session *s)
{
    return s ? s->err : "out of memory";
}

void jf_onnx_session_destroy(jf_onnx_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->ops && i < s->n_ops; i++) {
        jf__free(s->ops[i].in);
        jf__free(s->ops[i].scratch_off);
        jf__free(s->ops[i].fused);
        jf__free(s->ops[i].shift);
    }
    jf_plan_destroy(s->plan);
    jf_job_destroy(s->job);
    jf_executor_destroy(s->own_ex);
    jf__free(s->ops);
    jf__free(s->vals);
    jf__free(s->op_of_node);
    jf__free(s->tasks);
    jf__free(s->consts);
    jf__free(s->arena_block);
    jf__free(s->explain);
    jf__free(s);
}

size_t jf_onnx_session_input_count(const jf_onnx_session *s)
{
    return s->m->n_graph_inputs;
}

size_t jf_onnx_session_output_count(const jf_onnx_session *s)
{
    return s->m->n_graph_outputs;
}

static void describe(const jf_onnx_session *s, int32_t t, jf_onnx_tensor *out)
{
    int32_t r = sx_resolve(s, t);
    const ox_tensor *x = &s->m->tensors[r];
    memset(out, 0, sizeof *out);
    out->name = s->m->tensors[t].name;
    out->dtype = s->vals[r].dtype;
    out->rank = x->rank;
    for (int d = 0; d < x->rank; d++)
        out->dims[d] = x->dims[d];
    out->data = s->vals[r].data;
    out->bytes = s->vals[r].bytes;
}

jf_status jf_onnx_session_input(jf_onnx_session *s, size_t i, jf_onnx_tensor *out)
{
    if (i >= s->m->n_graph_inputs)
        return sx_fail(s, JF_EINVAL, "no input %zu: the model has %zu", i, s->m->n_graph_inputs);
    describe(s, s->m->graph_inputs[i], out);
    return JF_OK;
}

jf_status jf_onnx_session_output(const jf_onnx_session *s, size_t i, jf_onnx_tensor *out)
{
    if (i >= s->m->n_graph_outputs)
        return JF_EINVAL;
    describe(s, s->m->graph_outputs[i], out);
    return JF_OK;
}

jf_status jf_onnx_session_run(jf_onnx_session *s, const jf_run_params *rp, jf_run_stats *stats)
{
    if (!s->plan)
        return sx_fail(s, JF_EINVAL, "the session was not created");
    atomic_store(&s->failed, 0);
    jf_status st = jf_run(s->ex, s->plan, rp, stats);
    if (st != JF_OK && !atomic_load(&s->failed))
        sx_fail(s, st, "%s", jf_executor_errmsg(s->ex));
    return st;
}

const jf_plan *jf_onnx_session_plan(const jf_onnx_session *s)
{
    return s->plan;
}

const char *jf_onnx_session_explain(const jf_onnx_session *s)
{
    return s->explain ? s->explain : "";
}

uint64_t jf_onnx_session_arena_bytes(const jf_onnx_session *s)
{
    return s->arena_bytes;
}

uint64_t jf_onnx_session_weight_bytes(const jf_onnx_session *s)
{
    return s->const_bytes;
}
