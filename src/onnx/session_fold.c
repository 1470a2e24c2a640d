/* Folding BatchNormalization into the Conv before it, at creation.
 *
 * Inference BN is y = x * s + t per channel (s = scale / sqrt(var + eps),
 * t = B - mean * s). Where a Conv's output is read by the BN alone and the
 * Conv's weights and bias are read by that Conv alone, the session's
 * converted copy of the weights takes s (row m of W times s[m]) and the bias
 * takes t (b * s + t). A Conv without a bias gets t as its first fused step
 * instead (an ADD over channels), since its node has no input to hold it.
 * The BN's task then does nothing and its output is the Conv's. ONNX Runtime
 * folds the same way; outputs move by rounding only (well inside the 1e-4
 * the session tests allow). Folding counts as fusing: no_fuse turns it off,
 * which gives the tests their unfolded reference.
 *
 * A BN that cannot fold (det's follows a ConvTranspose and its bias Add)
 * still fuses into the producer's chain as two steps, MUL s and ADD t per
 * channel (sx_batchnorm_steps, called by fuse.c). */
#include <math.h>

#include "onnx/session_impl.h"

/* Running ops reading t (each once); a graph output counts as one more. */
static int n_readers(const jf_onnx_session *s, int32_t t)
{
    int count = 0;
    for (size_t i = 0; i < s->m->n_graph_outputs; i++)
        count += sx_resolve(s, s->m->graph_outputs[i]) == t;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &s->m->nodes[s->ops[i].node];
        int reads = 0;
        for (int k = 0; k < n->n_in && !s->ops[i].folded; k++)
            reads |= n->in[k] >= 0 && sx_resolve(s, n->in[k]) == t;
        count += reads;
    }
    return count;
}

/* Input k of n as a float constant of `numel` values read by n alone (its
 * data may be changed), or NULL. */
static float *own_const(const jf_onnx_session *s, const ox_node *n, int k, int64_t numel)
{
    if (k >= n->n_in || n->in[k] < 0)
        return NULL;
    int32_t t = sx_resolve(s, n->in[k]);
    const sx_value *v = &s->vals[t];
    if (v->kind != SX_CONST || v->dtype != OX_FLOAT || v->numel != numel)
        return NULL;
    return n_readers(s, t) == 1 ? v->data : NULL;
}

/* The BN's four parameters, each a float constant of c values. */
static int bn_params(const jf_onnx_session *s, const ox_node *bn, int64_t c, const float *p[4])
{
    for (int k = 1; k <= 4; k++) {
        int32_t t = k < bn->n_in && bn->in[k] >= 0 ? sx_resolve(s, bn->in[k]) : -1;
        if (t < 0 || s->vals[t].kind != SX_CONST || s->vals[t].dtype != OX_FLOAT ||
            s->vals[t].numel != c)
            return 0;
        p[k - 1] = s->vals[t].data;
    }
    return 1;
}

/* A BatchNormalization in inference mode with only its first output. */
static int bn_inference(const ox_node *bn)
{
    if (strcmp(bn->op, "BatchNormalization") || bn->n_in != 5 || bn->in[0] < 0 ||
        bn->n_out < 1 || bn->out[0] < 0 ||
        (bn->opset >= 14 && ox_attr_int(bn, "training_mode", 0)))
        return 0;
    for (int k = 1; k < bn->n_out; k++)
        if (bn->out[k] >= 0)
            return 0;
    return 1;
}

/* The Conv op whose output op i (a BN in inference mode) alone reads, or -1. */
static int32_t conv_before(const jf_onnx_session *s, uint32_t i)
{
    const ox_node *bn = &s->m->nodes[s->ops[i].node];
    if (!bn_inference(bn))
        return -1;
    int32_t x = sx_resolve(s, bn->in[0]);
    const sx_value *v = &s->vals[x];
    if (v->kind != SX_ACTIVATION || v->dtype != OX_FLOAT || v->op < 0 || n_readers(s, x) != 1)
        return -1;
    const sx_op *p = &s->ops[v->op];
    const ox_node *pn = &s->m->nodes[p->node];
    if (strcmp(pn->op, "Conv") || p->fused || sx_resolve(s, pn->out[0]) != x ||
        s->m->tensors[x].rank < 2)
        return -1;
    return v->op;
}

/* The Conv's output gains t per channel as its first fused step. */
static jf_status shift_step(jf_onnx_session *s, sx_op *p, int32_t x, float *t)
{
    const ox_tensor *out = &s->m->tensors[x];
    ox_fused f;
    memset(&f, 0, sizeof f);
    f.n_steps = 1;
    f.rank = out->rank;
    memcpy(f.dims, out->dims, sizeof f.dims);
    f.steps[0].kind = OX_FUSE_ADD;
    f.steps[0].operand = t;
    f.steps[0].strides[1] = 1; /* one value per channel, dim 1 of N x C x ... */
    p->shift = t;
    p->fused = jf__malloc(sizeof f);
    if (!p->fused)
        return sx_fail(s, JF_ENOMEM, "out of memory");
    *p->fused = f;
    return JF_OK;
}

/* Scale W's rows and the bias (or make the shift step). 1 when folded,
 * 0 when the Conv's weights are not its own, -1 out of memory. */
static int fold_into(jf_onnx_session *s, sx_op *p, const ox_node *bn, const float *bp[4])
{
    const ox_node *pn = &s->m->nodes[p->node];
    int32_t x = sx_resolve(s, pn->out[0]);
    int64_t c = s->m->tensors[x].dims[1];
    int32_t wt = pn->n_in > 1 && pn->in[1] >= 0 ? sx_resolve(s, pn->in[1]) : -1;
    int64_t per = wt >= 0 && c > 0 ? s->vals[wt].numel / c : 0;
    float *w = per > 0 && per * c == s->vals[wt].numel ? own_const(s, pn, 1, per * c) : NULL;
    int has_bias = pn->n_in > 2 && pn->in[2] >= 0;
    float *b = has_bias ? own_const(s, pn, 2, c) : NULL;
    float *t = has_bias ? NULL : jf__malloc((size_t)c * sizeof *t);
    if (!w || (has_bias && !b) || (!has_bias && !t))
        return jf__free(t), !w || (has_bias && !b) ? 0 : -1;
    float eps = (float)ox_attr_float(bn, "epsilon", 1e-5);
    for (int64_t m = 0; m < c; m++) {
        /* as the BN kernel works them out */
        float mul = bp[0][m] / sqrtf(bp[3][m] + eps), add = bp[1][m] - bp[2][m] * mul;
        for (int64_t j = 0; j < per; j++)
            w[m * per + j] *= mul;
        if (b)
            b[m] = b[m] * mul + add;
        else
            t[m] = add;
    }
    return b || shift_step(s, p, x, t) == JF_OK ? 1 : -1;
}

static jf_status fold_one(jf_onnx_session *s, uint32_t i)
{
    int32_t pi = conv_before(s, i);
    if (pi < 0)
        return JF_OK;
    sx_op *p = &s->ops[pi];
    const ox_node *bn = &s->m->nodes[s->ops[i].node];
    int32_t x = sx_resolve(s, s->m->nodes[p->node].out[0]);
    const float *bp[4];
    if (!bn_params(s, bn, s->m->tensors[x].dims[1], bp))
        return JF_OK;
    int rc = fold_into(s, p, bn, bp);
    if (rc < 0)
        return sx_fail(s, JF_ENOMEM, "out of memory");
    if (rc == 0)
        return JF_OK;
    s->ops[i].folded = 1;
    s->ops[i].fused_into = pi;
    s->vals[sx_resolve(s, bn->out[0])].alias = x;
    sx_note(s, "folded %s (%s) into %s (Conv)%s", bn->id, bn->op, s->m->nodes[p->node].id,
            p->shift ? ", its shift a fused step" : "");
    return JF_OK;
}

jf_status sx_fold_batchnorm(jf_onnx_session *s)
{
    jf_status st = JF_OK;
    if (s->opt.no_fuse)
        return JF_OK;
    for (size_t i = 0; i < s->n_ops && st == JF_OK; i++)
        st = fold_one(s, (uint32_t)i);
    return st;
}

/* Per-channel steps on an N x C x ... output: operand a, one value per
 * channel (dim 1). */
static void channel_step(ox_fuse_step *st, ox_fuse_kind kind, const float *a)
{
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->operand = a;
    st->strides[1] = 1;
}

int sx_batchnorm_steps(jf_onnx_session *s, uint32_t op, int32_t x, ox_fuse_step st[2])
{
    sx_op *o = &s->ops[op];
    const ox_node *bn = &s->m->nodes[o->node];
    const ox_tensor *xt = &s->m->tensors[x];
    if (o->folded || !bn_inference(bn) || sx_resolve(s, bn->in[0]) != x || xt->rank < 2 ||
        s->vals[x].dtype != OX_FLOAT || s->vals[sx_resolve(s, bn->out[0])].numel != s->vals[x].numel)
        return 0;
    int64_t c = xt->dims[1];
    const float *bp[4];
    if (!bn_params(s, bn, c, bp))
        return 0;
    float *a = o->shift ? o->shift : jf__malloc((size_t)(2 * c) * sizeof *a);
    if (!a)
        return sx_fail(s, JF_ENOMEM, "out of memory"), -1;
    o->shift = a;
    float eps = (float)ox_attr_float(bn, "epsilon", 1e-5);
    for (int64_t m = 0; m < c; m++) { /* as the BN kernel works them out */
        a[m] = bp[0][m] / sqrtf(bp[3][m] + eps);
        a[c + m] = bp[1][m] - bp[2][m] * a[m];
    }
    channel_step(&st[0], OX_FUSE_MUL, a);
    channel_step(&st[1], OX_FUSE_ADD, a + c);
    return 1;
}
