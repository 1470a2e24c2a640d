/* Neural-network kernels (see kernel.h): the table, and the helpers the
 * kern_nn_*.c files share — window geometry, views of inferred shapes,
 * and the bias-plus-fused-steps pass over freshly written output. */
#include "onnx/kern_nn_impl.h"

const ox_kernel ox_kernels_nn[] = {
    {"Conv", ox_nn_conv_run, ox_nn_conv_slices, ox_nn_conv_scratch, 1},
    {"ConvTranspose", ox_nn_conv_transpose_run, ox_nn_conv_transpose_slices,
     ox_nn_conv_transpose_scratch, 1},
    {"ConvInteger", ox_nn_conv_integer_run, NULL, NULL, 0},
    {"MatMul", ox_nn_matmul_run, ox_nn_matmul_slices, NULL, 1},
    {"Gemm", ox_nn_gemm_run, ox_nn_gemm_slices, NULL, 1},
    {"MatMulInteger", ox_nn_matmul_integer_run, NULL, NULL, 0},
    {"QLinearConv", ox_nn_qlinear_conv_run, NULL, NULL, 0},
    {"QLinearMatMul", ox_nn_qlinear_matmul_run, NULL, NULL, 0},
    {"QuantizeLinear", ox_nn_quantize_run, NULL, NULL, 0},
    {"DequantizeLinear", ox_nn_dequantize_run, NULL, NULL, 0},
    {"DynamicQuantizeLinear", ox_nn_dynamic_quantize_run, NULL, NULL, 0},
    {"LSTM", ox_nn_lstm_run, NULL, ox_nn_lstm_scratch, 0},
    {"GRU", ox_nn_lstm_run, NULL, ox_nn_lstm_scratch, 0},
    {"RNN", ox_nn_lstm_run, NULL, ox_nn_lstm_scratch, 0},
    {"BatchNormalization", ox_nn_batchnorm_run, ox_nn_batchnorm_slices, NULL, 0},
    {"InstanceNormalization", ox_nn_instancenorm_run, NULL, NULL, 0},
    {"LayerNormalization", ox_nn_layernorm_run, NULL, NULL, 0},
    {"MaxPool", ox_nn_pool_run, ox_nn_pool_slices, NULL, 0},
    {"AveragePool", ox_nn_pool_run, ox_nn_pool_slices, NULL, 0},
    {"MaxUnpool", ox_nn_max_unpool_run, NULL, NULL, 0},
    {"LRN", ox_nn_lrn_run, NULL, NULL, 0},
    {"GlobalAveragePool", ox_nn_global_pool_run, ox_nn_global_pool_slices, NULL, 0},
    {"GlobalMaxPool", ox_nn_global_pool_run, ox_nn_global_pool_slices, NULL, 0},
    {"Softmax", ox_nn_softmax_run, NULL, NULL, 0},
    {"LogSoftmax", ox_nn_softmax_run, NULL, NULL, 0},
    {"Hardmax", ox_nn_softmax_run, NULL, NULL, 0},
    {"Resize", ox_nn_resize_run, ox_nn_resize_slices, ox_nn_resize_scratch, 0},
    {"Upsample", ox_nn_resize_run, ox_nn_resize_slices, ox_nn_resize_scratch, 0},
    {"Pad", ox_nn_pad_run, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* ---- window geometry ---- */

static int geom_lists(const ox_kcall *k, int nsp, int64_t *s, int64_t *d, int64_t *pads)
{
    int ns = ox_attr_ints(k->n, "strides", s, OX_SP);
    int nd = ox_attr_ints(k->n, "dilations", d, OX_SP);
    int np = ox_attr_ints(k->n, "pads", pads, 2 * OX_SP);
    if ((ns >= 0 && ns != nsp) || (nd >= 0 && nd != nsp) || (np >= 0 && np != 2 * nsp))
        return ox_kfail(k, "strides, dilations or pads do not have %d spatial values", nsp);
    for (int i = 0; i < nsp; i++) {
        if (ns < 0)
            s[i] = 1;
        if (nd < 0)
            d[i] = 1;
        if (np < 0)
            pads[i] = pads[nsp + i] = 0;
        if (s[i] < 1 || d[i] < 1 || pads[i] < 0 || pads[nsp + i] < 0)
            return ox_kfail(k, "bad stride, dilation or pad on spatial axis %d", i);
    }
    return 0;
}

/* Pads of auto_pad SAME_*: the output is ceil(in / stride). */
static void geom_same(ox_geom *g, int i, int lower)
{
    int64_t out = (g->in[i] + g->s[i] - 1) / g->s[i];
    int64_t total = (out - 1) * g->s[i] + (g->k[i] - 1) * g->d[i] + 1 - g->in[i];
    if (total < 0)
        total = 0;
    g->pb[i] = lower ? total - total / 2 : total / 2;
    g->pe[i] = total - g->pb[i];
}

static int geom_auto_pad(const ox_kcall *k, ox_geom *g)
{
    const char *ap = ox_attr_str(k->n, "auto_pad", "NOTSET");
    int same_upper = strcmp(ap, "SAME_UPPER") == 0, same_lower = strcmp(ap, "SAME_LOWER") == 0;
    int valid = strcmp(ap, "VALID") == 0;
    if (!same_upper && !same_lower && !valid && strcmp(ap, "NOTSET") != 0)
        return ox_kfail(k, "unknown auto_pad '%s'", ap);
    for (int i = OX_SP - g->nsp; i < OX_SP; i++) {
        if (valid)
            g->pb[i] = g->pe[i] = 0;
        else if (same_upper || same_lower)
            geom_same(g, i, same_lower);
    }
    return 0;
}

int ox_nn_geom(const ox_kcall *k, const ox_view *x, const ox_view *out, const int64_t *ks,
               ox_geom *g)
{
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > OX_SP || !out || out->rank != x->rank)
        return ox_kfail(k, "needs 1 to 3 spatial dimensions (input of rank %d)", x->rank);
    int64_t s[OX_SP], d[OX_SP], pads[2 * OX_SP];
    if (geom_lists(k, nsp, s, d, pads))
        return -1;
    g->nsp = nsp;
    int off = OX_SP - nsp;
    for (int i = 0; i < OX_SP; i++) {
        int j = i - off; /* index in the model's lists, < 0 for the leading 1s */
        g->in[i] = j < 0 ? 1 : x->dims[2 + j];
        g->out[i] = j < 0 ? 1 : out->dims[2 + j];
        g->k[i] = j < 0 ? 1 : ks[j];
        g->s[i] = j < 0 ? 1 : s[j];
        g->d[i] = j < 0 ? 1 : d[j];
        g->pb[i] = j < 0 ? 0 : pads[j];
        g->pe[i] = j < 0 ? 0 : pads[nsp + j];
        if (g->k[i] < 1 || g->in[i] < 0 || g->out[i] < 0)
            return ox_kfail(k, "bad kernel or spatial size on axis %d", j);
    }
    return geom_auto_pad(k, g);
}

/* ---- views of inferred shapes ---- */

int ox_nn_model_view(const jf_onnx_model *m, int32_t t, ox_view *v)
{
    memset(v, 0, sizeof *v);
    if (t < 0)
        return 0; /* omitted optional value: data NULL, rank 0 */
    const ox_tensor *tt = &m->tensors[t];
    if (tt->rank < 0)
        return -1;
    v->dtype = ox_run_dtype(tt->dtype);
    v->rank = tt->rank;
    v->dims = tt->dims;
    v->numel = 1;
    for (int d = 0; d < tt->rank; d++)
        v->numel *= tt->dims[d];
    /* A stand-in so code that tests for presence sees the value. */
    v->data = (void *)tt;
    return 0;
}

int ox_nn_model_call(const jf_onnx_model *m, const ox_node *n, ox_view *ins, ox_view *outs,
                     ox_kcall *k)
{
    if (n->n_in > 16 || n->n_out > 16)
        return -1;
    for (int i = 0; i < n->n_in; i++)
        if (ox_nn_model_view(m, n->in[i], &ins[i]))
            return -1;
    for (int i = 0; i < n->n_out; i++)
        if (ox_nn_model_view(m, n->out[i], &outs[i]))
            return -1;
    memset(k, 0, sizeof *k);
    k->m = m;
    k->n = n;
    k->in = ins;
    k->out = outs;
    k->n_slices = 1;
    return 0;
}

/* ---- scratch ---- */

/* Whether the run-time views have the shapes the model's inference gave
 * (then the scratch the runtime sized with the kernel's own `scratch`
 * function fits by construction, and need not be sized again). */
static int shapes_as_planned(const ox_kcall *k)
{
    const ox_node *n = k->n;
    for (int i = 0; i < n->n_in + n->n_out; i++) {
        int32_t t = i < n->n_in ? n->in[i] : n->out[i - n->n_in];
        const ox_view *v = i < n->n_in ? &k->in[i] : &k->out[i - n->n_in];
        if (t < 0 || !v->data)
            continue;
        const ox_tensor *tt = &k->m->tensors[t];
        if (tt->rank != v->rank ||
            (v->rank && memcmp(tt->dims, v->dims, (size_t)v->rank * sizeof *v->dims) != 0))
            return 0;
    }
    return 1;
}

int ox_nn_scratch_fits(const ox_kcall *k, size_t need,
                       size_t (*planned)(const jf_onnx_model *, const ox_node *, int64_t))
{
    if (need == 0)
        return 1;
    if (!k->scratch || !k->m)
        return 0;
    return shapes_as_planned(k) || need <= planned(k->m, k->n, k->n_slices);
}

/* ---- inputs, outputs, finishing ---- */

const ox_view *ox_nn_float_in(const ox_kcall *k, int i)
{
    if (i >= k->n->n_in || !k->in[i].data) {
        ox_kfail(k, "input %d is missing", i);
        return NULL;
    }
    if (k->in[i].dtype != OX_FLOAT) {
        ox_kfail(k, "input %d has dtype %d, not float", i, (int)k->in[i].dtype);
        return NULL;
    }
    return &k->in[i];
}

const ox_view *ox_nn_float_out(const ox_kcall *k, int i, int64_t numel)
{
    if (i >= k->n->n_out || !k->out[i].data || k->out[i].dtype != OX_FLOAT) {
        ox_kfail(k, "output %d is missing or not float", i);
        return NULL;
    }
    if (k->out[i].numel != numel) {
        ox_kfail(k, "output %d has %lld elements, the inputs give %lld", i,
                 (long long)k->out[i].numel, (long long)numel);
        return NULL;
    }
    return &k->out[i];
}

OX_VEC static void add_bias(float *y, int64_t count, float bias)
{
    for (int64_t i = 0; i < count; i++)
        y[i] += bias;
}

void ox_nn_finish(const ox_kcall *k, float *y, int64_t start, int64_t count, float bias)
{
    if (bias != 0.0f)
        add_bias(y + start, count, bias);
    if (k->fused)
        ox_fused_apply(k->fused, y, start, count);
}
