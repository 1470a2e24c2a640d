/* Shape inference over the whole graph: nodes in a topological order, each
 * through its operator's rule; Constant nodes become weights, an If whose
 * condition folds is replaced by its taken branch. */
#include "onnx/onnx_impl.h"

/* ---- topological order ------------------------------------------------------ */
static int producer_in(const jf_onnx_model *m, int32_t t, size_t first, size_t last)
{
    if (t < 0)
        return -1;
    int32_t p = m->tensors[t].producer;
    return p >= (int32_t)first && (size_t)p < last ? p : -1;
}

/* Calls fn(m, node, producer, ctx) for each producer of node's values. */
#define FOR_EACH_PRODUCER(m, n, first, last, p, body)                           \
    do {                                                                        \
        for (int k_ = 0; k_ < (n)->n_in + (n)->n_implicit; k_++) {              \
            int32_t t_ = k_ < (n)->n_in ? (n)->in[k_] : (n)->implicit[k_ - (n)->n_in]; \
            int p = producer_in(m, t_, first, last);                            \
            if (p >= 0) {                                                       \
                body;                                                           \
            }                                                                   \
        }                                                                       \
    } while (0)

static int file_order_is_topological(const jf_onnx_model *m, size_t first, size_t last)
{
    for (size_t i = first; i < last; i++) {
        const ox_node *n = &m->nodes[i];
        FOR_EACH_PRODUCER(m, n, first, last, p, if ((size_t)p >= i) return 0);
    }
    return 1;
}

/* Name the nodes of one cycle among those Kahn's walk could not order. */
static void report_cycle(jf_onnx_model *m, const uint32_t *indeg, size_t first, size_t last)
{
    size_t count = last - first, at = first;
    while (indeg[at - first] == 0)
        at++;
    uint8_t *seen = jf__calloc(count, 1);
    /* Walk back along unordered producers until a node repeats. */
    while (seen && !seen[at - first]) {
        seen[at - first] = 1;
        const ox_node *n = &m->nodes[at];
        size_t next = at;
        FOR_EACH_PRODUCER(m, n, first, last, p, if (indeg[p - first]) next = (size_t)p);
        at = next;
    }
    char list[600] = "";
    size_t start = at, len = 0;
    do {
        len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0,
                                "%s'%s'", len ? " <- " : "", m->nodes[at].id);
        const ox_node *n = &m->nodes[at];
        size_t next = at;
        FOR_EACH_PRODUCER(m, n, first, last, p, if (indeg[p - first]) next = (size_t)p);
        at = next;
    } while (at != start && len < sizeof list);
    jf__free(seen);
    ox_errf(m, "%s: the graph has a cycle: %s <- '%s'", m->path, list, m->nodes[start].id);
}

/* Nodes first..last-1 in a topological order, written to order. */
static jf_status topo_order(jf_onnx_model *m, size_t first, size_t last, uint32_t *order)
{
    size_t count = last - first, head = 0, tail = 0;
    if (file_order_is_topological(m, first, last)) {
        for (size_t i = 0; i < count; i++)
            order[i] = (uint32_t)(first + i);
        return JF_OK;
    }
    uint32_t *indeg = jf__calloc(count + 1, sizeof *indeg);
    if (!indeg)
        return ox_errf(m, "out of memory"), JF_ENOMEM;
    for (size_t i = first; i < last; i++)
        FOR_EACH_PRODUCER(m, &m->nodes[i], first, last, p, (void)p; indeg[i - first]++);
    for (size_t i = 0; i < count; i++)
        if (indeg[i] == 0)
            order[tail++] = (uint32_t)(first + i);
    while (head < tail) {
        uint32_t done = order[head++];
        /* Successors: the consumers of done's outputs, found by a scan of the
         * later nodes (imports are thousands of nodes, run once). */
        for (size_t i = first; i < last; i++)
            FOR_EACH_PRODUCER(m, &m->nodes[i], first, last, p,
                              if ((uint32_t)p == done && --indeg[i - first] == 0)
                                  order[tail++] = (uint32_t)i);
    }
    jf_status st = JF_OK;
    if (tail < count) {
        report_cycle(m, indeg, first, last);
        st = JF_ECYCLE;
    }
    jf__free(indeg);
    return st;
}

/* ---- Constant, If, and nodes without a rule ---------------------------------- */
static int constant_node(jf_onnx_model *m, ox_node *n)
{
    ox_ctx c = {m};
    ox_tensor *t = ox_out(&c, n, 0);
    const Onnx__AttributeProto *a = n->proto->n_attribute ? n->proto->attribute[0] : NULL;
    if (!t)
        return 0;
    if (!a)
        return ox_fail(&c, n, "no value attribute");
    if (a->t) {
        const char *name = t->name;
        if (ox_tensor_from_proto(m, t, a->t))
            return -1;
        t->name = name;
        t->producer = -1;
        return 0;
    }
    int is_list = a->n_floats || a->n_ints;
    int64_t count = a->n_floats ? (int64_t)a->n_floats : a->n_ints ? (int64_t)a->n_ints : 1;
    int is_float = strcmp(a->name, "value_float") == 0 || strcmp(a->name, "value_floats") == 0;
    if (!is_float && strcmp(a->name, "value_int") && strcmp(a->name, "value_ints"))
        return ox_fail(&c, n, "constant attribute '%s' is not supported", a->name);
    int64_t dims[1] = {count};
    ox_set_shape(&c, n, t, is_float ? OX_FLOAT : OX_INT64, is_list, dims);
    t->kind = OX_WEIGHT;
    t->producer = -1;
    t->weight_bytes = (uint64_t)count * (is_float ? 4 : 8);
    if (is_float) {
        double *v = ox_fold_floats(&c, t);
        for (int64_t i = 0; v && i < count; i++)
            v[i] = a->n_floats ? a->floats[i] : a->f;
    } else {
        int64_t *v = ox_fold_ints(&c, t);
        for (int64_t i = 0; v && i < count; i++)
            v[i] = a->n_ints ? a->ints[i] : a->i;
    }
    return 0;
}

static const Onnx__ValueInfoProto *declared(const jf_onnx_model *m, const char *name)
{
    const Onnx__GraphProto *g = m->proto->graph;
    for (size_t i = 0; i < g->n_value_info; i++)
        if (g->value_info[i]->name && strcmp(g->value_info[i]->name, name) == 0)
            return g->value_info[i];
    for (size_t i = 0; i < g->n_output; i++)
        if (g->output[i]->name && strcmp(g->output[i]->name, name) == 0)
            return g->output[i];
    return NULL;
}

/* Take a shape the model declares when inference found none; only fully
 * fixed ones, since a symbolic dimension says nothing of the given inputs. */
static void shape_from_declared(jf_onnx_model *m, ox_tensor *t, const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto__Tensor *tt = /* a union with sequence and map types */
        vi && vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
            ? vi->type->tensor_type : NULL;
    if (!tt)
        return;
    if (t->dtype == OX_UNDEFINED && tt->has_elem_type)
        t->dtype = tt->elem_type;
    if (t->rank >= 0 || !tt->shape || tt->shape->n_dim > OX_MAX_RANK)
        return;
    for (size_t d = 0; d < tt->shape->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            dim->dim_value < 0)
            return;
        t->dims[d] = dim->dim_value;
    }
    t->rank = (int)tt->shape->n_dim;
}

static uint64_t body_weight_bytes(const Onnx__GraphProto *g)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *tp = g->initializer[i];
        int64_t count = 1;
        for (size_t d = 0; d < tp->n_dims; d++)
            count *= tp->dims[d] > 0 ? tp->dims[d] : 0;
        bytes += tp->has_raw_data ? tp->raw_data.len
                                  : (uint64_t)count * (uint64_t)ox_dtype_size(tp->data_type);
    }
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t a = 0; a < g->node[i]->n_attribute; a++) {
            const Onnx__AttributeProto *attr = g->node[i]->attribute[a];
            if (attr->t && attr->t->has_raw_data)
                bytes += attr->t->raw_data.len;
            if (attr->g)
                bytes += body_weight_bytes(attr->g);
        }
    return bytes;
}

/* 1 the first time an operator type is seen here, so each warns once. */
static int first_of_type(jf_onnx_model *m, const char *op)
{
    for (size_t i = 0; i < m->n_warned; i++)
        if (strcmp(m->warned[i], op) == 0)
            return 0;
    if (jf__grow((void **)&m->warned, &m->cap_warned, m->n_warned + 1, sizeof *m->warned))
        return 1;
    m->warned[m->n_warned++] = op;
    return 1;
}

/* A node without a rule: its demand counts its tensors' sizes alone, plus
 * the weights inside its bodies (If, Loop, Scan stay one task). */
static void no_rule(jf_onnx_model *m, ox_node *n, const char *why)
{
    if (why && first_of_type(m, n->op))
        jf__log(JF_LOG_WARN, "%s: operator %s %s; its demand counts tensor sizes only",
                m->path, n->op, why);
    for (size_t a = 0; a < n->proto->n_attribute; a++)
        if (n->proto->attribute[a]->g)
            n->subgraph_weight_bytes += body_weight_bytes(n->proto->attribute[a]->g);
}

static jf_status infer_range(jf_onnx_model *m, size_t first, size_t last);

/* An If whose condition folded: its taken branch's nodes join the graph
 * and its outputs become the branch's outputs. */
static jf_status inline_branch(jf_onnx_model *m, size_t node, int cond)
{
    ox_node *n = &m->nodes[node];
    const Onnx__AttributeProto *a = ox_attr(n, cond ? "then_branch" : "else_branch");
    ox_ctx c = {m};
    if (!a || !a->g)
        return ox_fail(&c, n, "no %s", cond ? "then_branch" : "else_branch"), JF_EINVAL;
    const Onnx__GraphProto *g = a->g;
    if ((int)g->n_output != n->n_out)
        return ox_fail(&c, n, "the branch has %zu outputs, the node %d", g->n_output,
                       n->n_out), JF_EINVAL;
    size_t first;
    if (ox_add_graph_nodes(m, g, &first))
        return JF_EINVAL;
    n = &m->nodes[node]; /* the array may have moved */
    n->is_task = 0;
    jf_status st = infer_range(m, first, m->n_nodes);
    n = &m->nodes[node];
    for (int i = 0; st == JF_OK && i < n->n_out; i++) {
        int32_t from, to = n->out[i];
        if (to < 0)
            continue;
        if (!ox_tensor_find(m, g->output[i]->name, &from))
            return ox_errf(m, "%s: node '%s': branch output '%s' is produced by nothing",
                           m->path, n->id, g->output[i]->name), JF_EINVAL;
        const char *name = m->tensors[to].name;
        m->tensors[to] = m->tensors[from];
        m->tensors[to].name = name;
        m->tensors[to].alias = from;
    }
    return st;
}

static jf_status infer_node(jf_onnx_model *m, size_t index)
{
    ox_node *n = &m->nodes[index];
    ox_ctx c = {m};
    if (!n->is_task)
        return constant_node(m, n) ? JF_EINVAL : JF_OK;
    if (n->opset == m->opset && strcmp(n->op, "If") == 0) {
        const ox_tensor *cond = ox_in(&c, n, 0);
        if (ox_folded(cond) && ox_numel(cond) == 1)
            return inline_branch(m, index, ox_geti(cond, 0) != 0);
        no_rule(m, n, NULL);
    } else if (n->opset != m->opset) {
        no_rule(m, n, "of another domain has no rule");
    } else {
        ox_rule_fn rule = ox_rule_find(n->op);
        if (!rule)
            no_rule(m, n, strcmp(n->op, "Loop") && strcmp(n->op, "Scan") ? "has no rule" : NULL);
        else if (rule(&c, n))
            return JF_EINVAL;
    }
    n = &m->nodes[index];
    for (int o = 0; o < n->n_out; o++) {
        ox_tensor *t = ox_out(&c, n, o);
        if (t && t->rank < 0)
            shape_from_declared(m, t, declared(m, t->name));
    }
    return JF_OK;
}

static jf_status infer_range(jf_onnx_model *m, size_t first, size_t last)
{
    uint32_t *order = jf__malloc((last - first + 1) * sizeof *order);
    if (!order)
        return ox_errf(m, "out of memory"), JF_ENOMEM;
    jf_status st = topo_order(m, first, last, order);
    for (size_t i = 0; st == JF_OK && i < last - first; i++) {
        if (jf__grow((void **)&m->order, &m->cap_order, m->n_order + 1, sizeof *m->order)) {
            st = JF_ENOMEM;
            break;
        }
        m->order[m->n_order++] = order[i];
        st = infer_node(m, order[i]);
    }
    jf__free(order);
    return st;
}

static int is_conv_or_matmul(const char *op)
{
    static const char *const ops[] = {"Conv",  "ConvTranspose", "ConvInteger", "QLinearConv",
                                      "MatMul", "MatMulInteger", "QLinearMatMul", "Gemm",
                                      "Einsum", "LSTM", "GRU", "RNN"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(op, ops[i]) == 0)
            return 1;
    return 0;
}

static void count_stats(jf_onnx_model *m)
{
    jf_onnx_stats *s = &m->stats;
    for (size_t i = 0; i < m->n_order; i++) {
        const ox_node *n = &m->nodes[m->order[i]];
        if (!n->is_task)
            continue;
        s->tasks++;
        s->flops += n->flops;
        s->macs_all += n->macs;
        if (is_conv_or_matmul(n->op))
            s->macs_conv_matmul += n->macs;
    }
    for (size_t i = 0; i < m->n_tensors; i++) {
        const ox_tensor *t = &m->tensors[i];
        if (t->kind == OX_WEIGHT) {
            s->weights++;
            s->weight_bytes += t->weight_bytes;
        } else if (t->rank < 0) {
            s->unknown_shapes++;
        }
    }
}

jf_status ox_infer(jf_onnx_model *m)
{
    jf_status st = infer_range(m, 0, m->n_nodes);
    if (st == JF_OK)
        count_stats(m);
    return st;
}
