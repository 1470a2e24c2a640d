/* jobfuse run MODEL.onnx: load a model with its inputs' shapes, make a
 * session (kernels, planned memory, a combined plan), fill the inputs from
 * .npy files or fixed random values, run it (a warm-up and N timed runs
 * with --repeat), write the outputs as .npy and report.
 *
 * Everything that can be wrong with the input — an option, a .npy file,
 * the model, an operator without a kernel, an input without values, an
 * output folder that cannot be made — is found before the first run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_cli.h"

/* ---- options ---- */

/* NAME=VALUE names a file when VALUE could not be a shape: shapes are
 * digits and x, files have a '.' or a '/' somewhere (x.npy, data/x). */
static int names_file(const char *arg)
{
    const char *eq = strrchr(arg, '=');
    return eq && strpbrk(eq + 1, "./") != NULL;
}

/* --input NAME=FILE.npy; NAME=SHAPE goes to the import options. */
static int add_npy_input(run_onnx_args *o, const char *value)
{
    const char *eq = strrchr(value, '=');
    if (!eq || eq == value)
        return cli_usage_error("--input needs NAME=FILE.npy or NAME=SHAPE (got \"%s\")", value);
    if (o->n_npy == CLI_MAX_INPUTS)
        return cli_usage_error("at most %d --input options", CLI_MAX_INPUTS);
    size_t len = (size_t)(eq - value);
    char *name = malloc(len + 1);
    if (!name)
        return cli_error(CLI_FAIL, "out of memory");
    memcpy(name, value, len);
    name[len] = '\0';
    o->npy_name[o->n_npy] = name;
    o->npy_path[o->n_npy++] = eq + 1;
    return 0;
}

static int parse_count(const char *opt, const char *v, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > max)
        return cli_usage_error("%s %s: expected a whole number from 0 to %ld", opt, v, max);
    *out = n;
    return 0;
}

static int parse_seed(run_onnx_args *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-')
        return cli_usage_error("--random-input %s: expected a whole number (the seed)", v);
    o->seed = n;
    o->random = 1;
    return 0;
}

static int valued_option(run_onnx_args *o, const char *arg, const char *v)
{
    long n = 0;
    if (strcmp(arg, "--random-input") == 0)
        return parse_seed(o, v);
    if (strcmp(arg, "--output-dir") == 0) {
        o->output_dir = v;
        return 0;
    }
    if (parse_count("--repeat", v, 1000000, &n))
        return CLI_BAD_INPUT;
    o->repeat = (int)n;
    return 0;
}

int cli_run_onnx_option(run_onnx_args *o, int argc, char **argv, int *i)
{
    static const char *const valued[] = {"--random-input", "--output-dir", "--repeat"};
    const char *arg = argv[*i], *v = NULL;
    int missing = 0;
    if (strcmp(arg, "--input") == 0 && *i + 1 < argc && names_file(argv[*i + 1])) {
        o->first = o->first ? o->first : "--input";
        return add_npy_input(o, argv[++*i]);
    }
    int rc = cli_onnx_option(&o->shapes, argc, argv, i);
    if (rc >= 0) {
        o->first = o->first ? o->first : arg;
        return rc;
    }
    if (strcmp(arg, "--no-split") == 0 || strcmp(arg, "--no-fuse") == 0) {
        *(arg[5] == 's' ? &o->no_split : &o->no_fuse) = 1;
        o->first = o->first ? o->first : arg;
        return 0;
    }
    for (int k = 0; k < 3; k++)
        if (cli_opt_value(argc, argv, i, valued[k], &v, &missing)) {
            o->first = o->first ? o->first : valued[k];
            return missing ? cli_usage_error("%s needs a value", arg) : valued_option(o, arg, v);
        }
    return -1;
}

void cli_run_onnx_args_free(run_onnx_args *o)
{
    cli_onnx_args_free(&o->shapes);
    for (int i = 0; i < o->n_npy; i++)
        free(o->npy_name[i]);
    o->n_npy = 0;
}

/* ---- inputs ---- */

typedef struct {
    const run_args *a;
    cli_onnx_args shapes; /* the options' shapes and the files' */
    jf_onnx_tensor npy[CLI_MAX_INPUTS];
    jf_onnx_model *model;
    jf_job *job;
    jf_devices *devs;
    jf_onnx_session *s;
} model_run;

/* Each input once: a file and a shape for one name, or two files, are a
 * mistake to point out rather than to settle silently. */
static int check_input_names(const run_onnx_args *o)
{
    if (o->n_npy + o->shapes.n_inputs > CLI_MAX_INPUTS)
        return cli_usage_error("at most %d --input options", CLI_MAX_INPUTS);
    for (int i = 0; i < o->n_npy; i++) {
        for (int k = 0; k < o->shapes.n_inputs; k++)
            if (strcmp(o->shapes.inputs[k].name, o->npy_name[i]) == 0)
                return cli_usage_error("--input %s is given both a shape and %s", o->npy_name[i],
                                       o->npy_path[i]);
        for (int k = 0; k < i; k++)
            if (strcmp(o->npy_name[k], o->npy_name[i]) == 0)
                return cli_usage_error("--input %s is given twice (%s and %s)", o->npy_name[i],
                                       o->npy_path[k], o->npy_path[i]);
    }
    return -1;
}

/* Read every .npy file; its shape joins the shapes the model loads with. */
static int read_npy_inputs(model_run *r)
{
    const run_onnx_args *o = &r->a->onnx;
    int rc = check_input_names(o);
    if (rc >= 0)
        return rc;
    r->shapes = o->shapes; /* names stay owned by the options */
    for (int i = 0; i < o->n_npy; i++) {
        char err[512];
        jf_status st = jf_onnx_npy_read(o->npy_path[i], &r->npy[i], err, sizeof err);
        if (st != JF_OK)
            return cli_error(cli_input_exit(st), "%s", err);
        jf_onnx_input *in = &r->shapes.inputs[i];
        in->name = o->npy_name[i];
        in->rank = r->npy[i].rank;
        memcpy(in->dims, r->npy[i].dims, sizeof in->dims);
    }
    memcpy(r->shapes.inputs + o->n_npy, o->shapes.inputs,
           (size_t)o->shapes.n_inputs * sizeof *o->shapes.inputs);
    r->shapes.n_inputs = o->n_npy + o->shapes.n_inputs;
    return -1;
}

static const char *dtype_name(int32_t dtype)
{
    switch (dtype) {
    case 1: return "float32";
    case 2: return "uint8";
    case 3: return "int8";
    case 6: return "int32";
    case 7: return "int64";
    case 9: return "bool";
    case 11: return "float64";
    default: return "another dtype";
    }
}

static int same_shape(const jf_onnx_tensor *a, const jf_onnx_tensor *b)
{
    return a->rank == b->rank && memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]) == 0;
}

static int fill_from_npy(const jf_onnx_tensor *in, const jf_onnx_tensor *x, const char *path)
{
    if (x->dtype != in->dtype)
        return cli_error(CLI_BAD_INPUT, "%s: %s data, but the model's input '%s' is %s", path,
                         dtype_name(x->dtype), in->name, dtype_name(in->dtype));
    if (!same_shape(in, x) || x->bytes != in->bytes)
        return cli_error(CLI_BAD_INPUT, "%s: the shape does not fit the model's input '%s'", path,
                         in->name);
    memcpy(in->data, x->data, (size_t)x->bytes);
    return -1;
}

/* splitmix64: the same numbers as bench/onnx_vs_ort/ort.js's inputs. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Floats uniform in [-1, 1) from 24 bits; integers 0..3 (they often index
 * or count, so small values keep a model on its paths); bools 0/1. */
static int fill_random(const jf_onnx_tensor *in, uint64_t seed)
{
    int size = in->dtype == 1 ? 4 : in->dtype == 7 ? 8 : in->dtype == 6 ? 4 : 1;
    if (in->dtype != 1 && in->dtype != 2 && in->dtype != 3 && in->dtype != 6 && in->dtype != 7 &&
        in->dtype != 9)
        return cli_error(CLI_BAD_INPUT,
                         "--random-input: the input '%s' is %s, which has no "
                         "random values; give --input %s=FILE.npy",
                         in->name, dtype_name(in->dtype), in->name);
    for (uint64_t i = 0, n = in->bytes / (uint64_t)size; i < n; i++) {
        uint64_t z = next_random(&seed);
        if (in->dtype == 1)
            ((float *)in->data)[i] = (float)(z >> 40) / 8388608.0f - 1.0f;
        else if (in->dtype == 7)
            ((int64_t *)in->data)[i] = (int64_t)((z >> 40) & 3);
        else if (in->dtype == 6)
            ((int32_t *)in->data)[i] = (int32_t)((z >> 40) & 3);
        else
            ((uint8_t *)in->data)[i] = (uint8_t)((z >> 40) & (in->dtype == 9 ? 1 : 3));
    }
    return -1;
}

static int fill_inputs(model_run *r)
{
    const run_onnx_args *o = &r->a->onnx;
    for (size_t i = 0; i < jf_onnx_session_input_count(r->s); i++) {
        jf_onnx_tensor in;
        if (jf_onnx_session_input(r->s, i, &in) != JF_OK)
            return cli_error(CLI_FAIL, "%s", jf_onnx_session_errmsg(r->s));
        int k = 0, rc = -1;
        while (k < o->n_npy && strcmp(o->npy_name[k], in.name) != 0)
            k++;
        if (k < o->n_npy)
            rc = fill_from_npy(&in, &r->npy[k], o->npy_path[k]);
        else if (o->random)
            rc = fill_random(&in, o->seed + i);
        else
            rc = cli_usage_error("%s: the input '%s' has no values: give --input %s=FILE.npy, "
                                 "or --random-input SEED",
                                 r->a->input, in.name, in.name);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

/* ---- the model and its session ---- */

static int check_output_dir(const char *dir)
{
    struct stat sb;
    if (!dir)
        return -1;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return cli_usage_error("--output-dir %s: exists and is not a folder", dir);
    if (stat(dir, &sb) != 0 && mkdir(dir, 0777) != 0)
        return cli_usage_error("--output-dir %s: cannot make it: %s", dir, strerror(errno));
    if (access(dir, W_OK) != 0)
        return cli_usage_error("--output-dir %s: cannot write there: %s", dir, strerror(errno));
    return -1;
}

static int load_devices(model_run *r)
{
    if (!r->a->devices_path)
        return -1;
    jf_status st = jf_devices_read_json(r->a->devices_path, &r->devs);
    if (st != JF_OK)
        return cli_error(cli_input_exit(st), "%s", jf_devices_errmsg(r->devs));
    return -1;
}

static int create_session(model_run *r, jf_executor *ex, jf_combine_params *cp)
{
    const run_args *a = r->a;
    jf_onnx_session_options so = {0};
    so.no_combine = a->no_combine;
    so.no_split = a->onnx.no_split;
    so.no_fuse = a->onnx.no_fuse;
    so.explain = a->explain;
    if (a->user_limits || r->devs) {
        *cp = a->params;
        cp->devices = r->devs;
        so.combine = cp;
    }
    jf_status st = jf_onnx_session_create(r->model, &so, ex, &r->s);
    if (st != JF_OK)
        return cli_error(cli_status_exit(st), "%s: %s", a->input,
                         r->s ? jf_onnx_session_errmsg(r->s) : jf_status_str(st));
    return -1;
}

/* Every check and all loading; -1 when the model is ready to run. The
 * output folder is made last, so that bad input leaves none behind. */
static int prepare(model_run *r, jf_executor *ex, jf_combine_params *cp)
{
    int rc = read_npy_inputs(r);
    if (rc < 0)
        rc = load_devices(r);
    if (rc < 0)
        rc = cli_read_onnx(r->a->input, &r->shapes, &r->model, &r->job);
    if (rc < 0)
        rc = create_session(r, ex, cp);
    if (rc < 0)
        rc = fill_inputs(r);
    if (rc < 0)
        rc = check_output_dir(r->a->onnx.output_dir);
    return rc;
}

static void print_explain(const model_run *r)
{
    const jf_plan *plan = jf_onnx_session_plan(r->s);
    cli_print_onnx_summary(r->a->input, r->model, r->job);
    const char *text = jf_onnx_session_explain(r->s);
    if (text && *text)
        fprintf(stderr, "%s%s", text, text[strlen(text) - 1] == '\n' ? "" : "\n");
    if (plan) {
        uint32_t nt = jf_plan_target_count(plan);
        fprintf(stderr, "jobfuse run: %u tasks (operators and slices) -> %u target%s\n",
                jf_job_task_count(jf_plan_job(plan)), nt, nt == 1 ? "" : "s");
    }
}

/* ---- running ---- */

#define JF_MAX0(x) ((x) > 0 ? (x) : 0)

/* Per timed run: wall time, the workers' busy time (kernels) and the rest
 * of threads x run time (scheduling, waiting, idle); medians are reported,
 * since on a shared machine one slow run moves a mean far. */
typedef struct {
    double *ms, *kernel_ms, *sched_ms;
    int n_ms;
    double *busy_s;    /* per worker, summed over the timed runs */
    jf_run_stats last; /* of the last run, for the trace and counts */
} run_totals;

static void add_run(run_totals *t, const jf_run_stats *rs, double ms)
{
    double busy = 0;
    for (int w = 0; w < rs->threads && rs->worker_busy_s; w++) {
        t->busy_s[w] += rs->worker_busy_s[w];
        busy += rs->worker_busy_s[w];
    }
    t->kernel_ms[t->n_ms] = busy * 1e3;
    t->sched_ms[t->n_ms] = JF_MAX0(rs->run_s * rs->threads - busy) * 1e3;
    t->ms[t->n_ms++] = ms;
}

static int run_failed(const model_run *r, jf_status st)
{
    if (st == JF_EINTR)
        return cli_error(CLI_INTERRUPTED, "interrupted: running targets finished, nothing new "
                                          "started");
    return cli_error(st == JF_ETASK ? CLI_FAIL : cli_status_exit(st), "%s: %s", r->a->input,
                     *jf_onnx_session_errmsg(r->s) ? jf_onnx_session_errmsg(r->s)
                                                   : jf_status_str(st));
}

/* One warm-up run when timing (it is not counted), then the timed ones. */
static int run_all(model_run *r, run_totals *t)
{
    const run_args *a = r->a;
    int runs = a->onnx.repeat > 0 ? a->onnx.repeat + 1 : 1;
    struct sigaction old;
    cli_progress ps;
    jf_run_params rp = cli_run_begin(a, &old, &ps);
    ps.runs = runs;
    jf_status st = JF_OK;
    for (int i = 0; i < runs && st == JF_OK; i++) {
        ps.run = i;
        jf_run_stats_free(&t->last);
        memset(&t->last, 0, sizeof t->last);
        double t0 = cli_now();
        st = cli_run_stop ? JF_EINTR : jf_onnx_session_run(r->s, &rp, &t->last);
        if (st == JF_OK && (runs == 1 || i > 0))
            add_run(t, &t->last, (cli_now() - t0) * 1e3);
    }
    cli_run_end(&old, &ps);
    return st == JF_OK ? -1 : run_failed(r, st);
}

static int file_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* Output names as file names: nothing but letters, digits, '.', '-' and
 * '_', no leading '.' (no hidden files, no ".."), and a suffix when two
 * would clash. */
static void output_file_name(const model_run *r, size_t i, char *buf, size_t size)
{
    jf_onnx_tensor y;
    jf_onnx_session_output(r->s, i, &y);
    size_t n = 0;
    for (const char *p = y.name ? y.name : ""; *p && n + 1 < size; p++, n++)
        buf[n] = file_name_char(*p) && !(n == 0 && *p == '.') ? *p : '_';
    buf[n] = '\0';
    if (n == 0)
        snprintf(buf, size, "_");
    for (size_t k = 0; k < i; k++) {
        char other[256];
        output_file_name(r, k, other, sizeof other);
        if (strcmp(other, buf) == 0) {
            snprintf(buf + strlen(buf), size - strlen(buf), "_%zu", i);
            break;
        }
    }
}

static int write_outputs(const model_run *r)
{
    const char *dir = r->a->onnx.output_dir;
    for (size_t i = 0; dir && i < jf_onnx_session_output_count(r->s); i++) {
        char name[256], path[4096], err[512];
        jf_onnx_tensor y;
        if (jf_onnx_session_output(r->s, i, &y) != JF_OK)
            return cli_error(CLI_FAIL, "%s", jf_onnx_session_errmsg(r->s));
        output_file_name(r, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s.npy", dir, name);
        if (jf_onnx_npy_write(path, &y, err, sizeof err) != JF_OK)
            return cli_error(CLI_FAIL, "%s", err);
    }
    return -1;
}

/* ---- reporting ---- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Sorts xs in place; the median of n > 0 values. */
static double median_of(double *xs, int n)
{
    qsort(xs, (size_t)n, sizeof *xs, cmp_double);
    return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

typedef struct {
    double median_ms, min_ms, kernel_ms, sched_ms, wall_s;
} figures;

/* Medians over the timed runs (run_totals says why). */
static figures compute_figures(run_totals *t, double wall_s)
{
    figures f = {0, 0, 0, 0, wall_s};
    double *sorted = malloc((size_t)t->n_ms * sizeof *sorted);
    if (sorted && t->n_ms > 0) {
        memcpy(sorted, t->ms, (size_t)t->n_ms * sizeof *sorted);
        f.median_ms = median_of(sorted, t->n_ms);
        f.min_ms = sorted[0];
        f.kernel_ms = median_of(t->kernel_ms, t->n_ms);
        f.sched_ms = median_of(t->sched_ms, t->n_ms);
    }
    free(sorted);
    return f;
}

static void summary_line(const model_run *r, const run_totals *t, const figures *f)
{
    const jf_run_stats *rs = &t->last;
    fprintf(stderr,
            "tasks=%llu targets=%llu threads=%d wall_s=%.6f run_s=%.6f tasks_per_s=%.6g "
            "arena_bytes=%llu weight_bytes=%llu kernel_ms=%.3f sched_ms=%.3f",
            (unsigned long long)rs->tasks, (unsigned long long)rs->targets, rs->threads, f->wall_s,
            rs->run_s, rs->run_s > 0 ? (double)rs->tasks / rs->run_s : 0,
            (unsigned long long)jf_onnx_session_arena_bytes(r->s),
            (unsigned long long)jf_onnx_session_weight_bytes(r->s), f->kernel_ms, f->sched_ms);
    if (r->a->onnx.repeat > 0)
        fprintf(stderr, " runs=%d median_ms=%.3f min_ms=%.3f", t->n_ms, f->median_ms, f->min_ms);
    fputc('\n', stderr);
}

static void put_json_string(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            putc(*s, f);
    }
    putc('"', f);
}

static void stats_json_body(FILE *f, const model_run *r, const run_totals *t, const figures *fg)
{
    const jf_run_stats *rs = &t->last;
    fputs("{\"model\": ", f);
    put_json_string(f, r->a->input);
    fprintf(f,
            ", \"tasks\": %llu, \"targets\": %llu, \"threads\": %d, "
            "\"wall_s\": %.9f, \"run_s\": %.9f, \"arena_bytes\": %llu, \"weight_bytes\": %llu,\n"
            " \"runs\": %d, \"median_ms\": %.6f, \"min_ms\": %.6f, \"kernel_ms\": %.6f, "
            "\"sched_ms\": %.6f,\n \"runs_ms\": [",
            (unsigned long long)rs->tasks, (unsigned long long)rs->targets, rs->threads, fg->wall_s,
            rs->run_s, (unsigned long long)jf_onnx_session_arena_bytes(r->s),
            (unsigned long long)jf_onnx_session_weight_bytes(r->s), t->n_ms, fg->median_ms,
            fg->min_ms, fg->kernel_ms, fg->sched_ms);
    for (int i = 0; i < t->n_ms; i++)
        fprintf(f, "%s%.6f", i ? ", " : "", t->ms[i]);
    fputs("],\n \"workers\": [", f);
    for (int w = 0; w < rs->threads; w++)
        fprintf(f, "%s{\"worker\": %d, \"busy_s\": %.9f}", w ? ", " : "", w,
                t->n_ms ? t->busy_s[w] / t->n_ms : 0.0);
    fputs("]}\n", f);
}

/* Written beside its place and renamed, so it is never half there. */
static int write_stats_json(const model_run *r, const run_totals *t, const figures *fg)
{
    const char *path = r->a->stats_path;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        return cli_error(CLI_FAIL, "%s: cannot write", path);
    stats_json_body(f, r, t, fg);
    int ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    if (!ok) {
        unlink(tmp);
        return cli_error(CLI_FAIL, "%s: cannot write", path);
    }
    return -1;
}

static int report(const model_run *r, run_totals *t, double start)
{
    const run_args *a = r->a;
    int rc = write_outputs(r);
    figures f = compute_figures(t, cli_now() - start);
    if (rc < 0 && a->trace_path &&
        jf_trace_write_json(jf_onnx_session_plan(r->s), &t->last, a->trace_path) != JF_OK)
        rc = cli_error(CLI_FAIL, "%s: cannot write the trace", a->trace_path);
    if (rc < 0 && a->stats_path)
        rc = write_stats_json(r, t, &f);
    if (rc < 0)
        summary_line(r, t, &f);
    return rc < 0 ? CLI_OK : rc;
}

static int run_model(model_run *r, jf_executor *ex, double start)
{
    int threads = jf_executor_threads(ex);
    int n = r->a->onnx.repeat > 0 ? r->a->onnx.repeat : 1;
    run_totals t;
    memset(&t, 0, sizeof t);
    t.ms = calloc((size_t)n, sizeof(double));
    t.kernel_ms = calloc((size_t)n, sizeof(double));
    t.sched_ms = calloc((size_t)n, sizeof(double));
    t.busy_s = calloc((size_t)threads, sizeof(double));
    int rc = t.ms && t.kernel_ms && t.sched_ms && t.busy_s ? run_all(r, &t)
                                                           : cli_error(CLI_FAIL, "out of memory");
    if (rc < 0)
        rc = report(r, &t, start);
    jf_run_stats_free(&t.last);
    free(t.ms);
    free(t.busy_s);
    free(t.kernel_ms);
    free(t.sched_ms);
    return rc;
}

int cli_run_onnx(const run_args *a, jf_executor *ex, double start)
{
    model_run r;
    memset(&r, 0, sizeof r);
    r.a = a;
    jf_combine_params cp;
    int rc = prepare(&r, ex, &cp);
    if (rc < 0 && a->explain)
        print_explain(&r);
    if (rc < 0)
        rc = run_model(&r, ex, start);
    jf_onnx_session_destroy(r.s);
    jf_job_destroy(r.job);
    jf_onnx_destroy(r.model);
    jf_devices_destroy(r.devs);
    for (int i = 0; i < a->onnx.n_npy; i++)
        jf_onnx_npy_free(&r.npy[i]);
    return rc;
}
