/* jobfuse gen: write a synthetic job (a thin layer over jobfuse/gen.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jobfuse/devices.h"
#include "jobfuse/gen.h"

static const char gen_usage[] =
    "usage: jobfuse gen SHAPE N [options] [-o JOB.json]\n"
    "\n"
    "Make a synthetic job and write it as jobfuse-job/1 (to stdout without -o).\n"
    "The same arguments always give the same job, byte for byte.\n"
    "\n"
    "shapes:\n"
    "  chain N         N tasks in a line\n"
    "  par N           N independent tasks\n"
    "  tree DEPTH      complete binary tree of 2^DEPTH-1 tasks (DEPTH 1..30); the\n"
    "                  edges run from the leaves toward the root (a reduction)\n"
    "  wavefront M     M x M grid; task (i,j) needs (i-1,j) and (i,j-1)\n"
    "  layered W       levels of width W; each task feeds --succ distinct random\n"
    "                  tasks of the next level\n"
    "  random N        N tasks and --edges distinct random edges, all forward in a\n"
    "                  random order of the tasks\n"
    "\n"
    "options:\n"
    "  --tasks N          layered: the number of tasks in all (default W*W)\n"
    "  --edges E          random: the number of edges (default 4*N, at most\n"
    "                     N*(N-1)/2)\n"
    "  --succ LO..HI      layered: successors per task, HI at most W (default 1..4,\n"
    "                     or 1..W when W < 4)\n"
    "  --seed S           seed of the random choices (default 1)\n"
    "  --memory LO[..HI]  memory demand of each task in bytes, uniform in LO..HI\n"
    "                     (default 1KiB..64KiB)\n"
    "  --time LO[..HI]    time demand of each task, uniform; in us unless it ends\n"
    "                     in ns, us, ms or s (default 1us)\n"
    "  --bytes LO[..HI]   bytes carried by each edge, uniform (default 1KiB..16KiB)\n"
    "  --work KIND        what `jobfuse run` executes for each task: noop,\n"
    "                     spin:TIME (busy wait) or sleep:TIME (default spin:1us)\n"
    "  -o FILE            write the job to FILE, atomically (default: stdout)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Counts and bytes take the suffixes KiB, MiB, GiB (binary) or k, M, G\n"
    "(decimal): --memory 1KiB..64KiB, --tasks 1M. A bare LO takes HI's unit:\n"
    "--time 1..2ms is 1ms..2ms. A summary line goes to stderr.\n"
    "\n"
    "examples:\n"
    "  jobfuse gen chain 10 -o chain.json\n"
    "  jobfuse gen layered 1000 --tasks 1M --succ 1..4 --seed 7 -o big.json\n"
    "  jobfuse gen random 1000 --edges 8000 --work sleep:5us -o rnd.json\n";

typedef struct {
    jf_gen_params p;
    const char *out;
    const char *pos[2];
    int n_pos;
    int tasks_set, edges_set, succ_set;
} gen_args;

/* ---- value parsers: 0 on success ---- */

static int parse_count(const char *text, uint64_t *out)
{
    double v;
    if (jf_parse_quantity(text, &v) != 0 || v < 0 || v != floor(v) || v > 9007199254740992.0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_bytes(const char *text, double *out)
{
    return jf_parse_quantity(text, out) != 0 || !(*out >= 0) ? -1 : 0;
}

/* "12", "12us", "1.5ms", "2s", "800ns" into microseconds. */
static int parse_time(const char *text, double *out)
{
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"", 1}, {"us", 1}, {"ns", 1e-3}, {"ms", 1e3}, {"s", 1e6}};
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || !isfinite(v) || v < 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *out = v * units[i].scale;
            return 0;
        }
    }
    return -1;
}

/* The unit letters that end text ("" when it ends in a digit). */
static const char *unit_of(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && isalpha((unsigned char)end[-1]))
        end--;
    return end;
}

/* "LO..HI" or "V" (LO = HI = V), each side through parse_one. A bare LO
 * takes HI's unit: "1..2ms" is 1ms..2ms. */
static int parse_range(const char *text, int (*parse_one)(const char *, double *), double *lo,
                       double *hi)
{
    const char *dots = strstr(text, "..");
    if (!dots)
        return parse_one(text, lo) != 0 ? -1 : parse_one(text, hi);
    char left[64];
    size_t n = (size_t)(dots - text);
    if (n == 0)
        return -1;
    const char *unit = isalpha((unsigned char)text[n - 1]) ? "" : unit_of(dots + 2);
    if (n + strlen(unit) >= sizeof left)
        return -1;
    memcpy(left, text, n);
    strcpy(left + n, unit);
    if (parse_one(left, lo) != 0 || parse_one(dots + 2, hi) != 0)
        return -1;
    return *lo <= *hi ? 0 : -1;
}

static int parse_u32(const char *text, double *out)
{
    uint64_t v;
    if (parse_count(text, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (double)v;
    return 0;
}

static int parse_seed(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '\0')
        return -1;
    unsigned long long v = strtoull(text, &end, 0);
    if (*end != '\0' || errno != 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* noop | spin:TIME | sleep:TIME */
static int parse_work(const char *text, jf_work *out)
{
    if (strcmp(text, "noop") == 0) {
        *out = (jf_work){JF_WORK_NOOP, 0};
        return 0;
    }
    if (strncmp(text, "spin:", 5) == 0) {
        out->kind = JF_WORK_SPIN;
        return parse_time(text + 5, &out->us);
    }
    if (strncmp(text, "sleep:", 6) == 0) {
        out->kind = JF_WORK_SLEEP;
        return parse_time(text + 6, &out->us);
    }
    return -1;
}

/* ---- options ---- */

static int set_dist(jf_gen_dist *d, const char *value, int (*parse_one)(const char *, double *))
{
    return parse_range(value, parse_one, &d->lo, &d->hi);
}

static int set_succ(gen_args *a, const char *value)
{
    double lo, hi;
    if (parse_range(value, parse_u32, &lo, &hi) != 0)
        return -1;
    a->succ_set = 1;
    a->p.succ_min = (uint32_t)lo;
    a->p.succ_max = (uint32_t)hi;
    return 0;
}

/* Apply option `name` with its value; 0, or -1 when the value is bad. */
static int apply_option(gen_args *a, const char *name, const char *value)
{
    jf_gen_params *p = &a->p;
    a->tasks_set |= strcmp(name, "--tasks") == 0;
    a->edges_set |= strcmp(name, "--edges") == 0;
    if (strcmp(name, "--tasks") == 0)
        return parse_count(value, &p->tasks);
    if (strcmp(name, "--edges") == 0)
        return parse_count(value, &p->edges);
    if (strcmp(name, "--succ") == 0)
        return set_succ(a, value);
    if (strcmp(name, "--seed") == 0)
        return parse_seed(value, &p->seed);
    if (strcmp(name, "--memory") == 0)
        return set_dist(&p->memory, value, parse_bytes);
    if (strcmp(name, "--time") == 0)
        return set_dist(&p->time, value, parse_time);
    if (strcmp(name, "--bytes") == 0)
        return set_dist(&p->bytes, value, parse_bytes);
    if (strcmp(name, "--work") == 0)
        return parse_work(value, &p->work);
    a->out = value; /* -o */
    return 0;
}

static const char *const option_names[] = {"--tasks",  "--edges", "--succ", "--seed", "--memory",
                                           "--time", "--bytes", "--work", "-o"};

/* Take argv[*i] (and its value) into a; returns CLI_OK or a usage error. */
static int take_arg(gen_args *a, int argc, char **argv, int *i)
{
    const char *value = NULL;
    int missing = 0;
    for (size_t k = 0; k < sizeof option_names / sizeof *option_names; k++) {
        const char *name = option_names[k];
        if (!cli_opt_value(argc, argv, i, name, &value, &missing))
            continue;
        if (missing)
            return cli_usage_error("gen: %s needs a value (see jobfuse gen --help)", name);
        if (apply_option(a, name, value) != 0)
            return cli_usage_error("gen: bad value \"%s\" for %s (see jobfuse gen --help)", value,
                                   name);
        return CLI_OK;
    }
    const char *arg = argv[*i];
    if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error("gen: unknown option \"%s\" (see jobfuse gen --help)", arg);
    if (a->n_pos == 2)
        return cli_usage_error("gen: unexpected argument \"%s\"", arg);
    a->pos[a->n_pos++] = arg;
    return CLI_OK;
}

/* Options that the shape does not use are mistakes worth telling. */
static int check_shape_options(const gen_args *a)
{
    jf_gen_shape s = a->p.shape;
    if (a->tasks_set && s != JF_GEN_LAYERED)
        return cli_usage_error("gen: --tasks applies to layered only (random takes N)");
    if (a->edges_set && s != JF_GEN_RANDOM)
        return cli_usage_error("gen: --edges applies to random only");
    if (a->succ_set && s != JF_GEN_LAYERED)
        return cli_usage_error("gen: --succ applies to layered only");
    if (a->edges_set && a->p.edges == 0)
        return cli_usage_error("gen: --edges must be at least 1 (use par for no edges)");
    return CLI_OK;
}

static int parse_args(gen_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int rc = take_arg(a, argc, argv, &i);
        if (rc != CLI_OK)
            return rc;
    }
    if (a->n_pos < 2)
        return cli_usage_error("gen: expected SHAPE N (see jobfuse gen --help)");
    if (jf_gen_shape_parse(a->pos[0], &a->p.shape) != 0)
        return cli_usage_error("gen: unknown shape \"%s\": chain, par, tree, wavefront, "
                               "layered or random",
                               a->pos[0]);
    if (parse_count(a->pos[1], &a->p.size) != 0)
        return cli_usage_error("gen: bad size \"%s\": a whole number is expected", a->pos[1]);
    if (a->p.shape == JF_GEN_RANDOM)
        a->p.tasks = a->p.size;
    if (a->p.shape == JF_GEN_LAYERED && !a->succ_set && a->p.size < a->p.succ_max)
        a->p.succ_max = (uint32_t)(a->p.size ? a->p.size : 1); /* narrow levels */
    return check_shape_options(a);
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int write_job(jf_job *job, const gen_args *a, double started)
{
    const char *path = a->out ? a->out : "-";
    double generated = cli_now();
    jf_status st = jf_job_write_json(job, path);
    if (st != JF_OK)
        return cli_error(cli_status_exit(st), "gen: cannot write %s: %s", path,
                         jf_job_errmsg(job));
    fprintf(stderr, "gen: %s tasks=%u edges=%" PRIu64 " seed=%" PRIu64 " gen_s=%.3f write_s=%.3f\n",
            jf_gen_shape_name(a->p.shape), jf_job_task_count(job), jf_job_edge_count(job),
            a->p.seed, generated - started, cli_now() - generated);
    return CLI_OK;
}

int cli_gen(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(gen_usage, stdout);
        return CLI_OK;
    }
    gen_args a = {.p = jf_gen_default_params()};
    int rc = parse_args(&a, argc, argv);
    if (rc != CLI_OK)
        return rc;
    double started = cli_now();
    jf_job *job = NULL;
    jf_status st = jf_gen(&a.p, &job);
    if (st != JF_OK)
        rc = cli_error(cli_status_exit(st), "gen: %s", jf_job_errmsg(job));
    else
        rc = write_job(job, &a, started);
    jf_job_destroy(job);
    return rc;
}
