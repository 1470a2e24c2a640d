/* Kernels that make values rather than compute them from their inputs'
 * contents: Shape, Size, ConstantOfShape, Range. */
#include <math.h>

#include "onnx/kern_ew.h"

/* Shape: the input's dimensions [start, end) (opset 15), as int64. */
int ox_ew_shape(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int rank = x->rank;
    int64_t start = k->n->opset >= 15 ? ox_attr_int(k->n, "start", 0) : 0;
    int64_t end = k->n->opset >= 15 ? ox_attr_int(k->n, "end", rank) : rank;
    start = JF__MIN(JF__MAX(start < 0 ? start + rank : start, 0), rank);
    end = JF__MIN(JF__MAX(end < 0 ? end + rank : end, 0), rank);
    if (y->dtype != OX_INT64 || y->numel != JF__MAX(end - start, 0))
        return ox_kfail(k, "the output is not %lld int64 values",
                        (long long)JF__MAX(end - start, 0));
    for (int64_t i = start; i < end; i++)
        ((int64_t *)y->data)[i - start] = x->dims[i];
    return 0;
}

int ox_ew_size(const ox_kcall *k)
{
    if (k->out[0].dtype != OX_INT64 || k->out[0].numel != 1)
        return ox_kfail(k, "the output is not one int64");
    *(int64_t *)k->out[0].data = k->in[0].numel;
    return 0;
}

#define FILL(T, V)                                \
    do {                                          \
        T *p_ = y->data, v_ = (T)(V);             \
        for (int64_t i = lo; i < hi; i++)         \
            p_[i] = v_;                           \
    } while (0)

/* ConstantOfShape: the value attribute (float 0 without one) everywhere. */
int ox_ew_constant_of_shape(const ox_kcall *k)
{
    const ox_view *y = &k->out[0];
    const Onnx__AttributeProto *a = ox_attr(k->n, "value");
    int64_t iv = 0, lo, hi;
    double fv = 0;
    if (a && a->t && ox_ew_proto_scalar(a->t, &iv, &fv))
        return ox_kfail(k, "the value attribute has no element");
    ox_ew_range(k, &lo, &hi);
    if (y->dtype == OX_FLOAT) {
        FILL(float, fv);
        return 0;
    }
    switch (ox_ew_esize(y->dtype)) {
    case 1: FILL(uint8_t, y->dtype == OX_BOOL ? iv != 0 : (uint8_t)iv); break;
    case 2: FILL(uint16_t, (uint16_t)iv); break;
    case 4: FILL(uint32_t, (uint32_t)iv); break;
    case 8: FILL(uint64_t, (uint64_t)iv); break;
    default: return ox_kfail(k, "unsupported dtype %d", (int)y->dtype);
    }
    return 0;
}

/* Range: start + i * delta for the output's count (from shape
 * inference, checked against the values here). */
int ox_ew_range_op(const ox_kcall *k)
{
    const ox_view *y = &k->out[0];
    for (int i = 0; i < 3; i++)
        if (k->n->n_in < 3 || !k->in[i].data || k->in[i].numel != 1)
            return ox_kfail(k, "needs three scalars");
    const ox_view *s = &k->in[0], *l = &k->in[1], *d = &k->in[2];
    if (y->dtype == OX_FLOAT) {
        float start = (float)ox_ew_get_f(s->data, s->dtype, 0);
        float delta = (float)ox_ew_get_f(d->data, d->dtype, 0);
        float limit = (float)ox_ew_get_f(l->data, l->dtype, 0);
        double count = delta != 0 ? ceil(((double)limit - start) / delta) : -1;
        if (!(count < 9e18) || y->numel != (count > 0 ? (int64_t)count : 0))
            return ox_kfail(k, "start, limit and delta do not give the output's count");
        for (int64_t i = 0; i < y->numel; i++)
            ((float *)y->data)[i] = start + (float)i * delta;
        return 0;
    }
    int64_t start = ox_ew_get_i(s->data, s->dtype, 0), delta = ox_ew_get_i(d->data, d->dtype, 0);
    int64_t limit = ox_ew_get_i(l->data, l->dtype, 0);
    double count = delta != 0 ? ceil(((double)limit - (double)start) / (double)delta) : -1;
    if (!(count < 9e18) || y->numel != (count > 0 ? (int64_t)count : 0))
        return ox_kfail(k, "start, limit and delta do not give the output's count");
    for (int64_t i = 0; i < y->numel; i++)
        ox_ew_set_i(y->data, y->dtype, i,
                    (int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)delta));
    return 0;
}
