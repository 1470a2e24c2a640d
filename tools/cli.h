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

#endif
