/* jobfuse plan: read a job, combine it, place it, write the plan. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jobfuse/combine.h"

static const char plan_usage[] =
    "usage: jobfuse plan JOB.json|MODEL.onnx [options] [-o PLAN.json]\n"
    "\n"
    "Combine the job's small, simply connected tasks into target tasks that fit\n"
    "the devices, and write the combined job (jobfuse-plan/1; stdout without -o).\n"
    "A summary goes to stderr; its last line is key=value pairs for scripts.\n"
    "\n"
    "  -o, --output PLAN.json     where to write the plan (atomically)\n"
    "  --devices D.json           device pool (default: this machine, one device\n"
    "                             per core, memory split evenly)\n"
    "  --degree-threshold K       tasks with fewer than K distinct neighbours on a\n"
    "                             side are candidates (default 2: links of chains)\n"
    "  --degree-mode MODE         both (in<K and out<K, default), in, out, sum\n"
    "  --demand-threshold RES=V   candidates need demand <= V (absolute with\n"
    "                             suffixes like 4MiB, or N%% of the capacity);\n"
    "                             default 50%% of each limited resource\n"
    "  --capacity RES=V           capacity a target must fit (default: the\n"
    "                             smallest device's)\n"
    "  --max-members N            at most N tasks per target (default unlimited)\n"
    "  --explain                  list each target's members and why it stopped\n"
    "                             growing (stderr), and add notes to the plan\n"
    "  -q, --quiet                no summary except the key=value line\n"
    CLI_ONNX_USAGE;

typedef struct {
    const char *job_path, *out_path, *devices_path;
    jf_combine_params params;
    cli_onnx_args onnx;
    int quiet;
} plan_args;

/* One option at argv[*i]; returns 0, or an exit status for a usage error. */
static int parse_option(plan_args *a, int argc, char **argv, int *i)
{
    const char *v = NULL, *arg = argv[*i];
    int missing = 0, rc = cli_combine_option(&a->params, argc, argv, i);
    if (rc < 0)
        rc = cli_onnx_option(&a->onnx, argc, argv, i);
    if (rc >= 0)
        return rc;
    if (cli_opt_value(argc, argv, i, "-o", &v, &missing) ||
        cli_opt_value(argc, argv, i, "--output", &v, &missing))
        a->out_path = v;
    else if (cli_opt_value(argc, argv, i, "--devices", &v, &missing))
        a->devices_path = v;
    else if (strcmp(arg, "--explain") == 0)
        a->params.explain = 1;
    else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)
        a->quiet = 1;
    else if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error("plan: unknown option %s (see jobfuse plan --help)", arg);
    else if (a->job_path)
        return cli_usage_error("plan: one job at a time (got %s and %s)", a->job_path, arg);
    else
        a->job_path = arg;
    if (missing)
        return cli_usage_error("%s needs a value", arg);
    return 0;
}

static int parse_args(plan_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->params = jf_combine_default_params();
    a->out_path = "-";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(plan_usage, stdout);
            exit(CLI_OK);
        }
        int st = parse_option(a, argc, argv, &i);
        if (st)
            return st;
    }
    if (!a->job_path)
        return cli_usage_error("plan: which job? (jobfuse plan JOB.json; --help tells more)");
    return 0;
}

static jf_status load_devices(const char *path, jf_devices **out)
{
    if (!path)
        return jf_devices_local(out);
    jf_status st = jf_devices_read_json(path, out);
    if (st != JF_OK)
        cli_error(CLI_BAD_INPUT, "%s", jf_devices_errmsg(*out));
    return st;
}

static void print_explain(const jf_plan *plan)
{
    const jf_job *job = jf_plan_job(plan);
    for (uint32_t g = 0; g < jf_plan_target_count(plan); g++) {
        const uint32_t *m;
        uint32_t n = jf_plan_target_members(plan, g, &m);
        fprintf(stderr, "T%u (%u member%s): ", g, n, n == 1 ? "" : "s");
        for (uint32_t k = 0; k < n; k++)
            fprintf(stderr, "%s%s", k ? " " : "", jf_job_task_id(job, m[k]));
        const char *note = jf_plan_target_note(plan, g);
        fprintf(stderr, "\n    stopped: %s\n", note ? note : "-");
    }
}

typedef struct {
    double parse_s, combine_s, write_s, cp_before, cp_after;
} plan_times;

static uint32_t largest_target(const jf_plan *plan, uint32_t *which)
{
    uint32_t best = 0;
    *which = 0;
    for (uint32_t g = 0; g < jf_plan_target_count(plan); g++) {
        const uint32_t *m;
        uint32_t n = jf_plan_target_members(plan, g, &m);
        if (n > best) {
            best = n;
            *which = g;
        }
    }
    return best;
}

static void print_summary(const plan_args *a, const jf_plan *plan, const jf_combine_stats *s,
                          const plan_times *t)
{
    const jf_job *job = jf_plan_job(plan);
    unsigned long long eb = (unsigned long long)jf_job_edge_count(job);
    unsigned long long ea = (unsigned long long)jf_plan_edge_count(plan);
    if (!a->quiet) {
        uint32_t which, largest = largest_target(plan, &which);
        uint32_t nt = jf_plan_target_count(plan);
        fprintf(stderr, "jobfuse plan: %s: %u tasks, %llu edges -> %u target%s, %llu edges\n",
                a->job_path, jf_job_task_count(job), eb, nt, nt == 1 ? "" : "s", ea);
        fprintf(stderr, "  critical path (time): %.6g -> %.6g\n", t->cp_before, t->cp_after);
        fprintf(stderr, "  largest target: T%u with %u members\n", which, largest);
        fprintf(stderr, "  candidates: %u in the first group, %u in the second; %u merges in %u pass%s\n",
                s->first_group, s->second_group, s->merges, s->passes, s->passes == 1 ? "" : "es");
        fprintf(stderr, "  merges refused at the fixpoint:");
        for (int r = JF_REFUSED_DEGREE; r < JF_REFUSED_COUNT; r++)
            fprintf(stderr, " %s %llu", jf_refusal_key((jf_refusal)r),
                    (unsigned long long)s->refused[r]);
        fputc('\n', stderr);
    }
    fprintf(stderr,
            "tasks_before=%u tasks_after=%u edges_before=%llu edges_after=%llu "
            "critical_path_before=%.17g critical_path_after=%.17g parse_s=%.6f combine_s=%.6f "
            "write_s=%.6f\n",
            jf_job_task_count(job), jf_plan_target_count(plan), eb, ea, t->cp_before, t->cp_after,
            t->parse_s, t->combine_s, t->write_s);
}

static int record_source(jf_plan *plan, const plan_args *a)
{
    char sha[65], *abs = realpath(a->job_path, NULL);
    if (jf_sha256_file(a->job_path, sha) != JF_OK) {
        free(abs);
        return cli_error(CLI_FAIL, "%s: cannot read it to record its sha256", a->job_path);
    }
    char opts[2048];
    cli_combine_options_json(&a->params, opts, sizeof opts);
    jf_status st = jf_plan_set_source(plan, abs ? abs : a->job_path, sha);
    free(abs);
    if (st == JF_OK)
        st = jf_plan_set_options_json(plan, opts);
    if (st == JF_OK && cli_is_onnx(a->job_path)) {
        char how[4096];
        cli_onnx_source_json(&a->onnx, a->onnx.device_gflops, how, sizeof how);
        st = jf_plan_set_source_onnx(plan, how);
    }
    return st == JF_OK ? 0 : cli_error(CLI_FAIL, "out of memory");
}

static int combine_and_write(const plan_args *a, jf_job *job, jf_devices *devs, plan_times *t)
{
    jf_combine_params p = a->params;
    p.devices = devs;
    jf_combine_stats stats;
    jf_plan *plan = NULL;
    double t0 = cli_now();
    jf_status st = jf_combine(job, &p, &plan, &stats);
    t->combine_s = cli_now() - t0;
    if (st != JF_OK)
        return cli_error(cli_status_exit(st), "%s: %s", a->job_path, jf_job_errmsg(job));
    st = jf_plan_place(plan, devs);
    int rc = st == JF_OK ? 0
                         : cli_error(cli_status_exit(st), "%s: %s", a->job_path, jf_plan_errmsg(plan));
    t->cp_before = jf_job_critical_path(job);
    t->cp_after = jf_plan_critical_path(plan);
    t0 = cli_now();
    if (rc == 0)
        rc = record_source(plan, a);
    if (rc == 0 && jf_plan_write_json(plan, devs, a->out_path) != JF_OK)
        rc = cli_error(CLI_FAIL, "%s", jf_plan_errmsg(plan));
    t->write_s = cli_now() - t0;
    if (rc == 0 && p.explain)
        print_explain(plan);
    if (rc == 0)
        print_summary(a, plan, &stats, t);
    jf_plan_destroy(plan);
    return rc;
}

int cli_plan(int argc, char **argv)
{
    plan_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc;
    plan_times t = {0};
    double t0 = cli_now();
    jf_job *job = NULL;
    jf_onnx_model *model = NULL;
    if (cli_is_onnx(a.job_path)) {
        rc = cli_read_onnx(a.job_path, &a.onnx, &model, &job);
        if (rc < 0 && !a.quiet)
            cli_print_onnx_summary(a.job_path, model, job);
        if (rc < 0) /* the plan records the speed used, measured or given */
            a.onnx.device_gflops = jf_onnx_get_stats(model)->device_gflops;
    } else {
        jf_status st = jf_job_read_json(a.job_path, &job);
        rc = st == JF_OK ? -1 : cli_error(cli_input_exit(st), "%s", jf_job_errmsg(job));
    }
    t.parse_s = cli_now() - t0;
    jf_devices *devs = NULL;
    if (rc >= 0)
        ; /* reported */
    else if (load_devices(a.devices_path, &devs) != JF_OK)
        rc = CLI_BAD_INPUT;
    else
        rc = combine_and_write(&a, job, devs, &t);
    jf_devices_destroy(devs);
    jf_job_destroy(job);
    jf_onnx_destroy(model);
    cli_onnx_args_free(&a.onnx);
    return rc;
}
