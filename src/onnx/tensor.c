/* Values of an ONNX graph: shapes, dtypes, folded contents, attributes —
 * the helpers every operator rule uses. */
#include <math.h>
#include <stdarg.h>

#include "onnx/onnx_impl.h"

ox_tensor *ox_in(ox_ctx *c, const ox_node *n, int i)
{
    if (i < 0 || i >= n->n_in || n->in[i] < 0)
        return NULL;
    return &c->m->tensors[n->in[i]];
}

ox_tensor *ox_out(ox_ctx *c, const ox_node *n, int i)
{
    if (i < 0 || i >= n->n_out || n->out[i] < 0)
        return NULL;
    return &c->m->tensors[n->out[i]];
}

const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name)
{
    for (size_t i = 0; i < n->proto->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->proto->attribute[i];
        if (a->name && strcmp(a->name, name) == 0)
            return a;
    }
    return NULL;
}

int64_t ox_attr_int(const ox_node *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_i ? a->i : def;
}

double ox_attr_float(const ox_node *n, const char *name, double def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_f ? a->f : def;
}

const char *ox_attr_str(const ox_node *n, const char *name, const char *def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    static __thread char buf[64];
    if (!a || !a->has_s)
        return def;
    size_t len = JF__MIN(a->s.len, sizeof buf - 1);
    if (len) /* an empty string has no data pointer */
        memcpy(buf, a->s.data, len);
    buf[len] = '\0';
    return buf;
}

int ox_attr_ints(const ox_node *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a)
        return -1;
    int count = (int)JF__MIN(a->n_ints, (size_t)max);
    for (int i = 0; i < count; i++)
        out[i] = a->ints[i];
    return count;
}

int ox_attr_floats(const ox_node *n, const char *name, double *out, int max)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a)
        return -1;
    int count = (int)JF__MIN(a->n_floats, (size_t)max);
    for (int i = 0; i < count; i++)
        out[i] = a->floats[i];
    return count;
}

void ox_errf(jf_onnx_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
}

int ox_fail(ox_ctx *c, const ox_node *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ox_errf(c->m, "%s: node '%s' (%s): %s", c->m->path, n->id, n->op, msg);
    return -1;
}

int64_t ox_numel(const ox_tensor *t)
{
    if (!ox_known(t))
        return -1;
    int64_t count = 1;
    for (int i = 0; i < t->rank; i++)
        count *= t->dims[i];
    return count;
}

int ox_dtype_size(int32_t dtype)
{
    switch (dtype) {
    case OX_UINT8: case OX_INT8: case OX_BOOL: return 1;
    case OX_UINT16: case OX_INT16: case OX_FLOAT16: case OX_BFLOAT16: return 2;
    case OX_FLOAT: case OX_INT32: case OX_UINT32: return 4;
    case OX_INT64: case OX_DOUBLE: case OX_UINT64: return 8;
    case 14: return 8;  /* complex64 */
    case 15: return 16; /* complex128 */
    default: return 0;
    }
}

int ox_dtype_is_float(int32_t dtype)
{
    return dtype == OX_FLOAT || dtype == OX_DOUBLE || dtype == OX_FLOAT16 ||
           dtype == OX_BFLOAT16;
}

uint64_t ox_bytes(const ox_tensor *t)
{
    int64_t count = ox_numel(t);
    if (count < 0)
        return 0;
    if (t->kind == OX_WEIGHT && t->weight_bytes)
        return t->weight_bytes;
    return (uint64_t)count * (uint64_t)ox_dtype_size(t->dtype);
}

int ox_set_shape(ox_ctx *c, const ox_node *n, ox_tensor *t, int32_t dtype, int rank,
                 const int64_t *dims)
{
    if (!t)
        return 0;
    if (rank > OX_MAX_RANK)
        return ox_fail(c, n, "output '%s' has rank %d, more than %d", t->name, rank,
                       OX_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return ox_fail(c, n, "output '%s' would get a negative dimension %lld",
                           t->name, (long long)dims[i]);
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    return 0;
}

int ox_broadcast(ox_ctx *c, const ox_node *n, int *out_rank, int64_t *out_dims)
{
    int rank = 0;
    for (int i = 0; i < n->n_in; i++) {
        const ox_tensor *t = ox_in(c, n, i);
        if (!t)
            continue;
        if (!ox_known(t))
            return 1;
        rank = JF__MAX(rank, t->rank);
    }
    for (int d = 0; d < rank; d++)
        out_dims[d] = 1;
    for (int i = 0; i < n->n_in; i++) {
        const ox_tensor *t = ox_in(c, n, i);
        if (!t)
            continue;
        for (int d = 0; d < t->rank; d++) {
            int64_t *o = &out_dims[rank - t->rank + d], v = t->dims[d];
            if (v == *o || v == 1)
                continue;
            if (*o != 1)
                return ox_fail(c, n, "shapes do not broadcast: '%s' has %lld where "
                               "another input has %lld", t->name, (long long)v,
                               (long long)*o);
            *o = v;
        }
    }
    *out_rank = rank;
    return 0;
}

int64_t *ox_fold_ints(ox_ctx *c, ox_tensor *t)
{
    int64_t count = ox_numel(t);
    if (count < 0 || count > OX_FOLD_MAX)
        return NULL;
    t->fval = NULL;
    t->ival = jf__arena_alloc(&c->m->arena, (size_t)JF__MAX(count, 1) * sizeof(int64_t));
    return t->ival;
}

double *ox_fold_floats(ox_ctx *c, ox_tensor *t)
{
    int64_t count = ox_numel(t);
    if (count < 0 || count > OX_FOLD_MAX)
        return NULL;
    t->ival = NULL;
    t->fval = jf__arena_alloc(&c->m->arena, (size_t)JF__MAX(count, 1) * sizeof(double));
    return t->fval;
}
