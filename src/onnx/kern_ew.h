/* What the element-wise, shape and reduction kernels (kern_ew*.c) share:
 * element access for any run-time dtype, a strided walk over an output
 * range, and the kernels' entry points for the table in kern_ew.c.
 *
 * The walk is how every broadcasting or rearranging kernel avoids a
 * division per element: the output range is cut into runs of the innermost
 * (merged) dimension, and each operand's offset is carried from run to run.
 */
#ifndef JF_ONNX_KERN_EW_H
#define JF_ONNX_KERN_EW_H

#include <math.h>

#include "onnx/kernel.h"

/* Hot float loops are compiled for AVX-512 and AVX2 as well as the
 * baseline, picked at load time (as kern_nn_impl.h's OX_VEC): the build
 * targets plain x86-64; with the vector math below, a clone's expf is
 * libmvec's for its width. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EW_VEC __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EW_VEC
#endif

/* glibc's libmvec has SSE versions of these (expf, logf since 2.22, the
 * others since 2.35), as accurate as the scalar ones for our purpose (a few
 * ulp); declaring them `simd` lets the compiler vectorize the loops that
 * call them (Sigmoid 2.4x faster). `const`: the loops never read errno. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define EW_VECTOR_MATH __attribute__((simd("notinbranch"), const))
EW_VECTOR_MATH float expf(float);
EW_VECTOR_MATH float logf(float);
#if __GLIBC_PREREQ(2, 35)
EW_VECTOR_MATH float tanhf(float);
EW_VECTOR_MATH float erff(float);
EW_VECTOR_MATH float expm1f(float);
EW_VECTOR_MATH float log1pf(float);
#endif
#endif

/* Elements per slice of the kernels that split over output elements: big
 * enough that a slice's overhead is small, small enough that a 1M-element
 * tensor feeds many workers. */
#define EW_BLOCK 16384

/* Operands of one walk (Where has three inputs). Tile doubles the rank. */
#define EW_MAX_OPS 3
#define EW_MAX_RANK (2 * OX_MAX_RANK)

/* Output dims and, per operand, strides in elements over those dims (0 on
 * broadcast, negative for a reversed Slice) and the offset of element 0. */
typedef struct {
    int rank, n_ops;
    int64_t dims[EW_MAX_RANK];
    int64_t strides[EW_MAX_OPS][EW_MAX_RANK];
    int64_t base[EW_MAX_OPS];
} ew_walk;

/* A position in a walk: the output index and each operand's offset. */
typedef struct {
    const ew_walk *w;
    int64_t pos, end;
    int64_t coord[EW_MAX_RANK];
    int64_t off[EW_MAX_OPS];
} ew_iter;

/* Set w to the output shape (rank, dims) with no operands yet. */
JF__HIDDEN void ox_ew_walk_init(ew_walk *w, int rank, const int64_t *dims);
/* Add an operand broadcast (numpy rules) to the output shape; -1 when it
 * does not broadcast to it (the walk would read past the operand). */
JF__HIDDEN int ox_ew_walk_bcast(ew_walk *w, const ox_view *v);
/* Drop dimensions of 1 and merge neighbours every operand walks
 * contiguously, so runs get as long as they can be. */
JF__HIDDEN void ox_ew_walk_merge(ew_walk *w);
/* Inner stride of operand k (0 or 1 for broadcast operands). */
static inline int64_t ox_ew_inner(const ew_walk *w, int k)
{
    return w->rank ? w->strides[k][w->rank - 1] : 0;
}

/* Start at output index lo; the walk ends at hi. */
JF__HIDDEN void ox_ew_iter_start(ew_iter *it, const ew_walk *w, int64_t lo, int64_t hi);
/* Length of the run at the current position (0 at the end). */
static inline int64_t ox_ew_iter_run(const ew_iter *it)
{
    if (it->pos >= it->end)
        return 0;
    int64_t left = it->w->rank ? it->w->dims[it->w->rank - 1] - it->coord[it->w->rank - 1] : 1;
    return JF__MIN(left, it->end - it->pos);
}
/* Step over `run` elements (at most the current run). */
JF__HIDDEN void ox_ew_iter_next(ew_iter *it, int64_t run);

/* ---- element access for any run-time dtype ---- */
JF__HIDDEN int ox_ew_esize(int32_t dtype);
static inline int ox_ew_is_float(int32_t dtype)
{
    return dtype == OX_FLOAT;
}
JF__HIDDEN int64_t ox_ew_get_i(const void *p, int32_t dtype, int64_t i);
JF__HIDDEN double ox_ew_get_f(const void *p, int32_t dtype, int64_t i);
/* Integers wrap to the width of dtype; bool stores v != 0. */
JF__HIDDEN void ox_ew_set_i(void *p, int32_t dtype, int64_t i, int64_t v);
/* Floats convert to integers truncating toward zero, saturating at
 * int64's range (NaN gives 0), then wrap like ox_ew_set_i. */
JF__HIDDEN void ox_ew_set_f(void *p, int32_t dtype, int64_t i, double v);
JF__HIDDEN int64_t ox_ew_f2i(double v);

/* Copy n elements of esize bytes from src (stride in elements) to dst. */
JF__HIDDEN void ox_ew_copy_strided(void *dst, const void *src, int64_t stride, int64_t n,
                                   int esize);
/* dst[lo..hi) = the walk's operand 0, elements of esize bytes. */
JF__HIDDEN void ox_ew_gather_walk(const ew_walk *w, void *dst, const void *src, int esize,
                                  int64_t lo, int64_t hi);

/* The calling slice's part [lo, hi) of output 0's elements, cut at multiples of 16
 * elements (the same bytes for any slicing, kern_ew.c). */
JF__HIDDEN void ox_ew_range(const ox_kcall *k, int64_t *lo, int64_t *hi);
/* Slices in blocks of EW_BLOCK output elements (output 0). */
JF__HIDDEN int64_t ox_ew_slices(const jf_onnx_model *m, const ox_node *n);
/* Elements of tensor t of the model (0 when unknown). */
JF__HIDDEN int64_t ox_ew_numel(const jf_onnx_model *m, int32_t t);
/* Axis in [-rank, rank) as [0, rank), -1 when outside. */
JF__HIDDEN int ox_ew_axis(int64_t axis, int rank);
/* A scalar of a TensorProto (ConstantOfShape's value): *iv and *fv; 0, or
 * -1 when it has no element. */
JF__HIDDEN int ox_ew_proto_scalar(const Onnx__TensorProto *tp, int64_t *iv, double *fv);

/* ---- the kernels (table in kern_ew.c) ---- */
/* kern_ew_unary.c */
JF__HIDDEN int ox_ew_unary(const ox_kcall *k);
JF__HIDDEN int ox_ew_clip(const ox_kcall *k);
JF__HIDDEN int ox_ew_cast(const ox_kcall *k);
/* kern_ew_binary.c */
JF__HIDDEN int ox_ew_binary(const ox_kcall *k);
JF__HIDDEN int ox_ew_variadic(const ox_kcall *k);
JF__HIDDEN int ox_ew_where(const ox_kcall *k);
/* kern_ew_shape.c */
JF__HIDDEN int ox_ew_copy(const ox_kcall *k);
JF__HIDDEN int ox_ew_dropout(const ox_kcall *k);
JF__HIDDEN int ox_ew_transpose(const ox_kcall *k);
JF__HIDDEN int ox_ew_concat(const ox_kcall *k);
JF__HIDDEN int ox_ew_split(const ox_kcall *k);
JF__HIDDEN int ox_ew_slice(const ox_kcall *k);
JF__HIDDEN int ox_ew_gather(const ox_kcall *k);
JF__HIDDEN int64_t ox_ew_gather_slices(const jf_onnx_model *m, const ox_node *n);
JF__HIDDEN int ox_ew_expand(const ox_kcall *k);
JF__HIDDEN int ox_ew_tile(const ox_kcall *k);
JF__HIDDEN int ox_ew_depth_space(const ox_kcall *k);
/* kern_ew_index.c */
JF__HIDDEN int ox_ew_gather_elements(const ox_kcall *k);
JF__HIDDEN int ox_ew_scatter_elements(const ox_kcall *k);
JF__HIDDEN int ox_ew_scatter_nd(const ox_kcall *k);
JF__HIDDEN int ox_ew_gather_nd(const ox_kcall *k);
JF__HIDDEN int ox_ew_one_hot(const ox_kcall *k);
/* kern_ew_scan.c */
JF__HIDDEN int ox_ew_cumsum(const ox_kcall *k);
JF__HIDDEN int ox_ew_trilu(const ox_kcall *k);
/* kern_ew_make.c */
JF__HIDDEN int ox_ew_shape(const ox_kcall *k);
JF__HIDDEN int ox_ew_size(const ox_kcall *k);
JF__HIDDEN int ox_ew_constant_of_shape(const ox_kcall *k);
JF__HIDDEN int ox_ew_range_op(const ox_kcall *k);
/* kern_ew_reduce.c */
JF__HIDDEN int ox_ew_reduce(const ox_kcall *k);
JF__HIDDEN int64_t ox_ew_reduce_slices(const jf_onnx_model *m, const ox_node *n);
JF__HIDDEN int ox_ew_argreduce(const ox_kcall *k);
JF__HIDDEN int ox_ew_topk(const ox_kcall *k);
JF__HIDDEN int ox_ew_mvn(const ox_kcall *k);
JF__HIDDEN size_t ox_ew_topk_scratch(const jf_onnx_model *m, const ox_node *n,
                                     int64_t n_slices);

#endif
