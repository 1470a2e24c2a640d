/* Element-wise operators and reductions: shapes (the input's, or the
 * broadcast of the inputs'), folding of small integer arithmetic, and flops.
 *
 * Flops per output element, written where each operator is listed: 1 for
 * one arithmetic operation or comparison, 4 for a transcendental function
 * (exp, log, tanh, erf, pow, sigmoid ...). A variadic operator does one
 * operation per input after the first. None of them multiply-accumulate:
 * macs stay 0. Reductions count one operation per input element.
 */
#include <math.h>

#include "onnx/ops.h"

/* ---- unary operators ------------------------------------------------------ */
typedef enum {
    FOLD_NONE, FOLD_NEG, FOLD_ABS, FOLD_NOT, FOLD_RELU, FOLD_SQRT, FOLD_FLOOR, FOLD_CEIL,
    FOLD_ROUND, FOLD_RECIP, FOLD_EXP, FOLD_LOG, FOLD_SIGN, FOLD_BITNOT
} unary_fold;

typedef struct {
    const char *op;
    double flops;     /* per element */
    unary_fold fold;  /* how to fold small values, FOLD_NONE for never */
} unary_op;

static const unary_op unary_ops[] = {
    {"Relu", 1, FOLD_RELU}, {"LeakyRelu", 2, FOLD_NONE},   /* compare, multiply */
    {"Sigmoid", 4, FOLD_NONE}, {"HardSigmoid", 3, FOLD_NONE}, /* mul, add, clamp */
    {"HardSwish", 4, FOLD_NONE}, {"Elu", 4, FOLD_NONE}, {"Selu", 4, FOLD_NONE},
    {"Softplus", 4, FOLD_NONE}, {"Softsign", 3, FOLD_NONE}, {"Mish", 12, FOLD_NONE},
    {"Tanh", 4, FOLD_NONE}, {"Erf", 4, FOLD_NONE}, {"Exp", 4, FOLD_EXP},
    {"Log", 4, FOLD_LOG}, {"Sin", 4, FOLD_NONE}, {"Cos", 4, FOLD_NONE},
    {"Sqrt", 1, FOLD_SQRT}, {"Reciprocal", 1, FOLD_RECIP}, {"Neg", 1, FOLD_NEG},
    {"Abs", 1, FOLD_ABS}, {"Floor", 1, FOLD_FLOOR}, {"Ceil", 1, FOLD_CEIL},
    {"Round", 1, FOLD_ROUND}, {"Sign", 1, FOLD_SIGN}, {"Not", 1, FOLD_NOT},
    {"IsNaN", 1, FOLD_NONE}, {"IsInf", 1, FOLD_NONE}, {"CumSum", 1, FOLD_NONE},
    {"Celu", 4, FOLD_NONE}, {"ThresholdedRelu", 2, FOLD_NONE}, {"Shrink", 2, FOLD_NONE},
    {"Gelu", 8, FOLD_NONE}, /* erf or tanh, and 4 arithmetic operations */
    {"Tan", 4, FOLD_NONE}, {"Asin", 4, FOLD_NONE}, {"Acos", 4, FOLD_NONE},
    {"Atan", 4, FOLD_NONE}, {"Sinh", 4, FOLD_NONE}, {"Cosh", 4, FOLD_NONE},
    {"Asinh", 4, FOLD_NONE}, {"Acosh", 4, FOLD_NONE}, {"Atanh", 4, FOLD_NONE},
    {"BitwiseNot", 1, FOLD_BITNOT},
    {"MeanVarianceNormalization", 5, FOLD_NONE}, /* mean, variance, normalize */
    {"Trilu", 0, FOLD_NONE}, /* a masked copy */
    {"Clip", 2, FOLD_NONE},  /* max, min; folded by clip() */
    {NULL, 0, FOLD_NONE},
};

static const unary_op *unary_find(const char *op)
{
    for (const unary_op *u = unary_ops; u->op; u++)
        if (strcmp(u->op, op) == 0)
            return u;
    return NULL;
}

static double unary_float(unary_fold f, double x)
{
    switch (f) {
    case FOLD_NEG: return -x;
    case FOLD_ABS: return fabs(x);
    case FOLD_NOT: return x == 0;
    case FOLD_RELU: return x > 0 ? x : 0;
    case FOLD_SQRT: return sqrt(x);
    case FOLD_FLOOR: return floor(x);
    case FOLD_CEIL: return ceil(x);
    case FOLD_ROUND: return nearbyint(x); /* half to even, as ONNX */
    case FOLD_RECIP: return 1 / x;
    case FOLD_EXP: return exp(x);
    case FOLD_LOG: return log(x);
    case FOLD_SIGN: return (x > 0) - (x < 0);
    default: return x;
    }
}

/* Integer results; 0 when the value does not fold (INT64_MIN's negation,
 * or an operation that makes no integer). */
static int unary_int(unary_fold f, int64_t x, int64_t *out)
{
    switch (f) {
    case FOLD_NEG: case FOLD_ABS:
        if (x == INT64_MIN)
            return 0;
        *out = f == FOLD_NEG || x < 0 ? -x : x;
        return 1;
    case FOLD_NOT: *out = x == 0; return 1;
    case FOLD_RELU: *out = x > 0 ? x : 0; return 1;
    case FOLD_SIGN: *out = (x > 0) - (x < 0); return 1;
    case FOLD_BITNOT: *out = ~x; return 1;
    case FOLD_FLOOR: case FOLD_CEIL: case FOLD_ROUND: *out = x; return 1;
    default: return 0;
    }
}

static void unary_fold_values(ox_ctx *c, unary_fold f, const ox_tensor *x, ox_tensor *y)
{
    if (f == FOLD_NONE || !ox_folded(x) || !ops_fold_room(c, y))
        return;
    int64_t count = ox_numel(y);
    for (int64_t i = 0; i < count; i++) {
        if (!y->ival) {
            y->fval[i] = unary_float(f, ox_getf(x, i));
        } else if (!x->ival || !unary_int(f, x->ival[i], &y->ival[i])) {
            y->ival = NULL; /* leave the value unfolded */
            return;
        }
    }
}

/* Relu, Sigmoid, Sqrt, Neg, Not, ...: Y has X's shape and dtype (boolean
 * for IsNaN and IsInf). */
static int unary(ox_ctx *c, ox_node *n)
{
    const unary_op *u = unary_find(n->op);
    if (ops_same(c, n, 0, 0))
        return -1;
    if (strncmp(n->op, "Is", 2) == 0 && ox_out(c, n, 0))
        ox_out(c, n, 0)->dtype = OX_BOOL;
    int64_t count = ox_numel(ox_out(c, n, 0));
    n->flops = count > 0 ? u->flops * (double)count : 0;
    unary_fold_values(c, u->fold, ox_in(c, n, 0), ox_out(c, n, 0));
    return 0;
}

/* A double as an integer of a folded value; 0 when it has none (NaN, out
 * of range). */
static int double_to_int(double v, int64_t *out)
{
    if (!(v > -9.2e18 && v < 9.2e18))
        return 0;
    *out = (int64_t)v; /* truncates toward zero, as ONNX's Cast */
    return 1;
}

static void clip_fold(ox_ctx *c, const ox_tensor *x, ox_tensor *y, double lo, double hi)
{
    if (!ox_folded(x) || !ops_fold_room(c, y))
        return;
    for (int64_t i = 0; i < ox_numel(y); i++) {
        double v = fmin(fmax(ox_getf(x, i), lo), hi);
        if (!y->ival) {
            y->fval[i] = v;
        } else if (!double_to_int(v, &y->ival[i])) {
            y->ival = NULL;
            return;
        }
    }
}

/* Clip: min and max are attributes before opset 11, optional inputs from
 * 11; folds when X and the bounds are known. */
static int clip(ox_ctx *c, ox_node *n)
{
    if (unary(c, n))
        return -1;
    double lo = -INFINITY, hi = INFINITY;
    if (n->opset < 11) {
        lo = ox_attr_float(n, "min", lo);
        hi = ox_attr_float(n, "max", hi);
    } else {
        const ox_tensor *tmin = ox_in(c, n, 1), *tmax = ox_in(c, n, 2);
        if ((tmin && !ox_folded(tmin)) || (tmax && !ox_folded(tmax)))
            return 0;
        lo = tmin && ox_numel(tmin) > 0 ? ox_getf(tmin, 0) : lo;
        hi = tmax && ox_numel(tmax) > 0 ? ox_getf(tmax, 0) : hi;
    }
    clip_fold(c, ox_in(c, n, 0), ox_out(c, n, 0), lo, hi);
    return 0;
}

/* Identity: a copy, 0 flops; its value folds through. */
static int identity(ox_ctx *c, ox_node *n)
{
    if (ops_same(c, n, 0, 0))
        return -1;
    ops_fold_copy(c, ox_in(c, n, 0), ox_out(c, n, 0));
    return 0;
}

/* Dropout at inference: Y = X (0 flops); the optional mask is boolean from
 * opset 10, X's type before. */
static int dropout(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    if (identity(c, n))
        return -1;
    int32_t mask = n->opset >= 10 ? OX_BOOL : x ? x->dtype : OX_UNDEFINED;
    if (!ox_known(x))
        return ops_unknown(c, n, 1, mask);
    return ops_set(c, n, 1, mask, x->rank, x->dims);
}

/* ---- Cast ------------------------------------------------------------------- */
static void cast_fold(ox_ctx *c, const ox_tensor *x, ox_tensor *y)
{
    if (!ox_folded(x) || !ops_fold_room(c, y))
        return;
    for (int64_t i = 0; i < ox_numel(y); i++) {
        if (!y->ival)
            y->fval[i] = ox_getf(x, i);
        else if (y->dtype == OX_BOOL)
            y->ival[i] = ox_getf(x, i) != 0;
        else if (x->ival)
            y->ival[i] = x->ival[i];
        else if (!double_to_int(x->fval[i], &y->ival[i])) {
            y->ival = NULL;
            return;
        }
    }
}

/* Cast (to: attribute) and CastLike (to: input 1's type): 0 flops. */
static int cast(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0), *like = ox_in(c, n, 1);
    int32_t to = strcmp(n->op, "CastLike") == 0 ? (like ? like->dtype : OX_UNDEFINED)
                                                 : (int32_t)ox_attr_int(n, "to", OX_UNDEFINED);
    if (!ox_known(x))
        return ops_unknown(c, n, 0, to);
    if (ops_set(c, n, 0, to, x->rank, x->dims))
        return -1;
    cast_fold(c, x, ox_out(c, n, 0));
    return 0;
}

/* ---- broadcasting operators ---------------------------------------------------- */
typedef enum {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_MAX, B_MIN, B_EQ, B_LT, B_GT, B_LE, B_GE,
    B_AND, B_OR, B_XOR, B_PRELU, B_BITAND, B_BITOR, B_BITXOR, B_NONE
} binary_code;

typedef struct {
    const char *op;
    double flops;        /* per output element and input after the first */
    binary_code code;
    int is_compare;      /* boolean result */
} binary_op;

static const binary_op binary_ops[] = {
    {"Add", 1, B_ADD, 0}, {"Sub", 1, B_SUB, 0}, {"Mul", 1, B_MUL, 0}, {"Div", 1, B_DIV, 0},
    {"Pow", 4, B_POW, 0}, {"Mod", 1, B_MOD, 0}, {"Max", 1, B_MAX, 0}, {"Min", 1, B_MIN, 0},
    {"Sum", 1, B_ADD, 0}, {"Mean", 1, B_NONE, 0}, /* Mean: one more per element, below */
    {"Equal", 1, B_EQ, 1}, {"Less", 1, B_LT, 1}, {"Greater", 1, B_GT, 1},
    {"LessOrEqual", 1, B_LE, 1}, {"GreaterOrEqual", 1, B_GE, 1}, {"And", 1, B_AND, 1},
    {"Or", 1, B_OR, 1}, {"Xor", 1, B_XOR, 1}, {"BitShift", 1, B_NONE, 0},
    {"PRelu", 2, B_PRELU, 0}, /* compare, multiply */
    {"BitwiseAnd", 1, B_BITAND, 0}, {"BitwiseOr", 1, B_BITOR, 0},
    {"BitwiseXor", 1, B_BITXOR, 0},
    {NULL, 0, B_NONE, 0},
};

static const binary_op *binary_find(const char *op)
{
    for (const binary_op *b = binary_ops; b->op; b++)
        if (strcmp(b->op, op) == 0)
            return b;
    return NULL;
}

static int64_t ipow(int64_t base, int64_t exp, int *ok)
{
    int64_t r = 1;
    *ok = exp >= 0;
    for (int64_t i = 0; *ok && i < exp && r != 0; i++)
        *ok = !__builtin_mul_overflow(r, base, &r) && i < 64;
    return r;
}

/* a OP b on integers; 0 when the result does not fold (overflow, division
 * by zero). Integer division truncates toward zero, as ONNX's Div. */
static int binary_int(binary_code code, int fmod_attr, int64_t a, int64_t b, int64_t *r)
{
    int ok = 1;
    switch (code) {
    case B_ADD: return !__builtin_add_overflow(a, b, r);
    case B_SUB: return !__builtin_sub_overflow(a, b, r);
    case B_MUL: return !__builtin_mul_overflow(a, b, r);
    case B_DIV:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return 0;
        *r = a / b;
        return 1;
    case B_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return 0;
        *r = a % b; /* fmod=0: the sign of the divisor, as Python's % */
        if (!fmod_attr && *r != 0 && ((*r < 0) != (b < 0)))
            *r += b;
        return 1;
    case B_POW: *r = ipow(a, b, &ok); return ok;
    case B_MAX: *r = a > b ? a : b; return 1;
    case B_MIN: *r = a < b ? a : b; return 1;
    case B_EQ: *r = a == b; return 1;
    case B_LT: *r = a < b; return 1;
    case B_GT: *r = a > b; return 1;
    case B_LE: *r = a <= b; return 1;
    case B_GE: *r = a >= b; return 1;
    case B_AND: *r = a && b; return 1;
    case B_OR: *r = a || b; return 1;
    case B_XOR: *r = !a != !b; return 1;
    case B_BITAND: *r = a & b; return 1;
    case B_BITOR: *r = a | b; return 1;
    case B_BITXOR: *r = a ^ b; return 1;
    case B_PRELU:
        if (a >= 0)
            return *r = a, 1;
        return !__builtin_mul_overflow(a, b, r);
    default: return 0;
    }
}

static double binary_float(binary_code code, int fmod_attr, double a, double b)
{
    switch (code) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MOD: return fmod_attr ? fmod(a, b) : a - b * floor(a / b);
    case B_POW: return pow(a, b);
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_LE: return a <= b;
    case B_GE: return a >= b;
    case B_AND: return a != 0 && b != 0;
    case B_OR: return a != 0 || b != 0;
    case B_XOR: return (a != 0) != (b != 0);
    case B_PRELU: return a < 0 ? a * b : a;
    default: return 0;
    }
}

/* Element `flat` of the output, folded over the inputs left to right. */
static int binary_element(ox_ctx *c, const ox_node *n, const binary_op *b, int all_int,
                          int64_t flat, int64_t *iv, double *fv)
{
    const ox_tensor *y = ox_out(c, n, 0);
    int fmod_attr = (int)ox_attr_int(n, "fmod", 0);
    for (int k = 0; k < n->n_in; k++) {
        const ox_tensor *x = ox_in(c, n, k);
        int64_t at = ops_bcast_index(x, y->rank, y->dims, flat);
        if (k == 0) {
            *iv = x->ival ? x->ival[at] : 0;
            *fv = ox_getf(x, at);
        } else if (all_int) {
            if (!binary_int(b->code, fmod_attr, *iv, x->ival[at], iv))
                return 0;
        } else {
            *fv = binary_float(b->code, fmod_attr, *fv, ox_getf(x, at));
        }
    }
    return 1;
}

static void binary_fold(ox_ctx *c, const ox_node *n, const binary_op *b)
{
    ox_tensor *y = ox_out(c, n, 0);
    int all_int = 1;
    for (int k = 0; k < n->n_in; k++) {
        const ox_tensor *x = ox_in(c, n, k);
        if (!ox_folded(x))
            return;
        all_int &= x->ival != NULL;
    }
    if (b->code == B_NONE || n->n_in < 1 || !ops_fold_room(c, y))
        return;
    for (int64_t i = 0; i < ox_numel(y); i++) {
        int64_t iv = 0;
        double fv = 0;
        int ok = binary_element(c, n, b, all_int, i, &iv, &fv);
        if (ok && y->ival && !all_int)
            ok = double_to_int(fv, &iv);
        if (!ok) {
            y->ival = NULL, y->fval = NULL;
            return;
        }
        if (y->ival)
            y->ival[i] = iv;
        else
            y->fval[i] = all_int ? (double)iv : fv;
    }
}

/* Add, Mul, Equal, Max, Sum, ...: the inputs broadcast (numpy rules); the
 * type is the first input's, boolean for comparisons. */
static int binary(ox_ctx *c, ox_node *n)
{
    const binary_op *b = binary_find(n->op);
    const ox_tensor *a = ox_in(c, n, 0);
    int32_t dtype = b->is_compare ? OX_BOOL : a ? a->dtype : OX_UNDEFINED;
    int rank;
    int64_t dims[OX_MAX_RANK];
    int rc = ox_broadcast(c, n, &rank, dims);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return ops_unknown(c, n, 0, dtype);
    if (ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    int64_t count = ops_prod(dims, 0, rank);
    int ops = JF__MAX(n->n_in - 1, 0) + (strcmp(n->op, "Mean") == 0);
    n->flops = b->flops * (double)ops * (double)count;
    binary_fold(c, n, b);
    return 0;
}

/* Where(cond, X, Y): broadcast of the three, X's type; one select per
 * element. Folds when all three are known. */
static int where(ox_ctx *c, ox_node *n)
{
    const ox_tensor *cond = ox_in(c, n, 0), *x = ox_in(c, n, 1), *y = ox_in(c, n, 2);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    int rank;
    int64_t dims[OX_MAX_RANK];
    int rc = n->n_in == 3 && cond && x && y ? ox_broadcast(c, n, &rank, dims)
                                            : ox_fail(c, n, "needs three inputs");
    if (rc)
        return rc < 0 ? -1 : ops_unknown(c, n, 0, dtype);
    if (ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    ox_tensor *out = ox_out(c, n, 0);
    n->flops = (double)ops_prod(dims, 0, rank);
    if (!ox_folded(cond) || !ox_folded(x) || !ox_folded(y) || !ops_fold_room(c, out))
        return 0;
    for (int64_t i = 0; i < ox_numel(out); i++) {
        const ox_tensor *from = ops_geti(cond, ops_bcast_index(cond, rank, dims, i)) ? x : y;
        int64_t at = ops_bcast_index(from, rank, dims, i);
        if (out->ival)
            out->ival[i] = ops_geti(from, at);
        else
            out->fval[i] = ox_getf(from, at);
    }
    return 0;
}

/* ---- reductions ----------------------------------------------------------------- */
/* The opset from which a reduction takes its axes as an input. */
static int axes_input_opset(const char *op)
{
    return strcmp(op, "ReduceSum") == 0 ? 13 : 18;
}

/* Which axes a reduction reduces (mask[d] = 1); 1 when they are not known
 * (an axes input that did not fold). */
static int reduced_axes(ox_ctx *c, const ox_node *n, int rank, uint8_t *mask)
{
    int64_t axes[OX_MAX_RANK];
    int as_input = n->opset >= axes_input_opset(n->op);
    int count = ops_ints(c, n, as_input ? 1 : -1, as_input ? NULL : "axes", axes, OX_MAX_RANK);
    if (count == OPS_UNKNOWN)
        return 1;
    if (count > OX_MAX_RANK)
        return ox_fail(c, n, "%d axes for rank %d", count, rank);
    int all = count == OPS_ABSENT && !ox_attr_int(n, "noop_with_empty_axes", 0);
    for (int d = 0; d < rank; d++)
        mask[d] = (uint8_t)all;
    for (int i = 0; i < count; i++) {
        int axis;
        if (ops_axis(c, n, axes[i], rank, &axis))
            return -1;
        mask[axis] = 1;
    }
    return 0;
}

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_OTHER } reduce_code;

static reduce_code reduce_code_of(const char *op)
{
    static const char *const names[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                                        "ReduceProd"};
    for (int i = 0; i < 5; i++)
        if (strcmp(op, names[i]) == 0)
            return (reduce_code)i;
    return R_OTHER;
}

/* Output flat index of input element `flat` (reduced axes dropped). */
static int64_t reduced_index(const ox_tensor *x, const uint8_t *mask, int64_t flat)
{
    int64_t index = 0, stride = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        int64_t coord = flat % x->dims[d];
        flat /= x->dims[d];
        if (mask[d])
            continue;
        index += coord * stride;
        stride *= x->dims[d];
    }
    return index;
}

/* Folds Sum/Mean/Max/Min/Prod of small values (in double: shape values
 * stay far below 2^53). */
static void reduce_fold(ox_ctx *c, const ox_node *n, const uint8_t *mask)
{
    const ox_tensor *x = ox_in(c, n, 0);
    ox_tensor *y = ox_out(c, n, 0);
    reduce_code code = reduce_code_of(n->op);
    int64_t count_in = ox_numel(x), count_out = ox_numel(y);
    if (code == R_OTHER || !ox_folded(x) || count_out == 0 || !ops_fold_room(c, y))
        return;
    double *acc = jf__calloc((size_t)count_out, sizeof *acc);
    uint8_t *seen = jf__calloc((size_t)count_out, 1);
    for (int64_t i = 0; acc && seen && i < count_in; i++) {
        int64_t o = reduced_index(x, mask, i);
        double v = ox_getf(x, i), *a = &acc[o];
        *a = !seen[o] ? v : code == R_MAX ? fmax(*a, v) : code == R_MIN ? fmin(*a, v)
             : code == R_PROD ? *a * v : *a + v;
        seen[o] = 1;
    }
    for (int64_t o = 0; acc && seen && o < count_out; o++) {
        double v = code == R_MEAN ? acc[o] * (double)count_out / (double)count_in : acc[o];
        if (!y->ival)
            y->fval[o] = v;
        else if (!double_to_int(v, &y->ival[o]))
            y->ival = NULL;
    }
    if (!acc || !seen)
        y->ival = NULL, y->fval = NULL;
    jf__free(acc);
    jf__free(seen);
}

/* ReduceMean, ReduceMax, ...: axes are an attribute before opset 18 (13 for
 * ReduceSum), an optional input after; keepdims (default 1) keeps them as
 * 1. Flops: one per input element. */
static int reduce(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int32_t dtype = x ? x->dtype : OX_UNDEFINED;
    uint8_t mask[OX_MAX_RANK];
    int64_t dims[OX_MAX_RANK];
    if (!ox_known(x))
        return ops_unknown(c, n, 0, dtype);
    int rc = reduced_axes(c, n, x->rank, mask);
    if (rc)
        return rc < 0 ? -1 : ops_unknown(c, n, 0, dtype);
    int keep = (int)ox_attr_int(n, "keepdims", 1), rank = 0;
    for (int d = 0; d < x->rank; d++)
        if (!mask[d] || keep)
            dims[rank++] = mask[d] ? 1 : x->dims[d];
    if (ops_set(c, n, 0, dtype, rank, dims))
        return -1;
    n->flops = (double)ox_numel(x);
    reduce_fold(c, n, mask);
    return 0;
}

/* ArgMax, ArgMin: one axis (attribute, default 0), int64 indices; one
 * comparison per input element. */
static int arg_reduce(ox_ctx *c, ox_node *n)
{
    const ox_tensor *x = ox_in(c, n, 0);
    int64_t dims[OX_MAX_RANK];
    int axis, rank = 0;
    if (!ox_known(x))
        return ops_unknown(c, n, 0, OX_INT64);
    if (ops_axis(c, n, ox_attr_int(n, "axis", 0), x->rank, &axis))
        return -1;
    int keep = (int)ox_attr_int(n, "keepdims", 1);
    for (int d = 0; d < x->rank; d++)
        if (d != axis || keep)
            dims[rank++] = d == axis ? 1 : x->dims[d];
    n->flops = (double)ox_numel(x);
    return ops_set(c, n, 0, OX_INT64, rank, dims);
}

const ox_rule ox_rules_elementwise[] = {
    {"Relu", unary}, {"LeakyRelu", unary}, {"Sigmoid", unary}, {"HardSigmoid", unary},
    {"HardSwish", unary}, {"Elu", unary}, {"Selu", unary}, {"Softplus", unary},
    {"Softsign", unary}, {"Mish", unary}, {"Tanh", unary}, {"Erf", unary}, {"Exp", unary},
    {"Log", unary}, {"Sin", unary}, {"Cos", unary}, {"Sqrt", unary}, {"Reciprocal", unary},
    {"Neg", unary}, {"Abs", unary}, {"Floor", unary}, {"Ceil", unary}, {"Round", unary},
    {"Sign", unary}, {"Not", unary}, {"IsNaN", unary}, {"IsInf", unary}, {"CumSum", unary},
    {"Trilu", unary}, {"Celu", unary}, {"ThresholdedRelu", unary}, {"Shrink", unary},
    {"Gelu", unary}, {"Tan", unary}, {"Asin", unary}, {"Acos", unary}, {"Atan", unary},
    {"Sinh", unary}, {"Cosh", unary}, {"Asinh", unary}, {"Acosh", unary}, {"Atanh", unary},
    {"BitwiseNot", unary}, {"MeanVarianceNormalization", unary}, {"Clip", clip},
    {"Identity", identity}, {"Dropout", dropout},
    {"Cast", cast}, {"CastLike", cast},
    {"Add", binary}, {"Sub", binary}, {"Mul", binary}, {"Div", binary}, {"Pow", binary},
    {"Mod", binary}, {"Max", binary}, {"Min", binary}, {"Sum", binary}, {"Mean", binary},
    {"Equal", binary}, {"Less", binary}, {"Greater", binary}, {"LessOrEqual", binary},
    {"GreaterOrEqual", binary}, {"And", binary}, {"Or", binary}, {"Xor", binary},
    {"BitShift", binary}, {"PRelu", binary}, {"BitwiseAnd", binary}, {"BitwiseOr", binary},
    {"BitwiseXor", binary}, {"Where", where},
    {"ReduceMean", reduce}, {"ReduceMax", reduce}, {"ReduceMin", reduce},
    {"ReduceSum", reduce}, {"ReduceProd", reduce}, {"ReduceL1", reduce},
    {"ReduceL2", reduce}, {"ReduceLogSum", reduce}, {"ReduceLogSumExp", reduce},
    {"ReduceSumSquare", reduce}, {"ArgMax", arg_reduce}, {"ArgMin", arg_reduce},
    {NULL, NULL},
};
