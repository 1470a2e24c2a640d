/* C = A x B (row-major, no transposes, C overwritten) for the conv paths,
 * where B is the activation: a few hundred rows of thousands of
 * contiguous columns. On AVX-512 machines an 8 x 32 register block runs
 * straight over B's rows (no packing: a 32-column panel of B stays in
 * L1/L2 while every 8-row block of A passes over it); elsewhere, and for
 * shapes it does not suit, OpenBLAS.
 *
 * Why not always OpenBLAS: its kernel is picked by CPU model at load time
 * (or by OPENBLAS_CORETYPE), and its AVX2 kernels run at half the speed of
 * AVX-512 on machines that have it. */
#include <cblas.h>

#include "onnx/kern_nn_impl.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define OX_HAVE_AVX512_GEMM 1

#define AVX512 __attribute__((target("avx512f,fma")))

/* One call's operands, offset to the block at hand. */
typedef struct {
    const float *a, *b, *bias; /* bias: one value per row of C, or NULL */
    float *c;
    int64_t lda, ldb, ldc, k_n;
    int add; /* a later block of K: add to C's values */
} gemm_op;

/* Rows [0, mr) x columns [0, 32) of o's C over o's k_n rows of B,
 * starting from C's values, the bias or zero; columns past the end are
 * masked off. Inlined with constant mr, so the accumulators live in
 * registers. */
static inline __attribute__((always_inline)) AVX512 void block(int mr, const gemm_op *o,
                                                               __mmask16 m0, __mmask16 m1)
{
    __m512 acc[8][2];
    for (int i = 0; i < mr; i++) {
        __m512 start = _mm512_set1_ps(o->bias ? o->bias[i] : 0.0f);
        acc[i][0] = o->add ? _mm512_maskz_loadu_ps(m0, o->c + i * o->ldc) : start;
        acc[i][1] = o->add ? _mm512_maskz_loadu_ps(m1, o->c + i * o->ldc + 16) : start;
    }
    for (int64_t k = 0; k < o->k_n; k++) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, o->b + k * o->ldb);
        __m512 b1 = _mm512_maskz_loadu_ps(m1, o->b + k * o->ldb + 16);
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(o->a[i * o->lda + k]);
            acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(o->c + i * o->ldc, m0, acc[i][0]);
        _mm512_mask_storeu_ps(o->c + i * o->ldc + 16, m1, acc[i][1]);
    }
}

/* One 32-column panel (cols of them real) for all m_n rows: blocks of 8
 * rows, then 4, then 1. */
static AVX512 void panel(gemm_op o, int64_t m_n, int64_t cols)
{
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xffff : (1u << cols) - 1);
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xffff : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    const float *a = o.a, *bias = o.bias;
    float *c = o.c;
    for (int64_t m = 0; m < m_n;) {
        int mr = m + 8 <= m_n ? 8 : m + 4 <= m_n ? 4 : 1;
        o.a = a + m * o.lda;
        o.c = c + m * o.ldc;
        o.bias = bias ? bias + m : NULL;
        if (mr == 8)
            block(8, &o, m0, m1);
        else if (mr == 4)
            block(4, &o, m0, m1);
        else
            block(1, &o, m0, m1);
        m += mr;
    }
}

/* K in blocks of GEMM_KB rows of B, so a 32-column panel of B (GEMM_KB x
 * 128 bytes) stays in L1/L2 while the blocks of A pass over it. */
#define GEMM_KB 512

static AVX512 void gemm_avx512(int64_t m_n, int64_t n_n, const gemm_op *op)
{
    for (int64_t n = 0; n < n_n; n += 32)
        for (int64_t k0 = 0; k0 < op->k_n || k0 == 0; k0 += GEMM_KB) {
            gemm_op o = *op;
            o.a += k0;
            o.b += k0 * o.ldb + n;
            o.c += n;
            o.k_n = JF__MIN(GEMM_KB, op->k_n - k0);
            o.add = k0 > 0;
            panel(o, m_n, JF__MIN(32, n_n - n));
        }
}

/* A test of flags libgcc filled in at start-up: cheap enough per call. */
static int has_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}
#endif

void ox_nn_sgemm_bias(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float *c, int64_t ldc, const float *bias)
{
    if (m <= 0 || n <= 0)
        return;
#ifdef OX_HAVE_AVX512_GEMM
    if (has_avx512() && m >= 4) { /* tiny M wastes the 8-row block */
        gemm_op op = {a, b, bias, c, lda, ldb, ldc, k, 0};
        gemm_avx512(m, n, &op);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
                (int)lda, b, (int)ldb, 0.0f, c, (int)ldc);
    for (int64_t i = 0; i < m && bias; i++)
        for (int64_t j = 0; j < n; j++)
            c[i * ldc + j] += bias[i];
}

void ox_nn_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc)
{
    ox_nn_sgemm_bias(m, n, k, a, lda, b, ldb, c, ldc, NULL);
}
