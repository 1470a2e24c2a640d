/* Conv on float NCHW (1-D to 3-D), by the shape of the work:
 *  - pointwise (1x1, stride 1, no pads): W[Cout x Cin] x X[Cin x HW], one
 *    sgemm per block of columns, straight on the input;
 *  - depthwise (one channel per group, 2-D): direct loops over a padded
 *    copy of each plane, 16 output columns at a time, specialised for 3x3
 *    and 5x5 kernels at strides 1 and 2 so the compiler unrolls the taps
 *    and vectorises;
 *  - few input channels (kern_nn_convsmall.c) and dense 3x3 stride 1
 *    (Winograd, kern_nn_winograd.c);
 *  - anything else: im2col of a block of output columns into scratch, then
 *    sgemm per group.
 * Slices split output rows (channel planes for depthwise), so no slice
 * repeats another's im2col or transform. The bias starts the sgemm's sums;
 * the fused steps run on each output block right after it is written,
 * while it is in cache. The sgemm is ox_nn_sgemm (kern_nn_sgemm.c). */
#pragma GCC optimize("fp-contract=fast")
#include "onnx/kern_nn_impl.h"

enum { CONV_POINTWISE, CONV_DEPTHWISE, CONV_SMALL_CIN, CONV_WINOGRAD, CONV_IM2COL };

/* Floats of im2col (or output) block kept at once: about 1 MB, within L2. */
#define CONV_BLOCK_FLOATS (256 * 1024)
#define DW_MAX_K 16

typedef struct {
    ox_geom g;
    int64_t n, cin, cout, groups, cin_g, cout_g, ck, ihw, ohw;
    const float *x, *w, *b;
    float *y;
    int kind;
    int64_t tile; /* output columns per block */
} conv_plan;

static int conv_kernel_shape(const ox_kcall *k, const ox_view *w, int64_t *ks)
{
    int nsp = w->rank - 2;
    int nk = ox_attr_ints(k->n, "kernel_shape", ks, OX_SP);
    if (nk >= 0 && nk != nsp)
        return ox_kfail(k, "kernel_shape has %d values for %d spatial dims", nk, nsp);
    for (int i = 0; i < nsp; i++)
        if (nk >= 0 && ks[i] != w->dims[2 + i])
            return ox_kfail(k, "kernel_shape does not match the weights");
        else
            ks[i] = w->dims[2 + i];
    return 0;
}

/* Output size on each axis must be what the pads, strides and dilations
 * give, or the loops below would read the wrong windows. */
static int conv_check_out(const ox_kcall *k, const ox_geom *g)
{
    for (int i = 0; i < OX_SP; i++) {
        int64_t span = g->in[i] + g->pb[i] + g->pe[i] - ((g->k[i] - 1) * g->d[i] + 1);
        if (span < 0 || g->out[i] != span / g->s[i] + 1)
            return ox_kfail(k, "output size %lld on spatial axis %d does not follow from the input",
                            (long long)g->out[i], i - (OX_SP - g->nsp));
    }
    return 0;
}

static int conv_kind(const conv_plan *p)
{
    const ox_geom *g = &p->g;
    int unit = 1;
    for (int i = 0; i < OX_SP; i++)
        unit &= g->k[i] == 1 && g->s[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0;
    if (unit)
        return CONV_POINTWISE;
    if (p->groups == p->cin && p->cout == p->groups && g->in[0] == 1 && g->k[0] == 1 &&
        g->k[1] <= DW_MAX_K && g->k[2] <= DW_MAX_K)
        return CONV_DEPTHWISE;
    if (ox_nn_small_fits(g, p->groups, p->cin))
        return CONV_SMALL_CIN;
    if (ox_nn_wino_fits(g, p->groups, p->cin, p->cout))
        return CONV_WINOGRAD;
    return CONV_IM2COL;
}

static void conv_tile(conv_plan *p)
{
    if (p->kind == CONV_POINTWISE)
        p->tile = CONV_BLOCK_FLOATS / 2 / JF__MAX(p->cout_g, 1);
    else
        p->tile = CONV_BLOCK_FLOATS / JF__MAX(p->ck, 1);
    p->tile = JF__MAX(p->tile / 16 * 16, 512);
    if (p->tile > p->ohw)
        p->tile = p->ohw;
}

static int conv_shapes(const ox_kcall *k, const ox_view *x, const ox_view *w, conv_plan *p)
{
    p->groups = ox_attr_int(k->n, "group", 1);
    if (x->rank != w->rank || x->rank < 3 || x->rank > 2 + OX_SP || p->groups < 1)
        return ox_kfail(k, "input of rank %d and weights of rank %d do not fit", x->rank, w->rank);
    p->n = x->dims[0];
    p->cin = x->dims[1];
    p->cout = w->dims[0];
    p->cin_g = w->dims[1];
    if (p->cin_g * p->groups != p->cin || p->cout % p->groups != 0)
        return ox_kfail(k, "channels (%lld in, %lld out) do not split into %lld groups",
                        (long long)p->cin, (long long)p->cout, (long long)p->groups);
    p->cout_g = p->cout / p->groups;
    return 0;
}

static int conv_prepare(const ox_kcall *k, conv_plan *p)
{
    const ox_view *x = ox_nn_float_in(k, 0), *w = x ? ox_nn_float_in(k, 1) : NULL;
    int64_t ks[OX_SP];
    if (!w || conv_shapes(k, x, w, p) || conv_kernel_shape(k, w, ks))
        return -1;
    if (k->n->n_out < 1 || ox_nn_geom(k, x, &k->out[0], ks, &p->g) || conv_check_out(k, &p->g))
        return -1;
    p->ihw = ox_geom_in_size(&p->g);
    p->ohw = ox_geom_out_size(&p->g);
    p->ck = p->cin_g * ox_geom_k_size(&p->g);
    const ox_view *y = ox_nn_float_out(k, 0, p->n * p->cout * p->ohw);
    if (!y)
        return -1;
    p->b = NULL;
    if (k->n->n_in > 2 && k->in[2].data) {
        const ox_view *b = ox_nn_float_in(k, 2);
        if (!b || b->numel != p->cout)
            return b ? ox_kfail(k, "bias has %lld values for %lld channels", (long long)b->numel,
                                (long long)p->cout)
                     : -1;
        p->b = b->data;
    }
    p->x = x->data;
    p->w = w->data;
    p->y = y->data;
    p->kind = conv_kind(p);
    conv_tile(p);
    return 0;
}

/* Width of a depthwise input row with the left and right pads in it, and
 * room for every float the vector loads read (see dw_plane). */
static int64_t dw_padded_width(const ox_geom *g)
{
    int64_t need = (g->out[2] - 1) * g->s[2] + (g->k[2] - 1) * g->d[2] + 1 + (g->s[2] == 2);
    return JF__MAX(need, g->pb[2] + g->in[2]);
}

/* Scratch for one call (any slice). */
static size_t conv_scratch_floats(const conv_plan *p)
{
    switch (p->kind) {
    case CONV_WINOGRAD: return ox_nn_wino_scratch_floats(&p->g, p->cin, p->cout);
    case CONV_SMALL_CIN: return ox_nn_small_scratch_floats(&p->g, p->cin);
    case CONV_DEPTHWISE: return (size_t)((p->g.in[1] + 1) * dw_padded_width(&p->g));
    case CONV_IM2COL: return (size_t)(p->ck * p->tile);
    default: return 0;
    }
}

/* ---- im2col ---- */

/* dst[j] = row[(ow + j) * sw + off] for j < run, 0 where that is outside
 * [0, iw). */
static void im2col_span(const float *row, int64_t ow, int64_t run, int64_t sw, int64_t off,
                        int64_t iw, float *dst)
{
    int64_t first = off >= 0 ? 0 : (-off + sw - 1) / sw; /* first ow inside */
    int64_t end = iw - 1 - off < 0 ? 0 : (iw - 1 - off) / sw + 1;
    int64_t a = JF__MIN(JF__MAX(first - ow, 0), run), b = JF__MIN(JF__MAX(end - ow, a), run);
    for (int64_t j = 0; j < a; j++)
        dst[j] = 0;
    if (sw == 1)
        memcpy(dst + a, row + ow + a + off, (size_t)(b - a) * sizeof *dst);
    else
        for (int64_t j = a; j < b; j++)
            dst[j] = row[(ow + j) * sw + off];
    for (int64_t j = b; j < run; j++)
        dst[j] = 0;
}

/* One im2col row (one input channel xc, one kernel tap) for output columns
 * [p0, p0 + cnt). */
static void im2col_row(const ox_geom *g, const float *xc, const int64_t *tap, int64_t p0,
                       int64_t cnt, float *dst)
{
    int64_t ow = p0 % g->out[2], oh = p0 / g->out[2] % g->out[1], od = p0 / g->out[2] / g->out[1];
    for (int64_t done = 0; done < cnt;) {
        int64_t run = JF__MIN(g->out[2] - ow, cnt - done);
        int64_t id = od * g->s[0] - g->pb[0] + tap[0] * g->d[0];
        int64_t ih = oh * g->s[1] - g->pb[1] + tap[1] * g->d[1];
        if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1])
            memset(dst + done, 0, (size_t)run * sizeof *dst);
        else
            im2col_span(xc + (id * g->in[1] + ih) * g->in[2], ow, run, g->s[2],
                        tap[2] * g->d[2] - g->pb[2], g->in[2], dst + done);
        done += run;
        ow = 0;
        if (++oh == g->out[1]) {
            oh = 0;
            od++;
        }
    }
}

static void im2col(const conv_plan *p, const float *xg, int64_t p0, int64_t cnt, float *col)
{
    const ox_geom *g = &p->g;
    float *dst = col;
    for (int64_t c = 0; c < p->cin_g; c++) {
        int64_t tap[OX_SP];
        for (tap[0] = 0; tap[0] < g->k[0]; tap[0]++)
            for (tap[1] = 0; tap[1] < g->k[1]; tap[1]++)
                for (tap[2] = 0; tap[2] < g->k[2]; tap[2]++, dst += cnt)
                    im2col_row(g, xg + c * p->ihw, tap, p0, cnt, dst);
    }
}

/* Fused steps on rows [oc0, oc1) of image n, columns [p0, p0+cnt) (the
 * sgemm added the bias). */
static void conv_finish_block(const ox_kcall *k, const conv_plan *p, int64_t n, int64_t oc0,
                              int64_t oc1, int64_t p0, int64_t cnt)
{
    for (int64_t oc = oc0; oc < oc1 && k->fused; oc++)
        ox_nn_finish(k, p->y, (n * p->cout + oc) * p->ohw + p0, cnt, 0.0f);
}

/* Output columns [c0, c1) of image n for every channel, group by group, by
 * im2col or straight on the input for pointwise convs. */
static void conv_gemm(const ox_kcall *k, const conv_plan *p, int64_t n, int64_t c0, int64_t c1)
{
    float *col = k->scratch;
    for (int64_t g = 0; g < p->groups; g++) {
        const float *xg = p->x + (n * p->cin + g * p->cin_g) * p->ihw;
        int64_t oc0 = g * p->cout_g;
        for (int64_t p0 = c0; p0 < c1; p0 += p->tile) {
            int64_t cnt = JF__MIN(p->tile, c1 - p0);
            const float *bm = xg + p0;
            int64_t ldb = p->ihw;
            if (p->kind == CONV_IM2COL) {
                im2col(p, xg, p0, cnt, col);
                bm = col;
                ldb = cnt;
            }
            ox_nn_sgemm_bias(p->cout_g, cnt, p->ck, p->w + oc0 * p->ck, p->ck, bm, ldb,
                             p->y + (n * p->cout + oc0) * p->ohw + p0, p->ohw,
                             p->b ? p->b + oc0 : NULL);
            conv_finish_block(k, p, n, oc0, oc0 + p->cout_g, p0, cnt);
        }
    }
}

/* ---- depthwise ---- */

/* 16 floats as one value: one AVX-512 register, two AVX2 ones, four SSE
 * ones, whichever clone of dw_plane runs. Loads go through memcpy, so they
 * need no alignment. */
/* The helpers returning v16 are always inlined, so the ABI GCC warns
 * about (vector returns without AVX-512) never applies. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) v16 v16_load(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* p[0], p[sw], ..., p[15 * sw]. Stride 2 reads p[0 .. 31], one float past
 * the last one used: callers leave room for it. */
static inline __attribute__((always_inline)) v16 v16_load_strided(const float *p, int64_t sw)
{
    if (sw == 1)
        return v16_load(p);
    if (sw == 2)
        return __builtin_shuffle(v16_load(p), v16_load(p + 16),
                                 (v16i){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
    v16 v;
    for (int j = 0; j < 16; j++)
        v[j] = p[j * sw];
    return v;
}

/* 16 output columns from ow, every tap inside the input. */
static inline __attribute__((always_inline)) void
dw_block(const float *const *rows, const float *wl, float bias, float *y, int64_t ow, int64_t off,
         const int kh, const int kw, const int64_t sw, const int64_t dw)
{
    /* A fresh accumulator per kernel row: independent chains, so the
     * FMAs overlap instead of waiting on each other's latency. */
    v16 sum = (v16){0} + bias;
    for (int a = 0; a < kh; a++) {
        v16 acc = (v16){0};
        for (int b = 0; b < kw; b++)
            acc += wl[a * kw + b] * v16_load_strided(rows[a] + ow * sw + off + b * dw, sw);
        sum += acc;
    }
    memcpy(y + ow, &sum, sizeof sum);
}

/* Output columns [lo, hi) of one row, whose taps are all inside the
 * input, 16 at a time; the last block ends at hi and may overlap the one
 * before (it writes the same values). Returns the first column not
 * written, lo when the run is shorter than a block. Inlined with constant
 * kh/kw/sw for the common shapes, so the taps unroll. */
static inline __attribute__((always_inline)) int64_t
dw_inner(const float *const *rows, const float *w, float bias, float *y, int64_t lo, int64_t hi,
         int64_t off, const int kh, const int kw, const int64_t sw, const int64_t dw)
{
    if (hi - lo < 16)
        return lo;
    float wl[DW_MAX_K * DW_MAX_K];
    for (int t = 0; t < kh * kw; t++)
        wl[t] = w[t];
    for (int64_t ow = lo; ow + 16 <= hi; ow += 16)
        dw_block(rows, wl, bias, y, ow, off, kh, kw, sw, dw);
    if ((hi - lo) % 16)
        dw_block(rows, wl, bias, y, hi - 16, off, kh, kw, sw, dw);
    return hi;
}

/* One output column with bounds checks (borders and leftovers). */
static float dw_point(const ox_geom *g, const float *const *rows, const float *w, float bias,
                      int64_t ow)
{
    float acc = bias;
    for (int64_t a = 0; a < g->k[1]; a++)
        for (int64_t b = 0; b < g->k[2]; b++) {
            int64_t iw = ow * g->s[2] - g->pb[2] + b * g->d[2];
            if (iw >= 0 && iw < g->in[2])
                acc += w[a * g->k[2] + b] * rows[a][iw];
        }
    return acc;
}

static inline __attribute__((always_inline)) int64_t dw_interior(const ox_geom *g,
                                                                 const float *const *rows,
                                                                 const float *w, float bias,
                                                                 float *y, int64_t lo, int64_t hi)
{
    int64_t kh = g->k[1], kw = g->k[2], sw = g->s[2], off = -g->pb[2];
    if (g->d[2] == 1 && kh == kw && (kh == 3 || kh == 5) && (sw == 1 || sw == 2)) {
        if (kh == 3)
            return sw == 1 ? dw_inner(rows, w, bias, y, lo, hi, off, 3, 3, 1, 1)
                           : dw_inner(rows, w, bias, y, lo, hi, off, 3, 3, 2, 1);
        return sw == 1 ? dw_inner(rows, w, bias, y, lo, hi, off, 5, 5, 1, 1)
                       : dw_inner(rows, w, bias, y, lo, hi, off, 5, 5, 2, 1);
    }
    return dw_inner(rows, w, bias, y, lo, hi, off, (int)kh, (int)kw, sw, g->d[2]);
}

/* Rows near the top and bottom: only kernel rows [a0, a1) meet the input,
 * so the others are skipped (on planes a few rows high, like a 5x5 kernel
 * over 3 rows, that is most of the work). */
static inline __attribute__((always_inline)) int64_t
dw_partial(const ox_geom *g, const float *const *rows, const float *w, float bias, float *y,
           int64_t lo, int64_t hi, int64_t a0, int64_t a1)
{
    int64_t kw = g->k[2], sw = g->s[2], off = -g->pb[2];
    int kh = (int)(a1 - a0);
    rows += a0;
    w += a0 * kw;
    if (g->d[2] == 1 && (kw == 3 || kw == 5) && (sw == 1 || sw == 2)) {
        if (kw == 3)
            return sw == 1 ? dw_inner(rows, w, bias, y, lo, hi, off, kh, 3, 1, 1)
                           : dw_inner(rows, w, bias, y, lo, hi, off, kh, 3, 2, 1);
        return sw == 1 ? dw_inner(rows, w, bias, y, lo, hi, off, kh, 5, 1, 1)
                       : dw_inner(rows, w, bias, y, lo, hi, off, kh, 5, 2, 1);
    }
    return dw_inner(rows, w, bias, y, lo, hi, off, kh, (int)kw, sw, g->d[2]);
}

/* Output rows [oh0, oh1), every kernel row inside the input, with the
 * weights broadcast once for all of them (in registers, for the common
 * shapes inlined with constants). Rows narrower than a block are left to
 * the caller. */
static inline __attribute__((always_inline)) void dw_rows(const ox_geom *g, const float *x,
                                                          const float *w, float bias, float *y,
                                                          int64_t oh0, int64_t oh1, const int kh,
                                                          const int kw, const int64_t sw)
{
    int64_t iw = g->in[2], ow_n = g->out[2], sh = g->s[1], pt = g->pb[1], dh = g->d[1];
    float wl[DW_MAX_K * DW_MAX_K];
    for (int t = 0; t < kh * kw; t++)
        wl[t] = w[t];
    for (int64_t oh = oh0; oh < oh1; oh++) {
        const float *rows[DW_MAX_K];
        for (int a = 0; a < kh; a++)
            rows[a] = x + (oh * sh - pt + a * dh) * iw;
        float *yr = y + oh * ow_n;
        for (int64_t ow = 0; ow + 16 <= ow_n; ow += 16)
            dw_block(rows, wl, bias, yr, ow, 0, kh, kw, sw, 1);
        if (ow_n % 16)
            dw_block(rows, wl, bias, yr, ow_n - 16, 0, kh, kw, sw, 1);
    }
}

/* The rows whose kernel rows all fall inside the input, for the common
 * shapes; returns 0 when it did nothing (the caller then goes row by row). */
static inline __attribute__((always_inline)) int dw_inside_rows(const ox_geom *g, const float *x,
                                                                const float *w, float bias,
                                                                float *y, int64_t oh0, int64_t oh1)
{
    int64_t kh = g->k[1], kw = g->k[2], sw = g->s[2];
    if (g->d[2] != 1 || g->pb[2] != 0 || kh != kw || (kh != 3 && kh != 5) || (sw != 1 && sw != 2) ||
        g->out[2] < 16)
        return 0;
    if (kh == 3 && sw == 1)
        dw_rows(g, x, w, bias, y, oh0, oh1, 3, 3, 1);
    else if (kh == 3)
        dw_rows(g, x, w, bias, y, oh0, oh1, 3, 3, 2);
    else if (sw == 1)
        dw_rows(g, x, w, bias, y, oh0, oh1, 5, 5, 1);
    else
        dw_rows(g, x, w, bias, y, oh0, oh1, 5, 5, 2);
    return 1;
}

/* One channel plane. Rows above and below the input read a row of zeros,
 * so only the left and right borders need checks: columns [lo, hi) have
 * every tap inside the row (and, at stride 2, the one float past the last
 * tap that a vector load also reads). */
OX_VEC static void dw_plane(const ox_geom *g, const float *x, const float *w, float bias, float *y,
                            const float *zeros)
{
    int64_t iw = g->in[2], ow_n = g->out[2], sw = g->s[2];
    int64_t reach = (g->k[2] - 1) * g->d[2] - g->pb[2] + (sw == 2); /* last float read */
    int64_t lo = JF__MIN((g->pb[2] + sw - 1) / sw, ow_n);
    int64_t hi = iw - 1 - reach < 0 ? 0 : JF__MIN((iw - 1 - reach) / sw + 1, ow_n);
    if (hi < lo)
        hi = lo;
    /* Output rows whose kernel rows are all inside the input. */
    int64_t sh = g->s[1], pt = g->pb[1], span = (g->k[1] - 1) * g->d[1];
    int64_t in0 = JF__MIN((pt + sh - 1) / sh, g->out[1]);
    int64_t in1 = g->in[1] - 1 - span + pt < 0 ? 0 : (g->in[1] - 1 - span + pt) / sh + 1;
    in1 = JF__MAX(JF__MIN(in1, g->out[1]), in0);
    if (!dw_inside_rows(g, x, w, bias, y, in0, in1))
        in0 = in1 = 0;
    for (int64_t oh = 0; oh < g->out[1]; oh++) {
        if (oh == in0 && in1 > in0)
            oh = in1;
        if (oh >= g->out[1])
            break;
        const float *rows[DW_MAX_K];
        for (int64_t a = 0; a < g->k[1]; a++) {
            int64_t ih = oh * g->s[1] - g->pb[1] + a * g->d[1];
            rows[a] = ih >= 0 && ih < g->in[1] ? x + ih * iw : zeros;
        }
        int64_t a0 = 0, a1 = g->k[1]; /* the kernel rows inside the input */
        while (a0 < a1 && rows[a0] == zeros)
            a0++;
        while (a1 > a0 && rows[a1 - 1] == zeros)
            a1--;
        float *yr = y + oh * ow_n;
        int64_t done = a0 == 0 && a1 == g->k[1] ? dw_interior(g, rows, w, bias, yr, lo, hi)
                                                : dw_partial(g, rows, w, bias, yr, lo, hi, a0, a1);
        for (int64_t ow = 0; ow < lo; ow++)
            yr[ow] = dw_point(g, rows, w, bias, ow);
        for (int64_t ow = JF__MAX(done, lo); ow < ow_n; ow++)
            yr[ow] = dw_point(g, rows, w, bias, ow);
    }
}

/* Copy a channel plane into rows of width wp with the left pad as zeros
 * before each row and zeros after it, so no output column needs a border
 * check; `zeros` (a row of wp) stands in for the rows above and below. */
static void dw_pad_plane(const ox_geom *g, const float *x, int64_t wp, float *dst)
{
    int64_t pl = g->pb[2], iw = g->in[2];
    for (int64_t h = 0; h < g->in[1]; h++) {
        float *row = dst + h * wp;
        memset(row, 0, (size_t)pl * sizeof *row);
        memcpy(row + pl, x + h * iw, (size_t)iw * sizeof *row);
        memset(row + pl + iw, 0, (size_t)(wp - pl - iw) * sizeof *row);
    }
}

static void conv_depthwise(const ox_kcall *k, const conv_plan *p, int64_t n, int64_t c0, int64_t c1)
{
    ox_geom g = p->g; /* the padded plane's geometry: no left pad, wider rows */
    int64_t wp = dw_padded_width(&p->g), kk = g.k[1] * g.k[2];
    g.in[2] = wp;
    g.pb[2] = g.pe[2] = 0;
    float *zeros = k->scratch, *plane = zeros + wp;
    memset(zeros, 0, (size_t)wp * sizeof *zeros);
    for (int64_t c = c0; c < c1; c++) {
        int64_t at = (n * p->cout + c) * p->ohw;
        dw_pad_plane(&p->g, p->x + (n * p->cin + c) * p->ihw, wp, plane);
        dw_plane(&g, plane, p->w + c * kk, p->b ? p->b[c] : 0.0f, p->y + at, zeros);
        ox_nn_finish(k, p->y, at, p->ohw, 0.0f);
    }
}

/* The Winograd and small-input paths, in their own files: rows [r0, r1)
 * of image n (tile rows for Winograd). */
static void conv_image(const ox_kcall *k, const conv_plan *p, int64_t n, int64_t r0, int64_t r1)
{
    ox_conv_image a = {&p->g, p->cin, p->cout, p->x + n * p->cin * p->ihw,
                       p->w,  p->b,   p->y,    n * p->cout * p->ohw};
    if (p->kind == CONV_WINOGRAD)
        ox_nn_wino_conv(k, &a, r0, r1, k->scratch);
    else
        ox_nn_small_conv(k, &a, r0, r1, k->scratch);
}

/* What slices split: channel planes for depthwise convs; output rows for
 * the Winograd (tile rows) and small-input paths; for the sgemm paths,
 * runs of CONV_SLICE_COLS output positions, which balance well even on
 * maps only a few rows high. No slice repeats another's im2col or input
 * transform. */
#define CONV_SLICE_COLS 64

static int64_t conv_units_per_image(const conv_plan *p)
{
    if (p->kind == CONV_WINOGRAD)
        return (p->g.out[1] + 1) / 2;
    if (p->kind == CONV_SMALL_CIN)
        return p->g.out[1];
    return (p->ohw + CONV_SLICE_COLS - 1) / CONV_SLICE_COLS;
}

static int64_t conv_units(const conv_plan *p)
{
    return p->kind == CONV_DEPTHWISE ? p->cout : p->n * conv_units_per_image(p);
}

/* Units [lo, hi) of all images, image by image. */
static void conv_units_run(const ox_kcall *k, const conv_plan *p, int64_t lo, int64_t hi)
{
    int64_t per = conv_units_per_image(p);
    for (int64_t u = lo; u < hi;) {
        int64_t n = u / per, r0 = u % per, r1 = JF__MIN(per, r0 + (hi - u));
        if (p->kind == CONV_WINOGRAD || p->kind == CONV_SMALL_CIN)
            conv_image(k, p, n, r0, r1);
        else
            conv_gemm(k, p, n, r0 * CONV_SLICE_COLS, JF__MIN(r1 * CONV_SLICE_COLS, p->ohw));
        u += r1 - r0;
    }
}

int ox_nn_conv_run(const ox_kcall *k)
{
    conv_plan p = {0};
    if (conv_prepare(k, &p))
        return -1;
    size_t need = conv_scratch_floats(&p) * sizeof(float);
    if (!ox_nn_scratch_fits(k, need, ox_nn_conv_scratch))
        return ox_kfail(k, "shapes at run time need more scratch than planned");
    int64_t lo, hi;
    ox_slice_range(conv_units(&p), k->slice, k->n_slices, &lo, &hi);
    if (p.kind != CONV_DEPTHWISE)
        conv_units_run(k, &p, lo, hi);
    for (int64_t n = 0; n < p.n && p.kind == CONV_DEPTHWISE; n++)
        conv_depthwise(k, &p, n, lo, hi);
    return 0;
}

/* The plan from inferred shapes, for slices and scratch. */
static int conv_model_plan(const jf_onnx_model *m, const ox_node *n, conv_plan *p)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    if (!m || ox_nn_model_call(m, n, ins, outs, &k))
        return -1;
    return conv_prepare(&k, p);
}

int64_t ox_nn_conv_slices(const jf_onnx_model *m, const ox_node *n)
{
    conv_plan p = {0};
    return conv_model_plan(m, n, &p) ? 1 : JF__MAX(conv_units(&p), 1);
}

size_t ox_nn_conv_scratch(const jf_onnx_model *m, const ox_node *n, int64_t n_slices)
{
    conv_plan p = {0};
    return conv_model_plan(m, n, &p) ? 0 : conv_scratch_floats(&p) * sizeof(float);
}
