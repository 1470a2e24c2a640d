/* Element-wise, shape and reduction kernels: the table, and what their
 * files share (kern_ew.h): element access per dtype, the strided walk,
 * slicing over output elements. */
#include <math.h>

#include "onnx/kern_ew.h"

const ox_kernel ox_kernels_ew[] = {
    /* unary, kern_ew_unary.c */
    {"Relu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"LeakyRelu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Sigmoid", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"HardSigmoid", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"HardSwish", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Elu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Selu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Softplus", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Softsign", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Mish", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Tanh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Erf", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Exp", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Log", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Sin", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Cos", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Sqrt", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Reciprocal", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Neg", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Abs", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Floor", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Ceil", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Round", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Sign", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Not", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"IsNaN", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"IsInf", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Celu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"ThresholdedRelu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Shrink", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Gelu", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Tan", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Asin", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Acos", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Atan", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Sinh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Cosh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Asinh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Acosh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Atanh", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"BitwiseNot", ox_ew_unary, ox_ew_slices, NULL, 0},
    {"Clip", ox_ew_clip, ox_ew_slices, NULL, 0},
    {"Cast", ox_ew_cast, ox_ew_slices, NULL, 0},
    {"CastLike", ox_ew_cast, ox_ew_slices, NULL, 0},
    /* broadcasting, kern_ew_binary.c */
    {"Add", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Sub", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Mul", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Div", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Pow", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Mod", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"PRelu", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Equal", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Less", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Greater", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"LessOrEqual", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"GreaterOrEqual", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"And", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Or", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Xor", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"BitShift", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"BitwiseAnd", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"BitwiseOr", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"BitwiseXor", ox_ew_binary, ox_ew_slices, NULL, 0},
    {"Max", ox_ew_variadic, ox_ew_slices, NULL, 0},
    {"Min", ox_ew_variadic, ox_ew_slices, NULL, 0},
    {"Sum", ox_ew_variadic, ox_ew_slices, NULL, 0},
    {"Mean", ox_ew_variadic, ox_ew_slices, NULL, 0},
    {"Where", ox_ew_where, ox_ew_slices, NULL, 0},
    /* moving data, kern_ew_shape.c */
    {"Identity", ox_ew_copy, ox_ew_slices, NULL, 0},
    {"Reshape", ox_ew_copy, ox_ew_slices, NULL, 0},
    {"Flatten", ox_ew_copy, ox_ew_slices, NULL, 0},
    {"Squeeze", ox_ew_copy, ox_ew_slices, NULL, 0},
    {"Unsqueeze", ox_ew_copy, ox_ew_slices, NULL, 0},
    {"Dropout", ox_ew_dropout, NULL, NULL, 0},
    {"Transpose", ox_ew_transpose, ox_ew_slices, NULL, 0},
    {"Concat", ox_ew_concat, ox_ew_slices, NULL, 0},
    {"Split", ox_ew_split, NULL, NULL, 0},
    {"Slice", ox_ew_slice, ox_ew_slices, NULL, 0},
    {"Gather", ox_ew_gather, ox_ew_gather_slices, NULL, 0},
    {"Expand", ox_ew_expand, ox_ew_slices, NULL, 0},
    {"Tile", ox_ew_tile, ox_ew_slices, NULL, 0},
    {"DepthToSpace", ox_ew_depth_space, ox_ew_slices, NULL, 0},
    {"SpaceToDepth", ox_ew_depth_space, ox_ew_slices, NULL, 0},
    /* indices, kern_ew_index.c; scans, kern_ew_scan.c */
    {"GatherElements", ox_ew_gather_elements, NULL, NULL, 0},
    {"ScatterElements", ox_ew_scatter_elements, NULL, NULL, 0},
    {"Scatter", ox_ew_scatter_elements, NULL, NULL, 0},
    {"ScatterND", ox_ew_scatter_nd, NULL, NULL, 0},
    {"GatherND", ox_ew_gather_nd, NULL, NULL, 0},
    {"OneHot", ox_ew_one_hot, NULL, NULL, 0},
    {"CumSum", ox_ew_cumsum, NULL, NULL, 0},
    {"Trilu", ox_ew_trilu, NULL, NULL, 0},
    /* making values, kern_ew_make.c */
    {"Shape", ox_ew_shape, NULL, NULL, 0},
    {"Size", ox_ew_size, NULL, NULL, 0},
    {"ConstantOfShape", ox_ew_constant_of_shape, ox_ew_slices, NULL, 0},
    {"Range", ox_ew_range_op, NULL, NULL, 0},
    /* reductions, kern_ew_reduce.c */
    {"ReduceMean", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceMax", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceMin", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceSum", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceProd", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceL1", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceL2", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceLogSum", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceLogSumExp", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ReduceSumSquare", ox_ew_reduce, ox_ew_reduce_slices, NULL, 0},
    {"ArgMax", ox_ew_argreduce, NULL, NULL, 0},
    {"ArgMin", ox_ew_argreduce, NULL, NULL, 0},
    {"TopK", ox_ew_topk, NULL, ox_ew_topk_scratch, 0},
    {"MeanVarianceNormalization", ox_ew_mvn, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* ---- the walk ------------------------------------------------------------ */
void ox_ew_walk_init(ew_walk *w, int rank, const int64_t *dims)
{
    memset(w, 0, sizeof *w);
    w->rank = rank;
    for (int d = 0; d < rank; d++)
        w->dims[d] = dims[d];
}

int ox_ew_walk_bcast(ew_walk *w, const ox_view *v)
{
    int k = w->n_ops++;
    int64_t stride = 1;
    w->base[k] = 0;
    if (v->rank > w->rank)
        return -1;
    for (int d = w->rank - 1; d >= 0; d--) {
        int id = d - (w->rank - v->rank);
        int64_t dim = id >= 0 ? v->dims[id] : 1;
        if (dim != 1 && dim != w->dims[d])
            return -1;
        w->strides[k][d] = dim == 1 ? 0 : stride;
        stride *= dim;
    }
    return 0;
}

/* 1 when dimension d folds into d + 1 for every operand. */
static int mergeable(const ew_walk *w, int d)
{
    for (int k = 0; k < w->n_ops; k++)
        if (w->strides[k][d] != w->strides[k][d + 1] * w->dims[d + 1])
            return 0;
    return 1;
}

void ox_ew_walk_merge(ew_walk *w)
{
    int r = 0;
    for (int d = 0; d < w->rank; d++) { /* drop 1s: they move nothing */
        if (w->dims[d] == 1)
            continue;
        w->dims[r] = w->dims[d];
        for (int k = 0; k < w->n_ops; k++)
            w->strides[k][r] = w->strides[k][d];
        r++;
    }
    w->rank = r;
    for (int d = w->rank - 2; d >= 0; d--) {
        if (!mergeable(w, d))
            continue;
        w->dims[d] *= w->dims[d + 1];
        for (int k = 0; k < w->n_ops; k++)
            w->strides[k][d] = w->strides[k][d + 1];
        for (int e = d + 1; e + 1 < w->rank; e++) {
            w->dims[e] = w->dims[e + 1];
            for (int k = 0; k < w->n_ops; k++)
                w->strides[k][e] = w->strides[k][e + 1];
        }
        w->rank--;
    }
}

void ox_ew_iter_start(ew_iter *it, const ew_walk *w, int64_t lo, int64_t hi)
{
    it->w = w;
    it->pos = lo;
    it->end = hi;
    for (int k = 0; k < w->n_ops; k++)
        it->off[k] = w->base[k];
    int64_t rest = lo;
    for (int d = w->rank - 1; d >= 0; d--) {
        it->coord[d] = w->dims[d] ? rest % w->dims[d] : 0;
        rest = w->dims[d] ? rest / w->dims[d] : 0;
        for (int k = 0; k < w->n_ops; k++)
            it->off[k] += it->coord[d] * w->strides[k][d];
    }
}

void ox_ew_iter_next(ew_iter *it, int64_t run)
{
    const ew_walk *w = it->w;
    it->pos += run;
    if (w->rank == 0)
        return;
    int d = w->rank - 1;
    it->coord[d] += run;
    for (int k = 0; k < w->n_ops; k++)
        it->off[k] += run * w->strides[k][d];
    /* Carry into the outer dimensions. */
    while (d > 0 && it->coord[d] == w->dims[d]) {
        it->coord[d] = 0;
        for (int k = 0; k < w->n_ops; k++)
            it->off[k] += w->strides[k][d - 1] - w->dims[d] * w->strides[k][d];
        it->coord[--d]++;
    }
}

/* ---- elements -------------------------------------------------------------- */
int ox_ew_esize(int32_t dtype)
{
    return ox_dtype_size(ox_run_dtype(dtype));
}

int64_t ox_ew_get_i(const void *p, int32_t dtype, int64_t i)
{
    switch (dtype) {
    case OX_FLOAT: return ox_ew_f2i(((const float *)p)[i]);
    case OX_UINT8: case OX_BOOL: return ((const uint8_t *)p)[i];
    case OX_INT8: return ((const int8_t *)p)[i];
    case OX_UINT16: return ((const uint16_t *)p)[i];
    case OX_INT16: return ((const int16_t *)p)[i];
    case OX_INT32: return ((const int32_t *)p)[i];
    case OX_UINT32: return ((const uint32_t *)p)[i];
    case OX_INT64: return ((const int64_t *)p)[i];
    case OX_UINT64: return (int64_t)((const uint64_t *)p)[i];
    default: return 0;
    }
}

double ox_ew_get_f(const void *p, int32_t dtype, int64_t i)
{
    switch (dtype) {
    case OX_FLOAT: return ((const float *)p)[i];
    case OX_UINT64: return (double)((const uint64_t *)p)[i];
    default: return (double)ox_ew_get_i(p, dtype, i);
    }
}

void ox_ew_set_i(void *p, int32_t dtype, int64_t i, int64_t v)
{
    switch (dtype) {
    case OX_FLOAT: ((float *)p)[i] = (float)v; break;
    case OX_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case OX_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case OX_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case OX_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case OX_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case OX_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case OX_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case OX_INT64: ((int64_t *)p)[i] = v; break;
    case OX_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    default: break;
    }
}

int64_t ox_ew_f2i(double v)
{
    if (!(v == v))
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}

void ox_ew_set_f(void *p, int32_t dtype, int64_t i, double v)
{
    if (dtype == OX_FLOAT)
        ((float *)p)[i] = (float)v;
    else if (dtype == OX_BOOL)
        ((uint8_t *)p)[i] = v != 0;
    else if (dtype == OX_UINT64 && v >= 9.2233720368547758e18)
        ((uint64_t *)p)[i] = v < 1.8446744073709552e19 ? (uint64_t)v : UINT64_MAX;
    else
        ox_ew_set_i(p, dtype, i, ox_ew_f2i(v));
}

/* ---- copies ------------------------------------------------------------------ */
#define STRIDED_COPY(T)                                  \
    do {                                                 \
        T *d_ = dst;                                     \
        const T *s_ = src;                               \
        for (int64_t i = 0; i < n; i++)                  \
            d_[i] = s_[i * stride];                      \
    } while (0)

void ox_ew_copy_strided(void *dst, const void *src, int64_t stride, int64_t n, int esize)
{
    if (stride == 1) {
        memcpy(dst, src, (size_t)(n * esize));
        return;
    }
    switch (esize) {
    case 1: STRIDED_COPY(uint8_t); break;
    case 2: STRIDED_COPY(uint16_t); break;
    case 4: STRIDED_COPY(uint32_t); break;
    case 8: STRIDED_COPY(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy((char *)dst + i * esize, (const char *)src + i * stride * esize,
                   (size_t)esize);
    }
}

void ox_ew_gather_walk(const ew_walk *w, void *dst, const void *src, int esize, int64_t lo,
                       int64_t hi)
{
    ew_iter it;
    int64_t run, inner = ox_ew_inner(w, 0);
    ox_ew_iter_start(&it, w, lo, hi);
    while ((run = ox_ew_iter_run(&it)) > 0) {
        ox_ew_copy_strided((char *)dst + it.pos * esize, (const char *)src + it.off[0] * esize,
                           inner, run, esize);
        ox_ew_iter_next(&it, run);
    }
}

/* ---- slices, shapes, attributes -------------------------------------------- */
/* Slices start at multiples of EW_ALIGN elements, so that every element
 * but the tensor's last few goes through the same (vectorized) path of a
 * loop whatever the slicing: results are the same bytes for any number of
 * slices, though libmvec's expf may differ from libm's in the last bit. */
#define EW_ALIGN 16

void ox_ew_range(const ox_kcall *k, int64_t *lo, int64_t *hi)
{
    int64_t n_slices = k->n_slices > 0 ? k->n_slices : 1, total = k->out[0].numel;
    ox_slice_range((total + EW_ALIGN - 1) / EW_ALIGN, k->slice, n_slices, lo, hi);
    *lo = JF__MIN(*lo * EW_ALIGN, total);
    *hi = JF__MIN(*hi * EW_ALIGN, total);
}

int64_t ox_ew_numel(const jf_onnx_model *m, int32_t t)
{
    if (t < 0 || (size_t)t >= m->n_tensors)
        return 0;
    int64_t count = ox_numel(&m->tensors[t]);
    return count > 0 ? count : 0;
}

int64_t ox_ew_slices(const jf_onnx_model *m, const ox_node *n)
{
    int64_t count = n->n_out > 0 ? ox_ew_numel(m, n->out[0]) : 0;
    return JF__MAX((count + EW_BLOCK - 1) / EW_BLOCK, 1);
}

int ox_ew_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank)
        return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 31, f = h & 1023;
    float v = e == 0 ? ldexpf((float)f, -24)
              : e == 31 ? (f ? NAN : INFINITY) : ldexpf((float)(f | 1024), e - 25);
    return h & 0x8000 ? -v : v;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Element 0 of raw little-endian data of an ONNX dtype. */
static int raw_scalar(int32_t dtype, const uint8_t *p, size_t len, int64_t *iv, double *fv)
{
    int size = ox_dtype_size(dtype);
    if (size == 0 || len < (size_t)size)
        return -1;
    uint16_t h;
    float f;
    double d;
    switch (dtype) {
    case OX_FLOAT: memcpy(&f, p, 4); *fv = f; break;
    case OX_DOUBLE: memcpy(&d, p, 8); *fv = d; break;
    case OX_FLOAT16: memcpy(&h, p, 2); *fv = half_to_float(h); break;
    case OX_BFLOAT16: memcpy(&h, p, 2); *fv = bf16_to_float(h); break;
    default: *iv = ox_ew_get_i(p, dtype, 0), *fv = (double)*iv; return 0;
    }
    *iv = ox_ew_f2i(*fv);
    return 0;
}

int ox_ew_proto_scalar(const Onnx__TensorProto *tp, int64_t *iv, double *fv)
{
    int32_t dtype = tp->data_type;
    if (tp->has_raw_data)
        return raw_scalar(dtype, tp->raw_data.data, tp->raw_data.len, iv, fv);
    if (tp->n_float_data)
        *fv = tp->float_data[0], *iv = ox_ew_f2i(*fv);
    else if (tp->n_double_data)
        *fv = tp->double_data[0], *iv = ox_ew_f2i(*fv);
    else if (tp->n_int64_data)
        *iv = tp->int64_data[0], *fv = (double)*iv;
    else if (tp->n_uint64_data)
        *iv = (int64_t)tp->uint64_data[0], *fv = (double)tp->uint64_data[0];
    else if (tp->n_int32_data && dtype == OX_FLOAT16)
        *fv = half_to_float((uint16_t)tp->int32_data[0]), *iv = ox_ew_f2i(*fv);
    else if (tp->n_int32_data && dtype == OX_BFLOAT16)
        *fv = bf16_to_float((uint16_t)tp->int32_data[0]), *iv = ox_ew_f2i(*fv);
    else if (tp->n_int32_data)
        *iv = tp->int32_data[0], *fv = (double)*iv;
    else
        return -1;
    return 0;
}
