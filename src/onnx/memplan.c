/* Where activations and scratch live: offsets in one arena, planned before
 * the first run so that running allocates nothing. */
#include "onnx/session_impl.h"

#define SX_ALIGN 64
static uint64_t align_up(uint64_t x) { return (x + SX_ALIGN - 1) & ~(uint64_t)(SX_ALIGN - 1); }

jf_status sx_memplan(jf_onnx_session *s)
{
    uint64_t off = 0;
    for (size_t t = 0; t < s->m->n_tensors; t++) {
        sx_value *x = &s->vals[t];
        if ((x->kind == SX_ACTIVATION || x->kind == SX_INPUT) && x->alias == (int32_t)t) {
            x->offset = off;
            off += align_up(x->bytes ? x->bytes : 1);
        }
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        sx_op *op = &s->ops[i];
        if (!op->scratch)
            continue;
        op->scratch_off = jf__malloc((size_t)op->n_slices * sizeof *op->scratch_off);
        if (!op->scratch_off)
            return sx_fail(s, JF_ENOMEM, "out of memory");
        for (int64_t k = 0; k < op->n_slices; k++) {
            op->scratch_off[k] = off;
            off += align_up(op->scratch);
        }
    }
    s->arena_bytes = off;
    return JF_OK;
}
