/* Reductions (ReduceSum, ReduceMean, ReduceMax, ... over any axes), ArgMax,
 * ArgMin and TopK.
 *
 * A reduction's input dimensions are merged into groups that are all kept
 * or all reduced. When the innermost group is reduced, each output is a
 * sum of contiguous runs (lane-wise partial results, which vectorize);
 * when it is kept, whole output rows accumulate contiguous input rows. The
 * output itself is the accumulator, so no scratch is needed. float32 has
 * these loops; integer and boolean inputs go element by element. */
#include <math.h>

#include "onnx/kern_ew.h"

typedef enum { PRE_ID, PRE_ABS, PRE_SQ, PRE_EXP } pre_kind;
typedef enum { ACC_SUM, ACC_PROD, ACC_MAX, ACC_MIN } acc_kind;
typedef enum { POST_ID, POST_MEAN, POST_SQRT, POST_LOG } post_kind;

static const struct reduce_op {
    const char *op;
    pre_kind pre;
    acc_kind acc;
    post_kind post;
} reduce_ops[] = {
    {"ReduceSum", PRE_ID, ACC_SUM, POST_ID},     {"ReduceMean", PRE_ID, ACC_SUM, POST_MEAN},
    {"ReduceMax", PRE_ID, ACC_MAX, POST_ID},     {"ReduceMin", PRE_ID, ACC_MIN, POST_ID},
    {"ReduceProd", PRE_ID, ACC_PROD, POST_ID},   {"ReduceL1", PRE_ABS, ACC_SUM, POST_ID},
    {"ReduceL2", PRE_SQ, ACC_SUM, POST_SQRT},    {"ReduceLogSum", PRE_ID, ACC_SUM, POST_LOG},
    {"ReduceLogSumExp", PRE_EXP, ACC_SUM, POST_LOG},
    {"ReduceSumSquare", PRE_SQ, ACC_SUM, POST_ID},
};

static const struct reduce_op *reduce_find(const char *op)
{
    for (size_t i = 0; i < sizeof reduce_ops / sizeof *reduce_ops; i++)
        if (strcmp(reduce_ops[i].op, op) == 0)
            return &reduce_ops[i];
    return NULL;
}

/* ---- float loops ------------------------------------------------------------ */
#define ACC_SUM_F(a, v) ((a) + (v))
#define ACC_PROD_F(a, v) ((a) * (v))
#define ACC_MAX_F(a, v) ((v) > (a) ? (v) : (a))
#define ACC_MIN_F(a, v) ((v) < (a) ? (v) : (a))

/* NAME_run: ACC over n contiguous PRE(x), from ID, in 8 independent lanes.
 * NAME_rows: acc[i] = ACC(acc[i], PRE(x[i])), or PRE(x[i]) when first. */
#define REDUCE_FNS(NAME, PRE, ACC, ID)                                       \
    EW_VEC static float NAME##_run(const float *x, int64_t n)                \
    {                                                                        \
        float lane[8] = {ID, ID, ID, ID, ID, ID, ID, ID}, a = ID;            \
        int64_t i = 0;                                                       \
        for (; i + 8 <= n; i += 8)                                           \
            for (int j = 0; j < 8; j++) {                                    \
                float v = x[i + j];                                          \
                lane[j] = ACC(lane[j], PRE);                                 \
            }                                                                \
        for (; i < n; i++) {                                                 \
            float v = x[i];                                                  \
            a = ACC(a, PRE);                                                 \
        }                                                                    \
        for (int j = 0; j < 8; j++)                                          \
            a = ACC(a, lane[j]);                                             \
        return a;                                                            \
    }                                                                        \
    EW_VEC static void NAME##_rows(float *acc, const float *x, int64_t n, int first) \
    {                                                                        \
        if (first) {                                                         \
            for (int64_t i = 0; i < n; i++) {                                \
                float v = x[i];                                              \
                acc[i] = PRE;                                                \
            }                                                                \
            return;                                                          \
        }                                                                    \
        for (int64_t i = 0; i < n; i++) {                                    \
            float v = x[i];                                                  \
            acc[i] = ACC(acc[i], PRE);                                       \
        }                                                                    \
    }

REDUCE_FNS(sum, v, ACC_SUM_F, 0.0f)
REDUCE_FNS(prod, v, ACC_PROD_F, 1.0f)
REDUCE_FNS(max, v, ACC_MAX_F, -INFINITY)
REDUCE_FNS(min, v, ACC_MIN_F, INFINITY)
REDUCE_FNS(l1, fabsf(v), ACC_SUM_F, 0.0f)
REDUCE_FNS(sq, v *v, ACC_SUM_F, 0.0f)
REDUCE_FNS(exp, expf(v), ACC_SUM_F, 0.0f)

typedef struct {
    float (*run)(const float *x, int64_t n);
    void (*rows)(float *acc, const float *x, int64_t n, int first);
    acc_kind acc;
    float id;
} float_loops;

static float_loops loops_of(const struct reduce_op *r)
{
    switch (r->pre) {
    case PRE_ABS: return (float_loops){l1_run, l1_rows, ACC_SUM, 0.0f};
    case PRE_SQ: return (float_loops){sq_run, sq_rows, ACC_SUM, 0.0f};
    case PRE_EXP: return (float_loops){exp_run, exp_rows, ACC_SUM, 0.0f};
    case PRE_ID: break;
    }
    switch (r->acc) {
    case ACC_PROD: return (float_loops){prod_run, prod_rows, ACC_PROD, 1.0f};
    case ACC_MAX: return (float_loops){max_run, max_rows, ACC_MAX, -INFINITY};
    case ACC_MIN: return (float_loops){min_run, min_rows, ACC_MIN, INFINITY};
    case ACC_SUM: break;
    }
    return (float_loops){sum_run, sum_rows, ACC_SUM, 0.0f};
}

static float combine(acc_kind acc, float a, float b)
{
    switch (acc) {
    case ACC_SUM: return a + b;
    case ACC_PROD: return a * b;
    case ACC_MAX: return b > a ? b : a;
    case ACC_MIN: return b < a ? b : a;
    }
    return a;
}

/* ---- the plan: kept and reduced dimension groups ---------------------------- */
typedef struct {
    int nk, nr;
    int64_t kd[OX_MAX_RANK], ks[OX_MAX_RANK]; /* kept groups: sizes, input strides */
    int64_t rd[OX_MAX_RANK], rs[OX_MAX_RANK]; /* reduced groups */
    int last_reduced;
    int64_t count;                            /* input elements per output */
} reduce_plan;

/* Groups of neighbouring dimensions with the same mask; 1s dropped. */
static void plan_build(reduce_plan *p, const ox_view *x, const uint8_t *mask)
{
    int64_t stride = 1;
    int last = -1; /* mask of the group last added, innermost first */
    memset(p, 0, sizeof *p);
    p->count = 1;
    for (int d = x->rank - 1; d >= 0; stride *= x->dims[d], d--) {
        if (mask[d])
            p->count *= x->dims[d];
        if (x->dims[d] == 1)
            continue;
        int64_t *dims = mask[d] ? p->rd : p->kd, *strides = mask[d] ? p->rs : p->ks;
        int *count = mask[d] ? &p->nr : &p->nk;
        if (last == mask[d]) {
            dims[*count - 1] *= x->dims[d];
            continue;
        }
        if (last < 0)
            p->last_reduced = mask[d];
        dims[*count] = x->dims[d], strides[*count] = stride, (*count)++;
        last = mask[d];
    }
    /* The groups were added innermost first; put them outermost first. */
    for (int i = 0; i < p->nk / 2; i++) {
        int64_t t = p->kd[i]; p->kd[i] = p->kd[p->nk - 1 - i]; p->kd[p->nk - 1 - i] = t;
        t = p->ks[i]; p->ks[i] = p->ks[p->nk - 1 - i]; p->ks[p->nk - 1 - i] = t;
    }
    for (int i = 0; i < p->nr / 2; i++) {
        int64_t t = p->rd[i]; p->rd[i] = p->rd[p->nr - 1 - i]; p->rd[p->nr - 1 - i] = t;
        t = p->rs[i]; p->rs[i] = p->rs[p->nr - 1 - i]; p->rs[p->nr - 1 - i] = t;
    }
}

/* Input offset of kept index `index` over the first nk kept groups. */
static int64_t kept_offset(const reduce_plan *p, int nk, int64_t index)
{
    int64_t off = 0;
    for (int g = nk - 1; g >= 0; g--) {
        off += index % p->kd[g] * p->ks[g];
        index /= p->kd[g];
    }
    return off;
}

/* Odometer over the first nr reduced groups: the next offset, or -1. */
typedef struct {
    int64_t coord[OX_MAX_RANK], off;
    int done;
} odometer;

static int64_t odo_next(odometer *o, const reduce_plan *p, int nr)
{
    if (o->done)
        return -1;
    int64_t at = o->off;
    int g = nr - 1;
    for (; g >= 0; g--) {
        o->off += p->rs[g];
        if (++o->coord[g] < p->rd[g])
            break;
        o->off -= p->rd[g] * p->rs[g];
        o->coord[g] = 0;
    }
    o->done = g < 0;
    return at;
}

/* Innermost group reduced: each output reduces runs of L elements. */
static void float_inner(const reduce_plan *p, const float_loops *f, const float *x, float *y,
                        int64_t lo, int64_t hi)
{
    int64_t len = p->rd[p->nr - 1], at;
    for (int64_t o = lo; o < hi; o++) {
        const float *base = x + kept_offset(p, p->nk, o);
        float a = f->id;
        odometer od = {{0}, 0, 0};
        while ((at = odo_next(&od, p, p->nr - 1)) >= 0)
            a = combine(f->acc, a, f->run(base + at, len));
        y[o] = a;
    }
}

/* Innermost group kept: output rows of L accumulate input rows. */
static void float_outer(const reduce_plan *p, const float_loops *f, const float *x, float *y,
                        int64_t lo, int64_t hi)
{
    int64_t len = p->nk ? p->kd[p->nk - 1] : 1, at;
    for (int64_t o = lo; o < hi;) {
        int64_t row = o / len, c0 = o % len, c1 = JF__MIN(len, c0 + hi - o);
        const float *base = x + kept_offset(p, p->nk - 1, row) + c0;
        odometer od = {{0}, 0, 0};
        for (int first = 1; (at = odo_next(&od, p, p->nr)) >= 0; first = 0)
            f->rows(y + o, base + at, c1 - c0, first);
        o += c1 - c0;
    }
}

static void post_apply(post_kind post, float *y, int64_t lo, int64_t hi, int64_t count)
{
    float scale = 1.0f / (float)count;
    for (int64_t i = lo; i < hi; i++)
        y[i] = post == POST_MEAN ? y[i] * scale
               : post == POST_SQRT ? sqrtf(y[i]) : post == POST_LOG ? logf(y[i]) : y[i];
}

/* ---- integers and booleans ---------------------------------------------------- */
static int64_t int_combine(acc_kind acc, int64_t a, int64_t v)
{
    switch (acc) {
    case ACC_SUM: return (int64_t)((uint64_t)a + (uint64_t)v);
    case ACC_PROD: return (int64_t)((uint64_t)a * (uint64_t)v);
    case ACC_MAX: return v > a ? v : a;
    case ACC_MIN: return v < a ? v : a;
    }
    return a;
}

static int int_reduce(const ox_kcall *k, const struct reduce_op *r, const reduce_plan *p,
                      int64_t lo, int64_t hi)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    if (r->pre == PRE_EXP || r->post == POST_SQRT || r->post == POST_LOG)
        return ox_kfail(k, "needs a float input");
    int64_t id = r->acc == ACC_PROD ? 1 : r->acc == ACC_MAX ? INT64_MIN
                 : r->acc == ACC_MIN ? INT64_MAX : 0, at;
    for (int64_t o = lo; o < hi; o++) {
        int64_t base = kept_offset(p, p->nk, o), a = id;
        odometer od = {{0}, 0, 0};
        while (x->numel && (at = odo_next(&od, p, p->nr)) >= 0) {
            int64_t v = ox_ew_get_i(x->data, x->dtype, base + at);
            v = r->pre == PRE_ABS && v < 0 ? (int64_t)(0 - (uint64_t)v)
                : r->pre == PRE_SQ ? (int64_t)((uint64_t)v * (uint64_t)v) : v;
            a = int_combine(r->acc, a, v);
        }
        ox_ew_set_i(y->data, y->dtype, o, r->post == POST_MEAN && p->count ? a / p->count : a);
    }
    return 0;
}

/* ---- the kernel ------------------------------------------------------------------ */
/* Which axes are reduced: the axes input (opset 18, 13 for ReduceSum) or
 * attribute; none given reduces all, unless noop_with_empty_axes. */
static int reduced_mask(const ox_kcall *k, uint8_t *mask)
{
    int rank = k->in[0].rank, count = -1, as_input;
    int64_t axes[OX_MAX_RANK];
    as_input = k->n->opset >= (strcmp(k->n->op, "ReduceSum") == 0 ? 13 : 18);
    if (!as_input) {
        count = ox_attr_ints(k->n, "axes", axes, OX_MAX_RANK);
    } else if (k->n->n_in > 1 && k->in[1].data && k->in[1].numel > 0) {
        count = (int)JF__MIN(k->in[1].numel, OX_MAX_RANK);
        for (int i = 0; i < count; i++)
            axes[i] = ox_ew_get_i(k->in[1].data, k->in[1].dtype, i);
    }
    int all = count <= 0 && !ox_attr_int(k->n, "noop_with_empty_axes", 0);
    for (int d = 0; d < rank; d++)
        mask[d] = (uint8_t)all;
    for (int i = 0; i < count; i++) {
        int axis = ox_ew_axis(axes[i], rank);
        if (axis < 0)
            return ox_kfail(k, "axis %lld is out of range", (long long)axes[i]);
        mask[axis] = 1;
    }
    return 0;
}

int64_t ox_ew_reduce_slices(const jf_onnx_model *m, const ox_node *n)
{
    int64_t in = n->n_in > 0 ? ox_ew_numel(m, n->in[0]) : 0;
    int64_t out = n->n_out > 0 ? ox_ew_numel(m, n->out[0]) : 0;
    return JF__MAX(JF__MIN((in + EW_BLOCK - 1) / EW_BLOCK, out), 1);
}

int ox_ew_reduce(const ox_kcall *k)
{
    const struct reduce_op *r = reduce_find(k->n->op);
    const ox_view *x = &k->in[0], *y = &k->out[0];
    uint8_t mask[OX_MAX_RANK];
    reduce_plan p;
    int64_t lo, hi;
    if (!r || !x->data || x->dtype != y->dtype || !ox_ew_esize(x->dtype))
        return ox_kfail(k, "missing input or dtypes that differ");
    if (reduced_mask(k, mask))
        return -1;
    plan_build(&p, x, mask);
    if (p.count * y->numel != x->numel)
        return ox_kfail(k, "the output's shape does not match the reduced axes");
    ox_ew_range(k, &lo, &hi);
    if (x->dtype != OX_FLOAT)
        return int_reduce(k, r, &p, lo, hi);
    float_loops f = loops_of(r);
    if (x->numel == 0)
        for (int64_t o = lo; o < hi; o++)
            ((float *)y->data)[o] = f.id;
    else if (p.nr && p.last_reduced)
        float_inner(&p, &f, x->data, y->data, lo, hi);
    else
        float_outer(&p, &f, x->data, y->data, lo, hi);
    post_apply(r->post, y->data, lo, hi, p.count);
    return 0;
}

/* ---- ArgMax, ArgMin ------------------------------------------------------------- */
int ox_ew_argreduce(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", 0), x->rank);
    int is_max = strcmp(k->n->op, "ArgMax") == 0;
    int last = (int)ox_attr_int(k->n, "select_last_index", 0);
    if (axis < 0 || !x->data || !ox_ew_esize(x->dtype) || y->dtype != OX_INT64)
        return ox_kfail(k, "bad axis, input or output dtype");
    int64_t outer = 1, inner = 1, dim = x->dims[axis];
    for (int d = 0; d < x->rank; d++)
        *(d < axis ? &outer : &inner) *= d == axis ? 1 : x->dims[d];
    if (y->numel != outer * inner || (dim == 0 && y->numel))
        return ox_kfail(k, "the output's shape does not match");
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * dim * inner + i, best_at = 0;
            double best = ox_ew_get_f(x->data, x->dtype, base);
            for (int64_t j = 1; j < dim; j++) {
                double v = ox_ew_get_f(x->data, x->dtype, base + j * inner);
                if ((is_max ? v > best : v < best) || (last && v == best))
                    best = v, best_at = j;
            }
            ((int64_t *)y->data)[o * inner + i] = best_at;
        }
    return 0;
}

/* ---- TopK --------------------------------------------------------------------------- */
typedef struct {
    double v;
    int64_t i;
} topk_item;

/* Equal values keep the lower index first, as ONNX asks. */
static int cmp_largest(const void *pa, const void *pb)
{
    const topk_item *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int cmp_smallest(const void *pa, const void *pb)
{
    const topk_item *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

size_t ox_ew_topk_scratch(const jf_onnx_model *m, const ox_node *n, int64_t n_slices)
{
    if (n->n_in < 1 || n->in[0] < 0)
        return 0;
    const ox_tensor *x = &m->tensors[n->in[0]];
    int axis = ox_ew_axis(ox_attr_int(n, "axis", -1), x->rank);
    return axis < 0 ? 0 : (size_t)x->dims[axis] * sizeof(topk_item);
}

int ox_ew_topk(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *vals = &k->out[0], *idx = &k->out[1];
    int axis = ox_ew_axis(ox_attr_int(k->n, "axis", -1), x->rank);
    int largest = (int)ox_attr_int(k->n, "largest", 1);
    if (k->n->n_out < 2 || axis < 0 || !x->data || vals->rank != x->rank ||
        idx->dtype != OX_INT64 || vals->dtype != x->dtype)
        return ox_kfail(k, "bad axis, inputs or outputs");
    int64_t outer = 1, inner = 1, dim = x->dims[axis], kk = vals->dims[axis];
    for (int d = 0; d < x->rank; d++)
        *(d < axis ? &outer : &inner) *= d == axis ? 1 : x->dims[d];
    topk_item *items = k->scratch;
    if (kk > dim || (dim > 0 && !items) || vals->numel != outer * kk * inner ||
        (idx->data && idx->numel != vals->numel))
        return ox_kfail(k, "k = %lld for a dimension of %lld, or no scratch", (long long)kk,
                        (long long)dim);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            for (int64_t j = 0; j < dim; j++)
                items[j] = (topk_item){
                    ox_ew_get_f(x->data, x->dtype, (o * dim + j) * inner + i), j};
            qsort(items, (size_t)dim, sizeof *items, largest ? cmp_largest : cmp_smallest);
            for (int64_t j = 0; j < kk; j++) {
                int64_t at = (o * kk + j) * inner + i, from = (o * dim + items[j].i) * inner + i;
                memcpy((char *)vals->data + at * ox_ew_esize(x->dtype),
                       (const char *)x->data + from * ox_ew_esize(x->dtype),
                       (size_t)ox_ew_esize(x->dtype));
                if (idx->data)
                    ((int64_t *)idx->data)[at] = items[j].i;
            }
        }
    return 0;
}

/* ---- MeanVarianceNormalization -------------------------------------------------------- */
/* (x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9) over the axes (0, 2, 3 by
 * default), as the operator's function body computes it; sums in double. */
int ox_ew_mvn(const ox_kcall *k)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int64_t axes[OX_MAX_RANK] = {0, 2, 3}, at;
    uint8_t mask[OX_MAX_RANK] = {0};
    int count = ox_attr_ints(k->n, "axes", axes, OX_MAX_RANK);
    if (!x->data || x->dtype != OX_FLOAT || y->dtype != OX_FLOAT || y->numel != x->numel)
        return ox_kfail(k, "needs float input and output of the same size");
    for (int i = 0; i < (count < 0 ? 3 : count); i++) {
        int axis = ox_ew_axis(axes[i], x->rank);
        if (axis < 0)
            return ox_kfail(k, "axis %lld is out of range", (long long)axes[i]);
        mask[axis] = 1;
    }
    reduce_plan p;
    plan_build(&p, x, mask);
    const float *xs = x->data;
    float *ys = y->data;
    for (int64_t o = 0; x->numel && o < x->numel / p.count; o++) {
        int64_t base = kept_offset(&p, p.nk, o);
        double sum = 0, sq = 0;
        odometer od = {{0}, 0, 0};
        while ((at = odo_next(&od, &p, p.nr)) >= 0)
            sum += xs[base + at], sq += (double)xs[base + at] * xs[base + at];
        double mean = sum / (double)p.count, var = sq / (double)p.count - mean * mean;
        float scale = (float)(1.0 / (sqrt(var > 0 ? var : 0) + 1e-9));
        odometer od2 = {{0}, 0, 0};
        while ((at = odo_next(&od2, &p, p.nr)) >= 0)
            ys[base + at] = (float)(xs[base + at] - mean) * scale;
    }
    return 0;
}
