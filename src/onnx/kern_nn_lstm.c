/* The recurrent operators LSTM, GRU and RNN: forward, reverse and
 * bidirectional; layout 0 and 1; optional B, sequence_lens, initial_h (and
 * LSTM's initial_c and peepholes P); activations with their alpha/beta
 * lists, clip, LSTM's input_forget and GRU's linear_before_reset. Gates
 * are in ONNX's orders: LSTM i, o, f, c; GRU z, r, h.
 *
 * Per direction, the input projection of every time step is one sgemm
 * (X x W^T plus both biases) into scratch; then each step adds
 * H_prev x R^T (one sgemm over the batch) and applies the cell. A batch
 * entry with a shorter sequence stops early: its Y rows after its length
 * are zero and Y_h/Y_c keep its last state; reversed directions start at
 * each entry's own last step. */
#include <cblas.h>
#include <math.h>
#include <strings.h>

#include "onnx/kern_nn_impl.h"

enum {
    AF_SIGMOID,
    AF_TANH,
    AF_RELU,
    AF_AFFINE,
    AF_LEAKY,
    AF_THRESH,
    AF_SCALED_TANH,
    AF_HARD_SIGMOID,
    AF_ELU,
    AF_SOFTSIGN,
    AF_SOFTPLUS
};

typedef struct {
    int kind;
    float alpha, beta;
} lstm_act;

typedef struct {
    int64_t seq, batch, in, hid;
    int dirs, reverse, layout, input_forget;
    int gates, n_act; /* LSTM 4 and 3, GRU 3 and 2, RNN 1 and 1 */
    int lbr;          /* GRU's linear_before_reset */
    float clip;       /* 0: none */
    const float *x, *w, *r, *b, *init_h, *init_c, *p;
    const int32_t *lens32;
    const int64_t *lens64;
    float *y, *yh, *yc;
    lstm_act act[2][3]; /* f, g, h per direction (LSTM; GRU f, g; RNN f) */
} lstm_args;

static float lstm_apply(const lstm_act *a, float v)
{
    switch (a->kind) {
    case AF_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case AF_TANH: return tanhf(v);
    case AF_RELU: return v > 0 ? v : 0;
    case AF_AFFINE: return a->alpha * v + a->beta;
    case AF_LEAKY: return v >= 0 ? v : a->alpha * v;
    case AF_THRESH: return v > a->alpha ? v : 0;
    case AF_SCALED_TANH: return a->alpha * tanhf(a->beta * v);
    case AF_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, a->alpha * v + a->beta));
    case AF_ELU: return v >= 0 ? v : a->alpha * (expf(v) - 1);
    case AF_SOFTSIGN: return v / (1 + fabsf(v));
    default: return log1pf(expf(v));
    }
}

/* Name -> kind, and default alpha/beta; -1 when unknown. */
static int lstm_act_kind(const char *s, size_t len, float *alpha, float *beta)
{
    static const struct {
        const char *name;
        float alpha, beta;
    } t[] = {{"Sigmoid", 0, 0},       {"Tanh", 0, 0},
             {"Relu", 0, 0},          {"Affine", 1, 0},
             {"LeakyRelu", 0.01f, 0}, {"ThresholdedRelu", 1, 0},
             {"ScaledTanh", 1, 1},    {"HardSigmoid", 0.2f, 0.5f},
             {"Elu", 1, 0},           {"Softsign", 0, 0},
             {"Softplus", 0, 0}};
    for (int i = 0; i < (int)(sizeof t / sizeof *t); i++)
        if (strlen(t[i].name) == len && strncasecmp(t[i].name, s, len) == 0) {
            *alpha = t[i].alpha;
            *beta = t[i].beta;
            return i;
        }
    return -1;
}

static int lstm_acts(const ox_kcall *k, lstm_args *a)
{
    const Onnx__AttributeProto *at = ox_attr(k->n, "activations");
    double alphas[6], betas[6];
    int na = ox_attr_floats(k->n, "activation_alpha", alphas, 6), ia = 0;
    int nb = ox_attr_floats(k->n, "activation_beta", betas, 6), ib = 0;
    int na_all = a->n_act * a->dirs;
    if (at && (int)at->n_strings != na_all)
        return ox_kfail(k, "activations has %d names for %d directions", (int)at->n_strings,
                        a->dirs);
    for (int i = 0; i < na_all; i++) {
        lstm_act *act = &a->act[i / a->n_act][i % a->n_act];
        if (!at) { /* f is a sigmoid, the others tanh; RNN's only one is tanh */
            act->kind = i % a->n_act == 0 && a->n_act > 1 ? AF_SIGMOID : AF_TANH;
            continue;
        }
        act->kind = lstm_act_kind((const char *)at->strings[i].data, at->strings[i].len,
                                  &act->alpha, &act->beta);
        if (act->kind < 0)
            return ox_kfail(k, "unknown activation %d", i);
        int uses_a = act->kind == AF_AFFINE || act->kind == AF_LEAKY || act->kind == AF_THRESH ||
                     act->kind == AF_SCALED_TANH || act->kind == AF_HARD_SIGMOID ||
                     act->kind == AF_ELU;
        int uses_b =
            act->kind == AF_AFFINE || act->kind == AF_SCALED_TANH || act->kind == AF_HARD_SIGMOID;
        if (uses_a && ia < na)
            act->alpha = (float)alphas[ia++];
        if (uses_b && ib < nb)
            act->beta = (float)betas[ib++];
    }
    return 0;
}

/* Optional float input i of `numel` values, or NULL. */
static int lstm_opt(const ox_kcall *k, int i, int64_t numel, const float **out)
{
    *out = NULL;
    if (i >= k->n->n_in || !k->in[i].data)
        return 0;
    const ox_view *v = ox_nn_float_in(k, i);
    if (!v || v->numel != numel)
        return v ? ox_kfail(k, "input %d has %lld values, expected %lld", i, (long long)v->numel,
                            (long long)numel)
                 : -1;
    *out = v->data;
    return 0;
}

static int lstm_lens(const ox_kcall *k, lstm_args *a)
{
    a->lens32 = NULL;
    a->lens64 = NULL;
    if (k->n->n_in < 5 || !k->in[4].data)
        return 0;
    const ox_view *v = &k->in[4];
    if (v->numel != a->batch || (v->dtype != OX_INT32 && v->dtype != OX_INT64))
        return ox_kfail(k, "sequence_lens must be int32 with one value per batch entry");
    if (v->dtype == OX_INT32)
        a->lens32 = v->data;
    else
        a->lens64 = v->data;
    return 0;
}

static int lstm_out(const ox_kcall *k, int i, int64_t numel, float **out)
{
    *out = NULL;
    if (i >= k->n->n_out || !k->out[i].data)
        return 0;
    const ox_view *v = ox_nn_float_out(k, i, numel);
    if (!v)
        return -1;
    *out = v->data;
    return 0;
}

static int lstm_dims(const ox_kcall *k, lstm_args *a, const ox_view *x, const ox_view *w)
{
    const char *dir = ox_attr_str(k->n, "direction", "forward");
    a->dirs = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    a->reverse = strcmp(dir, "reverse") == 0;
    if (!a->reverse && a->dirs == 1 && strcmp(dir, "forward") != 0)
        return ox_kfail(k, "unknown direction '%s'", dir);
    a->layout = k->n->opset >= 14 && ox_attr_int(k->n, "layout", 0) != 0;
    int gru = strcmp(k->n->op, "GRU") == 0, rnn = strcmp(k->n->op, "RNN") == 0;
    a->gates = gru ? 3 : rnn ? 1 : 4;
    a->n_act = gru ? 2 : rnn ? 1 : 3;
    a->lbr = gru && ox_attr_int(k->n, "linear_before_reset", 0) != 0;
    if (x->rank != 3 || w->rank != 3 || w->dims[0] != a->dirs)
        return ox_kfail(k, "X and W must be 3-D with one W per direction");
    a->seq = x->dims[a->layout ? 1 : 0];
    a->batch = x->dims[a->layout ? 0 : 1];
    a->in = x->dims[2];
    a->hid = ox_attr_int(k->n, "hidden_size", w->dims[1] / a->gates);
    if (w->dims[1] != a->gates * a->hid || w->dims[2] != a->in || a->hid < 1)
        return ox_kfail(k, "W is not [dirs, %d x hidden_size, input_size]", a->gates);
    a->clip = (float)ox_attr_float(k->n, "clip", 0.0);
    a->input_forget = ox_attr_int(k->n, "input_forget", 0) != 0;
    return 0;
}

static int lstm_prepare(const ox_kcall *k, lstm_args *a)
{
    const ox_view *x = ox_nn_float_in(k, 0), *w = x ? ox_nn_float_in(k, 1) : NULL;
    const ox_view *r = w ? ox_nn_float_in(k, 2) : NULL;
    if (!r || lstm_dims(k, a, x, w) || lstm_acts(k, a) || lstm_lens(k, a))
        return -1;
    int64_t d = a->dirs, h = a->hid, bh = a->batch * h, gh = a->gates * h;
    int lstm = a->gates == 4;
    if (r->numel != d * gh * h)
        return ox_kfail(k, "R is not [dirs, %d x hidden_size, hidden_size]", a->gates);
    if (lstm_opt(k, 3, d * 2 * gh, &a->b) || lstm_opt(k, 5, d * bh, &a->init_h) ||
        (lstm && (lstm_opt(k, 6, d * bh, &a->init_c) || lstm_opt(k, 7, d * 3 * h, &a->p))))
        return -1;
    if (lstm_out(k, 0, a->seq * d * bh, &a->y) || lstm_out(k, 1, d * bh, &a->yh) ||
        (lstm && lstm_out(k, 2, d * bh, &a->yc)))
        return -1;
    a->x = x->data;
    a->w = w->data;
    a->r = r->data;
    return 0;
}

static size_t lstm_scratch_floats(const lstm_args *a)
{
    int64_t g = a->gates * a->hid;
    return (size_t)(a->seq * a->batch * g + a->batch * g + 3 * a->batch * a->hid);
}

static int64_t lstm_len(const lstm_args *a, int64_t b)
{
    int64_t l = a->lens32 ? a->lens32[b] : a->lens64 ? a->lens64[b] : a->seq;
    return l < 0 ? 0 : l > a->seq ? a->seq : l;
}

/* Offsets of (time t, batch b) in X's rows and of (t, dir, b) in Y;
 * state (dir, b) in initial_h/Y_h. */
static int64_t lstm_xrow(const lstm_args *a, int64_t t, int64_t b)
{
    return a->layout ? b * a->seq + t : t * a->batch + b;
}

static int64_t lstm_yrow(const lstm_args *a, int64_t t, int dir, int64_t b)
{
    return a->layout ? (b * a->seq + t) * a->dirs + dir : (t * a->dirs + dir) * a->batch + b;
}

static int64_t lstm_srow(const lstm_args *a, int dir, int64_t b)
{
    return a->layout ? b * a->dirs + dir : dir * a->batch + b;
}

/* Input projections of all steps: gx[row] = X[row] W^T + Wb + Rb (GRU's
 * h-gate Rb stays out with linear_before_reset: it goes inside r * ()). */
static void lstm_project(const lstm_args *a, int dir, float *gx)
{
    int64_t rows = a->seq * a->batch, g = a->gates * a->hid, rb_end = a->lbr ? 2 * a->hid : g;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)g, (int)a->in, 1.0f, a->x,
                (int)a->in, a->w + dir * g * a->in, (int)a->in, 0.0f, gx, (int)g);
    if (!a->b)
        return;
    const float *wb = a->b + dir * 2 * g, *rb = wb + g;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < g; j++)
            gx[r * g + j] += wb[j] + (j < rb_end ? rb[j] : 0.0f);
}

static float lstm_clip(const lstm_args *a, float v)
{
    return a->clip > 0 ? fmaxf(-a->clip, fminf(a->clip, v)) : v;
}

/* One cell update of hidden unit j: gates gi/go/gf/gc preactivations. */
static void lstm_cell(const lstm_args *a, int dir, const float *gate, float *h, float *c, int64_t j)
{
    const lstm_act *f = &a->act[dir][0], *g = &a->act[dir][1], *hh = &a->act[dir][2];
    const float *p = a->p ? a->p + dir * 3 * a->hid : NULL;
    int64_t H = a->hid;
    float c_prev = c[j];
    float i = lstm_apply(f, lstm_clip(a, gate[j] + (p ? p[j] * c_prev : 0)));
    float fg = a->input_forget
                   ? 1 - i
                   : lstm_apply(f, lstm_clip(a, gate[2 * H + j] + (p ? p[2 * H + j] * c_prev : 0)));
    float cc = lstm_apply(g, lstm_clip(a, gate[3 * H + j]));
    c[j] = fg * c_prev + i * cc;
    float o = lstm_apply(f, lstm_clip(a, gate[H + j] + (p ? p[H + j] * c[j] : 0)));
    h[j] = o * lstm_apply(hh, c[j]);
}

static void lstm_init_state(const lstm_args *a, int dir, float *h, float *c)
{
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t j = 0; j < a->hid; j++) {
            int64_t at = lstm_srow(a, dir, b) * a->hid + j;
            h[b * a->hid + j] = a->init_h ? a->init_h[at] : 0.0f;
            c[b * a->hid + j] = a->init_c ? a->init_c[at] : 0.0f;
        }
}

/* Step s of direction dir for every batch entry still running. */
static void lstm_step(const lstm_args *a, int dir, int rev, int64_t s, const float *gx,
                      float *gates, float *h, float *c)
{
    int64_t H = a->hid, g = 4 * H;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->batch, (int)g, (int)H, 1.0f, h,
                (int)H, a->r + dir * g * H, (int)H, 0.0f, gates, (int)g);
    for (int64_t b = 0; b < a->batch; b++) {
        int64_t len = lstm_len(a, b);
        if (s >= len)
            continue;
        int64_t t = rev ? len - 1 - s : s;
        float *gb = gates + b * g;
        const float *xb = gx + lstm_xrow(a, t, b) * g;
        for (int64_t j = 0; j < g; j++)
            gb[j] += xb[j];
        for (int64_t j = 0; j < H; j++)
            lstm_cell(a, dir, gb, h + b * H, c + b * H, j);
        if (a->y)
            memcpy(a->y + lstm_yrow(a, t, dir, b) * H, h + b * H, (size_t)H * sizeof *h);
    }
}

/* The time step t batch entry b is at in step s, or -1 when it is done. */
static int64_t rec_time(const lstm_args *a, int rev, int64_t s, int64_t b)
{
    int64_t len = lstm_len(a, b);
    return s >= len ? -1 : rev ? len - 1 - s : s;
}

/* GRU's z and r for every running entry, into gates[b][0 .. 2H); rh gets
 * r * H_prev for the h gate (without linear_before_reset). */
static void gru_zr(const lstm_args *a, int dir, int rev, int64_t s, const float *gx, float *gates,
                   const float *h, float *rh)
{
    int64_t H = a->hid, g = 3 * H;
    const lstm_act *f = &a->act[dir][0];
    for (int64_t b = 0; b < a->batch; b++) {
        int64_t t = rec_time(a, rev, s, b);
        float *gb = gates + b * g;
        const float *xb = gx + lstm_xrow(a, t < 0 ? 0 : t, b) * g;
        for (int64_t j = 0; j < 2 * H && t >= 0; j++)
            gb[j] = lstm_apply(f, lstm_clip(a, gb[j] + xb[j]));
        for (int64_t j = 0; j < H; j++)
            rh[b * H + j] = t >= 0 ? gb[H + j] * h[b * H + j] : 0.0f;
    }
}

/* GRU step: z, r, then h~ = g(x Wh + (r * H) Rh + b), or with
 * linear_before_reset g(x Wh + r * (H Rh + Rbh)); H = (1 - z) h~ + z H. */
static void gru_step(const lstm_args *a, int dir, int rev, int64_t s, const float *gx, float *gates,
                     float *h, float *rh)
{
    int64_t H = a->hid, g = 3 * H;
    const float *r = a->r + dir * g * H, *rbh = a->b ? a->b + dir * 2 * g + g + 2 * H : NULL;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->batch, (int)(a->lbr ? g : 2 * H),
                (int)H, 1.0f, h, (int)H, r, (int)H, 0.0f, gates, (int)g);
    gru_zr(a, dir, rev, s, gx, gates, h, rh);
    if (!a->lbr) /* (r * H) Rh^T into the h-gate columns */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->batch, (int)H, (int)H, 1.0f,
                    rh, (int)H, r + 2 * H * H, (int)H, 0.0f, gates + 2 * H, (int)g);
    for (int64_t b = 0; b < a->batch; b++) {
        int64_t t = rec_time(a, rev, s, b);
        if (t < 0)
            continue;
        float *gb = gates + b * g, *hb = h + b * H;
        const float *xb = gx + lstm_xrow(a, t, b) * g;
        for (int64_t j = 0; j < H; j++) {
            float pre = a->lbr ? xb[2 * H + j] + gb[H + j] * (gb[2 * H + j] + (rbh ? rbh[j] : 0))
                               : xb[2 * H + j] + gb[2 * H + j];
            float hh = lstm_apply(&a->act[dir][1], lstm_clip(a, pre));
            hb[j] = (1 - gb[j]) * hh + gb[j] * hb[j];
        }
        if (a->y)
            memcpy(a->y + lstm_yrow(a, t, dir, b) * H, hb, (size_t)H * sizeof *hb);
    }
}

/* RNN step: H = f(x W + H R + b). */
static void rnn_step(const lstm_args *a, int dir, int rev, int64_t s, const float *gx, float *gates,
                     float *h)
{
    int64_t H = a->hid;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->batch, (int)H, (int)H, 1.0f, h,
                (int)H, a->r + dir * H * H, (int)H, 0.0f, gates, (int)H);
    for (int64_t b = 0; b < a->batch; b++) {
        int64_t t = rec_time(a, rev, s, b);
        if (t < 0)
            continue;
        const float *xb = gx + lstm_xrow(a, t, b) * H;
        for (int64_t j = 0; j < H; j++)
            h[b * H + j] = lstm_apply(&a->act[dir][0], lstm_clip(a, xb[j] + gates[b * H + j]));
        if (a->y)
            memcpy(a->y + lstm_yrow(a, t, dir, b) * H, h + b * H, (size_t)H * sizeof *h);
    }
}

static void lstm_direction(const lstm_args *a, int dir, float *scratch)
{
    int64_t H = a->hid, g = a->gates * H;
    float *gx = scratch, *gates = gx + a->seq * a->batch * g;
    float *h = gates + a->batch * g, *c = h + a->batch * H;
    int rev = a->reverse || dir == 1;
    lstm_project(a, dir, gx);
    lstm_init_state(a, dir, h, c);
    if (a->y) /* rows past a sequence's end stay zero */
        for (int64_t t = 0; t < a->seq; t++)
            for (int64_t b = 0; b < a->batch; b++)
                memset(a->y + lstm_yrow(a, t, dir, b) * H, 0, (size_t)H * sizeof *h);
    for (int64_t s = 0; s < a->seq; s++)
        if (a->gates == 4)
            lstm_step(a, dir, rev, s, gx, gates, h, c);
        else if (a->gates == 3)
            gru_step(a, dir, rev, s, gx, gates, h, c); /* c holds r * H */
        else
            rnn_step(a, dir, rev, s, gx, gates, h);
    for (int64_t b = 0; b < a->batch; b++) {
        int64_t at = lstm_srow(a, dir, b) * H;
        if (a->yh)
            memcpy(a->yh + at, h + b * H, (size_t)H * sizeof *h);
        if (a->yc)
            memcpy(a->yc + at, c + b * H, (size_t)H * sizeof *c);
    }
}

int ox_nn_lstm_run(const ox_kcall *k)
{
    lstm_args a = {0};
    if (lstm_prepare(k, &a))
        return -1;
    if (!ox_nn_scratch_fits(k, lstm_scratch_floats(&a) * sizeof(float), ox_nn_lstm_scratch))
        return ox_kfail(k, "shapes at run time need more scratch than planned");
    for (int dir = 0; dir < a.dirs; dir++)
        lstm_direction(&a, dir, k->scratch);
    return 0;
}

size_t ox_nn_lstm_scratch(const jf_onnx_model *m, const ox_node *n, int64_t n_slices)
{
    ox_view ins[16], outs[16];
    ox_kcall k;
    lstm_args a = {0};
    if (!m || ox_nn_model_call(m, n, ins, outs, &k) || n->n_in < 3)
        return 0;
    if (lstm_dims(&k, &a, &ins[0], &ins[1]))
        return 0;
    return lstm_scratch_floats(&a) * sizeof(float);
}
