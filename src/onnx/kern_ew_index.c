/* Kernels driven by index tensors: GatherElements, ScatterElements (and
 * the older Scatter), ScatterND, OneHot. Indices are int64 or int32;
 * negative ones count from the end; one out of range fails the call. */
#include "onnx/kern_ew.h"

static int64_t prod(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

static void row_major(const ox_view *v, int64_t *strides)
{
    for (int d = v->rank - 1; d >= 0; d--)
        strides[d] = d == v->rank - 1 ? 1 : strides[d + 1] * v->dims[d + 1];
}

/* Index i of idx, wrapped into [0, dim); -1 when out of range. */
static int64_t index_at(const ox_view *idx, int64_t i, int64_t dim)
{
    int64_t at = ox_ew_get_i(idx->data, idx->dtype, i);
    at += at < 0 ? dim : 0;
    return at >= 0 && at < dim ? at : -1;
}

/* A walk over idx's shape: operand 0 steps through `of` (data or the
 * output) except along axis, operand 1 through idx itself. */
static void axis_walk(ew_walk *w, const ox_view *idx, const ox_view *of, int axis)
{
    int64_t strides[OX_MAX_RANK];
    ox_ew_walk_init(w, idx->rank, idx->dims);
    row_major(of, strides);
    w->n_ops = 2;
    for (int d = 0; d < idx->rank; d++)
        w->strides[0][d] = d == axis ? 0 : strides[d];
    row_major(idx, w->strides[1]);
}

static int index_inputs(const ox_kcall *k, int n_in, int *axis)
{
    for (int i = 0; i < n_in; i++)
        if (k->n->n_in <= i || !k->in[i].data || !ox_ew_esize(k->in[i].dtype))
            return ox_kfail(k, "input %d is missing", i);
    const ox_view *x = &k->in[0], *idx = &k->in[1];
    *axis = ox_ew_axis(ox_attr_int(k->n, "axis", 0), x->rank);
    if (*axis < 0 || idx->rank != x->rank || ox_ew_is_float(idx->dtype))
        return ox_kfail(k, "bad axis, or indices of another rank or not integers");
    for (int d = 0; d < x->rank; d++)
        if (d != *axis && idx->dims[d] > x->dims[d])
            return ox_kfail(k, "indices reach past the data in dimension %d", d);
    return 0;
}

/* ---- GatherElements ------------------------------------------------------------ */
int ox_ew_gather_elements(const ox_kcall *k)
{
    int axis;
    if (index_inputs(k, 2, &axis))
        return -1;
    const ox_view *x = &k->in[0], *idx = &k->in[1], *y = &k->out[0];
    int es = ox_ew_esize(x->dtype);
    int64_t strides[OX_MAX_RANK], run;
    if (y->numel != idx->numel || ox_ew_esize(y->dtype) != es || y->data == x->data)
        return ox_kfail(k, "the output does not match the indices");
    row_major(x, strides);
    ew_walk w;
    ew_iter it;
    axis_walk(&w, idx, x, axis);
    for (ox_ew_iter_start(&it, &w, 0, idx->numel); (run = ox_ew_iter_run(&it)) > 0;
         ox_ew_iter_next(&it, run))
        for (int64_t j = 0; j < run; j++) {
            int64_t at = index_at(idx, it.off[1] + j * ox_ew_inner(&w, 1), x->dims[axis]);
            if (at < 0)
                return ox_kfail(k, "an index is out of range for a dimension of %lld",
                                (long long)x->dims[axis]);
            memcpy((char *)y->data + (it.pos + j) * es,
                   (const char *)x->data +
                       (it.off[0] + j * ox_ew_inner(&w, 0) + at * strides[axis]) * es,
                   (size_t)es);
        }
    return 0;
}

/* ---- scattering ------------------------------------------------------------------ */
typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction;

static int reduction_of(const ox_kcall *k, reduction *r)
{
    const char *s = ox_attr_str(k->n, "reduction", "none");
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return *r = (reduction)i, 0;
    return ox_kfail(k, "unknown reduction '%s'", s);
}

/* out[to] = u[from], or combined with what is there. */
static void scatter_one(const ox_view *y, int64_t to, const ox_view *u, int64_t from,
                        reduction r)
{
    int es = ox_ew_esize(y->dtype);
    if (r == RED_NONE) {
        memcpy((char *)y->data + to * es, (const char *)u->data + from * es, (size_t)es);
    } else if (y->dtype == OX_FLOAT) {
        float *o = (float *)y->data + to, v = ((const float *)u->data)[from];
        *o = r == RED_ADD ? *o + v : r == RED_MUL ? *o * v : r == RED_MAX ? (v > *o ? v : *o)
                                                                         : (v < *o ? v : *o);
    } else {
        int64_t o = ox_ew_get_i(y->data, y->dtype, to), v = ox_ew_get_i(u->data, u->dtype, from);
        uint64_t uo = (uint64_t)o, uv = (uint64_t)v;
        o = r == RED_ADD ? (int64_t)(uo + uv) : r == RED_MUL ? (int64_t)(uo * uv)
            : r == RED_MAX ? (v > o ? v : o) : (v < o ? v : o);
        ox_ew_set_i(y->data, y->dtype, to, o);
    }
}

/* The output starts as a copy of the data (nothing to copy in place). */
static int scatter_start(const ox_kcall *k, reduction *r)
{
    const ox_view *x = &k->in[0], *u = &k->in[2], *y = &k->out[0];
    if (reduction_of(k, r))
        return -1;
    if (y->rank != x->rank || memcmp(y->dims, x->dims, sizeof *x->dims * (size_t)x->rank) ||
        y->dtype != x->dtype || u->dtype != x->dtype)
        return ox_kfail(k, "data, updates and output differ in dtype or shape");
    if (y->data != x->data)
        memcpy(y->data, x->data, (size_t)(x->numel * ox_ew_esize(x->dtype)));
    return 0;
}

/* ScatterElements and Scatter: out[..., idx, ...] = updates, along axis. */
int ox_ew_scatter_elements(const ox_kcall *k)
{
    int axis;
    reduction r;
    if (index_inputs(k, 3, &axis) || scatter_start(k, &r))
        return -1;
    const ox_view *idx = &k->in[1], *u = &k->in[2], *y = &k->out[0];
    int64_t strides[OX_MAX_RANK], run;
    if (u->numel != idx->numel || u->rank != idx->rank)
        return ox_kfail(k, "updates and indices differ in shape");
    row_major(y, strides);
    ew_walk w;
    ew_iter it;
    axis_walk(&w, idx, y, axis);
    for (ox_ew_iter_start(&it, &w, 0, idx->numel); (run = ox_ew_iter_run(&it)) > 0;
         ox_ew_iter_next(&it, run))
        for (int64_t j = 0; j < run; j++) {
            int64_t at = index_at(idx, it.off[1] + j * ox_ew_inner(&w, 1), y->dims[axis]);
            if (at < 0)
                return ox_kfail(k, "an index is out of range for a dimension of %lld",
                                (long long)y->dims[axis]);
            scatter_one(y, it.off[0] + j * ox_ew_inner(&w, 0) + at * strides[axis], u,
                        it.pos + j, r);
        }
    return 0;
}

/* ScatterND: each index tuple (the last dimension of indices) picks a
 * slice of the output that takes a slice of the updates. */
int ox_ew_scatter_nd(const ox_kcall *k)
{
    reduction r;
    for (int i = 0; i < 3; i++)
        if (k->n->n_in < 3 || !k->in[i].data)
            return ox_kfail(k, "input %d is missing", i);
    if (scatter_start(k, &r))
        return -1;
    const ox_view *idx = &k->in[1], *u = &k->in[2], *y = &k->out[0];
    int depth = idx->rank > 0 ? (int)idx->dims[idx->rank - 1] : -1;
    if (depth < 0 || depth > y->rank || ox_ew_is_float(idx->dtype))
        return ox_kfail(k, "indices of rank %d do not fit data of rank %d", idx->rank, y->rank);
    int64_t strides[OX_MAX_RANK], slice = prod(y->dims, depth, y->rank);
    int64_t tuples = depth ? idx->numel / depth : prod(idx->dims, 0, idx->rank - 1);
    if (u->numel != tuples * slice)
        return ox_kfail(k, "updates hold %lld elements, not %lld", (long long)u->numel,
                        (long long)(tuples * slice));
    row_major(y, strides);
    for (int64_t t = 0; t < tuples; t++) {
        int64_t base = 0;
        for (int d = 0; d < depth; d++) {
            int64_t at = index_at(idx, t * depth + d, y->dims[d]);
            if (at < 0)
                return ox_kfail(k, "index tuple %lld is out of range", (long long)t);
            base += at * strides[d];
        }
        for (int64_t e = 0; e < slice; e++)
            scatter_one(y, base + e, u, t * slice + e, r);
    }
    return 0;
}

/* ---- OneHot ------------------------------------------------------------------------ */
/* out[outer, d, inner] = values[1] where indices[outer, inner] (negative
 * ones from depth down) is d, else values[0]. */
int ox_ew_one_hot(const ox_kcall *k)
{
    for (int i = 0; i < 3; i++)
        if (k->n->n_in < 3 || !k->in[i].data)
            return ox_kfail(k, "input %d is missing", i);
    const ox_view *idx = &k->in[0], *depth_v = &k->in[1], *vals = &k->in[2], *y = &k->out[0];
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", -1), idx->rank + 1);
    int64_t depth = ox_ew_f2i(ox_ew_get_f(depth_v->data, depth_v->dtype, 0));
    int es = ox_ew_esize(y->dtype);
    int64_t count;
    if (axis < 0 || vals->numel < 2 || ox_ew_esize(vals->dtype) != es || depth < 0 ||
        __builtin_mul_overflow(idx->numel, depth, &count) || y->numel != count)
        return ox_kfail(k, "bad axis, depth or values");
    int64_t outer = prod(idx->dims, 0, axis), inner = prod(idx->dims, axis, idx->rank);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t d = 0; d < depth; d++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t at = ox_ew_f2i(ox_ew_get_f(idx->data, idx->dtype, o * inner + i));
                at += at < 0 ? depth : 0;
                memcpy((char *)y->data + ((o * depth + d) * inner + i) * es,
                       (const char *)vals->data + (at == d) * es, (size_t)es);
            }
    return 0;
}

/* ---- GatherND ------------------------------------------------------------------------ */
/* Per batch (the first batch_dims dimensions, shared by data and indices),
 * each index tuple (indices' last dimension) picks a slice of data that
 * becomes the next slice of the output. */
int ox_ew_gather_nd(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *idx = &k->in[1], *y = &k->out[0];
    int b = (int)ox_attr_int(k->n, "batch_dims", 0), es = ox_ew_esize(x->dtype);
    if (k->n->n_in < 2 || !x->data || !idx->data || ox_ew_is_float(idx->dtype) || b < 0 ||
        idx->rank < 1 || b >= JF__MIN(x->rank, idx->rank) || ox_ew_esize(y->dtype) != es)
        return ox_kfail(k, "bad inputs or batch_dims");
    int depth = (int)idx->dims[idx->rank - 1];
    if (depth < 0 || depth > x->rank - b ||
        memcmp(x->dims, idx->dims, sizeof *x->dims * (size_t)b))
        return ox_kfail(k, "index tuples of %d do not fit the data", depth);
    int64_t strides[OX_MAX_RANK], batches = prod(x->dims, 0, b);
    int64_t tuples = prod(idx->dims, b, idx->rank - 1), slice = prod(x->dims, b + depth, x->rank);
    row_major(x, strides);
    if (y->numel != batches * tuples * slice)
        return ox_kfail(k, "the output's shape does not match");
    for (int64_t t = 0; t < batches * tuples; t++) {
        int64_t from = t / JF__MAX(tuples, 1) * (b ? strides[b - 1] : 0);
        for (int j = 0; j < depth; j++) {
            int64_t at = index_at(idx, t * depth + j, x->dims[b + j]);
            if (at < 0)
                return ox_kfail(k, "index tuple %lld is out of range", (long long)t);
            from += at * strides[b + j];
        }
        memcpy((char *)y->data + t * slice * es, (const char *)x->data + from * es,
               (size_t)(slice * es));
    }
    return 0;
}
