/* Looking kernels up, failing a call, and the fused element-wise steps
 * that Conv/Gemm-like kernels apply to their output as they write it. */
#include <math.h>
#include <stdarg.h>

#include "onnx/kernel.h"

const ox_kernel *ox_kernel_find(const char *op)
{
    static const ox_kernel *const tables[] = {ox_kernels_nn, ox_kernels_ew};
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const ox_kernel *k = tables[t]; k->op; k++)
            if (strcmp(k->op, op) == 0)
                return k;
    return NULL;
}

int ox_kfail(const ox_kcall *k, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (k->err && k->err_size)
        snprintf(k->err, k->err_size, "node '%s' (%s): %s", k->n->id, k->n->op, msg);
    return -1;
}

/* Offset into a broadcast operand of the output's flat index i. */
static int64_t operand_offset(const ox_fused *f, const ox_fuse_step *s, int64_t i)
{
    int64_t off = 0;
    for (int d = f->rank - 1; d >= 0; d--) {
        int64_t dim = f->dims[d];
        off += (i % dim) * s->strides[d];
        i /= dim;
    }
    return off;
}

static float apply_step(const ox_fuse_step *s, float v, float operand)
{
    switch (s->kind) {
    case OX_FUSE_ADD: return v + operand;
    case OX_FUSE_MUL: return v * operand;
    case OX_FUSE_RELU: return v > 0 ? v : 0;
    case OX_FUSE_LEAKY_RELU: return v >= 0 ? v : v * s->a;
    case OX_FUSE_CLIP: return v < s->a ? s->a : v > s->b ? s->b : v;
    case OX_FUSE_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case OX_FUSE_HARD_SIGMOID: {
        float h = s->a * v + s->b;
        return h < 0 ? 0 : h > 1 ? 1 : h;
    }
    }
    return v;
}

void ox_fused_apply(const ox_fused *f, float *out, int64_t start, int64_t count)
{
    if (!f || f->n_steps == 0)
        return;
    for (int k = 0; k < f->n_steps; k++) {
        const ox_fuse_step *s = &f->steps[k];
        int has_operand = s->kind == OX_FUSE_ADD || s->kind == OX_FUSE_MUL;
        /* Walk runs of the innermost dimension so the operand offset is
         * recomputed once per run, not per element. */
        int64_t inner = f->rank ? f->dims[f->rank - 1] : 1;
        int64_t inner_stride = f->rank ? s->strides[f->rank - 1] : 0;
        for (int64_t i = start; i < start + count;) {
            int64_t run = JF__MIN(inner - i % inner, start + count - i);
            const float *op = has_operand ? s->operand + operand_offset(f, s, i) : NULL;
            for (int64_t j = 0; j < run; j++)
                out[i + j] = apply_step(s, out[i + j], op ? op[j * inner_stride] : 0.0f);
            i += run;
        }
    }
}
