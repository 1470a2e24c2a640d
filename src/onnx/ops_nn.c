/* Neural-network operators: convolutions, matrix products, recurrent
 * layers, pooling, normalization, Softmax, quantization, Resize and Pad.
 * The formulas for flops and multiply-accumulates (macs) are written at
 * each rule; a multiply-accumulate counts as 2 flops.
 */
#include <math.h>

#include "onnx/ops.h"

/* ---- convolution and pooling geometry ---------------------------------------- */
typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } auto_pad;

typedef struct {
    int spatial;                           /* number of spatial dimensions */
    int64_t kernel[OX_MAX_RANK], strides[OX_MAX_RANK], dilations[OX_MAX_RANK];
    int64_t pads[2 * OX_MAX_RANK];         /* begins, then ends */
    auto_pad pad;
    int ceil_mode;
} window;

static int read_auto_pad(ox_ctx *c, const ox_node *n, auto_pad *out)
{
    static const char *const names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    const char *s = ox_attr_str(n, "auto_pad", "NOTSET");
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0 || (i == 0 && !*s)) {
            *out = (auto_pad)i;
            return 0;
        }
    return ox_fail(c, n, "unknown auto_pad '%s'", s);
}

/* One window list: `count` values between lo and hi, or def. */
static int window_list(ox_ctx *c, const ox_node *n, const char *name, int64_t *out,
                       int count, int64_t def, int64_t lo, int64_t hi)
{
    int got = ox_attr_ints(n, name, out, count);
    if (got >= 0 && (int)ox_attr(n, name)->n_ints != count)
        return ox_fail(c, n, "%s has %zu values, %d expected", name, ox_attr(n, name)->n_ints,
                       count);
    for (int i = 0; i < count; i++) {
        if (got < 0)
            out[i] = def;
        if (out[i] < lo || out[i] > hi)
            return ox_fail(c, n, "%s[%d] = %lld is out of range", name, i, (long long)out[i]);
    }
    return 0;
}

/* kernel_shape (from the weights when kern is not NULL), strides,
 * dilations, pads, auto_pad and ceil_mode. */
static int window_read(ox_ctx *c, const ox_node *n, int spatial, const int64_t *kern,
                       window *w)
{
    w->spatial = spatial;
    w->ceil_mode = (int)ox_attr_int(n, "ceil_mode", 0);
    if (kern) {
        memcpy(w->kernel, kern, (size_t)spatial * sizeof *kern);
        int64_t given[OX_MAX_RANK];
        int count = ox_attr_ints(n, "kernel_shape", given, OX_MAX_RANK);
        for (int i = 0; i < count; i++)
            if (count != spatial || given[i] != kern[i])
                return ox_fail(c, n, "kernel_shape does not match the weights' shape");
    } else if (!ox_attr(n, "kernel_shape")) {
        return ox_fail(c, n, "no kernel_shape");
    }
    if ((!kern && window_list(c, n, "kernel_shape", w->kernel, spatial, 1, 1, OPS_DIM_MAX)) ||
        window_list(c, n, "strides", w->strides, spatial, 1, 1, OPS_ATTR_MAX) ||
        window_list(c, n, "dilations", w->dilations, spatial, 1, 1, OPS_ATTR_MAX) ||
        window_list(c, n, "pads", w->pads, 2 * spatial, 0, 0, OPS_DIM_MAX))
        return -1;
    return read_auto_pad(c, n, &w->pad);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* Output size of a sliding window along spatial axis i (Conv, pools):
 * NOTSET: floor((in + pads - dilated kernel) / stride) + 1 (ceil with
 * ceil_mode, dropping a last window that starts in the end padding, as
 * ONNX Runtime and PyTorch do); VALID: no padding; SAME_*: ceil(in / stride). */
static int window_out(ox_ctx *c, const ox_node *n, const window *w, int i, int64_t in,
                      int64_t *out)
{
    int64_t k = (w->kernel[i] - 1) * w->dilations[i] + 1, s = w->strides[i];
    if (w->pad == PAD_SAME_UPPER || w->pad == PAD_SAME_LOWER) {
        *out = ceil_div(in, s);
        return 0;
    }
    int64_t begin = w->pad == PAD_VALID ? 0 : w->pads[i];
    int64_t span = in + begin + (w->pad == PAD_VALID ? 0 : w->pads[i + w->spatial]) - k;
    if (span < 0)
        return ox_fail(c, n, "kernel %lld is larger than the padded input %lld along axis %d",
                       (long long)k, (long long)(span + k), i + 2);
    *out = (w->ceil_mode ? ceil_div(span, s) : span / s) + 1;
    if (w->ceil_mode && (*out - 1) * s >= in + begin)
        (*out)--;
    return 0;
}

/* Output shape [N, channels, spatial outputs...] of a forward window. */
static int window_shape(ox_ctx *c, const ox_node *n, const ox_tensor *x, const window *w,
                        int64_t channels, int64_t *dims)
{
    dims[0] = x->dims[0];
    dims[1] = channels;
    for (int i = 0; i < w->spatial; i++)
        if (window_out(c, n, w, i, x->dims[i + 2], &dims[i + 2]))
            return -1;
    return 0;
}

/* ---- Conv, ConvInteger, ConvTranspose -------------------------------------------- */
static int conv_inputs(ox_ctx *c, const ox_node *n, const ox_tensor *x, const ox_tensor *w)
{
    if (x->rank < 3 || w->rank != x->rank)
        return ox_fail(c, n, "input '%s' (rank %d) and weights '%s' (rank %d) need the same "
                       "rank, at least 3", x->name, x->rank, w->name, w->rank);
    return 0;
}

/* Where a product operator keeps its operands and what type it makes. */
typedef struct {
    const char *op;
    int x, w, bias;  /* input indices, -1 for none */
    int type_of;     /* the input whose type the output takes; -1: int32 */
} product_kind;

static const product_kind product_kinds[] = {
    {"Conv", 0, 1, 2, 0}, {"ConvInteger", 0, 1, -1, -1},
    {"QLinearConv", 0, 3, 8, 7}, /* y_zero_point's type (uint8 without) */
    {"MatMul", 0, 1, -1, 0}, {"MatMulInteger", 0, 1, -1, -1}, {"QLinearMatMul", 0, 3, -1, 7},
    {NULL, 0, 0, 0, 0},
};

static const product_kind *product_kind_of(ox_ctx *c, const ox_node *n, int32_t *dtype)
{
    const product_kind *k = product_kinds;
    while (k->op && strcmp(k->op, n->op))
        k++;
    const ox_tensor *t = k->type_of >= 0 ? ox_in(c, n, k->type_of) : NULL;
    *dtype = k->type_of < 0 ? OX_INT32 : t ? t->dtype : k->type_of ? OX_UINT8 : OX_UNDEFINED;
    return k;
}

/* Conv: X [N, C, D...], W [M, C/group, K...], optional B [M].
 * macs = N * M * prod(out spatial) * (C / group) * prod(K); the bias adds
 * N * M * prod(out spatial) flops. ConvInteger and QLinearConv: the same
 * (their zero points and scales aside). */
static int conv(ox_ctx *c, ox_node *n)
{
    int32_t dtype;
    const product_kind *kind = product_kind_of(c, n, &dtype);
    const ox_tensor *x = ox_in(c, n, kind->x), *w = ox_in(c, n, kind->w);
    const ox_tensor *b = ox_in(c, n, kind->bias);
    int64_t group = ox_attr_int(n, "group", 1), dims[OX_MAX_RANK];
    window win;
    if (!ox_known(x) || !ox_known(w))
        return ops_unknown(c, n, 0, dtype);
    if (conv_inputs(c, n, x, w))
        return -1;
    if (group < 1 || group > OPS_ATTR_MAX || x->dims[1] != w->dims[1] * group ||
        w->dims[0] % group)
        return ox_fail(c, n, "channel mismatch: input '%s' has %lld channels, weights '%s' "
                       "expect %lld x group %lld (and %lld outputs divisible by it)", x->name,
                       (long long)x->dims[1], w->name, (long long)w->dims[1],
                       (long long)group, (long long)w->dims[0]);
    if (ox_known(b) && ox_numel(b) != w->dims[0])
        return ox_fail(c, n, "bias '%s' has %lld values for %lld outputs", b->name,
                       (long long)ox_numel(b), (long long)w->dims[0]);
    if (window_read(c, n, x->rank - 2, w->dims + 2, &win) ||
        window_shape(c, n, x, &win, w->dims[0], dims))
        return -1;
    double outputs = (double)ops_prod(dims, 0, x->rank);
    n->macs = outputs * (double)ops_prod(w->dims, 1, w->rank);
    n->flops = 2 * n->macs + (b ? outputs : 0);
    return ops_set(c, n, 0, dtype, x->rank, dims);
}

/* ConvTranspose spatial output: output_shape when given (its last
 * `spatial` values), else stride * (in - 1) + output_padding + dilated
 * kernel - pads, with SAME_* giving in * stride and VALID no pads. */
static int conv_transpose_out(ox_ctx *c, const ox_node *n, const ox_tensor *x,
                              const window *w, int64_t *dims)
{
    int64_t shape[OX_MAX_RANK], outpad[OX_MAX_RANK];
    int given = ox_attr_ints(n, "output_shape", shape, OX_MAX_RANK);
    if (window_list(c, n, "output_padding", outpad, w->spatial, 0, 0, OPS_ATTR_MAX))
        return -1;
    if (given >= 0 && given < w->spatial)
        return ox_fail(c, n, "output_shape has %d values for %d spatial axes", given,
                       w->spatial);
    for (int i = 0; i < w->spatial; i++) {
        int64_t in = x->dims[i + 2], s = w->strides[i];
        int64_t k = (w->kernel[i] - 1) * w->dilations[i] + 1;
        int64_t pads = w->pad == PAD_NOTSET ? w->pads[i] + w->pads[i + w->spatial] : 0;
        if (given >= 0)
            dims[i + 2] = shape[given - w->spatial + i];
        else if (w->pad == PAD_SAME_UPPER || w->pad == PAD_SAME_LOWER)
            dims[i + 2] = in * s;
        else
            dims[i + 2] = s * (in - 1) + outpad[i] + k - pads;
        if (dims[i + 2] < 0)
            return ox_fail(c, n, "negative output size along axis %d", i + 2);
    }
    return 0;
}

/* ConvTranspose: X [N, C, D...], W [C, M/group, K...]; output channels
 * M = W[1] * group. Each input element is spread over the kernel:
 * macs = N * C * prod(in spatial) * (M / group) * prod(K); the bias adds
 * N * M * prod(out spatial) flops. */
static int conv_transpose(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0), *w = ox_in(c, n, 1), *b = ox_in(c, n, 2);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t group = ox_attr_int(n, "group", 1), dims[OX_MAX_RANK];
    window win;
    if (!ox_known(x) || !ox_known(w))
        return ops_unknown(c, n, 0, dtype);
    if (conv_inputs(c, n, x, w))
        return -1;
    if (group < 1 || group > OPS_ATTR_MAX || x->dims[1] != w->dims[0] || x->dims[1] % group)
        return ox_fail(c, n, "channel mismatch: input '%s' has %lld channels, weights '%s' "
                       "%lld (group %lld)", x->name, (long long)x->dims[1], w->name,
                       (long long)w->dims[0], (long long)group);
    dims[0] = x->dims[0];
    dims[1] = w->dims[1] * group;
    if (ox_known(b) && ox_numel(b) != dims[1])
        return ox_fail(c, n, "bias '%s' has %lld values for %lld outputs", b->name,
                       (long long)ox_numel(b), (long long)dims[1]);
    if (window_read(c, n, x->rank - 2, w->dims + 2, &win) ||
        conv_transpose_out(c, n, x, &win, dims))
        return -1;
    n->macs = (double)ops_prod(x->dims, 0, x->rank) * (double)ops_prod(w->dims, 1, w->rank);
    n->flops = 2 * n->macs + (b ? (double)ops_prod(dims, 0, x->rank) : 0);
    return ops_set(c, n, 0, dtype, x->rank, dims);
}

/* ---- pooling -------------------------------------------------------------------- */
/* MaxPool, AveragePool, LpPool: flops = output elements * kernel size (one
 * comparison or addition per window element). MaxPool's optional second
 * output holds int64 indices. */
static int pool(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK];
    window win;
    if (!ox_known(x))
        return ops_unknown(c, n, 0, dtype), ops_unknown(c, n, 1, OX_INT64);
    if (x->rank < 3)
        return ox_fail(c, n, "input '%s' has rank %d, at least 3 needed", x->name, x->rank);
    if (window_read(c, n, x->rank - 2, NULL, &win) ||
        window_shape(c, n, x, &win, x->dims[1], dims))
        return -1;
    n->flops = (double)ops_prod(dims, 0, x->rank) * (double)ops_prod(win.kernel, 0, win.spatial);
    if (ops_set(c, n, 0, dtype, x->rank, dims))
        return -1;
    return ops_set(c, n, 1, OX_INT64, x->rank, dims);
}

/* GlobalAveragePool, GlobalMaxPool, GlobalLpPool: [N, C, 1, ...];
 * flops = input elements. */
static int global_pool(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t dims[OX_MAX_RANK];
    if (!ox_known(x))
        return ops_unknown(c, n, 0, x ? x->dtype : OX_UNDEFINED);
    if (x->rank < 2)
        return ox_fail(c, n, "input '%s' has rank %d, at least 2 needed", x->name, x->rank);
    for (int d = 0; d < x->rank; d++)
        dims[d] = d < 2 ? x->dims[d] : 1;
    n->flops = (double)ox_numel(x);
    return ops_set(c, n, 0, x->dtype, x->rank, dims);
}

/* ---- matrix products ------------------------------------------------------------ */
/* Numpy broadcast of two batch shapes; -1 when they do not broadcast. */
static int batch_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int64_t *out)
{
    int rank = JF__MAX(ra, rb);
    for (int d = 0; d < rank; d++) {
        int64_t x = d - (rank - ra) >= 0 ? a[d - (rank - ra)] : 1;
        int64_t y = d - (rank - rb) >= 0 ? b[d - (rank - rb)] : 1;
        if (x != y && x != 1 && y != 1)
            return -1;
        out[d] = x == 1 ? y : x;
    }
    return rank;
}

/* MatMul (numpy matmul): a 1-D A is [1, K] and a 1-D B is [K, 1], with
 * that dimension dropped from the result; batch dimensions broadcast.
 * macs = prod(batch) * M * K * N. MatMulInteger, QLinearMatMul: the same. */
static int matmul(ox_ctx *c, ox_node *n)
{
    int32_t dtype;
    const product_kind *kind = product_kind_of(c, n, &dtype);
    const ox_tensor *a = ox_in(c, n, kind->x), *b = ox_in(c, n, kind->w);
    int64_t dims[OX_MAX_RANK];
    if (!ox_known(a) || !ox_known(b))
        return ops_unknown(c, n, 0, dtype);
    if (a->rank < 1 || b->rank < 1)
        return ox_fail(c, n, "scalar inputs");
    int64_t m = a->rank > 1 ? a->dims[a->rank - 2] : 1, k = a->dims[a->rank - 1];
    int64_t k2 = b->rank > 1 ? b->dims[b->rank - 2] : b->dims[0], cols = b->dims[b->rank - 1];
    if (b->rank == 1)
        cols = 1;
    if (k != k2)
        return ox_fail(c, n, "inner dimensions differ: '%s' has %lld, '%s' has %lld", a->name,
                       (long long)k, b->name, (long long)k2);
    int rank = batch_broadcast(JF__MAX(a->rank - 2, 0), a->dims, JF__MAX(b->rank - 2, 0),
                               b->dims, dims);
    if (rank < 0)
        return ox_fail(c, n, "batch dimensions of '%s' and '%s' do not broadcast", a->name,
                       b->name);
    n->macs = (double)ops_prod(dims, 0, rank) * (double)m * (double)k * (double)cols;
    n->flops = 2 * n->macs;
    if (a->rank > 1)
        dims[rank++] = m;
    if (b->rank > 1)
        dims[rank++] = cols;
    return ops_set(c, n, 0, dtype, rank, dims);
}

/* Gemm: Y = alpha * A' * B' + beta * C with A' [M, K], B' [K, N] (transA,
 * transB), C broadcast to [M, N]. macs = M * K * N; flops add M * N for
 * C, M * N for alpha != 1 and M * N for beta != 1 (with C). */
static int gemm(ox_ctx *c, ox_node *n)
{
    const ox_tensor *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *cc = ox_in(c, n, 2);
    int32_t dtype = a ? a->dtype : OX_UNDEFINED;
    if (!ox_known(a) || !ox_known(b))
        return ops_unknown(c, n, 0, dtype);
    if (a->rank != 2 || b->rank != 2)
        return ox_fail(c, n, "A and B need rank 2 (have %d and %d)", a->rank, b->rank);
    int ta = ox_attr_int(n, "transA", 0) != 0, tb = ox_attr_int(n, "transB", 0) != 0;
    int64_t dims[2] = {a->dims[ta ? 1 : 0], b->dims[tb ? 0 : 1]}, bc[2];
    int64_t k = a->dims[ta ? 0 : 1], k2 = b->dims[tb ? 1 : 0];
    if (k != k2)
        return ox_fail(c, n, "inner dimensions differ: A' has %lld, B' has %lld",
                       (long long)k, (long long)k2);
    if (ox_known(cc) && (cc->rank > 2 || batch_broadcast(cc->rank, cc->dims, 2, dims, bc) < 0 ||
                         bc[0] != dims[0] || bc[1] != dims[1]))
        return ox_fail(c, n, "C '%s' does not broadcast to [%lld, %lld]", cc->name,
                       (long long)dims[0], (long long)dims[1]);
    double mn = (double)dims[0] * (double)dims[1];
    n->macs = mn * (double)k;
    n->flops = 2 * n->macs + (cc ? mn : 0) + (ox_attr_float(n, "alpha", 1) != 1 ? mn : 0) +
               (cc && ox_attr_float(n, "beta", 1) != 1 ? mn : 0);
    return ops_set(c, n, 0, dtype, 2, dims);
}

/* ---- Einsum ------------------------------------------------------------------------ */
/* What an Einsum equation says about the shapes: a size per letter, the
 * broadcast dimensions "..." stands for, and the output's letters. */
typedef struct {
    int64_t size[128];          /* per letter, -1 unseen */
    int count[128];             /* how many terms use it */
    int64_t ell[OX_MAX_RANK];   /* the ellipsis' dimensions */
    int n_ell;
} einsum_dims;

/* Binds one input term (letters and at most one "...") to t's shape. */
static int einsum_term(ox_ctx *c, const ox_node *n, const char *term, size_t len,
                       const ox_tensor *t, einsum_dims *e)
{
    int letters = 0, d = 0, dots = 0;
    for (size_t i = 0; i < len; i++)
        letters += term[i] != '.', dots += term[i] == '.';
    const char *ell = dots ? strstr(term, "...") : NULL;
    int n_ell = t->rank - letters;
    int bad_dots = dots && (dots != 3 || !ell || ell >= term + len);
    if (n_ell < 0 || (n_ell > 0 && !dots) || bad_dots)
        return ox_fail(c, n, "term '%.*s' does not fit '%s' of rank %d", (int)len, term,
                       t->name, t->rank);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)term[i];
        if (ch == '.') {
            for (int k = 0; k < n_ell; k++, d++) { /* broadcast, right-aligned */
                int64_t *slot = &e->ell[OX_MAX_RANK - n_ell + k];
                if (*slot != t->dims[d] && *slot != 1 && t->dims[d] != 1)
                    return ox_fail(c, n, "'...' dimensions do not broadcast");
                *slot = *slot == 1 ? t->dims[d] : *slot;
            }
            e->n_ell = JF__MAX(e->n_ell, n_ell);
            i += 2;
            continue;
        }
        if (ch >= 128 || !((ch | 32) >= 'a' && (ch | 32) <= 'z'))
            return ox_fail(c, n, "bad character '%c' in the equation", ch);
        if (e->size[ch] >= 0 && e->size[ch] != t->dims[d])
            return ox_fail(c, n, "index '%c' is %lld and %lld", ch, (long long)e->size[ch],
                           (long long)t->dims[d]);
        e->size[ch] = t->dims[d++];
        e->count[ch]++;
    }
    return 0;
}

/* The output shape: the explicit letters after "->", else "..." and the
 * letters used once, in alphabetical order. */
static int einsum_output(ox_ctx *c, const ox_node *n, const char *rhs, size_t len,
                         const einsum_dims *e, int64_t *dims)
{
    int rank = 0;
    for (size_t i = 0; rhs && i < len; i++) {
        unsigned char ch = (unsigned char)rhs[i];
        if (ch == '.') {
            for (int k = 0; k < e->n_ell && rank < OX_MAX_RANK; k++)
                dims[rank++] = e->ell[OX_MAX_RANK - e->n_ell + k];
            i += 2;
        } else if (ch < 128 && e->size[ch] >= 0 && rank < OX_MAX_RANK) {
            dims[rank++] = e->size[ch];
        } else {
            return ox_fail(c, n, "output index '%c' is on no input or one too many", ch);
        }
    }
    for (int k = 0; !rhs && k < e->n_ell; k++)
        dims[rank++] = e->ell[OX_MAX_RANK - e->n_ell + k];
    for (int ch = 'A'; !rhs && ch <= 'z'; ch++)
        if (e->count[ch] == 1 && rank++ < OX_MAX_RANK)
            dims[rank - 1] = e->size[ch];
    return rank <= OX_MAX_RANK ? rank : ox_fail(c, n, "output rank %d is too large", rank);
}

/* Binds the equation's input terms to the inputs; *rhs is the output's
 * letters after "->", NULL when implicit. Spaces are allowed anywhere. */
static int einsum_bind(ox_ctx *c, const ox_node *n, char *eq, size_t size, einsum_dims *e,
                       const char **rhs)
{
    const Onnx__AttributeProto *a = ox_attr(n, "equation");
    size_t len = 0;
    if (!a || !a->has_s)
        return ox_fail(c, n, "no equation");
    for (size_t i = 0; i < a->s.len && len < size - 1; i++)
        if (a->s.data[i] != ' ')
            eq[len++] = (char)a->s.data[i];
    eq[len] = '\0';
    const char *arrow = strstr(eq, "->"), *term = eq, *end = arrow ? arrow : eq + len;
    int k = 0;
    for (; k < n->n_in && term <= end; k++) {
        const char *comma = memchr(term, ',', (size_t)(end - term));
        const char *stop = comma ? comma : end;
        if (einsum_term(c, n, term, (size_t)(stop - term), ox_in(c, n, k), e))
            return -1;
        term = stop + 1;
    }
    if (k != n->n_in || term <= end)
        return ox_fail(c, n, "the equation has not %d terms", n->n_in);
    *rhs = arrow ? arrow + 2 : NULL;
    return 0;
}

/* Einsum: with two or more operands one multiply-accumulate per point of
 * the whole index space (every letter's size and the "..." dimensions);
 * with one (a transpose, trace or sum) one addition per input element. */
static int einsum(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t dims[OX_MAX_RANK];
    einsum_dims e = {.n_ell = 0};
    char eq[256];
    const char *rhs = NULL;
    for (int i = 0; i < 128; i++)
        e.size[i] = -1;
    for (int i = 0; i < OX_MAX_RANK; i++)
        e.ell[i] = 1;
    for (int i = 0; i < n->n_in; i++)
        if (!ox_known(ox_in(c, n, i)))
            return ops_unknown(c, n, 0, dtype);
    if (einsum_bind(c, n, eq, sizeof eq, &e, &rhs))
        return -1;
    int rank = einsum_output(c, n, rhs, rhs ? strlen(rhs) : 0, &e, dims);
    if (rank < 0 || ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    double space = (double)ops_prod(e.ell, OX_MAX_RANK - e.n_ell, OX_MAX_RANK);
    for (int ch = 'A'; ch <= 'z'; ch++)
        space *= e.size[ch] >= 0 ? (double)e.size[ch] : 1;
    n->macs = n->n_in >= 2 ? space : 0;
    n->flops = n->n_in >= 2 ? 2 * space : (double)ox_numel(x);
    return 0;
}

/* ---- recurrent layers ------------------------------------------------------------ */
typedef struct {
    const char *op;
    int gates;          /* weight blocks per direction */
    double step_flops;  /* element-wise flops per hidden unit and step */
    double bias_flops;  /* more when B is given */
} recurrent_kind;

/* LSTM: 4 adds of the input and recurrent products, 3 sigmoids and 2 tanh
 * at 4 flops, c = f*c + i*g (3), h = o*tanh(c) (1): 28; bias: 8 adds.
 * GRU: 3 adds, r times the recurrent part (1), 2 sigmoids and a tanh (12),
 * h = (1-z)*h~ + z*h (4): 20; bias: 6. RNN: an add and a tanh: 5; bias 2. */
static const recurrent_kind recurrent_kinds[] = {
    {"LSTM", 4, 28, 8}, {"GRU", 3, 20, 6}, {"RNN", 1, 5, 2},
};

static int recurrent_directions(ox_ctx *c, const ox_node *n, int64_t *out)
{
    const char *dir = ox_attr_str(n, "direction", "forward");
    if (strcmp(dir, "forward") && strcmp(dir, "reverse") && strcmp(dir, "bidirectional"))
        return ox_fail(c, n, "unknown direction '%s'", dir);
    *out = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    return 0;
}

/* Outputs: Y [seq, dirs, batch, hidden] (layout 1: [batch, seq, dirs,
 * hidden]), Y_h and (LSTM) Y_c [dirs, batch, hidden] (layout 1: [batch,
 * dirs, hidden]). */
static int recurrent_outputs(ox_ctx *c, const ox_node *n, int layout, int32_t dtype,
                             int64_t seq, int64_t batch, int64_t dirs, int64_t hidden)
{
    int64_t y[4] = {seq, dirs, batch, hidden}, h[3] = {dirs, batch, hidden};
    if (layout) {
        y[0] = batch, y[1] = seq, y[2] = dirs;
        h[0] = batch, h[1] = dirs;
    }
    if (ops_set(c, n, 0, dtype, 4, y) || ops_set(c, n, 1, dtype, 3, h))
        return -1;
    return ops_set(c, n, 2, dtype, 3, h);
}

/* LSTM, GRU, RNN: X [seq, batch, input] ([batch, seq, input] with layout
 * 1, opset 14), W [dirs, gates * hidden, input], R [dirs, gates * hidden,
 * hidden]. Per direction and step: batch * gates * hidden * (input +
 * hidden) macs, plus the element-wise flops of recurrent_kinds. */
static int recurrent(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0), *w = ox_in(c, n, 1);
    const recurrent_kind *kind = &recurrent_kinds[0];
    while (strcmp(kind->op, n->op))
        kind++;
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int layout = n->opset >= 14 && ox_attr_int(n, "layout", 0);
    int64_t dirs = 1;
    if (!ox_known(x) || !ox_known(w))
        return ops_unknown(c, n, 0, dtype), ops_unknown(c, n, 1, dtype),
               ops_unknown(c, n, 2, dtype);
    if (recurrent_directions(c, n, &dirs))
        return -1;
    int64_t hidden = ox_attr_int(n, "hidden_size", w->rank == 3 ? w->dims[1] / kind->gates : 0);
    if (x->rank != 3 || w->rank != 3 || w->dims[0] != dirs || hidden < 1 ||
        hidden > OPS_DIM_MAX || w->dims[1] != kind->gates * hidden || w->dims[2] != x->dims[2])
        return ox_fail(c, n, "X '%s' [seq, batch, input] and W '%s' [%lld, %d x hidden, "
                       "input] do not fit", x->name, w->name, (long long)dirs, kind->gates);
    int64_t seq = x->dims[layout], batch = x->dims[1 - layout], input = x->dims[2];
    double steps = (double)dirs * (double)seq * (double)batch;
    double unit = kind->step_flops + (ox_in(c, n, 3) ? kind->bias_flops : 0) +
                  (kind->gates == 4 && ox_in(c, n, 7) ? 6 : 0); /* LSTM peepholes */
    n->macs = steps * (double)(kind->gates * hidden) * (double)(input + hidden);
    n->flops = 2 * n->macs + steps * (double)hidden * unit;
    return recurrent_outputs(c, n, layout, dtype, seq, batch, dirs, hidden);
}

/* ---- normalization, Softmax, quantization ---------------------------------------- */
/* Flops per element of operators whose output has the input's shape. */
static double per_element_flops(const char *op)
{
    static const struct {
        const char *op;
        double flops;
    } table[] = {
        {"BatchNormalization", 2},    /* inference: scale and shift, folded */
        {"InstanceNormalization", 5}, /* mean, deviation, variance, scale, shift */
        {"LayerNormalization", 5}, {"GroupNormalization", 5},
        {"Softmax", 3}, {"LogSoftmax", 3}, /* exp, sum, divide (subtract) */
        {"Hardmax", 1},
        {"DynamicQuantizeLinear", 4}, /* min and max, scale and round */
        {"QuantizeLinear", 2}, {"DequantizeLinear", 2}, {"LRN", 4},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].op, op) == 0)
            return table[i].flops;
    return 0;
}

/* Y with X's shape and dtype, flops per element from the table. */
static int same_shape(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    if (ops_same(c, n, 0, 0))
        return -1;
    n->flops = ox_known(x) ? per_element_flops(n->op) * (double)ox_numel(x) : 0;
    return 0;
}

/* BatchNormalization: Y like X; the training outputs (running and saved
 * mean and variance) are [C]. */
static int batch_norm(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0), *mean = ox_in(c, n, 3);
    int32_t dtype = mean ? mean->dtype : x ? x->dtype : OX_UNDEFINED;
    if (same_shape(c, n))
        return -1;
    if (ox_known(x) && x->rank < 2)
        return ox_fail(c, n, "input '%s' needs rank 2 or more", x->name);
    for (int o = 1; o < n->n_out; o++)
        if (ox_known(x) ? ops_set(c, n, o, dtype, 1, &x->dims[1]) : ops_unknown(c, n, o, dtype))
            return -1;
    return 0;
}

/* LayerNormalization: Y like X; Mean and InvStdDev keep X's dimensions
 * before axis and are 1 from it. */
static int layer_norm(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t dims[OX_MAX_RANK];
    int32_t stash = (int32_t)ox_attr_int(n, "stash_type", OX_FLOAT);
    int axis;
    if (same_shape(c, n))
        return -1;
    if (!ox_known(x))
        return ops_unknown(c, n, 1, stash), ops_unknown(c, n, 2, stash);
    if (ops_axis(c, n, ox_attr_int(n, "axis", -1), x->rank, &axis))
        return -1;
    for (int d = 0; d < x->rank; d++)
        dims[d] = d < axis ? x->dims[d] : 1;
    if (ops_set(c, n, 1, stash, x->rank, dims))
        return -1;
    return ops_set(c, n, 2, stash, x->rank, dims);
}

/* Softmax, LogSoftmax, Hardmax: the axis (default 1 before opset 13, -1
 * from 13) only has to exist. */
static int softmax(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int axis;
    if (ox_known(x) && x->rank > 0 &&
        ops_axis(c, n, ox_attr_int(n, "axis", n->opset >= 13 ? -1 : 1), x->rank, &axis))
        return -1;
    return same_shape(c, n);
}

/* DynamicQuantizeLinear: y uint8 like x, y_scale float and y_zero_point
 * uint8 scalars. */
static int dynamic_quantize(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    ox_tensor *y = ox_out(c, n, 0);
    if (!x)
        return ox_fail(c, n, "no input");
    if (same_shape(c, n))
        return -1;
    if (y)
        y->dtype = OX_UINT8;
    if (ops_set(c, n, 1, OX_FLOAT, 0, NULL))
        return -1;
    return ops_set(c, n, 2, OX_UINT8, 0, NULL);
}

/* QuantizeLinear: the zero point's type (output_dtype from opset 21, uint8
 * by default); DequantizeLinear: the scale's type. Shape of x. */
static int quantize(ox_ctx *c, ox_node *n)
{
    const ox_tensor *scale = ox_in(c, n, 1), *zero = ox_in(c, n, 2);
    int32_t dtype;
    if (strcmp(n->op, "DequantizeLinear") == 0)
        dtype = scale ? scale->dtype : OX_FLOAT;
    else
        dtype = zero ? zero->dtype : (int32_t)ox_attr_int(n, "output_dtype", 0);
    if (same_shape(c, n))
        return -1;
    if (ox_out(c, n, 0))
        ox_out(c, n, 0)->dtype = dtype ? dtype : OX_UINT8;
    return 0;
}

/* ---- Resize, Upsample ------------------------------------------------------------ */
/* Flops per output element: nearest 1 (a copy); linear 3 per lerp, with
 * 2^d - 1 lerps for d resized axes; cubic 2 per tap, 4^d taps. */
static double resize_flops(const ox_node *n, const ox_tensor *x, const int64_t *dims)
{
    const char *mode = ox_attr_str(n, "mode", "nearest");
    int resized = 0;
    for (int d = 0; d < x->rank; d++)
        resized += dims[d] != x->dims[d];
    double per = strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0
                     ? 3 * (ldexp(1, resized) - 1)
                 : strcmp(mode, "cubic") == 0 ? 2 * ldexp(1, 2 * resized)
                                              : 1;
    return per * (double)ops_prod(dims, 0, x->rank);
}

/* Output sizes from folded `sizes` for the listed axes; with
 * keep_aspect_ratio_policy (opset 18) one scale for all of them,
 * round(scale * in). */
static int resize_from_sizes(ox_ctx *c, const ox_node *n, const ox_tensor *x,
                             const int64_t *sizes, const int64_t *axes, int count,
                             int64_t *dims)
{
    const char *policy = n->opset >= 18 ? ox_attr_str(n, "keep_aspect_ratio_policy", "stretch")
                                        : "stretch";
    int larger = strcmp(policy, "not_larger") == 0, smaller = strcmp(policy, "not_smaller") == 0;
    double scale = larger ? INFINITY : 0;
    for (int i = 0; i < count; i++) {
        if (sizes[i] < 0 || sizes[i] > OPS_DIM_MAX)
            return ox_fail(c, n, "sizes[%d] = %lld is out of range", i, (long long)sizes[i]);
        double r = (double)sizes[i] / (double)JF__MAX(x->dims[axes[i]], 1);
        scale = larger ? fmin(scale, r) : fmax(scale, r);
    }
    for (int i = 0; i < count; i++) {
        double v = larger || smaller ? nearbyint(scale * (double)x->dims[axes[i]])
                                     : (double)sizes[i];
        if (!(v >= 0 && v <= (double)OPS_DIM_MAX))
            return ox_fail(c, n, "output size %g along axis %lld is out of range", v,
                           (long long)axes[i]);
        dims[axes[i]] = (int64_t)v;
    }
    return 0;
}

/* Output sizes floor(in * scale) for the listed axes. The roi of
 * tf_crop_and_resize does not change them, as in ONNX Runtime and onnx's
 * own shape inference (the operator's text says otherwise). */
static int resize_from_scales(ox_ctx *c, const ox_node *n, const ox_tensor *x,
                              const double *scales, const int64_t *axes, int count,
                              int64_t *dims)
{
    for (int i = 0; i < count; i++) {
        double v = floor((double)x->dims[axes[i]] * scales[i]);
        if (!(v >= 0 && v <= (double)OPS_DIM_MAX))
            return ox_fail(c, n, "scales[%d] = %g gives a size out of range", i, scales[i]);
        dims[axes[i]] = (int64_t)v;
    }
    return 0;
}

/* The axes sizes and scales refer to: the axes attribute (opset 18), else
 * all of X's. */
static int resize_axes(ox_ctx *c, const ox_node *n, const ox_tensor *x, int64_t *axes)
{
    int count = n->opset >= 18 ? ox_attr_ints(n, "axes", axes, OX_MAX_RANK) : -1;
    for (int i = 0; i < count; i++) {
        int axis;
        if (ops_axis(c, n, axes[i], x->rank, &axis))
            return -1;
        axes[i] = axis;
    }
    for (int i = 0; count < 0 && i < x->rank; i++)
        axes[i] = i;
    return count < 0 ? x->rank : count;
}

/* Where Resize and Upsample keep scales and sizes: Upsample 7-8 a scales
 * attribute, Upsample 9 and Resize 10 an input 1; Resize 11+ inputs
 * (X, roi, scales, sizes). Sets *scales_in / *sizes_in (-1 for none). */
static void resize_inputs(const ox_node *n, int *scales_in, int *sizes_in)
{
    int upsample = strcmp(n->op, "Upsample") == 0;
    *sizes_in = !upsample && n->opset >= 11 ? 3 : -1;
    *scales_in = upsample && n->opset < 9 ? -1 : !upsample && n->opset >= 11 ? 2 : 1;
}

/* Resize, Upsample: X's shape with resized axes from folded sizes or
 * scales; unknown while neither folded. */
static int resize(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t axes[OX_MAX_RANK], sizes[OX_MAX_RANK], dims[OX_MAX_RANK];
    double scales[OX_MAX_RANK];
    int scales_in, sizes_in, rc;
    if (!ox_known(x))
        return ops_unknown(c, n, 0, dtype);
    int count = resize_axes(c, n, x, axes);
    if (count < 0)
        return -1;
    resize_inputs(n, &scales_in, &sizes_in);
    memcpy(dims, x->dims, sizeof dims);
    int got = sizes_in < 0 ? OPS_ABSENT : ops_ints(c, n, sizes_in, NULL, sizes, OX_MAX_RANK);
    int is_sizes = got != OPS_ABSENT;
    if (!is_sizes)
        got = ops_floats(c, n, scales_in, "scales", scales, OX_MAX_RANK);
    if (got == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, dtype);
    if (got != count)
        return ox_fail(c, n, "%s has %d values for %d axes", is_sizes ? "sizes" : "scales",
                       got, count);
    rc = is_sizes ? resize_from_sizes(c, n, x, sizes, axes, count, dims)
                  : resize_from_scales(c, n, x, scales, axes, count, dims);
    if (rc || ops_set(c, n, 0, dtype, x->rank, dims))
        return -1;
    n->flops = resize_flops(n, x, dims);
    return 0;
}

/* ---- Pad -------------------------------------------------------------------------- */
/* Pad: pads [begins..., ends...] are an attribute before opset 11 ("pads",
 * "paddings" in opset 1), input 1 from 11, for the axes of input 3 (opset
 * 18) or all. Negative pads crop. A copy: 0 flops. */
static int pad(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int64_t pads[2 * OX_MAX_RANK], axes[OX_MAX_RANK], dims[OX_MAX_RANK];
    const char *attr = ox_attr(n, "pads") ? "pads" : "paddings";
    int count = ops_ints(c, n, n->opset >= 11 ? 1 : -1, attr, pads, 2 * OX_MAX_RANK);
    int n_axes = n->opset >= 18 ? ops_ints(c, n, 3, NULL, axes, OX_MAX_RANK) : OPS_ABSENT;
    if (!ox_known(x) || count == OPS_UNKNOWN || n_axes == OPS_UNKNOWN)
        return ops_unknown(c, n, 0, dtype);
    for (int i = 0; n_axes == OPS_ABSENT && i < x->rank; i++)
        axes[i] = i;
    n_axes = n_axes == OPS_ABSENT ? x->rank : n_axes;
    if (count != 2 * n_axes || n_axes > x->rank)
        return ox_fail(c, n, "%d pads for %d axes", count, n_axes);
    memcpy(dims, x->dims, sizeof dims);
    for (int i = 0; i < n_axes; i++) {
        int axis;
        if (ops_axis(c, n, axes[i], x->rank, &axis))
            return -1;
        int64_t lo = -OPS_DIM_MAX, hi = OPS_DIM_MAX;
        if (pads[i] < lo || pads[i] > hi || pads[i + n_axes] < lo || pads[i + n_axes] > hi)
            return ox_fail(c, n, "pads out of range");
        dims[axis] += pads[i] + pads[i + n_axes];
    }
    return ops_set(c, n, 0, dtype, x->rank, dims);
}

const ox_rule ox_rules_nn[] = {
    {"Conv", conv}, {"ConvInteger", conv}, {"QLinearConv", conv},
    {"ConvTranspose", conv_transpose}, {"QLinearMatMul", matmul},
    {"MaxPool", pool}, {"AveragePool", pool}, {"LpPool", pool},
    {"GlobalAveragePool", global_pool}, {"GlobalMaxPool", global_pool},
    {"GlobalLpPool", global_pool}, {"MatMul", matmul}, {"MatMulInteger", matmul},
    {"Gemm", gemm}, {"Einsum", einsum}, {"LSTM", recurrent}, {"GRU", recurrent}, {"RNN", recurrent},
    {"BatchNormalization", batch_norm}, {"InstanceNormalization", same_shape},
    {"LayerNormalization", layer_norm}, {"GroupNormalization", same_shape},
    {"LRN", same_shape}, {"Softmax", softmax}, {"LogSoftmax", softmax},
    {"Hardmax", softmax}, {"DynamicQuantizeLinear", dynamic_quantize},
    {"QuantizeLinear", quantize}, {"DequantizeLinear", quantize}, {"Resize", resize},
    {"Upsample", resize}, {"Pad", pad},
    {NULL, NULL},
};
