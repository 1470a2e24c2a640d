/* MatMul (numpy semantics: 1-D operands, batched broadcasting) and Gemm
 * (transA/transB, alpha, beta, C broadcast), through sgemm with slices over
 * output rows; MatMulInteger, QLinearMatMul and DynamicQuantizeLinear, the
 * integer operators quantized models use, computed directly with exact
 * integer sums. */
#include <cblas.h>
#include <math.h>

#include "onnx/kern_nn_impl.h"

/* ---- batched matrix shapes ---- */

typedef struct {
    int64_t m, k, n;
    int64_t batch;                                /* output batch count */
    int ob;                                       /* output batch rank */
    int64_t bdims[OX_MAX_RANK];                   /* output batch dims */
    int64_t astr[OX_MAX_RANK], bstr[OX_MAX_RANK]; /* matrix strides per batch dim, 0 broadcast */
    int b_shared; /* B has no batch dims: A's rows run on across batches */
} mm_shape;

/* Strides of an operand's batch dims (rank r, matrix dims last) laid over
 * the output batch dims. */
static void mm_batch_strides(const ox_view *v, int ob, const int64_t *bdims, int64_t mat,
                             int64_t *str)
{
    int vb = v->rank > 2 ? v->rank - 2 : 0;
    int64_t s = mat;
    for (int i = ob - 1; i >= 0; i--) {
        int j = i - (ob - vb);
        int64_t d = j >= 0 ? v->dims[j] : 1;
        str[i] = d == 1 && bdims[i] != 1 ? 0 : s;
        s *= d;
    }
}

static int mm_batch_dims(const ox_kcall *k, const ox_view *a, const ox_view *b, mm_shape *s)
{
    int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
    s->ob = JF__MAX(ab, bb);
    s->batch = 1;
    for (int i = 0; i < s->ob; i++) {
        int ia = i - (s->ob - ab), ib = i - (s->ob - bb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ox_kfail(k, "batch dims %lld and %lld do not broadcast", (long long)da,
                            (long long)db);
        s->bdims[i] = da == 1 ? db : da;
        s->batch *= s->bdims[i];
    }
    mm_batch_strides(a, s->ob, s->bdims, s->m * s->k, s->astr);
    mm_batch_strides(b, s->ob, s->bdims, s->k * s->n, s->bstr);
    s->b_shared = bb == 0;
    return 0;
}

static int mm_shape_of(const ox_kcall *k, const ox_view *a, const ox_view *b, mm_shape *s)
{
    if (a->rank < 1 || b->rank < 1 || a->rank > OX_MAX_RANK || b->rank > OX_MAX_RANK)
        return ox_kfail(k, "MatMul needs operands of rank 1 or more");
    s->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    s->k = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    s->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    if (kb != s->k)
        return ox_kfail(k, "inner dims %lld and %lld differ", (long long)s->k, (long long)kb);
    if (mm_batch_dims(k, a, b, s))
        return -1;
    return 0;
}

/* Offsets of batch bi's matrices in A and B. */
static void mm_offsets(const mm_shape *s, int64_t bi, int64_t *ao, int64_t *bo)
{
    *ao = *bo = 0;
    for (int i = s->ob - 1; i >= 0; i--) {
        int64_t c = bi % s->bdims[i];
        bi /= s->bdims[i];
        *ao += c * s->astr[i];
        *bo += c * s->bstr[i];
    }
}

/* ---- MatMul ---- */

static int mm_prepare(const ox_kcall *k, mm_shape *s, const float **a, const float **b, float **y)
{
    const ox_view *va = ox_nn_float_in(k, 0), *vb = va ? ox_nn_float_in(k, 1) : NULL;
    if (!vb || mm_shape_of(k, va, vb, s))
        return -1;
    const ox_view *vy = ox_nn_float_out(k, 0, s->batch * s->m * s->n);
    if (!vy)
        return -1;
    *a = va->data;
    *b = vb->data;
    *y = vy->data;
    return 0;
}

static void mm_rows(const mm_shape *s, const float *a, const float *b, float *y, int64_t rows)
{
    if (rows <= 0 || s->n <= 0)
        return;
    if (s->k == 0) {
        memset(y, 0, (size_t)(rows * s->n) * sizeof *y);
        return;
    }
    ox_nn_sgemm(rows, s->n, s->k, a, s->k, b, s->n, y, s->n);
}

int ox_nn_matmul_run(const ox_kcall *k)
{
    mm_shape s = {0};
    const float *a, *b;
    float *y;
    if (mm_prepare(k, &s, &a, &b, &y))
        return -1;
    int64_t lo, hi;
    ox_slice_range(s.batch * s.m, k->slice, k->n_slices, &lo, &hi);
    if (s.b_shared) {
        /* A's rows of all batches form one matrix against the same B. */
        mm_rows(&s, a + lo * s.k, b, y + lo * s.n, hi - lo);
    } else {
        for (int64_t r = lo; r < hi;) {
            int64_t bi = r / s.m, r1 = JF__MIN(hi, (bi + 1) * s.m), ao, bo;
            mm_offsets(&s, bi, &ao, &bo);
            mm_rows(&s, a + ao + (r - bi * s.m) * s.k, b + bo, y + r * s.n, r1 - r);
            r = r1;
        }
    }
    ox_nn_finish(k, y, lo * s.n, (hi - lo) * s.n, 0.0f);
    return 0;
}

int64_t ox_nn_matmul_slices(const jf_onnx_model *m, const ox_node *n)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    mm_shape s = {0};
    if (!m || ox_nn_model_call(m, n, ins, outs, &k) || n->n_in < 2)
        return 1;
    return mm_shape_of(&k, &ins[0], &ins[1], &s) ? 1 : JF__MAX(s.batch * s.m, 1);
}

/* ---- Gemm ---- */

typedef struct {
    int64_t m, k, n;
    int ta, tb;
    float alpha, beta;
    const float *a, *b, *c;
    int64_t c_rs, c_cs; /* C's row and column strides, 0 where broadcast */
    float *y;
} gemm_args;

static int gemm_c(const ox_kcall *k, gemm_args *g)
{
    g->c = NULL;
    if (k->n->n_in < 3 || !k->in[2].data || g->beta == 0.0f)
        return 0;
    const ox_view *c = ox_nn_float_in(k, 2);
    if (!c || c->rank > 2)
        return c ? ox_kfail(k, "C has rank %d", c->rank) : -1;
    int64_t rows = c->rank == 2 ? c->dims[0] : 1, cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    if ((rows != 1 && rows != g->m) || (cols != 1 && cols != g->n))
        return ox_kfail(k, "C of %lld x %lld does not broadcast to %lld x %lld", (long long)rows,
                        (long long)cols, (long long)g->m, (long long)g->n);
    g->c = c->data;
    g->c_rs = rows == 1 ? 0 : cols;
    g->c_cs = cols == 1 ? 0 : 1;
    return 0;
}

static int gemm_prepare(const ox_kcall *k, gemm_args *g)
{
    const ox_view *a = ox_nn_float_in(k, 0), *b = a ? ox_nn_float_in(k, 1) : NULL;
    if (!b)
        return -1;
    if (a->rank != 2 || b->rank != 2)
        return ox_kfail(k, "Gemm needs 2-D A and B (ranks %d, %d)", a->rank, b->rank);
    g->ta = ox_attr_int(k->n, "transA", 0) != 0;
    g->tb = ox_attr_int(k->n, "transB", 0) != 0;
    g->alpha = (float)ox_attr_float(k->n, "alpha", 1.0);
    g->beta = (float)ox_attr_float(k->n, "beta", 1.0);
    g->m = a->dims[g->ta ? 1 : 0];
    g->k = a->dims[g->ta ? 0 : 1];
    g->n = b->dims[g->tb ? 0 : 1];
    if (b->dims[g->tb ? 1 : 0] != g->k)
        return ox_kfail(k, "inner dims of A and B differ");
    const ox_view *y = ox_nn_float_out(k, 0, g->m * g->n);
    if (!y || gemm_c(k, g))
        return -1;
    g->a = a->data;
    g->b = b->data;
    g->y = y->data;
    return 0;
}

int ox_nn_gemm_run(const ox_kcall *k)
{
    gemm_args g = {0};
    if (gemm_prepare(k, &g))
        return -1;
    int64_t lo, hi;
    ox_slice_range(g.m, k->slice, k->n_slices, &lo, &hi);
    if (hi <= lo || g.n == 0)
        return 0;
    for (int64_t i = lo; i < hi; i++)
        for (int64_t j = 0; j < g.n; j++)
            g.y[i * g.n + j] = g.c ? g.beta * g.c[i * g.c_rs + j * g.c_cs] : 0.0f;
    const float *a = g.a + (g.ta ? lo : lo * g.k);
    if (g.k > 0)
        cblas_sgemm(CblasRowMajor, g.ta ? CblasTrans : CblasNoTrans,
                    g.tb ? CblasTrans : CblasNoTrans, (int)(hi - lo), (int)g.n, (int)g.k, g.alpha,
                    a, (int)(g.ta ? g.m : g.k), g.b, (int)(g.tb ? g.k : g.n), 1.0f, g.y + lo * g.n,
                    (int)g.n);
    ox_nn_finish(k, g.y, lo * g.n, (hi - lo) * g.n, 0.0f);
    return 0;
}

int64_t ox_nn_gemm_slices(const jf_onnx_model *m, const ox_node *n)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    if (!m || ox_nn_model_call(m, n, ins, outs, &k) || n->n_in < 2 || ins[0].rank != 2)
        return 1;
    return JF__MAX(ins[0].dims[ox_attr_int(n, "transA", 0) ? 1 : 0], 1);
}

/* ---- MatMulInteger ---- */

static int32_t qv(const ox_view *v, int64_t i)
{
    return v->dtype == OX_UINT8 ? ((const uint8_t *)v->data)[i] : ((const int8_t *)v->data)[i];
}

/* Zero point of row/column i: scalar or one per row/column. */
static int32_t zp_at(const ox_view *z, int64_t i)
{
    return !z ? 0 : qv(z, z->numel == 1 ? 0 : i);
}

static int mmi_check(const ox_kcall *k, const ox_view **za, const ox_view **zb)
{
    for (int i = 0; i < k->n->n_in && i < 4; i++) {
        const ox_view *v = &k->in[i];
        if (i < 2 && !v->data)
            return ox_kfail(k, "input %d is missing", i);
        if (v->data && v->dtype != OX_UINT8 && v->dtype != OX_INT8)
            return ox_kfail(k, "input %d is not uint8 or int8", i);
    }
    *za = k->n->n_in > 2 && k->in[2].data ? &k->in[2] : NULL;
    *zb = k->n->n_in > 3 && k->in[3].data ? &k->in[3] : NULL;
    return 0;
}

int ox_nn_matmul_integer_run(const ox_kcall *k)
{
    const ox_view *za, *zb;
    mm_shape s = {0};
    if (mmi_check(k, &za, &zb) || mm_shape_of(k, &k->in[0], &k->in[1], &s))
        return -1;
    if ((za && za->numel != 1 && za->numel != s.m) || (zb && zb->numel != 1 && zb->numel != s.n))
        return ox_kfail(k, "zero points neither scalars nor one per row/column");
    if (k->out[0].dtype != OX_INT32 || k->out[0].numel != s.batch * s.m * s.n)
        return ox_kfail(k, "output is not int32 of the expected size");
    int32_t *y = k->out[0].data;
    for (int64_t bi = 0; bi < s.batch; bi++) {
        int64_t ao, bo;
        mm_offsets(&s, bi, &ao, &bo);
        for (int64_t i = 0; i < s.m; i++)
            for (int64_t j = 0; j < s.n; j++) {
                int64_t sum = 0;
                for (int64_t t = 0; t < s.k; t++)
                    sum += (int64_t)(qv(&k->in[0], ao + i * s.k + t) - zp_at(za, i)) *
                           (qv(&k->in[1], bo + t * s.n + j) - zp_at(zb, j));
                y[(bi * s.m + i) * s.n + j] = (int32_t)sum;
            }
    }
    return 0;
}

/* ---- QLinearMatMul ---- */

typedef struct {
    const ox_view *a, *b, *as, *bs, *za, *zb;
    float ys;
    int32_t yzp;
} qmm_args;

/* A scale for row/column i: scalar or one per row/column. */
static double scale_at(const ox_view *s, int64_t i)
{
    return ((const float *)s->data)[s->numel == 1 ? 0 : i];
}

static int qmm_read(const ox_kcall *k, qmm_args *q, mm_shape *s)
{
    if (k->n->n_in < 8)
        return ox_kfail(k, "QLinearMatMul takes 8 inputs");
    for (int i = 0; i < 8; i++) {
        const ox_view *v = &k->in[i];
        int is_scale = i == 1 || i == 4 || i == 6;
        if (!v->data ||
            (is_scale ? v->dtype != OX_FLOAT : v->dtype != OX_UINT8 && v->dtype != OX_INT8))
            return ox_kfail(k, "input %d is missing or of the wrong type", i);
    }
    q->a = &k->in[0], q->as = &k->in[1], q->za = &k->in[2];
    q->b = &k->in[3], q->bs = &k->in[4], q->zb = &k->in[5];
    q->ys = *(const float *)k->in[6].data;
    q->yzp = qv(&k->in[7], 0);
    if (mm_shape_of(k, q->a, q->b, s))
        return -1;
    int ok = (q->as->numel == 1 || q->as->numel == s->m) &&
             (q->za->numel == 1 || q->za->numel == s->m) &&
             (q->bs->numel == 1 || q->bs->numel == s->n) &&
             (q->zb->numel == 1 || q->zb->numel == s->n);
    const ox_view *y = k->n->n_out > 0 ? &k->out[0] : NULL;
    if (!ok || !y || (y->dtype != OX_UINT8 && y->dtype != OX_INT8) ||
        y->numel != s->batch * s->m * s->n)
        return ox_kfail(k, "scales, zero points or output do not fit the operands");
    return 0;
}

static void qmm_store(const ox_view *y, int64_t i, double v, int32_t zp)
{
    double r = nearbyint(v) + zp;
    if (y->dtype == OX_UINT8)
        ((uint8_t *)y->data)[i] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    else
        ((int8_t *)y->data)[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
}

int ox_nn_qlinear_matmul_run(const ox_kcall *k)
{
    qmm_args q = {0};
    mm_shape s = {0};
    if (qmm_read(k, &q, &s))
        return -1;
    for (int64_t bi = 0; bi < s.batch; bi++) {
        int64_t ao, bo;
        mm_offsets(&s, bi, &ao, &bo);
        for (int64_t i = 0; i < s.m; i++)
            for (int64_t j = 0; j < s.n; j++) {
                int64_t sum = 0;
                for (int64_t t = 0; t < s.k; t++)
                    sum += (int64_t)(qv(q.a, ao + i * s.k + t) - zp_at(q.za, i)) *
                           (qv(q.b, bo + t * s.n + j) - zp_at(q.zb, j));
                double scale = scale_at(q.as, i) * scale_at(q.bs, j) / q.ys;
                qmm_store(&k->out[0], (bi * s.m + i) * s.n + j, (double)sum * scale, q.yzp);
            }
    }
    return 0;
}

/* ---- DynamicQuantizeLinear ---- */

static float dq_round(float v)
{
    return nearbyintf(v); /* ties to even, as ONNX asks */
}

static uint8_t dq_sat(float v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

int ox_nn_dynamic_quantize_run(const ox_kcall *k)
{
    const ox_view *x = ox_nn_float_in(k, 0);
    if (!x)
        return -1;
    if (k->n->n_out < 3 || k->out[0].dtype != OX_UINT8 || k->out[0].numel != x->numel ||
        k->out[1].dtype != OX_FLOAT || k->out[1].numel != 1 || k->out[2].dtype != OX_UINT8 ||
        k->out[2].numel != 1)
        return ox_kfail(k, "outputs must be uint8 y, float scale and uint8 zero point");
    const float *xv = x->data;
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        lo = xv[i] < lo ? xv[i] : lo;
        hi = xv[i] > hi ? xv[i] : hi;
    }
    float scale = (hi - lo) / 255.0f;
    uint8_t zp = scale > 0 ? dq_sat(dq_round(-lo / scale)) : 0;
    uint8_t *y = k->out[0].data;
    for (int64_t i = 0; i < x->numel; i++)
        y[i] = scale > 0 ? dq_sat(dq_round(xv[i] / scale) + zp) : zp;
    *(float *)k->out[1].data = scale;
    *(uint8_t *)k->out[2].data = zp;
    return 0;
}
