/* What the operator rules (ops_*.c) share: their tables, and helpers for
 * axes, integer lists that are attributes in early opsets and inputs in
 * later ones, guarded output shapes and broadcast folding. */
#ifndef JF_ONNX_OPS_H
#define JF_ONNX_OPS_H

#include "onnx/onnx_impl.h"

/* The rule tables, each ended by {NULL, NULL}; rules.c searches them. */
extern JF__HIDDEN const ox_rule ox_rules_nn[];
extern JF__HIDDEN const ox_rule ox_rules_elementwise[];
extern JF__HIDDEN const ox_rule ox_rules_shape[];

/* Largest magnitude a dimension, pad, stride or folded index may have, so
 * that sums and products of a few of them stay inside int64 (bad files). */
#define OPS_DIM_MAX ((int64_t)1 << 40)
/* Largest stride, dilation, group or block size: times a dimension, it
 * still fits in int64. */
#define OPS_ATTR_MAX ((int64_t)1 << 20)
/* Most elements a folded floating-point result may have: floats are folded
 * only for the small scale arithmetic some models feed Resize with. */
#define OPS_FOLD_FLOAT_MAX 1024

/* What ops_ints() returns besides a count. */
#define OPS_ABSENT (-1)  /* neither the input nor the attribute */
#define OPS_UNKNOWN (-2) /* the input is there but its contents did not fold */

/* axis in [-rank, rank) as an index in [0, rank) in *out, or ox_fail(). */
JF__HIDDEN int ops_axis(ox_ctx *c, const ox_node *n, int64_t axis, int rank, int *out);

/* Output o's dtype and shape, failing when a dimension is beyond
 * OPS_DIM_MAX or the element count beyond 2^62. A missing output is fine. */
JF__HIDDEN int ops_set(ox_ctx *c, const ox_node *n, int o, int32_t dtype, int rank,
                       const int64_t *dims);
/* Output o's dtype only; its shape stays unknown. Returns 0. */
JF__HIDDEN int ops_unknown(ox_ctx *c, const ox_node *n, int o, int32_t dtype);
/* Output o takes input i's dtype and shape (unknown if i's is). */
JF__HIDDEN int ops_same(ox_ctx *c, const ox_node *n, int o, int i);
/* Copies t's folded contents into out (same element count), for the ops
 * that only rearrange them (Reshape, Squeeze, Identity, ...). */
JF__HIDDEN void ops_fold_copy(ox_ctx *c, const ox_tensor *t, ox_tensor *out);

/* An integer list: input `input` when the node's opset has it there
 * (input >= 0), else attribute attr (when attr is not NULL). Copies at most
 * max values to out and returns how many the list has, OPS_ABSENT or
 * OPS_UNKNOWN. An input with no elements counts as absent. */
JF__HIDDEN int ops_ints(ox_ctx *c, const ox_node *n, int input, const char *attr,
                        int64_t *out, int max);
/* Same for a float list (Resize scales). */
JF__HIDDEN int ops_floats(ox_ctx *c, const ox_node *n, int input, const char *attr,
                          double *out, int max);

/* Element i of folded contents as an integer, like ox_geti() but with
 * floating-point values beyond int64 (or NaN) clamped, not undefined. */
JF__HIDDEN int64_t ops_geti(const ox_tensor *t, int64_t i);
/* Elements of dims[from..to). */
JF__HIDDEN int64_t ops_prod(const int64_t *dims, int from, int to);
/* 1 for integer and boolean dtypes (folded into ival). */
JF__HIDDEN int ops_is_int(int32_t dtype);
/* Flat index into `in` of the element broadcast to the flat index `flat`
 * of an output of shape (rank, dims). */
JF__HIDDEN int64_t ops_bcast_index(const ox_tensor *in, int rank, const int64_t *dims,
                                   int64_t flat);
/* Room for folded contents of out: ival when out's dtype is integer,
 * fval otherwise; NULL (not folded) when too large. */
JF__HIDDEN int ops_fold_room(ox_ctx *c, ox_tensor *out);

#endif
