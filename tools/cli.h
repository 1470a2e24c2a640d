/* The jobfuse command: one file per subcommand, shared helpers here. */
#ifndef JF_CLI_H
#define JF_CLI_H

#include <stdio.h>

#include "jobfuse/base.h"

/* Exit statuses of the command. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_BAD_INPUT = 2, CLI_INTERRUPTED = 130 };

int cli_plan(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_show(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_import(int argc, char **argv);


/* Print "jobfuse: " + message to stderr and return CLI_BAD_INPUT. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "jobfuse: " + message to stderr and return status. */
int cli_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit status for a library status: bad input 2, others 1. */
int cli_status_exit(jf_status st);
/* Route library warnings to stderr as "jobfuse: warning: ...". */
void cli_log_to_stderr(void *user, jf_log_level level, const char *message);
/* Seconds on a monotonic clock. */
double cli_now(void);
/* True when argv[*i] is `name`; takes the next argument as *value. A missing
 * value sets *missing. */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value,
                  int *missing);

/* ---- inputs (tools/input.c); these return -1 on success, else an exit
 * status after printing the message ---- */
#include "jobfuse/plan.h"
int cli_input_exit(jf_status st);
int cli_peek_is_plan(const char *path, int *is_plan);
int cli_read_job(const char *path, jf_job **job);
int cli_read_plan(const char *path, jf_job **job, jf_plan **plan);

/* ---- combine options (tools/combine_opts.c) ---- */
#include "jobfuse/combine.h"
/* Parse argv[*i] if it is a combine option: -1 not one, 0 taken (a value
 * may have been consumed), else an exit status after a message. */
int cli_combine_option(jf_combine_params *p, int argc, char **argv, int *i);
/* The options as a JSON object, for the plan's "options". */
void cli_combine_options_json(const jf_combine_params *p, char *buf, size_t size);

/* ---- ONNX models (tools/onnx_cli.c) ---- */
#include "jobfuse/onnx.h"
#define CLI_MAX_INPUTS 32
typedef struct {
    jf_onnx_input inputs[CLI_MAX_INPUTS];
    char *names[CLI_MAX_INPUTS];
    int n_inputs;
    double device_gflops;
} cli_onnx_args;

/* 1 when path names an ONNX model (by its .onnx extension). */
int cli_is_onnx(const char *path);
/* Parse argv[*i] if it is --input or --device-gflops: -1 not one, 0 taken,
 * else an exit status after a message. */
int cli_onnx_option(cli_onnx_args *o, int argc, char **argv, int *i);
void cli_onnx_args_free(cli_onnx_args *o);
/* Load the model and make its job; -1 on success, else an exit status. */
int cli_read_onnx(const char *path, const cli_onnx_args *o, jf_onnx_model **model, jf_job **job);
/* How a model was imported, for the plan's source.onnx: the --input shapes
 * and the device speed used. Input names are written as given. */
void cli_onnx_source_json(const cli_onnx_args *o, double gflops, char *buf, size_t size);
/* Operators, weights, multiply-accumulates, peak memory, largest tasks. */
void cli_print_onnx_summary(const char *path, const jf_onnx_model *model, const jf_job *job);
#define CLI_ONNX_USAGE                                                              \
    "  --input NAME=SHAPE         ONNX: fix a graph input's shape, like\n"           \
    "                             x=1x3x640x640 (unset dynamic dimensions are 1)\n"  \
    "  --device-gflops G          ONNX: device speed for time demands (default:\n"   \
    "                             measured once and cached)\n"

#endif
