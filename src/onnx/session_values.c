/* What every value of the model is at run time, which operators run, and
 * the weights and folded values converted once into their run dtype. */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "onnx/session_impl.h"

jf_status sx_fail(jf_onnx_session *s, jf_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

int32_t sx_resolve(const jf_onnx_session *s, int32_t t)
{
    /* Aliases form chains (nested If, fused steps), never cycles. */
    while (t >= 0 && s->vals[t].alias != t)
        t = s->vals[t].alias;
    return t;
}

/* ---- aliases of replaced If nodes ---- */

/* A replaced If's outputs are copies of its taken branch's outputs: they
 * share the branch value's memory. */
static void alias_if_outputs(jf_onnx_session *s, const ox_node *n)
{
    const jf_onnx_model *m = s->m;
    const ox_tensor *cond = n->in && n->n_in > 0 && n->in[0] >= 0 ? &m->tensors[n->in[0]] : NULL;
    if (!cond || !ox_folded(cond))
        return;
    const Onnx__AttributeProto *a = ox_attr(n, ox_geti(cond, 0) ? "then_branch" : "else_branch");
    if (!a || !a->g)
        return;
    for (int i = 0; i < n->n_out && i < (int)a->g->n_output; i++) {
        int32_t from;
        if (n->out[i] >= 0 && ox_tensor_find(m, a->g->output[i]->name, &from) &&
            from != n->out[i])
            s->vals[n->out[i]].alias = from;
    }
}

static int is_replaced_if(const ox_node *n)
{
    return !n->is_task && strcmp(n->op, "If") == 0;
}

/* ---- which operators run ---- */

static int runs(const jf_onnx_model *m, const ox_node *n)
{
    if (!n->is_task)
        return 0;
    for (int o = 0; o < n->n_out; o++)
        if (n->out[o] >= 0 && !ox_folded(&m->tensors[n->out[o]]))
            return 1;
    return 0; /* every output folded: its values are constants */
}

static int dtype_supported(int32_t dtype)
{
    switch (dtype) {
    case OX_FLOAT: case OX_FLOAT16: case OX_BFLOAT16: case OX_DOUBLE:
    case OX_UINT8: case OX_INT8: case OX_UINT16: case OX_INT16:
    case OX_INT32: case OX_UINT32: case OX_INT64: case OX_UINT64: case OX_BOOL:
        return 1;
    default:
        return 0;
    }
}

/* A value a running operator reads or writes must have a known shape and a
 * dtype the runtime holds. */
static jf_status check_value(jf_onnx_session *s, const ox_node *n, int32_t t)
{
    const ox_tensor *v = &s->m->tensors[sx_resolve(s, t)];
    if (v->rank < 0)
        return sx_fail(s, JF_EINVAL, "node '%s' (%s): the shape of '%s' is unknown%s", n->id,
                       n->op, s->m->tensors[t].name,
                       ox_rule_find(n->op) ? "" : " (no shape rule for this operator)");
    if (!dtype_supported(v->dtype))
        return sx_fail(s, JF_EINVAL, "node '%s' (%s): value '%s' has dtype %d, which the "
                       "runtime does not hold", n->id, n->op, s->m->tensors[t].name, v->dtype);
    return JF_OK;
}

static const ox_kernel *find_kernel(const ox_node *n)
{
    const char *domain = n->proto->domain;
    if (domain && *domain && strcmp(domain, "ai.onnx") != 0)
        return NULL; /* kernels are for the default domain's operators */
    return ox_kernel_find(n->op);
}

static jf_status add_op(jf_onnx_session *s, uint32_t node)
{
    const ox_node *n = &s->m->nodes[node];
    const ox_kernel *k = find_kernel(n);
    if (!k)
        return sx_fail(s, JF_EINVAL, "node '%s' (%s): no kernel for operator %s", n->id, n->op,
                       n->op);
    jf_status st = JF_OK;
    for (int i = 0; i < n->n_in + n->n_out && st == JF_OK; i++) {
        int32_t t = i < n->n_in ? n->in[i] : n->out[i - n->n_in];
        if (t >= 0)
            st = check_value(s, n, t);
    }
    if (st != JF_OK)
        return st;
    sx_op *op = &s->ops[s->n_ops];
    memset(op, 0, sizeof *op);
    op->node = node;
    op->k = k;
    op->n_slices = 1;
    op->fused_into = -1;
    s->op_of_node[node] = (int32_t)s->n_ops++;
    return JF_OK;
}

static void set_value(jf_onnx_session *s, int32_t t, sx_kind kind, int32_t op)
{
    const ox_tensor *v = &s->m->tensors[t];
    sx_value *x = &s->vals[t];
    x->kind = kind;
    x->op = op;
    x->dtype = ox_run_dtype(v->dtype);
    x->numel = ox_numel(v) < 0 ? 0 : ox_numel(v);
    x->bytes = (uint64_t)x->numel * (uint64_t)ox_dtype_size(x->dtype);
}

/* Weights and folded values that something reads become constants. */
static void mark_const(jf_onnx_session *s, int32_t t)
{
    int32_t r = sx_resolve(s, t);
    const ox_tensor *v = &s->m->tensors[r];
    if (s->vals[r].kind == SX_ABSENT && v->rank >= 0 && (v->kind == OX_WEIGHT || ox_folded(v)))
        set_value(s, r, SX_CONST, -1);
}

/* Kinds of the values running operators touch, and of the graph's ends. */
static void mark_values(jf_onnx_session *s)
{
    const jf_onnx_model *m = s->m;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &m->nodes[s->ops[i].node];
        for (int o = 0; o < n->n_out; o++)
            if (n->out[o] >= 0)
                set_value(s, n->out[o], SX_ACTIVATION, (int32_t)i);
    }
    for (size_t i = 0; i < m->n_graph_inputs; i++)
        set_value(s, m->graph_inputs[i], SX_INPUT, -1);
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &m->nodes[s->ops[i].node];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                mark_const(s, n->in[k]);
    }
    for (size_t i = 0; i < m->n_graph_outputs; i++)
        mark_const(s, m->graph_outputs[i]);
}

jf_status sx_values_plan(jf_onnx_session *s)
{
    jf_onnx_model *m = s->m;
    s->vals = jf__calloc(m->n_tensors + 1, sizeof *s->vals);
    s->ops = jf__calloc(m->n_nodes + 1, sizeof *s->ops);
    s->op_of_node = jf__malloc((m->n_nodes + 1) * sizeof *s->op_of_node);
    if (!s->vals || !s->ops || !s->op_of_node)
        return sx_fail(s, JF_ENOMEM, "out of memory");
    for (size_t t = 0; t < m->n_tensors; t++)
        s->vals[t].alias = (int32_t)t, s->vals[t].op = -1;
    for (size_t i = 0; i < m->n_nodes; i++) {
        s->op_of_node[i] = -1;
        if (is_replaced_if(&m->nodes[i]))
            alias_if_outputs(s, &m->nodes[i]);
    }
    jf_status st = JF_OK;
    for (size_t i = 0; i < m->n_order && st == JF_OK; i++)
        if (runs(m, &m->nodes[m->order[i]]))
            st = add_op(s, m->order[i]);
    if (st == JF_OK)
        mark_values(s);
    for (size_t i = 0; i < m->n_graph_outputs && st == JF_OK; i++) {
        int32_t t = sx_resolve(s, m->graph_outputs[i]);
        if (s->vals[t].kind == SX_ABSENT)
            st = sx_fail(s, JF_EINVAL, "graph output '%s' has no value at run time (shape "
                         "unknown or produced by nothing that runs)", m->tensors[t].name);
    }
    return st;
}

/* ---- converting contents ---- */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, mant = h & 1023, bits;
    if (exp == 31)
        bits = sign | 0x7f800000u | (mant << 13);
    else if (exp)
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    else if (!mant)
        bits = sign;
    else { /* subnormal: normalise */
        exp = 113;
        while (!(mant & 1024))
            mant <<= 1, exp--;
        bits = sign | (exp << 23) | ((mant & 1023) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Element i of little-endian stored data of dtype into dst (run dtype). */
static void put_raw(void *dst, int64_t i, const uint8_t *src, int32_t dtype)
{
    int size = ox_dtype_size(dtype);
    const uint8_t *p = src + i * size;
    if (dtype == OX_FLOAT16 || dtype == OX_BFLOAT16) {
        uint16_t h = (uint16_t)(p[0] | p[1] << 8);
        ((float *)dst)[i] = dtype == OX_FLOAT16 ? half_to_float(h) : bf16_to_float(h);
    } else if (dtype == OX_DOUBLE) {
        double d;
        memcpy(&d, p, 8);
        ((float *)dst)[i] = (float)d;
    } else {
        memcpy((uint8_t *)dst + i * size, p, (size_t)size); /* hosts are little-endian */
    }
}

/* Element i from the typed fields: int32_data holds every type narrower
 * than 32 bits (float16 as its bits), uint64_data uint32 and uint64. */
static void put_typed(void *dst, int64_t i, const Onnx__TensorProto *tp)
{
    int32_t dtype = tp->data_type;
    switch (dtype) {
    case OX_FLOAT: ((float *)dst)[i] = tp->float_data[i]; break;
    case OX_DOUBLE: ((float *)dst)[i] = (float)tp->double_data[i]; break;
    case OX_FLOAT16: ((float *)dst)[i] = half_to_float((uint16_t)tp->int32_data[i]); break;
    case OX_BFLOAT16: ((float *)dst)[i] = bf16_to_float((uint16_t)tp->int32_data[i]); break;
    case OX_INT64: ((int64_t *)dst)[i] = tp->int64_data[i]; break;
    case OX_UINT64: ((uint64_t *)dst)[i] = tp->uint64_data[i]; break;
    case OX_UINT32: ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i]; break;
    case OX_INT32: ((int32_t *)dst)[i] = tp->int32_data[i]; break;
    case OX_INT16: ((int16_t *)dst)[i] = (int16_t)tp->int32_data[i]; break;
    case OX_UINT16: ((uint16_t *)dst)[i] = (uint16_t)tp->int32_data[i]; break;
    case OX_INT8: ((int8_t *)dst)[i] = (int8_t)tp->int32_data[i]; break;
    case OX_UINT8: ((uint8_t *)dst)[i] = (uint8_t)tp->int32_data[i]; break;
    case OX_BOOL: ((uint8_t *)dst)[i] = tp->int32_data[i] != 0; break;
    default: break;
    }
}

static size_t typed_count(const Onnx__TensorProto *tp)
{
    switch (tp->data_type) {
    case OX_FLOAT: return tp->n_float_data;
    case OX_DOUBLE: return tp->n_double_data;
    case OX_INT64: return tp->n_int64_data;
    case OX_UINT64: case OX_UINT32: return tp->n_uint64_data;
    default: return tp->n_int32_data;
    }
}

/* Read external data (location, offset, length) from the model's folder. */
static int read_external(const char *dir, const Onnx__TensorProto *tp, uint8_t *buf,
                         uint64_t bytes, char *err, size_t err_size)
{
    const char *location = NULL;
    int64_t offset = 0;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (e->key && e->value && strcmp(e->key, "location") == 0)
            location = e->value;
        else if (e->key && e->value && strcmp(e->key, "offset") == 0)
            offset = strtoll(e->value, NULL, 10);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, location ? location : "");
    int fd = location ? open(path, O_RDONLY) : -1;
    uint64_t done = 0;
    while (fd >= 0 && done < bytes) {
        ssize_t r = pread(fd, buf + done, bytes - done, offset + (off_t)done);
        if (r <= 0)
            break;
        done += (uint64_t)r;
    }
    if (fd >= 0)
        close(fd);
    if (done == bytes)
        return 0;
    snprintf(err, err_size, "tensor '%s': cannot read %llu bytes of external data from %s",
             tp->name ? tp->name : "", (unsigned long long)bytes, path);
    return -1;
}

static int decode_stored(const char *dir, const Onnx__TensorProto *tp, void *dst, int64_t numel,
                         char *err, size_t err_size)
{
    uint64_t bytes = (uint64_t)numel * (uint64_t)ox_dtype_size(tp->data_type);
    const uint8_t *src = tp->raw_data.data;
    uint8_t *buf = NULL;
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        buf = jf__malloc(bytes + 1);
        if (!buf)
            return snprintf(err, err_size, "out of memory"), -1;
        if (read_external(dir, tp, buf, bytes, err, err_size)) {
            jf__free(buf);
            return -1;
        }
        src = buf;
    } else if (tp->raw_data.len != bytes) {
        snprintf(err, err_size, "tensor '%s' holds %zu bytes where %llu are needed",
                 tp->name ? tp->name : "", tp->raw_data.len, (unsigned long long)bytes);
        return -1;
    }
    for (int64_t i = 0; i < numel; i++)
        put_raw(dst, i, src, tp->data_type);
    jf__free(buf);
    return 0;
}

int sx_tensor_decode(const char *dir, const Onnx__TensorProto *tp, void *dst, int64_t numel,
                     char *err, size_t err_size)
{
    if (!dtype_supported(tp->data_type))
        return snprintf(err, err_size, "tensor '%s' has dtype %d, which the runtime does not "
                        "hold", tp->name ? tp->name : "", tp->data_type), -1;
    int external = tp->has_data_location &&
                   tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (external || tp->has_raw_data)
        return decode_stored(dir, tp, dst, numel, err, err_size);
    if (typed_count(tp) != (size_t)numel)
        return snprintf(err, err_size, "tensor '%s' holds %zu values where %lld are needed",
                        tp->name ? tp->name : "", typed_count(tp), (long long)numel), -1;
    for (int64_t i = 0; i < numel; i++)
        put_typed(dst, i, tp);
    return 0;
}

/* ---- where weights come from ---- */

static void note_proto(const jf_onnx_model *m, const Onnx__TensorProto **src,
                       const char *name, const Onnx__TensorProto *tp)
{
    int32_t t;
    if (tp && name && ox_tensor_find(m, name, &t))
        src[t] = tp;
}

static void note_graph(const jf_onnx_model *m, const Onnx__TensorProto **src,
                       const Onnx__GraphProto *g)
{
    for (size_t i = 0; g && i < g->n_initializer; i++)
        note_proto(m, src, g->initializer[i]->name, g->initializer[i]);
}

/* The TensorProto of every weight: initializers of the main graph and of
 * inlined If branches, Constant nodes' `value`. */
static const Onnx__TensorProto **weight_protos(const jf_onnx_model *m)
{
    const Onnx__TensorProto **src = jf__calloc(m->n_tensors + 1, sizeof *src);
    if (!src)
        return NULL;
    note_graph(m, src, m->proto->graph);
    for (size_t i = 0; i < m->n_nodes; i++) {
        const ox_node *n = &m->nodes[i];
        if (!is_replaced_if(n) && !(!n->is_task && strcmp(n->op, "Constant") == 0))
            continue;
        for (size_t a = 0; a < n->proto->n_attribute; a++) {
            const Onnx__AttributeProto *at = n->proto->attribute[a];
            if (at->g)
                note_graph(m, src, at->g);
            if (at->t && n->n_out > 0 && n->out[0] >= 0 && strcmp(n->op, "Constant") == 0)
                src[n->out[0]] = at->t;
        }
    }
    return src;
}

static void from_folded(const ox_tensor *v, void *dst, int32_t dtype, int64_t numel)
{
    for (int64_t i = 0; i < numel; i++) {
        switch (dtype) {
        case OX_FLOAT: ((float *)dst)[i] = (float)ox_getf(v, i); break;
        case OX_INT64: ((int64_t *)dst)[i] = ox_geti(v, i); break;
        case OX_UINT64: ((uint64_t *)dst)[i] = (uint64_t)ox_geti(v, i); break;
        case OX_INT32: ((int32_t *)dst)[i] = (int32_t)ox_geti(v, i); break;
        case OX_UINT32: ((uint32_t *)dst)[i] = (uint32_t)ox_geti(v, i); break;
        case OX_INT16: ((int16_t *)dst)[i] = (int16_t)ox_geti(v, i); break;
        case OX_UINT16: ((uint16_t *)dst)[i] = (uint16_t)ox_geti(v, i); break;
        case OX_INT8: ((int8_t *)dst)[i] = (int8_t)ox_geti(v, i); break;
        case OX_UINT8: ((uint8_t *)dst)[i] = (uint8_t)ox_geti(v, i); break;
        case OX_BOOL: ((uint8_t *)dst)[i] = ox_geti(v, i) != 0; break;
        default: break;
        }
    }
}

#define SX_ALIGN 64
static uint64_t align_up(uint64_t x) { return (x + SX_ALIGN - 1) & ~(uint64_t)(SX_ALIGN - 1); }

static jf_status load_const(jf_onnx_session *s, int32_t t, const Onnx__TensorProto *tp)
{
    const ox_tensor *v = &s->m->tensors[t];
    sx_value *x = &s->vals[t];
    char err[600];
    /* Folded contents come first: a Constant's value_float has no proto,
     * and a folded activation's contents are what its rule computed. */
    if (ox_folded(v)) {
        from_folded(v, x->data, x->dtype, x->numel);
        return JF_OK;
    }
    if (!tp)
        return sx_fail(s, JF_EINVAL, "value '%s': its contents are not in the model", v->name);
    if (tp->data_type != v->dtype)
        return sx_fail(s, JF_EINVAL, "value '%s': stored as dtype %d, declared %d", v->name,
                       tp->data_type, v->dtype);
    if (sx_tensor_decode(s->m->dir, tp, x->data, x->numel, err, sizeof err))
        return sx_fail(s, JF_EINVAL, "%s: %s", s->m->path, err);
    return JF_OK;
}

jf_status sx_values_load(jf_onnx_session *s)
{
    const jf_onnx_model *m = s->m;
    uint64_t total = 0;
    for (size_t t = 0; t < m->n_tensors; t++)
        if (s->vals[t].kind == SX_CONST)
            total += align_up(s->vals[t].bytes);
    s->const_bytes = total;
    s->consts = total ? jf__malloc(total + SX_ALIGN) : NULL;
    const Onnx__TensorProto **src = weight_protos(m);
    if ((total && !s->consts) || !src) {
        jf__free(src);
        return sx_fail(s, JF_ENOMEM, "out of memory");
    }
    uint8_t *base = (uint8_t *)align_up((uintptr_t)s->consts);
    uint64_t off = 0;
    jf_status st = JF_OK;
    for (size_t t = 0; t < m->n_tensors && st == JF_OK; t++) {
        if (s->vals[t].kind != SX_CONST)
            continue;
        s->vals[t].data = base + off;
        off += align_up(s->vals[t].bytes);
        st = load_const(s, (int32_t)t, src[t]);
    }
    jf__free(src);
    return st;
}
