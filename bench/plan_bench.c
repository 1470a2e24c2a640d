/* plan_bench — how fast jf_combine is, and how much memory it takes, on
 * synthetic jobs from 1e4 to 1e6 tasks; Dask's fuse_linear as the peer.
 *
 *   build-bench/bench/plan_bench [--quick] [--no-dask] [--no-parse] [--reps N]
 *                                [--case N] [--dask-script PATH] [--python PATH]
 *                                [--local-devices] [--warm-heap]
 *
 * Run it from the repository root (bench/dask_fuse.py is found there, or
 * next to the build folder). In the spirit of SQLite's speedtest1: numbered
 * cases, fixed seeds, one `key=value` line per measurement, and a hash of
 * every result so that a speed run is also a correctness run (two runs of
 * the same version must print the same hashes).
 *
 * Each case runs in a child process of its own, so that what ran before
 * it (how much memory glibc already holds mapped) does not change its
 * figures. Per case: the job is made by jf_gen (not timed), then
 * jf_combine runs --reps times on it (default params, a fixed pool of two
 * devices of 8 GiB so that results do not depend on the machine's
 * memory); the median wall time is reported with the CPU time and the
 * per-task cost. Memory comes
 * from the library's own accounting (jf_alloc_get_stats): the peak of all
 * library bytes during combine (job + working set + plan), per task+edge.
 * Parse time is jf_job_read_json on the job written by jf_job_write_json,
 * reported on its own line. The Dask peer runs bench/dask_fuse.py on the
 * same file for the 1e5 cases. bench/RESULTS.md has the figures of a run.
 *
 * The last lines are verdicts on the targets of the issue, PASS or FAIL
 * with the numbers. The exit status is 0 unless a case could not run or a
 * hash was not reproduced (1), whatever the verdicts. */
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "jobfuse/combine.h"
#include "jobfuse/gen.h"

/* The targets. */
#define TARGET_COMBINE_S 0.5 /* 1e6 tasks / 4e6 edges, one core */
#define TARGET_BYTES_PER_ITEM 200.0
#define TARGET_SCALING 1.5 /* ns per task at 1e6 over that at 1e4 */
#define TARGET_DASK_RATIO 100.0

#define LAYER_WIDTH 1000
#define DEVICE_MEMORY 8589934592.0 /* 8 GiB per device */

typedef struct {
    int id;
    jf_gen_shape shape;
    uint64_t tasks;
    int dask; /* run the Dask peer on this graph */
} bench_case;

/* layered: levels of LAYER_WIDTH, 3..5 successors (mean 4) in the next
 * level; random: 4 edges per task; chain: one edge per task. */
static const bench_case cases[] = {
    {1, JF_GEN_LAYERED, 10000, 0}, {2, JF_GEN_LAYERED, 100000, 1}, {3, JF_GEN_LAYERED, 1000000, 0},
    {4, JF_GEN_RANDOM, 10000, 0},  {5, JF_GEN_RANDOM, 100000, 1},  {6, JF_GEN_RANDOM, 1000000, 0},
    {7, JF_GEN_CHAIN, 10000, 0},   {8, JF_GEN_CHAIN, 100000, 1},   {9, JF_GEN_CHAIN, 1000000, 0},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

typedef struct {
    int quick, dask, parse, reps, only_case, local_devices, warm_heap;
    const char *dask_script, *python, *argv0;
} options;

/* What a case measured, for the verdicts. */
typedef struct {
    int ran;
    uint64_t tasks, edges;
    double combine_s, first_s, ns_per_task, bytes_per_item;
    double dask_s, dask_deps_s; /* < 0: not run */
} result;

static result results[N_CASES];
static int errors;

/* ---- clocks and small statistics ---- */


/* CPU time of the process in the kernel (page faults of fresh blocks). */
static double sys_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double cpu_s(void)
{
    return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
}


static size_t bytes_in_use(void)
{
    jf_alloc_stats s;
    jf_alloc_get_stats(&s);
    return s.bytes_in_use;
}

static size_t bytes_peak(void)
{
    jf_alloc_stats s;
    jf_alloc_get_stats(&s);
    return s.bytes_peak;
}

/* ---- the result hash: FNV-1a 64 ---- */

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 0x100000001b3ull;
    return h;
}

/* Targets, edges after, and the target of every task in task order. */
static uint64_t plan_hash(const jf_plan *plan)
{
    const jf_job *job = jf_plan_job(plan);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, jf_plan_target_count(plan));
    h = fnv(h, jf_plan_edge_count(plan));
    for (uint32_t t = 0; t < jf_job_task_count(job); t++)
        h = fnv(h, jf_plan_target_of(plan, t));
    return h;
}

/* ---- making the jobs ---- */

static jf_gen_params case_params(const bench_case *c)
{
    jf_gen_params g = jf_gen_default_params();
    g.shape = c->shape;
    g.seed = (uint64_t)c->id;
    if (c->shape == JF_GEN_LAYERED) {
        g.size = LAYER_WIDTH;
        g.tasks = c->tasks;
        g.succ_min = 3;
        g.succ_max = 5;
    } else {
        g.size = c->tasks; /* random: edges default to 4 per task */
    }
    return g;
}

static jf_job *make_job(const bench_case *c, double *gen_s)
{
    jf_gen_params g = case_params(c);
    jf_job *job = NULL;
    double t0 = wall_s();
    jf_status st = jf_gen(&g, &job);
    *gen_s = wall_s() - t0;
    if (st == JF_OK)
        return job;
    fprintf(stderr, "plan_bench: case %d: jf_gen: %s: %s\n", c->id, jf_status_str(st),
            jf_job_errmsg(job));
    jf_job_destroy(job);
    return NULL;
}

/* Two devices of 8 GiB (threads 1), or the local machine's. */
static jf_devices *make_devices(int local)
{
    jf_devices *devs = NULL;
    if (local)
        return jf_devices_local(&devs) == JF_OK ? devs : NULL;
    int ok = jf_devices_create(&devs) == JF_OK;
    for (int d = 0; d < 2 && ok; d++) {
        char id[8];
        snprintf(id, sizeof id, "cpu%d", d);
        ok = jf_devices_add(devs, id, 1.0, NULL) == JF_OK &&
             jf_devices_set_capacity(devs, d, "memory", DEVICE_MEMORY) == JF_OK &&
             jf_devices_set_capacity(devs, d, "threads", 1) == JF_OK;
    }
    if (!ok) {
        jf_devices_destroy(devs);
        return NULL;
    }
    return devs;
}

/* ---- combine ---- */

typedef struct {
    double wall, cpu, sys; /* medians over the repetitions */
    double first, min;     /* the first call's wall time, the fastest */
    size_t peak;           /* library bytes at the peak of combine, over `base` */
    uint64_t hash;
    uint32_t targets;
    uint64_t edges_after;
    jf_combine_stats stats;
} combine_run;

static int combine_once(jf_job *job, const jf_devices *devs, size_t base, combine_run *r)
{
    jf_combine_params p = jf_combine_default_params();
    p.devices = devs;
    jf_plan *plan = NULL;
    jf_alloc_reset_peak();
    double w0 = wall_s(), c0 = cpu_s(), s0 = sys_s();
    jf_status st = jf_combine(job, &p, &plan, &r->stats);
    r->sys = sys_s() - s0;
    r->cpu = cpu_s() - c0;
    r->wall = wall_s() - w0;
    r->peak = bytes_peak() - base;
    if (st != JF_OK) {
        fprintf(stderr, "plan_bench: jf_combine: %s: %s\n", jf_status_str(st), jf_job_errmsg(job));
        return -1;
    }
    r->hash = plan_hash(plan);
    r->targets = jf_plan_target_count(plan);
    r->edges_after = jf_plan_edge_count(plan);
    jf_plan_destroy(plan);
    return 0;
}

/* reps runs; medians in *out; -1 when a run fails or a hash changes. */
static int combine_reps(jf_job *job, const jf_devices *devs, size_t base, int reps,
                        combine_run *out)
{
    double wall[64], cpu[64], sys[64], first = 0, min = 1e300;
    for (int i = 0; i < reps; i++) {
        combine_run r;
        if (combine_once(job, devs, base, &r) != 0)
            return -1;
        if (i > 0 && (r.hash != out->hash || r.peak != out->peak)) {
            fprintf(stderr,
                    "plan_bench: repetition %d: hash %016" PRIx64 " != %016" PRIx64
                    " or peak %zu != %zu\n",
                    i, r.hash, out->hash, r.peak, out->peak);
            return -1;
        }
        *out = r;
        wall[i] = r.wall;
        cpu[i] = r.cpu;
        sys[i] = r.sys;
        first = i == 0 ? r.wall : first;
        min = r.wall < min ? r.wall : min;
    }
    out->first = first;
    out->min = min;
    out->wall = median(wall, reps);
    out->cpu = median(cpu, reps);
    out->sys = median(sys, reps);
    return 0;
}

static const char *shape_name(const bench_case *c)
{
    return jf_gen_shape_name(c->shape);
}

static void print_case(const bench_case *c, const jf_job *job, double gen_s, size_t job_bytes,
                       const combine_run *r, int reps)
{
    uint64_t n = jf_job_task_count(job), m = jf_job_edge_count(job);
    printf("case=%d shape=%s tasks=%" PRIu64 " edges=%" PRIu64 " seed=%d gen_s=%.3f reps=%d ",
           c->id, shape_name(c), n, m, c->id, gen_s, reps);
    printf("combine_s=%.6f combine_min_s=%.6f combine_first_s=%.6f combine_cpu_s=%.6f "
           "combine_sys_s=%.6f ns_per_task=%.1f ns_per_item=%.1f ",
           r->wall, r->min, r->first, r->cpu, r->sys, r->wall * 1e9 / (double)n,
           r->wall * 1e9 / (double)(n + m));
    printf("job_bytes=%zu peak_bytes=%zu combine_bytes=%zu bytes_per_item=%.1f ", job_bytes,
           r->peak, r->peak - job_bytes, (double)r->peak / (double)(n + m));
    printf("targets=%" PRIu32 " edges_after=%" PRIu64 " merges=%" PRIu32 " passes=%" PRIu32
           " hash=%016" PRIx64 "\n",
           r->targets, r->edges_after, r->stats.merges, r->stats.passes, r->hash);
}

/* ---- parse ---- */

static int parse_reps(const bench_case *c, int reps)
{
    if (c->tasks >= 1000000)
        return 1; /* about 20 s and a few GB with jansson */
    return c->tasks >= 100000 && reps > 3 ? 3 : reps;
}

/* Read the file back, time it, and check that the parsed job combines to
 * the same hash as the generated one. */
static int bench_parse(const bench_case *c, const char *path, const jf_devices *devs,
                       uint64_t want_hash, int reps)
{
    double wall[64];
    int n = parse_reps(c, reps), same = 1;
    for (int i = 0; i < n; i++) {
        jf_job *job = NULL;
        double t0 = wall_s();
        jf_status st = jf_job_read_json(path, &job);
        wall[i] = wall_s() - t0;
        if (st != JF_OK) {
            fprintf(stderr, "plan_bench: case %d: read %s: %s\n", c->id, path, jf_job_errmsg(job));
            jf_job_destroy(job);
            return -1;
        }
        combine_run r;
        if (i == 0)
            same = combine_once(job, devs, 0, &r) == 0 && r.hash == want_hash;
        jf_job_destroy(job);
    }
    struct stat sb;
    long long size = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    printf("parse case=%d shape=%s tasks=%" PRIu64 " file_bytes=%lld reps=%d parse_s=%.3f "
           "ns_per_task=%.0f hash_ok=%d\n",
           c->id, shape_name(c), c->tasks, size, n, median(wall, n),
           median(wall, n) * 1e9 / (double)c->tasks, same);
    return same ? 0 : -1;
}

/* ---- the Dask peer ---- */

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* --dask-script, else bench/dask_fuse.py here, else beside the build
 * folder (argv[0] is BUILD/bench/plan_bench). */
static const char *find_dask_script(const options *o, char *buf, size_t len)
{
    if (o->dask_script)
        return o->dask_script;
    if (file_exists("bench/dask_fuse.py"))
        return "bench/dask_fuse.py";
    const char *slash = strrchr(o->argv0, '/');
    int dir = slash ? (int)(slash - o->argv0) : 1;
    snprintf(buf, len, "%.*s/../../bench/dask_fuse.py", dir, slash ? o->argv0 : ".");
    return file_exists(buf) ? buf : NULL;
}

static double field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* Run the script on the job file; the times go to r (-1 on failure). */
static void run_dask(const options *o, const bench_case *c, const char *path, result *r)
{
    char buf[4096], cmd[8192], line[1024] = "";
    const char *script = find_dask_script(o, buf, sizeof buf);
    if (!script || strchr(script, '\'') || strchr(o->python, '\'') || strchr(path, '\'')) {
        printf("dask case=%d shape=%s skipped=no_script\n", c->id, shape_name(c));
        return;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' --reps 3", o->python, script, path);
    FILE *f = popen(cmd, "r");
    if (f && !fgets(line, sizeof line, f))
        line[0] = '\0';
    int status = f ? pclose(f) : -1;
    int rc = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->dask_s = rc == 0 ? field(line, "dask_fuse_linear_s=") : -1;
    r->dask_deps_s = rc == 0 ? field(line, "dask_fuse_linear_deps_s=") : -1;
    if (r->dask_s < 0) {
        printf("dask case=%d shape=%s skipped=failed rc=%d\n", c->id, shape_name(c), rc);
        return;
    }
    line[strcspn(line, "\n")] = '\0';
    printf("dask case=%d shape=%s tasks=%" PRIu64 " %s combine_s=%.6f ratio=%.1f "
           "ratio_deps=%.1f\n",
           c->id, shape_name(c), c->tasks, line, r->combine_s, r->dask_s / r->combine_s,
           r->dask_deps_s / r->combine_s);
}

/* ---- one case ---- */

static int want_case(const options *o, const bench_case *c)
{
    if (o->only_case)
        return o->only_case == c->id;
    return !o->quick || c->tasks <= 100000;
}

static int needs_file(const options *o, const bench_case *c)
{
    return o->parse || (o->dask && c->dask);
}

static int write_job(const jf_job *job, const char *path)
{
    if (jf_job_write_json(job, path) == JF_OK)
        return 0;
    fprintf(stderr, "plan_bench: cannot write %s\n", path);
    return -1;
}

/* The peers that need the job as a file: parse, Dask. */
static int run_file_peers(const options *o, const bench_case *c, const jf_job *job,
                          const jf_devices *devs, const char *path, const combine_run *cr,
                          result *r)
{
    if (!needs_file(o, c))
        return 0;
    if (write_job(job, path) != 0)
        return -1;
    int rc = o->parse ? bench_parse(c, path, devs, cr->hash, o->reps) : 0;
    if (o->dask && c->dask)
        run_dask(o, c, path, r);
    remove(path);
    return rc;
}

static int run_case(const options *o, const bench_case *c, const jf_devices *devs, const char *path,
                    result *r)
{
    size_t base = bytes_in_use();
    double gen_s;
    jf_job *job = make_job(c, &gen_s);
    if (!job)
        return -1;
    size_t job_bytes = bytes_in_use() - base;
    combine_run cr = {0};
    int rc = combine_reps(job, devs, base, o->reps, &cr);
    if (rc == 0) {
        print_case(c, job, gen_s, job_bytes, &cr, o->reps);
        fflush(stdout);
        uint64_t n = jf_job_task_count(job), m = jf_job_edge_count(job);
        *r = (result){1,
                      n,
                      m,
                      cr.wall,
                      cr.first,
                      cr.wall * 1e9 / (double)n,
                      (double)cr.peak / (double)(n + m),
                      -1,
                      -1};
        rc = run_file_peers(o, c, job, devs, path, &cr, r);
    }
    jf_job_destroy(job);
    fflush(stdout);
    return rc;
}

/* Run a case in a child process, so that every case starts from the same
 * state of the C library's allocator whatever ran before it (how much
 * memory combine must fault in depends on it); the result comes back
 * through a pipe. */
static int run_case_isolated(const options *o, const bench_case *c, const jf_devices *devs,
                             const char *path, result *r)
{
    int fd[2];
    fflush(stdout);
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        int rc = run_case(o, c, devs, path, r);
        ssize_t w = write(fd[1], r, sizeof *r);
        fflush(stdout);
        _exit(rc == 0 && w == (ssize_t)sizeof *r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = pid > 0 ? read(fd[0], r, sizeof *r) : -1;
    close(fd[0]);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof *r)
        r->ran = 0;
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- verdicts ---- */

static const result *find_result(jf_gen_shape shape, uint64_t tasks)
{
    for (int i = 0; i < N_CASES; i++)
        if (cases[i].shape == shape && cases[i].tasks == tasks && results[i].ran)
            return &results[i];
    return NULL;
}

static int passed, failed, skipped;

static void verdict(const char *target, const char *shape, int ok, const char *numbers)
{
    printf("verdict target=%s shape=%s result=%s %s\n", target, shape, ok ? "PASS" : "FAIL",
           numbers);
    ok ? passed++ : failed++;
}

static void verdict_skip(const char *target, const char *shape, const char *why)
{
    printf("verdict target=%s shape=%s result=SKIP why=%s\n", target, shape, why);
    skipped++;
}

static void verdict_1e6(jf_gen_shape shape)
{
    const char *name = jf_gen_shape_name(shape);
    const result *r = find_result(shape, 1000000);
    char num[256];
    if (!r) {
        verdict_skip("combine_1e6", name, "not_run");
        verdict_skip("bytes_per_item", name, "not_run");
        return;
    }
    snprintf(num, sizeof num,
             "tasks=%" PRIu64 " edges=%" PRIu64 " combine_s=%.3f first_call_s=%.3f limit_s=%.1f",
             r->tasks, r->edges, r->combine_s, r->first_s, TARGET_COMBINE_S);
    verdict("combine_1e6", name, r->combine_s <= TARGET_COMBINE_S, num);
    snprintf(num, sizeof num, "bytes_per_item=%.1f limit=%.0f", r->bytes_per_item,
             TARGET_BYTES_PER_ITEM);
    verdict("bytes_per_item", name, r->bytes_per_item <= TARGET_BYTES_PER_ITEM, num);
}

static void verdict_scaling(jf_gen_shape shape)
{
    const char *name = jf_gen_shape_name(shape);
    const result *small = find_result(shape, 10000), *big = find_result(shape, 1000000);
    if (!small || !big) {
        verdict_skip("scaling_1e6_vs_1e4", name, "not_run");
        return;
    }
    double ratio = big->ns_per_task / small->ns_per_task;
    char num[256];
    snprintf(num, sizeof num, "ns_per_task_1e4=%.1f ns_per_task_1e6=%.1f ratio=%.2f limit=%.1f",
             small->ns_per_task, big->ns_per_task, ratio, TARGET_SCALING);
    verdict("scaling_1e6_vs_1e4", name, ratio <= TARGET_SCALING, num);
}

static void verdict_dask(jf_gen_shape shape)
{
    const char *name = jf_gen_shape_name(shape);
    const result *r = find_result(shape, 100000);
    if (!r || r->dask_s < 0) {
        verdict_skip("faster_than_dask", name, "not_run");
        return;
    }
    double ratio = r->dask_s / r->combine_s;
    char num[256];
    snprintf(num, sizeof num, "dask_s=%.3f combine_s=%.4f ratio=%.1f ratio_deps=%.1f limit=%.0f",
             r->dask_s, r->combine_s, ratio, r->dask_deps_s / r->combine_s, TARGET_DASK_RATIO);
    verdict("faster_than_dask", name, ratio >= TARGET_DASK_RATIO, num);
}

static void print_verdicts(void)
{
    static const jf_gen_shape shapes[] = {JF_GEN_LAYERED, JF_GEN_RANDOM, JF_GEN_CHAIN};
    for (int i = 0; i < 3; i++)
        verdict_1e6(shapes[i]);
    for (int i = 0; i < 3; i++)
        verdict_scaling(shapes[i]);
    for (int i = 0; i < 3; i++)
        verdict_dask(shapes[i]);
    printf("verdicts passed=%d failed=%d skipped=%d\n", passed, failed, skipped);
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: plan_bench [--quick] [--no-dask] [--no-parse] [--reps N] [--case N]\n"
        "                  [--dask-script PATH] [--python PATH] [--local-devices] [--warm-heap]\n"
        "Run from the repository root. --quick: only the 1e4 and 1e5 cases.\n"
        "--warm-heap (diagnostic): glibc malloc never maps nor trims, so repeated\n"
        "calls reuse memory already faulted in; the default measures glibc as is.\n");
}

/* 0 on success, 1 to exit 0 (help), -1 on a bad argument. */
static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){0, 1, 1, 5, 0, 0, 0, NULL, "/usr/bin/python3", argv[0]};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0)
            o->quick = 1;
        else if (strcmp(a, "--no-dask") == 0)
            o->dask = 0;
        else if (strcmp(a, "--no-parse") == 0)
            o->parse = 0;
        else if (strcmp(a, "--local-devices") == 0)
            o->local_devices = 1;
        else if (strcmp(a, "--warm-heap") == 0)
            o->warm_heap = 1;
        else if (strcmp(a, "--reps") == 0 && v && (o->reps = atoi(v)) >= 1 && o->reps <= 64)
            i++;
        else if (strcmp(a, "--case") == 0 && v && (o->only_case = atoi(v)) >= 1)
            i++;
        else if (strcmp(a, "--dask-script") == 0 && v)
            o->dask_script = argv[++i];
        else if (strcmp(a, "--python") == 0 && v)
            o->python = argv[++i];
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        else
            return -1;
    }
    return 0;
}

/* The diagnostic --warm-heap: every block from the heap, which is never
 * given back, so only the first call pays for faulting pages in. */
static int set_warm_heap(void)
{
#ifdef __GLIBC__
    return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, -1) == 1 ? 0 : -1;
#else
    return -1;
#endif
}

static void print_header(const options *o)
{
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    printf("# plan_bench: jf_combine on synthetic jobs; parse and Dask fuse_linear as peers\n");
    printf("# reps=%d quick=%d dask=%d parse=%d warm_heap=%d devices=%s layer_width=%d "
           "layered_succ=3..5 random_edges_per_task=4 cpus_online=%ld host=%s\n",
           o->reps, o->quick, o->dask, o->parse, o->warm_heap,
           o->local_devices ? "local" : "2x8GiB", LAYER_WIDTH, sysconf(_SC_NPROCESSORS_ONLN), host);
    printf("# each case runs in its own child process; times are medians of reps (wall "
           "clock); bytes are the library's own accounting; item = task + edge\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    options o;
    int a = parse_args(argc, argv, &o);
    if (a != 0) {
        usage(a > 0 ? stdout : stderr);
        return a > 0 ? 0 : 2;
    }
    if (o.warm_heap && set_warm_heap() != 0) {
        fprintf(stderr, "plan_bench: --warm-heap needs glibc's mallopt\n");
        return 2;
    }
    jf_devices *devs = make_devices(o.local_devices);
    char dir[] = "/tmp/plan_bench_XXXXXX", path[64];
    if (!devs || !mkdtemp(dir)) {
        fprintf(stderr, "plan_bench: cannot make the devices or a temporary folder\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/job.json", dir);
    print_header(&o);
    double t0 = wall_s();
    for (int i = 0; i < N_CASES; i++)
        if (want_case(&o, &cases[i]) &&
            run_case_isolated(&o, &cases[i], devs, path, &results[i]) != 0)
            errors++;
    print_verdicts();
    printf("total_s=%.1f errors=%d\n", wall_s() - t0, errors);
    rmdir(dir);
    jf_devices_destroy(devs);
    return errors ? 1 : 0;
}
