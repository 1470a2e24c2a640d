/* Broadcasting kernels: Add, Mul, Equal, Pow, ... (two inputs), Max, Min,
 * Sum, Mean (any number) and Where. The output range is walked in runs of
 * the innermost merged dimension; along a run each input is either
 * contiguous or one repeated value, so the loops below are plain and
 * vectorize. float32, int64 and int32 have such loops; the other dtypes
 * and mixed ones (Pow of an int by a float) go element by element. */
#include <math.h>

#include "onnx/kern_ew.h"

typedef enum {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_PRELU, B_EQ, B_LT, B_GT, B_LE, B_GE,
    B_AND, B_OR, B_XOR, B_SHIFT, B_MAX, B_MIN, B_SUM, B_MEAN, B_BITAND, B_BITOR, B_BITXOR
} bin_code;

static const struct {
    const char *op;
    bin_code code;
} bin_ops[] = {
    {"Add", B_ADD}, {"Sub", B_SUB}, {"Mul", B_MUL}, {"Div", B_DIV}, {"Pow", B_POW},
    {"Mod", B_MOD}, {"PRelu", B_PRELU}, {"Equal", B_EQ}, {"Less", B_LT},
    {"Greater", B_GT}, {"LessOrEqual", B_LE}, {"GreaterOrEqual", B_GE}, {"And", B_AND},
    {"Or", B_OR}, {"Xor", B_XOR}, {"BitShift", B_SHIFT}, {"Max", B_MAX}, {"Min", B_MIN},
    {"Sum", B_SUM}, {"Mean", B_MEAN}, {"BitwiseAnd", B_BITAND}, {"BitwiseOr", B_BITOR},
    {"BitwiseXor", B_BITXOR},
};

static int bin_find(const char *op, bin_code *code)
{
    for (size_t i = 0; i < sizeof bin_ops / sizeof *bin_ops; i++)
        if (strcmp(bin_ops[i].op, op) == 0)
            return *code = bin_ops[i].code, 0;
    return -1;
}

/* o[i] = a[i * sa] OP b[i * sb] for i < n, sa and sb 0 or 1. */
typedef void (*bin_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *o,
                       int64_t n);

/* One loop per stride pattern, so each is a plain loop the compiler
 * vectorizes; EXPR combines x and y. */
#define BIN(NAME, T, R, EXPR)                                                       \
    EW_VEC static void NAME(const void *pa, int64_t sa, const void *pb, int64_t sb,   \
                            void *po, int64_t n)                                    \
    {                                                                               \
        const T *a = pa, *b = pb;                                                   \
        R *o = po;                                                                  \
        if (sa && sb) {                                                             \
            for (int64_t i = 0; i < n; i++) {                                       \
                T x = a[i], y = b[i];                                               \
                o[i] = (R)(EXPR);                                                   \
            }                                                                       \
        } else if (sa) {                                                            \
            const T y = b[0];                                                       \
            for (int64_t i = 0; i < n; i++) {                                       \
                T x = a[i];                                                         \
                o[i] = (R)(EXPR);                                                   \
            }                                                                       \
        } else if (sb) {                                                            \
            const T x = a[0];                                                       \
            for (int64_t i = 0; i < n; i++) {                                       \
                T y = b[i];                                                         \
                o[i] = (R)(EXPR);                                                   \
            }                                                                       \
        } else {                                                                    \
            const T x = a[0], y = b[0];                                             \
            const R v = (R)(EXPR);                                                  \
            for (int64_t i = 0; i < n; i++)                                         \
                o[i] = v;                                                           \
        }                                                                           \
    }


BIN(f_add, float, float, x + y)
BIN(f_sub, float, float, x - y)
BIN(f_mul, float, float, x * y)
BIN(f_div_loop, float, float, x / y)
BIN(f_pow_loop, float, float, powf(x, y))
BIN(f_prelu, float, float, x < 0 ? x * y : x)
BIN(f_max, float, float, x > y ? x : y)
BIN(f_min, float, float, x < y ? x : y)
BIN(f_eq, float, uint8_t, x == y)
BIN(f_lt, float, uint8_t, x < y)
BIN(f_gt, float, uint8_t, x > y)
BIN(f_le, float, uint8_t, x <= y)
BIN(f_ge, float, uint8_t, x >= y)
/* Integers wrap on overflow like the fixed-width types they are, without
 * the undefined behaviour of signed overflow in C. */
BIN(l_add, int64_t, int64_t, (int64_t)((uint64_t)x + (uint64_t)y))
BIN(l_sub, int64_t, int64_t, (int64_t)((uint64_t)x - (uint64_t)y))
BIN(l_mul, int64_t, int64_t, (int64_t)((uint64_t)x * (uint64_t)y))
BIN(l_max, int64_t, int64_t, x > y ? x : y)
BIN(l_min, int64_t, int64_t, x < y ? x : y)
BIN(l_eq, int64_t, uint8_t, x == y)
BIN(l_lt, int64_t, uint8_t, x < y)
BIN(l_gt, int64_t, uint8_t, x > y)
BIN(l_le, int64_t, uint8_t, x <= y)
BIN(l_ge, int64_t, uint8_t, x >= y)
BIN(i_add, int32_t, int32_t, (int32_t)((uint32_t)x + (uint32_t)y))
BIN(i_sub, int32_t, int32_t, (int32_t)((uint32_t)x - (uint32_t)y))
BIN(i_mul, int32_t, int32_t, (int32_t)((uint32_t)x * (uint32_t)y))
BIN(i_max, int32_t, int32_t, x > y ? x : y)
BIN(i_min, int32_t, int32_t, x < y ? x : y)
BIN(i_eq, int32_t, uint8_t, x == y)
BIN(i_lt, int32_t, uint8_t, x < y)
BIN(i_gt, int32_t, uint8_t, x > y)
BIN(i_le, int32_t, uint8_t, x <= y)
BIN(i_ge, int32_t, uint8_t, x >= y)
BIN(b_and, uint8_t, uint8_t, x && y)
BIN(b_or, uint8_t, uint8_t, x || y)
BIN(b_xor, uint8_t, uint8_t, !x != !y)
BIN(b_eq, uint8_t, uint8_t, !x == !y)

/* Division by one repeated value (x / 6 in hard-swish) multiplies by its
 * reciprocal: a division costs several multiplications, and the result
 * differs by at most an ulp or two. Zeros, infinities and subnormals
 * divide. */
static void f_div(const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t n)
{
    float y = *(const float *)b, r = 1.0f / y;
    if (sb || n < 16 || !isnormal(y) || !isnormal(r)) {
        f_div_loop(a, sa, b, sb, o, n);
        return;
    }
    f_mul(a, sa, &r, 0, o, n);
}

/* x ** 2 (the variance in layer norms) is x * x: exact, and no call. */
static void f_pow(const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t n)
{
    if (sb == 0 && *(const float *)b == 2.0f)
        f_mul(a, sa, a, sa, o, n);
    else
        f_pow_loop(a, sa, b, sb, o, n);
}

/* Fast loops by [code][dtype]: float, int64, int32, bool. */
static bin_fn fast_fn(bin_code code, int32_t dtype)
{
    static const bin_fn table[][4] = {
        [B_ADD] = {f_add, l_add, i_add, NULL},   [B_SUB] = {f_sub, l_sub, i_sub, NULL},
        [B_MUL] = {f_mul, l_mul, i_mul, NULL},   [B_DIV] = {f_div, NULL, NULL, NULL},
        [B_POW] = {f_pow, NULL, NULL, NULL},     [B_PRELU] = {f_prelu, NULL, NULL, NULL},
        [B_EQ] = {f_eq, l_eq, i_eq, b_eq},       [B_LT] = {f_lt, l_lt, i_lt, NULL},
        [B_GT] = {f_gt, l_gt, i_gt, NULL},       [B_LE] = {f_le, l_le, i_le, NULL},
        [B_GE] = {f_ge, l_ge, i_ge, NULL},       [B_AND] = {NULL, NULL, NULL, b_and},
        [B_OR] = {NULL, NULL, NULL, b_or},       [B_XOR] = {NULL, NULL, NULL, b_xor},
        [B_MAX] = {f_max, l_max, i_max, NULL},   [B_MIN] = {f_min, l_min, i_min, NULL},
        [B_SUM] = {f_add, l_add, i_add, NULL},   [B_MEAN] = {f_add, NULL, NULL, NULL},
    };
    int col = dtype == OX_FLOAT ? 0 : dtype == OX_INT64 ? 1 : dtype == OX_INT32 ? 2
              : dtype == OX_BOOL ? 3 : -1;
    if (col < 0 || (size_t)code >= sizeof table / sizeof *table)
        return NULL;
    return table[code][col];
}

/* ---- element by element, any dtypes ---------------------------------------- */
typedef struct {
    bin_code code;
    int fmod_attr, left; /* Mod's fmod; BitShift direction LEFT */
} bin_attrs;

static int64_t ipow(int64_t base, int64_t e)
{
    if (e < 0)
        return base == 1 ? 1 : base == -1 ? (e & 1 ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    for (; e; e >>= 1, b *= b) /* wraps like the fixed-width type */
        if (e & 1)
            r *= b;
    return (int64_t)r;
}

/* Integer x OP y; divisors were checked for 0 before. */
static int64_t int_op(const bin_attrs *at, int64_t x, int64_t y)
{
    uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
    switch (at->code) {
    case B_ADD: case B_SUM: return (int64_t)(ux + uy);
    case B_SUB: return (int64_t)(ux - uy);
    case B_MUL: return (int64_t)(ux * uy);
    case B_DIV: return y == -1 ? (int64_t)(0 - ux) : x / y; /* truncates, as ONNX */
    case B_MOD: {
        int64_t r = y == -1 ? 0 : x % y;
        return !at->fmod_attr && r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }
    case B_POW: return ipow(x, y);
    case B_PRELU: return x < 0 ? (int64_t)(ux * uy) : x;
    case B_EQ: return x == y;
    case B_LT: return x < y;
    case B_GT: return x > y;
    case B_LE: return x <= y;
    case B_GE: return x >= y;
    case B_AND: return x && y;
    case B_OR: return x || y;
    case B_XOR: return !x != !y;
    case B_SHIFT:
        return uy >= 64 ? 0 : at->left ? (int64_t)(ux << uy) : (int64_t)(ux >> uy);
    case B_MAX: return x > y ? x : y;
    case B_MIN: case B_MEAN: return x < y ? x : y;
    case B_BITAND: return x & y;
    case B_BITOR: return x | y;
    case B_BITXOR: return x ^ y;
    }
    return 0;
}

static double float_op(const bin_attrs *at, double x, double y)
{
    switch (at->code) {
    case B_ADD: case B_SUM: case B_MEAN: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_MOD: return at->fmod_attr ? fmod(x, y) : x - y * floor(x / y);
    case B_POW: return pow(x, y);
    case B_PRELU: return x < 0 ? x * y : x;
    case B_EQ: return x == y;
    case B_LT: return x < y;
    case B_GT: return x > y;
    case B_LE: return x <= y;
    case B_GE: return x >= y;
    case B_AND: return x != 0 && y != 0;
    case B_OR: return x != 0 || y != 0;
    case B_XOR: return (x != 0) != (y != 0);
    case B_MAX: return x > y ? x : y;
    case B_MIN: return x < y ? x : y;
    case B_SHIFT: case B_BITAND: case B_BITOR: case B_BITXOR: return 0; /* integers only */
    }
    return 0;
}

typedef struct {
    const ox_view *a, *b, *o;
    bin_attrs at;
} bin_job;

static void slow_run(const bin_job *j, int64_t ia, int64_t sa, int64_t ib, int64_t sb,
                     int64_t io, int64_t n)
{
    int as_float = j->a->dtype == OX_FLOAT || j->b->dtype == OX_FLOAT;
    for (int64_t i = 0; i < n; i++, ia += sa, ib += sb, io++) {
        if (as_float)
            ox_ew_set_f(j->o->data, j->o->dtype, io,
                        float_op(&j->at, ox_ew_get_f(j->a->data, j->a->dtype, ia),
                                 ox_ew_get_f(j->b->data, j->b->dtype, ib)));
        else
            ox_ew_set_i(j->o->data, j->o->dtype, io,
                        int_op(&j->at, ox_ew_get_i(j->a->data, j->a->dtype, ia),
                               ox_ew_get_i(j->b->data, j->b->dtype, ib)));
    }
}

/* Integer Div and Mod fail on a zero divisor instead of trapping. */
static int check_divisor(const ox_kcall *k, const bin_job *j)
{
    if ((j->at.code != B_DIV && j->at.code != B_MOD) || j->a->dtype == OX_FLOAT ||
        j->b->dtype == OX_FLOAT)
        return 0;
    for (int64_t i = 0; i < j->b->numel; i++)
        if (ox_ew_get_i(j->b->data, j->b->dtype, i) == 0)
            return ox_kfail(k, "integer division by zero");
    return 0;
}

/* out[lo..hi) = a OP b, broadcast. */
static int bin_apply(const ox_kcall *k, const bin_job *j, int64_t lo, int64_t hi)
{
    ew_walk w;
    ew_iter it;
    int64_t run;
    if (check_divisor(k, j))
        return -1;
    bin_fn fn = j->a->dtype == j->b->dtype ? fast_fn(j->at.code, j->a->dtype) : NULL;
    int ea = ox_ew_esize(j->a->dtype), eb = ox_ew_esize(j->b->dtype);
    int eo = ox_ew_esize(j->o->dtype);
    ox_ew_walk_init(&w, j->o->rank, j->o->dims);
    if (ox_ew_walk_bcast(&w, j->a) || ox_ew_walk_bcast(&w, j->b))
        return ox_kfail(k, "the inputs do not broadcast to the output's shape");
    ox_ew_walk_merge(&w);
    int64_t sa = ox_ew_inner(&w, 0), sb = ox_ew_inner(&w, 1);
    for (ox_ew_iter_start(&it, &w, lo, hi); (run = ox_ew_iter_run(&it)) > 0;
         ox_ew_iter_next(&it, run)) {
        if (fn)
            fn((const char *)j->a->data + it.off[0] * ea, sa,
               (const char *)j->b->data + it.off[1] * eb, sb, (char *)j->o->data + it.pos * eo,
               run);
        else
            slow_run(j, it.off[0], sa, it.off[1], sb, it.pos, run);
    }
    return 0;
}

static bin_attrs attrs_of(const ox_kcall *k, bin_code code)
{
    bin_attrs at = {code, (int)ox_attr_int(k->n, "fmod", 0), 1};
    if (code == B_SHIFT)
        at.left = strcmp(ox_attr_str(k->n, "direction", "LEFT"), "LEFT") == 0;
    return at;
}

static int check_inputs(const ox_kcall *k)
{
    for (int i = 0; i < k->n->n_in; i++)
        if (!k->in[i].data || !ox_ew_esize(k->in[i].dtype))
            return ox_kfail(k, "input %d is missing or of an unsupported dtype", i);
    if (!ox_ew_esize(k->out[0].dtype))
        return ox_kfail(k, "unsupported output dtype %d", (int)k->out[0].dtype);
    return 0;
}

int ox_ew_binary(const ox_kcall *k)
{
    bin_code code;
    int64_t lo, hi;
    if (bin_find(k->n->op, &code) || k->n->n_in != 2)
        return ox_kfail(k, "needs two inputs");
    if (check_inputs(k))
        return -1;
    ox_ew_range(k, &lo, &hi);
    bin_job j = {&k->in[0], &k->in[1], &k->out[0], attrs_of(k, code)};
    return bin_apply(k, &j, lo, hi);
}

/* ---- Max, Min, Sum, Mean ------------------------------------------------------ */
static void mean_scale(const ox_view *o, int count, int64_t lo, int64_t hi)
{
    float *y = o->data, s = 1.0f / (float)count;
    for (int64_t i = lo; i < hi; i++)
        y[i] *= s;
}

/* The input to start from: one the output shares memory with (in place),
 * so that it is read before it is overwritten; the operators commute. */
static int first_input(const ox_kcall *k)
{
    for (int i = 0; i < k->n->n_in; i++)
        if (k->in[i].data == k->out[0].data)
            return i;
    return 0;
}

int ox_ew_variadic(const ox_kcall *k)
{
    bin_code code;
    int64_t lo, hi;
    int n_in = k->n->n_in;
    if (bin_find(k->n->op, &code) || n_in < 1 || check_inputs(k))
        return n_in < 1 ? ox_kfail(k, "no inputs") : -1;
    if (code == B_MEAN && k->out[0].dtype != OX_FLOAT)
        return ox_kfail(k, "Mean needs float inputs");
    ox_ew_range(k, &lo, &hi);
    int first = first_input(k);
    bin_job j = {&k->in[first], &k->in[first], &k->out[0], attrs_of(k, code)};
    j.at.code = code == B_MEAN || code == B_SUM ? B_ADD : code;
    if (n_in == 1)
        j.at.code = B_MAX; /* max(x, x) = x: a copy */
    for (int i = 0; i < n_in; i++) {
        if (i == first)
            continue;
        j.b = &k->in[i];
        if (bin_apply(k, &j, lo, hi))
            return -1;
        j.a = &k->out[0]; /* the partial result from here on */
    }
    if (n_in == 1 && bin_apply(k, &j, lo, hi))
        return -1;
    if (code == B_MEAN)
        mean_scale(&k->out[0], n_in, lo, hi);
    return 0;
}

/* ---- Where -------------------------------------------------------------------- */
#define SELECT(T)                                                                 \
    do {                                                                          \
        const T *x_ = (const T *)x->data + it.off[1], *y_ = (const T *)y->data + it.off[2]; \
        T *o_ = (T *)o->data + it.pos;                                            \
        for (int64_t i = 0; i < run; i++)                                         \
            o_[i] = c[i * sc] ? x_[i * sx] : y_[i * sy];                          \
    } while (0)

int ox_ew_where(const ox_kcall *k)
{
    ew_walk w;
    ew_iter it;
    int64_t lo, hi, run;
    if (k->n->n_in != 3 || check_inputs(k))
        return k->n->n_in != 3 ? ox_kfail(k, "needs three inputs") : -1;
    const ox_view *cond = &k->in[0], *x = &k->in[1], *y = &k->in[2], *o = &k->out[0];
    int es = ox_ew_esize(o->dtype);
    if (ox_ew_esize(cond->dtype) != 1 || ox_ew_esize(x->dtype) != es ||
        ox_ew_esize(y->dtype) != es)
        return ox_kfail(k, "needs a bool condition and values of the output's dtype");
    ox_ew_range(k, &lo, &hi);
    ox_ew_walk_init(&w, o->rank, o->dims);
    if (ox_ew_walk_bcast(&w, cond) || ox_ew_walk_bcast(&w, x) || ox_ew_walk_bcast(&w, y))
        return ox_kfail(k, "the inputs do not broadcast to the output's shape");
    ox_ew_walk_merge(&w);
    int64_t sc = ox_ew_inner(&w, 0), sx = ox_ew_inner(&w, 1), sy = ox_ew_inner(&w, 2);
    for (ox_ew_iter_start(&it, &w, lo, hi); (run = ox_ew_iter_run(&it)) > 0;
         ox_ew_iter_next(&it, run)) {
        const uint8_t *c = (const uint8_t *)cond->data + it.off[0];
        switch (es) {
        case 1: SELECT(uint8_t); break;
        case 2: SELECT(uint16_t); break;
        case 4: SELECT(uint32_t); break;
        default: SELECT(uint64_t); break;
        }
    }
    return 0;
}
