/* Looking kernels up and failing a call. */
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

/* ox_fused_apply, the fused element-wise steps: kern_ew_fuse.c. */
