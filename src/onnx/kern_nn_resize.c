/* Resize (opset 10 and 11+ input layouts, Upsample too): nearest with all
 * nearest_mode values, linear and cubic (cubic_coeff_a, exclude_outside),
 * every coordinate_transformation_mode, scales or sizes, axes, roi and
 * extrapolation_value for tf_crop_and_resize.
 *
 * Each axis gets a table of taps per output coordinate (1 for nearest, 2
 * linear, 4 cubic; source index and weight, index -1 where
 * tf_crop_and_resize extrapolates), built in scratch. An output row (all
 * axes but the last) is then a weighted sum of a few input rows, each read
 * through the last axis's taps. The coordinate arithmetic follows ONNX's
 * reference implementation, in double. Slices are output rows. */
#include <math.h>

#include "onnx/kern_nn_impl.h"

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE };
enum { CT_HALF, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_HALF_NN, CT_TF_CROP, CT_HALF_SYM };

typedef struct {
    int mode, nearest, coord, exclude;
    double cubic_a;
    float extrapolation;
    int rank, taps;
    const int64_t *in, *out;
    double scale[OX_MAX_RANK], roi[2 * OX_MAX_RANK];
    double out_len[OX_MAX_RANK]; /* scale x input: fractional when a scale was given */
    const float *x;
    float *y;
} rs_args;

static int rs_pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int rs_modes(const ox_kcall *k, rs_args *a, int legacy)
{
    static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear"};
    static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                          "ceil"};
    static const char *const coords[] = {
        "half_pixel",           "pytorch_half_pixel", "align_corners",       "asymmetric",
        "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
    a->mode = rs_pick(ox_attr_str(k->n, "mode", "nearest"), modes, 4);
    a->mode = a->mode == 3 ? RS_LINEAR : a->mode;
    a->nearest = legacy
                     ? NM_SIMPLE
                     : rs_pick(ox_attr_str(k->n, "nearest_mode", "round_prefer_floor"), nearest, 4);
    a->coord = legacy ? CT_ASYM
                      : rs_pick(ox_attr_str(k->n, "coordinate_transformation_mode", "half_pixel"),
                                coords, 7);
    if (a->mode < 0 || a->nearest < 0 || a->coord < 0)
        return ox_kfail(k, "unknown mode, nearest_mode or coordinate_transformation_mode");
    if (ox_attr_int(k->n, "antialias", 0) != 0)
        return ox_kfail(k, "antialias is not supported");
    a->cubic_a = ox_attr_float(k->n, "cubic_coeff_a", -0.75);
    a->exclude = ox_attr_int(k->n, "exclude_outside", 0) != 0;
    a->extrapolation = (float)ox_attr_float(k->n, "extrapolation_value", 0.0);
    a->taps = a->mode == RS_NEAREST ? 1 : a->mode == RS_LINEAR ? 2 : 4;
    return 0;
}

/* Scales from a float list (scales input or attribute) over `axes`, or
 * out/in where none is given. */
static int rs_scales(const ox_kcall *k, rs_args *a, const float *sc, int64_t n_sc)
{
    int64_t axes[OX_MAX_RANK];
    int n_axes = ox_attr_ints(k->n, "axes", axes, OX_MAX_RANK);
    for (int i = 0; i < a->rank; i++) {
        a->scale[i] = a->in[i] ? (double)a->out[i] / (double)a->in[i] : 1.0;
        a->out_len[i] = (double)a->out[i];
    }
    if (!sc)
        return 0;
    if (n_sc != (n_axes < 0 ? a->rank : n_axes))
        return ox_kfail(k, "%lld scales for rank %d", (long long)n_sc, a->rank);
    for (int i = 0; i < n_sc; i++) {
        int64_t ax = n_axes < 0 ? i : axes[i] < 0 ? axes[i] + a->rank : axes[i];
        if (ax < 0 || ax >= a->rank || !(sc[i] > 0))
            return ox_kfail(k, "bad scale or axis at %d", i);
        a->scale[ax] = sc[i];
        a->out_len[ax] = sc[i] * (double)a->in[ax];
    }
    return 0;
}

/* The scales list: an input (index i) when present and non-empty. */
static const ox_view *rs_list_in(const ox_kcall *k, int i)
{
    return i < k->n->n_in && k->in[i].data && k->in[i].numel > 0 ? &k->in[i] : NULL;
}

static int rs_roi(const ox_kcall *k, rs_args *a, int legacy)
{
    for (int i = 0; i < a->rank; i++) {
        a->roi[i] = 0;
        a->roi[a->rank + i] = 1;
    }
    const ox_view *r = legacy ? NULL : rs_list_in(k, 1);
    if (!r || a->coord != CT_TF_CROP)
        return 0;
    if (r->dtype != OX_FLOAT || r->numel != 2 * a->rank)
        return ox_kfail(k, "roi must hold 2 x rank floats");
    for (int i = 0; i < 2 * a->rank; i++)
        a->roi[i] = ((const float *)r->data)[i];
    return 0;
}

static int rs_prepare(const ox_kcall *k, rs_args *a)
{
    int upsample = strcmp(k->n->op, "Upsample") == 0;
    int legacy = upsample || k->n->opset < 11;
    const ox_view *x = ox_nn_float_in(k, 0);
    if (!x || rs_modes(k, a, legacy))
        return -1;
    const ox_view *y = k->n->n_out > 0 && k->out[0].data ? &k->out[0] : NULL;
    if (!y || y->dtype != OX_FLOAT || y->rank != x->rank || x->rank < 1)
        return ox_kfail(k, "output must be float of the input's rank");
    if (x->numel == 0 && y->numel > 0)
        return ox_kfail(k, "cannot resize an empty tensor into a non-empty one");
    a->rank = x->rank;
    a->in = x->dims;
    a->out = y->dims;
    a->x = x->data;
    a->y = y->data;
    float attr_sc[OX_MAX_RANK];
    double d_sc[OX_MAX_RANK];
    const float *sc = NULL;
    int64_t n_sc = 0;
    const ox_view *sv = rs_list_in(k, legacy ? 1 : 2);
    if (sv && sv->dtype == OX_FLOAT) {
        sc = sv->data;
        n_sc = sv->numel;
    } else if (upsample && (n_sc = ox_attr_floats(k->n, "scales", d_sc, OX_MAX_RANK)) > 0) {
        for (int i = 0; i < n_sc; i++)
            attr_sc[i] = (float)d_sc[i];
        sc = attr_sc;
    }
    return rs_scales(k, a, sc, n_sc) || rs_roi(k, a, legacy) ? -1 : 0;
}

/* ---- coordinates and taps ---- */

/* The input coordinate of output coordinate o, in float arithmetic as ONNX
 * Runtime does it (double would round x / 0.6 = 5 down to 4.999...). */
static double rs_source(const rs_args *a, int ax, int64_t o)
{
    float s = (float)a->scale[ax], in = (float)a->in[ax], out = (float)a->out_len[ax];
    float x = (float)o;
    switch (a->coord) {
    case CT_HALF: return (x + 0.5f) / s - 0.5f;
    case CT_PYTORCH: return out != 1 ? (x + 0.5f) / s - 0.5f : -0.5f;
    case CT_ALIGN: return out != 1 ? x * (in - 1) / (out - 1) : 0.0f;
    case CT_ASYM: return x / s;
    case CT_TF_HALF_NN: return (x + 0.5f) / s;
    case CT_HALF_SYM: {
        float adj = (float)a->out[ax] / out, off = in / 2 * (1 - adj);
        return off + (x + 0.5f) / s - 0.5f;
    }
    default: { /* tf_crop_and_resize */
        float r0 = (float)a->roi[ax], r1 = (float)a->roi[a->rank + ax];
        if (out != 1)
            return r0 * (in - 1) + x * (r1 - r0) * (in - 1) / (out - 1);
        return r0 * (in - 1) + (r1 - r0) * (in - 1) / 2;
    }
    }
}

static int64_t rs_nearest(const rs_args *a, int ax, double xo)
{
    double fl = floor(xo), r = xo - fl;
    int up;
    switch (a->nearest) {
    case NM_ROUND_FLOOR: up = r > 0.5; break;
    case NM_ROUND_CEIL: up = r >= 0.5; break;
    case NM_FLOOR: up = 0; break;
    case NM_CEIL: up = r > 0; break;
    default: up = a->scale[ax] < 1 && r > 0; break; /* opset 10 / Upsample */
    }
    return (int64_t)fl + up;
}

static double rs_cubic(double a, double d)
{
    d = fabs(d);
    if (d <= 1)
        return ((a + 2) * d - (a + 3)) * d * d + 1;
    if (d < 2)
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
    return 0;
}

/* Taps of output coordinate o on axis ax into idx/w (a->taps each). */
static void rs_taps(const rs_args *a, int ax, int64_t o, int64_t *idx, float *w)
{
    int64_t n = a->in[ax];
    double xo = rs_source(a, ax, o);
    if (a->coord == CT_TF_CROP && (xo < 0 || xo > (double)(n - 1))) {
        for (int t = 0; t < a->taps; t++) {
            idx[t] = -1;
            w[t] = 0;
        }
        return;
    }
    if (a->scale[ax] == 1.0 && a->out[ax] == n && a->coord != CT_TF_CROP) {
        /* An axis left alone maps straight through, as in ONNX Runtime
         * (tf_half_pixel_for_nn would otherwise round 0.5 up to 1). */
        for (int t = 0; t < a->taps; t++) {
            idx[t] = o;
            w[t] = t == 0 ? 1.0f : 0.0f;
        }
        return;
    }
    if (a->mode == RS_NEAREST) {
        idx[0] = JF__MIN(JF__MAX(rs_nearest(a, ax, xo), 0), n - 1);
        w[0] = 1;
        return;
    }
    double fl = floor(xo), r = xo - fl, wd[4], sum = 0;
    int64_t base = (int64_t)fl - (a->taps == 4 ? 1 : 0);
    for (int t = 0; t < a->taps; t++) {
        double dist = r + (a->taps == 4 ? 1 : 0) - t;
        wd[t] = a->taps == 2 ? 1 - fabs(dist) : rs_cubic(a->cubic_a, dist);
        if (a->exclude && (base + t < 0 || base + t >= n))
            wd[t] = 0;
        sum += wd[t];
    }
    for (int t = 0; t < a->taps; t++) {
        idx[t] = JF__MIN(JF__MAX(base + t, 0), n - 1);
        w[t] = (float)(a->exclude && sum != 0 ? wd[t] / sum : wd[t]);
    }
}

typedef struct {
    int64_t *idx[OX_MAX_RANK];
    float *w[OX_MAX_RANK];
} rs_tables;

static size_t rs_table_bytes(const int64_t *out, int rank, int taps)
{
    size_t b = 0;
    for (int i = 0; i < rank; i++)
        b += (size_t)(out[i] * taps) * (sizeof(int64_t) + sizeof(float)) + 8;
    return b;
}

static void rs_build(const rs_args *a, void *scratch, rs_tables *t)
{
    char *p = scratch;
    for (int ax = 0; ax < a->rank; ax++) {
        t->idx[ax] = (int64_t *)p;
        p += (size_t)(a->out[ax] * a->taps) * sizeof(int64_t);
        t->w[ax] = (float *)p;
        p += ((size_t)(a->out[ax] * a->taps) * sizeof(float) + 7) / 8 * 8; /* keep idx aligned */
        for (int64_t o = 0; o < a->out[ax]; o++)
            rs_taps(a, ax, o, t->idx[ax] + o * a->taps, t->w[ax] + o * a->taps);
    }
}

/* ---- rows ---- */

/* One input row read through the last axis's taps, scaled by rw, added
 * into y (or stored, for the first row). */
static void rs_row_add(const rs_args *a, const rs_tables *t, const float *xr, float rw, float *y,
                       int first)
{
    int ax = a->rank - 1, taps = a->taps;
    const int64_t *idx = t->idx[ax];
    const float *w = t->w[ax];
    for (int64_t o = 0; o < a->out[ax]; o++) {
        float v = 0;
        for (int tp = 0; tp < taps; tp++) /* -1 marks extrapolation: read 0, weight 0 */
            v += w[o * taps + tp] * xr[JF__MAX(idx[o * taps + tp], 0)];
        y[o] = first ? rw * v : y[o] + rw * v;
    }
}

/* Output row `row` (index over all axes but the last). */
static void rs_row(const rs_args *a, const rs_tables *t, int64_t row, float *y)
{
    int outer = a->rank - 1, taps = a->taps, tp[OX_MAX_RANK] = {0};
    int64_t coord[OX_MAX_RANK];
    for (int i = outer - 1; i >= 0; i--) {
        coord[i] = row % a->out[i];
        row /= a->out[i];
    }
    int first = 1, extra = 0;
    for (;;) { /* odometer over the outer axes' taps */
        float rw = 1;
        int64_t off = 0;
        for (int i = 0; i < outer; i++) {
            int64_t at = coord[i] * taps + tp[i];
            extra |= t->idx[i][at] < 0;
            rw *= t->w[i][at];
            off = off * a->in[i] + JF__MAX(t->idx[i][at], 0);
        }
        if (rw != 0 || first)
            rs_row_add(a, t, a->x + off * a->in[outer], rw, y, first);
        first = 0;
        int i = outer - 1;
        while (i >= 0 && ++tp[i] == taps)
            tp[i--] = 0;
        if (i < 0)
            break;
    }
    const int64_t *li = t->idx[outer];
    for (int64_t o = 0; o < a->out[outer]; o++)
        if (extra || li[o * taps] < 0)
            y[o] = a->extrapolation;
}

/* Nearest: the input row an output row reads, -1 where extrapolated. */
static int64_t rs_source_row(const rs_args *a, const rs_tables *t, int64_t row)
{
    int64_t off = 0, mult = 1;
    for (int i = a->rank - 2; i >= 0; i--) {
        int64_t src = t->idx[i][row % a->out[i]];
        if (src < 0)
            return -1;
        off += src * mult;
        mult *= a->in[i];
        row /= a->out[i];
    }
    return off;
}

/* The factor f when the last axis's indices are o / f (an integer
 * upscale along the row, the usual 2x), else 0. */
static int64_t rs_repeat_factor(const rs_args *a, const int64_t *li)
{
    int last = a->rank - 1;
    int64_t in = a->in[last], out = a->out[last];
    if (in <= 0 || out % in != 0)
        return 0;
    int64_t f = out / in;
    for (int64_t o = 0; o < out; o++)
        if (li[o] != o / f)
            return 0;
    return f;
}

/* y[i * f + r] = x[i]: a row repeated element by element. */
OX_VEC static void rs_repeat(float *y, const float *x, int64_t n, int64_t f)
{
    if (f == 2) {
        for (int64_t i = 0; i < n; i++)
            y[2 * i] = y[2 * i + 1] = x[i];
        return;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t r = 0; r < f; r++)
            y[i * f + r] = x[i];
}

/* One output row gathered from input row xr (src < 0: extrapolated). */
static void rs_gather_row(const rs_args *a, const int64_t *li, int64_t f, int64_t src,
                          const float *xr, float *y)
{
    int64_t ow = a->out[a->rank - 1];
    if (src >= 0 && f > 0) {
        rs_repeat(y, xr, a->in[a->rank - 1], f);
        return;
    }
    for (int64_t o = 0; o < ow; o++)
        y[o] = src < 0 || li[o] < 0 ? a->extrapolation : xr[li[o]];
}

/* Nearest rows [lo, hi): one input row gathered through the last axis's
 * indices, or a copy of the row before when it reads the same input row
 * (every upscale does). */
static void rs_nearest_rows(const rs_args *a, const rs_tables *t, int64_t lo, int64_t hi)
{
    int last = a->rank - 1;
    int64_t ow = a->out[last], prev = -2, f = rs_repeat_factor(a, t->idx[last]);
    for (int64_t r = lo; r < hi; r++) {
        int64_t src = rs_source_row(a, t, r);
        float *y = a->y + r * ow;
        if (src == prev)
            memcpy(y, y - ow, (size_t)ow * sizeof *y);
        else
            rs_gather_row(a, t->idx[last], f, src, a->x + (src < 0 ? 0 : src) * a->in[last], y);
        prev = src;
    }
}

static int64_t rs_rows(const ox_view *y)
{
    int64_t rows = 1;
    for (int i = 0; i + 1 < y->rank; i++)
        rows *= y->dims[i];
    return rows;
}

int ox_nn_resize_run(const ox_kcall *k)
{
    rs_args a = {0};
    if (rs_prepare(k, &a))
        return -1;
    size_t need = rs_table_bytes(a.out, a.rank, a.taps);
    if (!ox_nn_scratch_fits(k, need, ox_nn_resize_scratch))
        return ox_kfail(k, "shapes at run time need more scratch than planned");
    rs_tables t;
    rs_build(&a, k->scratch, &t);
    int64_t lo, hi, last = a.out[a.rank - 1];
    ox_slice_range(rs_rows(&k->out[0]), k->slice, k->n_slices, &lo, &hi);
    if (a.mode == RS_NEAREST) {
        rs_nearest_rows(&a, &t, lo, hi);
        return 0;
    }
    for (int64_t r = lo; r < hi; r++)
        rs_row(&a, &t, r, a.y + r * last);
    return 0;
}

int64_t ox_nn_resize_slices(const jf_onnx_model *m, const ox_node *n)
{
    ox_view v;
    if (!m || n->n_out < 1 || ox_nn_model_view(m, n->out[0], &v) || v.rank < 1)
        return 1;
    return JF__MAX(rs_rows(&v), 1);
}

size_t ox_nn_resize_scratch(const jf_onnx_model *m, const ox_node *n, int64_t n_slices)
{
    ox_view v;
    if (!m || n->n_out < 1 || ox_nn_model_view(m, n->out[0], &v) || v.rank < 1)
        return 0;
    return rs_table_bytes(v.dims, v.rank, 4);
}
