/* The fused element-wise steps (kernel.h) that Conv, Gemm and the other
 * producing kernels apply to their output as they write it.
 *
 * Each step runs over the range in stretches along which its operand is
 * one repeated value (a per-channel bias over H x W) or contiguous, so the
 * operand's offset is worked out once per stretch, not per element, and
 * the loop inside is plain and vectorizes. */
#include "onnx/kern_ew.h"

/* Elements from flat index i on along which the operand's stride is one
 * value (*stride: 0 or 1; anything else keeps to the innermost dim). */
static int64_t stretch(const ox_fused *f, const ox_fuse_step *s, int64_t *stride)
{
    int r = f->rank;
    if (r == 0)
        return *stride = 0, 1;
    int64_t st = s->strides[r - 1], len = f->dims[r - 1];
    *stride = st;
    for (int d = r - 2; d >= 0 && (st == 0 || st == 1); d--) {
        if (s->strides[d] != st * len)
            break;
        len *= f->dims[d];
    }
    return len;
}

/* Offset into a broadcast operand of the output's flat index i. */
static int64_t operand_offset(const ox_fused *f, const ox_fuse_step *s, int64_t i)
{
    int64_t off = 0;
    for (int d = f->rank - 1; d >= 0 && i; d--) {
        off += (i % f->dims[d]) * s->strides[d];
        i /= f->dims[d];
    }
    return off;
}

EW_VEC static void add_run(float *o, const float *p, int64_t st, int64_t n)
{
    if (st == 0) {
        float v = *p;
        for (int64_t j = 0; j < n; j++)
            o[j] += v;
    } else if (st == 1) {
        for (int64_t j = 0; j < n; j++)
            o[j] += p[j];
    } else {
        for (int64_t j = 0; j < n; j++)
            o[j] += p[j * st];
    }
}

EW_VEC static void mul_run(float *o, const float *p, int64_t st, int64_t n)
{
    if (st == 0) {
        float v = *p;
        for (int64_t j = 0; j < n; j++)
            o[j] *= v;
    } else if (st == 1) {
        for (int64_t j = 0; j < n; j++)
            o[j] *= p[j];
    } else {
        for (int64_t j = 0; j < n; j++)
            o[j] *= p[j * st];
    }
}

/* ADD and MUL: out[i..] OP= operand, one stretch at a time. */
static void operand_step(const ox_fused *f, const ox_fuse_step *s, float *out, int64_t start,
                         int64_t count)
{
    int64_t st, len = stretch(f, s, &st);
    for (int64_t i = start; i < start + count;) {
        int64_t run = JF__MIN(len - i % len, start + count - i);
        const float *p = s->operand + operand_offset(f, s, i);
        if (s->kind == OX_FUSE_ADD)
            add_run(out + i, p, st, run);
        else
            mul_run(out + i, p, st, run);
        i += run;
    }
}

EW_VEC static void activation_step(const ox_fuse_step *s, float *o, int64_t n)
{
    const float a = s->a, b = s->b;
    switch (s->kind) {
    case OX_FUSE_RELU:
        for (int64_t j = 0; j < n; j++)
            o[j] = o[j] > 0 ? o[j] : 0.0f;
        break;
    case OX_FUSE_LEAKY_RELU:
        for (int64_t j = 0; j < n; j++)
            o[j] = o[j] >= 0 ? o[j] : o[j] * a;
        break;
    case OX_FUSE_CLIP:
        for (int64_t j = 0; j < n; j++) {
            float v = o[j] < a ? a : o[j];
            o[j] = v > b ? b : v;
        }
        break;
    case OX_FUSE_SIGMOID:
        for (int64_t j = 0; j < n; j++)
            o[j] = 1.0f / (1.0f + expf(-o[j]));
        break;
    case OX_FUSE_HARD_SIGMOID:
        for (int64_t j = 0; j < n; j++) {
            float v = a * o[j] + b;
            v = v < 0 ? 0.0f : v;
            o[j] = v > 1 ? 1.0f : v;
        }
        break;
    case OX_FUSE_HARD_SWISH: /* as Add, Clip, Mul, Div would: same rounding */
        for (int64_t j = 0; j < n; j++) {
            float v = o[j] + 3.0f;
            v = v < 0 ? 0.0f : v;
            v = v > 6 ? 6.0f : v;
            o[j] = o[j] * v / 6.0f;
        }
        break;
    case OX_FUSE_ADD: case OX_FUSE_MUL: break;
    }
}

void ox_fused_apply(const ox_fused *f, float *out, int64_t start, int64_t count)
{
    if (!f || count <= 0)
        return;
    for (int k = 0; k < f->n_steps; k++) {
        const ox_fuse_step *s = &f->steps[k];
        if (s->kind == OX_FUSE_ADD || s->kind == OX_FUSE_MUL)
            operand_step(f, s, out, start, count);
        else
            activation_step(s, out + start, count);
    }
}
