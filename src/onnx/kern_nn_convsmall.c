/* Dense 2-D Conv with few input channels (a network's first conv on an
 * RGB image): im2col would feed sgemm a K of 27, where it is slow. Here
 * each block of 16 output columns loads every tap's input vector once and
 * multiply-adds it into 8 output channels at a time, all in registers.
 * The input channels are first copied into zero-padded planes, so no tap
 * needs a border check. Strides 1 and 2 along the row. */
#pragma GCC optimize("fp-contract=fast")
#include "onnx/kern_nn_impl.h"

#define SMALL_MAX_CIN 4
#define SMALL_MAX_K 7
#define SMALL_CO 8 /* output channels per pass: 8 accumulators */

#pragma GCC diagnostic ignored "-Wpsabi" /* vector helpers are inlined */
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

int ox_nn_small_fits(const ox_geom *g, int64_t groups, int64_t cin)
{
    return groups == 1 && cin <= SMALL_MAX_CIN && g->in[0] == 1 && g->k[0] == 1 &&
           g->k[1] <= SMALL_MAX_K && g->k[2] <= SMALL_MAX_K && g->d[1] == 1 && g->d[2] == 1 &&
           (g->s[2] == 1 || g->s[2] == 2) && g->out[2] >= 16;
}

/* Padded row width: the left pad, then room for 16-column blocks up to the
 * last one (which may run past the output) and the extra float a stride-2
 * load reads. */
static int64_t small_wp(const ox_geom *g)
{
    int64_t blocks = (g->out[2] + 15) / 16 * 16;
    return JF__MAX(blocks * g->s[2] + g->k[2] + 1, g->pb[2] + g->in[2]);
}

size_t ox_nn_small_scratch_floats(const ox_geom *g, int64_t cin)
{
    return (size_t)((cin * g->in[1] + 1) * small_wp(g));
}

static inline __attribute__((always_inline)) v16 small_load(const float *p, int64_t sw)
{
    v16 a, b;
    memcpy(&a, p, sizeof a);
    if (sw == 1)
        return a;
    memcpy(&b, p + 16, sizeof b);
    return __builtin_shuffle(a, b,
                             (v16i){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
}

/* Columns [ow, ow + 16) of one output row for channels [co, co + nco):
 * rows[c * kh + a] is input channel c's padded row for tap row a. */
static inline __attribute__((always_inline)) void
small_block(const ox_geom *g, const float *const *rows, int64_t cin, const float *w, int64_t ck,
            const float *bias, int64_t co, const int nco, int64_t ow, const int64_t sw,
            float *acc_out)
{
    v16 acc[SMALL_CO];
    for (int c = 0; c < nco; c++)
        acc[c] = (v16){0} + (bias ? bias[co + c] : 0.0f);
    int64_t kh = g->k[1], kw = g->k[2];
    for (int64_t ci = 0; ci < cin; ci++)
        for (int64_t a = 0; a < kh; a++)
            for (int64_t b = 0; b < kw; b++) {
                v16 v = small_load(rows[ci * kh + a] + ow * sw + b, sw);
                const float *wt = w + co * ck + (ci * kh + a) * kw + b;
                for (int c = 0; c < nco; c++)
                    acc[c] += wt[c * ck] * v;
            }
    memcpy(acc_out, acc, (size_t)nco * sizeof *acc);
}

/* One output row oh for channels [co0, co1). */
OX_VEC static void small_row(const ox_geom *g, const float *const *rows, int64_t cin,
                             const float *w, const float *bias, int64_t co0, int64_t co1, float *y,
                             int64_t oh)
{
    int64_t ck = cin * g->k[1] * g->k[2], ow_n = g->out[2], ohw = g->out[1] * ow_n;
    for (int64_t ow = 0; ow < ow_n; ow += 16) {
        int64_t n = JF__MIN(16, ow_n - ow);
        for (int64_t co = co0; co < co1; co += SMALL_CO) {
            v16 acc[SMALL_CO];
            int nco = (int)JF__MIN(SMALL_CO, co1 - co);
            if (nco == SMALL_CO && g->s[2] == 1)
                small_block(g, rows, cin, w, ck, bias, co, SMALL_CO, ow, 1, (float *)acc);
            else if (nco == SMALL_CO)
                small_block(g, rows, cin, w, ck, bias, co, SMALL_CO, ow, 2, (float *)acc);
            else
                small_block(g, rows, cin, w, ck, bias, co, nco, ow, g->s[2], (float *)acc);
            for (int c = 0; c < nco; c++) {
                float *dst = y + (co + c) * ohw + oh * ow_n + ow;
                if (n == 16)
                    memcpy(dst, &acc[c], sizeof acc[c]); /* a vector store, not a call */
                else
                    memcpy(dst, &acc[c], (size_t)n * sizeof(float));
            }
        }
    }
}

/* Padded copies of input rows [h0, h1) of every channel. */
static void small_pad(const ox_geom *g, const float *x, int64_t cin, int64_t wp, float *planes,
                      int64_t h0, int64_t h1)
{
    int64_t ih = g->in[1], iw = g->in[2], pl = g->pb[2];
    for (int64_t c = 0; c < cin; c++)
        for (int64_t h = JF__MAX(h0, 0); h < JF__MIN(h1, ih); h++) {
            float *row = planes + (c * ih + h) * wp;
            memset(row, 0, (size_t)wp * sizeof *row);
            memcpy(row + pl, x + (c * ih + h) * iw, (size_t)iw * sizeof *row);
        }
}

/* Output rows [r0, r1) of one image, every channel. */
void ox_nn_small_conv(const ox_kcall *k, const ox_conv_image *a, int64_t r0, int64_t r1,
                      float *scratch)
{
    const ox_geom *g = a->g;
    int64_t wp = small_wp(g), ow_n = g->out[2], ohw = g->out[1] * ow_n;
    float *zeros = scratch, *planes = scratch + wp;
    memset(zeros, 0, (size_t)wp * sizeof *zeros);
    small_pad(g, a->x, a->cin, wp, planes, r0 * g->s[1] - g->pb[1],
              (r1 - 1) * g->s[1] - g->pb[1] + g->k[1]);
    float *y = a->y_all + a->y_off;
    for (int64_t oh = r0; oh < r1; oh++) {
        const float *rows[SMALL_MAX_CIN * SMALL_MAX_K];
        for (int64_t ci = 0; ci < a->cin; ci++)
            for (int64_t t = 0; t < g->k[1]; t++) {
                int64_t ih = oh * g->s[1] - g->pb[1] + t;
                rows[ci * g->k[1] + t] =
                    ih >= 0 && ih < g->in[1] ? planes + (ci * g->in[1] + ih) * wp : zeros;
            }
        small_row(g, rows, a->cin, a->w, a->b, 0, a->cout, y, oh);
        if (k->fused) /* finish the row while it is in cache */
            for (int64_t c = 0; c < a->cout; c++)
                ox_nn_finish(k, a->y_all, a->y_off + c * ohw + oh * ow_n, ow_n, 0.0f);
    }
}
