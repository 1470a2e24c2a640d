/* Sessions give the same outputs whatever the threads, combining,
 * splitting and fusing: every model of tests/data/onnx/{import,ops} and
 * bench/models/{cls,rec,det}.onnx (when fetched) runs on fixed random
 * inputs under each setting and is compared with a serial run of every
 * operator alone (floats within 1e-4 relative, integers exactly). Models
 * with an operator that has no kernel yet are counted as skipped. Also: an
 * operator without a kernel is refused at creation, naming the node, and
 * repeated runs give the same outputs. JF_TEST_QUICK=1 leaves det out. */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"
#include "onnx/session_impl.h"

typedef struct {
    const char *name;
    int threads, combine; /* combine: 0 none, 1 for running, 2 explicit limits */
    int split, fuse;
} setting;

static const setting settings[] = {
    {"1 thread, alone", 1, 0, 0, 0},
    {"2 threads, combined for running, split, fused", 2, 1, 1, 1},
    {"4 threads, combined for running, split, fused", 4, 1, 1, 1},
    {"4 threads, alone, split", 4, 0, 1, 0},
    {"2 threads, combined (chains), fused", 2, 2, 0, 1},
    {"4 threads, combined (chains), split, fused", 4, 2, 1, 1},
    {"1 thread, combined for running, fused", 1, 1, 0, 1},
};
#define N_SETTINGS (sizeof settings / sizeof *settings)

typedef struct {
    size_t n;
    jf_onnx_tensor t[64];
    void *copy[64];
} outputs;

static void outputs_free(outputs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->copy[i]);
    o->n = 0;
}

static uint64_t rng_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Fixed random inputs: floats in [-1, 1), integers 0..2 (indices stay in
 * range), booleans. */
static void fill_inputs(jf_onnx_session *s)
{
    uint64_t seed = 42;
    for (size_t i = 0; i < jf_onnx_session_input_count(s); i++) {
        jf_onnx_tensor x;
        jf_onnx_session_input(s, i, &x);
        int size = x.dtype == OX_FLOAT ? 4 : ox_dtype_size(x.dtype);
        uint64_t n = size ? x.bytes / (uint64_t)size : 0;
        for (uint64_t e = 0; e < n; e++) {
            uint64_t r = rng_next(&seed);
            if (x.dtype == OX_FLOAT)
                ((float *)x.data)[e] = (float)((double)(r >> 11) / 4503599627370496.0 - 1.0);
            else if (x.dtype == OX_INT64)
                ((int64_t *)x.data)[e] = (int64_t)(r % 3);
            else if (x.dtype == OX_INT32)
                ((int32_t *)x.data)[e] = (int32_t)(r % 3);
            else
                ((uint8_t *)x.data)[e] = (uint8_t)(r % 2);
        }
    }
}

static void take_outputs(const jf_onnx_session *s, outputs *o)
{
    o->n = JF__MIN(jf_onnx_session_output_count(s), (size_t)64);
    for (size_t i = 0; i < o->n; i++) {
        jf_onnx_session_output(s, i, &o->t[i]);
        o->copy[i] = malloc(o->t[i].bytes + 1);
        if (o->t[i].bytes)
            memcpy(o->copy[i], o->t[i].data, o->t[i].bytes);
        o->t[i].data = o->copy[i];
    }
}

/* First differing element of output i, or -1. */
static int64_t first_difference(const jf_onnx_tensor *a, const jf_onnx_tensor *b)
{
    if (a->bytes != b->bytes || a->dtype != b->dtype)
        return 0;
    if (a->dtype != OX_FLOAT)
        return memcmp(a->data, b->data, a->bytes) ? 0 : -1;
    const float *x = a->data, *y = b->data;
    for (uint64_t e = 0; e < a->bytes / 4; e++) {
        if (isnan(x[e]) && isnan(y[e]))
            continue;
        double d = fabs((double)x[e] - y[e]), scale = fmax(fabs(x[e]), fabs(y[e]));
        if (!(d <= 1e-4 * scale + 1e-6))
            return (int64_t)e;
    }
    return -1;
}

static void compare(const char *model, const setting *st, const outputs *ref, const outputs *got)
{
    JF_CHECK_U(got->n, ==, ref->n);
    for (size_t i = 0; i < ref->n && i < got->n; i++) {
        int64_t e = first_difference(&ref->t[i], &got->t[i]);
        if (e < 0)
            continue;
        const float *x = ref->t[i].data, *y = got->t[i].data;
        jf_test_fail(__FILE__, __LINE__, "%s, %s: output '%s' differs at %lld (%.9g vs %.9g)",
                     model, st->name, ref->t[i].name, (long long)e,
                     ref->t[i].dtype == OX_FLOAT ? x[e] : 0.0,
                     ref->t[i].dtype == OX_FLOAT ? y[e] : 0.0);
    }
}

/* ---- an independent check of the memory plan ----
 * Two buffers that overlap in the arena must be ordered by what the
 * executor honours: every task that ends the first (its readers, else its
 * producer) comes before the second's producer, either earlier in the same
 * target or in a target from which the other's can be reached. The
 * reachability comes from a walk over the plan, not from the planner's
 * bitsets. */
typedef struct {
    uint64_t lo, hi;
    int32_t producer;        /* op, -1 for a graph input */
    int pinned;              /* graph input or output */
    int32_t value;           /* tensor, or -1 for scratch of op `producer` */
} buffer;

/* r[a * n + b]: task a is done before task b starts, in every run. */
static uint8_t *reach_matrix(const jf_plan *plan)
{
    uint32_t n = jf_job_task_count(jf_plan_job(plan)), nt = jf_plan_target_count(plan);
    uint8_t *treach = calloc((size_t)nt * nt + 1, 1), *r = calloc((size_t)n * n + 1, 1);
    for (uint32_t g = nt; g-- > 0;) {
        const uint32_t *succ;
        const uint64_t *bytes;
        uint32_t c = jf_plan_target_succ(plan, g, &succ, &bytes);
        for (uint32_t j = 0; j < c; j++) {
            treach[(size_t)g * nt + succ[j]] = 1;
            for (uint32_t h = 0; h < nt; h++)
                treach[(size_t)g * nt + h] |= treach[(size_t)succ[j] * nt + h];
        }
    }
    uint32_t *pos = calloc(n + 1, sizeof *pos);
    for (uint32_t g = 0; g < nt; g++) {
        const uint32_t *members;
        uint32_t c = jf_plan_target_members(plan, g, &members);
        for (uint32_t k = 0; k < c; k++)
            pos[members[k]] = k;
    }
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = 0; b < n; b++) {
            uint32_t ga = jf_plan_target_of(plan, a), gb = jf_plan_target_of(plan, b);
            r[(size_t)a * n + b] = ga == gb ? pos[a] < pos[b] : treach[(size_t)ga * nt + gb];
        }
    free(pos);
    free(treach);
    return r;
}

/* Every task of op a reaches every task of op b. */
static int op_reaches(const jf_onnx_session *s, const uint8_t *r, uint32_t n, uint32_t a,
                      uint32_t b)
{
    for (int64_t i = 0; i < s->ops[a].n_slices; i++)
        for (int64_t j = 0; j < s->ops[b].n_slices; j++)
            if (!r[(size_t)(s->ops[a].first_task + i) * n + s->ops[b].first_task + j])
                return 0;
    return 1;
}

/* Buffer a is done before buffer b is first written, in every run. */
static int done_before(const jf_onnx_session *s, const uint8_t *r, const buffer *a,
                       const buffer *b)
{
    uint32_t n = jf_job_task_count(jf_plan_job(s->plan));
    if (a->pinned || b->producer < 0)
        return 0;
    int readers = 0;
    for (size_t i = 0; a->value >= 0 && i < s->n_ops; i++) {
        const ox_node *node = &s->m->nodes[s->ops[i].node];
        int reads = 0;
        for (int k = 0; k < node->n_in && !s->ops[i].folded; k++) /* folded: reads nothing */
            reads |= node->in[k] >= 0 && sx_resolve(s, node->in[k]) == a->value;
        if (!reads)
            continue;
        readers++;
        if (!op_reaches(s, r, n, (uint32_t)i, (uint32_t)b->producer))
            return 0;
    }
    return readers || op_reaches(s, r, n, (uint32_t)a->producer, (uint32_t)b->producer);
}

static size_t list_buffers(const jf_onnx_session *s, buffer *out)
{
    size_t count = 0;
    for (size_t t = 0; t < s->m->n_tensors; t++) {
        const sx_value *v = &s->vals[t];
        if ((v->kind != SX_ACTIVATION && v->kind != SX_INPUT) || v->alias != (int32_t)t ||
            !v->bytes)
            continue;
        int output = 0;
        for (size_t i = 0; i < s->m->n_graph_outputs; i++)
            output |= sx_resolve(s, s->m->graph_outputs[i]) == (int32_t)t;
        out[count++] = (buffer){v->offset, v->offset + v->bytes, v->op,
                                output || v->kind == SX_INPUT, (int32_t)t};
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        const sx_op *op = &s->ops[i];
        if (op->scratch && op->scratch_off)
            for (int64_t k = 0; k < op->n_slices; k++)
                out[count++] = (buffer){op->scratch_off[k], op->scratch_off[k] + op->scratch,
                                        (int32_t)i, 0, -1};
    }
    return count;
}

static void check_memplan(const jf_onnx_session *s, const char *what)
{
    size_t cap = s->m->n_tensors + 1;
    for (size_t i = 0; i < s->n_ops; i++)
        cap += (size_t)s->ops[i].n_slices;
    buffer *b = malloc(cap * sizeof *b);
    size_t n = list_buffers(s, b);
    uint8_t *r = reach_matrix(s->plan);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int overlap = b[i].lo < b[j].hi && b[j].lo < b[i].hi;
            int same_op_scratch = b[i].value < 0 && b[j].value < 0 &&
                                  b[i].producer == b[j].producer;
            if (!overlap || same_op_scratch)
                continue;
            if (!done_before(s, r, &b[i], &b[j]) && !done_before(s, r, &b[j], &b[i]))
                jf_test_fail(__FILE__, __LINE__, "%s: buffers of %s and %s overlap and may "
                             "be in use at once", what,
                             b[i].value >= 0 ? s->m->tensors[b[i].value].name : "scratch",
                             b[j].value >= 0 ? s->m->tensors[b[j].value].name : "scratch");
        }
    free(r);
    free(b);
}

/* Create a session under the setting; NULL (and *skip) when an operator
 * has no kernel. */
static jf_onnx_session *open_session(jf_onnx_model *m, const setting *st, jf_executor *ex,
                                     int *skip, const char **why)
{
    static jf_combine_params chains;
    chains = jf_combine_default_params();
    jf_onnx_session_options so = {0};
    so.no_combine = st->combine == 0;
    so.combine = st->combine == 2 ? &chains : NULL;
    so.no_split = !st->split;
    so.no_fuse = !st->fuse;
    so.explain = 1;
    jf_onnx_session *s = NULL;
    jf_status rc = jf_onnx_session_create(m, &so, ex, &s);
    if (rc == JF_OK)
        return s;
    static char msg[1100];
    snprintf(msg, sizeof msg, "%s", jf_onnx_session_errmsg(s));
    *why = msg;
    *skip = strstr(msg, "no kernel") || strstr(msg, "unknown") || strstr(msg, "does not hold");
    if (!*skip)
        jf_test_fail(__FILE__, __LINE__, "%s: %s", m->path, msg);
    jf_onnx_session_destroy(s);
    return NULL;
}

static int run_setting(jf_onnx_model *m, const setting *st, jf_executor *ex, outputs *o,
                       const char **why)
{
    int skip = 0;
    jf_onnx_session *s = open_session(m, st, ex, &skip, why);
    if (!s)
        return skip ? 1 : -1;
    fill_inputs(s);
    jf_status rc = jf_onnx_session_run(s, NULL, NULL);
    if (rc != JF_OK) {
        /* Random indices may be out of a kernel's range: not this test's business. */
        static char msg[1100];
        snprintf(msg, sizeof msg, "%s", jf_onnx_session_errmsg(s));
        *why = msg;
        jf_onnx_session_destroy(s);
        return 1;
    }
    take_outputs(s, o);
    char what[600];
    snprintf(what, sizeof what, "%s, %s", m->path, st->name);
    check_memplan(s, what);
    const char *ex_text = jf_onnx_session_explain(s);
    int splits = 0, fusions = 0;
    for (const char *p = ex_text; (p = strstr(p, "split ")); p++)
        splits++;
    for (const char *p = ex_text; (p = strstr(p, "fused ")); p++)
        fusions++;
    if (getenv("JF_SESSION_VERBOSE"))
        printf("  %-48s arena %10llu B, %u targets, %d splits, %d fusions\n", st->name,
               (unsigned long long)jf_onnx_session_arena_bytes(s),
               jf_plan_target_count(jf_onnx_session_plan(s)), splits, fusions);
    jf_onnx_session_destroy(s);
    return 0;
}

static jf_executor *executors[5];

static int check_model(const char *path, const jf_onnx_input *in, size_t n_in)
{
    jf_onnx_options opt = {0};
    opt.inputs = in;
    opt.n_inputs = n_in;
    opt.device_gflops = 20;
    jf_onnx_model *m = NULL;
    if (jf_onnx_load(path, &opt, &m) != JF_OK) {
        jf_onnx_destroy(m);
        return 0; /* refused files are test_onnx_import's business */
    }
    outputs ref = {0}, got = {0};
    const char *why = "an operator without a kernel or shape";
    int rc = run_setting(m, &settings[0], executors[1], &ref, &why);
    for (size_t k = 1; rc == 0 && k < N_SETTINGS; k++) {
        if (run_setting(m, &settings[k], executors[settings[k].threads], &got, &why) == 0)
            compare(path, &settings[k], &ref, &got);
        outputs_free(&got);
    }
    if (rc)
        printf("  skipped %s: %s\n", path, why);
    outputs_free(&ref);
    jf_onnx_destroy(m);
    return rc == 0;
}

/* Arena of the planned run (one thread: operators in order; four: any
 * order the plan allows) against the model's peak along one order. */
static void report_real(const char *path, const jf_onnx_input *in)
{
    jf_onnx_options opt = {0};
    opt.inputs = in;
    opt.n_inputs = 1;
    opt.device_gflops = 20;
    jf_onnx_model *m = NULL;
    jf_job *job = NULL;
    jf_onnx_session *s1 = NULL, *s4 = NULL;
    if (jf_onnx_load(path, &opt, &m) == JF_OK && jf_onnx_job(m, &job) == JF_OK &&
        jf_onnx_session_create(m, NULL, executors[1], &s1) == JF_OK &&
        jf_onnx_session_create(m, NULL, executors[4], &s4) == JF_OK)
        printf("  %s: arena %.2f MB on 1 thread, %.2f MB on 4 (combined, split, fused); "
               "model peak %.2f MB; weights %.2f MB\n", path,
               jf_onnx_session_arena_bytes(s1) / 1e6, jf_onnx_session_arena_bytes(s4) / 1e6,
               jf_onnx_get_stats(m)->peak_activation_bytes / 1e6,
               jf_onnx_session_weight_bytes(s1) / 1e6);
    jf_onnx_session_destroy(s1);
    jf_onnx_session_destroy(s4);
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

static int check_folder(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int ran = 0;
    char path[4400];
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".onnx"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ran += check_model(path, NULL, 0);
    }
    if (d)
        closedir(d);
    return ran;
}

/* An operator without a kernel is refused before anything runs. */
static void check_refusal(void)
{
    jf_onnx_model *m = NULL;
    jf_onnx_session *s = NULL;
    const char *path = JF_SOURCE_DIR "/tests/data/onnx/import/if_open.onnx";
    if (!JF_CHECK_STATUS(jf_onnx_load(path, NULL, &m), JF_OK)) {
        jf_onnx_destroy(m);
        return;
    }
    JF_CHECK_STATUS(jf_onnx_session_create(m, NULL, executors[1], &s), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_onnx_session_errmsg(s), "no kernel for operator If");
    jf_onnx_session_destroy(s);
    jf_onnx_destroy(m);
}

/* Every allocation of creating and running a session may fail: the
 * status says so, nothing leaks (ASan), nothing crashes. */
static void check_alloc_failures(void)
{
    const char *path = JF_SOURCE_DIR "/tests/data/onnx/ops/conv_basic.onnx";
    jf_onnx_model *m = NULL;
    jf_onnx_options opt = {0};
    opt.device_gflops = 20;
    if (jf_onnx_load(path, &opt, &m) != JF_OK) {
        jf_onnx_destroy(m);
        return;
    }
    jf_combine_params chains = jf_combine_default_params();
    jf_onnx_session_options so = {0};
    so.combine = &chains;
    so.explain = 1;
    /* How many allocations a whole creation and run makes. */
    jf_onnx_session *s = NULL;
    jf_alloc_stats as;
    jf_alloc_reset_peak();
    JF_CHECK_STATUS(jf_onnx_session_create(m, &so, executors[2], &s), JF_OK);
    JF_CHECK_STATUS(jf_onnx_session_run(s, NULL, NULL), JF_OK);
    jf_alloc_get_stats(&as);
    jf_onnx_session_destroy(s);
    for (uint64_t n = 1; n <= as.allocations; n++) {
        s = NULL;
        jf_alloc_fail_after(n);
        jf_status st = jf_onnx_session_create(m, &so, executors[2], &s);
        if (st == JF_OK)
            st = jf_onnx_session_run(s, NULL, NULL);
        jf_alloc_fail_after(0);
        if (st != JF_OK && st != JF_ENOMEM)
            jf_test_fail(__FILE__, __LINE__, "allocation %llu failed: %s, %s",
                         (unsigned long long)n, jf_status_str(st), jf_onnx_session_errmsg(s));
        jf_onnx_session_destroy(s);
    }
    printf("  creating and running a session survived each of its %llu allocations failing\n",
           (unsigned long long)as.allocations);
    jf_onnx_destroy(m);
}

/* ---- BatchNormalization folding and hard-swish fusion ----
 * A model written here: Conv (bias) -> BN -> hard-swish as PaddleOCR
 * writes it (Add 3, Clip 0..6, Mul, Div 6) -> Conv (no bias) -> Add
 * (per channel) -> BN -> Add (the hard-swish's output, an activation) ->
 * Sigmoid (folding moves sums by rounding; the
 * Sigmoid keeps values that cancel to near 0 from failing the relative
 * tolerance). Every setting must match the unfused, unfolded run
 * (check_model); with fusing on, on 1 thread and on 2 (where the first Conv
 * is split), the first BN folds into its Conv's weights and bias, the
 * second (after an Add) fuses as steps, and so do the hard-swish and the
 * Add of an activation. The
 * real models cover folding into a Conv without bias. */
typedef struct {
    const char *name;
    int rank;
    int64_t dims[4];
} fold_init;

static Onnx__TensorProto *fold_tensor(const fold_init *in, uint64_t *rng)
{
    Onnx__TensorProto *t = calloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)in->name;
    t->has_data_type = 1;
    t->data_type = 1;
    t->n_dims = (size_t)in->rank;
    t->dims = (int64_t *)in->dims;
    t->n_float_data = 1;
    for (int d = 0; d < in->rank; d++)
        t->n_float_data *= (size_t)in->dims[d];
    t->float_data = calloc(t->n_float_data, sizeof *t->float_data);
    float fixed = strcmp(in->name, "three") == 0 ? 3 : strcmp(in->name, "six") == 0 ? 6 : 0;
    for (size_t i = 0; i < t->n_float_data; i++) /* var_* stay positive */
        t->float_data[i] = in->rank == 0 ? fixed
                           : (float)(rng_next(rng) % 2000) / 1000.0f - (in->name[0] != 'v');
    return t;
}

static Onnx__NodeProto *fold_node(const char *op, int n_in, const char *const *in,
                                  const char *out, Onnx__AttributeProto **pads)
{
    Onnx__NodeProto *n = calloc(1, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = (char *)out;
    n->n_input = (size_t)n_in;
    n->input = (char **)in;
    n->n_output = 1;
    n->output = calloc(1, sizeof *n->output);
    n->output[0] = (char *)out;
    n->n_attribute = pads != NULL;
    n->attribute = pads;
    return n;
}

static void fold_nodes(Onnx__NodeProto **n, Onnx__AttributeProto **pads)
{
    static const char *conv1[] = {"x", "w1", "b1c"}, *bn1[] = {"a", "s1", "b1", "m1", "v1"},
                      *add[] = {"bn1", "three"}, *clip[] = {"h1", "zero", "six"},
                      *mul[] = {"bn1", "h2"}, *div[] = {"h3", "six"},
                      *conv2[] = {"h4", "w2"}, *add2[] = {"c2", "k2"},
                      *bn2[] = {"c2a", "s2", "b2", "m2", "v2"}, *res[] = {"c3", "h4"},
                      *sigmoid[] = {"c4"};
    n[0] = fold_node("Conv", 3, conv1, "a", pads);
    n[1] = fold_node("BatchNormalization", 5, bn1, "bn1", NULL);
    n[2] = fold_node("Add", 2, add, "h1", NULL);
    n[3] = fold_node("Clip", 3, clip, "h2", NULL);
    n[4] = fold_node("Mul", 2, mul, "h3", NULL);
    n[5] = fold_node("Div", 2, div, "h4", NULL);
    n[6] = fold_node("Conv", 2, conv2, "c2", NULL);
    n[7] = fold_node("Add", 2, add2, "c2a", NULL);
    n[8] = fold_node("BatchNormalization", 5, bn2, "c3", NULL);
    n[9] = fold_node("Add", 2, res, "c4", NULL);
    n[10] = fold_node("Sigmoid", 1, sigmoid, "y", NULL);
}

static Onnx__ValueInfoProto *fold_value(const char *name, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = calloc(1, sizeof *v);
    Onnx__TypeProto *t = calloc(1, sizeof *t);
    Onnx__TypeProto__Tensor *tt = calloc(1, sizeof *tt);
    Onnx__TensorShapeProto *sh = calloc(1, sizeof *sh);
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = 4;
    sh->dim = calloc(4, sizeof *sh->dim);
    for (int d = 0; d < 4; d++) {
        sh->dim[d] = calloc(1, sizeof **sh->dim);
        onnx__tensor_shape_proto__dimension__init(sh->dim[d]);
        sh->dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        sh->dim[d]->dim_value = dims[d];
    }
    tt->has_elem_type = 1;
    tt->elem_type = 1;
    tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = (char *)name;
    v->type = t;
    return v;
}

static void fold_write(const char *path)
{
    static const fold_init inits[] = {
        {"w1", 4, {32, 16, 3, 3}}, {"s1", 1, {32}}, {"b1", 1, {32}}, {"m1", 1, {32}},
        {"v1", 1, {32}}, {"three", 0, {0}}, {"zero", 0, {0}}, {"six", 0, {0}},
        {"b1c", 1, {32}}, {"w2", 4, {32, 32, 1, 1}}, {"k2", 3, {32, 1, 1}}, {"s2", 1, {32}},
        {"b2", 1, {32}}, {"m2", 1, {32}}, {"v2", 1, {32}}};
    enum { N_INIT = sizeof inits / sizeof *inits, N_NODES = 11 };
    static const int64_t pad_values[4] = {1, 1, 1, 1}, x_dims[4] = {1, 16, 32, 32},
                         y_dims[4] = {1, 32, 32, 32};
    uint64_t rng = 7;
    Onnx__TensorProto *init[N_INIT];
    for (size_t i = 0; i < N_INIT; i++)
        init[i] = fold_tensor(&inits[i], &rng);
    Onnx__AttributeProto pads = ONNX__ATTRIBUTE_PROTO__INIT, *pads_list[1] = {&pads};
    pads.name = "pads";
    pads.has_type = 1;
    pads.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    pads.n_ints = 4;
    pads.ints = (int64_t *)pad_values;
    Onnx__NodeProto *nodes[N_NODES];
    fold_nodes(nodes, pads_list);
    Onnx__ValueInfoProto *in = fold_value("x", x_dims), *out = fold_value("y", y_dims);
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "fold";
    g.n_node = N_NODES;
    g.node = nodes;
    g.n_initializer = N_INIT;
    g.initializer = init;
    g.n_input = 1;
    g.input = &in;
    g.n_output = 1;
    g.output = &out;
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
    JF_CHECK(f && fwrite(buf, 1, size, f) == size);
    if (f)
        fclose(f);
    free(buf);
    for (size_t i = 0; i < N_INIT; i++)
        free(init[i]->float_data), free(init[i]);
    for (int i = 0; i < N_NODES; i++)
        free(nodes[i]->output), free(nodes[i]);
    Onnx__ValueInfoProto *vals[2] = {in, out};
    for (int i = 0; i < 2; i++) {
        Onnx__TensorShapeProto *sh = vals[i]->type->tensor_type->shape;
        for (int d = 0; d < 4; d++)
            free(sh->dim[d]);
        free(sh->dim), free(sh), free(vals[i]->type->tensor_type), free(vals[i]->type);
        free(vals[i]);
    }
}

static int count_lines(const char *text, const char *start, const char *has)
{
    int count = 0;
    for (const char *p = text; (p = strstr(p, start)); p++) {
        const char *end = strchr(p, '\n');
        const char *h = strstr(p, has);
        count += h && (!end || h < end);
    }
    return count;
}

static void check_fold_and_hard_swish(void)
{
    char path[] = "/tmp/jf_test_fold_XXXXXX";
    int fd = mkstemp(path);
    if (!JF_CHECK(fd >= 0))
        return;
    close(fd);
    fold_write(path);
    JF_CHECK(check_model(path, NULL, 0));
    jf_onnx_options opt = {0};
    opt.device_gflops = 20;
    jf_onnx_model *m = NULL;
    if (JF_CHECK_STATUS(jf_onnx_load(path, &opt, &m), JF_OK))
        for (int threads = 1; threads <= 2; threads++) {
            jf_onnx_session_options so = {0};
            so.explain = 1;
            jf_onnx_session *s = NULL;
            if (JF_CHECK_STATUS(jf_onnx_session_create(m, &so, executors[threads], &s), JF_OK)) {
                const char *ex = jf_onnx_session_explain(s);
                JF_CHECK_U(count_lines(ex, "folded ", "(BatchNormalization) into a"), ==, 1);
                JF_CHECK_U(count_lines(ex, "fused ", "(BatchNormalization) into c2"), ==, 1);
                JF_CHECK_U(count_lines(ex, "fused ", "(Div) into a (Conv)"), ==, 1);
                JF_CHECK_U(count_lines(ex, "fused ", "(Mul) into a (Conv)"), ==, 1);
                JF_CHECK_U(count_lines(ex, "fused ", "(Sigmoid) into c2 (Conv)"), ==, 1);
                JF_CHECK_U(count_lines(ex, "fused c4 ", "(Add) into c2 (Conv)"), ==, 1);
            }
            jf_onnx_session_destroy(s);
        }
    jf_onnx_destroy(m);
    unlink(path);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int main(void)
{
    static const int counts[] = {1, 2, 4};
    for (size_t i = 0; i < 3; i++)
        JF_CHECK_STATUS(jf_executor_local_create(counts[i], &executors[counts[i]]), JF_OK);
    check_refusal();
    check_alloc_failures();
    check_fold_and_hard_swish();
    int ran = check_folder(JF_SOURCE_DIR "/tests/data/onnx/import");
    ran += check_folder(JF_SOURCE_DIR "/tests/data/onnx/ops");
    ran += check_folder(JF_SOURCE_DIR "/tests/data/onnx/run");
    const char *quick = getenv("JF_TEST_QUICK");
    static const struct { const char *file; jf_onnx_input in; } real[] = {
        {"cls.onnx", {"x", 4, {1, 3, 48, 192}}},
        {"rec.onnx", {"x", 4, {1, 3, 48, 320}}},
        {"det.onnx", {"x", 4, {1, 3, 640, 640}}},
    };
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/bench/models/%s", JF_SOURCE_DIR, real[i].file);
        if (!file_exists(path) || (i == 2 && quick && strcmp(quick, "0")))
            continue;
        ran += check_model(path, &real[i].in, 1);
        report_real(path, &real[i].in);
    }
    for (size_t i = 0; i < 3; i++)
        jf_executor_destroy(executors[counts[i]]);
    return jf_test_finish("test_onnx_session", "models run under every setting", (uint64_t)ran);
}
