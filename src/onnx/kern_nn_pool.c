/* MaxPool and AveragePool (1-D to 3-D, pads, strides, dilations,
 * ceil_mode through the output size the shapes give, count_include_pad,
 * MaxPool's Indices output and storage_order), GlobalAveragePool and
 * GlobalMaxPool. Slices are (image, channel) planes. Windows are clipped
 * per axis once, so no tap is tested against the borders. MaxPool also
 * takes uint8 and int8 values, compared as floats (exact for them). */
#include <float.h>

#include "onnx/kern_nn_impl.h"

typedef struct {
    ox_geom g;
    int is_max, include_pad, col_major;
    int32_t dtype;
    const void *x;
    void *y;
    int64_t *idx; /* Indices output or NULL */
    int64_t planes, ihw, ohw;
} pool_plan;

static float pool_load(int32_t dt, const void *p, int64_t i)
{
    switch (dt) {
    case OX_UINT8: return ((const uint8_t *)p)[i];
    case OX_INT8: return ((const int8_t *)p)[i];
    default: return ((const float *)p)[i];
    }
}

static void pool_store(int32_t dt, void *p, int64_t i, float v)
{
    switch (dt) {
    case OX_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case OX_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    default: ((float *)p)[i] = v; break;
    }
}

static int pool_io(const ox_kcall *k, pool_plan *p)
{
    const ox_view *x = &k->in[0];
    p->dtype = x->dtype;
    int ok_type =
        x->dtype == OX_FLOAT || (p->is_max && (x->dtype == OX_UINT8 || x->dtype == OX_INT8));
    if (!x->data || !ok_type || x->rank < 3)
        return ox_kfail(k, "input must be float (or 8-bit for MaxPool) of rank 3 or more");
    const ox_view *y = k->n->n_out > 0 ? &k->out[0] : NULL;
    if (!y || !y->data || y->dtype != x->dtype || y->rank != x->rank || y->dims[0] != x->dims[0] ||
        y->dims[1] != x->dims[1])
        return ox_kfail(k, "output does not match the input's type or leading dims");
    p->idx = NULL;
    if (k->n->n_out > 1 && k->out[1].data) {
        if (k->out[1].dtype != OX_INT64 || k->out[1].numel != y->numel)
            return ox_kfail(k, "Indices must be int64 shaped like the output");
        p->idx = k->out[1].data;
    }
    p->x = x->data;
    p->y = y->data;
    return 0;
}

static int pool_prepare(const ox_kcall *k, pool_plan *p)
{
    p->is_max = strcmp(k->n->op, "MaxPool") == 0;
    if (k->n->n_in < 1 || pool_io(k, p))
        return -1;
    int64_t ks[OX_SP];
    int nsp = k->in[0].rank - 2;
    if (ox_attr_ints(k->n, "kernel_shape", ks, OX_SP) != nsp)
        return ox_kfail(k, "kernel_shape must have %d values", nsp);
    if (ox_nn_geom(k, &k->in[0], &k->out[0], ks, &p->g))
        return -1;
    p->include_pad = ox_attr_int(k->n, "count_include_pad", 0) != 0;
    p->col_major = ox_attr_int(k->n, "storage_order", 0) != 0;
    p->planes = k->in[0].dims[0] * k->in[0].dims[1];
    p->ihw = ox_geom_in_size(&p->g);
    p->ohw = ox_geom_out_size(&p->g);
    return 0;
}

/* Taps [*t0, *t1) of a window starting at `start` that fall inside
 * [0, in); returns how many taps count for the average with pads included
 * (those inside [-pb, in + pe)). */
static int64_t pool_taps(const ox_geom *g, int i, int64_t o, int64_t *t0, int64_t *t1)
{
    int64_t start = o * g->s[i] - g->pb[i], d = g->d[i], k = g->k[i];
    *t0 = start >= 0 ? 0 : JF__MIN((-start + d - 1) / d, k);
    *t1 = g->in[i] - 1 - start < 0 ? 0 : JF__MIN((g->in[i] - 1 - start) / d + 1, k);
    if (*t1 < *t0)
        *t1 = *t0;
    int64_t lim = g->in[i] + g->pe[i] - 1 - start; /* last padded position */
    int64_t p0 = start >= -g->pb[i] ? 0 : (-g->pb[i] - start + d - 1) / d;
    int64_t p1 = lim < 0 ? 0 : JF__MIN(lim / d + 1, k);
    return p1 > p0 ? p1 - p0 : 0;
}

/* Flat index of input position (pd, ph, pw) as MaxPool's Indices gives it. */
static int64_t pool_index(const pool_plan *p, int64_t plane, int64_t pd, int64_t ph, int64_t pw)
{
    const ox_geom *g = &p->g;
    int64_t inner =
        p->col_major ? (pw * g->in[1] + ph) * g->in[0] + pd : (pd * g->in[1] + ph) * g->in[2] + pw;
    return plane * p->ihw + inner;
}

static void pool_point(const pool_plan *p, int64_t plane, const int64_t *o, int64_t at)
{
    const ox_geom *g = &p->g;
    int64_t t0[3], t1[3], padded = 1, best_i = -1;
    for (int i = 0; i < OX_SP; i++)
        padded *= pool_taps(g, i, o[i], &t0[i], &t1[i]);
    float acc = p->is_max ? -FLT_MAX : 0.0f;
    for (int64_t a = t0[0]; a < t1[0]; a++)
        for (int64_t b = t0[1]; b < t1[1]; b++)
            for (int64_t c = t0[2]; c < t1[2]; c++) {
                int64_t pd = o[0] * g->s[0] - g->pb[0] + a * g->d[0];
                int64_t ph = o[1] * g->s[1] - g->pb[1] + b * g->d[1];
                int64_t pw = o[2] * g->s[2] - g->pb[2] + c * g->d[2];
                float v = pool_load(p->dtype, p->x,
                                    plane * p->ihw + (pd * g->in[1] + ph) * g->in[2] + pw);
                if (!p->is_max)
                    acc += v;
                else if (v > acc || best_i < 0) {
                    acc = v;
                    best_i = pool_index(p, plane, pd, ph, pw);
                }
            }
    int64_t inside = (t1[0] - t0[0]) * (t1[1] - t0[1]) * (t1[2] - t0[2]);
    if (!p->is_max)
        acc = acc / (float)JF__MAX(p->include_pad ? padded : inside, 1);
    pool_store(p->dtype, p->y, at, acc);
    if (p->idx)
        p->idx[at] = best_i < 0 ? 0 : best_i;
}

/* The common case, float 2-D (or 1-D) windows without dilation and no
 * Indices: window bounds per row and column, straight loops inside. */
static int pool_plain(const pool_plan *p)
{
    const ox_geom *g = &p->g;
    return p->dtype == OX_FLOAT && !p->idx && g->in[0] == 1 && g->k[0] == 1 && g->d[1] == 1 &&
           g->d[2] == 1;
}

/* Window [*a, *b) of output o on axis i, and its size with pads counted. */
static int64_t pool_window(const ox_geom *g, int i, int64_t o, int64_t *a, int64_t *b)
{
    int64_t start = o * g->s[i] - g->pb[i];
    *a = JF__MAX(start, 0);
    *b = JF__MIN(start + g->k[i], g->in[i]);
    if (*b < *a)
        *b = *a;
    int64_t padded_end = JF__MIN(start + g->k[i], g->in[i] + g->pe[i]);
    return JF__MAX(padded_end - JF__MAX(start, -g->pb[i]), 0);
}

static inline float window_max(const float *x, int64_t iw, int64_t h0, int64_t h1, int64_t w0,
                               int64_t w1)
{
    float acc = -FLT_MAX;
    for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++)
            acc = x[h * iw + w] > acc ? x[h * iw + w] : acc;
    return acc;
}

static inline float window_sum(const float *x, int64_t iw, int64_t h0, int64_t h1, int64_t w0,
                               int64_t w1)
{
    float acc = 0;
    for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++)
            acc += x[h * iw + w];
    return acc;
}

/* 2x2 max at stride 2 without pads, the usual halving: a straight loop
 * the compiler vectorises. */
OX_VEC static void max2x2(const float *x, int64_t iw, float *y, int64_t oh_n, int64_t ow_n)
{
    for (int64_t oh = 0; oh < oh_n; oh++) {
        const float *r0 = x + 2 * oh * iw, *r1 = r0 + iw;
        float *yr = y + oh * ow_n;
        for (int64_t ow = 0; ow < ow_n; ow++) {
            float a = r0[2 * ow] > r0[2 * ow + 1] ? r0[2 * ow] : r0[2 * ow + 1];
            float b = r1[2 * ow] > r1[2 * ow + 1] ? r1[2 * ow] : r1[2 * ow + 1];
            yr[ow] = a > b ? a : b;
        }
    }
}

static int is_max2x2(const pool_plan *p)
{
    const ox_geom *g = &p->g;
    return p->is_max && g->k[1] == 2 && g->k[2] == 2 && g->s[1] == 2 && g->s[2] == 2 &&
           g->pb[1] == 0 && g->pb[2] == 0 && 2 * g->out[1] <= g->in[1] && 2 * g->out[2] <= g->in[2];
}

static void pool_plane_plain(const pool_plan *p, const float *x, float *y)
{
    const ox_geom *g = &p->g;
    int64_t iw = g->in[2];
    if (is_max2x2(p)) {
        max2x2(x, iw, y, g->out[1], g->out[2]);
        return;
    }
    for (int64_t oh = 0; oh < g->out[1]; oh++) {
        int64_t h0, h1, hp = pool_window(g, 1, oh, &h0, &h1);
        float *yr = y + oh * g->out[2];
        for (int64_t ow = 0; ow < g->out[2]; ow++) {
            int64_t w0, w1, wp = pool_window(g, 2, ow, &w0, &w1);
            if (p->is_max) {
                yr[ow] = window_max(x, iw, h0, h1, w0, w1);
                continue;
            }
            int64_t count = p->include_pad ? hp * wp : (h1 - h0) * (w1 - w0);
            yr[ow] = window_sum(x, iw, h0, h1, w0, w1) / (float)JF__MAX(count, 1);
        }
    }
}

int ox_nn_pool_run(const ox_kcall *k)
{
    pool_plan p = {0};
    if (pool_prepare(k, &p))
        return -1;
    int64_t lo, hi;
    ox_slice_range(p.planes, k->slice, k->n_slices, &lo, &hi);
    const ox_geom *g = &p.g;
    if (pool_plain(&p)) {
        for (int64_t plane = lo; plane < hi; plane++)
            pool_plane_plain(&p, (const float *)p.x + plane * p.ihw, (float *)p.y + plane * p.ohw);
        return 0;
    }
    for (int64_t plane = lo; plane < hi; plane++)
        for (int64_t q = 0; q < p.ohw; q++) {
            int64_t o[3] = {q / (g->out[1] * g->out[2]), q / g->out[2] % g->out[1], q % g->out[2]};
            pool_point(&p, plane, o, plane * p.ohw + q);
        }
    return 0;
}

int64_t ox_nn_pool_slices(const jf_onnx_model *m, const ox_node *n)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    if (!m || ox_nn_model_call(m, n, ins, outs, &k) || n->n_in < 1 || ins[0].rank < 2)
        return 1;
    return JF__MAX(ins[0].dims[0] * ins[0].dims[1], 1);
}

/* ---- global pools ---- */

OX_VEC static float plane_sum(const float *x, int64_t count)
{
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int j = 0; j < 16; j++)
            acc[j] += x[i + j];
    float s = 0;
    for (; i < count; i++)
        s += x[i];
    for (int j = 0; j < 16; j++)
        s += acc[j];
    return s;
}

static float plane_max(const float *x, int64_t count)
{
    float m = -FLT_MAX;
    for (int64_t i = 0; i < count; i++)
        m = x[i] > m ? x[i] : m;
    return m;
}

int ox_nn_global_pool_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0);
    if (!x)
        return -1;
    if (x->rank < 2)
        return ox_kfail(k, "input of rank %d", x->rank);
    int64_t planes = x->dims[0] * x->dims[1], size = planes ? x->numel / planes : 0;
    const ox_view *y = ox_nn_float_out(k, 0, planes);
    if (!y)
        return -1;
    int is_max = strcmp(k->n->op, "GlobalMaxPool") == 0;
    int64_t lo, hi;
    ox_slice_range(planes, k->slice, k->n_slices, &lo, &hi);
    const float *xv = x->data;
    float *yv = y->data;
    for (int64_t c = lo; c < hi; c++)
        yv[c] = is_max ? plane_max(xv + c * size, size)
                       : plane_sum(xv + c * size, size) / (float)JF__MAX(size, 1);
    return 0;
}

int64_t ox_nn_global_pool_slices(const jf_onnx_model *m, const ox_node *n)
{
    return ox_nn_pool_slices(m, n);
}

/* ---- MaxUnpool ---- */

/* Where index v (flat over the unpooled shape the kernel, strides and pads
 * give, as MaxPool's Indices are) lands in y: the same spatial coordinates
 * in y's (perhaps larger, from output_shape) planes; -1 if outside. */
static int64_t unpool_target(const ox_view *y, const int64_t *def, int nsp, int64_t v)
{
    int64_t plane_def = 1, plane_out = 1, off = 0, mult = 1;
    for (int i = 0; i < nsp; i++) {
        plane_def *= def[i];
        plane_out *= y->dims[2 + i];
    }
    int64_t plane = v / plane_def, rest = v % plane_def;
    for (int i = nsp - 1; i >= 0; i--) {
        int64_t c = rest % def[i];
        rest /= def[i];
        if (c >= y->dims[2 + i])
            return -1;
        off += c * mult;
        mult *= y->dims[2 + i];
    }
    return plane * plane_out + off;
}

/* The unpooled spatial shape: (in - 1) * stride + kernel - pads. */
static int unpool_default(const ox_kcall *k, const ox_view *x, int64_t *def)
{
    int nsp = x->rank - 2;
    int64_t ks[OX_MAX_RANK], st[OX_MAX_RANK], pads[2 * OX_MAX_RANK];
    int nk = ox_attr_ints(k->n, "kernel_shape", ks, OX_MAX_RANK);
    int ns = ox_attr_ints(k->n, "strides", st, OX_MAX_RANK);
    int np = ox_attr_ints(k->n, "pads", pads, 2 * OX_MAX_RANK);
    if (nsp < 1 || nk != nsp || (ns >= 0 && ns != nsp) || (np >= 0 && np != 2 * nsp))
        return ox_kfail(k, "kernel_shape, strides or pads do not fit the input");
    for (int i = 0; i < nsp; i++) {
        def[i] = (x->dims[2 + i] - 1) * (ns < 0 ? 1 : st[i]) + ks[i] -
                 (np < 0 ? 0 : pads[i] + pads[nsp + i]);
        if (def[i] < 1)
            return ox_kfail(k, "kernel, strides and pads give an empty unpooled axis %d", i);
    }
    return 0;
}

/* Zeros, then each input value where its Indices entry points. */
int ox_nn_max_unpool_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0), *idx = k->n->n_in > 1 ? &k->in[1] : NULL;
    int64_t def[OX_MAX_RANK];
    if (!x || unpool_default(k, x, def))
        return -1;
    if (!idx || !idx->data || idx->dtype != OX_INT64 || idx->numel != x->numel)
        return ox_kfail(k, "I must be int64 shaped like X");
    const ox_view *y = k->n->n_out > 0 ? &k->out[0] : NULL;
    if (!y || !y->data || y->dtype != OX_FLOAT || y->rank != x->rank)
        return ox_kfail(k, "output is missing, not float or of another rank");
    float *yv = y->data;
    const float *xv = x->data;
    const int64_t *iv = idx->data;
    memset(yv, 0, (size_t)y->numel * sizeof *yv);
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t at = iv[i] < 0 ? -1 : unpool_target(y, def, x->rank - 2, iv[i]);
        if (at < 0 || at >= y->numel)
            return ox_kfail(k, "index %lld is outside the output", (long long)iv[i]);
        yv[at] = xv[i];
    }
    return 0;
}
