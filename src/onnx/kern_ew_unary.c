/* One-input element-wise kernels: activations and math on float32 in plain
 * loops the compiler vectorizes, the few that take integers (Neg, Abs,
 * Relu, Sign, Not, BitwiseNot) through the generic element access, Clip
 * and Cast. */
#include <float.h>
#include <math.h>

#include "onnx/kern_ew.h"

typedef struct {
    float a, b; /* the operator's attributes (alpha, beta, ...: unary_ops) */
} unary_params;

typedef void (*unary_fn)(const float *x, float *y, int64_t n, const unary_params *p);

/* y[i] = EXPR of v = x[i]; x and y may be the same buffer. */
#define UNARY(NAME, EXPR)                                                         \
    EW_VEC static void NAME(const float *x, float *y, int64_t n, const unary_params *p) \
    {                                                                             \
        const float a = p->a, b = p->b;                                           \
        (void)a, (void)b;                                                         \
        for (int64_t i = 0; i < n; i++) {                                         \
            float v = x[i];                                                       \
            y[i] = (EXPR);                                                        \
        }                                                                         \
    }

/* log(1 + e^v) = max(v, 0) + log(1 + e^-|v|): no overflow for large v, and
 * no branch around the calls, so the loop vectorizes. */
static float softplus(float v)
{
    return (v > 0 ? v : 0.0f) + log1pf(expf(-fabsf(v)));
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

UNARY(f_relu, v > 0 ? v : 0.0f)
UNARY(f_leaky_relu, v >= 0 ? v : v * a)
UNARY(f_sigmoid, 1.0f / (1.0f + expf(-v)))
UNARY(f_hard_sigmoid, clampf(a * v + b, 0.0f, 1.0f))
UNARY(f_hard_swish, v * clampf(v * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f))
/* Elu and Selu call expm1f on both sides of 0 (with 0 on one), so the
 * loops have no branch around the call and vectorize. */
UNARY(f_elu, (v > 0 ? v : 0.0f) + a * expm1f(v < 0 ? v : 0.0f))
UNARY(f_selu, b * ((v > 0 ? v : 0.0f) + a * expm1f(v < 0 ? v : 0.0f)))
UNARY(f_softplus, softplus(v))
UNARY(f_softsign, v / (1.0f + fabsf(v)))
UNARY(f_mish, v * tanhf(softplus(v)))
UNARY(f_tanh, tanhf(v))
UNARY(f_erf, erff(v))
UNARY(f_exp, expf(v))
UNARY(f_log, logf(v))
UNARY(f_sin, sinf(v))
UNARY(f_cos, cosf(v))
UNARY(f_sqrt, sqrtf(v))
UNARY(f_reciprocal, 1.0f / v)
UNARY(f_neg, -v)
UNARY(f_abs, fabsf(v))
UNARY(f_floor, floorf(v))
UNARY(f_ceil, ceilf(v))
UNARY(f_round, rintf(v)) /* half to even in the default rounding mode, as ONNX */
UNARY(f_sign, (float)((v > 0) - (v < 0)))
UNARY(f_celu, (v > 0 ? v : 0.0f) + a * expm1f((v < 0 ? v : 0.0f) / a))
UNARY(f_thresholded_relu, v > a ? v : 0.0f)
UNARY(f_shrink, v < -a ? v + b : v > a ? v - b : 0.0f)
UNARY(f_gelu, 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)))
UNARY(f_gelu_tanh,
      0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v))))
UNARY(f_tan, tanf(v))
UNARY(f_asin, asinf(v))
UNARY(f_acos, acosf(v))
UNARY(f_atan, atanf(v))
UNARY(f_sinh, sinhf(v))
UNARY(f_cosh, coshf(v))
UNARY(f_asinh, asinhf(v))
UNARY(f_acosh, acoshf(v))
UNARY(f_atanh, atanhf(v))

typedef struct {
    const char *op;
    unary_fn fn;
    const char *a_name, *b_name; /* attributes read into a and b (NULL: none) */
    float a, b;                  /* their defaults */
} unary_op;

static const unary_op unary_ops[] = {
    {"Relu", f_relu, NULL, NULL, 0, 0},
    {"LeakyRelu", f_leaky_relu, "alpha", NULL, 0.01f, 0},
    {"Sigmoid", f_sigmoid, NULL, NULL, 0, 0},
    {"HardSigmoid", f_hard_sigmoid, "alpha", "beta", 0.2f, 0.5f},
    {"HardSwish", f_hard_swish, NULL, NULL, 0, 0},
    {"Elu", f_elu, "alpha", NULL, 1.0f, 0},
    {"Selu", f_selu, "alpha", "gamma", 1.67326319217681884765625f,
     1.05070102214813232421875f},
    {"Celu", f_celu, "alpha", NULL, 1.0f, 0},
    {"ThresholdedRelu", f_thresholded_relu, "alpha", NULL, 1.0f, 0},
    {"Shrink", f_shrink, "lambd", "bias", 0.5f, 0},
    {"Gelu", f_gelu, NULL, NULL, 0, 0}, /* approximate="tanh": f_gelu_tanh */
    {"Softplus", f_softplus, NULL, NULL, 0, 0},
    {"Softsign", f_softsign, NULL, NULL, 0, 0},
    {"Mish", f_mish, NULL, NULL, 0, 0},
    {"Tanh", f_tanh, NULL, NULL, 0, 0}, {"Erf", f_erf, NULL, NULL, 0, 0},
    {"Exp", f_exp, NULL, NULL, 0, 0}, {"Log", f_log, NULL, NULL, 0, 0},
    {"Sin", f_sin, NULL, NULL, 0, 0}, {"Cos", f_cos, NULL, NULL, 0, 0},
    {"Tan", f_tan, NULL, NULL, 0, 0}, {"Asin", f_asin, NULL, NULL, 0, 0},
    {"Acos", f_acos, NULL, NULL, 0, 0}, {"Atan", f_atan, NULL, NULL, 0, 0},
    {"Sinh", f_sinh, NULL, NULL, 0, 0}, {"Cosh", f_cosh, NULL, NULL, 0, 0},
    {"Asinh", f_asinh, NULL, NULL, 0, 0}, {"Acosh", f_acosh, NULL, NULL, 0, 0},
    {"Atanh", f_atanh, NULL, NULL, 0, 0}, {"Sqrt", f_sqrt, NULL, NULL, 0, 0},
    {"Reciprocal", f_reciprocal, NULL, NULL, 0, 0}, {"Neg", f_neg, NULL, NULL, 0, 0},
    {"Abs", f_abs, NULL, NULL, 0, 0}, {"Floor", f_floor, NULL, NULL, 0, 0},
    {"Ceil", f_ceil, NULL, NULL, 0, 0}, {"Round", f_round, NULL, NULL, 0, 0},
    {"Sign", f_sign, NULL, NULL, 0, 0},
    {NULL, NULL, NULL, NULL, 0, 0},
};

static const unary_op *unary_find(const char *op)
{
    for (const unary_op *u = unary_ops; u->op; u++)
        if (strcmp(u->op, op) == 0)
            return u;
    return NULL;
}

/* Fails unless input 0 is there and has the output's element count. */
static int same_count(const ox_kcall *k)
{
    if (!k->in[0].data || k->in[0].numel != k->out[0].numel)
        return ox_kfail(k, "the input is missing or its size is not the output's");
    return 0;
}

/* ---- integer and boolean inputs ---- */
typedef enum { I_NEG, I_ABS, I_RELU, I_SIGN, I_SAME, I_NOT, I_BITNOT } int_kind;

static int int_kind_of(const char *op, int_kind *kind)
{
    static const struct {
        const char *op;
        int_kind kind;
    } ops[] = {{"Neg", I_NEG},    {"Abs", I_ABS},   {"Relu", I_RELU},  {"Sign", I_SIGN},
               {"Floor", I_SAME}, {"Ceil", I_SAME}, {"Round", I_SAME}, {"Not", I_NOT},
               {"BitwiseNot", I_BITNOT}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(ops[i].op, op) == 0)
            return *kind = ops[i].kind, 0;
    return -1;
}

static int64_t int_apply(int_kind kind, int64_t v)
{
    uint64_t neg = 0 - (uint64_t)v; /* wraps, as the fixed-width type does */
    switch (kind) {
    case I_NEG: return (int64_t)neg;
    case I_ABS: return v < 0 ? (int64_t)neg : v;
    case I_RELU: return v > 0 ? v : 0;
    case I_SIGN: return (v > 0) - (v < 0);
    case I_SAME: return v;
    case I_NOT: return v == 0;
    case I_BITNOT: return (int64_t)~(uint64_t)v; /* the width's bits, once stored */
    }
    return v;
}

static int int_unary(const ox_kcall *k, int64_t lo, int64_t hi)
{
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int_kind kind;
    if (int_kind_of(k->n->op, &kind))
        return ox_kfail(k, "no kernel for dtype %d", (int)x->dtype);
    for (int64_t i = lo; i < hi; i++)
        ox_ew_set_i(y->data, y->dtype, i, int_apply(kind, ox_ew_get_i(x->data, x->dtype, i)));
    return 0;
}

/* IsNaN, IsInf: float in, bool out. */
static int classify(const ox_kcall *k, int64_t lo, int64_t hi)
{
    const float *x = k->in[0].data;
    uint8_t *y = k->out[0].data;
    if (k->in[0].dtype != OX_FLOAT || k->out[0].dtype != OX_BOOL)
        return ox_kfail(k, "needs a float input and a bool output, not dtypes %d and %d",
                        (int)k->in[0].dtype, (int)k->out[0].dtype);
    if (!strcmp(k->n->op, "IsNaN")) {
        for (int64_t i = lo; i < hi; i++)
            y[i] = isnan(x[i]) != 0;
        return 0;
    }
    int neg = (int)ox_attr_int(k->n, "detect_negative", 1);
    int pos = (int)ox_attr_int(k->n, "detect_positive", 1);
    for (int64_t i = lo; i < hi; i++)
        y[i] = isinf(x[i]) && ((x[i] > 0 && pos) || (x[i] < 0 && neg));
    return 0;
}

int ox_ew_unary(const ox_kcall *k)
{
    int64_t lo, hi;
    if (same_count(k))
        return -1;
    ox_ew_range(k, &lo, &hi);
    const char *op = k->n->op;
    if (!strcmp(op, "IsNaN") || !strcmp(op, "IsInf"))
        return classify(k, lo, hi);
    if (k->in[0].dtype != OX_FLOAT || k->out[0].dtype != OX_FLOAT)
        return int_unary(k, lo, hi);
    const unary_op *u = unary_find(op);
    if (!u)
        return ox_kfail(k, "no float kernel");
    unary_params p = {u->a_name ? (float)ox_attr_float(k->n, u->a_name, u->a) : u->a,
                      u->b_name ? (float)ox_attr_float(k->n, u->b_name, u->b) : u->b};
    unary_fn fn = u->fn;
    if (!strcmp(op, "Gelu") && !strcmp(ox_attr_str(k->n, "approximate", "none"), "tanh"))
        fn = f_gelu_tanh;
    fn((const float *)k->in[0].data + lo, (float *)k->out[0].data + lo, hi - lo, &p);
    return 0;
}

/* ---- Clip ------------------------------------------------------------------ */
/* Bound i (1: min, 2: max) from opset 11's optional inputs, or the
 * attribute before; *have = 0 when there is none. */
static double clip_bound(const ox_kcall *k, int i, int *have)
{
    const char *name = i == 1 ? "min" : "max";
    *have = 0;
    if (k->n->opset < 11) {
        *have = ox_attr(k->n, name) != NULL;
        return ox_attr_float(k->n, name, 0);
    }
    if (k->n->n_in <= i || !k->in[i].data || k->in[i].numel < 1)
        return 0;
    *have = 1;
    return ox_ew_get_f(k->in[i].data, k->in[i].dtype, 0);
}

EW_VEC static void clip_float(const float *x, float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

int ox_ew_clip(const ox_kcall *k)
{
    int64_t lo, hi;
    int has_min, has_max;
    if (same_count(k))
        return -1;
    ox_ew_range(k, &lo, &hi);
    double bmin = clip_bound(k, 1, &has_min), bmax = clip_bound(k, 2, &has_max);
    const ox_view *x = &k->in[0], *y = &k->out[0];
    if (x->dtype == OX_FLOAT) {
        clip_float((const float *)x->data + lo, (float *)y->data + lo, hi - lo,
                   has_min ? (float)bmin : -INFINITY, has_max ? (float)bmax : INFINITY);
        return 0;
    }
    int64_t imin = has_min ? ox_ew_f2i(bmin) : INT64_MIN;
    int64_t imax = has_max ? ox_ew_f2i(bmax) : INT64_MAX;
    for (int64_t i = lo; i < hi; i++) {
        int64_t v = ox_ew_get_i(x->data, x->dtype, i);
        v = v < imin ? imin : v;
        ox_ew_set_i(y->data, y->dtype, i, v > imax ? imax : v);
    }
    return 0;
}

/* ---- Cast -------------------------------------------------------------------- */
/* v rounded to the nearest float16 value (ties to even), kept as float:
 * float16 values live in float32 at run time, but a cast to float16 must
 * still lose what float16 cannot hold. */
static float round_half(float v)
{
    float a = fabsf(v);
    if (!isfinite(v) || a == 0)
        return v;
    if (a >= 65520.0f)
        return copysignf(INFINITY, v);
    int e;
    frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    int q = JF__MAX(e - 11, -24); /* 11 significant bits; subnormals step 2^-24 */
    return copysignf(ldexpf(rintf(ldexpf(a, -q)), q), v);
}

static float round_bfloat16(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (isnan(v))
        return v;
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The ONNX dtype the cast produces (before float16 became float). */
static int32_t cast_target(const ox_kcall *k)
{
    if (strcmp(k->n->op, "CastLike") == 0)
        return k->n->n_in > 1 && k->n->in[1] >= 0 ? k->m->tensors[k->n->in[1]].dtype
                                                  : OX_UNDEFINED;
    return (int32_t)ox_attr_int(k->n, "to", OX_UNDEFINED);
}

static void cast_generic(const ox_view *x, const ox_view *y, int64_t lo, int64_t hi)
{
    if (x->dtype == OX_FLOAT || x->dtype == OX_UINT64)
        for (int64_t i = lo; i < hi; i++)
            ox_ew_set_f(y->data, y->dtype, i, ox_ew_get_f(x->data, x->dtype, i));
    else
        for (int64_t i = lo; i < hi; i++)
            ox_ew_set_i(y->data, y->dtype, i, ox_ew_get_i(x->data, x->dtype, i));
}

int ox_ew_cast(const ox_kcall *k)
{
    int64_t lo, hi;
    if (same_count(k))
        return -1;
    ox_ew_range(k, &lo, &hi);
    const ox_view *x = &k->in[0], *y = &k->out[0];
    int32_t to = cast_target(k);
    if (!ox_ew_esize(x->dtype) || !ox_ew_esize(y->dtype) || x->dtype == OX_STRING ||
        y->dtype == OX_STRING)
        return ox_kfail(k, "cannot cast dtype %d to %d", (int)x->dtype, (int)y->dtype);
    if (x->dtype == y->dtype && x->data != y->data)
        memcpy((char *)y->data + lo * ox_ew_esize(y->dtype),
               (const char *)x->data + lo * ox_ew_esize(x->dtype),
               (size_t)((hi - lo) * ox_ew_esize(x->dtype)));
    else if (x->dtype != y->dtype)
        cast_generic(x, y, lo, hi);
    if (y->dtype == OX_FLOAT && (to == OX_FLOAT16 || to == OX_BFLOAT16)) {
        float *f = y->data;
        for (int64_t i = lo; i < hi; i++)
            f[i] = to == OX_FLOAT16 ? round_half(f[i]) : round_bfloat16(f[i]);
    }
    return 0;
}
