/* 3x3 stride-1 Conv by Winograd's F(2x2, 3x3): each 2x2 block of output
 * comes from a 4x4 block of input through 16 products instead of 36, so a
 * dense 3x3 conv does 2.25x fewer multiply-adds. The products are 16
 * sgemms per block of tiles: M[t] = U[t] (Cout x Cin, the transformed
 * weights) x V[t] (Cin x tiles, the transformed input). The transforms
 * only add and halve, so results stay within float rounding of the direct
 * sum.
 *
 *   U = G g G^T,  V = B^T d B,  Y = A^T M A  (Lavin and Gray, 2015)
 */
#pragma GCC optimize("fp-contract=fast")
#include "onnx/kern_nn_impl.h"

#define WINO_TILES 256 /* tiles per block: V and M stay within L2 */

int ox_nn_wino_fits(const ox_geom *g, int64_t groups, int64_t cin, int64_t cout)
{
    return groups == 1 && g->in[0] == 1 && g->k[1] == 3 && g->k[2] == 3 && g->s[1] == 1 &&
           g->s[2] == 1 && g->d[1] == 1 && g->d[2] == 1 && cin >= 16 && cout >= 8;
}

/* U[t][co][ci] for channels [oc0, oc1). */
static void wino_weights(const float *w, int64_t cin, int64_t oc0, int64_t oc1, float *u)
{
    int64_t cs = oc1 - oc0;
    for (int64_t co = oc0; co < oc1; co++)
        for (int64_t ci = 0; ci < cin; ci++) {
            const float *g = w + (co * cin + ci) * 9;
            float gg[4][3], out[16];
            for (int c = 0; c < 3; c++) {
                gg[0][c] = g[c];
                gg[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                gg[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                gg[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; r++) {
                out[4 * r + 0] = gg[r][0];
                out[4 * r + 1] = 0.5f * (gg[r][0] + gg[r][1] + gg[r][2]);
                out[4 * r + 2] = 0.5f * (gg[r][0] - gg[r][1] + gg[r][2]);
                out[4 * r + 3] = gg[r][2];
            }
            for (int t = 0; t < 16; t++)
                u[(t * cs + (co - oc0)) * cin + ci] = out[t];
        }
}

/* Tiles are handled 16 at a time along a row of tiles, one per lane of a
 * 16-float vector (one AVX-512 register, two AVX2 ones...). The helpers
 * returning vectors are always inlined, so the ABI note GCC gives about
 * them does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#define INLINE static inline __attribute__((always_inline))

INLINE v16 load16(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Even and odd lanes of the 32 floats a:b (macros: vector arguments by
 * value draw an ABI note from GCC). */
#define EVEN16(a, b)                                                                               \
    __builtin_shuffle(a, b, (v16i){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30})
#define ODD16(a, b)                                                                                \
    __builtin_shuffle(a, b, (v16i){1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})

/* Store the first n lanes: one vector store when all 16 (a memcpy of a
 * variable size is a call). */
#define STORE16(p, v, n)                                                                           \
    do {                                                                                           \
        v16 s16_ = (v);                                                                            \
        if ((n) == 16)                                                                             \
            memcpy(p, &s16_, sizeof s16_);                                                         \
        else                                                                                       \
            memcpy(p, &s16_, (size_t)(n) * sizeof(float));                                         \
    } while (0)

/* A band of one input channel: tile rows [ty0, ty0 + rows), as zero-padded
 * rows of width wp starting at input column -pb[2], so the vector loads
 * below need no checks. */
typedef struct {
    int64_t tw, rows, wp; /* tiles per row, tile rows, padded width */
} wino_band;

static void wino_band_fill(const ox_geom *g, const float *xc, int64_t ty0, const wino_band *b,
                           float *band)
{
    int64_t iw = g->in[2], pl = g->pb[2];
    for (int64_t r = 0; r < 2 * b->rows + 2; r++) {
        int64_t h = 2 * ty0 - g->pb[1] + r;
        float *row = band + r * b->wp;
        if (h < 0 || h >= g->in[1]) {
            memset(row, 0, (size_t)b->wp * sizeof *row);
            continue;
        }
        memset(row, 0, (size_t)pl * sizeof *row); /* only the pads: each float written once */
        memcpy(row + pl, xc + h * iw, (size_t)iw * sizeof *row);
        memset(row + pl + iw, 0, (size_t)(b->wp - pl - iw) * sizeof *row);
    }
}

/* B^T d B for 16 tiles from column 2*tx of band row r0; lane j of
 * v[t * stride] is tile tx + j's value t. */
INLINE void wino_input16(const float *band, int64_t wp, int64_t tx, float *v, int64_t stride,
                         int64_t n)
{
    v16 d[4][4];
    for (int r = 0; r < 4; r++) {
        const float *p = band + r * wp + 2 * tx;
        v16 a = load16(p), b = load16(p + 16), c = load16(p + 2), e = load16(p + 18);
        d[r][0] = EVEN16(a, b);
        d[r][1] = ODD16(a, b);
        d[r][2] = EVEN16(c, e);
        d[r][3] = ODD16(c, e);
    }
    for (int c = 0; c < 4; c++) {
        v16 t0 = d[0][c] - d[2][c], t1 = d[1][c] + d[2][c];
        v16 t2 = d[2][c] - d[1][c], t3 = d[1][c] - d[3][c];
        d[0][c] = t0, d[1][c] = t1, d[2][c] = t2, d[3][c] = t3;
    }
    for (int r = 0; r < 4; r++) {
        STORE16(v + (4 * r + 0) * stride, d[r][0] - d[r][2], n);
        STORE16(v + (4 * r + 1) * stride, d[r][1] + d[r][2], n);
        STORE16(v + (4 * r + 2) * stride, d[r][2] - d[r][1], n);
        STORE16(v + (4 * r + 3) * stride, d[r][1] - d[r][3], n);
    }
}

/* V[t][ci][j] for the tile rows of one band (tiles t0 .. t0 + rows * tw). */
OX_VEC static void wino_input(const ox_geom *g, const float *x, int64_t cin, int64_t ty0,
                              const wino_band *b, float *band, float *v)
{
    int64_t tb = b->rows * b->tw;
    for (int64_t ci = 0; ci < cin; ci++) {
        wino_band_fill(g, x + ci * g->in[1] * g->in[2], ty0, b, band);
        for (int64_t ty = 0; ty < b->rows; ty++)
            for (int64_t tx = 0; tx < b->tw; tx += 16)
                wino_input16(band + 2 * ty * b->wp, b->wp, tx, v + ci * tb + ty * b->tw + tx,
                             cin * tb, JF__MIN(16, b->tw - tx));
    }
}

/* Two output rows of 16 tiles: A^T m A, lanes interleaved into columns. */
INLINE void wino_output16(const float *m, int64_t st, float bias, float *y0, float *y1,
                          int64_t n_cols)
{
    v16 t[2][4];
    for (int c = 0; c < 4; c++) {
        v16 m0 = load16(m + c * st), m1 = load16(m + (4 + c) * st);
        v16 m2 = load16(m + (8 + c) * st), m3 = load16(m + (12 + c) * st);
        t[0][c] = m0 + m1 + m2;
        t[1][c] = m1 - m2 - m3;
    }
    float *rows[2] = {y0, y1};
    for (int r = 0; r < 2; r++) {
        if (!rows[r])
            continue;
        v16 a = t[r][0] + t[r][1] + t[r][2] + bias, b = t[r][1] - t[r][2] - t[r][3] + bias;
        v16 lo =
            __builtin_shuffle(a, b, (v16i){0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23});
        v16 hi = __builtin_shuffle(
            a, b, (v16i){8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31});
        STORE16(rows[r], lo, JF__MIN(n_cols, 16));
        if (n_cols > 16)
            STORE16(rows[r] + 16, hi, n_cols - 16);
    }
}

/* Y plus the bias for the tile rows of one band, channels [0, cs) of y. */
OX_VEC static void wino_output(const ox_geom *g, const float *mm, int64_t cs, int64_t ty0,
                               const wino_band *b, const float *bias, float *y)
{
    int64_t oh = g->out[1], ow = g->out[2], tb = b->rows * b->tw, st = cs * tb;
    for (int64_t c = 0; c < cs; c++)
        for (int64_t ty = 0; ty < b->rows; ty++) {
            int64_t h = 2 * (ty0 + ty);
            float *y0 = y + (c * oh + h) * ow, *y1 = h + 1 < oh ? y0 + ow : NULL;
            for (int64_t tx = 0; tx < b->tw; tx += 16)
                wino_output16(mm + c * tb + ty * b->tw + tx, st, bias ? bias[c] : 0.0f, y0 + 2 * tx,
                              y1 ? y1 + 2 * tx : NULL, JF__MIN(32, ow - 2 * tx));
        }
}

static wino_band wino_band_of(const ox_geom *g)
{
    wino_band b;
    b.tw = (g->out[2] + 1) / 2;
    b.rows = JF__MAX(WINO_TILES / b.tw, 1);
    b.rows = JF__MIN(b.rows, (g->out[1] + 1) / 2);
    /* Vector loads read 34 floats from column 2 * tx of the last group. */
    b.wp = JF__MAX(2 * ((b.tw + 15) / 16 * 16) + 18, g->pb[2] + g->in[2]);
    return b;
}

size_t ox_nn_wino_scratch_floats(const ox_geom *g, int64_t cin, int64_t cout_slice)
{
    wino_band b = wino_band_of(g);
    int64_t tb = b.rows * b.tw;
    return (size_t)(16 * cout_slice * cin + 16 * cin * tb + 16 * cout_slice * tb +
                    (2 * b.rows + 2) * b.wp);
}

void ox_nn_wino_conv(const ox_kcall *k, const ox_conv_image *a, int64_t ty_lo, int64_t ty_hi,
                     float *scratch)
{
    const ox_geom *g = a->g;
    wino_band b = wino_band_of(g);
    int64_t cs = a->cout, cin = a->cin, ohw = g->out[1] * g->out[2], tbmax = b.rows * b.tw;
    float *u = scratch, *v = u + 16 * cs * cin, *mm = v + 16 * cin * tbmax;
    float *band = mm + 16 * cs * tbmax;
    float *y = a->y_all + a->y_off;
    wino_weights(a->w, cin, 0, cs, u);
    for (int64_t ty0 = ty_lo; ty0 < ty_hi; ty0 += b.rows) {
        wino_band bb = b;
        bb.rows = JF__MIN(b.rows, ty_hi - ty0);
        int64_t tb = bb.rows * bb.tw;
        wino_input(g, a->x, cin, ty0, &bb, band, v);
        for (int t = 0; t < 16; t++)
            ox_nn_sgemm(cs, tb, cin, u + t * cs * cin, cin, v + t * cin * tb, tb, mm + t * cs * tb,
                        tb);
        wino_output(g, mm, cs, ty0, &bb, a->b, y);
    }
    int64_t h0 = 2 * ty_lo, h1 = JF__MIN(2 * ty_hi, g->out[1]), ow = g->out[2];
    for (int64_t c = 0; c < cs && k->fused; c++)
        ox_nn_finish(k, a->y_all, a->y_off + c * ohw + h0 * ow, (h1 - h0) * ow, 0.0f);
}
