/* jobfuse run: what cmd_run.c (jobs and plans) and cmd_run_onnx.c (ONNX
 * models) share — the parsed options, SIGINT and the progress line. */
#ifndef JF_RUN_CLI_H
#define JF_RUN_CLI_H

#include <signal.h>

#include "cli.h"
#include "jobfuse/run.h"

/* Options only a model takes. */
typedef struct {
    cli_onnx_args shapes;           /* --input NAME=SHAPE, --device-gflops */
    char *npy_name[CLI_MAX_INPUTS]; /* --input NAME=FILE.npy */
    const char *npy_path[CLI_MAX_INPUTS];
    int n_npy;
    uint64_t seed;
    int random; /* --random-input SEED given */
    const char *output_dir;
    int repeat; /* timed runs after a warm-up; 0: one run */
    int no_split, no_fuse;
    const char *first; /* the first of these options, for messages */
} run_onnx_args;

typedef struct {
    const char *input, *devices_path, *trace_path, *stats_path;
    jf_combine_params params;
    int threads, no_combine, quiet, explain, user_limits;
    run_onnx_args onnx;
} run_args;

/* Parse argv[*i] if it is a model option: -1 not one, 0 taken, else an
 * exit status after a message. */
int cli_run_onnx_option(run_onnx_args *o, int argc, char **argv, int *i);
void cli_run_onnx_args_free(run_onnx_args *o);
/* Load the model, run it and report; the exit status. */
int cli_run_onnx(const run_args *a, jf_executor *ex, double start);

/* Set while SIGINT arrives between cli_run_sigint_catch and _restore. */
extern volatile sig_atomic_t cli_run_stop;
void cli_run_sigint_catch(struct sigaction *old);
void cli_run_sigint_restore(const struct sigaction *old);

typedef struct {
    double start;
    int shown;
    int run, runs; /* this run (from 0) of runs, when a model is run repeatedly */
} cli_progress;

/* A progress line on a terminal once a run takes over a second (not with
 * --quiet); _clear erases it. */
void cli_run_progress_attach(const run_args *a, jf_run_params *rp, cli_progress *ps);
void cli_run_progress_clear(const cli_progress *ps);
/* Around one run or a series: SIGINT caught into cli_run_stop, the
 * progress line attached; the parameters to run with. _end undoes both. */
jf_run_params cli_run_begin(const run_args *a, struct sigaction *old, cli_progress *ps);
void cli_run_end(const struct sigaction *old, const cli_progress *ps);

#endif
