/* jobfuse import: an ONNX model as a jobfuse-job/1 file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char import_usage[] =
    "usage: jobfuse import MODEL.onnx [--input NAME=SHAPE ...] [-o JOB.json]\n"
    "\n"
    "Turn an ONNX model into a job (jobfuse-job/1; stdout without -o): a task per\n"
    "operator, Input/Output tasks for the graph's ends, a dependency wherever a\n"
    "node reads another's output with the tensor's bytes, and demands from the\n"
    "shapes: memory (inputs, outputs and weights), flops (a multiply-accumulate\n"
    "is 2) and time (flops at the device's speed, in us). A summary goes to\n"
    "stderr; its last line is key=value pairs for scripts.\n"
    "\n"
    "  -o, --output JOB.json      where to write the job (atomically)\n"
    CLI_ONNX_USAGE
    "  -q, --quiet                no summary except the key=value line\n"
    "\n"
    "example:\n"
    "  jobfuse import det.onnx --input x=1x3x640x640 -o det.json\n";

typedef struct {
    const char *model, *out;
    cli_onnx_args onnx;
    int quiet;
} import_args;

static int parse_args(import_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL, *arg = argv[i];
        int missing = 0, rc = cli_onnx_option(&a->onnx, argc, argv, &i);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(import_usage, stdout);
            exit(CLI_OK);
        }
        if (cli_opt_value(argc, argv, &i, "-o", &v, &missing) ||
            cli_opt_value(argc, argv, &i, "--output", &v, &missing))
            a->out = v;
        else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)
            a->quiet = 1;
        else if (arg[0] == '-' && arg[1] != '\0')
            return cli_usage_error("import: unknown option %s (see jobfuse import --help)", arg);
        else if (a->model)
            return cli_usage_error("import: one model at a time (got %s and %s)", a->model, arg);
        else
            a->model = arg;
        if (missing)
            return cli_usage_error("%s needs a value", arg);
    }
    if (!a->model)
        return cli_usage_error("import: which model? (jobfuse import MODEL.onnx; --help "
                               "tells more)");
    return 0;
}

int cli_import(int argc, char **argv)
{
    import_args a = {0};
    a.out = "-";
    int rc = parse_args(&a, argc, argv);
    jf_onnx_model *model = NULL;
    jf_job *job = NULL;
    double t0 = cli_now(), parse_s = 0, write_s = 0;
    if (rc == 0)
        rc = cli_read_onnx(a.model, &a.onnx, &model, &job);
    if (rc < 0) {
        parse_s = cli_now() - t0;
        if (!a.quiet)
            cli_print_onnx_summary(a.model, model, job);
        t0 = cli_now();
        rc = jf_job_write_json(job, a.out) == JF_OK
                 ? CLI_OK : cli_error(CLI_FAIL, "%s", jf_job_errmsg(job));
        write_s = cli_now() - t0;
    }
    if (rc == CLI_OK) {
        const jf_onnx_stats *s = jf_onnx_get_stats(model);
        fprintf(stderr, "operators=%llu tasks=%u edges=%llu weight_bytes=%llu macs=%.17g "
                "macs_all=%.17g flops=%.17g peak_activation_bytes=%llu unknown_shapes=%llu "
                "parse_s=%.6f write_s=%.6f\n", (unsigned long long)s->operators,
                jf_job_task_count(job), (unsigned long long)jf_job_edge_count(job),
                (unsigned long long)s->weight_bytes, s->macs_conv_matmul, s->macs_all,
                s->flops, (unsigned long long)s->peak_activation_bytes,
                (unsigned long long)s->unknown_shapes, parse_s, write_s);
    }
    jf_job_destroy(job);
    jf_onnx_destroy(model);
    cli_onnx_args_free(&a.onnx);
    return rc;
}
