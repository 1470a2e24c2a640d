/* Operators that move or describe data without arithmetic: Reshape,
 * Transpose, Concat, Slice, Gather, Shape, ... Their flops are 0; their
 * part is the shapes, and folding the small integer values models compute
 * shapes with (Shape -> Gather -> Concat -> Reshape), so that the shapes
 * after them are known.
 */
#include <math.h>

#include "onnx/ops.h"

/* Fails unless every value is within [lo, OPS_DIM_MAX]. */
static int check_values(ox_ctx *c, const ox_node *n, const char *what, const int64_t *v,
                        int count, int64_t lo)
{
    for (int i = 0; i < count; i++)
        if (v[i] < lo || v[i] > OPS_DIM_MAX)
            return ox_fail(c, n, "%s[%d] = %lld is out of range", what, i, (long long)v[i]);
    return 0;
}

/* Coordinates of flat index `flat` in a shape. */
static void unflatten(int64_t flat, int rank, const int64_t *dims, int64_t *coord)
{
    for (int d = rank - 1; d >= 0; d--) {
        coord[d] = flat % dims[d];
        flat /= dims[d];
    }
}

static int64_t flatten_index(int rank, const int64_t *dims, const int64_t *coord)
{
    int64_t flat = 0;
    for (int d = 0; d < rank; d++)
        flat = flat * dims[d] + coord[d];
    return flat;
}

/* out[i] = x[from(i)] for every element of the (folded) output, where
 * from(i) is given by map(ctx, coordinates of i, coordinates in x). */
typedef void (*index_map)(const void *ctx, const int64_t *out_coord, int64_t *in_coord);

static void fold_gather_map(ox_ctx *c, const ox_tensor *x, ox_tensor *y, index_map map,
                            const void *ctx)
{
    if (!ox_folded(x) || !ops_fold_room(c, y))
        return;
    int64_t oc[OX_MAX_RANK], ic[OX_MAX_RANK];
    for (int64_t i = 0; i < ox_numel(y); i++) {
        unflatten(i, y->rank, y->dims, oc);
        map(ctx, oc, ic);
        int64_t at = flatten_index(x->rank, x->dims, ic);
        if (y->ival)
            y->ival[i] = ops_geti(x, at);
        else
            y->fval[i] = ox_getf(x, at);
    }
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze ------------------------------------- */
/* Target shape of Reshape: 0 copies the input's dimension (unless
 * allowzero), one -1 takes what is left. */
static int reshape_target(ox_ctx *c, const ox_node *n, const ox_tensor *x, int64_t *shape,
                          int rank)
{
    int allowzero = n->opset >= 14 && ox_attr_int(n, "allowzero", 0);
    int infer = -1;
    int64_t known = 1, total = ox_numel(x);
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 0 && !allowzero) {
            if (d >= x->rank)
                return ox_fail(c, n, "shape[%d] = 0 copies a dimension the input lacks", d);
            shape[d] = x->dims[d];
        }
        if (shape[d] == -1 && infer < 0) {
            infer = d;
            continue;
        }
        if (shape[d] < 0 || shape[d] > OPS_DIM_MAX ||
            __builtin_mul_overflow(known, shape[d], &known))
            return ox_fail(c, n, "bad target shape[%d] = %lld", d, (long long)shape[d]);
    }
    if (infer >= 0 && known != 0 && total % known == 0)
        shape[infer] = total / known;
    if ((infer >= 0 && (known == 0 || total % known)) || (infer < 0 && known != total))
        return ox_fail(c, n, "cannot reshape %lld elements of '%s' into the target shape",
                       (long long)total, x->name);
    return 0;
}

/* Reshape: the target comes from input 1 (folded); 0 flops. */
static int reshape(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t shape[OX_MAX_RANK];
    int rank = ops_ints(c, n, n->opset >= 5 ? 1 : -1, "shape", shape, OX_MAX_RANK);
    const ox_tensor *s = ox_in(c, n, 1);
    if (rank == OPS_ABSENT && ox_known(s) && ox_numel(s) == 0)
        rank = 0; /* an empty target: a scalar */
    if (rank == OPS_ABSENT)
        return ox_fail(c, n, "no target shape");
    if (rank > OX_MAX_RANK)
        return ox_fail(c, n, "target shape of rank %d, more than %d", rank, OX_MAX_RANK);
    if (!ox_known(x) || rank == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, dtype);
    if (reshape_target(c, n, x, shape, rank) || ops_set(c, n, 0, dtype, rank, shape))
        return -1;
    ops_fold_copy(c, x, ox_out(c, n, 0));
    return 0;
}

/* Flatten: [d0 * ... * d(axis-1), d(axis) * ... ]; axis in [-rank, rank]. */
static int flatten(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t axis = ox_attr_int(n, "axis", 1), dims[2];
    if (!ox_known(x))
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    if (axis < -x->rank || axis > x->rank)
        return ox_fail(c, n, "axis %lld is outside [%d, %d]", (long long)axis, -x->rank,
                       x->rank);
    if (axis < 0)
        axis += x->rank;
    dims[0] = ops_prod(x->dims, 0, (int)axis);
    dims[1] = ops_prod(x->dims, (int)axis, x->rank);
    if (ops_set(c, n, 0, x->dtype, 2, dims))
        return -1;
    ops_fold_copy(c, x, ox_out(c, n, 0));
    return 0;
}

/* The axes of Squeeze/Unsqueeze: attribute before opset 13, input 1 from
 * 13. Returns the count, OPS_ABSENT or OPS_UNKNOWN; fails on too many. */
static int squeeze_axes(ox_ctx *c, const ox_node *n, int64_t *axes)
{
    int count = ops_ints(c, n, n->opset >= 13 ? 1 : -1, "axes", axes, OX_MAX_RANK);
    if (count > OX_MAX_RANK)
        return ox_fail(c, n, "%d axes, more than %d", count, OX_MAX_RANK), -3;
    return count;
}

/* Squeeze: drops the given axes (each must be 1), or every 1 when none. */
static int squeeze(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t axes[OX_MAX_RANK], dims[OX_MAX_RANK];
    uint8_t drop[OX_MAX_RANK] = {0};
    int count = squeeze_axes(c, n, axes), rank = 0;
    if (count == -3)
        return -1;
    if (!ox_known(x) || count == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    for (int d = 0; d < x->rank; d++)
        drop[d] = count == OPS_ABSENT && x->dims[d] == 1;
    for (int i = 0; i < count; i++) {
        int axis;
        if (ops_axis(c, n, axes[i], x->rank, &axis))
            return -1;
        if (x->dims[axis] != 1)
            return ox_fail(c, n, "cannot squeeze axis %d of size %lld", axis,
                           (long long)x->dims[axis]);
        drop[axis] = 1;
    }
    for (int d = 0; d < x->rank; d++)
        if (!drop[d])
            dims[rank++] = x->dims[d];
    if (ops_set(c, n, 0, x->dtype, rank, dims))
        return -1;
    ops_fold_copy(c, x, ox_out(c, n, 0));
    return 0;
}

/* Unsqueeze: inserts 1s at the given axes of the output. */
static int unsqueeze(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t axes[OX_MAX_RANK], dims[OX_MAX_RANK];
    uint8_t ones[OX_MAX_RANK] = {0};
    int count = squeeze_axes(c, n, axes);
    if (count == -3)
        return -1;
    if (count == OPS_ABSENT)
        return ox_fail(c, n, "no axes");
    if (!ox_known(x) || count == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    int rank = x->rank + count;
    if (rank > OX_MAX_RANK)
        return ox_fail(c, n, "output rank %d is more than %d", rank, OX_MAX_RANK);
    for (int i = 0; i < count; i++) {
        int axis;
        if (ops_axis(c, n, axes[i], rank, &axis))
            return -1;
        if (ones[axis])
            return ox_fail(c, n, "axis %d is given twice", axis);
        ones[axis] = 1;
    }
    for (int d = 0, k = 0; d < rank; d++)
        dims[d] = ones[d] ? 1 : x->dims[k++];
    if (ops_set(c, n, 0, x->dtype, rank, dims))
        return -1;
    ops_fold_copy(c, x, ox_out(c, n, 0));
    return 0;
}

/* ---- Transpose ----------------------------------------------------------------- */
static void transpose_map(const void *ctx, const int64_t *out_coord, int64_t *in_coord)
{
    const int64_t *perm = ctx; /* perm[0] is the rank */
    for (int d = 0; d < perm[0]; d++)
        in_coord[perm[d + 1]] = out_coord[d];
}

/* Transpose: output dimension d is input dimension perm[d]; the default
 * perm reverses the dimensions. */
static int transpose(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t perm[OX_MAX_RANK + 1], dims[OX_MAX_RANK];
    uint8_t seen[OX_MAX_RANK] = {0};
    if (!ox_known(x))
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    int count = ox_attr_ints(n, "perm", perm + 1, OX_MAX_RANK);
    for (int d = 0; count < 0 && d < x->rank; d++)
        perm[d + 1] = x->rank - 1 - d;
    if (count >= 0 && (count != x->rank || (int)ox_attr(n, "perm")->n_ints != x->rank))
        return ox_fail(c, n, "perm has %d values for rank %d", count, x->rank);
    for (int d = 0; d < x->rank; d++) {
        if (perm[d + 1] < 0 || perm[d + 1] >= x->rank || seen[perm[d + 1]]++)
            return ox_fail(c, n, "perm is not a permutation of 0..%d", x->rank - 1);
        dims[d] = x->dims[perm[d + 1]];
    }
    if (ops_set(c, n, 0, x->dtype, x->rank, dims))
        return -1;
    perm[0] = x->rank;
    fold_gather_map(c, x, ox_out(c, n, 0), transpose_map, perm);
    return 0;
}

/* ---- Concat and Split ---------------------------------------------------------- */
/* Concat's folded contents: for each index before the axis, each input's
 * run of elements in turn. */
static void fold_concat(ox_ctx *c, const ox_node *n, int axis)
{
    ox_tensor *y = ox_out(c, n, 0);
    for (int k = 0; k < n->n_in; k++)
        if (!ox_folded(ox_in(c, n, k)))
            return;
    if (!ops_fold_room(c, y))
        return;
    int64_t outer = ops_prod(y->dims, 0, axis), at = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int k = 0; k < n->n_in; k++) {
            const ox_tensor *x = ox_in(c, n, k);
            int64_t run = ops_prod(x->dims, axis, x->rank);
            for (int64_t i = 0; i < run; i++, at++)
                if (y->ival)
                    y->ival[at] = ops_geti(x, o * run + i);
                else
                    y->fval[at] = ox_getf(x, o * run + i);
        }
}

/* Concat: same rank and dimensions except along axis (negative from
 * opset 11), where they add up. */
static int concat(ox_ctx *c, ox_node *n)
{
    const ox_tensor *first = ox_in(c, n, 0);
    int32_t dtype = first ? first->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK];
    int axis;
    for (int k = 0; k < n->n_in; k++)
        if (!ox_known(ox_in(c, n, k)))
            return ops_unknown(c, n, 0, dtype);
    if (!first || ops_axis(c, n, ox_attr_int(n, "axis", 0), first->rank, &axis))
        return first ? -1 : ox_fail(c, n, "no inputs");
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    for (int k = 0; k < n->n_in; k++) {
        const ox_tensor *x = ox_in(c, n, k);
        for (int d = 0; x && d < first->rank; d++)
            if (x->rank != first->rank || (d != axis && x->dims[d] != first->dims[d]))
                return ox_fail(c, n, "input '%s' does not match '%s' outside axis %d",
                               x->name, first->name, axis);
        dims[axis] += x ? x->dims[axis] : 0;
    }
    if (ops_set(c, n, 0, dtype, first->rank, dims))
        return -1;
    fold_concat(c, n, axis);
    return 0;
}

/* Sizes of Split's outputs along the axis: the split list (attribute
 * before opset 13, input from 13), else equal parts (the last smaller
 * from opset 18's num_outputs). 1 when the list did not fold. */
static int split_sizes(ox_ctx *c, const ox_node *n, int64_t dim, int64_t *sizes)
{
    int parts = n->n_out;
    int count = ops_ints(c, n, n->opset >= 13 ? 1 : -1, "split", sizes, parts);
    if (count == OPS_UNKNOWN)
        return 1;
    if (count >= 0 && count != parts)
        return ox_fail(c, n, "split has %d sizes for %d outputs", count, parts);
    int64_t sum = 0, part = (dim + parts - 1) / parts;
    for (int i = 0; count < 0 && i < parts; i++)
        sizes[i] = n->opset >= 18 ? JF__MIN(part, dim - i * part) : dim / parts;
    for (int i = 0; i < parts; i++)
        sum += sizes[i] >= 0 && sizes[i] <= OPS_DIM_MAX ? sizes[i] : OPS_DIM_MAX * 4;
    if (sum != dim || (count < 0 && n->opset < 18 && dim % parts))
        return ox_fail(c, n, "cannot split %lld into the outputs' sizes", (long long)dim);
    return 0;
}

static void fold_split_part(ox_ctx *c, const ox_tensor *x, ox_tensor *y, int axis,
                            int64_t offset)
{
    if (!ox_folded(x) || !ops_fold_room(c, y))
        return;
    int64_t outer = ops_prod(x->dims, 0, axis), inner = ops_prod(x->dims, axis + 1, x->rank);
    int64_t run = y->dims[axis] * inner, at = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < run; i++, at++) {
            int64_t from = o * x->dims[axis] * inner + offset * inner + i;
            if (y->ival)
                y->ival[at] = ops_geti(x, from);
            else
                y->fval[at] = ox_getf(x, from);
        }
}

static int split_unknown(ox_ctx *c, const ox_node *n, int32_t dtype)
{
    for (int o = 0; o < n->n_out; o++)
        ops_unknown(c, n, o, dtype);
    return 0;
}

/* Split: the outputs share the input's shape except along axis. */
static int split(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK], offset = 0;
    int axis;
    if (n->n_out < 1)
        return ox_fail(c, n, "no outputs");
    if (!ox_known(x))
        return split_unknown(c, n, dtype);
    if (ops_axis(c, n, ox_attr_int(n, "axis", 0), x->rank, &axis))
        return -1;
    int64_t *sizes = jf__malloc((size_t)n->n_out * sizeof *sizes);
    int rc = sizes ? split_sizes(c, n, x->dims[axis], sizes) : ox_fail(c, n, "out of memory");
    for (int o = 0; rc == 0 && o < n->n_out; o++) {
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = sizes[o];
        rc = ops_set(c, n, o, dtype, x->rank, dims);
        if (rc == 0 && ox_out(c, n, o))
            fold_split_part(c, x, ox_out(c, n, o), axis, offset);
        offset += sizes[o];
    }
    jf__free(sizes);
    return rc > 0 ? split_unknown(c, n, dtype) : rc;
}

/* ---- Slice ------------------------------------------------------------------------ */
typedef struct {
    int rank;
    int64_t start[OX_MAX_RANK], step[OX_MAX_RANK];
} slice_plan;

static void slice_map(const void *ctx, const int64_t *out_coord, int64_t *in_coord)
{
    const slice_plan *p = ctx;
    for (int d = 0; d < p->rank; d++)
        in_coord[d] = p->start[d] + out_coord[d] * p->step[d];
}

/* One axis of a slice, clamped as ONNX says: starts and ends count from
 * the end when negative, then clamp to [0, dim] ([0, dim-1] for the start
 * and [-1, dim-1] for the end of a negative step). Returns the length. */
static int64_t slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step,
                          int64_t *first)
{
    start += start < 0 ? dim : 0;
    end += end < 0 ? dim : 0;
    if (step > 0) {
        start = JF__MIN(JF__MAX(start, 0), dim);
        end = JF__MIN(JF__MAX(end, 0), dim);
    } else {
        start = JF__MIN(JF__MAX(start, 0), dim - 1);
        end = JF__MIN(JF__MAX(end, -1), dim - 1);
    }
    *first = start;
    /* |step| beyond any dimension takes one element at most. */
    int64_t by = step > 0 ? JF__MIN(step, OPS_DIM_MAX * 2)
                          : step < -OPS_DIM_MAX * 2 ? OPS_DIM_MAX * 2 : -step;
    int64_t span = step > 0 ? end - start : start - end;
    return dim == 0 || span <= 0 ? 0 : (span - 1) / by + 1;
}

/* Starts, ends, axes and steps: attributes before opset 10, inputs 1..4
 * from 10. 1 when one of them did not fold. */
static int slice_lists(ox_ctx *c, const ox_node *n, int64_t lists[4][OX_MAX_RANK],
                       int *count)
{
    static const char *const names[] = {"starts", "ends", "axes", "steps"};
    int counts[4];
    for (int k = 0; k < 4; k++) {
        int input = n->opset >= 10 ? k + 1 : -1;
        counts[k] = k == 3 && n->opset < 10 ? OPS_ABSENT
                    : ops_ints(c, n, input, names[k], lists[k], OX_MAX_RANK);
        if (counts[k] == OPS_UNKNOWN)
            return 1;
    }
    *count = counts[0];
    if (counts[0] < 0 || counts[0] > OX_MAX_RANK || counts[1] != counts[0] ||
        (counts[2] >= 0 && counts[2] != counts[0]) || (counts[3] >= 0 && counts[3] != counts[0]))
        return ox_fail(c, n, "starts, ends, axes and steps do not have matching lengths");
    for (int i = 0; i < *count; i++) {
        if (counts[2] < 0)
            lists[2][i] = i;
        if (counts[3] < 0)
            lists[3][i] = 1;
    }
    return 0;
}

static int slice(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t lists[4][OX_MAX_RANK], dims[OX_MAX_RANK];
    int count, rc = ox_known(x) ? slice_lists(c, n, lists, &count) : 1;
    if (rc)
        return rc < 0 ? -1 : ops_unknown(c, n, 0, dtype);
    slice_plan p = {x->rank, {0}, {0}};
    uint8_t seen[OX_MAX_RANK] = {0};
    for (int d = 0; d < x->rank; d++)
        dims[d] = x->dims[d], p.start[d] = 0, p.step[d] = 1;
    for (int i = 0; i < count; i++) {
        int axis;
        if (ops_axis(c, n, lists[2][i], x->rank, &axis))
            return -1;
        if (lists[3][i] == 0 || seen[axis]++)
            return ox_fail(c, n, "step 0 or axis %d given twice", axis);
        p.step[axis] = lists[3][i];
        dims[axis] = slice_axis(x->dims[axis], lists[0][i], lists[1][i], lists[3][i],
                                &p.start[axis]);
    }
    if (ops_set(c, n, 0, dtype, x->rank, dims))
        return -1;
    fold_gather_map(c, x, ox_out(c, n, 0), slice_map, &p);
    return 0;
}

/* ---- Gather -------------------------------------------------------------------- */
/* Gather's folded values: output coordinates are data's before axis, the
 * index's, then data's after axis. */
static int fold_gather(ox_ctx *c, const ox_node *n, const ox_tensor *data,
                       const ox_tensor *idx, int axis)
{
    ox_tensor *y = ox_out(c, n, 0);
    if (!ox_folded(data) || !ox_folded(idx) || !ops_fold_room(c, y))
        return 0;
    int64_t inner = ops_prod(data->dims, axis + 1, data->rank), count = ox_numel(idx);
    int64_t dim = data->dims[axis], at = 0;
    for (int64_t o = 0; o < ops_prod(data->dims, 0, axis); o++)
        for (int64_t k = 0; k < count; k++) {
            int64_t i = ops_geti(idx, k);
            if (i < -dim || i >= dim)
                return ox_fail(c, n, "index %lld is out of range for dimension %lld",
                               (long long)i, (long long)dim);
            i += i < 0 ? dim : 0;
            for (int64_t j = 0; j < inner; j++, at++)
                if (y->ival)
                    y->ival[at] = ops_geti(data, (o * dim + i) * inner + j);
                else
                    y->fval[at] = ox_getf(data, (o * dim + i) * inner + j);
        }
    return 0;
}

/* Gather on any axis: data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
static int gather(ox_ctx *c, ox_node *n)
{
    const ox_tensor *data = ox_in(c, n, 0), *idx = ox_in(c, n, 1);
    int32_t dtype = data ? data->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK];
    int axis, rank = 0;
    if (!ox_known(data) || !ox_known(idx))
        return ops_unknown(c, n, 0, dtype);
    if (ops_axis(c, n, ox_attr_int(n, "axis", 0), data->rank, &axis))
        return -1;
    if (data->rank - 1 + idx->rank > OX_MAX_RANK)
        return ox_fail(c, n, "output rank is more than %d", OX_MAX_RANK);
    for (int d = 0; d < data->rank; d++) {
        for (int k = 0; d == axis && k < idx->rank; k++)
            dims[rank++] = idx->dims[k];
        if (d != axis)
            dims[rank++] = data->dims[d];
    }
    if (ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    return fold_gather(c, n, data, idx, axis);
}

/* GatherElements, ScatterElements-like: the output takes input `shape_of`'s
 * shape and input 0's type. */
static int like_input(ox_ctx *c, ox_node *n, int shape_of)
{
    const ox_tensor *x = ox_in(c, n, 0), *s = ox_in(c, n, shape_of);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    if (!ox_known(s))
        return ops_unknown(c, n, 0, dtype);
    return ops_set(c, n, 0, dtype, s->rank, s->dims);
}

/* GatherND: indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:]. */
static int gather_nd(ox_ctx *c, ox_node *n)
{
    const ox_tensor *data = ox_in(c, n, 0), *idx = ox_in(c, n, 1);
    int32_t dtype = data ? data->dtype : OX_UNDEFINED;
    int64_t batch = ox_attr_int(n, "batch_dims", 0), dims[OX_MAX_RANK];
    if (!ox_known(data) || !ox_known(idx))
        return ops_unknown(c, n, 0, dtype);
    int64_t last = idx->rank > 0 ? idx->dims[idx->rank - 1] : -1;
    if (idx->rank < 1 || batch < 0 || batch >= idx->rank || batch >= data->rank ||
        last < 1 || last > data->rank - batch ||
        idx->rank - 1 + data->rank - batch - last > OX_MAX_RANK)
        return ox_fail(c, n, "indices '%s' do not fit data '%s' with batch_dims %lld",
                       idx->name, data->name, (long long)batch);
    int rank = 0;
    for (int d = 0; d < idx->rank - 1; d++)
        dims[rank++] = idx->dims[d];
    for (int d = (int)(batch + last); d < data->rank; d++)
        dims[rank++] = data->dims[d];
    return ops_set(c, n, 0, dtype, rank, dims);
}

static int gather_elements(ox_ctx *c, ox_node *n)
{
    return like_input(c, n, 1);
}

/* ScatterND, ScatterElements, Scatter: the data's shape. */
static int scatter(ox_ctx *c, ox_node *n)
{
    return like_input(c, n, 0);
}

/* ---- Shape, Size, ConstantOfShape ----------------------------------------------- */
/* Shape: the input's dimensions as int64, sliced by start/end from opset
 * 15; always folded. */
static int shape(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    if (!ox_known(x))
        return ops_unknown(c, n, 0, OX_INT64);
    int64_t start = n->opset >= 15 ? ox_attr_int(n, "start", 0) : 0;
    int64_t end = n->opset >= 15 ? ox_attr_int(n, "end", x->rank) : x->rank;
    start = JF__MIN(JF__MAX(start < 0 ? start + x->rank : start, 0), x->rank);
    end = JF__MIN(JF__MAX(end < 0 ? end + x->rank : end, 0), x->rank);
    int64_t count = JF__MAX(end - start, 0);
    if (ops_set(c, n, 0, OX_INT64, 1, &count))
        return -1;
    int64_t *v = ox_fold_ints(c, ox_out(c, n, 0));
    for (int64_t i = 0; v && i < count; i++)
        v[i] = x->dims[start + i];
    return 0;
}

/* Size: the input's element count, an int64 scalar, folded. */
static int size(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    if (!ox_known(x))
        return ops_unknown(c, n, 0, OX_INT64);
    if (ops_set(c, n, 0, OX_INT64, 0, NULL))
        return -1;
    int64_t *v = ox_fold_ints(c, ox_out(c, n, 0));
    if (v)
        *v = ox_numel(x);
    return 0;
}

/* ConstantOfShape: the shape is input 0's folded contents; the value
 * attribute (one element, float 0 by default) gives type and contents. */
static int constant_of_shape(ox_ctx *c, ox_node *n)
{
    const ox_tensor *s = ox_in(c, n, 0);
    const Onnx__AttributeProto *a = ox_attr(n, "value");
    ox_tensor value = {.name = "value", .rank = -1};
    int64_t dims[OX_MAX_RANK];
    if (a && a->t && ox_tensor_from_proto(c->m, &value, a->t))
        return -1;
    int32_t dtype = a && a->t ? value.dtype : OX_FLOAT;
    int fill = !(a && a->t) || ox_folded(&value);
    int rank = ops_ints(c, n, 0, NULL, dims, OX_MAX_RANK);
    if (rank == OPS_ABSENT && ox_known(s))
        rank = 0; /* an empty shape: a scalar */
    if (rank < 0)
        return ops_unknown(c, n, 0, dtype);
    if (rank > OX_MAX_RANK || ops_set(c, n, 0, dtype, rank, dims))
        return rank > OX_MAX_RANK ? ox_fail(c, n, "rank %d", rank) : -1;
    ox_tensor *y = ox_out(c, n, 0);
    if (!fill || !ops_fold_room(c, y))
        return 0;
    for (int64_t i = 0; i < ox_numel(y); i++)
        if (y->ival)
            y->ival[i] = ox_folded(&value) ? ops_geti(&value, 0) : 0;
        else
            y->fval[i] = ox_folded(&value) ? ox_getf(&value, 0) : 0;
    return 0;
}

/* ---- Expand, Tile, Range ------------------------------------------------------- */
typedef struct {
    const ox_tensor *x;
    int rank;
} expand_ctx;

static void expand_map(const void *ctx, const int64_t *out_coord, int64_t *in_coord)
{
    const expand_ctx *e = ctx;
    for (int d = 0; d < e->x->rank; d++) {
        int64_t dim = e->x->dims[d];
        in_coord[d] = dim == 1 ? 0 : out_coord[d + e->rank - e->x->rank] % dim;
    }
}

/* Expand: X broadcast with the folded shape input (both ways). */
static int expand(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t shape[OX_MAX_RANK], dims[OX_MAX_RANK];
    int count = ops_ints(c, n, 1, NULL, shape, OX_MAX_RANK);
    if (count == OPS_ABSENT && ox_known(ox_in(c, n, 1)))
        count = 0;
    if (!ox_known(x) || count < 0)
        return count == OPS_ABSENT ? ox_fail(c, n, "no shape") : ops_unknown(c, n, 0, dtype);
    if (count > OX_MAX_RANK || check_values(c, n, "shape", shape, count, 0))
        return count > OX_MAX_RANK ? ox_fail(c, n, "shape of rank %d", count) : -1;
    int rank = JF__MAX(count, x->rank);
    for (int d = 0; d < rank; d++) {
        int64_t a = d - (rank - x->rank) >= 0 ? x->dims[d - (rank - x->rank)] : 1;
        int64_t b = d - (rank - count) >= 0 ? shape[d - (rank - count)] : 1;
        if (a != b && a != 1 && b != 1)
            return ox_fail(c, n, "'%s' dimension %lld does not broadcast to %lld", x->name,
                           (long long)a, (long long)b);
        dims[d] = a == 1 ? b : a;
    }
    if (ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    expand_ctx e = {x, rank};
    fold_gather_map(c, x, ox_out(c, n, 0), expand_map, &e);
    return 0;
}

static void tile_map(const void *ctx, const int64_t *out_coord, int64_t *in_coord)
{
    const ox_tensor *x = ctx;
    for (int d = 0; d < x->rank; d++)
        in_coord[d] = out_coord[d] % x->dims[d];
}

/* Tile: each dimension times its folded repeat. */
static int tile(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t reps[OX_MAX_RANK], dims[OX_MAX_RANK];
    int count = ops_ints(c, n, 1, NULL, reps, OX_MAX_RANK);
    if (!ox_known(x) || count == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, dtype);
    if (count != x->rank && !(count == OPS_ABSENT && x->rank == 0))
        return ox_fail(c, n, "%d repeats for rank %d", count, x->rank);
    if (check_values(c, n, "repeats", reps, x->rank, 0))
        return -1;
    for (int d = 0; d < x->rank; d++)
        dims[d] = x->dims[d] > OPS_DIM_MAX / JF__MAX(reps[d], 1) ? OPS_DIM_MAX + 1
                                                               : x->dims[d] * reps[d];
    if (ops_set(c, n, 0, dtype, x->rank, dims))
        return -1;
    fold_gather_map(c, x, ox_out(c, n, 0), tile_map, x);
    return 0;
}

/* Range: ceil((limit - start) / delta) elements, known when the three
 * scalars fold; folded itself. */
static int range(ox_ctx *c, ox_node *n)
{
    const ox_tensor *t[3] = {ox_in(c, n, 0), ox_in(c, n, 1), ox_in(c, n, 2)};
    int32_t dtype = t[0] ? t[0]->dtype : OX_UNDEFINED;
    for (int k = 0; k < 3; k++)
        if (!ox_folded(t[k]) || ox_numel(t[k]) != 1)
            return ops_unknown(c, n, 0, dtype);
    double start = ox_getf(t[0], 0), limit = ox_getf(t[1], 0), delta = ox_getf(t[2], 0);
    double count = ceil((limit - start) / delta), big = 4503599627370496.0; /* 2^52 */
    if (delta == 0 || !(count < (double)OPS_DIM_MAX))
        return ox_fail(c, n, "delta 0 or too many elements");
    if (!(fabs(start) < big && fabs(limit) < big && fabs(delta) < big))
        return ops_unknown(c, n, 0, dtype); /* values no double holds exactly */
    int64_t dims[1] = {count > 0 ? (int64_t)count : 0};
    if (ops_set(c, n, 0, dtype, 1, dims))
        return -1;
    ox_tensor *y = ox_out(c, n, 0);
    if (!ops_fold_room(c, y))
        return 0;
    for (int64_t i = 0; i < dims[0]; i++)
        if (y->ival)
            y->ival[i] = ops_geti(t[0], 0) + i * ops_geti(t[2], 0);
        else
            y->fval[i] = start + (double)i * delta;
    return 0;
}

/* ---- other rearrangements ------------------------------------------------------- */
/* DepthToSpace / SpaceToDepth: [N, C, H, W] <-> [N, C/b^2, H*b, W*b]. */
static int depth_space(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t b = ox_attr_int(n, "blocksize", 0), dims[4];
    if (!ox_known(x))
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    int to_space = strcmp(n->op, "DepthToSpace") == 0;
    if (x->rank != 4 || b < 1 || b > 1024 ||
        (to_space ? x->dims[1] % (b * b) : x->dims[2] % b + x->dims[3] % b))
        return ox_fail(c, n, "needs a 4-D input whose dimensions fit blocksize %lld",
                       (long long)b);
    dims[0] = x->dims[0];
    dims[1] = to_space ? x->dims[1] / (b * b) : x->dims[1] * b * b;
    dims[2] = to_space ? x->dims[2] * b : x->dims[2] / b;
    dims[3] = to_space ? x->dims[3] * b : x->dims[3] / b;
    return ops_set(c, n, 0, x->dtype, 4, dims);
}

/* TopK: K (attribute before opset 10, input 1 from 10) along axis; values
 * and int64 indices. One comparison per input element. */
static int topk(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t k, dims[OX_MAX_RANK];
    int axis, count = ops_ints(c, n, n->opset >= 10 ? 1 : -1, "k", &k, 1);
    if (n->opset < 10 && ox_attr(n, "k"))
        k = ox_attr_int(n, "k", 0), count = 1;
    if (!ox_known(x) || count != 1)
        return ops_unknown(c, n, 0, dtype), ops_unknown(c, n, 1, OX_INT64);
    if (ops_axis(c, n, ox_attr_int(n, "axis", -1), x->rank, &axis))
        return -1;
    if (k < 0 || k > x->dims[axis])
        return ox_fail(c, n, "k = %lld for a dimension of %lld", (long long)k,
                       (long long)x->dims[axis]);
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = k;
    n->flops = (double)ox_numel(x);
    if (ops_set(c, n, 0, dtype, x->rank, dims))
        return -1;
    return ops_set(c, n, 1, OX_INT64, x->rank, dims);
}

/* NonZero: [rank, count of non-zeros], known (and folded) only when the
 * input is folded. */
static int nonzero(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    if (!ox_folded(x))
        return ops_unknown(c, n, 0, OX_INT64);
    int64_t dims[2] = {x->rank, 0}, coord[OX_MAX_RANK];
    for (int64_t i = 0; i < ox_numel(x); i++)
        dims[1] += ox_getf(x, i) != 0;
    if (ops_set(c, n, 0, OX_INT64, 2, dims))
        return -1;
    int64_t *v = ox_fold_ints(c, ox_out(c, n, 0)), k = 0;
    for (int64_t i = 0; v && i < ox_numel(x); i++) {
        if (ox_getf(x, i) == 0)
            continue;
        unflatten(i, x->rank, x->dims, coord);
        for (int d = 0; d < x->rank; d++)
            v[d * dims[1] + k] = coord[d];
        k++;
    }
    return 0;
}

/* OneHot: indices' shape with the folded depth inserted at axis; the
 * values' type. */
static int one_hot(ox_ctx *c, ox_node *n)
{
    const ox_tensor *idx = ox_in(c, n, 0), *depth = ox_in(c, n, 1), *values = ox_in(c, n, 2);
    int32_t dtype = values ? values->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK];
    int axis;
    if (!ox_known(idx) || !ox_folded(depth) || ox_numel(depth) < 1)
        return ops_unknown(c, n, 0, dtype);
    if (idx->rank + 1 > OX_MAX_RANK ||
        ops_axis(c, n, ox_attr_int(n, "axis", -1), idx->rank + 1, &axis))
        return idx->rank + 1 > OX_MAX_RANK ? ox_fail(c, n, "rank too large") : -1;
    double size = ox_getf(depth, 0);
    if (!(size >= 0 && size <= (double)OPS_DIM_MAX))
        return ox_fail(c, n, "depth %g is out of range", size);
    for (int d = 0, k = 0; d <= idx->rank; d++)
        dims[d] = d == axis ? (int64_t)size : idx->dims[k++];
    return ops_set(c, n, 0, dtype, idx->rank + 1, dims);
}

const ox_rule ox_rules_shape[] = {
    {"Reshape", reshape}, {"Flatten", flatten}, {"Squeeze", squeeze},
    {"Unsqueeze", unsqueeze}, {"Transpose", transpose}, {"Concat", concat},
    {"Split", split}, {"Slice", slice}, {"Gather", gather},
    {"GatherElements", gather_elements}, {"GatherND", gather_nd}, {"ScatterND", scatter},
    {"ScatterElements", scatter}, {"Scatter", scatter}, {"Shape", shape}, {"Size", size},
    {"ConstantOfShape", constant_of_shape}, {"Expand", expand}, {"Tile", tile},
    {"Range", range}, {"DepthToSpace", depth_space}, {"SpaceToDepth", depth_space},
    {"TopK", topk}, {"NonZero", nonzero}, {"OneHot", one_hot},
    {NULL, NULL},
};
