/* The table of operator rules: operator type -> rule. Each ops_*.c file
 * lists its operators; this searches the lists in turn. */
#include "onnx/ops.h"

static const ox_rule *const tables[] = {ox_rules_nn, ox_rules_elementwise, ox_rules_shape};

ox_rule_fn ox_rule_find(const char *op)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const ox_rule *r = tables[t]; r->op; r++)
            if (strcmp(r->op, op) == 0)
                return r->rule;
    return NULL;
}
