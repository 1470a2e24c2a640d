/* jobfuse: the command-line tool, a thin layer over libjobfuse. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage[] =
    "usage: jobfuse COMMAND [ARGS]\n"
    "\n"
    "  plan JOB.json|MODEL.onnx [--devices D.json] [combine options] [-o PLAN.json]\n"
    "        combine the job's tasks into target tasks and write the plan\n"
    "  import MODEL.onnx [--input NAME=SHAPE ...] [-o JOB.json]\n"
    "        turn an ONNX model into a job with demands from its shapes\n"
    "  run  JOB|PLAN [--threads N] [--no-combine] [--trace T.json] [--stats-json S.json]\n"
    "        combine the job for running and run it on this machine's threads\n"
    "  gen  SHAPE ARGS [--seed N] [-o JOB.json]\n"
    "        make a synthetic job: chain N | par N | tree DEPTH | wavefront M |\n"
    "        layered W [--tasks N] | random N [--edges E]\n"
    "  show JOB|PLAN --dot [-o FILE] | --svg FILE\n"
    "        draw a job or a plan with Graphviz\n"
    "\n"
    "`jobfuse COMMAND --help` tells more. Exit status: 0 ok, 1 failure while\n"
    "running, 2 bad input or usage.\n";

static void print_error(const char *fmt, va_list ap)
{
    fputs("jobfuse: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_error(fmt, ap);
    va_end(ap);
    return status;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_error(fmt, ap);
    va_end(ap);
    return CLI_BAD_INPUT;
}

int cli_status_exit(jf_status st)
{
    switch (st) {
    case JF_OK: return CLI_OK;
    case JF_EPARSE:
    case JF_EINVAL:
    case JF_ECYCLE:
    case JF_ECAPACITY: return CLI_BAD_INPUT;
    case JF_EINTR: return CLI_INTERRUPTED;
    default: return CLI_FAIL;
    }
}

void cli_log_to_stderr(void *user, jf_log_level level, const char *message)
{
    (void)user;
    if (level >= JF_LOG_WARN)
        fprintf(stderr, "jobfuse: %s%s\n", level == JF_LOG_WARN ? "warning: " : "", message);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value,
                  int *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') { /* --name=value */
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *missing = 1;
        return 1;
    }
    *value = argv[++*i];
    return 1;
}

int main(int argc, char **argv)
{
    jf_log_set(cli_log_to_stderr, NULL);
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("jobfuse 0.1.0");
        return CLI_OK;
    }
    if (strcmp(cmd, "plan") == 0)
        return cli_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cli_import(argc - 1, argv + 1);
    if (strcmp(cmd, "gen") == 0)
        return cli_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return cli_show(argc - 1, argv + 1);
    fprintf(stderr, "jobfuse: unknown command \"%s\"\n\n%s", cmd, usage);
    return CLI_BAD_INPUT;
}
