/* ONNX import framework: ids, Input/Output tasks, weights, If folding,
 * external data, and corrupt files — truncated at every length, bytes
 * flipped at random — that must be refused with a message, never crash. */
#include <stdio.h>
#include <unistd.h>

#include "onnx_test.h"

#define DATA JF_SOURCE_DIR "/tests/data/onnx/import/"

static jf_onnx_model *load_ok(const char *name, jf_job **job)
{
    jf_onnx_options opt = {NULL, 0, 100.0};
    jf_onnx_model *m = NULL;
    *job = NULL;
    jf_test_context("%s", name);
    jf_status st = jf_onnx_load(name, &opt, &m);
    if (!JF_CHECK_STATUS(st, JF_OK))
        fprintf(stderr, "  %s\n", jf_onnx_errmsg(m));
    else if (!JF_CHECK_STATUS(jf_onnx_job(m, job), JF_OK))
        fprintf(stderr, "  %s\n", jf_onnx_errmsg(m));
    return m;
}

static uint32_t task_of(const jf_job *job, const char *id)
{
    uint32_t t = UINT32_MAX;
    if (!jf_job_task_find(job, id, &t))
        jf_test_fail(__FILE__, __LINE__, "no task '%s'", id);
    return t;
}

static int has_dep(const jf_job *job, uint32_t from, uint32_t to, uint64_t *bytes)
{
    const uint32_t *s;
    const uint64_t *b;
    uint32_t n = jf_job_succ(job, from, &s, &b);
    for (uint32_t i = 0; i < n; i++)
        if (s[i] == to) {
            *bytes = b[i];
            return 1;
        }
    return 0;
}

/* Unnamed nodes get op_N ids that never take a later node's name; the
 * Constant is a weight, not a task; the dynamic dimension becomes 1. */
static void check_unnamed(void)
{
    jf_job *job;
    jf_onnx_model *m = load_ok(DATA "unnamed.onnx", &job);
    if (job) {
        JF_CHECK_U(jf_job_task_count(job), ==, 5); /* input, 3 operators, output */
        uint32_t in = task_of(job, "input:x"), r1 = task_of(job, "Relu_1");
        uint32_t mul = task_of(job, "Mul_0"), r0 = task_of(job, "Relu_0");
        uint32_t out = task_of(job, "output:y");
        uint64_t bytes = 0;
        JF_CHECK(has_dep(job, in, r1, &bytes) && bytes == 16); /* 1x4 floats */
        JF_CHECK(has_dep(job, r1, mul, &bytes));
        JF_CHECK(has_dep(job, mul, r0, &bytes));
        JF_CHECK(has_dep(job, r0, out, &bytes));
        JF_CHECK(strcmp(jf_job_op(job, in), "Input") == 0);
        JF_CHECK(strcmp(jf_job_op(job, out), "Output") == 0);
        JF_CHECK(strcmp(jf_job_op(job, mul), "Mul") == 0);
        const jf_onnx_stats *s = jf_onnx_get_stats(m);
        JF_CHECK_U(s->operators, ==, 4);
        JF_CHECK_U(s->weights, ==, 1);
        JF_CHECK_U(s->weight_bytes, ==, 4);
        /* Mul's memory: input a (16) + weight two (4) + output b (16) */
        JF_CHECK_D(jf_job_demand(job, mul, jf_job_resource_find(job, "memory")), ==, 36);
    }
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

/* A folded If becomes its then branch; an open one stays one task that
 * holds both branches' weights and reads what the branches read. */
static void check_if(void)
{
    jf_job *job;
    jf_onnx_model *m = load_ok(DATA "if_folded.onnx", &job);
    uint64_t bytes = 0;
    if (job) {
        JF_CHECK_U(jf_job_task_count(job), ==, 4);
        uint32_t t = UINT32_MAX;
        JF_CHECK(!jf_job_task_find(job, "choose", &t));
        JF_CHECK(!jf_job_task_find(job, "else_node", &t));
        uint32_t then = task_of(job, "then_node"), after = task_of(job, "after");
        JF_CHECK(has_dep(job, task_of(job, "input:x"), then, &bytes) && bytes == 24);
        JF_CHECK(has_dep(job, then, after, &bytes) && bytes == 24);
    }
    jf_job_destroy(job);
    jf_onnx_destroy(m);

    m = load_ok(DATA "if_open.onnx", &job);
    if (job) {
        JF_CHECK_U(jf_job_task_count(job), ==, 5); /* flag, x, choose, after, y */
        uint32_t choose = task_of(job, "choose");
        JF_CHECK(has_dep(job, task_of(job, "input:flag"), choose, &bytes) && bytes == 1);
        JF_CHECK(has_dep(job, task_of(job, "input:x"), choose, &bytes) && bytes == 24);
        /* both branches' 3-float weights count in its memory */
        JF_CHECK_D(jf_job_demand(job, choose, jf_job_resource_find(job, "memory")), >=, 24 + 1 + 24);
    }
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

static void check_external(void)
{
    jf_job *job;
    jf_onnx_model *m = load_ok(DATA "external.onnx", &job);
    if (job)
        JF_CHECK_U(jf_onnx_get_stats(m)->weight_bytes, ==, 1024);
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

static void expect_refused(const char *path, const jf_onnx_input *in, jf_status want,
                           const char *mention)
{
    jf_onnx_options opt = {in, in ? 1 : 0, 100.0};
    jf_onnx_model *m = NULL;
    jf_test_context("%s", path);
    JF_CHECK_STATUS(jf_onnx_load(path, &opt, &m), want);
    JF_CHECK_MENTIONS(jf_onnx_errmsg(m), mention);
    jf_onnx_destroy(m);
}

static void check_refusals(void)
{
    expect_refused(DATA "undefined.onnx", NULL, JF_EINVAL, "ghost");
    expect_refused(DATA "cycle.onnx", NULL, JF_ECYCLE, "cycle");
    expect_refused(DATA "defined_twice.onnx", NULL, JF_EINVAL, "twice");
    expect_refused(DATA "no_opset.onnx", NULL, JF_EPARSE, "operator set");
    expect_refused(DATA "external_missing.onnx", NULL, JF_EINVAL, "missing.bin");
    expect_refused(DATA "no_such_file.onnx", NULL, JF_EIO, "No such file");
    jf_onnx_input wrong_rank = {"x", 1, {4}};
    expect_refused(DATA "unnamed.onnx", &wrong_rank, JF_EINVAL, "rank");
    jf_onnx_input fixed_dim = {"x", 2, {3, 5}};
    expect_refused(DATA "unnamed.onnx", &fixed_dim, JF_EINVAL, "dimension 1");
    jf_onnx_input unknown = {"nothing", 1, {4}};
    expect_refused(DATA "unnamed.onnx", &unknown, JF_EINVAL, "nothing");
}

static long read_file(const char *path, unsigned char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long n = (long)fread(buf, 1, size, f);
    fclose(f);
    return n;
}

static int write_file(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void load_mangled(const char *tmp, const unsigned char *buf, size_t n)
{
    if (write_file(tmp, buf, n) == 0)
        jf_test_onnx_import_any(tmp);
}

static void check_corrupt(void)
{
    static const char *const models[] = {"if_open.onnx", "unnamed.onnx", "if_folded.onnx"};
    unsigned char buf[4096], copy[4096];
    char tmp[] = "/tmp/jf_onnx_corrupt_XXXXXX";
    int fd = mkstemp(tmp);
    if (!JF_CHECK(fd >= 0))
        return;
    close(fd);
    jf_log_set(NULL, NULL);
    jf_rng rng = jf_rng_seed(7);
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        char path[512];
        snprintf(path, sizeof path, DATA "%s", models[k]);
        long n = read_file(path, buf, sizeof buf);
        if (!JF_CHECK(n > 0))
            continue;
        jf_test_context("%s truncated", models[k]);
        for (long len = 0; len < n; len++) /* every truncation */
            load_mangled(tmp, buf, (size_t)len);
        jf_test_context("%s with flipped bytes", models[k]);
        for (int round = 0; round < (jf_test_quick() ? 200 : 2000); round++) {
            memcpy(copy, buf, (size_t)n);
            for (int f = 0, flips = 1 + (int)jf_rng_below(&rng, 4); f < flips; f++)
                copy[jf_rng_below(&rng, (uint32_t)n)] = (unsigned char)jf_rng_next(&rng);
            load_mangled(tmp, copy, (size_t)n);
        }
    }
    jf_test_context("random bytes");
    for (int round = 0; round < 500; round++) {
        size_t n = 1 + jf_rng_below(&rng, sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)jf_rng_next(&rng);
        load_mangled(tmp, buf, n);
    }
    unlink(tmp);
}

int main(void)
{
    check_unnamed();
    check_if();
    check_external();
    check_refusals();
    check_corrupt();
    return jf_test_finish("test_onnx_import", "checks", 1);
}
