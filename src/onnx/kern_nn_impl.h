/* Between the neural-network kernel files (kern_nn*.c): the window
 * geometry that Conv, ConvTranspose and the pools share, the views of a
 * node's inferred shapes that the `slices`/`scratch` functions work from,
 * and each file's entry points, which kern_nn.c lists in ox_kernels_nn[].
 */
#ifndef JF_ONNX_KERN_NN_IMPL_H
#define JF_ONNX_KERN_NN_IMPL_H

#include "onnx/kernel.h"

/* Hot loops are compiled for AVX-512 and AVX2 as well as the baseline and
 * picked at load time: the build targets plain x86-64, the machines that
 * run models have more. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OX_VEC __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OX_VEC
#endif

/* Spatial dims beyond the first two of an N-d window operator, seen as 3-D
 * with leading 1s (a 1-D conv is 1 x 1 x W), so one loop nest serves 1-D,
 * 2-D and 3-D. */
#define OX_SP 3

typedef struct {
    int nsp;                       /* spatial dims in the model (1..3) */
    int64_t in[OX_SP], out[OX_SP]; /* spatial sizes */
    int64_t k[OX_SP], s[OX_SP], d[OX_SP];
    int64_t pb[OX_SP], pe[OX_SP]; /* pads at the beginning and the end */
} ox_geom;

/* Fill g from x's and out's spatial dims (x and out are [N, C, spatial...]),
 * the kernel shape ks (nsp values) and the node's strides, dilations, pads
 * and auto_pad. Checks ranges; -1 with a message through k. */
JF__HIDDEN int ox_nn_geom(const ox_kcall *k, const ox_view *x, const ox_view *out,
                          const int64_t *ks, ox_geom *g);
static inline int64_t ox_geom_in_size(const ox_geom *g)
{
    return g->in[0] * g->in[1] * g->in[2];
}
static inline int64_t ox_geom_out_size(const ox_geom *g)
{
    return g->out[0] * g->out[1] * g->out[2];
}
static inline int64_t ox_geom_k_size(const ox_geom *g)
{
    return g->k[0] * g->k[1] * g->k[2];
}

/* A view of tensor t's inferred shape (data NULL), so `slices` and
 * `scratch` can size work before anything runs. Returns 0, or -1 when t is
 * absent or its shape unknown. */
JF__HIDDEN int ox_nn_model_view(const jf_onnx_model *m, int32_t t, ox_view *v);
/* A kcall over inferred shapes with no data, for `slices`/`scratch`. ins and
 * outs need room for n->n_in / n->n_out views (at most 16). -1 when a
 * shape is unknown. It has no message buffer: a prepare step that fails
 * on it only says so by its status. */
JF__HIDDEN int ox_nn_model_call(const jf_onnx_model *m, const ox_node *n, ox_view *ins,
                                ox_view *outs, ox_kcall *k);

/* Whether k->scratch holds `need` bytes: the runtime sized it with the
 * kernel's `planned` function over the inferred shapes, so it does when
 * the views still have those shapes (checked cheaply) or when `planned`
 * says so for this call. */
JF__HIDDEN int ox_nn_scratch_fits(const ox_kcall *k, size_t need,
                                  size_t (*planned)(const jf_onnx_model *, const ox_node *,
                                                    int64_t));

/* Input i as a float view, or NULL (with a message) when absent or not
 * float. */
JF__HIDDEN const ox_view *ox_nn_float_in(const ox_kcall *k, int i);
/* Float output i, present and of `numel` elements. */
JF__HIDDEN const ox_view *ox_nn_float_out(const ox_kcall *k, int i, int64_t numel);

/* Bias then the fused steps on `count` values at flat `start` of output 0. */
JF__HIDDEN void ox_nn_finish(const ox_kcall *k, float *y, int64_t start, int64_t count, float bias);

/* C = A x B, row-major, no transposes, C overwritten (kern_nn_sgemm.c):
 * an AVX-512 kernel where the machine has it, else OpenBLAS. The _bias
 * form adds bias[i] to row i (bias may be NULL) in the same pass. */
JF__HIDDEN void ox_nn_sgemm_bias(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                 const float *b, int64_t ldb, float *c, int64_t ldc,
                                 const float *bias);
JF__HIDDEN void ox_nn_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                            const float *b, int64_t ldb, float *c, int64_t ldc);

/* ---- dense conv paths in their own files ---- */
/* One image of a group-1 2-D Conv. */
typedef struct {
    const ox_geom *g;
    int64_t cin, cout;
    const float *x, *w, *b; /* image n's input, all weights [Cout, Cin, kh, kw], bias or NULL */
    float *y_all;           /* output 0 */
    int64_t y_off;          /* where image n starts in it */
} ox_conv_image;

/* Winograd F(2x2, 3x3) for 3x3 stride-1 convs (kern_nn_winograd.c). */
JF__HIDDEN int ox_nn_wino_fits(const ox_geom *g, int64_t groups, int64_t cin, int64_t cout);
/* Scratch floats for cout_slice output channels. */
JF__HIDDEN size_t ox_nn_wino_scratch_floats(const ox_geom *g, int64_t cin, int64_t cout_slice);
/* Tile rows [ty0, ty1) (output rows 2 ty0 .. 2 ty1) of one image, every
 * channel, bias and fused steps included. */
JF__HIDDEN void ox_nn_wino_conv(const ox_kcall *k, const ox_conv_image *a, int64_t ty0, int64_t ty1,
                                float *scratch);

/* Direct loops for few input channels, like a network's first conv on an
 * RGB image (kern_nn_convsmall.c): output rows [r0, r1) of one image. */
JF__HIDDEN int ox_nn_small_fits(const ox_geom *g, int64_t groups, int64_t cin);
JF__HIDDEN size_t ox_nn_small_scratch_floats(const ox_geom *g, int64_t cin);
JF__HIDDEN void ox_nn_small_conv(const ox_kcall *k, const ox_conv_image *a, int64_t r0, int64_t r1,
                                 float *scratch);

/* ---- entry points ---- */
#define OX_NN_KERNEL(name)                                                                         \
    JF__HIDDEN int ox_nn_##name##_run(const ox_kcall *k);                                          \
    JF__HIDDEN int64_t ox_nn_##name##_slices(const jf_onnx_model *m, const ox_node *n);            \
    JF__HIDDEN size_t ox_nn_##name##_scratch(const jf_onnx_model *m, const ox_node *n,             \
                                             int64_t n_slices);
OX_NN_KERNEL(conv)
OX_NN_KERNEL(conv_transpose)
OX_NN_KERNEL(conv_integer)
OX_NN_KERNEL(matmul)
OX_NN_KERNEL(gemm)
OX_NN_KERNEL(matmul_integer)
OX_NN_KERNEL(qlinear_matmul)
OX_NN_KERNEL(qlinear_conv)
OX_NN_KERNEL(quantize)
OX_NN_KERNEL(dequantize)
OX_NN_KERNEL(dynamic_quantize)
OX_NN_KERNEL(lstm)
OX_NN_KERNEL(batchnorm)
OX_NN_KERNEL(instancenorm)
OX_NN_KERNEL(layernorm)
OX_NN_KERNEL(pool)
OX_NN_KERNEL(max_unpool)
OX_NN_KERNEL(lrn)
OX_NN_KERNEL(global_pool)
OX_NN_KERNEL(softmax)
OX_NN_KERNEL(resize)
OX_NN_KERNEL(pad)

#endif
