/* Loading an ONNX model: map the file, decode it with the protobuf-c
 * structures generated from onnx.proto, number values and nodes, fix the
 * graph inputs' shapes and put the nodes in a topological order. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx/onnx_impl.h"

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return jf__malloc(size ? size : 1);
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    jf__free(ptr);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static const char *tensor_key(const void *ctx, uint32_t value)
{
    return ((const jf_onnx_model *)ctx)->tensors[value].name;
}

int ox_tensor_find(const jf_onnx_model *m, const char *name, int32_t *out)
{
    uint32_t v;
    if (!jf__strmap_find(&m->tensor_map, name, tensor_key, m, &v))
        return 0;
    *out = (int32_t)v;
    return 1;
}

int ox_tensor_add(jf_onnx_model *m, const char *name, int32_t *out)
{
    if (ox_tensor_find(m, name, out)) {
        ox_errf(m, "%s: value '%s' is defined twice", m->path, name);
        return -1;
    }
    if (jf__grow((void **)&m->tensors, &m->cap_tensors, m->n_tensors + 1, sizeof(ox_tensor)))
        return ox_errf(m, "out of memory"), -1;
    ox_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->rank = -1;
    t->producer = -1;
    t->alias = -1;
    if (jf__strmap_insert(&m->tensor_map, (uint32_t)m->n_tensors, tensor_key, m))
        return ox_errf(m, "out of memory"), -1;
    *out = (int32_t)m->n_tensors++;
    return 0;
}

/* Map the file and decode it. */
static jf_status decode(jf_onnx_model *m)
{
    int fd = open(m->path, O_RDONLY);
    if (fd < 0)
        return ox_errf(m, "%s: %s", m->path, strerror(errno)), JF_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ox_errf(m, "%s: not a regular file", m->path), JF_EIO;
    }
    if (st.st_size == 0) {
        close(fd);
        return ox_errf(m, "%s: empty file, not an ONNX model", m->path), JF_EPARSE;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return ox_errf(m, "%s: %s", m->path, strerror(errno)), JF_EIO;
    m->proto = onnx__model_proto__unpack(&pb_allocator, (size_t)st.st_size, map);
    munmap(map, (size_t)st.st_size);
    if (!m->proto)
        return ox_errf(m, "%s: not an ONNX model (truncated or corrupt: the protobuf "
                       "message does not decode)", m->path), JF_EPARSE;
    if (!m->proto->has_ir_version || !m->proto->graph)
        return ox_errf(m, "%s: not an ONNX model (no %s)", m->path,
                       m->proto->graph ? "IR version" : "graph"), JF_EPARSE;
    return JF_OK;
}

static int is_default_domain(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

static jf_status read_opset(jf_onnx_model *m)
{
    for (size_t i = 0; i < m->proto->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->proto->opset_import[i];
        if (is_default_domain(o->domain) && o->has_version)
            m->opset = (int)o->version;
    }
    if (m->opset == 0)
        return ox_errf(m, "%s: the model imports no version of the ONNX operator set",
                       m->path), JF_EPARSE;
    if (m->opset < 7 || m->opset > 21)
        jf__log(JF_LOG_WARN, "%s: operator set %d is outside 7..21; shapes may be wrong",
                m->path, m->opset);
    return JF_OK;
}

/* Resolve a name read by a node; "" is an omitted optional input (-1). */
static int resolve(jf_onnx_model *m, const char *node, const char *name, int32_t *out)
{
    if (!name || !*name) {
        *out = -1;
        return 0;
    }
    if (ox_tensor_find(m, name, out))
        return 0;
    ox_errf(m, "%s: node '%s' reads '%s', which no node, initializer or graph input "
            "produces", m->path, node, name);
    return -1;
}

/* Names a subgraph reads from outside itself, added to *list (deduplicated
 * by the caller's resolve). Walks nested subgraphs without recursion depth
 * tied to the graph size: nesting depth is that of the model's bodies. */
static int collect_outer(jf_onnx_model *m, const Onnx__GraphProto *g, jf__strmap *inner,
                         const char ***names, size_t *count, size_t *cap);

static int node_implicit_inputs(jf_onnx_model *m, ox_node *n)
{
    const char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (size_t a = 0; a < n->proto->n_attribute && rc == 0; a++) {
        const Onnx__AttributeProto *attr = n->proto->attribute[a];
        jf__strmap inner = {0};
        if (attr->g)
            rc = collect_outer(m, attr->g, &inner, &names, &count, &cap);
        jf__strmap_free(&inner);
    }
    if (rc == 0 && count) {
        n->implicit = jf__arena_alloc(&m->arena, count * sizeof(int32_t));
        if (!n->implicit)
            rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        int32_t t;
        if (!ox_tensor_find(m, names[i], &t)) {
            ox_errf(m, "%s: node '%s' (%s): its body reads '%s', which nothing produces",
                    m->path, n->id, n->op, names[i]);
            rc = -1;
            break;
        }
        int seen = 0;
        for (int k = 0; k < n->n_implicit; k++)
            seen |= n->implicit[k] == t;
        if (!seen)
            n->implicit[n->n_implicit++] = t;
    }
    jf__free(names);
    return rc;
}

static const char *name_key(const void *ctx, uint32_t value)
{
    return ((const char *const *)ctx)[value];
}

static int collect_outer(jf_onnx_model *m, const Onnx__GraphProto *g, jf__strmap *inner,
                         const char ***names, size_t *count, size_t *cap)
{
    /* Names defined in this body: its inputs, initializers, node outputs. */
    size_t n_def = g->n_input + g->n_initializer;
    for (size_t i = 0; i < g->n_node; i++)
        n_def += g->node[i]->n_output;
    const char **defs = jf__malloc((n_def + 1) * sizeof *defs);
    if (!defs)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < g->n_input; i++)
        defs[k++] = g->input[i]->name ? g->input[i]->name : "";
    for (size_t i = 0; i < g->n_initializer; i++)
        defs[k++] = g->initializer[i]->name ? g->initializer[i]->name : "";
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t o = 0; o < g->node[i]->n_output; o++)
            defs[k++] = g->node[i]->output[o];
    int rc = 0;
    uint32_t dummy;
    for (size_t i = 0; i < k && rc == 0; i++)
        if (!jf__strmap_find(inner, defs[i], name_key, defs, &dummy))
            rc = jf__strmap_insert(inner, (uint32_t)i, name_key, defs);
    for (size_t i = 0; i < g->n_node && rc == 0; i++) {
        const Onnx__NodeProto *node = g->node[i];
        for (size_t j = 0; j < node->n_input && rc == 0; j++) {
            const char *name = node->input[j];
            if (!*name || jf__strmap_find(inner, name, name_key, defs, &dummy))
                continue;
            if (jf__grow((void **)names, cap, *count + 1, sizeof **names))
                rc = -1;
            else
                (*names)[(*count)++] = name;
        }
        for (size_t a = 0; a < node->n_attribute && rc == 0; a++)
            if (node->attribute[a]->g) {
                jf__strmap nested = {0};
                rc = collect_outer(m, node->attribute[a]->g, &nested, names, count, cap);
                jf__strmap_free(&nested);
            }
    }
    /* Names used by nested bodies but defined here are not outer. */
    size_t w = 0;
    for (size_t i = 0; i < *count; i++)
        if (!jf__strmap_find(inner, (*names)[i], name_key, defs, &dummy))
            (*names)[w++] = (*names)[i];
    *count = w;
    jf__strmap_free(inner);
    jf__free(defs);
    return rc;
}

static const char *node_key(const void *ctx, uint32_t value)
{
    return ((const jf_onnx_model *)ctx)->nodes[value].id;
}

static int node_id_taken(jf_onnx_model *m, const char *id)
{
    uint32_t v;
    return jf__strmap_find(&m->node_ids, id, node_key, m, &v);
}

/* The next free number for generated ids of an operator type. */
static size_t *op_counter(jf_onnx_model *m, const char *op)
{
    for (size_t i = 0; i < m->n_op_counts; i++)
        if (strcmp(m->op_counts[i].op, op) == 0)
            return &m->op_counts[i].next;
    if (jf__grow((void **)&m->op_counts, &m->cap_op_counts, m->n_op_counts + 1,
                 sizeof *m->op_counts))
        return NULL;
    m->op_counts[m->n_op_counts].op = op;
    m->op_counts[m->n_op_counts].next = 0;
    return &m->op_counts[m->n_op_counts++].next;
}

static int take_id(jf_onnx_model *m, size_t node, const char *id)
{
    m->nodes[node].id = id;
    return id ? jf__strmap_insert(&m->node_ids, (uint32_t)node, node_key, m) : -1;
}

/* Task ids: the node's name when unique; then, for the rest, op_N (or
 * name#N for a repeated name) with N counting per operator type. Names
 * are taken first so that a generated id never steals a later node's. */
static int assign_ids(jf_onnx_model *m, size_t first)
{
    for (size_t i = first; i < m->n_nodes; i++) {
        const char *name = m->nodes[i].proto->name;
        if (name && *name && !node_id_taken(m, name) && take_id(m, i, name))
            return -1;
    }
    for (size_t i = first; i < m->n_nodes; i++) {
        ox_node *n = &m->nodes[i];
        const char *name = n->proto->name;
        int named = name && *name;
        if (n->id)
            continue;
        size_t *next = op_counter(m, named ? name : n->op);
        if (!next)
            return -1;
        char buf[300];
        do
            snprintf(buf, sizeof buf, "%.256s%s%zu", named ? name : n->op, named ? "#" : "_",
                     (*next)++ + (size_t)named * 2);
        while (node_id_taken(m, buf));
        if (take_id(m, i, jf__arena_strdup(&m->arena, buf)))
            return -1;
    }
    return 0;
}

int ox_add_graph_nodes(jf_onnx_model *m, const Onnx__GraphProto *g, size_t *first)
{
    *first = m->n_nodes;
    if (jf__grow((void **)&m->nodes, &m->cap_nodes, m->n_nodes + g->n_node, sizeof(ox_node)))
        return ox_errf(m, "out of memory"), -1;
    int rc = 0;
    for (size_t i = 0; i < g->n_initializer && rc == 0; i++) {
        const Onnx__TensorProto *tp = g->initializer[i];
        int32_t t;
        rc = ox_tensor_add(m, tp->name ? tp->name : "", &t);
        if (rc == 0)
            rc = ox_tensor_from_proto(m, &m->tensors[t], tp);
    }
    for (size_t i = 0; i < g->n_node && rc == 0; i++) {
        const Onnx__NodeProto *p = g->node[i];
        ox_node *n = &m->nodes[m->n_nodes];
        memset(n, 0, sizeof *n);
        n->proto = p;
        n->op = p->op_type ? p->op_type : "";
        n->opset = is_default_domain(p->domain) ? m->opset : 1;
        n->is_task = strcmp(n->op, "Constant") != 0 || !is_default_domain(p->domain);
        n->n_in = (int)p->n_input;
        n->n_out = (int)p->n_output;
        n->in = jf__arena_alloc(&m->arena, (p->n_input + 1) * sizeof(int32_t));
        n->out = jf__arena_alloc(&m->arena, (p->n_output + 1) * sizeof(int32_t));
        if (!n->in || !n->out)
            return ox_errf(m, "out of memory"), -1;
        for (size_t o = 0; o < p->n_output && rc == 0; o++) {
            n->out[o] = -1;
            if (!*p->output[o])
                continue;
            rc = ox_tensor_add(m, p->output[o], &n->out[o]);
            if (rc == 0)
                m->tensors[n->out[o]].producer = (int32_t)m->n_nodes;
        }
        m->n_nodes++;
    }
    if (rc == 0 && assign_ids(m, *first))
        return ox_errf(m, "out of memory"), -1;
    for (size_t i = *first; i < m->n_nodes && rc == 0; i++) {
        ox_node *n = &m->nodes[i];
        for (int j = 0; j < n->n_in && rc == 0; j++)
            rc = resolve(m, n->id, n->proto->input[j], &n->in[j]);
        if (rc == 0)
            rc = node_implicit_inputs(m, n);
    }
    return rc;
}

/* ---- graph inputs --------------------------------------------------------- */
static const jf_onnx_input *given_shape(const jf_onnx_model *m, const char *name)
{
    for (size_t i = 0; i < m->opts.n_inputs; i++)
        if (strcmp(m->opts.inputs[i].name, name) == 0)
            return &m->opts.inputs[i];
    return NULL;
}

static int fix_input_shape(jf_onnx_model *m, ox_tensor *t, const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto *type = vi->type;
    /* tensor_type shares a union with sequence and map types. */
    const Onnx__TypeProto__Tensor *tt =
        type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? type->tensor_type : NULL;
    const Onnx__TensorShapeProto *shape = tt ? tt->shape : NULL;
    const jf_onnx_input *given = given_shape(m, t->name);
    t->dtype = tt && tt->has_elem_type ? tt->elem_type : OX_UNDEFINED;
    if (!shape && !given) {
        jf__log(JF_LOG_WARN, "%s: input '%s' has no shape; give one with --input %s=SHAPE",
                m->path, t->name, t->name);
        return 0;
    }
    int rank = shape ? (int)shape->n_dim : given->rank;
    if (rank > OX_MAX_RANK || (given && given->rank != rank))
        return ox_errf(m, "%s: input '%s' has rank %d, the shape given has rank %d",
                       m->path, t->name, rank, given ? given->rank : rank), -1;
    for (int d = 0; d < rank; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = shape ? shape->dim[d] : NULL;
        int fixed = dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                    && dim->dim_value >= 0;
        if (given && fixed && given->dims[d] != dim->dim_value)
            return ox_errf(m, "%s: input '%s' dimension %d is %lld in the model, the "
                           "shape given says %lld", m->path, t->name, d,
                           (long long)dim->dim_value, (long long)given->dims[d]), -1;
        t->dims[d] = given ? given->dims[d] : fixed ? dim->dim_value : 1;
        if (!given && !fixed)
            jf__log(JF_LOG_WARN, "%s: input '%s' dimension %d (%s) is not fixed; using 1 "
                    "(set it with --input %s=SHAPE)", m->path, t->name, d,
                    dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                        ? dim->dim_param : "unnamed", t->name);
    }
    t->rank = rank;
    /* Bounds the rules also keep, so that no element count overflows. */
    double numel = 1;
    for (int d = 0; d < rank; d++) {
        numel *= (double)t->dims[d];
        if (t->dims[d] > ((int64_t)1 << 40) || numel > 0x1p62)
            return ox_errf(m, "%s: input '%s' is too large (dimension %d is %lld)", m->path,
                           t->name, d, (long long)t->dims[d]), -1;
    }
    return 0;
}

static int add_graph_inputs(jf_onnx_model *m)
{
    const Onnx__GraphProto *g = m->proto->graph;
    m->graph_inputs = jf__arena_alloc(&m->arena, (g->n_input + 1) * sizeof(int32_t));
    if (!m->graph_inputs)
        return ox_errf(m, "out of memory"), -1;
    for (size_t i = 0; i < g->n_input; i++) {
        const char *name = g->input[i]->name ? g->input[i]->name : "";
        int32_t t;
        if (ox_tensor_find(m, name, &t))
            continue; /* an initializer listed as input (IR < 4): a weight */
        if (ox_tensor_add(m, name, &t) || fix_input_shape(m, &m->tensors[t], g->input[i]))
            return -1;
        m->tensors[t].kind = OX_INPUT;
        m->graph_inputs[m->n_graph_inputs++] = t;
    }
    for (size_t i = 0; i < m->opts.n_inputs; i++) {
        int32_t t;
        const char *name = m->opts.inputs[i].name;
        if (!ox_tensor_find(m, name, &t) || m->tensors[t].kind != OX_INPUT)
            return ox_errf(m, "%s: the model has no input named '%s'", m->path, name), -1;
    }
    return 0;
}

static int add_graph_outputs(jf_onnx_model *m)
{
    const Onnx__GraphProto *g = m->proto->graph;
    m->graph_outputs = jf__arena_alloc(&m->arena, (g->n_output + 1) * sizeof(int32_t));
    if (!m->graph_outputs)
        return ox_errf(m, "out of memory"), -1;
    for (size_t i = 0; i < g->n_output; i++) {
        const char *name = g->output[i]->name ? g->output[i]->name : "";
        if (!*name)
            return ox_errf(m, "%s: graph output %zu has no name", m->path, i), -1;
        if (resolve(m, "(graph output)", name, &m->graph_outputs[i]))
            return ox_errf(m, "%s: graph output '%s' is produced by nothing", m->path, name),
                   -1;
        m->n_graph_outputs++;
    }
    return 0;
}

/* ---- the model ------------------------------------------------------------ */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return jf__strdup(".");
    char *dir = jf__strdup(path);
    if (dir)
        dir[slash == path ? 1 : slash - path] = '\0';
    return dir;
}

static jf_status load(jf_onnx_model *m)
{
    jf_status st = decode(m);
    if (st == JF_OK)
        st = read_opset(m);
    if (st != JF_OK)
        return st;
    const Onnx__GraphProto *g = m->proto->graph;
    size_t first;
    /* Initializers come first so that graph inputs naming them stay weights. */
    for (size_t i = 0; i < g->n_initializer; i++) {
        int32_t t;
        const Onnx__TensorProto *tp = g->initializer[i];
        if (ox_tensor_add(m, tp->name ? tp->name : "", &t) ||
            ox_tensor_from_proto(m, &m->tensors[t], tp))
            return *m->err && strncmp(m->err, "out of", 6) ? JF_EINVAL : JF_ENOMEM;
    }
    if (add_graph_inputs(m))
        return JF_EINVAL;
    Onnx__GraphProto without_init = *g;
    without_init.n_initializer = 0;
    if (ox_add_graph_nodes(m, &without_init, &first) || add_graph_outputs(m))
        return strncmp(m->err, "out of", 6) ? JF_EINVAL : JF_ENOMEM;
    m->n_file_nodes = m->n_nodes;
    m->stats.operators = m->n_nodes;
    m->stats.opset = m->opset;
    return ox_infer(m);
}

jf_status jf_onnx_load(const char *path, const jf_onnx_options *opt, jf_onnx_model **out)
{
    jf_onnx_model *m = jf__calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return JF_ENOMEM;
    if (opt)
        m->opts = *opt;
    m->path = jf__strdup(path);
    m->dir = dir_of(path);
    if (!m->path || !m->dir)
        return ox_errf(m, "out of memory"), JF_ENOMEM;
    return load(m);
}

const char *jf_onnx_errmsg(const jf_onnx_model *m)
{
    return m ? m->err : "out of memory";
}

void jf_onnx_destroy(jf_onnx_model *m)
{
    if (!m)
        return;
    if (m->proto)
        onnx__model_proto__free_unpacked(m->proto, &pb_allocator);
    jf__strmap_free(&m->tensor_map);
    jf__strmap_free(&m->node_ids);
    jf__free(m->tensors);
    jf__free(m->nodes);
    jf__free(m->order);
    jf__free(m->warned);
    jf__free(m->op_counts);
    jf__arena_free(&m->arena);
    jf__free(m->path);
    jf__free(m->dir);
    jf__free(m);
}

const jf_onnx_stats *jf_onnx_get_stats(const jf_onnx_model *m)
{
    return &m->stats;
}
