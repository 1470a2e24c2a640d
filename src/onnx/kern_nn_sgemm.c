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

/* Rows [m, m + mr) x columns [n, n + 32) of C over k_n of K, added to
 * C's values when `add` (a later block of K); columns past the end are
 * masked off. Inlined with constant mr, so the accumulators live in
 * registers. */
static inline __attribute__((always_inline)) AVX512 void block(int mr, int64_t k_n, const float *a,
                                                               int64_t lda, const float *b,
                                                               int64_t ldb, float *c, int64_t ldc,
                                                               __mmask16 m0, __mmask16 m1, int add)
{
    __m512 acc[8][2];
    for (int i = 0; i < mr; i++) {
        acc[i][0] = add ? _mm512_maskz_loadu_ps(m0, c + i * ldc) : _mm512_setzero_ps();
        acc[i][1] = add ? _mm512_maskz_loadu_ps(m1, c + i * ldc + 16) : _mm512_setzero_ps();
    }
    for (int64_t k = 0; k < k_n; k++) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b + k * ldb);
        __m512 b1 = _mm512_maskz_loadu_ps(m1, b + k * ldb + 16);
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(a[i * lda + k]);
            acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(c + i * ldc, m0, acc[i][0]);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, acc[i][1]);
    }
}

/* One 32-column panel for all rows: blocks of 8 rows, then 4, then 1. */
static AVX512 void panel(int64_t m_n, int64_t k_n, const float *a, int64_t lda, const float *b,
                         int64_t ldb, float *c, int64_t ldc, int64_t cols, int add)
{
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xffff : (1u << cols) - 1);
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xffff : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    int64_t m = 0;
    for (; m + 8 <= m_n; m += 8)
        block(8, k_n, a + m * lda, lda, b, ldb, c + m * ldc, ldc, m0, m1, add);
    for (; m + 4 <= m_n; m += 4)
        block(4, k_n, a + m * lda, lda, b, ldb, c + m * ldc, ldc, m0, m1, add);
    for (; m < m_n; m++)
        block(1, k_n, a + m * lda, lda, b, ldb, c + m * ldc, ldc, m0, m1, add);
}

/* K in blocks of GEMM_KB rows of B, so a 32-column panel of B (GEMM_KB x
 * 128 bytes) stays in L1/L2 while the blocks of A pass over it. */
#define GEMM_KB 512

static AVX512 void gemm_avx512(int64_t m_n, int64_t n_n, int64_t k_n, const float *a, int64_t lda,
                               const float *b, int64_t ldb, float *c, int64_t ldc)
{
    for (int64_t n = 0; n < n_n; n += 32)
        for (int64_t k0 = 0; k0 < k_n || k0 == 0; k0 += GEMM_KB)
            panel(m_n, JF__MIN(GEMM_KB, k_n - k0), a + k0, lda, b + k0 * ldb + n, ldb, c + n, ldc,
                  JF__MIN(32, n_n - n), k0 > 0);
}

/* A test of flags libgcc filled in at start-up: cheap enough per call. */
static int has_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}
#endif

void ox_nn_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0)
        return;
#ifdef OX_HAVE_AVX512_GEMM
    /* Tiny M wastes the 8-row block. */
    if (has_avx512() && m >= 4) {
        gemm_avx512(m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
                (int)lda, b, (int)ldb, 0.0f, c, (int)ldc);
}
