/* jobfuse run: combine a job for running (or take a plan) and run it on the
 * local worker pool; ONNX models go on to cmd_run_onnx.c. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_cli.h"

static const char run_usage[] =
    "usage: jobfuse run JOB.json|PLAN.json|MODEL.onnx [options]\n"
    "\n"
    "Run a job on this machine's worker threads. A job is combined first: with\n"
    "no combine option the limits are picked for running (targets well above\n"
    "the measured dispatch cost, critical path grown by at most 5%, enough\n"
    "targets for every thread); with any combine option exactly as `plan` does.\n"
    "A plan runs as it is. A model runs its operators' kernels on its inputs\n"
    "(below). The last line on stderr is key=value pairs.\n"
    "\n"
    "  --threads N                worker threads (default: one per core)\n"
    "  --no-combine               run every task as its own target\n"
    "  --devices D.json           device pool whose capacities combining honours\n"
    "  --degree-threshold K, --degree-mode M, --demand-threshold RES=V,\n"
    "  --capacity RES=V, --max-members N\n"
    "                             combine options, as for `jobfuse plan`\n"
    "  --explain                  say how the job was combined\n"
    "  --trace FILE               Chrome trace-event JSON (open in Perfetto)\n"
    "  --stats-json FILE          the summary and per-worker busy time as JSON\n"
    "  -q, --quiet                no progress line\n"
    "\n"
    "ONNX models (MODEL.onnx):\n"
    "  --input NAME=FILE.npy      the input's values from a NumPy .npy file (any\n"
    "                             value with a '.' or '/'); its shape also fixes\n"
    "                             the model's dynamic dimensions\n"
    "  --input NAME=SHAPE         the input's shape, like x=1x3x640x640, with\n"
    "  --random-input SEED        values for inputs without a file: uniform in\n"
    "                             [-1, 1) for floats, 0..3 for integers; input i\n"
    "                             uses SEED+i, so the same seed gives the same values\n"
    "  --output-dir DIR           write each graph output as DIR/NAME.npy (characters\n"
    "                             other than letters, digits, . - _ become _)\n"
    "  --repeat N                 one warm-up run, then N timed runs; the summary\n"
    "                             adds runs=, median_ms= and min_ms=\n"
    "  --no-split                 never split a big operator across workers\n"
    "  --no-fuse                  never fuse element-wise operators into producers\n"
    "  --device-gflops G          device speed for the operators' time demands\n"
    "  --explain                  also: the model, which operators were split or\n"
    "                             fused, and the targets\n"
    "  The summary also has arena_bytes= (activation memory, planned before the\n"
    "  run), weight_bytes=, kernel_ms= (the workers' busy time in a run, summed\n"
    "  over workers: operators' kernels and releasing their successors) and\n"
    "  sched_ms= (threads x run time - kernel_ms: finding work, waiting on\n"
    "  dependencies, idle), each the median over the timed runs.\n"
    "  An operator without a kernel, a missing input or a bad .npy: exit 2 before\n"
    "  anything runs.\n"
    "\n"
    "examples:\n"
    "  jobfuse run job.json --threads 4 --trace trace.json\n"
    "  jobfuse run det.onnx --input x=x.npy --output-dir out --repeat 10\n"
    "  jobfuse run det.onnx --input x=1x3x640x640 --random-input 1 --explain\n"
    "\n"
    "Exit status: 0 done, 1 a task failed, 2 bad input, 130 interrupted.\n";

static int parse_threads(const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > 4096)
        return cli_usage_error("--threads %s: expected a whole number from 1 to 4096", v);
    *out = (int)n;
    return 0;
}

static int parse_option(run_args *a, int argc, char **argv, int *i)
{
    const char *v = NULL, *arg = argv[*i];
    int missing = 0, rc = cli_combine_option(&a->params, argc, argv, i);
    if (rc >= 0) {
        a->user_limits = 1;
        return rc;
    }
    rc = cli_run_onnx_option(&a->onnx, argc, argv, i);
    if (rc >= 0)
        return rc;
    if (cli_opt_value(argc, argv, i, "--threads", &v, &missing)) {
        if (v && parse_threads(v, &a->threads))
            return CLI_BAD_INPUT;
    } else if (cli_opt_value(argc, argv, i, "--devices", &v, &missing))
        a->devices_path = v;
    else if (cli_opt_value(argc, argv, i, "--trace", &v, &missing))
        a->trace_path = v;
    else if (cli_opt_value(argc, argv, i, "--stats-json", &v, &missing))
        a->stats_path = v;
    else if (strcmp(arg, "--no-combine") == 0)
        a->no_combine = 1;
    else if (strcmp(arg, "--explain") == 0)
        a->explain = 1;
    else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)
        a->quiet = 1;
    else if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error("run: unknown option %s (see jobfuse run --help)", arg);
    else if (a->input)
        return cli_usage_error("run: one job at a time (got %s and %s)", a->input, arg);
    else
        a->input = arg;
    if (missing)
        return cli_usage_error("%s needs a value", arg);
    return 0;
}

static int parse_args(run_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->params = jf_combine_default_params();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(run_usage, stdout);
            exit(CLI_OK);
        }
        int st = parse_option(a, argc, argv, &i);
        if (st)
            return st;
    }
    if (!a->input)
        return cli_usage_error("run: which job? (jobfuse run JOB.json; --help tells more)");
    if (a->onnx.first && !cli_is_onnx(a->input))
        return cli_usage_error("%s is for ONNX models (MODEL.onnx), not %s", a->onnx.first,
                               a->input);
    return 0;
}

/* ---- progress and signals ---- */

volatile sig_atomic_t cli_run_stop;

static void on_sigint(int sig)
{
    (void)sig;
    cli_run_stop = 1;
}

void cli_run_sigint_catch(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, old);
}

void cli_run_sigint_restore(const struct sigaction *old)
{
    sigaction(SIGINT, old, NULL);
}

/* Repeated runs (a model's --repeat) count as one piece of work for the ETA. */
static void show_repeated(cli_progress *ps, uint64_t done, uint64_t total, double elapsed)
{
    double part = ((double)ps->run + (double)done / (double)total) / ps->runs;
    fprintf(stderr, "\r  run %d/%d  %llu/%llu targets  ETA %.1f s   ", ps->run + 1, ps->runs,
            (unsigned long long)done, (unsigned long long)total, elapsed * (1 - part) / part);
}

static void show_progress(void *user, uint64_t done, uint64_t total)
{
    cli_progress *ps = user;
    double elapsed = cli_now() - ps->start;
    if (elapsed < 1.0 || done == 0)
        return; /* short runs stay quiet */
    ps->shown = 1;
    if (ps->runs > 1) {
        show_repeated(ps, done, total, elapsed);
        return;
    }
    double rate = (double)done / elapsed, eta = (double)(total - done) / rate;
    fprintf(stderr, "\r  %llu/%llu targets  %.3g/s  ETA %.1f s   ",
            (unsigned long long)done, (unsigned long long)total, rate, eta);
}

void cli_run_progress_attach(const run_args *a, jf_run_params *rp, cli_progress *ps)
{
    ps->start = cli_now();
    ps->shown = ps->run = ps->runs = 0;
    if (!a->quiet && isatty(STDERR_FILENO)) {
        rp->progress = show_progress;
        rp->progress_user = ps;
    }
}

void cli_run_progress_clear(const cli_progress *ps)
{
    if (ps->shown)
        fputs("\r\033[K", stderr);
}

jf_run_params cli_run_begin(const run_args *a, struct sigaction *old, cli_progress *ps)
{
    cli_run_sigint_catch(old);
    jf_run_params rp = jf_run_default_params();
    rp.stop = &cli_run_stop;
    rp.trace = a->trace_path != NULL;
    cli_run_progress_attach(a, &rp, ps);
    return rp;
}

void cli_run_end(const struct sigaction *old, const cli_progress *ps)
{
    cli_run_sigint_restore(old);
    cli_run_progress_clear(ps);
}

/* ---- preparing the plan ---- */

typedef struct {
    jf_job *job;
    jf_plan *plan;
    jf_devices *devs;
    double parse_s, combine_s, dispatch_ns;
    jf_run_combine_report report;
    int auto_combined;
} prepared;

static int load_devices(const run_args *a, jf_devices **out)
{
    jf_status st = a->devices_path ? jf_devices_read_json(a->devices_path, out)
                                   : jf_devices_local(out);
    if (st != JF_OK)
        return cli_error(cli_input_exit(st), "%s", jf_devices_errmsg(*out));
    return -1;
}

static int combine_job(const run_args *a, prepared *pr, jf_executor *ex)
{
    jf_status st;
    double t0 = cli_now();
    if (a->no_combine) {
        st = jf_plan_identity(pr->job, &pr->plan);
    } else if (a->user_limits) {
        jf_combine_params p = a->params;
        p.devices = pr->devs;
        st = jf_combine(pr->job, &p, &pr->plan, NULL);
    } else {
        jf_run_combine_params rp = jf_run_combine_default_params();
        rp.threads = jf_executor_threads(ex);
        rp.dispatch_ns = pr->dispatch_ns = jf_measure_dispatch_ns(ex);
        rp.devices = pr->devs;
        pr->auto_combined = 1;
        st = jf_combine_for_run(pr->job, &rp, &pr->plan, &pr->report);
    }
    pr->combine_s = cli_now() - t0;
    if (st != JF_OK)
        return cli_error(cli_status_exit(st), "%s: %s", a->input, jf_job_errmsg(pr->job));
    return -1;
}

static int prepare(const run_args *a, prepared *pr, jf_executor *ex)
{
    int is_plan = 0, rc = cli_peek_is_plan(a->input, &is_plan);
    if (rc >= 0)
        return rc;
    double t0 = cli_now();
    rc = is_plan ? cli_read_plan(a->input, &pr->job, &pr->plan) : cli_read_job(a->input, &pr->job);
    pr->parse_s = cli_now() - t0;
    if (rc >= 0)
        return rc;
    if (is_plan && (a->no_combine || a->user_limits))
        return cli_usage_error("%s is a plan: it runs as it is, without combine options",
                               a->input);
    rc = load_devices(a, &pr->devs);
    if (rc < 0 && !is_plan)
        rc = combine_job(a, pr, ex);
    return rc;
}

/* ---- reporting ---- */

static void print_explain(const prepared *pr)
{
    const jf_job *job = pr->job;
    uint32_t nt = jf_plan_target_count(pr->plan);
    fprintf(stderr, "jobfuse run: %u tasks -> %u target%s", jf_job_task_count(job), nt,
            nt == 1 ? "" : "s");
    if (!pr->auto_combined) {
        fputc('\n', stderr);
        return;
    }
    const jf_run_combine_report *r = &pr->report;
    fprintf(stderr, " by %s\n", r->choice[0] ? r->choice : "no combining");
    char cp[96] = "critical path not computed";
    if (r->cp_known)
        snprintf(cp, sizeof cp, "critical path %.6g -> %.6g us", r->est_cp_before_us,
                 r->est_cp_after_us);
    fprintf(stderr, "  dispatch cost %.1f ns; estimated work %.6g us, %s;"
                    " %u configuration(s) tried; %u target(s) are batches of independent siblings\n",
            pr->dispatch_ns, r->est_work_us, cp, r->tried, r->batched);
}

typedef struct {
    double wall_s;
    uint64_t tasks;
} totals;

static void summary_line(FILE *f, const jf_run_stats *rs, const totals *t)
{
    double rate = rs->run_s > 0 ? (double)t->tasks / rs->run_s : 0;
    fprintf(f, "tasks=%llu targets=%llu threads=%d wall_s=%.6f run_s=%.6f tasks_per_s=%.6g\n",
            (unsigned long long)t->tasks, (unsigned long long)rs->targets, rs->threads, t->wall_s,
            rs->run_s, rate);
}

static int write_stats_json(const char *path, const prepared *pr, const jf_run_stats *rs,
                            const totals *t)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        return cli_error(CLI_FAIL, "%s: cannot write", path);
    fprintf(f, "{\"tasks\": %llu, \"targets\": %llu, \"threads\": %d, \"wall_s\": %.9f, "
               "\"run_s\": %.9f, \"tasks_per_s\": %.9g, \"parse_s\": %.9f, \"combine_s\": %.9f,\n"
               " \"workers\": [",
            (unsigned long long)t->tasks, (unsigned long long)rs->targets, rs->threads, t->wall_s,
            rs->run_s, rs->run_s > 0 ? (double)t->tasks / rs->run_s : 0, pr->parse_s,
            pr->combine_s);
    for (int w = 0; w < rs->threads; w++)
        fprintf(f, "%s{\"worker\": %d, \"busy_s\": %.9f}", w ? ", " : "", w,
                rs->worker_busy_s ? rs->worker_busy_s[w] : 0.0);
    fputs("]}\n", f);
    int ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    if (!ok) {
        unlink(tmp);
        return cli_error(CLI_FAIL, "%s: cannot write", path);
    }
    return 0;
}

static int report_failure(jf_status st, jf_executor *ex)
{
    if (st == JF_EINTR)
        return cli_error(CLI_INTERRUPTED, "interrupted: running targets finished, nothing new started");
    return cli_error(st == JF_ETASK ? CLI_FAIL : cli_status_exit(st), "%s",
                     *jf_executor_errmsg(ex) ? jf_executor_errmsg(ex) : jf_status_str(st));
}

static int execute(const run_args *a, prepared *pr, jf_executor *ex, double start)
{
    struct sigaction old;
    cli_progress ps;
    jf_run_params rp = cli_run_begin(a, &old, &ps);
    jf_run_stats rs;
    memset(&rs, 0, sizeof rs);
    jf_status st = jf_run(ex, pr->plan, &rp, &rs);
    cli_run_end(&old, &ps);
    totals t = {cli_now() - start, rs.tasks};
    int rc = st == JF_OK ? 0 : report_failure(st, ex);
    if (rc == 0 && a->trace_path && jf_trace_write_json(pr->plan, &rs, a->trace_path) != JF_OK)
        rc = cli_error(CLI_FAIL, "%s: cannot write the trace", a->trace_path);
    if (rc == 0 && a->stats_path)
        rc = write_stats_json(a->stats_path, pr, &rs, &t);
    if (rc == 0)
        summary_line(stderr, &rs, &t);
    jf_run_stats_free(&rs);
    return rc;
}

static int run_job(const run_args *a, jf_executor *ex, double start)
{
    prepared pr;
    memset(&pr, 0, sizeof pr);
    int rc = prepare(a, &pr, ex);
    if (rc < 0 && a->explain)
        print_explain(&pr);
    if (rc < 0)
        rc = execute(a, &pr, ex, start);
    jf_plan_destroy(pr.plan);
    jf_devices_destroy(pr.devs);
    jf_job_destroy(pr.job);
    return rc;
}

int cli_run(int argc, char **argv)
{
    double start = cli_now();
    run_args a;
    int rc = parse_args(&a, argc, argv);
    jf_executor *ex = NULL;
    if (rc == 0 && jf_executor_local_create(a.threads, &ex) != JF_OK)
        rc = cli_error(CLI_FAIL, "cannot start %d worker threads", a.threads);
    if (rc == 0)
        rc = cli_is_onnx(a.input) ? cli_run_onnx(&a, ex, start) : run_job(&a, ex, start);
    jf_executor_destroy(ex);
    cli_run_onnx_args_free(&a.onnx);
    return rc;
}
