/* ConvTranspose (float, 1-D to 3-D) as sgemm then col2im: for a block of
 * input pixels, col = W_g^T x X_g gives every (output channel, tap) row,
 * which is added into the output at the positions the strides, dilations
 * and pads map it to. Slices are output channels; each slice sets its
 * channels to the bias first, then accumulates, then applies the fused
 * steps per channel plane. When the kernel equals the stride and there
 * are no pads (2x upsampling), every output gets exactly one tap: it is
 * written once, bias included, band by band of input rows.
 */
#pragma GCC optimize("fp-contract=fast")
#include "onnx/kern_nn_impl.h"

#define CT_BLOCK_FLOATS (256 * 1024)

typedef struct {
    ox_geom g;
    int64_t n, cin, cout, groups, cin_g, cout_g, kk, ihw, ohw;
    const float *x, *w, *b;
    float *y;
    int64_t tile; /* input pixels per block */
    int direct;   /* kernel == stride, no pads: every output gets one tap */
    float *wt;    /* scratch for the transposed weights */
} ct_plan;

static int ct_is_direct(const ox_geom *g)
{
    int ok = g->in[0] == 1 && g->k[0] == 1;
    for (int i = 1; i < OX_SP; i++)
        ok &= g->k[i] == g->s[i] && g->d[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0 &&
              g->out[i] == g->in[i] * g->s[i];
    return ok;
}

static int ct_shapes(const ox_kcall *k, const ox_view *x, const ox_view *w, ct_plan *p)
{
    p->groups = ox_attr_int(k->n, "group", 1);
    if (x->rank != w->rank || x->rank < 3 || x->rank > 2 + OX_SP || p->groups < 1)
        return ox_kfail(k, "input of rank %d and weights of rank %d do not fit", x->rank, w->rank);
    p->n = x->dims[0];
    p->cin = x->dims[1];
    p->cout_g = w->dims[1];
    p->cout = p->cout_g * p->groups;
    if (w->dims[0] != p->cin || p->cin % p->groups != 0)
        return ox_kfail(k, "weights of %lld channels for an input of %lld in %lld groups",
                        (long long)w->dims[0], (long long)p->cin, (long long)p->groups);
    p->cin_g = p->cin / p->groups;
    return 0;
}

/* Pads of one axis when output_shape or auto_pad SAME fixes the output size:
 * total padding split as ONNX's reference does (the larger half at the end
 * unless SAME_LOWER). */
static void ct_pads_for(ox_geom *g, int i, int64_t out, int64_t opad, int lower)
{
    int64_t total = g->s[i] * (g->in[i] - 1) + opad + (g->k[i] - 1) * g->d[i] + 1 - out;
    g->pb[i] = lower ? total - total / 2 : total / 2;
    g->pe[i] = total - g->pb[i];
}

static int ct_lists(const ox_kcall *k, int nsp, int64_t *opad, int64_t *oshape, int *n_oshape)
{
    int no = ox_attr_ints(k->n, "output_padding", opad, OX_SP);
    *n_oshape = ox_attr_ints(k->n, "output_shape", oshape, OX_SP + 2);
    if (no >= 0 && no != nsp)
        return ox_kfail(k, "output_padding has %d values for %d spatial dims", no, nsp);
    for (int i = 0; i < nsp; i++)
        if (no < 0)
            opad[i] = 0;
    /* output_shape may name the spatial dims only or the whole shape. */
    if (*n_oshape == nsp + 2)
        memmove(oshape, oshape + 2, (size_t)nsp * sizeof *oshape);
    else if (*n_oshape >= 0 && *n_oshape != nsp)
        return ox_kfail(k, "output_shape has %d values for %d spatial dims", *n_oshape, nsp);
    return 0;
}

/* Geometry: ox_nn_geom reads strides, dilations and explicit pads (its
 * auto_pad handling is for forward windows, so it is redone here). */
static int ct_geom(const ox_kcall *k, const ox_view *x, const ox_view *w, ct_plan *p)
{
    int nsp = x->rank - 2, n_oshape;
    int64_t ks[OX_SP], opad[OX_SP], oshape[OX_SP + 2];
    for (int i = 0; i < nsp; i++)
        ks[i] = w->dims[2 + i];
    if (k->n->n_out < 1 || ox_nn_geom(k, x, &k->out[0], ks, &p->g) ||
        ct_lists(k, nsp, opad, oshape, &n_oshape))
        return -1;
    const char *ap = ox_attr_str(k->n, "auto_pad", "NOTSET");
    int same = strncmp(ap, "SAME", 4) == 0, lower = strcmp(ap, "SAME_LOWER") == 0;
    int valid = strcmp(ap, "VALID") == 0;
    ox_geom *g = &p->g;
    for (int j = 0; j < nsp; j++) {
        int i = OX_SP - nsp + j;
        if (valid)
            g->pb[i] = g->pe[i] = 0;
        if (n_oshape >= 0)
            ct_pads_for(g, i, oshape[j], opad[j], lower);
        else if (same)
            ct_pads_for(g, i, g->in[i] * g->s[i], opad[j], lower);
        int64_t want =
            g->s[i] * (g->in[i] - 1) + opad[j] + (g->k[i] - 1) * g->d[i] + 1 - g->pb[i] - g->pe[i];
        if (want != g->out[i] || opad[j] < 0)
            return ox_kfail(k, "output size %lld on spatial axis %d, the attributes give %lld",
                            (long long)g->out[i], j, (long long)want);
    }
    return 0;
}

static int ct_bias(const ox_kcall *k, ct_plan *p)
{
    p->b = NULL;
    if (k->n->n_in < 3 || !k->in[2].data)
        return 0;
    const ox_view *b = ox_nn_float_in(k, 2);
    if (!b)
        return -1;
    if (b->numel != p->cout)
        return ox_kfail(k, "bias has %lld values for %lld channels", (long long)b->numel,
                        (long long)p->cout);
    p->b = b->data;
    return 0;
}

static int ct_prepare(const ox_kcall *k, ct_plan *p)
{
    const ox_view *x = ox_nn_float_in(k, 0), *w = x ? ox_nn_float_in(k, 1) : NULL;
    if (!w || ct_shapes(k, x, w, p) || ct_geom(k, x, w, p) || ct_bias(k, p))
        return -1;
    p->ihw = ox_geom_in_size(&p->g);
    p->ohw = ox_geom_out_size(&p->g);
    p->kk = ox_geom_k_size(&p->g);
    const ox_view *y = ox_nn_float_out(k, 0, p->n * p->cout * p->ohw);
    if (!y)
        return -1;
    p->x = x->data;
    p->w = w->data;
    p->y = y->data;
    p->tile = JF__MAX(CT_BLOCK_FLOATS / JF__MAX(p->cout_g * p->kk, 1) / 16 * 16, 64);
    p->direct = ct_is_direct(&p->g);
    if (p->direct) /* whole input rows per block */
        p->tile = JF__MAX(p->tile / JF__MAX(p->g.in[2], 1), 1) * p->g.in[2];
    if (p->tile > p->ihw)
        p->tile = p->ihw;
    return 0;
}

/* y[(iw0 + j) * sw + off] += c[j] for the j whose target is inside [0, ow). */
OX_VEC static void col2im_span(float *yrow, const float *c, int64_t iw0, int64_t run, int64_t sw,
                               int64_t off, int64_t ow)
{
    int64_t first = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int64_t end = ow - 1 - off < 0 ? 0 : (ow - 1 - off) / sw + 1;
    int64_t a = JF__MIN(JF__MAX(first - iw0, 0), run), b = JF__MIN(JF__MAX(end - iw0, a), run);
    for (int64_t j = a; j < b; j++)
        yrow[(iw0 + j) * sw + off] += c[j];
}

/* Add one col row (one output channel yc, one tap) for input pixels
 * [q0, q0 + cnt). */
static void col2im_row(const ox_geom *g, float *yc, const int64_t *tap, int64_t q0, int64_t cnt,
                       const float *c)
{
    int64_t iw = q0 % g->in[2], ih = q0 / g->in[2] % g->in[1], id = q0 / g->in[2] / g->in[1];
    for (int64_t done = 0; done < cnt;) {
        int64_t run = JF__MIN(g->in[2] - iw, cnt - done);
        int64_t od = id * g->s[0] - g->pb[0] + tap[0] * g->d[0];
        int64_t oh = ih * g->s[1] - g->pb[1] + tap[1] * g->d[1];
        if (od >= 0 && od < g->out[0] && oh >= 0 && oh < g->out[1])
            col2im_span(yc + (od * g->out[1] + oh) * g->out[2], c + done, iw, run, g->s[2],
                        tap[2] * g->d[2] - g->pb[2], g->out[2]);
        done += run;
        iw = 0;
        if (++ih == g->in[1]) {
            ih = 0;
            id++;
        }
    }
}

static void col2im(const ct_plan *p, float *yn, int64_t oc0, int64_t oc1, int64_t q0, int64_t cnt,
                   const float *col)
{
    const ox_geom *g = &p->g;
    for (int64_t oc = oc0; oc < oc1; oc++) {
        int64_t tap[OX_SP];
        for (tap[0] = 0; tap[0] < g->k[0]; tap[0]++)
            for (tap[1] = 0; tap[1] < g->k[1]; tap[1]++)
                for (tap[2] = 0; tap[2] < g->k[2]; tap[2]++, col += cnt)
                    col2im_row(g, yn + oc * p->ohw, tap, q0, cnt, col);
    }
}

/* Scratch floats: the col block, then the transposed weights. */
static size_t ct_scratch_floats(const ct_plan *p)
{
    return (size_t)(p->cout_g * p->kk * (p->tile + p->cin_g));
}

/* W_g^T for channels [oc0, oc1) of group g: rows (channel, tap), columns
 * the group's input channels, so the product is a plain sgemm. */
static const float *ct_weights_t(const ct_plan *p, int64_t g, int64_t oc0, int64_t oc1)
{
    const float *wg = p->w + g * p->cin_g * p->cout_g * p->kk + (oc0 - g * p->cout_g) * p->kk;
    int64_t rows = (oc1 - oc0) * p->kk, ld = p->cout_g * p->kk;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t ci = 0; ci < p->cin_g; ci++)
            p->wt[r * p->cin_g + ci] = wg[ci * ld + r];
    return p->wt;
}

/* Channels [oc0, oc1) of group g (global channel numbers) for image n. */
static void ct_group(const ox_kcall *k, const ct_plan *p, int64_t n, int64_t g, int64_t oc0,
                     int64_t oc1)
{
    const float *xg = p->x + (n * p->cin + g * p->cin_g) * p->ihw;
    const float *wt = ct_weights_t(p, g, oc0, oc1);
    int64_t rows = (oc1 - oc0) * p->kk;
    for (int64_t q0 = 0; q0 < p->ihw; q0 += p->tile) {
        int64_t cnt = JF__MIN(p->tile, p->ihw - q0);
        ox_nn_sgemm(rows, cnt, p->cin_g, wt, p->cin_g, xg + q0, p->ihw, k->scratch, cnt);
        col2im(p, p->y + n * p->cout * p->ohw, oc0, oc1, q0, cnt, k->scratch);
    }
}

/* y[2j] = a[j] + bias, y[2j + 1] = b[j] + bias. */
OX_VEC static void ct_interleave2(float *y, const float *a, const float *b, int64_t n, float bias)
{
    for (int64_t j = 0; j < n; j++) {
        y[2 * j] = a[j] + bias;
        y[2 * j + 1] = b[j] + bias;
    }
}

/* Output rows of input row i (band-relative ir) of channel oc from col:
 * tap (a, b) of input pixel j lands on (i * sh + a, j * sw + b). */
static void ct_direct_row(const ct_plan *p, float *yc, const float *col, int64_t cnt, int64_t ocr,
                          int64_t i, int64_t ir, float bias)
{
    const ox_geom *g = &p->g;
    int64_t sh = g->s[1], sw = g->s[2], iw = g->in[2], ow = g->out[2];
    for (int64_t a = 0; a < sh; a++) {
        float *yr = yc + (i * sh + a) * ow;
        const float *c0 = col + (ocr * p->kk + a * sw) * cnt + ir * iw;
        if (sw == 2) {
            ct_interleave2(yr, c0, c0 + cnt, iw, bias);
            continue;
        }
        for (int64_t b = 0; b < sw; b++)
            for (int64_t j = 0; j < iw; j++)
                yr[j * sw + b] = c0[b * cnt + j] + bias;
    }
}

/* kernel == stride without pads: one sgemm per band of input rows, then
 * each output value is written once (bias included), no accumulation. */
static void ct_direct(const ox_kcall *k, const ct_plan *p, int64_t n, int64_t g, int64_t oc0,
                      int64_t oc1)
{
    const float *xg = p->x + (n * p->cin + g * p->cin_g) * p->ihw;
    const float *wt = ct_weights_t(p, g, oc0, oc1);
    int64_t iw = p->g.in[2], rows = p->tile / iw, sh = p->g.s[1], ow = p->g.out[2];
    for (int64_t i0 = 0; i0 < p->g.in[1]; i0 += rows) {
        int64_t i1 = JF__MIN(i0 + rows, p->g.in[1]), cnt = (i1 - i0) * iw;
        ox_nn_sgemm((oc1 - oc0) * p->kk, cnt, p->cin_g, wt, p->cin_g, xg + i0 * iw, p->ihw,
                    k->scratch, cnt);
        for (int64_t oc = oc0; oc < oc1; oc++) {
            int64_t at = (n * p->cout + oc) * p->ohw;
            for (int64_t i = i0; i < i1; i++)
                ct_direct_row(p, p->y + at, k->scratch, cnt, oc - oc0, i, i - i0,
                              p->b ? p->b[oc] : 0.0f);
            ox_nn_finish(k, p->y, at + i0 * sh * ow, (i1 - i0) * sh * ow, 0.0f);
        }
    }
}

int ox_nn_conv_transpose_run(const ox_kcall *k)
{
    ct_plan p = {0};
    if (ct_prepare(k, &p))
        return -1;
    size_t need = ct_scratch_floats(&p) * sizeof(float);
    if (!ox_nn_scratch_fits(k, need, ox_nn_conv_transpose_scratch))
        return ox_kfail(k, "shapes at run time need more scratch than planned");
    p.wt = (float *)k->scratch + p.cout_g * p.kk * p.tile;
    int64_t lo, hi;
    ox_slice_range(p.cout, k->slice, k->n_slices, &lo, &hi);
    for (int64_t n = 0; n < p.n && p.direct; n++)
        for (int64_t g = lo / JF__MAX(p.cout_g, 1); g < p.groups && g * p.cout_g < hi; g++)
            ct_direct(k, &p, n, g, JF__MAX(lo, g * p.cout_g), JF__MIN(hi, (g + 1) * p.cout_g));
    for (int64_t n = 0; n < p.n && !p.direct; n++) {
        for (int64_t oc = lo; oc < hi; oc++) {
            float *yc = p.y + (n * p.cout + oc) * p.ohw, b = p.b ? p.b[oc] : 0.0f;
            for (int64_t i = 0; i < p.ohw; i++)
                yc[i] = b;
        }
        for (int64_t g = lo / JF__MAX(p.cout_g, 1); g < p.groups && g * p.cout_g < hi; g++)
            ct_group(k, &p, n, g, JF__MAX(lo, g * p.cout_g), JF__MIN(hi, (g + 1) * p.cout_g));
        for (int64_t oc = lo; oc < hi; oc++)
            ox_nn_finish(k, p.y, (n * p.cout + oc) * p.ohw, p.ohw, 0.0f);
    }
    return 0;
}

static int ct_model_plan(const jf_onnx_model *m, const ox_node *n, ct_plan *p)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    if (!m || ox_nn_model_call(m, n, ins, outs, &k))
        return -1;
    return ct_prepare(&k, p);
}

int64_t ox_nn_conv_transpose_slices(const jf_onnx_model *m, const ox_node *n)
{
    ct_plan p = {0};
    return ct_model_plan(m, n, &p) ? 1 : JF__MAX(p.cout, 1);
}

size_t ox_nn_conv_transpose_scratch(const jf_onnx_model *m, const ox_node *n, int64_t n_slices)
{
    ct_plan p = {0};
    return ct_model_plan(m, n, &p) ? 0 : ct_scratch_floats(&p) * sizeof(float);
}
