/* Kernels that move bytes without arithmetic, for any dtype: the reshaping
 * copies (Identity, Reshape, Flatten, Squeeze, Unsqueeze, Dropout),
 * Transpose, Concat, Split, Slice, Gather, Expand and Tile. Output shapes
 * come from shape inference; the kernels check that the run-time values
 * (Slice's starts, Gather's indices) agree with them. */
#include "onnx/kern_ew.h"

static int64_t prod(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

/* Fails unless output o has input i's element size (shape ops copy bytes). */
static int same_dtype(const ox_kcall *k, int i, int o)
{
    int es = ox_ew_esize(k->in[i].dtype);
    if (!k->in[i].data || !es || es != ox_ew_esize(k->out[o].dtype))
        return ox_kfail(k, "input %d is missing or its dtype %d does not match the output's", i,
                        (int)k->in[i].dtype);
    return 0;
}

/* The rearranging kernels read elements after writing others: their
 * output must not be their input's memory. */
static int not_in_place(const ox_kcall *k)
{
    for (int i = 0; i < k->n->n_in; i++)
        if (k->in[i].data && k->in[i].data == k->out[0].data && k->out[0].numel > 0)
            return ox_kfail(k, "cannot run in place (input %d is the output)", i);
    return 0;
}

/* ---- copies -------------------------------------------------------------------- */
/* Reshape and friends: the same bytes under another shape; nothing to do
 * when the runtime placed the output on the input. */
int ox_ew_copy(const ox_kcall *k)
{
    int64_t lo, hi;
    if (same_dtype(k, 0, 0))
        return -1;
    if (k->in[0].numel != k->out[0].numel)
        return ox_kfail(k, "%lld elements for an output of %lld", (long long)k->in[0].numel,
                        (long long)k->out[0].numel);
    ox_ew_range(k, &lo, &hi);
    int es = ox_ew_esize(k->in[0].dtype);
    if (k->in[0].data != k->out[0].data)
        memcpy((char *)k->out[0].data + lo * es, (const char *)k->in[0].data + lo * es,
               (size_t)((hi - lo) * es));
    return 0;
}

/* Dropout at inference is Identity with a mask of ones; training with a
 * ratio above 0 draws random numbers, which a deterministic run cannot. */
int ox_ew_dropout(const ox_kcall *k)
{
    const ox_view *ratio = k->n->n_in > 1 ? &k->in[1] : NULL;
    const ox_view *train = k->n->n_in > 2 ? &k->in[2] : NULL;
    int training = train && train->data && train->numel > 0 &&
                   ox_ew_get_i(train->data, train->dtype, 0) != 0;
    double r = ratio && ratio->data && ratio->numel > 0
                   ? ox_ew_get_f(ratio->data, ratio->dtype, 0) : 0.5;
    if (training && r != 0)
        return ox_kfail(k, "training mode with a ratio above 0 is not supported");
    if (ox_ew_copy(k))
        return -1;
    const ox_view *mask = k->n->n_out > 1 ? &k->out[1] : NULL;
    for (int64_t i = 0; mask && mask->data && i < mask->numel; i++)
        ox_ew_set_i(mask->data, mask->dtype, i, 1);
    return 0;
}

/* ---- Transpose ------------------------------------------------------------------ */
#define TILE 32

/* out[b][i][j] = in[b][j][i] for output rows [r0, r1) of one batch, in
 * TILE x TILE blocks so that both sides stay in cache. The inner loop
 * strides over the side with the shorter rows: a long power-of-two stride
 * (64 channels x 160 x 160) puts a tile's lines in one cache set. */
#define TRANSPOSE_BLOCK(T)                                                      \
    do {                                                                        \
        const T *s_ = src;                                                      \
        T *d_ = dst;                                                            \
        for (int64_t i0 = r0; i0 < r1; i0 += TILE)                              \
            for (int64_t j0 = 0; j0 < cols; j0 += TILE) {                       \
                int64_t i1 = JF__MIN(i0 + TILE, r1), j1 = JF__MIN(j0 + TILE, cols); \
                if (rows > cols)                                                \
                    for (int64_t j = j0; j < j1; j++)                           \
                        for (int64_t i = i0; i < i1; i++)                       \
                            d_[i * cols + j] = s_[j * rows + i];                \
                else                                                            \
                    for (int64_t i = i0; i < i1; i++)                           \
                        for (int64_t j = j0; j < j1; j++)                       \
                            d_[i * cols + j] = s_[j * rows + i];                \
            }                                                                   \
    } while (0)

static void transpose_block(void *dst, const void *src, int64_t rows, int64_t cols,
                            int64_t r0, int64_t r1, int es)
{
    switch (es) {
    case 1: TRANSPOSE_BLOCK(uint8_t); break;
    case 2: TRANSPOSE_BLOCK(uint16_t); break;
    case 4: TRANSPOSE_BLOCK(uint32_t); break;
    default: TRANSPOSE_BLOCK(uint64_t); break;
    }
}

/* The walk is [batch..., rows, cols] with the input's contiguous dimension
 * as rows: a batch of 2-D transposes (NCHW <-> NHWC). Output rows
 * [lo, hi) over all batches. */
static void transpose_tiled(const ew_walk *w, void *dst, const void *src, int es,
                            int64_t lo, int64_t hi)
{
    int r = w->rank;
    int64_t rows = w->dims[r - 2], cols = w->dims[r - 1];
    for (int64_t b = lo / rows; b * rows < hi; b++) {
        int64_t base = 0, rest = b;
        for (int d = r - 3; d >= 0; d--) {
            base += rest % w->dims[d] * w->strides[0][d];
            rest /= w->dims[d];
        }
        int64_t r0 = JF__MAX(lo - b * rows, 0), r1 = JF__MIN(hi - b * rows, rows);
        transpose_block((char *)dst + b * rows * cols * es, (const char *)src + base * es,
                        rows, cols, r0, r1, es);
    }
}

int ox_ew_transpose(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t perm[OX_MAX_RANK], in_strides[OX_MAX_RANK], lo, hi;
    if (same_dtype(k, 0, 0) || not_in_place(k) || x->rank != y->rank)
        return x->rank != y->rank ? ox_kfail(k, "output rank differs") : -1;
    int count = ox_attr_ints(k->n, "perm", perm, OX_MAX_RANK);
    for (int d = 0; count < 0 && d < x->rank; d++)
        perm[d] = x->rank - 1 - d;
    if (count >= 0 && count != x->rank)
        return ox_kfail(k, "perm has %d values for rank %d", count, x->rank);
    for (int d = x->rank - 1; d >= 0; d--)
        in_strides[d] = d == x->rank - 1 ? 1 : in_strides[d + 1] * x->dims[d + 1];
    ew_walk w;
    ox_ew_walk_init(&w, y->rank, y->dims);
    w.n_ops = 1;
    for (int d = 0; d < y->rank; d++) {
        if (perm[d] < 0 || perm[d] >= x->rank || x->dims[perm[d]] != y->dims[d])
            return ox_kfail(k, "perm does not match the output's shape");
        w.strides[0][d] = in_strides[perm[d]];
    }
    ox_ew_walk_merge(&w);
    int es = ox_ew_esize(x->dtype), r = w.rank;
    if (r >= 2 && w.strides[0][r - 2] == 1 && w.strides[0][r - 1] == w.dims[r - 2]) {
        ox_slice_range(y->numel / w.dims[r - 1], k->slice, JF__MAX(k->n_slices, 1), &lo, &hi);
        transpose_tiled(&w, y->data, x->data, es, lo, hi);
        return 0;
    }
    ox_ew_range(k, &lo, &hi);
    ox_ew_gather_walk(&w, y->data, x->data, es, lo, hi);
    return 0;
}

/* ---- Concat, Split ------------------------------------------------------------------ */
/* The inputs agree with the output outside axis; *row: the elements of one
 * output row (the dimensions from axis on). */
static int concat_check(const ox_kcall *k, int axis, int64_t *row)
{
    const ox_view *y = &k->out[0];
    *row = 0;
    for (int i = 0; i < k->n->n_in; i++) {
        if (same_dtype(k, i, 0))
            return -1;
        if (k->in[i].rank != y->rank)
            return ox_kfail(k, "input %d has rank %d, the output %d", i, k->in[i].rank, y->rank);
        for (int d = 0; d < y->rank; d++)
            if (d != axis && k->in[i].dims[d] != y->dims[d])
                return ox_kfail(k, "input %d differs from the output outside the axis", i);
        *row += prod(k->in[i].dims, axis, y->rank);
    }
    if (*row * prod(y->dims, 0, axis) != y->numel)
        return ox_kfail(k, "the inputs do not add up to the output's shape");
    return not_in_place(k);
}

/* out[lo..hi): each output row is the inputs' rows one after the other. */
int ox_ew_concat(const ox_kcall *k)
{
    const ox_view *y = &k->out[0];
    int64_t lo, hi, row;
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", 0), y->rank), es = ox_ew_esize(y->dtype);
    if (axis < 0 || k->n->n_in < 1)
        return ox_kfail(k, "bad axis or no inputs");
    if (concat_check(k, axis, &row))
        return -1;
    ox_ew_range(k, &lo, &hi);
    for (int64_t at = lo; at < hi;) {
        int64_t r = at / row, col = at % row, start = 0;
        for (int i = 0; i < k->n->n_in && at < hi; i++) {
            int64_t len = prod(k->in[i].dims, axis, y->rank);
            if (col < start + len) { /* the run of input i in this row */
                int64_t take = JF__MIN(start + len - col, hi - at);
                memcpy((char *)y->data + at * es,
                       (const char *)k->in[i].data + (r * len + col - start) * es,
                       (size_t)(take * es));
                at += take;
                col += take;
            }
            start += len;
        }
    }
    return 0;
}

/* Outputs take consecutive parts along axis; their sizes are their shapes. */
int ox_ew_split(const ox_kcall *k)
{
    const ox_view *x = &k->in[0];
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", 0), x->rank);
    if (axis < 0 || !x->data)
        return ox_kfail(k, "bad axis or no input");
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank);
    int64_t offset = 0, es = ox_ew_esize(x->dtype);
    for (int o = 0; o < k->n->n_out; o++) {
        const ox_view *y = &k->out[o];
        if (y->data && (y->data == x->data || ox_ew_esize(y->dtype) != es))
            return ox_kfail(k, "output %d is the input's memory or of another dtype", o);
        int64_t part = y->rank == x->rank ? y->dims[axis] : -1;
        if (part < 0 || offset + part > x->dims[axis] || y->numel != outer * part * inner)
            return ox_kfail(k, "output %d does not fit the input", o);
        for (int64_t r = 0; y->data && r < outer; r++)
            memcpy((char *)y->data + r * part * inner * es,
                   (const char *)x->data + (r * x->dims[axis] + offset) * inner * es,
                   (size_t)(part * inner * es));
        offset += part;
    }
    return 0;
}

/* ---- Slice ------------------------------------------------------------------------ */
/* List k of starts, ends, axes, steps: inputs 1..4 from opset 10,
 * attributes before. Returns the count, -1 when absent. */
static int slice_list(const ox_kcall *k, int which, int64_t *out)
{
    static const char *const names[] = {"starts", "ends", "axes", "steps"};
    if (k->n->opset < 10)
        return which == 3 ? -1 : ox_attr_ints(k->n, names[which], out, OX_MAX_RANK);
    const ox_view *v = k->n->n_in > which + 1 ? &k->in[which + 1] : NULL;
    if (!v || !v->data)
        return -1;
    int count = (int)JF__MIN(v->numel, OX_MAX_RANK + 1);
    for (int i = 0; i < count && i < OX_MAX_RANK; i++)
        out[i] = ox_ew_get_i(v->data, v->dtype, i);
    return count;
}

/* First index of an axis, clamped as ONNX says (counting from the end when
 * negative; [0, dim-1] for a negative step). */
static int64_t slice_start(int64_t dim, int64_t start, int64_t step)
{
    if (start < 0)
        start = start < -dim ? (step > 0 ? 0 : -1) : start + dim;
    return step > 0 ? JF__MIN(JF__MAX(start, 0), dim) : JF__MIN(JF__MAX(start, 0), dim - 1);
}

/* The first index and step of every axis of x (0 and 1 where not sliced). */
static int slice_params(const ox_kcall *k, const ox_view *x, int64_t *start, int64_t *step)
{
    int64_t l[4][OX_MAX_RANK];
    int counts[4];
    for (int i = 0; i < 4; i++)
        counts[i] = slice_list(k, i, l[i]);
    if (counts[0] < 0 || counts[0] > OX_MAX_RANK || counts[1] != counts[0] ||
        (counts[2] >= 0 && counts[2] != counts[0]) || (counts[3] >= 0 && counts[3] != counts[0]))
        return ox_kfail(k, "starts, ends, axes and steps do not have matching lengths");
    for (int d = 0; d < x->rank; d++)
        start[d] = 0, step[d] = 1;
    for (int i = 0; i < counts[0]; i++) {
        int axis = ox_ew_axis(counts[2] >= 0 ? l[2][i] : i, x->rank);
        int64_t by = counts[3] >= 0 ? l[3][i] : 1;
        if (axis < 0 || by == 0)
            return ox_kfail(k, "bad axis or step 0");
        step[axis] = by;
        start[axis] = slice_start(x->dims[axis], l[0][i], by);
    }
    return 0;
}

/* A walk over the output reading x at start + index * step on every axis,
 * once each axis is checked to stay inside x. */
int ox_ew_slice(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t start[OX_MAX_RANK], step[OX_MAX_RANK], stride = 1, lo, hi;
    if (same_dtype(k, 0, 0) || not_in_place(k) || x->rank != y->rank)
        return x->rank != y->rank ? ox_kfail(k, "output rank differs") : -1;
    if (slice_params(k, x, start, step))
        return -1;
    ew_walk w;
    ox_ew_walk_init(&w, y->rank, y->dims);
    w.n_ops = 1;
    for (int d = x->rank - 1; d >= 0; stride *= x->dims[d], d--) {
        int64_t last;
        if (y->dims[d] > 0 &&
            (__builtin_mul_overflow(y->dims[d] - 1, step[d], &last) ||
             __builtin_add_overflow(last, start[d], &last) || start[d] < 0 ||
             start[d] >= x->dims[d] || last < 0 || last >= x->dims[d]))
            return ox_kfail(k, "the slice of axis %d leaves the input", d);
        w.base[0] += start[d] * stride;
        w.strides[0][d] = stride * step[d];
    }
    ox_ew_walk_merge(&w);
    ox_ew_range(k, &lo, &hi);
    ox_ew_gather_walk(&w, y->data, x->data, ox_ew_esize(x->dtype), lo, hi);
    return 0;
}

/* ---- Gather ------------------------------------------------------------------------ */
int64_t ox_ew_gather_slices(const jf_onnx_model *m, const ox_node *n)
{
    int64_t count = ox_ew_slices(m, n);
    if (n->n_in < 2 || n->in[0] < 0 || n->in[1] < 0)
        return 1;
    const ox_tensor *data = &m->tensors[n->in[0]];
    int axis = ox_ew_axis(ox_attr_int(n, "axis", 0), data->rank);
    int64_t rows = axis < 0 ? 1 : prod(data->dims, 0, axis) * ox_ew_numel(m, n->in[1]);
    return JF__MAX(JF__MIN(count, rows), 1);
}

/* Output rows (data's dimensions before axis x the indices) each copy one
 * row of data after axis. */
int ox_ew_gather(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *idx = &k->in[1], *y = &k->out[0];
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", 0), x->rank);
    if (same_dtype(k, 0, 0) || not_in_place(k) || axis < 0 || !idx->data)
        return axis < 0 || !idx->data ? ox_kfail(k, "bad axis or no indices") : -1;
    int64_t dim = x->dims[axis], inner = prod(x->dims, axis + 1, x->rank);
    int64_t outer = prod(x->dims, 0, axis), count = idx->numel, es = ox_ew_esize(x->dtype);
    if (y->numel != outer * count * inner)
        return ox_kfail(k, "the output's shape does not match");
    for (int64_t i = 0; i < count; i++) {
        int64_t at = ox_ew_get_i(idx->data, idx->dtype, i);
        if (at < -dim || at >= dim)
            return ox_kfail(k, "index %lld is out of range for a dimension of %lld",
                            (long long)at, (long long)dim);
    }
    int64_t lo, hi;
    ox_slice_range(outer * count, k->slice, JF__MAX(k->n_slices, 1), &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        int64_t at = ox_ew_get_i(idx->data, idx->dtype, r % count);
        at += at < 0 ? dim : 0;
        memcpy((char *)y->data + r * inner * es,
               (const char *)x->data + ((r / count) * dim + at) * inner * es,
               (size_t)(inner * es));
    }
    return 0;
}

/* ---- Expand, Tile ------------------------------------------------------------------- */
int ox_ew_expand(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t lo, hi;
    if (same_dtype(k, 0, 0) || not_in_place(k))
        return -1;
    ew_walk w;
    ox_ew_walk_init(&w, y->rank, y->dims);
    if (ox_ew_walk_bcast(&w, x))
        return ox_kfail(k, "the input does not broadcast to the output");
    ox_ew_walk_merge(&w);
    ox_ew_range(k, &lo, &hi);
    ox_ew_gather_walk(&w, y->data, x->data, ox_ew_esize(x->dtype), lo, hi);
    return 0;
}

/* Output dimension d is [repeat, x's d]: a walk of twice the rank whose
 * repeat dimensions have stride 0. */
int ox_ew_tile(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t dims[EW_MAX_RANK], stride = 1, lo, hi;
    if (same_dtype(k, 0, 0) || not_in_place(k) || x->rank != y->rank)
        return x->rank != y->rank ? ox_kfail(k, "output rank differs") : -1;
    if (y->numel == 0)
        return 0;
    ew_walk w;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 0 || y->dims[d] % x->dims[d])
            return ox_kfail(k, "output dimension %d is not a multiple of the input's", d);
        dims[2 * d] = y->dims[d] / x->dims[d];
        dims[2 * d + 1] = x->dims[d];
    }
    ox_ew_walk_init(&w, 2 * x->rank, dims);
    w.n_ops = 1;
    for (int d = x->rank - 1; d >= 0; stride *= x->dims[d], d--)
        w.strides[0][2 * d + 1] = stride;
    ox_ew_walk_merge(&w);
    ox_ew_range(k, &lo, &hi);
    ox_ew_gather_walk(&w, y->data, x->data, ox_ew_esize(x->dtype), lo, hi);
    return 0;
}

/* ---- DepthToSpace, SpaceToDepth ------------------------------------------------------- */
/* Both are a reshape to 6-D, a transpose and a reshape back: a walk over
 * the transposed 6-D view of the input. */
/* The 6-D view of x and the permutation that makes the output of it. */
static int depth_space_view(const ox_kcall *k, int64_t *d6, const int **perm)
{
    static const int dcr[6] = {0, 3, 4, 1, 5, 2}, crd[6] = {0, 1, 4, 2, 5, 3},
                     s2d[6] = {0, 3, 5, 1, 2, 4};
    const ox_view *x = &k->in[0];
    int64_t b = ox_attr_int(k->n, "blocksize", 0);
    if (x->rank != 4 || b < 1 || b > 65536 || k->out[0].numel != x->numel)
        return ox_kfail(k, "needs a 4-D input and a blocksize from 1 to 65536");
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    if (strcmp(k->n->op, "SpaceToDepth") == 0) {
        int64_t d[6] = {n, c, h / b, b, w / b, b};
        memcpy(d6, d, sizeof d), *perm = s2d;
        return h % b || w % b ? ox_kfail(k, "%lld x %lld is not a multiple of blocksize %lld",
                                         (long long)h, (long long)w, (long long)b) : 0;
    }
    int is_crd = strcmp(ox_attr_str(k->n, "mode", "DCR"), "CRD") == 0;
    int64_t dcr_dims[6] = {n, b, b, c / (b * b), h, w}, crd_dims[6] = {n, c / (b * b), b, b, h, w};
    memcpy(d6, is_crd ? crd_dims : dcr_dims, sizeof dcr_dims), *perm = is_crd ? crd : dcr;
    return c % (b * b) ? ox_kfail(k, "%lld channels for blocksize %lld", (long long)c,
                                  (long long)b) : 0;
}

int ox_ew_depth_space(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t d6[6], s6[6], od[6], lo, hi;
    const int *perm = NULL;
    if (same_dtype(k, 0, 0) || not_in_place(k) || depth_space_view(k, d6, &perm))
        return -1;
    for (int d = 5; d >= 0; d--)
        s6[d] = d == 5 ? 1 : s6[d + 1] * d6[d + 1];
    for (int d = 0; d < 6; d++)
        od[d] = d6[perm[d]];
    ew_walk walk;
    ox_ew_walk_init(&walk, 6, od);
    walk.n_ops = 1;
    for (int d = 0; d < 6; d++)
        walk.strides[0][d] = s6[perm[d]];
    ox_ew_walk_merge(&walk);
    ox_ew_range(k, &lo, &hi);
    ox_ew_gather_walk(&walk, y->data, x->data, ox_ew_esize(x->dtype), lo, hi);
    return 0;
}
