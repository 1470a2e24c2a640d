/* The element-wise, shape and reduction kernels (src/onnx/kern_ew*.c) give
 * the same bytes however a node is sliced, and in place where they accept
 * it: every node of the small operator models in tests/data/onnx/ops that
 * has such a kernel runs once whole (the reference), then in 2, 3, 5 and
 * 16 slices run in reverse order into an output filled with another
 * pattern, then with input 0's memory as the output. Inputs are the folded
 * values where the model has them, else fixed pseudo-random ones. A kernel
 * may refuse in place (saying so), and may refuse bad random values (Div
 * by an integer 0, an index out of range) as long as it does so every
 * time. The values themselves are checked by test_onnx_conformance. */
#include <dirent.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"
#include "onnx/kern_ew.h"

typedef struct {
    ox_view in[16], out[16];
    void *ref[16];
    size_t out_bytes[16];
    int ref_rc;
} node_bufs;

static size_t view_bytes(const ox_view *v)
{
    return (size_t)(v->numel > 0 ? v->numel : 0) * (size_t)ox_ew_esize(v->dtype);
}

/* A view of tensor t; 0, or -1 when its shape or dtype is unknown. */
static int view_of(const jf_onnx_model *m, int32_t t, ox_view *v)
{
    memset(v, 0, sizeof *v);
    if (t < 0)
        return 0;
    const ox_tensor *x = &m->tensors[t];
    v->dtype = ox_run_dtype(x->dtype);
    v->rank = x->rank;
    v->dims = x->dims;
    v->numel = ox_numel(x);
    if (x->rank < 0 || !ox_ew_esize(v->dtype) || v->numel > (1 << 20))
        return -1;
    v->data = jf_test_alloc(view_bytes(v) + 64, 1);
    return 0;
}

/* The folded contents, or small pseudo-random values of the dtype. */
static void fill_input(const ox_tensor *x, const ox_view *v, jf_rng *rng)
{
    for (int64_t i = 0; i < v->numel; i++) {
        if (x->fval)
            ox_ew_set_f(v->data, v->dtype, i, x->fval[i]);
        else if (x->ival)
            ox_ew_set_i(v->data, v->dtype, i, x->ival[i]);
        else if (v->dtype == OX_FLOAT)
            ox_ew_set_f(v->data, v->dtype, i, jf_rng_unit(rng) * 8 - 4);
        else
            ox_ew_set_i(v->data, v->dtype, i, jf_rng_range(rng, -2, 3));
    }
}

/* Run slices n_slices-1 .. 0 of the node; the first failure's rc. */
static int run_slices(const ox_kernel *kern, const jf_onnx_model *m, const ox_node *n,
                      const ox_view *in, const ox_view *out, int64_t n_slices, char *err)
{
    size_t bytes = kern->scratch ? kern->scratch(m, n, n_slices) : 0;
    void *scratch = bytes ? jf_test_alloc(bytes, 1) : NULL;
    int rc = 0;
    for (int64_t s = n_slices - 1; s >= 0 && rc == 0; s--) {
        ox_kcall k = {m, n, in, out, s, n_slices, scratch, NULL, err, 512};
        rc = kern->run(&k);
    }
    free(scratch);
    return rc;
}

static int same_outputs(const ox_node *n, const node_bufs *b, const ox_view *out)
{
    for (int o = 0; o < n->n_out; o++)
        if (out[o].data && memcmp(out[o].data, b->ref[o], b->out_bytes[o]) != 0)
            return 0;
    return 1;
}

static void check_sliced(const ox_kernel *kern, const jf_onnx_model *m, const ox_node *n,
                         node_bufs *b)
{
    static const int64_t counts[] = {2, 3, 5, 16};
    char err[512] = "";
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        for (int o = 0; o < n->n_out; o++)
            if (b->out[o].data)
                memset(b->out[o].data, 0x5a, b->out_bytes[o]);
        jf_test_context("%s (%s), %lld slices", n->id, n->op, (long long)counts[c]);
        int rc = run_slices(kern, m, n, b->in, b->out, kern->slices ? counts[c] : 1, err);
        JF_CHECK_I(rc, ==, b->ref_rc);
        if (rc == 0 && b->ref_rc == 0)
            JF_CHECK(same_outputs(n, b, b->out));
    }
}

/* Output 0 on input 0's memory, when they have the same size. */
static void check_in_place(const ox_kernel *kern, const jf_onnx_model *m, const ox_node *n,
                           node_bufs *b)
{
    char err[512] = "";
    if (n->n_in < 1 || !b->in[0].data || !b->out[0].data || b->ref_rc != 0 ||
        view_bytes(&b->in[0]) != b->out_bytes[0] || b->out_bytes[0] == 0)
        return;
    ox_view in[16];
    memcpy(in, b->in, sizeof in);
    memcpy(b->out[0].data, b->in[0].data, b->out_bytes[0]);
    in[0].data = b->out[0].data;
    jf_test_context("%s (%s), in place", n->id, n->op);
    int rc = run_slices(kern, m, n, in, b->out, kern->slices ? 3 : 1, err);
    if (rc != 0)
        JF_CHECK_MENTIONS(err, "place");
    else
        JF_CHECK(same_outputs(n, b, b->out));
}

static void free_bufs(const ox_node *n, node_bufs *b)
{
    for (int i = 0; i < n->n_in; i++)
        free(b->in[i].data);
    for (int o = 0; o < n->n_out; o++)
        free(b->out[o].data), free(b->ref[o]);
}

/* 1 when the node was tested. */
static int check_node(const jf_onnx_model *m, const ox_node *n, jf_rng *rng)
{
    const ox_kernel *kern = ox_kernel_find(n->op);
    node_bufs b;
    char err[512] = "";
    int ok = kern && n->is_task && n->n_in <= 16 && n->n_out <= 16;
    memset(&b, 0, sizeof b);
    for (int i = 0; ok && i < n->n_in; i++)
        ok = view_of(m, n->in[i], &b.in[i]) == 0;
    for (int o = 0; ok && o < n->n_out; o++)
        ok = view_of(m, n->out[o], &b.out[o]) == 0;
    for (int i = 0; ok && i < n->n_in; i++)
        if (n->in[i] >= 0)
            fill_input(&m->tensors[n->in[i]], &b.in[i], rng);
    for (int o = 0; ok && o < n->n_out; o++) {
        b.out_bytes[o] = view_bytes(&b.out[o]);
        b.ref[o] = b.out[o].data ? jf_test_alloc(b.out_bytes[o] + 1, 1) : NULL;
        if (b.out[o].data)
            memset(b.out[o].data, 0xa5, b.out_bytes[o]);
    }
    if (ok) {
        b.ref_rc = run_slices(kern, m, n, b.in, b.out, 1, err);
        for (int o = 0; o < n->n_out; o++)
            if (b.out[o].data)
                memcpy(b.ref[o], b.out[o].data, b.out_bytes[o]);
        check_sliced(kern, m, n, &b);
        check_in_place(kern, m, n, &b);
    }
    free_bufs(n, &b);
    return ok;
}

static int is_ew(const char *op)
{
    for (const ox_kernel *k = ox_kernels_ew; k->op; k++)
        if (strcmp(k->op, op) == 0)
            return 1;
    return 0;
}

/* Nodes tested in one model file (0 when it does not load); the values
 * come from a seed made of the file's name, whatever the listing order. */
static int check_model(const char *dir, const char *name)
{
    char path[4096];
    uint64_t seed = 1469598103934665603ull;
    for (const char *c = name; *c; c++)
        seed = (seed ^ (uint8_t)*c) * 1099511628211ull;
    jf_rng rng = jf_rng_seed(seed), *rngp = &rng;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    jf_onnx_options opt = {0};
    opt.device_gflops = 10;
    jf_onnx_model *m = NULL;
    int tested = 0;
    if (jf_onnx_load(path, &opt, &m) == JF_OK)
        for (size_t i = 0; i < m->n_nodes; i++)
            if (is_ew(m->nodes[i].op))
                tested += check_node(m, &m->nodes[i], rngp);
    jf_onnx_destroy(m);
    return tested;
}

int main(void)
{
    const char *dir = JF_SOURCE_DIR "/tests/data/onnx/ops";
    DIR *d = opendir(dir);
    if (!d) {
        printf("test_onnx_kern_ew: skipped: %s is missing\n", dir);
        return 77;
    }
    int nodes = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".onnx") || !strncmp(e->d_name, "err_", 4))
            continue;
        nodes += check_model(dir, e->d_name);
    }
    closedir(d);
    JF_CHECK_I(nodes, >=, 40); /* the operator models keep covering the kernels */
    return jf_test_finish("test_onnx_kern_ew", "nodes", (uint64_t)nodes);
}
