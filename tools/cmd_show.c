/* jobfuse show: draw a job or a plan with Graphviz (DOT text or SVG). */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "jobfuse/combine.h"
#include "jobfuse/plan.h"

extern char **environ;

/* Jobs above this many tasks are drawn combined (as jf_write_dot does for
 * plans), so that dot stays usable. */
#define SHOW_MAX_TASKS 5000

static const char show_usage[] =
    "usage: jobfuse show JOB.json|PLAN.json --dot [-o FILE]\n"
    "       jobfuse show JOB.json|PLAN.json --svg FILE\n"
    "\n"
    "Draw a job's tasks and dependencies (edges labelled with their bytes) with\n"
    "Graphviz. For a plan, every target task of several members is a cluster.\n"
    "A job of more than 5000 tasks is drawn as its combined graph, one node per\n"
    "target (a job alone is combined with the default options first).\n"
    "\n"
    "  --dot          write DOT text, to stdout unless -o names a file\n"
    "  -o FILE        where --dot writes (\"-\" is stdout)\n"
    "  --svg FILE     render with Graphviz's dot -Tsvg into FILE (\"-\" is stdout)\n"
    "  -h, --help     this text\n";

typedef struct {
    const char *input;
    const char *out;  /* -o, for --dot */
    const char *svg;  /* --svg FILE */
    int dot;
} show_opts;

/* One option at argv[*i]; returns -1 to go on, else an exit status. */
static int parse_one(int argc, char **argv, int *i, show_opts *o)
{
    int missing = 0;
    const char *a = argv[*i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        fputs(show_usage, stdout);
        return CLI_OK;
    }
    if (strcmp(a, "--dot") == 0)
        o->dot = 1;
    else if (cli_opt_value(argc, argv, i, "--svg", &o->svg, &missing) ||
             cli_opt_value(argc, argv, i, "-o", &o->out, &missing) ||
             cli_opt_value(argc, argv, i, "--output", &o->out, &missing)) {
        if (missing)
            return cli_usage_error("show: %s needs a file name", a);
    } else if (a[0] == '-' && a[1] != '\0')
        return cli_usage_error("show: unknown option \"%s\" (see jobfuse show --help)", a);
    else if (o->input)
        return cli_usage_error("show: one input file only (\"%s\" and \"%s\")", o->input, a);
    else
        o->input = a;
    return -1;
}

static int parse_args(int argc, char **argv, show_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, o);
        if (rc >= 0)
            return rc;
    }
    if (!o->input)
        return cli_usage_error("show: which job or plan? (see jobfuse show --help)");
    if (o->dot == !!o->svg)
        return cli_usage_error("show: say --dot [-o FILE] or --svg FILE");
    if (o->svg && o->out)
        return cli_usage_error("show: -o goes with --dot; --svg names its own file");
    if (!o->out)
        o->out = "-";
    return -1;
}

/* A job too big to draw task by task is combined with the default options
 * so that it can be drawn one node per target. Failing that, drawn whole. */
static void combine_big_job(const char *path, jf_job *job, jf_plan **plan)
{
    if (jf_job_task_count(job) <= SHOW_MAX_TASKS)
        return;
    jf_devices *devs = NULL;
    jf_combine_params p = jf_combine_default_params();
    jf_status st = jf_devices_local(&devs);
    p.devices = st == JF_OK ? devs : NULL;
    if (st == JF_OK)
        st = jf_combine(job, &p, plan, NULL);
    if (st == JF_OK)
        fprintf(stderr, "jobfuse: note: %s has %u tasks: drawn combined with the default "
                        "options, one node per target\n", path, jf_job_task_count(job));
    else
        fprintf(stderr, "jobfuse: warning: %s has %u tasks and could not be combined (%s): "
                        "drawn whole, dot may be slow\n", path, jf_job_task_count(job),
                jf_status_str(st));
    if (st != JF_OK) {
        jf_plan_destroy(*plan);
        *plan = NULL;
    }
    jf_devices_destroy(devs);
}

static int load_input(const char *path, jf_job **job, jf_plan **plan)
{
    int is_plan = 0;
    int rc = cli_peek_is_plan(path, &is_plan);
    if (rc < 0)
        rc = is_plan ? cli_read_plan(path, job, plan) : cli_read_job(path, job);
    if (rc < 0 && !is_plan)
        combine_big_job(path, *job, plan);
    return rc;
}

static int write_dot(const jf_job *job, const jf_plan *plan, const char *path)
{
    jf_status st = jf_write_dot(job, plan, path);
    if (st == JF_OK)
        return CLI_OK;
    return cli_error(cli_status_exit(st), "%s: cannot write: %s", path,
                     st == JF_EIO ? strerror(errno) : jf_status_str(st));
}

/* A fresh, empty file named after base (base + suffix + "XXXXXX") in
 * base's folder; NULL after a message. Free with free(). */
static char *make_temp(const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 8;
    char *name = malloc(n);
    if (!name) {
        cli_error(CLI_FAIL, "out of memory");
        return NULL;
    }
    snprintf(name, n, "%s%sXXXXXX", base, suffix);
    int fd = mkstemp(name);
    if (fd < 0) {
        cli_error(CLI_FAIL, "%s: cannot create a file beside it: %s", base, strerror(errno));
        free(name);
        return NULL;
    }
    fchmod(fd, 0644);
    close(fd);
    return name;
}

/* Run dot -Tsvg on dot_path, writing to svg_path (NULL: stdout). */
static int run_graphviz(const char *dot_path, const char *svg_path)
{
    char *args[] = {"dot", "-Tsvg", (char *)dot_path, "-o", (char *)svg_path, NULL};
    if (!svg_path)
        args[3] = NULL;
    pid_t pid;
    int err = posix_spawnp(&pid, "dot", NULL, NULL, args, environ);
    if (err == ENOENT)
        return cli_error(CLI_BAD_INPUT, "--svg needs Graphviz's dot (Debian package "
                                        "graphviz); use --dot to write DOT");
    if (err != 0)
        return cli_error(CLI_FAIL, "cannot run dot: %s", strerror(err));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return cli_error(CLI_FAIL, "waiting for dot: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return CLI_OK;
    if (WIFEXITED(status))
        return cli_error(CLI_FAIL, "dot -Tsvg failed (exit status %d)", WEXITSTATUS(status));
    return cli_error(CLI_FAIL, "dot -Tsvg was killed by signal %d", WTERMSIG(status));
}

/* DOT to a temporary file, dot -Tsvg to another, renamed into place. */
static int write_svg(const jf_job *job, const jf_plan *plan, const char *svg)
{
    int to_stdout = strcmp(svg, "-") == 0;
    const char *tmpdir = getenv("TMPDIR");
    char base[4096];
    snprintf(base, sizeof base, "%s/jobfuse-show", tmpdir && *tmpdir ? tmpdir : "/tmp");
    char *dot_tmp = make_temp(to_stdout ? base : svg, ".dot.");
    char *svg_tmp = dot_tmp && !to_stdout ? make_temp(svg, ".tmp.") : NULL;
    int rc = CLI_FAIL;
    if (dot_tmp && (svg_tmp || to_stdout))
        rc = write_dot(job, plan, dot_tmp);
    if (rc == CLI_OK)
        rc = run_graphviz(dot_tmp, svg_tmp);
    if (rc == CLI_OK && svg_tmp && rename(svg_tmp, svg) != 0)
        rc = cli_error(CLI_FAIL, "%s: cannot write: %s", svg, strerror(errno));
    if (dot_tmp)
        unlink(dot_tmp);
    if (svg_tmp && rc != CLI_OK)
        unlink(svg_tmp);
    free(dot_tmp);
    free(svg_tmp);
    return rc;
}

int cli_show(int argc, char **argv)
{
    show_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    jf_job *job = NULL;
    jf_plan *plan = NULL;
    rc = load_input(o.input, &job, &plan);
    if (rc < 0)
        rc = o.svg ? write_svg(job, plan, o.svg) : write_dot(job, plan, o.out);
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    return rc;
}
