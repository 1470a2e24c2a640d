/* The table of operator rules: operator type -> rule (ops_*.c). */
#include "onnx/onnx_impl.h"

static const ox_rule rules[] = {
    {NULL, NULL},
};

ox_rule_fn ox_rule_find(const char *op)
{
    for (const ox_rule *r = rules; r->op; r++)
        if (strcmp(r->op, op) == 0)
            return r->rule;
    return NULL;
}
