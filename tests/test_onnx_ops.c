/* Operator rules: every model of tests/data/onnx/ops (written by
 * tests/onnx/make_op_models.py, one per operator case) imports with the
 * output shapes and types, and the per-task flops and multiply-accumulates,
 * that expected.json lists — computed there independently, mostly by
 * onnx's own shape inference. Models with inconsistent shapes must fail
 * with the listed message. Then every model again with awkward integers
 * in its attributes and weights (0, -1, 2^40, INT64_MIN, ...): the import
 * succeeds or fails with a message, never crashes (run it under ASan). */
#include <jansson.h>
#include <unistd.h>

#include "onnx_test.h"
#include "onnx/onnx_impl.h"

#define OPS_DIR JF_SOURCE_DIR "/tests/data/onnx/ops/"

/* Graph inputs given a shape ("inputs": {"x": [5, 3, 4]}); 0 or -1. */
static int given_inputs(json_t *spec, jf_onnx_input *in, size_t *count)
{
    const char *name;
    json_t *dims;
    *count = 0;
    json_object_foreach(json_object_get(spec, "inputs"), name, dims) {
        if (*count == 4 || json_array_size(dims) > JF_ONNX_MAX_RANK)
            return -1;
        jf_onnx_input *x = &in[(*count)++];
        x->name = name;
        x->rank = (int)json_array_size(dims);
        for (int d = 0; d < x->rank; d++)
            x->dims[d] = json_integer_value(json_array_get(dims, (size_t)d));
    }
    return 0;
}

static const ox_tensor *graph_output(const jf_onnx_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_graph_outputs; i++)
        if (strcmp(m->tensors[m->graph_outputs[i]].name, name) == 0)
            return &m->tensors[m->graph_outputs[i]];
    return NULL;
}

/* The folded contents, when the script computed them. */
static void check_values(const ox_tensor *t, json_t *values)
{
    if (!values || !JF_CHECK(ox_folded(t)) ||
        !JF_CHECK_I(ox_numel(t), ==, (int64_t)json_array_size(values)))
        return;
    for (int64_t i = 0; i < ox_numel(t); i++) {
        json_t *v = json_array_get(values, (size_t)i);
        double want = json_is_true(v) ? 1 : json_is_false(v) ? 0 : json_number_value(v);
        JF_CHECK_D(ox_getf(t, i), ==, want);
    }
}

/* Checks each output's type and shape (null: unknown); returns how many
 * are expected unknown. */
static uint64_t check_outputs(const jf_onnx_model *m, json_t *outputs)
{
    size_t i;
    json_t *o;
    uint64_t unknown = 0;
    json_array_foreach(outputs, i, o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        json_t *shape = json_object_get(o, "shape");
        const ox_tensor *t = graph_output(m, name);
        if (!JF_CHECK(t != NULL))
            continue;
        jf_test_context("%s: output %s", m->path, name);
        JF_CHECK_I(t->dtype, ==, json_integer_value(json_object_get(o, "dtype")));
        if (json_is_null(shape)) {
            JF_CHECK_I(t->rank, ==, -1);
            unknown++;
            continue;
        }
        if (!JF_CHECK_I(t->rank, ==, (int64_t)json_array_size(shape)))
            continue;
        for (int d = 0; d < t->rank; d++)
            JF_CHECK_I(t->dims[d], ==, json_integer_value(json_array_get(shape, (size_t)d)));
        check_values(t, json_object_get(o, "values"));
    }
    return unknown;
}

static int close_to(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}

/* Every operator task is listed, with its macs (on the node) and flops
 * (the task's demand in the job). */
static void check_costs(const jf_onnx_model *m, const jf_job *job, json_t *nodes)
{
    int r_flops = jf_job_resource_find(job, "flops");
    for (size_t i = 0; i < m->n_order; i++) {
        const ox_node *n = &m->nodes[m->order[i]];
        if (!n->is_task)
            continue;
        jf_test_context("%s: node %s (%s)", m->path, n->id, n->op);
        json_t *want = json_object_get(nodes, n->id);
        uint32_t task;
        if (!JF_CHECK(want != NULL) || !JF_CHECK(jf_job_task_find(job, n->id, &task)))
            continue;
        double macs = json_number_value(json_object_get(want, "macs"));
        double flops = json_number_value(json_object_get(want, "flops"));
        if (!close_to(n->macs, macs))
            JF_CHECK_D(n->macs, ==, macs);
        if (!close_to(jf_job_demand(job, task, r_flops), flops))
            JF_CHECK_D(jf_job_demand(job, task, r_flops), ==, flops);
    }
}

static void check_model(const char *key, json_t *spec)
{
    char path[1024];
    snprintf(path, sizeof path, OPS_DIR "%s", json_string_value(json_object_get(spec, "file")));
    jf_onnx_input inputs[4];
    jf_onnx_options opt = {inputs, 0, 100.0};
    jf_test_context("%s", key);
    if (!JF_CHECK(given_inputs(spec, inputs, &opt.n_inputs) == 0))
        return;
    jf_onnx_model *m = NULL;
    jf_job *job = NULL;
    jf_status st = jf_onnx_load(path, &opt, &m);
    const char *error = json_string_value(json_object_get(spec, "error"));
    if (error) {
        JF_CHECK(st != JF_OK);
        JF_CHECK_MENTIONS(jf_onnx_errmsg(m), error);
    } else if (!JF_CHECK_STATUS(st, JF_OK) || !JF_CHECK_STATUS(jf_onnx_job(m, &job), JF_OK)) {
        fprintf(stderr, "  %s\n", jf_onnx_errmsg(m));
    } else {
        uint64_t unknown = check_outputs(m, json_object_get(spec, "outputs"));
        check_costs(m, job, json_object_get(spec, "nodes"));
        jf_test_context("%s", key);
        if (unknown == 0)
            JF_CHECK_U(jf_onnx_get_stats(m)->unknown_shapes, ==, 0);
        else
            JF_CHECK_U(jf_onnx_get_stats(m)->unknown_shapes, >=, unknown);
    }
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

/* ---- mutants: awkward values where the rules read integers ---------------- */
static const int64_t awkward[] = {0, 1, -1, 2, -2, 3, 7, 100, (int64_t)1 << 40, -((int64_t)1 << 40),
                                  (int64_t)1 << 62, INT64_MAX, INT64_MIN, INT32_MAX};

static int64_t awkward_value(jf_rng *rng)
{
    return awkward[jf_rng_below(rng, sizeof awkward / sizeof *awkward)];
}

static void mutate_attribute(Onnx__GraphProto *g, jf_rng *rng)
{
    Onnx__NodeProto *node = g->node[jf_rng_below(rng, (uint32_t)g->n_node)];
    if (!node->n_attribute)
        return;
    Onnx__AttributeProto *a = node->attribute[jf_rng_below(rng, (uint32_t)node->n_attribute)];
    if (a->n_ints)
        a->ints[jf_rng_below(rng, (uint32_t)a->n_ints)] = awkward_value(rng);
    else if (a->has_i)
        a->i = awkward_value(rng);
    else if (a->has_f)
        a->f = (float)awkward_value(rng);
}

/* An element of an integer or float initializer, in its raw bytes. */
static void mutate_weight(Onnx__GraphProto *g, jf_rng *rng)
{
    Onnx__TensorProto *t = g->initializer[jf_rng_below(rng, (uint32_t)g->n_initializer)];
    int64_t v = awkward_value(rng);
    if (t->data_type == OX_INT64 && t->raw_data.len >= 8)
        memcpy(t->raw_data.data + 8 * jf_rng_below(rng, (uint32_t)(t->raw_data.len / 8)), &v, 8);
    else if (t->data_type == OX_FLOAT && t->raw_data.len >= 4) {
        float f = (float)v;
        memcpy(t->raw_data.data + 4 * jf_rng_below(rng, (uint32_t)(t->raw_data.len / 4)), &f, 4);
    }
}

/* The model in buf with 1-3 values changed, written to tmp. */
static int write_mutant(const unsigned char *buf, size_t len, jf_rng *rng, const char *tmp)
{
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    if (!mp || !mp->graph || !mp->graph->n_node) {
        onnx__model_proto__free_unpacked(mp, NULL);
        return -1;
    }
    for (int k = 0, count = 1 + (int)jf_rng_below(rng, 3); k < count; k++)
        if (mp->graph->n_initializer && jf_rng_chance(rng, 0.5))
            mutate_weight(mp->graph, rng);
        else
            mutate_attribute(mp->graph, rng);
    size_t size = onnx__model_proto__get_packed_size(mp);
    uint8_t *out = malloc(size + 1);
    FILE *f = out ? fopen(tmp, "wb") : NULL;
    int rc = f && fwrite(out, 1, onnx__model_proto__pack(mp, out), f) == size ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(out);
    onnx__model_proto__free_unpacked(mp, NULL);
    return rc;
}

static void check_mutants(const char *file, jf_rng *rng, int rounds, const char *tmp)
{
    char path[1024];
    static unsigned char buf[1 << 16];
    snprintf(path, sizeof path, OPS_DIR "%s", file);
    FILE *f = fopen(path, "rb");
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    for (int r = 0; r < rounds && len > 0; r++) {
        if (write_mutant(buf, len, rng, tmp) == 0)
            jf_test_onnx_import_any(tmp);
    }
}

int main(void)
{
    json_error_t err;
    json_t *root = json_load_file(OPS_DIR "expected.json", 0, &err);
    if (!root) {
        fprintf(stderr, "test_onnx_ops: %sexpected.json: %s (line %d)\n", OPS_DIR, err.text,
                err.line);
        return 1;
    }
    const char *key;
    json_t *spec;
    uint64_t count = 0;
    json_object_foreach(json_object_get(root, "models"), key, spec) {
        check_model(key, spec);
        count++;
    }
    JF_CHECK_U(count, >=, 100);
    char tmp[] = "/tmp/jf_onnx_ops_XXXXXX";
    int fd = mkstemp(tmp);
    if (JF_CHECK(fd >= 0)) {
        close(fd);
        jf_log_set(NULL, NULL); /* the mutants' warnings */
        jf_rng rng = jf_rng_seed(11);
        json_object_foreach(json_object_get(root, "models"), key, spec) {
            jf_test_context("%s mutated", key);
            const char *file = json_string_value(json_object_get(spec, "file"));
            check_mutants(file, &rng, jf_test_quick() ? 5 : 20, tmp);
        }
        unlink(tmp);
    }
    json_decref(root);
    return jf_test_finish("test_onnx_ops", "models", count);
}
