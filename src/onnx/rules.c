/* The table of operator rules: operator type -> rule. Each ops_*.c file
 * lists its operators; this searches the lists in turn, and checks the
 * inputs' shapes once for every rule. */
#include "onnx/ops.h"

static const ox_rule *const tables[] = {ox_rules_nn, ox_rules_elementwise, ox_rules_shape};

static ox_rule_fn lookup(const char *op)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const ox_rule *r = tables[t]; r->op; r++)
            if (strcmp(r->op, op) == 0)
                return r->rule;
    return NULL;
}

/* Graph inputs and declared shapes come from the file unchecked: the
 * rules count on dimensions of at most OPS_DIM_MAX and at most 2^62
 * elements, so that their sums and products stay inside int64. */
static int checked_rule(ox_ctx *c, ox_node *n)
{
    for (int i = 0; i < n->n_in; i++) {
        const ox_tensor *t = ox_in(c, n, i);
        int64_t count = 1;
        for (int d = 0; ox_known(t) && d < t->rank; d++) {
            if (t->dims[d] > OPS_DIM_MAX || __builtin_mul_overflow(count, t->dims[d], &count) ||
                count > ((int64_t)1 << 62))
                return ox_fail(c, n, "input '%s' is too large (dimension %d is %lld)",
                               t->name, d, (long long)t->dims[d]);
        }
    }
    return lookup(n->op)(c, n);
}

ox_rule_fn ox_rule_find(const char *op)
{
    return lookup(op) ? checked_rule : NULL;
}
