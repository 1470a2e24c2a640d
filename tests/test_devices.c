/* test_devices: jobfuse-devices/1 files (good and bad), the local machine
 * as the default pool, capacities (min/max, unlimited), and placement
 * keeping each target on a device that can hold it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/combine.h"
#include "jobfuse/devices.h"
#include "jobfuse/plan.h"

static char tmp_dir[256];

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/jf_test_devices.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
}

/* Write text to tmp_dir/name; the full path goes to buf. */
static const char *put_file(char *buf, size_t size, const char *name, const char *text)
{
    snprintf(buf, size, "%s/%s", tmp_dir, name);
    FILE *f = fopen(buf, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", buf);
        exit(1);
    }
    return buf;
}

/* tests/data/good/NAME, found next to this source file. */
static void data_path(char *buf, size_t size, const char *name)
{
    const char *src = __FILE__, *slash = strrchr(src, '/');
    int dir = slash ? (int)(slash - src) : 1;
    snprintf(buf, size, "%.*s/data/good/%s", dir, slash ? src : ".", name);
}

/* ---- good files -------------------------------------------------------------- */

static void test_read_good(void)
{
    char path[512];
    data_path(path, sizeof path, "devices_small.json");
    jf_devices *d = NULL;
    jf_status st = jf_devices_read_json(path, &d);
    if (!JF_CHECK_STATUS(st, JF_OK)) {
        fprintf(stderr, "  %s\n", jf_devices_errmsg(d));
        jf_devices_destroy(d);
        return;
    }
    JF_CHECK_I(jf_devices_count(d), ==, 2);
    JF_CHECK(strcmp(jf_devices_id(d, 0), "small0") == 0);
    JF_CHECK(strcmp(jf_devices_id(d, 1), "small1") == 0);
    JF_CHECK_D(jf_devices_speed(d, 0), ==, 1.0); /* default */
    JF_CHECK_D(jf_devices_speed(d, 1), ==, 2.0);
    JF_CHECK_D(jf_devices_capacity(d, 0, "memory"), ==, 1000);
    JF_CHECK_D(jf_devices_capacity(d, 1, "memory"), ==, 1024); /* "1KiB" */
    JF_CHECK_D(jf_devices_capacity(d, 0, "threads"), ==, 1);
    JF_CHECK_D(jf_devices_capacity(d, 1, "threads"), ==, INFINITY); /* not named */
    JF_CHECK_D(jf_devices_capacity(d, 0, "gpus"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, 1000);
    JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, 1024);
    JF_CHECK_D(jf_devices_capacity_min(d, "threads"), ==, 1);
    JF_CHECK_D(jf_devices_capacity_max(d, "threads"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_min(d, "gpus"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_max(d, "gpus"), ==, INFINITY);
    JF_CHECK_D(jf_devices_link_bandwidth(d), ==, 1e9);
    JF_CHECK_D(jf_devices_link_latency(d), ==, 10);
    JF_CHECK_I(jf_devices_resource_count(d), ==, 2);
    int seen_mem = 0, seen_thr = 0;
    for (int i = 0; i < jf_devices_resource_count(d); i++) {
        seen_mem += strcmp(jf_devices_resource_name(d, i), "memory") == 0;
        seen_thr += strcmp(jf_devices_resource_name(d, i), "threads") == 0;
    }
    JF_CHECK(seen_mem == 1 && seen_thr == 1);
    jf_devices_destroy(d);

    /* suffixes in capacities, no link (defaults), a capacity of 0 */
    d = NULL;
    put_file(path, sizeof path, "suffixes.json",
             "{\"format\": \"jobfuse-devices/1\", \"devices\": ["
             "{\"id\": \"a\", \"capacity\": {\"memory\": \"4MiB\", \"flops\": \"2G\", "
             "\"time\": \"1.5e6\", \"slots\": 0}},"
             "{\"id\": \"b\", \"capacity\": {\"memory\": \"512k\"}, \"speed\": 0.5}]}");
    if (JF_CHECK_STATUS(jf_devices_read_json(path, &d), JF_OK)) {
        JF_CHECK_D(jf_devices_capacity(d, 0, "memory"), ==, 4194304);
        JF_CHECK_D(jf_devices_capacity(d, 0, "flops"), ==, 2e9);
        JF_CHECK_D(jf_devices_capacity(d, 0, "time"), ==, 1.5e6);
        JF_CHECK_D(jf_devices_capacity(d, 0, "slots"), ==, 0);
        JF_CHECK_D(jf_devices_capacity(d, 1, "slots"), ==, INFINITY);
        JF_CHECK_D(jf_devices_capacity(d, 1, "memory"), ==, 512000);
        JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, 512000);
        JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, 4194304);
        JF_CHECK_D(jf_devices_capacity_min(d, "slots"), ==, 0);
        JF_CHECK_D(jf_devices_speed(d, 1), ==, 0.5);
        JF_CHECK_D(jf_devices_link_bandwidth(d), >, 0);
        JF_CHECK_D(jf_devices_link_latency(d), >=, 0);
        JF_CHECK(strcmp(jf_devices_errmsg(d), "") == 0);
    } else {
        fprintf(stderr, "  %s\n", jf_devices_errmsg(d));
    }
    jf_devices_destroy(d);
    jf_devices_destroy(NULL);
}

/* ---- bad files: status and a message that starts with the path ------------------------- */

static void expect_bad(const char *name, const char *text, jf_status want, const char *after_path)
{
    char path[512], full[1024];
    put_file(path, sizeof path, name, text);
    jf_devices *d = NULL;
    jf_test_context("%s", name);
    JF_CHECK_STATUS(jf_devices_read_json(path, &d), want);
    if (JF_CHECK(d != NULL)) { /* set even on failure, for the message */
        snprintf(full, sizeof full, "%s%s", path, after_path);
        if (!JF_CHECK(strcmp(jf_devices_errmsg(d), full) == 0))
            fprintf(stderr, "  message \"%s\"\n     want \"%s\"\n", jf_devices_errmsg(d), full);
    }
    jf_test_context("%s", "");
    jf_devices_destroy(d);
    remove(path);
}

static void test_read_bad(void)
{
    expect_bad("malformed.json",
               "{\"format\": \"jobfuse-devices/1\",\n \"devices\": [{\"id\": \"cpu0\",}]}",
               JF_EPARSE, ":2:28: string or '}' expected near '}'");
    expect_bad("truncated.json", "{\"format\": \"jobfuse-devices/1\", \"devices\": [",
               JF_EPARSE, ":1:44: ']' expected near end of file");
    expect_bad("wrong_format.json", "{\"format\": \"jobfuse-job/1\", \"devices\": [{\"id\": \"a\"}]}",
               JF_EINVAL, ": not a devices file: \"format\" must be \"jobfuse-devices/1\"");
    expect_bad("no_format.json", "{\"devices\": [{\"id\": \"a\"}]}", JF_EINVAL,
               ": not a devices file: \"format\" must be \"jobfuse-devices/1\"");
    expect_bad("array.json", "[1, 2]", JF_EINVAL,
               ": not a devices file: \"format\" must be \"jobfuse-devices/1\"");
    expect_bad("negative.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", "
               "\"capacity\": {\"memory\": -1}}]}",
               JF_EINVAL, ": device \"a\": capacity \"memory\" must be a number >= 0");
    expect_bad("negative_string.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", "
               "\"capacity\": {\"memory\": \"-4MiB\"}}]}",
               JF_EINVAL, ": device \"a\": capacity \"memory\" must be a number >= 0");
    expect_bad("bad_suffix.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", "
               "\"capacity\": {\"memory\": \"4 lots\"}}]}",
               JF_EINVAL, ": device \"a\": capacity \"memory\" must be a number >= 0");
    expect_bad("bool_capacity.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", "
               "\"capacity\": {\"memory\": true}}]}",
               JF_EINVAL, ": device \"a\": capacity \"memory\" must be a number >= 0");
    expect_bad("capacity_array.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", "
               "\"capacity\": [1]}]}",
               JF_EINVAL, ": device \"a\": \"capacity\" must be an object");
    expect_bad("duplicate.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\"}, {\"id\": \"b\"}, "
               "{\"id\": \"a\"}]}",
               JF_EINVAL, ": device \"a\": duplicate id");
    expect_bad("empty.json", "{\"format\": \"jobfuse-devices/1\", \"devices\": []}", JF_EINVAL,
               ": \"devices\" must be a non-empty array");
    expect_bad("no_devices.json", "{\"format\": \"jobfuse-devices/1\"}", JF_EINVAL,
               ": \"devices\" must be a non-empty array");
    expect_bad("no_id.json", "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"speed\": 1}]}",
               JF_EINVAL, ": device #0: needs a string \"id\"");
    expect_bad("not_object.json", "{\"format\": \"jobfuse-devices/1\", \"devices\": [\"cpu0\"]}",
               JF_EINVAL, ": device #0: needs a string \"id\"");
    expect_bad("speed.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\", \"speed\": -2}]}",
               JF_EINVAL, ": device \"a\": \"speed\" must be a number > 0");
    expect_bad("link.json",
               "{\"format\": \"jobfuse-devices/1\", \"devices\": [{\"id\": \"a\"}], "
               "\"link\": {\"bandwidth\": \"fast\"}}",
               JF_EINVAL, ": \"link\" must be {\"bandwidth\": N, \"latency\": N}");

    /* a missing file */
    char path[512];
    snprintf(path, sizeof path, "%s/absent.json", tmp_dir);
    jf_devices *d = NULL;
    JF_CHECK_STATUS(jf_devices_read_json(path, &d), JF_EIO);
    JF_CHECK(d != NULL && strncmp(jf_devices_errmsg(d), path, strlen(path)) == 0);
    jf_devices_destroy(d);
}

/* ---- the local machine ---------------------------------------------------------------------- */

static void test_local(void)
{
    jf_devices *d = NULL;
    if (!JF_CHECK_STATUS(jf_devices_local(&d), JF_OK))
        return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double memory = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    JF_CHECK_I(jf_devices_count(d), ==, cores > 0 ? cores : 1);
    int n = jf_devices_count(d);
    double first = jf_devices_capacity(d, 0, "memory");
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "cpu%d", i);
        JF_CHECK(strcmp(jf_devices_id(d, i), id) == 0);
        JF_CHECK_D(jf_devices_speed(d, i), ==, 1.0);
        JF_CHECK_D(jf_devices_capacity(d, i, "threads"), ==, 1);
        JF_CHECK_D(jf_devices_capacity(d, i, "memory"), ==, first); /* split evenly */
    }
    if (memory > 0) {
        JF_CHECK_D(first, ==, floor(memory / (double)n));
        JF_CHECK_D(first * n, <=, memory);
        JF_CHECK_D(first * n, >, memory - n);
    }
    JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, first);
    JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, first);
    JF_CHECK_D(jf_devices_capacity_min(d, "time"), ==, INFINITY);
    jf_devices_destroy(d);
}

/* ---- building a pool by hand --------------------------------------------------------------- */

static void test_build(void)
{
    jf_devices *d = NULL;
    if (!JF_CHECK_STATUS(jf_devices_create(&d), JF_OK))
        return;
    JF_CHECK_I(jf_devices_count(d), ==, 0);
    JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, INFINITY);
    int a = -1, b = -1, c = -1;
    JF_CHECK_STATUS(jf_devices_add(d, "a", 1.0, &a), JF_OK);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, a, "memory", 100), JF_OK);
    JF_CHECK_STATUS(jf_devices_add(d, "b", 3.0, &b), JF_OK);
    JF_CHECK_STATUS(jf_devices_add(d, "c", 1.0, &c), JF_OK);
    JF_CHECK_I(a, ==, 0);
    JF_CHECK_I(b, ==, 1);
    JF_CHECK_I(c, ==, 2);
    /* b added after "memory" existed, c's set later: unnamed is unlimited */
    JF_CHECK_D(jf_devices_capacity(d, b, "memory"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, 100);
    JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, INFINITY);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, b, "memory", 300), JF_OK);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, c, "memory", 50), JF_OK);
    JF_CHECK_D(jf_devices_capacity_min(d, "memory"), ==, 50);
    JF_CHECK_D(jf_devices_capacity_max(d, "memory"), ==, 300);
    /* a new resource set on one device only */
    JF_CHECK_STATUS(jf_devices_set_capacity(d, c, "gpus", 2), JF_OK);
    JF_CHECK_D(jf_devices_capacity(d, a, "gpus"), ==, INFINITY);
    JF_CHECK_D(jf_devices_capacity_min(d, "gpus"), ==, 2);
    JF_CHECK_D(jf_devices_capacity_max(d, "gpus"), ==, INFINITY);
    JF_CHECK_I(jf_devices_resource_count(d), ==, 2);
    /* setting again replaces; INFINITY is allowed; bad values are refused */
    JF_CHECK_STATUS(jf_devices_set_capacity(d, c, "gpus", INFINITY), JF_OK);
    JF_CHECK_D(jf_devices_capacity_min(d, "gpus"), ==, INFINITY);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, a, "memory", -1), JF_EINVAL);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, a, "memory", NAN), JF_EINVAL);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, 7, "memory", 1), JF_EINVAL);
    JF_CHECK_STATUS(jf_devices_set_capacity(d, -1, "memory", 1), JF_EINVAL);
    JF_CHECK_D(jf_devices_capacity(d, a, "memory"), ==, 100);
    JF_CHECK_D(jf_devices_speed(d, b), ==, 3.0);
    JF_CHECK_I(jf_devices_add(d, "d", 1.0, NULL), ==, JF_OK);
    JF_CHECK_I(jf_devices_count(d), ==, 4);
    jf_devices_destroy(d);
}

/* ---- capacities feed the combiner -------------------------------------------------------- */

static jf_job *chain_job(int n, double memory)
{
    jf_job *job = NULL;
    jf_job_create("chain", &job);
    int mem = jf_job_resource(job, "memory");
    for (int i = 0; i < n; i++) {
        uint32_t t;
        jf_job_add_task_anon(job, &t);
        jf_job_set_demand(job, t, mem, memory);
        if (i)
            jf_job_add_dep(job, t - 1, t, 1);
    }
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    return job;
}

static void test_capacity_in_combine(void)
{
    /* devices of 100 and 300: targets fit the smallest (100), a task of 200
     * fits the largest only and is allowed, a task of 400 fits none */
    jf_devices *d = NULL;
    jf_devices_create(&d);
    int a, b;
    jf_devices_add(d, "small", 1.0, &a);
    jf_devices_add(d, "large", 1.0, &b);
    jf_devices_set_capacity(d, a, "memory", 100);
    jf_devices_set_capacity(d, b, "memory", 300);

    jf_job *job = chain_job(10, 10);
    jf_combine_params p = jf_combine_default_params();
    p.devices = d;
    p.default_threshold_percent = 100;
    jf_plan *plan = NULL;
    JF_CHECK_STATUS(jf_combine(job, &p, &plan, NULL), JF_OK);
    for (uint32_t t = 0; plan && t < jf_plan_target_count(plan); t++)
        JF_CHECK_D(jf_plan_target_demand(plan, t, jf_job_resource_find(job, "memory")), <=, 100);
    JF_CHECK_U(plan ? jf_plan_target_count(plan) : 0, ==, 1); /* 10 x 10 = 100 fits exactly */
    jf_plan_destroy(plan);
    jf_job_destroy(job);

    job = chain_job(3, 400);
    JF_CHECK_STATUS(jf_combine(job, &p, &plan, NULL), JF_ECAPACITY);
    JF_CHECK(plan == NULL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "t0");
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "memory");
    jf_job_destroy(job);

    /* --capacity overrides the devices */
    job = chain_job(3, 400);
    p.n_capacity = 1;
    JF_CHECK_I(jf_limit_parse("memory=1KiB", &p.capacity[0]), ==, 0);
    JF_CHECK_STATUS(jf_combine(job, &p, &plan, NULL), JF_OK);
    JF_CHECK_U(plan ? jf_plan_target_count(plan) : 0, ==, 2); /* 400 + 400, then 400 */
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_devices_destroy(d);
}

/* Placement puts each target on a device whose capacity holds it: with
 * devices of 1000 and 1024 bytes, two independent 1020-byte tasks both
 * belong on the 1024-byte device. */
static void test_place_respects_capacity(void)
{
    char path[512];
    data_path(path, sizeof path, "devices_small.json");
    jf_devices *d = NULL;
    if (!JF_CHECK_STATUS(jf_devices_read_json(path, &d), JF_OK)) {
        jf_devices_destroy(d);
        return;
    }
    jf_job *job = NULL;
    jf_job_create("place", &job);
    int mem = jf_job_resource(job, "memory"), time = jf_job_resource(job, "time");
    for (int i = 0; i < 2; i++) {
        uint32_t t;
        jf_job_add_task_anon(job, &t);
        jf_job_set_demand(job, t, mem, 1020);
        jf_job_set_demand(job, t, time, 10);
    }
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    jf_combine_params p = jf_combine_default_params();
    p.devices = d;
    jf_plan *plan = NULL;
    if (JF_CHECK_STATUS(jf_combine(job, &p, &plan, NULL), JF_OK) &&
        JF_CHECK_STATUS(jf_plan_place(plan, d), JF_OK)) {
        for (uint32_t t = 0; t < jf_plan_target_count(plan); t++) {
            int dev = jf_plan_target_device(plan, t);
            if (!JF_CHECK_I(dev, >=, 0))
                continue;
            double cap = jf_devices_capacity(d, dev, "memory");
            if (!JF_CHECK_D(jf_plan_target_demand(plan, t, mem), <=, cap))
                fprintf(stderr, "  target T%u (memory 1020) placed on %s (memory %g)\n",
                        (unsigned)t, jf_devices_id(d, dev), cap);
        }
    }
    jf_plan_destroy(plan);
    jf_job_destroy(job);
    jf_devices_destroy(d);
}

int main(void)
{
    make_tmp_dir();
    jf_alloc_stats base, end;
    jf_alloc_get_stats(&base);
    test_read_good();
    test_read_bad();
    test_local();
    test_build();
    test_capacity_in_combine();
    test_place_respects_capacity();
    jf_alloc_get_stats(&end);
    JF_CHECK_U(end.bytes_in_use, ==, base.bytes_in_use);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    return jf_test_finish("test_devices", "groups of checks", 6);
}
