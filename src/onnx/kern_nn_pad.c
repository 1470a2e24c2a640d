/* Pad: modes constant, reflect, edge and wrap; pads (negative ones crop)
 * and the constant from attributes before opset 11, from inputs after
 * (with the optional axes input of opset 18). Any element type: values
 * are copied as bytes. Each output row (all axes but the last) maps to
 * one input row or to the constant; inside a row the middle is one
 * memcpy and only the borders are mapped one by one. */
#include "onnx/kern_nn_impl.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct {
    int mode, rank;
    const int64_t *in, *out;
    int64_t pb[OX_MAX_RANK];
    size_t es;
    const char *x;
    char *y;
    char cval[16];
} pad_args;

/* Input index of output index o on an axis of n values, -1 for the
 * constant. */
static int64_t pad_map(const pad_args *a, int64_t o, int64_t n, int64_t pb)
{
    int64_t s = o - pb;
    if (s >= 0 && s < n)
        return s;
    if (a->mode == PAD_CONSTANT || n == 0)
        return -1;
    if (a->mode == PAD_EDGE)
        return s < 0 ? 0 : n - 1;
    if (a->mode == PAD_WRAP)
        return (s % n + n) % n;
    if (n == 1)
        return 0;
    int64_t period = 2 * (n - 1);
    s = (s % period + period) % period;
    return s >= n ? period - s : s;
}

static void pad_const_from(pad_args *a, int32_t dtype, double v)
{
    switch (dtype) {
    case OX_FLOAT: *(float *)a->cval = (float)v; break;
    case OX_INT64: *(int64_t *)a->cval = (int64_t)v; break;
    case OX_INT32: *(int32_t *)a->cval = (int32_t)v; break;
    case OX_UINT8:
    case OX_BOOL: *(uint8_t *)a->cval = (uint8_t)v; break;
    case OX_INT8: *(int8_t *)a->cval = (int8_t)v; break;
    default: break; /* zero bytes */
    }
}

/* Pads (begin/end per axis) from the attribute or the pads/axes inputs. */
static int pad_lists(const ox_kcall *k, int rank, int64_t *pads)
{
    if (k->n->opset < 11) {
        if (ox_attr_ints(k->n, "pads", pads, 2 * OX_MAX_RANK) != 2 * rank)
            return ox_kfail(k, "pads must have %d values", 2 * rank);
        return 0;
    }
    const ox_view *p = k->n->n_in > 1 ? &k->in[1] : NULL;
    const ox_view *ax = k->n->n_in > 3 && k->in[3].data ? &k->in[3] : NULL;
    if (!p || !p->data || p->dtype != OX_INT64)
        return ox_kfail(k, "pads input must be int64");
    int64_t n_ax = ax ? ax->numel : rank;
    if (p->numel != 2 * n_ax || n_ax > rank ||
        (ax && ax->dtype != OX_INT64 && ax->dtype != OX_INT32))
        return ox_kfail(k, "pads has %lld values for %lld axes", (long long)p->numel,
                        (long long)n_ax);
    memset(pads, 0, 2 * (size_t)rank * sizeof *pads);
    for (int64_t i = 0; i < n_ax; i++) {
        int64_t axis = !ax                     ? i
                       : ax->dtype == OX_INT64 ? ((const int64_t *)ax->data)[i]
                                               : ((const int32_t *)ax->data)[i];
        axis = axis < 0 ? axis + rank : axis;
        if (axis < 0 || axis >= rank)
            return ox_kfail(k, "axis %lld out of range", (long long)axis);
        pads[axis] = ((const int64_t *)p->data)[i];
        pads[rank + axis] = ((const int64_t *)p->data)[n_ax + i];
    }
    return 0;
}

static int pad_constant(const ox_kcall *k, pad_args *a, int32_t dtype)
{
    memset(a->cval, 0, sizeof a->cval);
    if (k->n->opset < 11) {
        pad_const_from(a, dtype, ox_attr_float(k->n, "value", 0.0));
        return 0;
    }
    const ox_view *c = k->n->n_in > 2 && k->in[2].data ? &k->in[2] : NULL;
    if (!c || c->numel == 0)
        return 0;
    if (c->dtype != dtype)
        return ox_kfail(k, "constant_value's type differs from the data's");
    memcpy(a->cval, c->data, a->es);
    return 0;
}

static int pad_prepare(const ox_kcall *k, pad_args *a)
{
    static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
    const ox_view *x = &k->in[0], *y = k->n->n_out > 0 ? &k->out[0] : NULL;
    const char *mode = ox_attr_str(k->n, "mode", "constant");
    a->mode = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(mode, modes[i]) == 0)
            a->mode = i;
    if (a->mode < 0)
        return ox_kfail(k, "unknown mode '%s'", mode);
    a->es = (size_t)ox_dtype_size(x->dtype);
    if (!x->data || !y || !y->data || y->dtype != x->dtype || y->rank != x->rank || a->es == 0 ||
        a->es > sizeof a->cval || x->rank < 1)
        return ox_kfail(k, "input and output must be of the same type and rank");
    int64_t pads[2 * OX_MAX_RANK];
    if (pad_lists(k, x->rank, pads) || pad_constant(k, a, x->dtype))
        return -1;
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] + pads[i] + pads[x->rank + i] != y->dims[i])
            return ox_kfail(k, "output dim %d is %lld, the pads give %lld", i,
                            (long long)y->dims[i],
                            (long long)(x->dims[i] + pads[i] + pads[x->rank + i]));
        if (x->dims[i] == 0 && y->dims[i] > 0 && a->mode != PAD_CONSTANT)
            return ox_kfail(k, "cannot pad an empty axis in mode '%s'", mode);
        a->pb[i] = pads[i];
    }
    a->rank = x->rank;
    a->in = x->dims;
    a->out = y->dims;
    a->x = x->data;
    a->y = y->data;
    return 0;
}

static void pad_fill(const pad_args *a, char *y, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        memcpy(y + (size_t)i * a->es, a->cval, a->es);
}

/* One output row from input row xr (NULL: the constant). */
static void pad_row(const pad_args *a, const char *xr, char *y)
{
    int last = a->rank - 1;
    int64_t n = a->in[last], on = a->out[last], pb = a->pb[last];
    if (!xr) {
        pad_fill(a, y, on);
        return;
    }
    int64_t m0 = JF__MIN(JF__MAX(pb, 0), on), m1 = JF__MIN(JF__MAX(pb + n, m0), on);
    memcpy(y + (size_t)m0 * a->es, xr + (size_t)(m0 - pb) * a->es, (size_t)(m1 - m0) * a->es);
    for (int64_t o = 0; o < on; o++) {
        if (o == m0)
            o = m1;
        if (o >= on)
            break;
        int64_t s = pad_map(a, o, n, pb);
        memcpy(y + (size_t)o * a->es, s < 0 ? a->cval : xr + (size_t)s * a->es, a->es);
    }
}

int ox_nn_pad_run(const ox_kcall *k)
{
    pad_args a = {0};
    if (k->n->n_in < 1 || pad_prepare(k, &a))
        return -1;
    int64_t rows = 1;
    for (int i = 0; i + 1 < a.rank; i++)
        rows *= a.out[i];
    int last = a.rank - 1;
    for (int64_t r = 0; r < rows; r++) {
        int64_t rem = r, off = 0, mult = 1;
        int constant = 0;
        for (int i = last - 1; i >= 0; i--) {
            int64_t s = pad_map(&a, rem % a.out[i], a.in[i], a.pb[i]);
            rem /= a.out[i];
            constant |= s < 0;
            off += (s < 0 ? 0 : s) * mult;
            mult *= a.in[i];
        }
        const char *xr = constant ? NULL : a.x + (size_t)(off * a.in[last]) * a.es;
        pad_row(&a, xr, a.y + (size_t)(r * a.out[last]) * a.es);
    }
    return 0;
}
