/* ConvInteger (8-bit in, int32 out) and QLinearConv (8-bit in and out,
 * scales and zero points), computed directly with exact integer sums: the
 * models that use them are small, and a float detour could round a sum of
 * many 8-bit products. w's zero point and scale may be one per output
 * channel. And QuantizeLinear / DequantizeLinear, per tensor or per axis. */
#include <math.h>

#include "onnx/kern_nn_impl.h"

typedef struct {
    const ox_view *x, *w;
    int32_t xzp;
    const ox_view *wzp; /* NULL, one value, or one per output channel */
    ox_geom g;
    int64_t groups, cout, cin_g, ohw, n_img;
} qc_args;

static int32_t q_at(const ox_view *v, int64_t i)
{
    return v->dtype == OX_UINT8 ? ((const uint8_t *)v->data)[i] : ((const int8_t *)v->data)[i];
}

/* Input i is 8-bit (or absent, when optional). */
static int q_input(const ox_kcall *k, int i, int required)
{
    if (i >= k->n->n_in || !k->in[i].data)
        return required ? ox_kfail(k, "input %d is missing", i) : 0;
    if (k->in[i].dtype != OX_UINT8 && k->in[i].dtype != OX_INT8)
        return ox_kfail(k, "input %d is not uint8 or int8", i);
    return 0;
}

static const ox_view *q_opt(const ox_kcall *k, int i)
{
    return i < k->n->n_in && k->in[i].data ? &k->in[i] : NULL;
}

/* Shapes and geometry; xi, wi: where x and w are, xz, wz: their zero
 * points. */
static int qc_read(const ox_kcall *k, int xi, int xz, int wi, int wz, qc_args *a)
{
    if (q_input(k, xi, 1) || q_input(k, wi, 1) || q_input(k, xz, 0) || q_input(k, wz, 0))
        return -1;
    a->x = &k->in[xi];
    a->w = &k->in[wi];
    a->xzp = q_opt(k, xz) ? q_at(&k->in[xz], 0) : 0;
    a->wzp = q_opt(k, wz);
    if (a->x->rank != a->w->rank || a->x->rank < 3 || a->x->rank > 2 + OX_SP)
        return ox_kfail(k, "input and weights ranks differ");
    if (a->wzp && a->wzp->numel != 1 && a->wzp->numel != a->w->dims[0])
        return ox_kfail(k, "w_zero_point has %lld values", (long long)a->wzp->numel);
    int64_t ks[OX_SP];
    for (int i = 0; i < a->x->rank - 2; i++)
        ks[i] = a->w->dims[2 + i];
    if (k->n->n_out < 1 || ox_nn_geom(k, a->x, &k->out[0], ks, &a->g))
        return -1;
    a->groups = ox_attr_int(k->n, "group", 1);
    a->cout = a->w->dims[0];
    a->cin_g = a->w->dims[1];
    a->ohw = ox_geom_out_size(&a->g);
    a->n_img = a->x->dims[0];
    if (a->groups < 1 || a->cin_g * a->groups != a->x->dims[1] || a->cout % a->groups)
        return ox_kfail(k, "channels do not split into %lld groups", (long long)a->groups);
    if (k->out[0].numel != a->n_img * a->cout * a->ohw)
        return ox_kfail(k, "output has %lld values, expected %lld", (long long)k->out[0].numel,
                        (long long)(a->n_img * a->cout * a->ohw));
    return 0;
}

/* The window sum of output value q (flat over image, channel, position). */
static int64_t qc_sum(const qc_args *a, int64_t q)
{
    const ox_geom *g = &a->g;
    int64_t p = q % a->ohw, oc = q / a->ohw % a->cout, n = q / a->ohw / a->cout;
    int64_t o[3] = {p / (g->out[1] * g->out[2]), p / g->out[2] % g->out[1], p % g->out[2]};
    int64_t c0 = oc / (a->cout / a->groups) * a->cin_g;
    int32_t wz = a->wzp ? q_at(a->wzp, a->wzp->numel == 1 ? 0 : oc) : 0;
    int64_t ihw = ox_geom_in_size(g), kk = ox_geom_k_size(g), sum = 0;
    for (int64_t c = 0; c < a->cin_g; c++)
        for (int64_t t = 0; t < kk; t++) {
            int64_t tap[3] = {t / (g->k[1] * g->k[2]), t / g->k[2] % g->k[1], t % g->k[2]}, at = 0;
            int inside = 1;
            for (int i = 0; i < OX_SP; i++) {
                int64_t pos = o[i] * g->s[i] - g->pb[i] + tap[i] * g->d[i];
                inside &= pos >= 0 && pos < g->in[i];
                at = at * g->in[i] + pos;
            }
            if (inside)
                sum += (int64_t)(q_at(a->x, (n * a->x->dims[1] + c0 + c) * ihw + at) - a->xzp) *
                       (q_at(a->w, (oc * a->cin_g + c) * kk + t) - wz);
        }
    return sum;
}

int ox_nn_conv_integer_run(const ox_kcall *k)
{
    qc_args a = {0};
    if (qc_read(k, 0, 2, 1, 3, &a))
        return -1;
    if (k->out[0].dtype != OX_INT32)
        return ox_kfail(k, "output is not int32");
    int32_t *y = k->out[0].data;
    for (int64_t q = 0; q < k->out[0].numel; q++)
        y[q] = (int32_t)qc_sum(&a, q);
    return 0;
}

/* ---- QLinearConv ---- */

static int q_float_scalars(const ox_kcall *k, const int *idx, int n)
{
    for (int i = 0; i < n; i++)
        if (idx[i] >= k->n->n_in || !k->in[idx[i]].data || k->in[idx[i]].dtype != OX_FLOAT)
            return ox_kfail(k, "scale input %d is missing or not float", idx[i]);
    return 0;
}

/* v rounded half to even, plus zp, saturated to y's type. */
static void q_store(const ox_view *y, int64_t i, double v, int32_t zp)
{
    double r = nearbyint(v) + zp;
    if (y->dtype == OX_UINT8)
        ((uint8_t *)y->data)[i] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    else
        ((int8_t *)y->data)[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
}

int ox_nn_qlinear_conv_run(const ox_kcall *k)
{
    static const int scales[] = {1, 4, 6};
    qc_args a = {0};
    if (qc_read(k, 0, 2, 3, 5, &a) || q_float_scalars(k, scales, 3) || q_input(k, 7, 0))
        return -1;
    const ox_view *ws = &k->in[4], *bias = q_opt(k, 8), *y = &k->out[0];
    if (ws->numel != 1 && ws->numel != a.cout)
        return ox_kfail(k, "w_scale has %lld values", (long long)ws->numel);
    if (bias && (bias->dtype != OX_INT32 || bias->numel != a.cout))
        return ox_kfail(k, "B must be int32 with one value per output channel");
    if (y->dtype != OX_UINT8 && y->dtype != OX_INT8)
        return ox_kfail(k, "output is not uint8 or int8");
    double xs = *(const float *)k->in[1].data, ys = *(const float *)k->in[6].data;
    int32_t yzp = q_opt(k, 7) ? q_at(&k->in[7], 0) : 0;
    for (int64_t q = 0; q < y->numel; q++) {
        int64_t oc = q / a.ohw % a.cout;
        double w_s = ((const float *)ws->data)[ws->numel == 1 ? 0 : oc];
        int64_t sum = qc_sum(&a, q) + (bias ? ((const int32_t *)bias->data)[oc] : 0);
        q_store(y, q, (double)sum * (xs * w_s / ys), yzp);
    }
    return 0;
}

/* ---- QuantizeLinear, DequantizeLinear ---- */

/* Which scale/zero point element i uses: one for all, or one per index
 * along `axis` (opset 13). */
typedef struct {
    int64_t count, inner; /* values per scale: count 1 means one for all */
} q_axis;

static int q_axis_of(const ox_kcall *k, const ox_view *x, const ox_view *scale, q_axis *qa)
{
    qa->count = 1;
    qa->inner = 1;
    if (scale->numel == 1)
        return 0;
    int64_t axis = ox_attr_int(k->n, "axis", 1);
    axis = axis < 0 ? axis + x->rank : axis;
    if (scale->rank != 1 || axis < 0 || axis >= x->rank || scale->numel != x->dims[axis])
        return ox_kfail(k, "scale of %lld values does not fit axis %lld", (long long)scale->numel,
                        (long long)axis);
    qa->count = x->dims[axis];
    for (int d = (int)axis + 1; d < x->rank; d++)
        qa->inner *= x->dims[d];
    return 0;
}

static int64_t q_axis_at(const q_axis *qa, int64_t i)
{
    return qa->count == 1 ? 0 : i / qa->inner % qa->count;
}

int ox_nn_quantize_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0), *s = x ? ox_nn_float_in(k, 1) : NULL;
    const ox_view *zp = q_opt(k, 2), *y = k->n->n_out > 0 ? &k->out[0] : NULL;
    q_axis qa;
    if (!s || q_input(k, 2, 0) || q_axis_of(k, x, s, &qa))
        return -1;
    if (!y || !y->data || (y->dtype != OX_UINT8 && y->dtype != OX_INT8) || y->numel != x->numel ||
        (zp && zp->numel != s->numel))
        return ox_kfail(k, "output or zero point does not fit the input");
    const float *xv = x->data, *sv = s->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t c = q_axis_at(&qa, i);
        q_store(y, i, (double)(xv[i] / sv[c]), zp ? q_at(zp, c) : 0);
    }
    return 0;
}

static int64_t dq_value(const ox_view *v, int64_t i)
{
    return v->dtype == OX_INT32 ? ((const int32_t *)v->data)[i] : q_at(v, i);
}

int ox_nn_dequantize_run(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *s = k->n->n_in > 1 ? ox_nn_float_in(k, 1) : NULL;
    const ox_view *zp = q_opt(k, 2);
    q_axis qa;
    if (!s || !x->data || (x->dtype != OX_INT32 && q_input(k, 0, 1)) ||
        (zp && zp->dtype != x->dtype) || q_axis_of(k, x, s, &qa))
        return s ? ox_kfail(k, "x must be 8-bit or int32, its zero point of the same type") : -1;
    const ox_view *y = ox_nn_float_out(k, 0, x->numel);
    if (!y || (zp && zp->numel != s->numel))
        return y ? ox_kfail(k, "zero point does not fit the scale") : -1;
    const float *sv = s->data;
    float *yv = y->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t c = q_axis_at(&qa, i);
        yv[i] = (float)(dq_value(x, i) - (zp ? dq_value(zp, c) : 0)) * sv[c];
    }
    return 0;
}
