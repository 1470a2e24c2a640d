/* The neural-network kernels against plain reference loops, on random
 * shapes that reach every path: Conv pointwise, depthwise, few-input-channel,
 * Winograd and im2col (1-D to 3-D, groups, strides, dilations, pads);
 * ConvTranspose direct (kernel == stride) and accumulating (output_padding,
 * groups); MatMul with 1-D operands and broadcast batches; Gemm with
 * transposes, alpha, beta and broadcast C. Each node runs whole and in
 * slices, Conv-like ones with a fused Add (per channel) and Relu. Nodes are
 * one-node models built with protobuf-c; the loader infers the output
 * shape the reference then fills. */
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"
#include "onnx/kernel.h"

void openblas_set_num_threads(int);

#define MAX_IN 4

typedef struct {
    const char *op;
    int n_in;
    int rank[MAX_IN];
    int64_t dims[MAX_IN][8];
    int n_attr;
    struct {
        const char *name;
        int n; /* -1: one int; -2: one float */
        int64_t v[8];
        float f;
    } attr[10];
} node_spec;

static void spec_input(node_spec *s, int rank, const int64_t *dims)
{
    s->rank[s->n_in] = rank;
    memcpy(s->dims[s->n_in++], dims, (size_t)rank * sizeof *dims);
}

static void spec_ints(node_spec *s, const char *name, int n, const int64_t *v)
{
    s->attr[s->n_attr].name = name;
    s->attr[s->n_attr].n = n;
    memcpy(s->attr[s->n_attr++].v, v, (size_t)(n < 0 ? 1 : n) * sizeof *v);
}

static void spec_float(node_spec *s, const char *name, float f)
{
    s->attr[s->n_attr].name = name;
    s->attr[s->n_attr].n = -2;
    s->attr[s->n_attr++].f = f;
}

/* ---- a one-node model, written with protobuf-c ---- */

static Onnx__ValueInfoProto *value_info(const char *name, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = calloc(1, sizeof *v);
    Onnx__TypeProto *t = calloc(1, sizeof *t);
    Onnx__TypeProto__Tensor *tt = calloc(1, sizeof *tt);
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = 1; /* float */
    if (rank >= 0) {
        Onnx__TensorShapeProto *sh = calloc(1, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        sh->n_dim = (size_t)rank;
        sh->dim = calloc((size_t)rank + 1, sizeof *sh->dim);
        for (int d = 0; d < rank; d++) {
            sh->dim[d] = calloc(1, sizeof **sh->dim);
            onnx__tensor_shape_proto__dimension__init(sh->dim[d]);
            sh->dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            sh->dim[d]->dim_value = dims[d];
        }
        tt->shape = sh;
    }
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = (char *)name;
    v->type = t;
    return v;
}

static Onnx__AttributeProto *attribute(const node_spec *s, int i)
{
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)s->attr[i].name;
    a->has_type = 1;
    if (s->attr[i].n == -2) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        a->has_f = 1;
        a->f = s->attr[i].f;
    } else if (s->attr[i].n == -1) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        a->has_i = 1;
        a->i = s->attr[i].v[0];
    } else {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        a->n_ints = (size_t)s->attr[i].n;
        a->ints = (int64_t *)s->attr[i].v;
    }
    return a;
}

/* Frees what value_info/attribute allocated (the names and lists are the
 * spec's). */
static void free_graph(Onnx__GraphProto *g, Onnx__NodeProto *n)
{
    Onnx__ValueInfoProto **lists[2] = {g->input, g->output};
    size_t counts[2] = {g->n_input, g->n_output};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            Onnx__TypeProto__Tensor *tt = lists[l][i]->type->tensor_type;
            if (tt->shape) {
                for (size_t d = 0; d < tt->shape->n_dim; d++)
                    free(tt->shape->dim[d]);
                free(tt->shape->dim);
                free(tt->shape);
            }
            free(tt);
            free(lists[l][i]->type);
            free(lists[l][i]);
        }
    for (size_t i = 0; i < n->n_attribute; i++)
        free(n->attribute[i]);
}

static int write_model(const node_spec *s, const char *path)
{
    static char *in_names[MAX_IN] = {"i0", "i1", "i2", "i3"};
    static char *out_names[1] = {"y"};
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    Onnx__AttributeProto *attrs[10];
    node.n_input = (size_t)s->n_in;
    node.input = in_names;
    node.n_output = 1;
    node.output = out_names;
    node.op_type = (char *)s->op;
    node.name = "node";
    for (int i = 0; i < s->n_attr; i++)
        attrs[i] = attribute(s, i);
    node.n_attribute = (size_t)s->n_attr;
    node.attribute = attrs;
    Onnx__NodeProto *nodes[1] = {&node};
    Onnx__ValueInfoProto *ins[MAX_IN], *outs[1] = {value_info("y", -1, NULL)};
    for (int i = 0; i < s->n_in; i++)
        ins[i] = value_info(in_names[i], s->rank[i], s->dims[i]);
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "g";
    g.n_node = 1;
    g.node = nodes;
    g.n_input = (size_t)s->n_in;
    g.input = ins;
    g.n_output = 1;
    g.output = outs;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsets[1] = {&opset};
    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
    mp.has_ir_version = 1;
    mp.ir_version = 7;
    mp.n_opset_import = 1;
    mp.opset_import = opsets;
    mp.graph = &g;
    size_t size = onnx__model_proto__get_packed_size(&mp);
    uint8_t *buf = malloc(size);
    onnx__model_proto__pack(&mp, buf);
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(buf, 1, size, f) == size ? 0 : -1;
    if (f)
        fclose(f);
    free(buf);
    free_graph(&g, &node);
    return rc;
}

/* ---- running a node ---- */

typedef struct {
    jf_onnx_model *m;
    const ox_node *n;
    ox_view in[MAX_IN], out;
    float *ref; /* the reference output, filled by the caller */
} node_run;

static float *random_values(jf_rng *rng, int64_t count)
{
    float *v = malloc((size_t)(count + 16) * sizeof *v);
    for (int64_t i = 0; i < count; i++)
        v[i] = (float)jf_rng_range(rng, -1000, 1000) / 1000.0f;
    return v;
}

static int node_load(const node_spec *s, const char *path, jf_rng *rng, node_run *r)
{
    memset(r, 0, sizeof *r);
    jf_onnx_options opt = {0};
    opt.device_gflops = 10;
    if (!JF_CHECK(write_model(s, path) == 0) ||
        !JF_CHECK_STATUS(jf_onnx_load(path, &opt, &r->m), JF_OK))
        return -1;
    for (size_t i = 0; i < r->m->n_nodes && !r->n; i++)
        if (r->m->nodes[i].is_task)
            r->n = &r->m->nodes[i];
    const ox_tensor *y = &r->m->tensors[r->n->out[0]];
    if (!JF_CHECK(y->rank >= 0))
        return -1;
    for (int i = 0; i < s->n_in; i++) {
        ox_view *v = &r->in[i];
        const ox_tensor *t = &r->m->tensors[r->n->in[i]];
        *v = (ox_view){NULL, OX_FLOAT, t->rank, t->dims, 1};
        for (int d = 0; d < t->rank; d++)
            v->numel *= t->dims[d];
        v->data = random_values(rng, v->numel);
    }
    r->out = (ox_view){NULL, OX_FLOAT, y->rank, y->dims, 1};
    for (int d = 0; d < y->rank; d++)
        r->out.numel *= y->dims[d];
    r->out.data = malloc((size_t)(r->out.numel + 1) * sizeof(float));
    r->ref = calloc((size_t)r->out.numel + 1, sizeof(float));
    return 0;
}

static void node_free(node_run *r)
{
    for (int i = 0; i < MAX_IN; i++)
        free(r->in[i].data);
    free(r->out.data);
    free(r->ref);
    jf_onnx_destroy(r->m);
}

/* Run in n_slices calls (capped at what the kernel allows), with `fused`,
 * and compare with r->ref. */
static void node_check(node_run *r, int64_t n_slices, const ox_fused *fused, const char *what)
{
    const ox_kernel *k = ox_kernel_find(r->n->op);
    if (!JF_CHECK(k != NULL))
        return;
    int64_t most = k->slices ? k->slices(r->m, r->n) : 1;
    n_slices = JF__MIN(n_slices, JF__MAX(most, 1));
    size_t bytes = k->scratch ? k->scratch(r->m, r->n, n_slices) : 0;
    void *scratch = aligned_alloc(64, (bytes + 64) / 64 * 64);
    char err[512] = "";
    memset(r->out.data, 0xff, (size_t)r->out.numel * sizeof(float)); /* NaN: unwritten */
    for (int64_t s = 0; s < n_slices; s++) {
        ox_kcall kc = {r->m, r->n, r->in, &r->out, s, n_slices, scratch, fused, err, sizeof err};
        if (!JF_CHECK(k->run(&kc) == 0))
            printf("  %s: %s\n", what, err);
    }
    const float *y = r->out.data;
    for (int64_t i = 0; i < r->out.numel; i++)
        if (!JF_CHECK_D(fabs(y[i] - r->ref[i]), <=, 1e-4 + 1e-4 * fabs(r->ref[i]))) {
            printf("  %s, %lld slices: element %lld of %lld\n", what, (long long)n_slices,
                   (long long)i, (long long)r->out.numel);
            break;
        }
    free(scratch);
}

/* A fused Add of one value per channel (axis 1), then Relu; applied to
 * the reference too. */
static void fused_add_relu(const node_run *r, const float *per_channel, ox_fused *f)
{
    memset(f, 0, sizeof *f);
    f->n_steps = 2;
    f->rank = r->out.rank;
    memcpy(f->dims, r->out.dims, (size_t)r->out.rank * sizeof *f->dims);
    f->steps[0].kind = OX_FUSE_ADD;
    f->steps[0].operand = per_channel;
    f->steps[0].strides[1] = 1;
    f->steps[1].kind = OX_FUSE_RELU;
}

static void check_all_ways(node_run *r, jf_rng *rng, int fuses, const char *what)
{
    node_check(r, 1, NULL, what);
    node_check(r, 3, NULL, what);
    if (!fuses || r->out.rank < 2)
        return;
    int64_t c = r->out.dims[1], inner = r->out.numel / JF__MAX(r->out.dims[0] * c, 1);
    float *add = random_values(rng, c);
    ox_fused f;
    fused_add_relu(r, add, &f);
    for (int64_t i = 0; i < r->out.numel; i++) {
        float v = r->ref[i] + add[i / inner % c];
        r->ref[i] = v > 0 ? v : 0;
    }
    node_check(r, 2, &f, what);
    node_check(r, 1, &f, what);
    free(add);
}

/* ---- Conv ---- */

typedef struct {
    int nsp;
    int64_t n, cin, cout, groups;
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    int bias;
} conv_case;

static void conv_spec(const conv_case *c, node_spec *s, const char *op)
{
    memset(s, 0, sizeof *s);
    s->op = op;
    int64_t x[5] = {c->n, c->cin}, w[5] = {c->cout, c->cin / c->groups}, pads[6];
    if (strcmp(op, "ConvTranspose") == 0)
        w[0] = c->cin, w[1] = c->cout / c->groups;
    for (int i = 0; i < c->nsp; i++) {
        x[2 + i] = c->in[i];
        w[2 + i] = c->k[i];
        pads[i] = c->pb[i];
        pads[c->nsp + i] = c->pe[i];
    }
    spec_input(s, 2 + c->nsp, x);
    spec_input(s, 2 + c->nsp, w);
    if (c->bias)
        spec_input(s, 1, &c->cout);
    spec_ints(s, "strides", c->nsp, c->s);
    spec_ints(s, "dilations", c->nsp, c->d);
    spec_ints(s, "pads", 2 * c->nsp, pads);
    spec_ints(s, "group", -1, &c->groups);
}

static void conv_reference(const conv_case *c, node_run *r)
{
    const float *x = r->in[0].data, *w = r->in[1].data, *b = c->bias ? r->in[2].data : NULL;
    int64_t cig = c->cin / c->groups, cog = c->cout / c->groups, in[3] = {1, 1, 1};
    int64_t out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0};
    for (int i = 0; i < c->nsp; i++) {
        int j = 3 - c->nsp + i;
        in[j] = c->in[i], out[j] = r->out.dims[2 + i], k[j] = c->k[i];
        s[j] = c->s[i], d[j] = c->d[i], p[j] = c->pb[i];
    }
    int64_t ohw = out[0] * out[1] * out[2], ihw = in[0] * in[1] * in[2], kk = k[0] * k[1] * k[2];
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t co = 0; co < c->cout; co++)
            for (int64_t q = 0; q < ohw; q++) {
                int64_t o[3] = {q / (out[1] * out[2]), q / out[2] % out[1], q % out[2]};
                double acc = b ? b[co] : 0;
                for (int64_t ci = 0; ci < cig; ci++)
                    for (int64_t t = 0; t < kk; t++) {
                        int64_t tap[3] = {t / (k[1] * k[2]), t / k[2] % k[1], t % k[2]}, at = 0;
                        int inside = 1;
                        for (int i = 0; i < 3; i++) {
                            int64_t pos = o[i] * s[i] - p[i] + tap[i] * d[i];
                            inside &= pos >= 0 && pos < in[i];
                            at = at * in[i] + pos;
                        }
                        if (inside)
                            acc += (double)x[(n * c->cin + co / cog * cig + ci) * ihw + at] *
                                   w[(co * cig + ci) * kk + t];
                    }
                r->ref[(n * c->cout + co) * ohw + q] = (float)acc;
            }
}

/* Random shapes for one of the Conv paths (0 pointwise, 1 depthwise, 2 few
 * input channels, 3 Winograd, 4 anything: 1-D to 3-D, groups, dilations). */
static void conv_random(jf_rng *rng, int path, conv_case *c)
{
    memset(c, 0, sizeof *c);
    c->nsp = path == 4 ? (int)jf_rng_range(rng, 1, 3) : 2;
    c->n = jf_rng_range(rng, 1, 2);
    c->bias = (int)jf_rng_below(rng, 2);
    c->groups = path == 4 ? jf_rng_range(rng, 1, 3) : 1;
    c->cin = c->groups * (path == 2 ? jf_rng_range(rng, 1, 4) : jf_rng_range(rng, 1, 24));
    c->cout = c->groups * jf_rng_range(rng, 1, 20);
    if (path == 1)
        c->groups = c->cout = c->cin = jf_rng_range(rng, 1, 12);
    if (path == 3)
        c->cin = jf_rng_range(rng, 16, 40), c->cout = jf_rng_range(rng, 8, 30);
    for (int i = 0; i < c->nsp; i++) {
        c->in[i] = c->nsp == 3 ? jf_rng_range(rng, 1, 7) : jf_rng_range(rng, 1, 45);
        c->k[i] = path == 0 ? 1 : path == 3 ? 3 : jf_rng_range(rng, 1, path == 4 ? 4 : 6);
        c->s[i] = path == 0 || path == 3 ? 1 : jf_rng_range(rng, 1, 2);
        c->d[i] = path == 4 || path == 1 ? jf_rng_range(rng, 1, 2) : 1;
        int64_t pmax = path == 0 ? 0 : (c->k[i] - 1) * c->d[i];
        c->pb[i] = jf_rng_range(rng, 0, pmax);
        c->pe[i] = jf_rng_range(rng, 0, pmax);
        if (path == 2 && i == 1)
            c->in[i] = jf_rng_range(rng, 32, 80); /* at least 16 output columns */
        int64_t span = c->in[i] + c->pb[i] + c->pe[i] - (c->k[i] - 1) * c->d[i];
        if (span < 1) /* keep at least one output */
            c->pe[i] += 1 - span;
    }
}

static void check_conv(jf_rng *rng, int path, const char *path_name, const char *tmp)
{
    conv_case c;
    conv_random(rng, path, &c);
    node_spec s;
    conv_spec(&c, &s, "Conv");
    node_run r;
    char what[200];
    snprintf(what, sizeof what, "Conv %s: N %lld, %lld -> %lld channels, %d-D, groups %lld",
             path_name, (long long)c.n, (long long)c.cin, (long long)c.cout, c.nsp,
             (long long)c.groups);
    jf_test_context("%s", what);
    if (node_load(&s, tmp, rng, &r) == 0) {
        conv_reference(&c, &r);
        check_all_ways(&r, rng, 1, what);
    }
    node_free(&r);
}

/* ---- ConvTranspose ---- */

static void convt_reference(const conv_case *c, node_run *r)
{
    const float *x = r->in[0].data, *w = r->in[1].data, *b = c->bias ? r->in[2].data : NULL;
    int64_t cig = c->cin / c->groups, cog = c->cout / c->groups;
    int64_t oh = r->out.dims[2], ow = r->out.dims[3], ohw = oh * ow, ihw = c->in[0] * c->in[1];
    for (int64_t i = 0; i < r->out.numel; i++)
        r->ref[i] = b ? b[i / ohw % c->cout] : 0.0f;
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t ci = 0; ci < c->cin; ci++)
            for (int64_t q = 0; q < ihw; q++)
                for (int64_t co = 0; co < cog; co++)
                    for (int64_t t = 0; t < c->k[0] * c->k[1]; t++) {
                        int64_t y = q / c->in[1] * c->s[0] - c->pb[0] + t / c->k[1] * c->d[0];
                        int64_t xx = q % c->in[1] * c->s[1] - c->pb[1] + t % c->k[1] * c->d[1];
                        if (y < 0 || y >= oh || xx < 0 || xx >= ow)
                            continue;
                        int64_t oc = ci / cig * cog + co;
                        r->ref[(n * c->cout + oc) * ohw + y * ow + xx] +=
                            x[(n * c->cin + ci) * ihw + q] *
                            w[(ci * cog + co) * c->k[0] * c->k[1] + t];
                    }
}

static void check_convt(jf_rng *rng, int direct, const char *tmp)
{
    conv_case c;
    memset(&c, 0, sizeof c);
    c.nsp = 2;
    c.n = jf_rng_range(rng, 1, 2);
    c.bias = (int)jf_rng_below(rng, 2);
    c.groups = jf_rng_range(rng, 1, 2);
    c.cin = c.groups * jf_rng_range(rng, 1, 12);
    c.cout = c.groups * jf_rng_range(rng, 1, 10);
    int64_t opad[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        c.in[i] = jf_rng_range(rng, 1, 30);
        c.k[i] = jf_rng_range(rng, 1, 4);
        c.s[i] = direct ? c.k[i] : jf_rng_range(rng, 1, 3);
        c.d[i] = direct ? 1 : jf_rng_range(rng, 1, 2);
        c.pb[i] = direct ? 0 : jf_rng_range(rng, 0, c.k[i] - 1);
        c.pe[i] = direct ? 0 : jf_rng_range(rng, 0, c.k[i] - 1);
        opad[i] = direct ? 0 : jf_rng_range(rng, 0, JF__MIN(c.s[i], c.d[i]) - 1);
    }
    node_spec s;
    conv_spec(&c, &s, "ConvTranspose");
    spec_ints(&s, "output_padding", 2, opad);
    node_run r;
    char what[160];
    snprintf(what, sizeof what, "ConvTranspose %s: %lld -> %lld channels, groups %lld",
             direct ? "direct" : "accumulating", (long long)c.cin, (long long)c.cout,
             (long long)c.groups);
    jf_test_context("%s", what);
    if (node_load(&s, tmp, rng, &r) == 0) {
        convt_reference(&c, &r);
        check_all_ways(&r, rng, 1, what);
    }
    node_free(&r);
}

/* ---- MatMul and Gemm ---- */

static void check_matmul(jf_rng *rng, const char *tmp, int big)
{
    int64_t m = jf_rng_range(rng, 1, 9), k = jf_rng_range(rng, 1, 9), n = jf_rng_range(rng, 1, 9);
    if (big) /* K past the sgemm's block of 512, M past its 8 rows, N past 32 columns */
        m = jf_rng_range(rng, 9, 21), k = jf_rng_range(rng, 513, 1300),
        n = jf_rng_range(rng, 33, 70);
    int ra = (int)jf_rng_range(rng, 1, 4), rb = (int)jf_rng_range(rng, 1, 4);
    int64_t a[4], b[4], batch[2] = {jf_rng_range(rng, 1, 3), jf_rng_range(rng, 1, 3)};
    for (int i = 0; i < ra - 2; i++)
        a[i] = jf_rng_below(rng, 2) ? 1 : batch[i + 4 - ra];
    for (int i = 0; i < rb - 2; i++)
        b[i] = jf_rng_below(rng, 2) ? 1 : batch[i + 4 - rb];
    if (ra == 1)
        a[0] = k;
    else
        a[ra - 2] = m, a[ra - 1] = k;
    if (rb == 1)
        b[0] = k;
    else
        b[rb - 2] = k, b[rb - 1] = n;
    node_spec s = {.op = "MatMul"};
    spec_input(&s, ra, a);
    spec_input(&s, rb, b);
    node_run r;
    jf_test_context("MatMul ranks %d and %d", ra, rb);
    if (node_load(&s, tmp, rng, &r) == 0) {
        /* reference: out batch index -> A and B batch offsets by broadcasting */
        int ob = JF__MAX(ra, rb) - 2;
        ob = ob < 0 ? 0 : ob;
        int64_t mm = ra == 1 ? 1 : m, nn = rb == 1 ? 1 : n, total = r.out.numel / (mm * nn);
        for (int64_t bi = 0; bi < total; bi++) {
            int64_t ao = 0, bo = 0, rem = bi, sa = mm * k, sb = k * nn;
            for (int i = ob - 1; i >= 0; i--) {
                int64_t dim = r.out.dims[i], cidx = rem % dim;
                rem /= dim;
                int ia = i - (ob - (ra - 2)), ib = i - (ob - (rb - 2));
                if (ia >= 0) {
                    ao += (a[ia] == 1 ? 0 : cidx) * sa;
                    sa *= a[ia];
                }
                if (ib >= 0) {
                    bo += (b[ib] == 1 ? 0 : cidx) * sb;
                    sb *= b[ib];
                }
            }
            const float *av = (const float *)r.in[0].data + ao,
                        *bv = (const float *)r.in[1].data + bo;
            for (int64_t i = 0; i < mm; i++)
                for (int64_t j = 0; j < nn; j++) {
                    double acc = 0;
                    for (int64_t t = 0; t < k; t++)
                        acc += (double)av[i * k + t] * bv[t * nn + j];
                    r.ref[(bi * mm + i) * nn + j] = (float)acc;
                }
        }
        check_all_ways(&r, rng, 0, "MatMul");
    }
    node_free(&r);
}

static void check_gemm(jf_rng *rng, const char *tmp)
{
    int64_t m = jf_rng_range(rng, 1, 12), k = jf_rng_range(rng, 1, 12),
            n = jf_rng_range(rng, 1, 12);
    int64_t ta = jf_rng_below(rng, 2), tb = jf_rng_below(rng, 2), cshape = jf_rng_below(rng, 5);
    float alpha = (float)jf_rng_range(rng, -20, 20) / 10.0f,
          beta = (float)jf_rng_range(rng, -20, 20) / 10.0f;
    int64_t a[2] = {ta ? k : m, ta ? m : k}, b[2] = {tb ? n : k, tb ? k : n};
    int64_t cdims[5][2] = {{m, n}, {1, n}, {m, 1}, {n, 0}, {1, 0}};
    node_spec s = {.op = "Gemm"};
    spec_input(&s, 2, a);
    spec_input(&s, 2, b);
    if (cshape < 3)
        spec_input(&s, 2, cdims[cshape]);
    else
        spec_input(&s, 1, cdims[cshape]);
    spec_ints(&s, "transA", -1, &ta);
    spec_ints(&s, "transB", -1, &tb);
    spec_float(&s, "alpha", alpha);
    spec_float(&s, "beta", beta);
    node_run r;
    jf_test_context("Gemm transA %lld transB %lld C shape %lld", (long long)ta, (long long)tb,
                    (long long)cshape);
    if (node_load(&s, tmp, rng, &r) == 0) {
        const float *av = r.in[0].data, *bv = r.in[1].data, *cv = r.in[2].data;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = 0;
                for (int64_t t = 0; t < k; t++)
                    acc += (double)av[ta ? t * m + i : i * k + t] * bv[tb ? j * k + t : t * n + j];
                int64_t ci = cshape == 0                  ? i * n + j
                             : cshape == 1 || cshape == 3 ? j
                             : cshape == 2                ? i
                                                          : 0;
                r.ref[i * n + j] = (float)(alpha * acc + beta * cv[ci]);
            }
        check_all_ways(&r, rng, 0, "Gemm");
    }
    node_free(&r);
}

int main(void)
{
    openblas_set_num_threads(1);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/test_onnx_kern_nn_%d.onnx", (int)getpid());
    jf_rng rng = jf_rng_seed(20261125);
    static const char *const paths[] = {"pointwise", "depthwise", "small", "winograd", "im2col"};
    int cases = 0;
    for (int round = 0; round < 12; round++) {
        for (int path = 0; path < 5; path++, cases++)
            check_conv(&rng, path, paths[path], tmp);
        check_convt(&rng, round % 2, tmp);
        check_matmul(&rng, tmp, round % 4 == 3);
        check_gemm(&rng, tmp);
        cases += 3;
    }
    unlink(tmp);
    return jf_test_finish("test_onnx_kern_nn", "nodes", (uint64_t)cases);
}
