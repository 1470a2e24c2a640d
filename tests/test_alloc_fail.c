/* test_alloc_fail: every allocation of an operation fails once in turn.
 *
 * For each operation a clean run first counts its allocations (A). Then
 * for n = 1 .. A the n-th allocation fails: the operation must return an
 * error status (JF_ENOMEM, or the status it reports anyway such as
 * JF_ECYCLE), never crash, leave the library's bytes in use where they
 * were once its handles are destroyed (ASan's leak check sees the rest)
 * and leave no output file or temporary file behind. With n = A + 1 it
 * must succeed again. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/combine.h"
#include "jobfuse/devices.h"
#include "jobfuse/plan.h"

static char tmp_dir[256];
static char job_path[400], cycle_path[400], devices_path[400], out_path[400];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* A job that touches most of the reader: custom resources and rules, op,
 * work, ids and string deps, objects with bytes, a duplicated dependency,
 * and more than 64 tasks so that the task arrays grow. */
static void write_inputs(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/jf_test_alloc.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    snprintf(job_path, sizeof job_path, "%s/job.json", tmp_dir);
    snprintf(cycle_path, sizeof cycle_path, "%s/cycle.json", tmp_dir);
    snprintf(devices_path, sizeof devices_path, "%s/devices.json", tmp_dir);
    snprintf(out_path, sizeof out_path, "%s/out.json", tmp_dir);

    size_t cap = 1 << 16, n = 0;
    char *text = jf_test_alloc(cap, 1), prev[16] = "src";
    n += (size_t)snprintf(text + n, cap - n,
                          "{\"format\": \"jobfuse-job/1\", \"name\": \"alloc\",\n"
                          " \"resources\": {\"memory\": \"sum\", \"slots\": \"max\"},\n"
                          " \"tasks\": [\n"
                          "  {\"id\": \"src\", \"op\": \"Load\", \"demand\": {\"memory\": 10, "
                          "\"time\": 2, \"slots\": 1}, \"work\": {\"kind\": \"spin\", \"us\": 1}}");
    for (int i = 1; i < 80; i++) {
        const char *extra = i == 2    ? ", {\"task\": \"t1\", \"bytes\": 4}" /* duplicate */
                            : i == 40 ? ", {\"task\": \"t38\", \"bytes\": 9}"
                                      : "";
        n += (size_t)snprintf(text + n, cap - n,
                              ",\n  {\"id\": \"t%d\", \"deps\": [\"%s\"%s], \"demand\": "
                              "{\"memory\": %d, \"time\": 1, \"gpu%d\": 1}}",
                              i, prev, extra, i % 7, i % 3);
        snprintf(prev, sizeof prev, "t%d", i);
    }
    snprintf(text + n, cap - n, "\n ]}\n");
    write_file(job_path, text);
    free(text);

    write_file(cycle_path, "{\"format\": \"jobfuse-job/1\", \"tasks\": ["
                           "{\"id\": \"a\", \"deps\": [\"c\"]}, {\"id\": \"b\", \"deps\": [\"a\"]},"
                           "{\"id\": \"c\", \"deps\": [\"b\"]}, {\"id\": \"d\", \"deps\": [\"c\"]}]}");
    write_file(devices_path, "{\"format\": \"jobfuse-devices/1\", \"devices\": ["
                             "{\"id\": \"d0\", \"capacity\": {\"memory\": \"1KiB\", \"slots\": 4}},"
                             "{\"id\": \"d1\", \"capacity\": {\"memory\": 60, \"time\": 1e6}, "
                             "\"speed\": 2}], \"link\": {\"bandwidth\": 1e9, \"latency\": 1}}");
}

/* Files in tmp_dir other than the inputs. */
static int stray_files(void)
{
    DIR *d = opendir(tmp_dir);
    int stray = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, "job.json") && strcmp(n, "cycle.json") &&
            strcmp(n, "devices.json")) {
            fprintf(stderr, "  stray file: %s\n", n);
            stray++;
        }
    }
    if (d)
        closedir(d);
    return stray;
}

/* ---- the operations ------------------------------------------------------------------ */

/* Each operation sets up what it needs without failures, runs the part
 * under test with the failure armed (between arm() and disarm()), cleans
 * up, and returns the status of the part under test. */
typedef jf_status (*op_fn)(uint64_t fail_at);

static void arm(uint64_t n)
{
    jf_alloc_reset_peak();
    jf_alloc_fail_after(n);
}

static void disarm(void) { jf_alloc_fail_after(0); }

static jf_status op_read_job(uint64_t n)
{
    jf_job *job = NULL;
    arm(n);
    jf_status st = jf_job_read_json(job_path, &job);
    disarm();
    if (st != JF_OK && !strstr(jf_job_errmsg(job), "out of memory"))
        fprintf(stderr, "  read failed with the message: %s\n", jf_job_errmsg(job));
    if (st != JF_OK)
        JF_CHECK(strstr(jf_job_errmsg(job), "out of memory") != NULL);
    jf_job_destroy(job);
    return st;
}

static jf_status op_read_cycle(uint64_t n)
{
    jf_job *job = NULL;
    arm(n);
    jf_status st = jf_job_read_json(cycle_path, &job);
    disarm();
    jf_job_destroy(job);
    return st == JF_ECYCLE ? JF_OK : st; /* the expected outcome */
}

/* Build through the C API: tasks, resources, op, function, deps. */
static jf_status build(jf_job **out)
{
    jf_status st = jf_job_create("built", out);
    jf_job *job = *out;
    for (uint32_t i = 0; st == JF_OK && i < 70; i++) {
        uint32_t t;
        st = i % 2 ? jf_job_add_task_anon(job, &t) : jf_job_add_task(job, NULL, NULL, &t);
        int r = st == JF_OK ? jf_job_resource(job, i % 5 ? "memory" : "extra") : 0;
        if (st == JF_OK && r < 0)
            st = JF_ENOMEM;
        if (st == JF_OK)
            st = jf_job_set_demand(job, t, r, 1 + i % 4);
        if (st == JF_OK && i % 9 == 0)
            st = jf_job_set_op(job, t, "Op");
        if (st == JF_OK && i > 0)
            st = jf_job_add_dep(job, t - 1, t, i);
        if (st == JF_OK && i > 3 && i % 10 == 0)
            st = jf_job_add_dep(job, t - 3, t, 1);
        if (st == JF_OK && i == 20)
            st = jf_job_add_dep(job, t - 1, t, 5); /* duplicate */
    }
    if (st == JF_OK && jf_job_declare_resource(job, "late", JF_RULE_MAX) < 0)
        st = JF_ENOMEM;
    return st;
}

static jf_status op_build(uint64_t n)
{
    jf_job *job = NULL;
    arm(n);
    jf_status st = build(&job);
    disarm();
    jf_job_destroy(job);
    return st;
}

static jf_status op_validate(uint64_t n)
{
    jf_job *job = NULL;
    if (build(&job) != JF_OK)
        abort();
    arm(n);
    jf_status st = jf_job_validate(job);
    disarm();
    jf_job_destroy(job);
    return st;
}

static jf_status op_validate_cycle(uint64_t n)
{
    jf_job *job = NULL;
    if (build(&job) != JF_OK || jf_job_add_dep(job, 60, 50, 1) != JF_OK)
        abort();
    arm(n);
    jf_status st = jf_job_validate(job);
    disarm();
    if (st == JF_ECYCLE && !strstr(jf_job_errmsg(job), "cycle"))
        fprintf(stderr, "  cycle message: %s\n", jf_job_errmsg(job));
    jf_job_destroy(job);
    return st == JF_ECYCLE ? JF_OK : st;
}

static jf_status read_both(jf_job **job, jf_devices **devs)
{
    if (jf_job_read_json(job_path, job) != JF_OK || jf_devices_read_json(devices_path, devs) != JF_OK) {
        fprintf(stderr, "inputs: %s / %s\n", jf_job_errmsg(*job), jf_devices_errmsg(*devs));
        abort();
    }
    return JF_OK;
}

static jf_combine_params params_for(const jf_devices *devs, int explain)
{
    jf_combine_params p = jf_combine_default_params();
    p.devices = devs;
    p.explain = explain;
    p.n_demand_threshold = 1;
    if (jf_limit_parse("memory=90%", &p.demand_threshold[0]) != 0)
        abort();
    return p;
}

static jf_status combine_with(uint64_t n, int explain)
{
    jf_job *job = NULL;
    jf_devices *devs = NULL;
    read_both(&job, &devs);
    jf_combine_params p = params_for(devs, explain);
    jf_combine_stats stats;
    jf_plan *plan = NULL;
    arm(n);
    jf_status st = jf_combine(job, &p, &plan, &stats);
    disarm();
    if (st != JF_OK && plan != NULL) {
        fprintf(stderr, "  jf_combine failed (%s) but set a plan\n", jf_status_str(st));
        st = JF_OK; /* counted as a failure by the caller */
    }
    jf_plan_destroy(plan);
    jf_devices_destroy(devs);
    jf_job_destroy(job);
    return st;
}

static jf_status op_combine(uint64_t n) { return combine_with(n, 0); }
static jf_status op_combine_explain(uint64_t n) { return combine_with(n, 1); }

/* Combine and place without failures; then the part under test. */
static void planned(jf_job **job, jf_devices **devs, jf_plan **plan)
{
    read_both(job, devs);
    jf_combine_params p = params_for(*devs, 1);
    if (jf_combine(*job, &p, plan, NULL) != JF_OK || jf_plan_place(*plan, *devs) != JF_OK)
        abort();
}

static jf_status op_place(uint64_t n)
{
    jf_job *job = NULL;
    jf_devices *devs = NULL;
    jf_plan *plan = NULL;
    planned(&job, &devs, &plan);
    arm(n);
    jf_status st = jf_plan_place(plan, devs);
    disarm();
    jf_plan_destroy(plan);
    jf_devices_destroy(devs);
    jf_job_destroy(job);
    return st;
}

static jf_status op_write_plan(uint64_t n)
{
    jf_job *job = NULL;
    jf_devices *devs = NULL;
    jf_plan *plan = NULL;
    planned(&job, &devs, &plan);
    arm(n);
    jf_status st = jf_plan_set_source(plan, job_path, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    if (st == JF_OK)
        st = jf_plan_set_options_json(plan, "{\"degree_threshold\": 2}");
    if (st == JF_OK)
        st = jf_plan_write_json(plan, devs, out_path);
    disarm();
    jf_plan_destroy(plan);
    jf_devices_destroy(devs);
    jf_job_destroy(job);
    if (st == JF_OK)
        remove(out_path);
    return st;
}

static jf_status op_write_job(uint64_t n)
{
    jf_job *job = NULL;
    if (jf_job_read_json(job_path, &job) != JF_OK)
        abort();
    arm(n);
    jf_status st = jf_job_write_json(job, out_path);
    disarm();
    jf_job_destroy(job);
    if (st == JF_OK)
        remove(out_path);
    return st;
}

static jf_status op_read_devices(uint64_t n)
{
    jf_devices *devs = NULL;
    arm(n);
    jf_status st = jf_devices_read_json(devices_path, &devs);
    disarm();
    jf_devices_destroy(devs);
    return st;
}

static jf_status op_local_devices(uint64_t n)
{
    jf_devices *devs = NULL;
    arm(n);
    jf_status st = jf_devices_local(&devs);
    disarm();
    jf_devices_destroy(devs);
    return st;
}

/* What `jobfuse plan` does, end to end, all under the armed failure. */
static jf_status op_pipeline(uint64_t n)
{
    jf_job *job = NULL;
    jf_devices *devs = NULL;
    jf_plan *plan = NULL;
    arm(n);
    jf_status st = jf_job_read_json(job_path, &job);
    if (st == JF_OK)
        st = jf_devices_read_json(devices_path, &devs);
    jf_combine_params p = params_for(devs, 0);
    if (st == JF_OK)
        st = jf_combine(job, &p, &plan, NULL);
    if (st == JF_OK)
        st = jf_plan_place(plan, devs);
    if (st == JF_OK)
        st = jf_plan_write_json(plan, devs, out_path);
    disarm();
    jf_plan_destroy(plan);
    jf_devices_destroy(devs);
    jf_job_destroy(job);
    if (st == JF_OK)
        remove(out_path);
    return st;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static uint64_t loops;

/* io: the operation writes a file; a failed allocation may then come back
 * as JF_EIO (errno ENOMEM) as well as JF_ENOMEM. */
static void run_op(const char *name, op_fn op, int io)
{
    jf_alloc_stats before, after;
    jf_test_context("%s, clean run", name);
    jf_alloc_get_stats(&before);
    jf_status st = op(0);
    jf_alloc_get_stats(&after);
    uint64_t total = after.allocations; /* allocations of the part under test */
    if (!JF_CHECK_STATUS(st, JF_OK) || !JF_CHECK_U(after.bytes_in_use, ==, before.bytes_in_use))
        return;
    JF_CHECK_I(stray_files(), ==, 0);
    int silent = 0;
    for (uint64_t n = 1; n <= total + 1; n++) {
        jf_test_context("%s, allocation %llu of %llu fails", name, (unsigned long long)n,
                        (unsigned long long)total);
        jf_alloc_get_stats(&before);
        st = op(n);
        jf_alloc_get_stats(&after);
        loops++;
        if (!JF_CHECK_U(after.bytes_in_use, ==, before.bytes_in_use))
            break;
        if (!JF_CHECK_I(stray_files(), ==, 0))
            break;
        if (n == total + 1) {
            JF_CHECK_STATUS(st, JF_OK);
        } else if (st == JF_OK) {
            silent++; /* the failure was swallowed */
        } else if (st != JF_ENOMEM && !(io && st == JF_EIO)) {
            JF_CHECK_STATUS(st, JF_ENOMEM);
            break;
        }
    }
    if (silent)
        printf("  %s: %d of %llu failed allocations were absorbed (the operation still "
               "succeeded)\n",
               name, silent, (unsigned long long)total);
    printf("  %s: %llu allocations, each failed once\n", name, (unsigned long long)total);
    jf_test_context("%s", "");
}

/* The allocator is replaceable and every block goes back to the one that
 * made it. */
typedef struct {
    long live;
    long calls;
} counting;

static void *counting_alloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    counting *c = user;
    c->calls++;
    if (new_size == 0) {
        if (ptr)
            c->live--;
        free(ptr);
        return NULL;
    }
    if (!ptr)
        c->live++;
    (void)old_size;
    return realloc(ptr, new_size);
}

static void test_custom_allocator(void)
{
    counting c = {0, 0};
    jf_alloc_set(counting_alloc, &c);
    jf_status st = op_pipeline(0);
    jf_alloc_set(NULL, NULL);
    JF_CHECK_STATUS(st, JF_OK);
    JF_CHECK_I(c.calls, >, 0);
    JF_CHECK_I(c.live, ==, 0);
}

int main(void)
{
    write_inputs();
    jf_alloc_stats base, end;
    jf_alloc_get_stats(&base);
    static const struct {
        const char *name;
        op_fn op;
        int io;
    } ops[] = {{"read job", op_read_job, 0},
               {"read job with a cycle", op_read_cycle, 0},
               {"build job", op_build, 0},
               {"validate", op_validate, 0},
               {"validate with a cycle", op_validate_cycle, 0},
               {"combine", op_combine, 0},
               {"combine --explain", op_combine_explain, 0},
               {"place", op_place, 0},
               {"write plan", op_write_plan, 1},
               {"write job", op_write_job, 1},
               {"read devices", op_read_devices, 0},
               {"local devices", op_local_devices, 0},
               {"read, combine, place, write", op_pipeline, 1}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        run_op(ops[i].name, ops[i].op, ops[i].io);
    test_custom_allocator();
    jf_alloc_get_stats(&end);
    JF_CHECK_U(end.bytes_in_use, ==, base.bytes_in_use);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    return jf_test_finish("test_alloc_fail", "failed allocations", loops);
}
