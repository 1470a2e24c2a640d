/* CumSum (a running sum along an axis) and Trilu (the upper or lower
 * triangle of the last two dimensions, the rest zeroed). */
#include "onnx/kern_ew.h"

static int64_t prod(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

/* One line of `dim` elements `inner` apart, summed in place into y from x,
 * forwards or backwards, including the element itself or not. */
static void cumsum_line(const ox_view *x, const ox_view *y, int64_t base, int64_t dim,
                        int64_t inner, int exclusive, int reverse)
{
    double fsum = 0;
    int64_t isum = 0;
    for (int64_t s = 0; s < dim; s++) {
        int64_t at = base + (reverse ? dim - 1 - s : s) * inner;
        if (y->dtype == OX_FLOAT) {
            float v = ((const float *)x->data)[at];
            ((float *)y->data)[at] = (float)(exclusive ? fsum : fsum + v);
            fsum += v;
        } else {
            int64_t v = ox_ew_get_i(x->data, x->dtype, at);
            ox_ew_set_i(y->data, y->dtype, at,
                        exclusive ? isum : (int64_t)((uint64_t)isum + (uint64_t)v));
            isum = (int64_t)((uint64_t)isum + (uint64_t)v);
        }
    }
}

int ox_ew_cumsum(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    if (k->n->n_in < 2 || !x->data || !k->in[1].data || k->in[1].numel < 1 ||
        x->dtype != y->dtype || !ox_ew_esize(x->dtype) || x->numel != y->numel)
        return ox_kfail(k, "needs the input and an axis");
    int axis = ox_ew_axis(ox_ew_get_i(k->in[1].data, k->in[1].dtype, 0), x->rank);
    if (axis < 0)
        return ox_kfail(k, "axis out of range");
    int exclusive = (int)ox_attr_int(k->n, "exclusive", 0);
    int reverse = (int)ox_attr_int(k->n, "reverse", 0);
    int64_t dim = x->dims[axis], inner = prod(x->dims, axis + 1, x->rank);
    int64_t outer = prod(x->dims, 0, axis);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++)
            cumsum_line(x, y, o * dim * inner + i, dim, inner, exclusive, reverse);
    return 0;
}

/* Trilu: keeps element (i, j) when j - i >= k (upper) or <= k (lower). */
int ox_ew_trilu(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int es = ox_ew_esize(x->dtype);
    if (!x->data || x->rank < 2 || !es || ox_ew_esize(y->dtype) != es || y->numel != x->numel)
        return ox_kfail(k, "needs an input of rank 2 or more");
    int64_t kk = k->n->n_in > 1 && k->in[1].data && k->in[1].numel > 0
                     ? ox_ew_get_i(k->in[1].data, k->in[1].dtype, 0) : 0;
    int upper = (int)ox_attr_int(k->n, "upper", 1);
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    int64_t mats = prod(x->dims, 0, x->rank - 2);
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                int64_t at = (m * rows + i) * cols + j;
                int keep = upper ? j - i >= kk : j - i <= kk;
                if (keep && x->data != y->data)
                    memcpy((char *)y->data + at * es, (const char *)x->data + at * es,
                           (size_t)es);
                else if (!keep)
                    memset((char *)y->data + at * es, 0, (size_t)es);
            }
    return 0;
}
