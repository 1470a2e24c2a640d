/* ONNX models on the command line: --input and --device-gflops, loading
 * with messages and exit statuses, and the model's part of the summary. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_is_onnx(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && strcmp(dot, ".onnx") == 0;
}

static int parse_input(cli_onnx_args *o, const char *value)
{
    const char *eq = strrchr(value, '=');
    if (!eq || eq == value)
        return cli_usage_error("--input needs NAME=SHAPE, like x=1x3x640x640 (got \"%s\")",
                               value);
    if (o->n_inputs == CLI_MAX_INPUTS)
        return cli_usage_error("at most %d --input options", CLI_MAX_INPUTS);
    jf_onnx_input *in = &o->inputs[o->n_inputs];
    if (jf_onnx_parse_shape(eq + 1, in))
        return cli_usage_error("--input %s: the shape is dimensions joined by x, like "
                               "1x3x640x640", value);
    size_t len = (size_t)(eq - value);
    o->names[o->n_inputs] = malloc(len + 1);
    if (!o->names[o->n_inputs])
        return cli_error(CLI_FAIL, "out of memory");
    memcpy(o->names[o->n_inputs], value, len);
    o->names[o->n_inputs][len] = '\0';
    in->name = o->names[o->n_inputs++];
    return 0;
}

int cli_onnx_option(cli_onnx_args *o, int argc, char **argv, int *i)
{
    const char *v = NULL;
    int missing = 0;
    if (cli_opt_value(argc, argv, i, "--input", &v, &missing)) {
        if (missing)
            return cli_usage_error("--input needs NAME=SHAPE");
        return parse_input(o, v);
    }
    if (cli_opt_value(argc, argv, i, "--device-gflops", &v, &missing)) {
        char *end = NULL;
        errno = 0;
        o->device_gflops = missing ? 0 : strtod(v, &end);
        if (missing || errno || end == v || *end || !(o->device_gflops > 0) ||
            !isfinite(o->device_gflops))
            return cli_usage_error("--device-gflops needs a positive number of GFLOP/s");
        return 0;
    }
    return -1;
}

void cli_onnx_args_free(cli_onnx_args *o)
{
    for (int i = 0; i < o->n_inputs; i++)
        free(o->names[i]);
    o->n_inputs = 0;
}

int cli_read_onnx(const char *path, const cli_onnx_args *o, jf_onnx_model **model, jf_job **job)
{
    jf_onnx_options opt = {o->inputs, (size_t)o->n_inputs, o->device_gflops};
    *job = NULL;
    jf_status st = jf_onnx_load(path, &opt, model);
    if (st == JF_OK)
        st = jf_onnx_job(*model, job);
    if (st == JF_OK)
        return -1;
    return cli_error(cli_input_exit(st), "%s", jf_onnx_errmsg(*model));
}

static const char *human_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4)
        bytes /= 1024, u++;
    snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

typedef int (*task_better)(const jf_job *job, int r, uint32_t a, uint32_t b);

static int demand_greater(const jf_job *job, int r, uint32_t a, uint32_t b)
{
    return jf_job_demand(job, a, r) > jf_job_demand(job, b, r);
}

/* The n tasks with the highest demand of resource r, highest first. */
static int top_tasks(const jf_job *job, int r, uint32_t *top, int n)
{
    int count = 0;
    for (uint32_t t = 0; t < jf_job_task_count(job); t++) {
        const char *op = jf_job_op(job, t);
        if (op && (strcmp(op, "Input") == 0 || strcmp(op, "Output") == 0))
            continue;
        int at = count < n ? count++ : n;
        while (at > 0 && demand_greater(job, r, t, top[at - 1])) {
            if (at < n)
                top[at] = top[at - 1];
            at--;
        }
        if (at < n)
            top[at] = t;
    }
    return count;
}

static void print_top(const jf_job *job, const char *what, int r, int as_bytes)
{
    uint32_t top[5];
    int count = top_tasks(job, r, top, 5);
    fprintf(stderr, "  largest by %s:", what);
    for (int i = 0; i < count; i++) {
        char buf[32];
        double v = jf_job_demand(job, top[i], r);
        if (as_bytes)
            fprintf(stderr, "%s %s (%s) %s", i ? "," : "", jf_job_task_id(job, top[i]),
                    jf_job_op(job, top[i]), human_bytes(v, buf, sizeof buf));
        else
            fprintf(stderr, "%s %s (%s) %.4g us", i ? "," : "", jf_job_task_id(job, top[i]),
                    jf_job_op(job, top[i]), v);
    }
    fputc('\n', stderr);
}

void cli_print_onnx_summary(const char *path, const jf_onnx_model *model, const jf_job *job)
{
    const jf_onnx_stats *s = jf_onnx_get_stats(model);
    char w[32], peak[32];
    fprintf(stderr, "jobfuse: %s: opset %d, %llu operators (%llu tasks), %llu weights (%s)\n",
            path, s->opset, (unsigned long long)s->operators, (unsigned long long)s->tasks,
            (unsigned long long)s->weights, human_bytes((double)s->weight_bytes, w, sizeof w));
    fprintf(stderr, "  multiply-accumulates: %.4g in Conv/ConvTranspose/MatMul/Gemm/LSTM, "
            "%.4g in all; %.4g flops\n", s->macs_conv_matmul, s->macs_all, s->flops);
    fprintf(stderr, "  peak activation memory: %s; device speed %.4g GFLOP/s\n",
            human_bytes((double)s->peak_activation_bytes, peak, sizeof peak), s->device_gflops);
    if (s->unknown_shapes)
        fprintf(stderr, "  values of unknown shape: %llu\n", (unsigned long long)s->unknown_shapes);
    print_top(job, "memory", jf_job_resource_find(job, "memory"), 1);
    print_top(job, "time", jf_job_resource_find(job, "time"), 0);
}

void cli_onnx_source_json(const cli_onnx_args *o, double gflops, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "{\"device_gflops\": %.17g, \"inputs\": {", gflops);
    for (int i = 0; i < o->n_inputs && len < size; i++) {
        const jf_onnx_input *in = &o->inputs[i];
        len += (size_t)snprintf(buf + len, size - len, "%s\"%s\": \"", i ? ", " : "", in->name);
        for (int d = 0; d < in->rank && len < size; d++)
            len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "x" : "",
                                    (long long)in->dims[d]);
        if (len < size)
            len += (size_t)snprintf(buf + len, size - len, "\"");
    }
    if (len < size)
        snprintf(buf + len, size - len, "}}");
}
