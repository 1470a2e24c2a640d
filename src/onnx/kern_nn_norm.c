/* Normalisations and softmax: BatchNormalization (inference, and training
 * mode with its running statistics), InstanceNormalization,
 * LayerNormalization (with Mean/InvStdDev outputs), Softmax, LogSoftmax
 * and Hardmax with both axis conventions (opset < 13 flattens to 2-D at
 * the axis, 13 and later work along the one axis). */
#pragma GCC optimize("fp-contract=fast")
#include <math.h>

#include "onnx/kern_nn_impl.h"

/* ---- BatchNormalization ---- */

typedef struct {
    const float *x, *scale, *bias, *mean, *var;
    float *y, *run_mean, *run_var;
    int64_t n, c, size; /* images, channels, values per plane */
    float eps, momentum;
    int training;
} bn_args;

static int bn_params(const ox_kcall *k, bn_args *a)
{
    const float **dst[4] = {&a->scale, &a->bias, &a->mean, &a->var};
    for (int i = 1; i <= 4; i++) {
        const ox_view *v = ox_nn_float_in(k, i);
        if (!v)
            return -1;
        if (v->numel != a->c)
            return ox_kfail(k, "input %d has %lld values for %lld channels", i, (long long)v->numel,
                            (long long)a->c);
        *dst[i - 1] = v->data;
    }
    return 0;
}

static int bn_outputs(const ox_kcall *k, bn_args *a)
{
    a->run_mean = a->run_var = NULL;
    if (!a->training)
        return 0;
    for (int i = 1; i < 3 && i < k->n->n_out; i++) {
        if (!k->out[i].data)
            continue;
        const ox_view *v = ox_nn_float_out(k, i, a->c);
        if (!v)
            return -1;
        *(i == 1 ? &a->run_mean : &a->run_var) = v->data;
    }
    return 0;
}

static int bn_prepare(const ox_kcall *k, bn_args *a)
{
    const ox_view *x = ox_nn_float_in(k, 0);
    if (!x)
        return -1;
    if (x->rank < 2)
        return ox_kfail(k, "input of rank %d", x->rank);
    a->n = x->dims[0];
    a->c = x->dims[1];
    a->size = a->n > 0 && a->c > 0 ? x->numel / (a->n * a->c) : 0;
    a->eps = (float)ox_attr_float(k->n, "epsilon", 1e-5);
    a->momentum = (float)ox_attr_float(k->n, "momentum", 0.9);
    a->training = k->n->opset >= 14 && ox_attr_int(k->n, "training_mode", 0) != 0;
    const ox_view *y = ox_nn_float_out(k, 0, x->numel);
    if (!y || bn_params(k, a) || bn_outputs(k, a))
        return -1;
    a->x = x->data;
    a->y = y->data;
    return 0;
}

OX_VEC static void scale_shift(const float *x, float *y, int64_t count, float mul, float add)
{
    for (int64_t i = 0; i < count; i++)
        y[i] = x[i] * mul + add;
}

/* Mean and (population) variance of channel c over all images. */
static void bn_batch_stats(const bn_args *a, int64_t c, float *mean, float *var)
{
    double s = 0, s2 = 0;
    for (int64_t n = 0; n < a->n; n++) {
        const float *p = a->x + (n * a->c + c) * a->size;
        for (int64_t i = 0; i < a->size; i++) {
            s += p[i];
            s2 += (double)p[i] * p[i];
        }
    }
    double cnt = (double)JF__MAX(a->n * a->size, 1), m = s / cnt;
    *mean = (float)m;
    *var = (float)JF__MAX(s2 / cnt - m * m, 0.0);
}

int ox_nn_batchnorm_run(const ox_kcall *k)
{
    bn_args a = {0};
    if (bn_prepare(k, &a))
        return -1;
    int64_t lo, hi;
    ox_slice_range(a.c, k->slice, k->n_slices, &lo, &hi);
    for (int64_t c = lo; c < hi; c++) {
        float mean = a.mean[c], var = a.var[c];
        if (a.training) {
            bn_batch_stats(&a, c, &mean, &var);
            if (a.run_mean)
                a.run_mean[c] = a.mean[c] * a.momentum + mean * (1 - a.momentum);
            if (a.run_var)
                a.run_var[c] = a.var[c] * a.momentum + var * (1 - a.momentum);
        }
        float mul = a.scale[c] / sqrtf(var + a.eps), add = a.bias[c] - mean * mul;
        for (int64_t n = 0; n < a.n; n++) {
            int64_t at = (n * a.c + c) * a.size;
            scale_shift(a.x + at, a.y + at, a.size, mul, add);
        }
    }
    return 0;
}

int64_t ox_nn_batchnorm_slices(const jf_onnx_model *m, const ox_node *n)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    if (!m || ox_nn_model_call(m, n, ins, outs, &k) || n->n_in < 1 || ins[0].rank < 2)
        return 1;
    return JF__MAX(ins[0].dims[1], 1);
}

/* ---- InstanceNormalization ---- */

static void plane_stats(const float *x, int64_t size, float *mean, float *var)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < size; i++) {
        s += x[i];
        s2 += (double)x[i] * x[i];
    }
    double m = size ? s / (double)size : 0;
    *mean = (float)m;
    *var = size ? (float)JF__MAX(s2 / (double)size - m * m, 0.0) : 0.0f;
}

int ox_nn_instancenorm_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0), *s = x ? ox_nn_float_in(k, 1) : NULL;
    const ox_view *b = s ? ox_nn_float_in(k, 2) : NULL;
    if (!b)
        return -1;
    if (x->rank < 2 || s->numel != x->dims[1] || b->numel != x->dims[1])
        return ox_kfail(k, "scale and B need one value per channel");
    const ox_view *y = ox_nn_float_out(k, 0, x->numel);
    if (!y)
        return -1;
    int64_t c_n = x->dims[1], planes = x->dims[0] * c_n, size = planes ? x->numel / planes : 0;
    float eps = (float)ox_attr_float(k->n, "epsilon", 1e-5);
    const float *sv = s->data, *bv = b->data;
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = (const float *)x->data + p * size;
        float mean, var;
        plane_stats(xp, size, &mean, &var);
        float mul = sv[p % c_n] / sqrtf(var + eps);
        scale_shift(xp, (float *)y->data + p * size, size, mul, bv[p % c_n] - mean * mul);
    }
    return 0;
}

/* ---- LayerNormalization ---- */

typedef struct {
    const float *x, *scale, *bias;
    float *y, *mean, *inv_std;
    int64_t outer, inner;
    int rank, axis;
    const int64_t *dims;
    int64_t s_str[OX_MAX_RANK], b_str[OX_MAX_RANK]; /* over the normalised dims */
    int s_full, b_full;                             /* scale/B have exactly `inner` values */
} ln_args;

/* Strides of a parameter broadcast over dims[axis:], right-aligned. */
static int ln_strides(const ox_kcall *k, const ln_args *a, const ox_view *v, int64_t *str)
{
    int nd = a->rank - a->axis;
    if (v->rank > nd)
        return ox_kfail(k, "scale/B of rank %d for %d normalised dims", v->rank, nd);
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int j = i - (nd - v->rank);
        int64_t d = j >= 0 ? v->dims[j] : 1, want = a->dims[a->axis + i];
        if (d != want && d != 1)
            return ox_kfail(k, "scale/B do not broadcast to the normalised dims");
        str[i] = d == 1 ? 0 : s;
        s *= d;
    }
    return 0;
}

static int64_t ln_param_index(const ln_args *a, const int64_t *str, int64_t j)
{
    int64_t off = 0;
    for (int i = a->rank - a->axis - 1; i >= 0; i--) {
        int64_t d = a->dims[a->axis + i];
        off += (j % d) * str[i];
        j /= d;
    }
    return off;
}

static int ln_outputs(const ox_kcall *k, ln_args *a)
{
    a->mean = a->inv_std = NULL;
    for (int i = 1; i < 3 && i < k->n->n_out; i++) {
        if (!k->out[i].data)
            continue;
        const ox_view *v = ox_nn_float_out(k, i, a->outer);
        if (!v)
            return -1;
        *(i == 1 ? &a->mean : &a->inv_std) = v->data;
    }
    return 0;
}

static int ln_prepare(const ox_kcall *k, ln_args *a)
{
    const ox_view *x = ox_nn_float_in(k, 0), *s = x ? ox_nn_float_in(k, 1) : NULL;
    if (!s)
        return -1;
    int64_t axis = ox_attr_int(k->n, "axis", -1);
    if (axis < -x->rank || axis >= x->rank)
        return ox_kfail(k, "axis %lld out of range", (long long)axis);
    a->rank = x->rank;
    a->axis = (int)(axis < 0 ? axis + x->rank : axis);
    a->dims = x->dims;
    a->outer = 1;
    for (int i = 0; i < a->axis; i++)
        a->outer *= x->dims[i];
    a->inner = a->outer ? x->numel / a->outer : 0;
    const ox_view *b = k->n->n_in > 2 && k->in[2].data ? ox_nn_float_in(k, 2) : NULL;
    if (k->n->n_in > 2 && k->in[2].data && !b)
        return -1;
    if (ln_strides(k, a, s, a->s_str) || (b && ln_strides(k, a, b, a->b_str)))
        return -1;
    const ox_view *y = ox_nn_float_out(k, 0, x->numel);
    if (!y || ln_outputs(k, a))
        return -1;
    a->x = x->data;
    a->y = y->data;
    a->scale = s->data;
    a->bias = b ? b->data : NULL;
    a->s_full = s->numel == a->inner;
    a->b_full = b && b->numel == a->inner;
    return 0;
}

static void ln_row(const ln_args *a, int64_t r, float eps)
{
    const float *x = a->x + r * a->inner;
    float *y = a->y + r * a->inner, mean, var;
    plane_stats(x, a->inner, &mean, &var);
    float inv = 1.0f / sqrtf(var + eps);
    for (int64_t j = 0; j < a->inner; j++) {
        float s = a->scale[a->s_full ? j : ln_param_index(a, a->s_str, j)];
        float b = !a->bias ? 0.0f : a->bias[a->b_full ? j : ln_param_index(a, a->b_str, j)];
        y[j] = (x[j] - mean) * inv * s + b;
    }
    if (a->mean)
        a->mean[r] = mean;
    if (a->inv_std)
        a->inv_std[r] = inv;
}

int ox_nn_layernorm_run(const ox_kcall *k)
{
    ln_args a = {0};
    if (ln_prepare(k, &a))
        return -1;
    float eps = (float)ox_attr_float(k->n, "epsilon", 1e-5);
    for (int64_t r = 0; r < a.outer; r++)
        ln_row(&a, r, eps);
    return 0;
}

/* ---- Softmax, LogSoftmax, Hardmax ---- */

enum { SM_SOFT, SM_LOG, SM_HARD };

/* e^x for x <= 0 (softmax's shifted values), within 2 ulp, as plain
 * arithmetic the compiler vectorises: e^x = 2^n e^r with |r| <= ln2 / 2,
 * e^r by Cephes' polynomial, 2^n built in the exponent bits. */
static inline float exp_nonpositive(float x)
{
    x = x < -87.0f ? -87.0f : x;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* A contiguous line: max, exponentials and their sum 16 lanes at a time. */
OX_VEC static void softmax_contiguous(const float *x, float *y, int64_t count, int kind)
{
    float lane[16], mx = -INFINITY, sum = 0;
    for (int j = 0; j < 16; j++)
        lane[j] = -INFINITY;
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int j = 0; j < 16; j++)
            lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
    for (; i < count; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int j = 0; j < 16; j++)
        mx = lane[j] > mx ? lane[j] : mx;
    for (i = 0; i < count; i++)
        y[i] = exp_nonpositive(x[i] - mx);
    for (int j = 0; j < 16; j++)
        lane[j] = 0;
    for (i = 0; i + 16 <= count; i += 16)
        for (int j = 0; j < 16; j++)
            lane[j] += y[i + j];
    for (; i < count; i++)
        sum += y[i];
    for (int j = 0; j < 16; j++)
        sum += lane[j];
    float inv = 1.0f / sum, lse = mx + logf(sum);
    for (i = 0; i < count; i++)
        y[i] = kind == SM_SOFT ? y[i] * inv : x[i] - lse;
}

/* One line of `count` values `stride` apart. */
static void softmax_line(const float *x, float *y, int64_t count, int64_t stride, int kind)
{
    if (stride == 1 && kind != SM_HARD && count > 0) {
        softmax_contiguous(x, y, count, kind);
        return;
    }
    float mx = -INFINITY;
    int64_t arg = 0;
    for (int64_t i = 0; i < count; i++)
        if (x[i * stride] > mx) {
            mx = x[i * stride];
            arg = i;
        }
    if (kind == SM_HARD) {
        for (int64_t i = 0; i < count; i++)
            y[i * stride] = i == arg ? 1.0f : 0.0f;
        return;
    }
    double sum = 0;
    for (int64_t i = 0; i < count; i++) {
        float e = expf(x[i * stride] - mx);
        sum += e;
        if (kind == SM_SOFT)
            y[i * stride] = e;
    }
    float inv = (float)(1.0 / sum), lse = mx + logf((float)sum);
    for (int64_t i = 0; i < count; i++)
        y[i * stride] = kind == SM_SOFT ? y[i * stride] * inv : x[i * stride] - lse;
}

int ox_nn_softmax_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0);
    const ox_view *y = x ? ox_nn_float_out(k, 0, x->numel) : NULL;
    if (!y)
        return -1;
    int legacy = k->n->opset < 13, rank = x->rank ? x->rank : 1;
    int64_t axis = ox_attr_int(k->n, "axis", legacy ? 1 : -1);
    if (axis < -rank || axis >= rank)
        return ox_kfail(k, "axis %lld out of range for rank %d", (long long)axis, x->rank);
    if (axis < 0)
        axis += rank;
    /* Lines of `dim` values `inner` apart. Before opset 13 the input is
     * seen as 2-D [before axis, from axis on], so the line is everything
     * from the axis on. */
    int64_t outer = 1, dim = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else if (i == axis || legacy)
            dim *= x->dims[i];
        else
            inner *= x->dims[i];
    }
    int kind = strcmp(k->n->op, "LogSoftmax") == 0 ? SM_LOG
               : strcmp(k->n->op, "Hardmax") == 0  ? SM_HARD
                                                   : SM_SOFT;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t at = o * dim * inner + i;
            softmax_line((const float *)x->data + at, (float *)y->data + at, dim, inner, kind);
        }
    return 0;
}

/* ---- LRN ---- */

/* y = x / (bias + alpha / size * sum of x^2 over the nearby channels)^beta,
 * channels c - (size - 1) / 2 .. c + size / 2 (clipped). */
int ox_nn_lrn_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0);
    const ox_view *y = x ? ox_nn_float_out(k, 0, x->numel) : NULL;
    if (!y)
        return -1;
    int64_t size = ox_attr_int(k->n, "size", 0);
    if (x->rank < 2 || size < 1)
        return ox_kfail(k, "needs an input of rank 2 or more and a size of at least 1");
    float alpha = (float)ox_attr_float(k->n, "alpha", 1e-4),
          beta = (float)ox_attr_float(k->n, "beta", 0.75);
    float bias = (float)ox_attr_float(k->n, "bias", 1.0);
    int64_t c_n = x->dims[1], inner = x->numel / JF__MAX(x->dims[0] * c_n, 1);
    const float *xv = x->data;
    float *yv = y->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t c = i / inner % c_n, base = i - c * inner;
        int64_t c0 = JF__MAX(c - (size - 1) / 2, 0), c1 = JF__MIN(c + size / 2, c_n - 1);
        float sq = 0;
        for (int64_t cc = c0; cc <= c1; cc++)
            sq += xv[base + cc * inner] * xv[base + cc * inner];
        yv[i] = xv[i] / powf(bias + alpha / (float)size * sq, beta);
    }
    return 0;
}
