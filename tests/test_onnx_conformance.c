/* ONNX's own backend node tests, run through a session: every case's model
 * is loaded, run on its test_data_set_0 inputs and compared with the
 * expected outputs (rtol 1e-3, atol 1e-5, NaN equals NaN). The cases are
 * generated at test time by Debian's python3-onnx into the build folder.
 *
 * Prints passed/failed/skipped per operator. A case is skipped when an
 * operator lacks a shape rule or a kernel or a dtype is out of the
 * runtime's scope. The test fails only when a case of an operator of the
 * import issue's list (with a kernel) fails and is not listed in
 * tests/onnx_conformance_skips.txt. Skipped (77) without python3-onnx.
 * JF_TEST_QUICK=1 runs every third case. JF_CONFORMANCE_ONLY=substring runs
 * the matching cases only, printing why each one failed. */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"
#include "onnx/session_impl.h"

/* The operator types the import issue lists. */
static const char *const listed_ops[] = {
    "Conv", "ConvTranspose", "ConvInteger", "DynamicQuantizeLinear", "MatMul", "Gemm", "LSTM",
    "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "Softmax",
    "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Log", "Neg", "Max", "Not", "Equal",
    "GreaterOrEqual", "Cast", "Identity", "Reshape", "Flatten", "Transpose", "Concat", "Slice",
    "Gather", "Squeeze", "Unsqueeze", "Shape", "Size", "ConstantOfShape", "Pad", "Resize",
    "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceMax", "If", "Constant"};

static int is_listed(const char *op)
{
    for (size_t i = 0; i < sizeof listed_ops / sizeof *listed_ops; i++)
        if (strcmp(listed_ops[i], op) == 0)
            return 1;
    return 0;
}

/* ---- generating the cases ---- */

static int generate(const char *out)
{
    char marker[4200], cmd[8192];
    snprintf(marker, sizeof marker, "%s/.complete", out);
    struct stat st;
    if (stat(marker, &st) == 0)
        return 0;
    if (system("/usr/bin/python3 -c 'import onnx.backend.test.cmd_tools' >/dev/null 2>&1")) {
        printf("test_onnx_conformance: skipped: python3-onnx is missing "
               "(apt-get install python3-onnx)\n");
        return 77;
    }
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as np; [setattr(np,a,b) for a,b in "
             "(('float',float),('int',int),('bool',bool),('object',object),('complex',complex)) "
             "if not hasattr(np,a)]; import sys; from onnx.backend.test import cmd_tools; "
             "sys.argv=['x','generate-data','-o','%s']; cmd_tools.main()\" >/dev/null 2>&1 "
             "&& touch '%s'", out, marker);
    if (system(cmd) != 0) {
        printf("test_onnx_conformance: skipped: python3-onnx could not generate the cases\n");
        return 77;
    }
    return 0;
}

/* ---- files ---- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)(size > 0 ? size : 1));
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static Onnx__TensorProto *read_tensor(const char *dir, const char *kind, size_t i)
{
    char path[4400];
    size_t len;
    snprintf(path, sizeof path, "%s/test_data_set_0/%s_%zu.pb", dir, kind, i);
    uint8_t *buf = read_file(path, &len);
    if (!buf)
        return NULL;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    return tp;
}

static int count_files(const char *dir, const char *kind)
{
    char path[4400];
    struct stat st;
    int n = 0;
    for (;; n++) {
        snprintf(path, sizeof path, "%s/test_data_set_0/%s_%d.pb", dir, kind, n);
        if (stat(path, &st) != 0)
            return n;
    }
}

/* ---- one case ---- */

typedef enum { CASE_PASS, CASE_FAIL, CASE_SKIP } outcome;

typedef struct {
    char name[256];
    char op[64];
    outcome result;
    char why[700];
} case_result;

static int64_t numel_of(const Onnx__TensorProto *tp)
{
    int64_t n = 1;
    for (size_t d = 0; d < tp->n_dims; d++)
        n *= tp->dims[d];
    return n;
}

static int same_shape(const Onnx__TensorProto *tp, const jf_onnx_tensor *t)
{
    if ((int)tp->n_dims != t->rank)
        return 0;
    for (size_t d = 0; d < tp->n_dims; d++)
        if (tp->dims[d] != t->dims[d])
            return 0;
    return 1;
}

static double element(const void *data, int32_t dtype, int64_t i)
{
    switch (dtype) {
    case OX_FLOAT: return ((const float *)data)[i];
    case OX_INT64: return (double)((const int64_t *)data)[i];
    case OX_UINT64: return (double)((const uint64_t *)data)[i];
    case OX_INT32: return ((const int32_t *)data)[i];
    case OX_UINT32: return ((const uint32_t *)data)[i];
    case OX_INT16: return ((const int16_t *)data)[i];
    case OX_UINT16: return ((const uint16_t *)data)[i];
    case OX_INT8: return ((const int8_t *)data)[i];
    default: return ((const uint8_t *)data)[i];
    }
}

static int close_enough(double got, double want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    if (isinf(got) || isinf(want))
        return got == want;
    return fabs(got - want) <= 1e-5 + 1e-3 * fabs(want);
}

/* numpy has no bfloat16: onnx 1.12 writes bfloat16 test data as uint16
 * bit patterns. Read them as what the model declares. */
static void bfloat16_bits(Onnx__TensorProto *tp, int32_t declared)
{
    if (declared == OX_BFLOAT16 && tp->data_type == OX_UINT16)
        tp->data_type = OX_BFLOAT16;
}

/* Compare output i; 0 when equal, else a reason in why. */
static int compare_output(const char *dir, const jf_onnx_session *s, size_t i,
                          const jf_onnx_tensor *got, char *why, size_t size)
{
    Onnx__TensorProto *tp = read_tensor(dir, "output", i);
    if (!tp)
        return snprintf(why, size, "output_%zu.pb unreadable", i), -1;
    bfloat16_bits(tp, s->m->tensors[s->m->graph_outputs[i]].dtype);
    int rc = 0;
    int64_t n = numel_of(tp);
    void *want = malloc((size_t)(n > 0 ? n : 1) * 8);
    char err[600];
    if (!same_shape(tp, got))
        rc = -1, snprintf(why, size, "output %zu '%s': shape differs (rank %d vs %zu)", i,
                          got->name, got->rank, tp->n_dims);
    else if (ox_run_dtype(tp->data_type) != got->dtype)
        rc = -1, snprintf(why, size, "output %zu: dtype %d, expected %d", i, got->dtype,
                          ox_run_dtype(tp->data_type));
    else if (sx_tensor_decode(".", tp, want, n, err, sizeof err))
        rc = -1, snprintf(why, size, "output %zu: %s", i, err);
    for (int64_t e = 0; rc == 0 && e < n; e++) {
        double g = element(got->data, got->dtype, e), w = element(want, got->dtype, e);
        if (!close_enough(g, w))
            rc = -1, snprintf(why, size, "output %zu '%s' element %lld: got %.9g, expected %.9g",
                              i, got->name, (long long)e, g, w);
    }
    free(want);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return rc;
}

static int fill_input(const char *dir, jf_onnx_session *s, size_t i, char *why, size_t size)
{
    jf_onnx_tensor x;
    Onnx__TensorProto *tp = read_tensor(dir, "input", i);
    char err[600];
    int rc = 0;
    if (!tp)
        return snprintf(why, size, "input_%zu.pb unreadable", i), -1;
    bfloat16_bits(tp, s->m->tensors[s->m->graph_inputs[i]].dtype);
    if (jf_onnx_session_input(s, i, &x) != JF_OK || !same_shape(tp, &x))
        rc = -1, snprintf(why, size, "input %zu: the shape differs from the model's", i);
    else if (sx_tensor_decode(".", tp, x.data, numel_of(tp), err, sizeof err))
        rc = -1, snprintf(why, size, "input %zu: %s", i, err);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return rc;
}

/* Skipped: what the runtime or the rules do not cover yet. */
static int out_of_scope(const char *msg)
{
    return strstr(msg, "no kernel for operator") || strstr(msg, "no shape rule") ||
           strstr(msg, "does not hold") || strstr(msg, "dtype");
}

static void run_loaded(const char *dir, jf_onnx_model *m, jf_executor *ex, case_result *r)
{
    jf_onnx_session_options so = {0};
    so.no_combine = 1; /* combining for running measures the executor each time */
    jf_onnx_session *s = NULL;
    jf_status st = jf_onnx_session_create(m, &so, ex, &s);
    if (st != JF_OK) {
        r->result = out_of_scope(jf_onnx_session_errmsg(s)) ? CASE_SKIP : CASE_FAIL;
        snprintf(r->why, sizeof r->why, "session: %s", jf_onnx_session_errmsg(s));
        jf_onnx_session_destroy(s);
        return;
    }
    size_t n_in = jf_onnx_session_input_count(s), n_out = jf_onnx_session_output_count(s);
    int rc = 0;
    if ((int)n_in != count_files(dir, "input") || (int)n_out != count_files(dir, "output")) {
        rc = -1;
        snprintf(r->why, sizeof r->why, "the model has %zu inputs and %zu outputs, the data "
                 "%d and %d", n_in, n_out, count_files(dir, "input"), count_files(dir, "output"));
    }
    for (size_t i = 0; i < n_in && rc == 0; i++)
        rc = fill_input(dir, s, i, r->why, sizeof r->why);
    if (rc == 0 && jf_onnx_session_run(s, NULL, NULL) != JF_OK) {
        rc = -1;
        snprintf(r->why, sizeof r->why, "run: %s", jf_onnx_session_errmsg(s));
    }
    for (size_t i = 0; i < n_out && rc == 0; i++) {
        jf_onnx_tensor y;
        jf_onnx_session_output(s, i, &y);
        rc = compare_output(dir, s, i, &y, r->why, sizeof r->why);
    }
    r->result = rc == 0 ? CASE_PASS : CASE_FAIL;
    jf_onnx_session_destroy(s);
}

/* The case's operator: the node's type for one-node models; an expanded
 * function case counts for the operator of its unexpanded twin. */
static void case_operator(const jf_onnx_model *m, case_result *r, const case_result *all,
                          size_t n_all)
{
    size_t len = strlen(r->name);
    const char *suffix = "_expanded";
    if (len > strlen(suffix) && strcmp(r->name + len - strlen(suffix), suffix) == 0) {
        for (size_t i = 0; i < n_all; i++)
            if (strlen(all[i].name) == len - strlen(suffix) &&
                strncmp(all[i].name, r->name, len - strlen(suffix)) == 0 && all[i].op[0]) {
                snprintf(r->op, sizeof r->op, "%s", all[i].op);
                return;
            }
    }
    const char *op = "?";
    for (size_t i = 0; i < m->n_file_nodes; i++)
        if (m->nodes[i].is_task || strcmp(m->nodes[i].op, "Constant") == 0)
            op = m->nodes[i].op;
    snprintf(r->op, sizeof r->op, "%s", op);
}

static void run_case(const char *root, case_result *r, jf_executor *ex, const case_result *all,
                     size_t n_all)
{
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/%s", root, r->name);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (getenv("JF_CONFORMANCE_TRACE")) /* which case crashed */
        fprintf(stderr, "%s\n", r->name);
    jf_onnx_model *m = NULL;
    jf_onnx_options opt = {0};
    opt.device_gflops = 10; /* no measuring per case */
    jf_status st = jf_onnx_load(path, &opt, &m);
    if (st == JF_OK) {
        case_operator(m, r, all, n_all);
        run_loaded(dir, m, ex, r);
    } else {
        snprintf(r->op, sizeof r->op, "?");
        r->result = CASE_FAIL;
        snprintf(r->why, sizeof r->why, "load: %s", jf_onnx_errmsg(m));
    }
    jf_onnx_destroy(m);
}

/* ---- the list of cases and of documented skips ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const case_result *)a)->name, ((const case_result *)b)->name);
}

static case_result *list_cases(const char *root, size_t *count)
{
    DIR *d = opendir(root);
    case_result *cases = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0)
            continue;
        if (n == cap)
            cases = realloc(cases, (cap = cap ? cap * 2 : 1024) * sizeof *cases);
        memset(&cases[n], 0, sizeof *cases);
        snprintf(cases[n++].name, sizeof cases->name, "%s", e->d_name);
    }
    if (d)
        closedir(d);
    if (n)
        qsort(cases, n, sizeof *cases, by_name);
    *count = n;
    return cases;
}

static char *skips_text;

static void load_skips(void)
{
    size_t len;
    skips_text = (char *)read_file(JF_SOURCE_DIR "/tests/onnx_conformance_skips.txt", &len);
    if (skips_text) {
        skips_text = realloc(skips_text, len + 1);
        skips_text[len] = '\0';
    }
}

/* A case named at the start of a line of the skips file. */
static int documented_skip(const char *name)
{
    size_t len = strlen(name);
    for (const char *p = skips_text; p && *p;) {
        if (strncmp(p, name, len) == 0 && (p[len] == ' ' || p[len] == '\t' || p[len] == '\n'))
            return 1;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return 0;
}

/* ---- report ---- */

typedef struct {
    char op[64];
    int pass, fail, skip;
} op_count;

static int by_op(const void *a, const void *b)
{
    return strcmp(((const op_count *)a)->op, ((const op_count *)b)->op);
}

static void report(const case_result *cases, size_t n)
{
    op_count *ops = calloc(n + 1, sizeof *ops);
    size_t n_ops = 0;
    int total[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < n_ops && strcmp(ops[j].op, cases[i].op) != 0)
            j++;
        if (j == n_ops)
            snprintf(ops[n_ops++].op, sizeof ops->op, "%s", cases[i].op);
        int *slot = cases[i].result == CASE_PASS ? &ops[j].pass
                  : cases[i].result == CASE_FAIL ? &ops[j].fail : &ops[j].skip;
        (*slot)++;
        total[cases[i].result]++;
    }
    qsort(ops, n_ops, sizeof *ops, by_op);
    printf("%-28s %6s %6s %7s\n", "operator", "passed", "failed", "skipped");
    for (size_t j = 0; j < n_ops; j++)
        printf("%-28s %6d %6d %7d%s\n", ops[j].op, ops[j].pass, ops[j].fail, ops[j].skip,
               is_listed(ops[j].op) ? "  (listed)" : "");
    printf("%-28s %6d %6d %7d\n", "all", total[0], total[1], total[2]);
    free(ops);
}

/* Failures that count: a listed operator with a kernel, not documented. */
static int count_fatal(const case_result *cases, size_t n)
{
    int fatal = 0;
    for (size_t i = 0; i < n; i++) {
        const case_result *r = &cases[i];
        if (r->result != CASE_FAIL)
            continue;
        int counts = is_listed(r->op) && ox_kernel_find(r->op) && !documented_skip(r->name);
        printf("%s %s (%s): %s\n", counts ? "FAIL" : "fail (not counted)", r->name, r->op,
               r->why);
        fatal += counts;
    }
    return fatal;
}

/* One case in `stride`, an expanded case with its twin (which names its
 * operator). */
static int picked(const char *name, int stride)
{
    size_t len = strlen(name), suffix = strlen("_expanded");
    if (len > suffix && strcmp(name + len - suffix, "_expanded") == 0)
        len -= suffix;
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 1099511628211u;
    return h % (uint64_t)stride == 0;
}

int main(void)
{
    const char *out = "onnx_node_cases";
    int rc = generate(out);
    if (rc)
        return rc;
    char root[512];
    snprintf(root, sizeof root, "%s/node", out);
    size_t n = 0;
    case_result *cases = list_cases(root, &n);
    if (!n) {
        printf("test_onnx_conformance: skipped: no cases in %s\n", root);
        return 77;
    }
    load_skips();
    const char *quick = getenv("JF_TEST_QUICK"), *only = getenv("JF_CONFORMANCE_ONLY");
    int stride = quick && *quick && strcmp(quick, "0") ? 3 : 1;
    jf_executor *ex = NULL;
    JF_CHECK_STATUS(jf_executor_local_create(1, &ex), JF_OK);
    size_t kept = 0;
    double t0 = jf_test_now_s();
    for (size_t i = 0; i < n; i++) {
        if (!picked(cases[i].name, stride) || (only && !strstr(cases[i].name, only)))
            continue;
        run_case(root, &cases[i], ex, cases, n);
        if (only) /* looking at a few cases: say what became of each */
            printf("%s (%s): %s %s\n", cases[i].name, cases[i].op,
                   cases[i].result == CASE_PASS ? "passed" :
                   cases[i].result == CASE_FAIL ? "failed" : "skipped", cases[i].why);
        cases[kept++] = cases[i];
    }
    jf_executor_destroy(ex);
    report(cases, kept);
    int fatal = count_fatal(cases, kept);
    printf("%zu cases in %.2f s; %d failure(s) that count\n", kept, jf_test_now_s() - t0, fatal);
    free(cases);
    free(skips_text);
    return fatal ? 1 : jf_test_finish("test_onnx_conformance", "cases", (int)kept);
}
