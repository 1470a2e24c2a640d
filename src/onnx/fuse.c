/* Fusing element-wise operators into their producer's kernel. Where the
 * plan runs a node whose kernel applies fused steps (Conv, Gemm, ...) and,
 * as the very next members of the same target, element-wise nodes each
 * reading only the previous one's output (Conv -> Add bias -> Relu), the
 * producer applies them as it writes its output: the fused nodes' tasks do
 * nothing and their outputs share the producer's memory. Combining is what
 * makes this possible: the steps must run back to back anyway. */
#include <math.h>

#include "onnx/session_impl.h"

/* Ops reading each value (resolved), and whether it is a graph output. */
typedef struct {
    uint32_t *n_readers;
    uint8_t *is_output;
} usage;

static int usage_make(const jf_onnx_session *s, usage *u)
{
    const jf_onnx_model *m = s->m;
    u->n_readers = jf__calloc(m->n_tensors + 1, sizeof *u->n_readers);
    u->is_output = jf__calloc(m->n_tensors + 1, 1);
    if (!u->n_readers || !u->is_output)
        return -1;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &m->nodes[s->ops[i].node];
        for (int k = 0; k < n->n_in; k++) {
            int seen = n->in[k] < 0;
            for (int j = 0; j < k && !seen; j++)
                seen = n->in[j] == n->in[k];
            if (!seen)
                u->n_readers[sx_resolve(s, n->in[k])]++;
        }
    }
    for (size_t i = 0; i < m->n_graph_outputs; i++)
        u->is_output[sx_resolve(s, m->graph_outputs[i])] = 1;
    return 0;
}

static int is_float_const(const jf_onnx_session *s, int32_t t)
{
    const sx_value *v = &s->vals[sx_resolve(s, t)];
    return v->kind == SX_CONST && v->dtype == OX_FLOAT;
}

/* Operand strides over the output's dims (numpy broadcast, 0 where the
 * operand's dim is 1 or absent); -1 when it does not broadcast to out. */
static int operand_strides(const ox_tensor *operand, const ox_tensor *out, int64_t *strides)
{
    if (operand->rank > out->rank)
        return -1;
    int64_t stride = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
        int od = d - (out->rank - operand->rank);
        int64_t dim = od >= 0 ? operand->dims[od] : 1;
        if (dim != 1 && dim != out->dims[d])
            return -1;
        strides[d] = dim == 1 ? 0 : stride;
        stride *= dim;
    }
    return 0;
}

static int same_shape(const ox_tensor *a, const ox_tensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    return 1;
}

/* Clip's bound: input k (opset 11+) or the attribute; 0 when not constant. */
static int clip_bound(const jf_onnx_session *s, const ox_node *n, int k, const char *attr,
                      float def, float *out)
{
    *out = def;
    if (n->n_in > k && n->in[k] >= 0) {
        int32_t t = sx_resolve(s, n->in[k]);
        if (!is_float_const(s, t) || s->vals[t].numel != 1)
            return 0;
        *out = *(const float *)s->vals[t].data;
        return 1;
    }
    *out = (float)ox_attr_float(n, attr, def);
    return 1;
}

/* The step node n performs on x (its input read from the chain), or 0 when
 * it cannot be fused. */
static int fuse_step(const jf_onnx_session *s, const ox_node *n, int32_t x, ox_fuse_step *st)
{
    const jf_onnx_model *m = s->m;
    const ox_tensor *out = &m->tensors[sx_resolve(s, n->out[0])];
    memset(st, 0, sizeof *st);
    if (n->n_out != 1 || s->vals[sx_resolve(s, n->out[0])].dtype != OX_FLOAT ||
        !same_shape(out, &m->tensors[x]))
        return 0;
    if (strcmp(n->op, "Add") == 0 || strcmp(n->op, "Mul") == 0) {
        if (n->n_in != 2 || n->in[0] < 0 || n->in[1] < 0)
            return 0;
        int32_t a = sx_resolve(s, n->in[0]), b = sx_resolve(s, n->in[1]);
        int32_t other = a == x ? b : b == x ? a : -1;
        if (other < 0 || other == x || !is_float_const(s, other) ||
            operand_strides(&m->tensors[other], out, st->strides))
            return 0;
        st->kind = n->op[0] == 'A' ? OX_FUSE_ADD : OX_FUSE_MUL;
        st->operand = s->vals[other].data;
        return 1;
    }
    if (n->n_in < 1 || sx_resolve(s, n->in[0]) != x)
        return 0;
    for (int k = 1; k < n->n_in; k++) /* Clip's bounds must not be x */
        if (n->in[k] >= 0 && sx_resolve(s, n->in[k]) == x)
            return 0;
    if (strcmp(n->op, "Relu") == 0)
        return st->kind = OX_FUSE_RELU, n->n_in == 1;
    if (strcmp(n->op, "Sigmoid") == 0)
        return st->kind = OX_FUSE_SIGMOID, n->n_in == 1;
    if (strcmp(n->op, "LeakyRelu") == 0) {
        st->kind = OX_FUSE_LEAKY_RELU;
        st->a = (float)ox_attr_float(n, "alpha", 0.01);
        return n->n_in == 1;
    }
    if (strcmp(n->op, "HardSigmoid") == 0) {
        st->kind = OX_FUSE_HARD_SIGMOID;
        st->a = (float)ox_attr_float(n, "alpha", 0.2);
        st->b = (float)ox_attr_float(n, "beta", 0.5);
        return n->n_in == 1;
    }
    if (strcmp(n->op, "Clip") == 0) {
        st->kind = OX_FUSE_CLIP;
        return clip_bound(s, n, 1, "min", -INFINITY, &st->a) &&
               clip_bound(s, n, 2, "max", INFINITY, &st->b);
    }
    return 0;
}

/* x is read by op alone and is no graph output. */
static int read_by_alone(const jf_onnx_session *s, int32_t x, uint32_t op)
{
    for (size_t i = 0; i < s->m->n_graph_outputs; i++)
        if (sx_resolve(s, s->m->graph_outputs[i]) == x)
            return 0;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &s->m->nodes[s->ops[i].node];
        if (i == op)
            continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && sx_resolve(s, n->in[k]) == x)
                return 0;
    }
    return 1;
}

int sx_fuse_fits(const jf_onnx_session *s, uint32_t producer, uint32_t op)
{
    const ox_node *p = &s->m->nodes[s->ops[producer].node];
    const ox_node *n = &s->m->nodes[s->ops[op].node];
    ox_fuse_step step;
    if (p->n_out < 1 || p->out[0] < 0 || n->n_out < 1 || n->out[0] < 0)
        return 0;
    int32_t x = sx_resolve(s, p->out[0]);
    return fuse_step(s, n, x, &step) && read_by_alone(s, x, op);
}

/* The op of the member after position k of the target, or -1. */
static int32_t next_op(const jf_onnx_session *s, const uint32_t *members, uint32_t count,
                       uint32_t k)
{
    if (k + 1 >= count)
        return -1;
    return (int32_t)s->tasks[members[k + 1]].op;
}

/* Grow a chain from the producer at member position k of a target. */
static jf_status fuse_from(jf_onnx_session *s, const usage *u, const uint32_t *members,
                           uint32_t count, uint32_t k)
{
    sx_op *p = &s->ops[s->tasks[members[k]].op];
    const ox_node *pn = &s->m->nodes[p->node];
    if (!p->k->fuses || p->fused || pn->n_out < 1 || pn->out[0] < 0 ||
        s->vals[sx_resolve(s, pn->out[0])].dtype != OX_FLOAT)
        return JF_OK;
    ox_fused f;
    memset(&f, 0, sizeof f);
    int32_t x = sx_resolve(s, pn->out[0]);
    uint32_t at = k;
    int32_t chain[8];
    while (f.n_steps < 8 && !u->is_output[x] && u->n_readers[x] == 1) {
        int32_t j = next_op(s, members, count, at);
        if (j < 0 || s->ops[j].n_slices != 1 || s->ops[j].fused_into >= 0 ||
            !fuse_step(s, &s->m->nodes[s->ops[j].node], x, &f.steps[f.n_steps]))
            break;
        chain[f.n_steps++] = j;
        x = sx_resolve(s, s->m->nodes[s->ops[j].node].out[0]);
        at++;
    }
    if (!f.n_steps)
        return JF_OK;
    const ox_tensor *out = &s->m->tensors[sx_resolve(s, pn->out[0])];
    f.rank = out->rank;
    memcpy(f.dims, out->dims, sizeof f.dims);
    p->fused = jf__malloc(sizeof f);
    if (!p->fused)
        return sx_fail(s, JF_ENOMEM, "out of memory");
    *p->fused = f;
    for (int i = 0; i < f.n_steps; i++) {
        sx_op *j = &s->ops[chain[i]];
        const ox_node *jn = &s->m->nodes[j->node];
        j->fused_into = (int32_t)(p - s->ops);
        /* The fused node's output is the producer's output, updated. */
        s->vals[sx_resolve(s, jn->out[0])].alias = sx_resolve(s, pn->out[0]);
        sx_note(s, "fused %s (%s) into %s (%s)", jn->id, jn->op, pn->id, pn->op);
    }
    return JF_OK;
}

jf_status sx_fuse(jf_onnx_session *s)
{
    usage u;
    jf_status st = usage_make(s, &u) ? sx_fail(s, JF_ENOMEM, "out of memory") : JF_OK;
    uint32_t targets = st == JF_OK ? jf_plan_target_count(s->plan) : 0;
    for (uint32_t g = 0; g < targets && st == JF_OK; g++) {
        const uint32_t *members;
        uint32_t count = jf_plan_target_members(s->plan, g, &members);
        for (uint32_t k = 0; k + 1 < count && st == JF_OK; k++)
            st = fuse_from(s, &u, members, count, k);
    }
    jf__free(u.n_readers);
    jf__free(u.is_output);
    return st;
}
