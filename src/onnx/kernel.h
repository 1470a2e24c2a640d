/* CPU kernels for ONNX operators: the interface between the runtime
 * (session.c, which owns memory, order and threads) and the per-operator
 * kernels (kern_*.c).
 *
 * A kernel computes one node, or one slice of it: the runtime may split a
 * big node into n_slices calls that each write their own part of the
 * outputs in place (output channels of a Conv, rows of a MatMul), run on
 * different workers at once. Kernels are single-threaded (OpenBLAS is set
 * to one thread); they never allocate: scratch memory, sized by the
 * kernel's `scratch` function, is handed to them.
 *
 * Tensors are dense and row-major. Floating point values are float32 at run
 * time whatever the model says (float16/bfloat16/double inputs and weights
 * are converted once at load); integer and boolean values keep their ONNX
 * dtype and width (int64_t, int32_t, uint8_t, int8_t, bool as one byte 0/1).
 *
 * Kernel tables: kern_nn.c exports ox_kernels_nn[], kern_ew.c exports
 * ox_kernels_ew[] (element-wise, shape and reduction operators); each ends
 * with an entry whose op is NULL. kernels.c looks them up.
 */
#ifndef JF_ONNX_KERNEL_H
#define JF_ONNX_KERNEL_H

#include "onnx/onnx_impl.h"

/* The dtype a value has at run time: float16, bfloat16 and double become
 * float; the others keep theirs. */
static inline int32_t ox_run_dtype(int32_t dtype)
{
    return dtype == OX_FLOAT16 || dtype == OX_BFLOAT16 || dtype == OX_DOUBLE ? OX_FLOAT : dtype;
}

/* A value at run time: where it lives and its shape. data is NULL for an
 * omitted optional input. */
typedef struct {
    void *data;
    int32_t dtype;      /* run-time dtype */
    int rank;
    const int64_t *dims;
    int64_t numel;
} ox_view;

/* Element-wise steps applied to a kernel's output values as they are
 * produced, when the plan put the element-wise nodes in the same target
 * right after the kernel's node (Conv -> Add -> Relu): the fused nodes then
 * do nothing of their own. Only float outputs. */
typedef enum {
    OX_FUSE_ADD,          /* out += operand (broadcast to out) */
    OX_FUSE_MUL,          /* out *= operand */
    OX_FUSE_RELU,
    OX_FUSE_LEAKY_RELU,   /* a = alpha */
    OX_FUSE_CLIP,         /* a = min, b = max */
    OX_FUSE_SIGMOID,
    OX_FUSE_HARD_SIGMOID, /* max(0, min(1, a * x + b)) */
    OX_FUSE_HARD_SWISH    /* x * min(max(x + 3, 0), 6) / 6 */
} ox_fuse_kind;

typedef struct {
    ox_fuse_kind kind;
    float a, b;
    const float *operand;                 /* ADD, MUL */
    int64_t strides[OX_MAX_RANK];         /* operand strides over out's dims, 0 on broadcast */
} ox_fuse_step;

typedef struct {
    int n_steps;
    ox_fuse_step steps[8];
    int rank;                             /* of the output */
    int64_t dims[OX_MAX_RANK];
} ox_fused;

/* Apply the fused steps to out[start .. start+count), flat indices into the
 * output tensor (out points at element 0 of the whole tensor). */
JF__HIDDEN void ox_fused_apply(const ox_fused *f, float *out, int64_t start, int64_t count);

/* One kernel call. */
typedef struct {
    const jf_onnx_model *m;
    const ox_node *n;
    const ox_view *in;          /* n->n_in views */
    const ox_view *out;         /* n->n_out views (data NULL for an omitted output) */
    int64_t slice, n_slices;    /* compute slice `slice` of n_slices (0 of 1: all) */
    void *scratch;              /* scratch(m, n, n_slices) bytes, 64-byte aligned */
    const ox_fused *fused;      /* NULL: nothing fused */
    char *err;                  /* room for a message on failure */
    size_t err_size;
} ox_kcall;

typedef struct {
    const char *op;
    /* Compute; 0, or -1 with a message in k->err (bad values met at run
     * time, e.g. an index out of range). */
    int (*run)(const ox_kcall *k);
    /* How many slices the node's work can be split into (e.g. the output
     * channels); NULL or 1: it cannot be split. */
    int64_t (*slices)(const jf_onnx_model *m, const ox_node *n);
    /* Scratch bytes one call needs (NULL: none). */
    size_t (*scratch)(const jf_onnx_model *m, const ox_node *n, int64_t n_slices);
    /* 1 when the kernel applies k->fused to its float output 0. */
    int fuses;
} ox_kernel;

JF__HIDDEN extern const ox_kernel ox_kernels_nn[];
JF__HIDDEN extern const ox_kernel ox_kernels_ew[];

/* The kernel of an operator type, or NULL when there is none. */
JF__HIDDEN const ox_kernel *ox_kernel_find(const char *op);

/* The part [*lo, *hi) of `total` items that slice `slice` of n_slices owns. */
static inline void ox_slice_range(int64_t total, int64_t slice, int64_t n_slices, int64_t *lo,
                                  int64_t *hi)
{
    *lo = total * slice / n_slices;
    *hi = total * (slice + 1) / n_slices;
}

/* Fail a kernel call with a message naming the node. Returns -1. */
JF__HIDDEN int ox_kfail(const ox_kcall *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
