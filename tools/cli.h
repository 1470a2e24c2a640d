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

#endif
