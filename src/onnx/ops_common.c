/* Helpers the operator rules share (see ops.h). */
#include <limits.h>

#include "onnx/ops.h"

int ops_axis(ox_ctx *c, const ox_node *n, int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank)
        return ox_fail(c, n, "axis %lld is outside [%d, %d) for rank %d", (long long)axis,
                       -rank, rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

int ops_set(ox_ctx *c, const ox_node *n, int o, int32_t dtype, int rank, const int64_t *dims)
{
    ox_tensor *t = ox_out(c, n, o);
    if (!t)
        return 0;
    int64_t count = 1;
    for (int d = 0; d < rank && d < OX_MAX_RANK; d++) {
        if (dims[d] > OPS_DIM_MAX)
            return ox_fail(c, n, "output '%s' would get dimension %lld, beyond %lld", t->name,
                           (long long)dims[d], (long long)OPS_DIM_MAX);
        if (dims[d] > 0 && __builtin_mul_overflow(count, dims[d], &count))
            count = INT64_MAX;
        if (count > ((int64_t)1 << 62))
            return ox_fail(c, n, "output '%s' would have more than 2^62 elements", t->name);
    }
    return ox_set_shape(c, n, t, dtype, rank, dims);
}

int ops_unknown(ox_ctx *c, const ox_node *n, int o, int32_t dtype)
{
    ox_tensor *t = ox_out(c, n, o);
    if (t)
        t->dtype = dtype;
    return 0;
}

int ops_same(ox_ctx *c, const ox_node *n, int o, int i)
{
    const ox_tensor *in = ox_in(c, n, i);
    int32_t dtype = in ? in->dtype : OX_UNDEFINED;
    if (!ox_known(in))
        return ops_unknown(c, n, o, dtype);
    return ops_set(c, n, o, dtype, in->rank, in->dims);
}

void ops_fold_copy(ox_ctx *c, const ox_tensor *t, ox_tensor *out)
{
    int64_t count = ox_numel(t);
    if (!out || !ox_folded(t) || count != ox_numel(out))
        return;
    if (t->ival) {
        int64_t *v = ox_fold_ints(c, out);
        if (v)
            memcpy(v, t->ival, (size_t)count * sizeof *v);
    } else {
        double *v = ox_fold_floats(c, out);
        if (v)
            memcpy(v, t->fval, (size_t)count * sizeof *v);
    }
}

/* The list input: OPS_ABSENT, OPS_UNKNOWN or its element count. */
static int list_input(ox_ctx *c, const ox_node *n, int input, const ox_tensor **out)
{
    const ox_tensor *t = ox_in(c, n, input);
    *out = t;
    if (!t)
        return OPS_ABSENT;
    int64_t count = ox_numel(t);
    if (count == 0)
        return OPS_ABSENT;
    if (!ox_folded(t))
        return OPS_UNKNOWN;
    return (int)JF__MIN(count, INT_MAX);
}

int ops_ints(ox_ctx *c, const ox_node *n, int input, const char *attr, int64_t *out, int max)
{
    if (input >= 0) {
        const ox_tensor *t;
        int count = list_input(c, n, input, &t);
        for (int i = 0; i < count && i < max; i++)
            out[i] = ops_geti(t, i);
        return count;
    }
    if (!attr || !ox_attr(n, attr))
        return OPS_ABSENT;
    ox_attr_ints(n, attr, out, max);
    return (int)JF__MIN(ox_attr(n, attr)->n_ints, INT_MAX);
}

int ops_floats(ox_ctx *c, const ox_node *n, int input, const char *attr, double *out, int max)
{
    if (input >= 0) {
        const ox_tensor *t;
        int count = list_input(c, n, input, &t);
        for (int i = 0; i < count && i < max; i++)
            out[i] = ox_getf(t, i);
        return count;
    }
    if (!attr || !ox_attr(n, attr))
        return OPS_ABSENT;
    ox_attr_floats(n, attr, out, max);
    return (int)JF__MIN(ox_attr(n, attr)->n_floats, INT_MAX);
}

int64_t ops_geti(const ox_tensor *t, int64_t i)
{
    if (t->ival)
        return t->ival[i];
    double v = t->fval[i];
    return v >= 9.2e18 ? INT64_MAX : v > -9.2e18 ? (int64_t)v : INT64_MIN; /* NaN: MIN */
}

int64_t ops_prod(const int64_t *dims, int from, int to)
{
    int64_t count = 1;
    for (int d = from; d < to; d++)
        count *= dims[d];
    return count;
}

int ops_is_int(int32_t dtype)
{
    return dtype != OX_UNDEFINED && !ox_dtype_is_float(dtype) && dtype != OX_STRING &&
           dtype != 14 && dtype != 15;
}

int64_t ops_bcast_index(const ox_tensor *in, int rank, const int64_t *dims, int64_t flat)
{
    int64_t index = 0, stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        int64_t coord = flat % dims[d];
        flat /= dims[d];
        int k = d - (rank - in->rank);
        if (k < 0)
            continue;
        if (in->dims[k] != 1)
            index += coord * stride;
        stride *= in->dims[k];
    }
    return index;
}

int ops_fold_room(ox_ctx *c, ox_tensor *out)
{
    if (!out || !ox_known(out))
        return 0;
    if (ops_is_int(out->dtype))
        return ox_fold_ints(c, out) != NULL;
    if (out->dtype != OX_FLOAT && out->dtype != OX_DOUBLE && out->dtype != OX_FLOAT16)
        return 0;
    return ox_numel(out) <= OPS_FOLD_FLOAT_MAX && ox_fold_floats(c, out) != NULL;
}
