/* test_job: the job model through the public C API — building, ids,
 * resources and their rules, validation (CSR, duplicates, self
 * dependencies, cycles), topological order, critical path, the JSON round
 * trip, and the parsers of quantities and limits. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/combine.h"
#include "jobfuse/devices.h"
#include "jobfuse/job.h"

static char tmp_dir[256];

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/jf_test_job.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
}

static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmp_dir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = jf_test_alloc((size_t)n + 1, 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* Names in tmp_dir that contain ".tmp." (leftovers of atomic writes). */
static int tmp_leftovers(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '\\.tmp\\.' >/dev/null", tmp_dir);
    return system(cmd) == 0;
}

/* ---- log capture --------------------------------------------------------- */

static char log_text[8192];
static int log_warnings;

static void capture_log(void *user, jf_log_level level, const char *message)
{
    (void)user;
    if (level == JF_LOG_WARN)
        log_warnings++;
    size_t n = strlen(log_text);
    snprintf(log_text + n, sizeof log_text - n, "%s\n", message);
}

static void log_reset(void)
{
    log_text[0] = '\0';
    log_warnings = 0;
}

/* ---- building and ids -------------------------------------------------- */

static int task_body(void *arg)
{
    (void)arg;
    return 0;
}

static jf_job *new_job(const char *name)
{
    jf_job *job = NULL;
    if (!JF_CHECK_STATUS(jf_job_create(name, &job), JF_OK) || !job)
        exit(1);
    return job;
}

static uint32_t add(jf_job *job, const char *id)
{
    uint32_t t = UINT32_MAX;
    JF_CHECK_STATUS(jf_job_add_task_id(job, id, &t), JF_OK);
    return t;
}

static void test_ids(void)
{
    jf_job *job = new_job("ids");
    JF_CHECK(strcmp(jf_job_name(job), "ids") == 0);
    JF_CHECK_U(add(job, "load"), ==, 0);
    JF_CHECK_U(add(job, "scale"), ==, 1);
    JF_CHECK_U(add(job, "save"), ==, 2);
    JF_CHECK_U(jf_job_task_count(job), ==, 3);

    uint32_t t = 99;
    JF_CHECK(jf_job_task_find(job, "scale", &t) == 1);
    JF_CHECK_U(t, ==, 1);
    JF_CHECK(jf_job_task_find(job, "save", &t) == 1);
    JF_CHECK_U(t, ==, 2);
    JF_CHECK(jf_job_task_find(job, "sav", &t) == 0);
    JF_CHECK(jf_job_task_find(job, "saves", &t) == 0);
    JF_CHECK(jf_job_task_find(job, "", &t) == 0);
    JF_CHECK(strcmp(jf_job_task_id(job, 0), "load") == 0);

    /* ids are copied */
    char buf[16] = "copied";
    t = add(job, buf);
    strcpy(buf, "changed");
    JF_CHECK(strcmp(jf_job_task_id(job, t), "copied") == 0);
    JF_CHECK(jf_job_task_find(job, "changed", &t) == 0);

    /* a duplicate id is refused, with the id in the message */
    uint32_t dup = 77;
    JF_CHECK_STATUS(jf_job_add_task_id(job, "scale", &dup), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "scale");
    JF_CHECK(strstr(jf_job_errmsg(job), "duplicate") != NULL);
    JF_CHECK_U(jf_job_task_count(job), ==, 4);
    JF_CHECK_U(dup, ==, 77); /* untouched on failure */

    /* anonymous ids are "t<index>" and avoid ids already taken */
    jf_job *anon = new_job(NULL);
    JF_CHECK(strcmp(jf_job_name(anon), "job") == 0);
    add(anon, "t1");
    uint32_t a = 0;
    JF_CHECK_STATUS(jf_job_add_task_anon(anon, &a), JF_OK);
    JF_CHECK_U(a, ==, 1);
    JF_CHECK(strcmp(jf_job_task_id(anon, a), "t1") != 0);
    JF_CHECK_STATUS(jf_job_add_task_anon(anon, &a), JF_OK);
    JF_CHECK(strcmp(jf_job_task_id(anon, a), "t2") == 0);
    uint32_t found;
    JF_CHECK(jf_job_task_find(anon, jf_job_task_id(anon, 1), &found) && found == 1);

    /* tasks with a function */
    static int arg_value = 5;
    JF_CHECK_STATUS(jf_job_add_task(anon, task_body, &arg_value, &a), JF_OK);
    void *arg = NULL;
    JF_CHECK(jf_job_task_fn(anon, a, &arg) == task_body);
    JF_CHECK(arg == &arg_value);
    JF_CHECK(jf_job_task_fn(anon, 0, &arg) == NULL);
    JF_CHECK(arg == NULL);
    jf_job_destroy(anon);

    /* many ids: the map grows */
    jf_job *big = new_job("big");
    char id[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "task-%d", i * 7919 % 20000);
        if (jf_job_add_task_id(big, id, NULL) != JF_OK) {
            JF_CHECK(0);
            break;
        }
    }
    int misses = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "task-%d", i * 7919 % 20000);
        misses += !(jf_job_task_find(big, id, &found) && found == (uint32_t)i);
    }
    JF_CHECK_I(misses, ==, 0);
    JF_CHECK(jf_job_task_find(big, "task-20000", &found) == 0);
    jf_job_destroy(big);
    jf_job_destroy(job);
    jf_job_destroy(NULL);
}

/* ---- resources ------------------------------------------------------------- */

static void test_resources(void)
{
    jf_job *job = new_job("res");
    JF_CHECK_I(jf_job_resource_count(job), ==, 4);
    static const char *const names[] = {"memory", "time", "flops", "threads"};
    static const jf_rule rules[] = {JF_RULE_SUM, JF_RULE_SUM, JF_RULE_SUM, JF_RULE_MAX};
    for (int i = 0; i < 4; i++) {
        int r = jf_job_resource_find(job, names[i]);
        if (!JF_CHECK_I(r, >=, 0))
            continue;
        JF_CHECK(strcmp(jf_job_resource_name(job, r), names[i]) == 0);
        JF_CHECK_I(jf_job_resource_rule(job, r), ==, rules[i]);
    }
    JF_CHECK_I(jf_job_resource_find(job, "gpus"), ==, -1);
    int gpus = jf_job_resource(job, "gpus"); /* others: sum */
    JF_CHECK_I(gpus, >=, 0);
    JF_CHECK_I(jf_job_resource_rule(job, gpus), ==, JF_RULE_SUM);
    JF_CHECK_I(jf_job_resource_count(job), ==, 5);
    JF_CHECK_I(jf_job_resource(job, "gpus"), ==, gpus);
    JF_CHECK_I(jf_job_resource_count(job), ==, 5);
    JF_CHECK_I(jf_job_declare_resource(job, "gpus", JF_RULE_MAX), ==, gpus);
    JF_CHECK_I(jf_job_resource_rule(job, gpus), ==, JF_RULE_MAX);
    int slots = jf_job_declare_resource(job, "slots", JF_RULE_MAX);
    JF_CHECK_I(slots, ==, 5);
    JF_CHECK_I(jf_job_resource_rule(job, slots), ==, JF_RULE_MAX);

    /* demands: default 0, finite and >= 0 only, message names task and resource */
    uint32_t a = add(job, "a");
    int mem = jf_job_resource_find(job, "memory");
    JF_CHECK_D(jf_job_demand(job, a, mem), ==, 0);
    JF_CHECK_STATUS(jf_job_set_demand(job, a, mem, 4096), JF_OK);
    JF_CHECK_D(jf_job_demand(job, a, mem), ==, 4096);
    JF_CHECK_STATUS(jf_job_set_demand(job, a, mem, -1), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "a");
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "memory");
    JF_CHECK_STATUS(jf_job_set_demand(job, a, mem, NAN), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_set_demand(job, a, mem, INFINITY), JF_EINVAL);
    JF_CHECK_D(jf_job_demand(job, a, mem), ==, 4096); /* unchanged */
    JF_CHECK_STATUS(jf_job_set_demand(job, a, 99, 1), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_set_demand(job, a, -1, 1), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_set_demand(job, 7, mem, 1), JF_EINVAL);
    JF_CHECK_D(jf_job_demand(job, a, 99), ==, 0);

    /* a resource declared after tasks exist starts at 0 for them */
    for (int i = 0; i < 100; i++)
        jf_job_add_task_anon(job, NULL);
    int late = jf_job_resource(job, "late");
    JF_CHECK_D(jf_job_demand(job, 50, late), ==, 0);
    JF_CHECK_STATUS(jf_job_set_demand(job, 100, late, 2.5), JF_OK);
    JF_CHECK_D(jf_job_demand(job, 100, late), ==, 2.5);

    /* work and op */
    JF_CHECK_I(jf_job_work(job, a).kind, ==, JF_WORK_NOOP);
    JF_CHECK_STATUS(jf_job_set_work(job, a, (jf_work){JF_WORK_SPIN, 12.5}), JF_OK);
    JF_CHECK_I(jf_job_work(job, a).kind, ==, JF_WORK_SPIN);
    JF_CHECK_D(jf_job_work(job, a).us, ==, 12.5);
    JF_CHECK_STATUS(jf_job_set_work(job, a, (jf_work){JF_WORK_SLEEP, -1}), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "a");
    JF_CHECK_STATUS(jf_job_set_work(job, a, (jf_work){JF_WORK_SLEEP, NAN}), JF_EINVAL);
    JF_CHECK(jf_job_op(job, a) == NULL);
    JF_CHECK_STATUS(jf_job_set_op(job, a, "Conv"), JF_OK);
    JF_CHECK(jf_job_op(job, a) && strcmp(jf_job_op(job, a), "Conv") == 0);
    JF_CHECK(jf_job_op(job, 1) == NULL);
    JF_CHECK_STATUS(jf_job_set_op(job, a, NULL), JF_OK);
    JF_CHECK(jf_job_op(job, a) == NULL);
    JF_CHECK_STATUS(jf_job_set_op(job, 1000, "X"), JF_EINVAL);
    jf_job_destroy(job);
}

/* ---- validation: CSR -------------------------------------------------------- */

/* Edge rows: distinct, strictly increasing, and the two directions agree. */
static void check_csr(const jf_job *job)
{
    uint32_t n = jf_job_task_count(job);
    uint64_t out_total = 0, in_total = 0;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *s, *p, *back;
        const uint64_t *sb, *pb, *backb;
        uint32_t ns = jf_job_succ(job, t, &s, &sb), np = jf_job_pred(job, t, &p, &pb);
        out_total += ns;
        in_total += np;
        for (uint32_t i = 0; i < ns; i++) {
            if (!JF_CHECK_U(s[i], <, n))
                return;
            if (i)
                JF_CHECK_U(s[i - 1], <, s[i]);
            uint32_t nb = jf_job_pred(job, s[i], &back, &backb), k = 0;
            while (k < nb && back[k] != t)
                k++;
            if (JF_CHECK_U(k, <, nb))
                JF_CHECK_U(backb[k], ==, sb[i]);
        }
        for (uint32_t i = 1; i < np; i++)
            JF_CHECK_U(p[i - 1], <, p[i]);
    }
    JF_CHECK_U(out_total, ==, jf_job_edge_count(job));
    JF_CHECK_U(in_total, ==, jf_job_edge_count(job));
}

/* Every task once, every edge forward. */
static void check_topo(const jf_job *job)
{
    uint32_t n = jf_job_task_count(job);
    const uint32_t *order = jf_job_topo_order(job);
    uint32_t *pos = jf_test_alloc(n + 1, sizeof *pos);
    for (uint32_t i = 0; i < n; i++)
        pos[i] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (JF_CHECK_U(order[i], <, n) && JF_CHECK_U(pos[order[i]], ==, UINT32_MAX))
            pos[order[i]] = i;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *s;
        uint32_t ns = jf_job_succ(job, t, &s, NULL);
        for (uint32_t i = 0; i < ns; i++)
            JF_CHECK_U(pos[t], <, pos[s[i]]);
    }
    free(pos);
}

/* Random dependencies added in random order, many duplicated, against a
 * matrix of counts and byte sums. */
static void test_csr_random(uint64_t seed)
{
    jf_rng rng = jf_rng_seed(seed);
    jf_test_context("seed %llu", (unsigned long long)seed);
    uint32_t n = 2 + jf_rng_below(&rng, 120);
    uint32_t *rank = jf_test_alloc(n, sizeof *rank); /* index -> rank; edges go up in rank */
    for (uint32_t i = 0; i < n; i++)
        rank[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = jf_rng_below(&rng, i + 1), x = rank[i];
        rank[i] = rank[j];
        rank[j] = x;
    }
    uint32_t *count = jf_test_alloc((size_t)n * n, sizeof *count);
    uint64_t *bytes = jf_test_alloc((size_t)n * n, sizeof *bytes);
    jf_job *job = new_job("random");
    for (uint32_t i = 0; i < n; i++)
        jf_job_add_task_anon(job, NULL);
    uint32_t m = jf_rng_below(&rng, 4 * n), pairs = 0, dups = 0;
    for (uint32_t e = 0; e < m; e++) {
        uint32_t a = jf_rng_below(&rng, n), b = jf_rng_below(&rng, n);
        if (a == b)
            continue;
        if (rank[a] > rank[b]) {
            uint32_t x = a;
            a = b;
            b = x;
        }
        uint64_t by = jf_rng_below(&rng, 3) == 0 ? 0 : jf_rng_range(&rng, 1, 1 << 20);
        int times = jf_rng_chance(&rng, 0.2) ? 2 + (int)jf_rng_below(&rng, 3) : 1;
        for (int k = 0; k < times; k++) {
            JF_CHECK_STATUS(jf_job_add_dep(job, a, b, by), JF_OK);
            pairs += count[(size_t)a * n + b] == 0;
            dups += count[(size_t)a * n + b] > 0;
            count[(size_t)a * n + b]++;
            bytes[(size_t)a * n + b] += by;
        }
    }
    jf_log_set(capture_log, NULL);
    log_reset();
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    jf_log_set(NULL, NULL);
    JF_CHECK(dups == 0 ? log_warnings == 0 : log_warnings >= 1);
    JF_CHECK_U(jf_job_edge_count(job), ==, pairs);
    check_csr(job);
    check_topo(job);
    for (uint32_t a = 0; a < n; a++) {
        const uint32_t *s;
        const uint64_t *sb;
        uint32_t ns = jf_job_succ(job, a, &s, &sb), want = 0;
        for (uint32_t b = 0; b < n; b++)
            want += count[(size_t)a * n + b] > 0;
        JF_CHECK_U(ns, ==, want);
        for (uint32_t i = 0; i < ns; i++) {
            JF_CHECK_U(count[(size_t)a * n + s[i]], >, 0);
            JF_CHECK_U(sb[i], ==, bytes[(size_t)a * n + s[i]]);
        }
    }
    jf_job_destroy(job);
    free(rank);
    free(count);
    free(bytes);
    jf_test_context("%s", "");
}

static void test_duplicate_deps(void)
{
    jf_job *job = new_job("dup");
    uint32_t a = add(job, "a"), b = add(job, "b"), c = add(job, "c");
    jf_job_add_dep(job, a, b, 100);
    jf_job_add_dep(job, b, c, 7);
    jf_job_add_dep(job, a, b, 28);
    jf_job_add_dep(job, a, b, 0);
    jf_log_set(capture_log, NULL);
    log_reset();
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    jf_log_set(NULL, NULL);
    JF_CHECK_U(jf_job_edge_count(job), ==, 2);
    const uint32_t *t;
    const uint64_t *by;
    if (JF_CHECK_U(jf_job_succ(job, a, &t, &by), ==, 1)) {
        JF_CHECK_U(t[0], ==, b);
        JF_CHECK_U(by[0], ==, 128);
    }
    if (JF_CHECK_U(jf_job_pred(job, b, &t, &by), ==, 1)) {
        JF_CHECK_U(t[0], ==, a);
        JF_CHECK_U(by[0], ==, 128);
    }
    /* a warning through the log callback naming both tasks; none printed */
    JF_CHECK_I(log_warnings, >=, 1);
    JF_CHECK_MENTIONS(log_text, "a");
    JF_CHECK_MENTIONS(log_text, "b");
    JF_CHECK(strstr(log_text, "\"c\"") == NULL);
    JF_CHECK(strcmp(jf_job_errmsg(job), "") == 0);

    /* validated: read-only */
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    JF_CHECK_STATUS(jf_job_add_task_id(job, "d", NULL), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_add_dep(job, a, c, 1), JF_EINVAL);
    JF_CHECK_U(jf_job_task_count(job), ==, 3);
    JF_CHECK_U(jf_job_edge_count(job), ==, 2);
    jf_job_destroy(job);

    /* a dependency on a task index that does not exist */
    job = new_job("bad index");
    a = add(job, "a");
    JF_CHECK_STATUS(jf_job_add_dep(job, a, 5, 1), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_add_dep(job, 5, a, 1), JF_EINVAL);
    jf_job_destroy(job);
}

/* Bytes are whole numbers from 0 to 2^63-1 (what JSON readers keep exact);
 * merged bytes that would pass that must not wrap: the sum saturates. */
static void test_duplicate_bytes_overflow(void)
{
    jf_job *job = new_job("overflow");
    uint32_t a = add(job, "a"), b = add(job, "b");
    JF_CHECK_STATUS(jf_job_add_dep(job, a, b, UINT64_MAX), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "2^63-1");
    jf_job_add_dep(job, a, b, (uint64_t)INT64_MAX - 10);
    jf_job_add_dep(job, a, b, 100);
    jf_status st = jf_job_validate(job);
    if (JF_CHECK_STATUS(st, JF_OK)) {
        const uint32_t *t;
        const uint64_t *by;
        if (JF_CHECK_U(jf_job_succ(job, a, &t, &by), ==, 1) &&
            !JF_CHECK_U(by[0], ==, (uint64_t)INT64_MAX))
            fprintf(stderr, "  duplicate dependency bytes wrapped: (2^63-11) + 100 gave %llu\n",
                    (unsigned long long)by[0]);
    } else {
        JF_CHECK_STATUS(st, JF_EINVAL);
        JF_CHECK_MENTIONS(jf_job_errmsg(job), "a");
        JF_CHECK_MENTIONS(jf_job_errmsg(job), "b");
    }
    jf_job_destroy(job);
}

/* ---- self dependencies and cycles -------------------------------------------- */

/* The message "... cycle of N tasks: "x" -> "y" -> ... -> "x"" must name
 * exactly the tasks cyc[] (n_cyc of them) and follow real edges of the job:
 * names[] are all task ids by index, edge[a * n + b] marks a -> b. */
static void check_cycle_message(const char *msg, const char *const *names, int n,
                                const unsigned char *edge, const char *const *cyc, int n_cyc)
{
    char want[64];
    snprintf(want, sizeof want, "cycle of %d tasks", n_cyc);
    if (!JF_CHECK(strstr(msg, want) != NULL))
        fprintf(stderr, "  message: %s\n", msg);
    for (int i = 0; i < n_cyc; i++)
        JF_CHECK_MENTIONS(msg, cyc[i]);
    /* consecutive quoted ids are edges */
    int prev = -1, first = -1, steps = 0;
    for (const char *p = strchr(msg, '"'); p; p = strchr(p, '"')) {
        const char *q = strchr(p + 1, '"');
        if (!q)
            break;
        size_t len = (size_t)(q - p - 1);
        int cur = -1, on_cycle = 0;
        for (int i = 0; i < n; i++)
            if (len == strlen(names[i]) && strncmp(p + 1, names[i], len) == 0)
                cur = i;
        for (int i = 0; cur >= 0 && i < n_cyc; i++)
            on_cycle |= strcmp(names[cur], cyc[i]) == 0;
        if (!JF_CHECK(on_cycle)) /* a task not on the cycle */
            fprintf(stderr, "  message: %s\n", msg);
        if (cur >= 0 && prev >= 0 && !JF_CHECK(edge[prev * n + cur]))
            fprintf(stderr, "  no edge %s -> %s in: %s\n", names[prev], names[cur], msg);
        if (first < 0)
            first = cur;
        prev = cur;
        steps++;
        p = q + 1;
    }
    JF_CHECK_I(steps, ==, n_cyc + 1);
    JF_CHECK_I(prev, ==, first); /* closed */
}

static void test_self_dependency(void)
{
    jf_job *job = new_job("self");
    uint32_t a = add(job, "alpha"), b = add(job, "beta");
    jf_job_add_dep(job, a, b, 1);
    jf_job_add_dep(job, b, b, 1);
    JF_CHECK_STATUS(jf_job_validate(job), JF_EINVAL);
    JF_CHECK_MENTIONS(jf_job_errmsg(job), "beta");
    JF_CHECK(strstr(jf_job_errmsg(job), "itself") != NULL);
    JF_CHECK(strstr(jf_job_errmsg(job), "alpha") == NULL);
    JF_CHECK_STATUS(jf_job_validate(job), JF_EINVAL); /* still refused, no leak */
    jf_job_destroy(job);
}

static void test_cycles(void)
{
    /* 3-cycle x -> y -> z -> x with a tail in and out of it, tasks added so
     * that index order and edge order differ */
    {
        const char *names[] = {"out", "z", "src", "x", "y", "side"};
        enum { OUT, Z, SRC, X, Y, SIDE, N };
        unsigned char edge[N * N] = {0};
        int e[][2] = {{SRC, X}, {X, Y}, {Y, Z}, {Z, X}, {Z, OUT}, {SRC, SIDE}};
        jf_job *job = new_job("cycle3");
        for (int i = 0; i < N; i++)
            add(job, names[i]);
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
            jf_job_add_dep(job, (uint32_t)e[i][0], (uint32_t)e[i][1], 1);
            edge[e[i][0] * N + e[i][1]] = 1;
        }
        JF_CHECK_STATUS(jf_job_validate(job), JF_ECYCLE);
        const char *cyc[] = {"x", "y", "z"};
        check_cycle_message(jf_job_errmsg(job), names, N, edge, cyc, 3);
        JF_CHECK_STATUS(jf_job_validate(job), JF_ECYCLE);
        jf_job_destroy(job);
    }
    /* 2-cycle inside a bigger job, with a duplicated edge on it */
    {
        enum { N = 40 };
        unsigned char edge[N * N] = {0};
        char names[N][8];
        const char *ids[N];
        jf_job *job = new_job("cycle2");
        for (int i = 0; i < N; i++) {
            snprintf(names[i], sizeof names[i], "k%d", i);
            ids[i] = names[i];
            add(job, names[i]);
        }
        for (int i = 0; i + 1 < N; i++) {
            jf_job_add_dep(job, (uint32_t)i, (uint32_t)i + 1, 8);
            edge[i * N + i + 1] = 1;
        }
        jf_job_add_dep(job, 31, 30, 8);
        jf_job_add_dep(job, 31, 30, 8);
        edge[31 * N + 30] = 1;
        JF_CHECK_STATUS(jf_job_validate(job), JF_ECYCLE);
        const char *cyc[] = {ids[30], ids[31]};
        check_cycle_message(jf_job_errmsg(job), ids, N, edge, cyc, 2);
        JF_CHECK(strstr(jf_job_errmsg(job), "\"k29\"") == NULL);
        jf_job_destroy(job);
    }
    /* a long cycle: the message is shortened but names its length */
    {
        jf_job *job = new_job("ring");
        for (int i = 0; i < 1000; i++)
            jf_job_add_task_anon(job, NULL);
        for (uint32_t i = 0; i < 1000; i++)
            jf_job_add_dep(job, i, (i + 1) % 1000, 1);
        JF_CHECK_STATUS(jf_job_validate(job), JF_ECYCLE);
        JF_CHECK(strstr(jf_job_errmsg(job), "cycle of 1000 tasks") != NULL);
        JF_CHECK_U(strlen(jf_job_errmsg(job)), <, 1024);
        jf_job_destroy(job);
    }
}

/* ---- topological order and critical path ----------------------------------------- */

static void test_topo_and_critical_path(void)
{
    /* a(3) -> b(1) -> d(2); a -> c(5) -> d; e(20) alone: longest 20 */
    jf_job *job = new_job("cp");
    uint32_t d = add(job, "d"), c = add(job, "c"), b = add(job, "b"), a = add(job, "a");
    int time = jf_job_resource_find(job, "time");
    jf_job_set_demand(job, a, time, 3);
    jf_job_set_demand(job, b, time, 1);
    jf_job_set_demand(job, c, time, 5);
    jf_job_set_demand(job, d, time, 2);
    jf_job_add_dep(job, a, b, 1);
    jf_job_add_dep(job, a, c, 1);
    jf_job_add_dep(job, b, d, 1);
    jf_job_add_dep(job, c, d, 1);
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    check_csr(job);
    check_topo(job);
    JF_CHECK_D(jf_job_critical_path(job), ==, 10);
    const uint32_t *order = jf_job_topo_order(job);
    JF_CHECK_U(order[0], ==, a);
    JF_CHECK_U(order[3], ==, d);
    jf_job_destroy(job);

    /* the same job built twice gives the same order */
    uint32_t first[64];
    for (int round = 0; round < 2; round++) {
        jf_rng rng = jf_rng_seed(7);
        job = new_job("det");
        for (int i = 0; i < 64; i++)
            jf_job_add_task_anon(job, NULL);
        for (int e = 0; e < 150; e++) {
            uint32_t x = jf_rng_below(&rng, 63), y = x + 1 + jf_rng_below(&rng, 63 - x);
            jf_job_add_dep(job, 63 - y, 63 - x, 1);
        }
        JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
        check_topo(job);
        if (round == 0)
            memcpy(first, jf_job_topo_order(job), sizeof first);
        else
            JF_CHECK(memcmp(first, jf_job_topo_order(job), sizeof first) == 0);
        jf_job_destroy(job);
    }

    /* an empty job and a job without times */
    job = new_job("empty");
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    JF_CHECK_U(jf_job_task_count(job), ==, 0);
    JF_CHECK_U(jf_job_edge_count(job), ==, 0);
    JF_CHECK_D(jf_job_critical_path(job), ==, 0);
    jf_job_destroy(job);
    job = new_job("no time");
    add(job, "only");
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    JF_CHECK_D(jf_job_critical_path(job), ==, 0);
    JF_CHECK_U(jf_job_topo_order(job)[0], ==, 0);
    jf_job_destroy(job);

    /* a long chain: no recursion, linear work */
    job = new_job("chain");
    enum { LONG = 200000 };
    for (uint32_t i = 0; i < LONG; i++)
        jf_job_add_task_anon(job, NULL);
    time = jf_job_resource_find(job, "time");
    for (uint32_t i = LONG; i-- > 0;) {
        jf_job_set_demand(job, i, time, 1);
        if (i + 1 < LONG)
            jf_job_add_dep(job, i, i + 1, 1);
    }
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    JF_CHECK_D(jf_job_critical_path(job), ==, LONG);
    const uint32_t *o = jf_job_topo_order(job);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < LONG; i++)
        wrong += o[i] != i;
    JF_CHECK_U(wrong, ==, 0);
    jf_job_destroy(job);
}

/* ---- JSON round trip ----------------------------------------------------------- */

/* Two validated jobs are the same: name, ids in order, op, work,
 * resources (by name, with rules), demands, edges with bytes. */
static void check_same_job(const jf_job *x, const jf_job *y)
{
    JF_CHECK(strcmp(jf_job_name(x), jf_job_name(y)) == 0);
    uint32_t n = jf_job_task_count(x);
    if (!JF_CHECK_U(jf_job_task_count(y), ==, n) ||
        !JF_CHECK_U(jf_job_edge_count(y), ==, jf_job_edge_count(x)))
        return;
    for (int r = 0; r < jf_job_resource_count(x); r++) {
        const char *name = jf_job_resource_name(x, r);
        int ry = jf_job_resource_find(y, name);
        if (!JF_CHECK_I(ry, >=, 0)) {
            fprintf(stderr, "  resource %s lost\n", name);
            continue;
        }
        JF_CHECK_I(jf_job_resource_rule(y, ry), ==, jf_job_resource_rule(x, r));
        for (uint32_t t = 0; t < n; t++)
            if (!JF_CHECK_D(jf_job_demand(y, t, ry), ==, jf_job_demand(x, t, r)))
                fprintf(stderr, "  task %s, resource %s\n", jf_job_task_id(x, t), name);
    }
    JF_CHECK_I(jf_job_resource_count(y), ==, jf_job_resource_count(x));
    for (uint32_t t = 0; t < n; t++) {
        JF_CHECK(strcmp(jf_job_task_id(x, t), jf_job_task_id(y, t)) == 0);
        const char *ox = jf_job_op(x, t), *oy = jf_job_op(y, t);
        JF_CHECK((ox == NULL) == (oy == NULL) && (!ox || strcmp(ox, oy) == 0));
        JF_CHECK_I(jf_job_work(y, t).kind, ==, jf_job_work(x, t).kind);
        JF_CHECK_D(jf_job_work(y, t).us, ==, jf_job_work(x, t).us);
        const uint32_t *sx, *sy;
        const uint64_t *bx, *by;
        uint32_t nx = jf_job_succ(x, t, &sx, &bx), ny = jf_job_succ(y, t, &sy, &by);
        if (JF_CHECK_U(ny, ==, nx)) {
            JF_CHECK(memcmp(sx, sy, nx * sizeof *sx) == 0);
            JF_CHECK(memcmp(bx, by, nx * sizeof *bx) == 0);
        }
    }
}

static void test_round_trip(void)
{
    jf_job *job = new_job("round \"trip\" \\ job");
    const char *ids[] = {"load", "with \"quotes\"", "back\\slash", "tab\there", "new\nline",
                         "ctl\x01x",   "\xc3\xbcnicode \xe2\x9c\x93", "last"};
    enum { N = sizeof ids / sizeof ids[0] };
    for (int i = 0; i < N; i++)
        add(job, ids[i]);
    int mem = jf_job_resource(job, "memory"), time = jf_job_resource(job, "time");
    int threads = jf_job_resource(job, "threads");
    int slots = jf_job_declare_resource(job, "slots", JF_RULE_MAX);
    int weird = jf_job_resource(job, "we\"ird");
    jf_job_declare_resource(job, "unused", JF_RULE_MAX);
    double values[] = {0, 1, 4096, 1.5, 1e-7, 123456789.123, 9007199254740993.0, 1e300, 0.1};
    for (int i = 0; i < N; i++) {
        jf_job_set_demand(job, (uint32_t)i, mem, values[i % 9]);
        jf_job_set_demand(job, (uint32_t)i, time, values[(i + 3) % 9]);
        jf_job_set_demand(job, (uint32_t)i, threads, (double)(i % 4));
        jf_job_set_demand(job, (uint32_t)i, slots, values[(i + 5) % 9]);
        jf_job_set_demand(job, (uint32_t)i, weird, (double)i / 3.0);
    }
    jf_job_set_op(job, 1, "Mul");
    jf_job_set_op(job, 6, "Conv \"2d\"");
    jf_job_set_work(job, 0, (jf_work){JF_WORK_SPIN, 3});
    jf_job_set_work(job, 2, (jf_work){JF_WORK_SLEEP, 0.25});
    jf_job_set_work(job, 3, (jf_work){JF_WORK_NOOP, 0});
    jf_job_add_dep(job, 0, 1, 4096);
    jf_job_add_dep(job, 0, 2, 0);
    jf_job_add_dep(job, 1, 3, 1);
    jf_job_add_dep(job, 2, 3, UINT64_C(1) << 40);
    jf_job_add_dep(job, 3, 7, 5);
    jf_job_add_dep(job, 6, 5, 10); /* a later task before an earlier one */
    jf_job_add_dep(job, 5, 4, 11);
    jf_job_add_dep(job, 6, 5, 20); /* merged: 30 */
    jf_job_add_dep(job, 4, 7, UINT64_C(1) << 53);
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);

    char p1[400], p2[400];
    tmp_path(p1, sizeof p1, "round1.json");
    tmp_path(p2, sizeof p2, "round2.json");
    JF_CHECK_STATUS(jf_job_write_json(job, p1), JF_OK);
    JF_CHECK(!tmp_leftovers());
    jf_job *back = NULL;
    jf_status st = jf_job_read_json(p1, &back);
    if (!JF_CHECK_STATUS(st, JF_OK))
        fprintf(stderr, "  %s\n", jf_job_errmsg(back));
    else {
        check_same_job(job, back);
        /* written again: the same bytes */
        JF_CHECK_STATUS(jf_job_write_json(back, p2), JF_OK);
        char *t1 = read_whole(p1), *t2 = read_whole(p2);
        JF_CHECK(t1 && t2 && strcmp(t1, t2) == 0);
        free(t1);
        free(t2);
    }
    jf_job_destroy(back);

    /* overwriting an existing file is atomic and leaves nothing behind */
    JF_CHECK_STATUS(jf_job_write_json(job, p1), JF_OK);
    JF_CHECK(!tmp_leftovers());

    /* a folder that does not exist: JF_EIO naming the path, nothing left */
    char bad[400];
    tmp_path(bad, sizeof bad, "no/such/dir.json");
    JF_CHECK_STATUS(jf_job_write_json(job, bad), JF_EIO);
    JF_CHECK(strstr(jf_job_errmsg(job), bad) != NULL);
    JF_CHECK(!tmp_leftovers());
    jf_job_destroy(job);
    remove(p1);
    remove(p2);
}

/* Bytes are whole numbers up to 2^63-1: the writer prints them exactly, so
 * the reader must read them back exactly, also above 2^53. */
static void test_round_trip_big_bytes(void)
{
    static const uint64_t big[] = {(UINT64_C(1) << 53) + 1, UINT64_C(9223372036854775807)};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        jf_job *job = new_job("big bytes");
        uint32_t a = add(job, "a"), b = add(job, "b");
        jf_job_add_dep(job, a, b, big[i]);
        JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
        char p[400];
        tmp_path(p, sizeof p, "big_bytes.json");
        JF_CHECK_STATUS(jf_job_write_json(job, p), JF_OK);
        jf_job *back = NULL;
        if (JF_CHECK_STATUS(jf_job_read_json(p, &back), JF_OK)) {
            const uint32_t *t;
            const uint64_t *by;
            if (JF_CHECK_U(jf_job_succ(back, 0, &t, &by), ==, 1) && !JF_CHECK_U(by[0], ==, big[i]))
                fprintf(stderr, "  bytes %llu written, %llu read back\n",
                        (unsigned long long)big[i], (unsigned long long)by[0]);
        }
        jf_job_destroy(back);
        jf_job_destroy(job);
        remove(p);
    }
}

/* The C API accepts ids that jobfuse-job/1 must carry; a job written by
 * jf_job_write_json reads back. (An empty id: either refuse it when added,
 * or read it back.) */
static void test_empty_id(void)
{
    jf_job *job = new_job("empty id");
    jf_status st = jf_job_add_task_id(job, "", NULL);
    if (st == JF_OK) {
        char p[400];
        tmp_path(p, sizeof p, "empty_id.json");
        JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
        JF_CHECK_STATUS(jf_job_write_json(job, p), JF_OK);
        jf_job *back = NULL;
        if (!JF_CHECK_STATUS(jf_job_read_json(p, &back), JF_OK))
            fprintf(stderr, "  jf_job_add_task_id accepted \"\" but the written job reads "
                            "back as: %s\n",
                    jf_job_errmsg(back));
        jf_job_destroy(back);
        remove(p);
    } else {
        JF_CHECK_STATUS(st, JF_EINVAL);
    }
    jf_job_destroy(job);
}

/* ---- reading: statuses and messages ------------------------------------------------ */

static void expect_read(const char *name, const char *text, jf_status want, const char *msg_part)
{
    char p[400];
    tmp_path(p, sizeof p, name);
    write_file(p, text);
    jf_job *job = NULL;
    jf_status st = jf_job_read_json(p, &job);
    JF_CHECK(job != NULL); /* set even on failure, for the message */
    jf_test_context("%s", name);
    JF_CHECK_STATUS(st, want);
    char full[512];
    snprintf(full, sizeof full, "%s%s", p, msg_part);
    if (!JF_CHECK(strncmp(jf_job_errmsg(job), full, strlen(full)) == 0))
        fprintf(stderr, "  message \"%s\", want it to start with \"%s\"\n", jf_job_errmsg(job),
                full);
    jf_test_context("%s", "");
    jf_job_destroy(job);
    remove(p);
}

static void test_read_errors(void)
{
    expect_read("comma.json", "{\"format\": \"jobfuse-job/1\",\n \"tasks\": [\n  {\"id\": \"a\"}\n  {\"id\": \"b\"}]}",
                JF_EPARSE, ":4:3: ");
    expect_read("nan.json", "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\", \"demand\": {\"m\": NaN}}]}",
                JF_EPARSE, ":1:");
    expect_read("cycle.json",
                "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\", \"deps\": [\"b\"]}, "
                "{\"id\": \"b\", \"deps\": [\"a\"]}]}",
                JF_ECYCLE, ": cycle of 2 tasks: ");
    expect_read("dup.json", "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}",
                JF_EINVAL, ": task \"a\": duplicate id");
    expect_read("unknown.json",
                "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\", \"deps\": [\"zz\"]}]}",
                JF_EINVAL, ": task \"a\": depends on unknown task \"zz\"");
    expect_read("self.json",
                "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\", \"deps\": [\"a\"]}]}",
                JF_EINVAL, ": task \"a\": depends on itself");
    expect_read("neg.json",
                "{\"format\": \"jobfuse-job/1\", \"tasks\": [{\"id\": \"a\", \"demand\": {\"time\": -1}}]}",
                JF_EINVAL, ": task \"a\": demand \"time\"");

    /* a missing file: JF_EIO, the path in the message */
    char p[400];
    tmp_path(p, sizeof p, "does_not_exist.json");
    jf_job *job = NULL;
    JF_CHECK_STATUS(jf_job_read_json(p, &job), JF_EIO);
    JF_CHECK(job != NULL && strstr(jf_job_errmsg(job), p) != NULL);
    jf_job_destroy(job);

    /* forward references are fine; the duplicate warning reaches the callback */
    tmp_path(p, sizeof p, "forward.json");
    write_file(p, "{\"format\": \"jobfuse-job/1\", \"name\": \"fwd\", \"tasks\": ["
                  "{\"id\": \"late\", \"deps\": [\"early\", {\"task\": \"early\", \"bytes\": 5}]},"
                  "{\"id\": \"early\", \"demand\": {\"custom\": 2}}]}");
    jf_log_set(capture_log, NULL);
    log_reset();
    JF_CHECK_STATUS(jf_job_read_json(p, &job), JF_OK);
    jf_log_set(NULL, NULL);
    JF_CHECK_I(log_warnings, ==, 1);
    JF_CHECK_MENTIONS(log_text, "late");
    JF_CHECK_MENTIONS(log_text, "early");
    JF_CHECK(strcmp(jf_job_name(job), "fwd") == 0);
    const uint32_t *t;
    const uint64_t *by;
    if (JF_CHECK_U(jf_job_succ(job, 1, &t, &by), ==, 1)) {
        JF_CHECK_U(t[0], ==, 0);
        JF_CHECK_U(by[0], ==, 5);
    }
    int custom = jf_job_resource_find(job, "custom");
    JF_CHECK_I(custom, >=, 0);
    JF_CHECK_I(jf_job_resource_rule(job, custom), ==, JF_RULE_SUM);
    JF_CHECK_D(jf_job_demand(job, 1, custom), ==, 2);
    jf_job_destroy(job);
    remove(p);
}

/* Every prefix of a good job and many one-byte changes of it: the reader
 * never crashes, never accepts a cut file, and a syntax error always
 * carries a position. */
static void test_mangled_input(void)
{
    static const char good[] =
        "{\"format\": \"jobfuse-job/1\", \"name\": \"m\",\n"
        " \"resources\": {\"memory\": \"sum\", \"threads\": \"max\"},\n"
        " \"tasks\": [\n"
        "  {\"id\": \"a\", \"op\": \"Mul\", \"demand\": {\"memory\": 4096, \"time\": 1.5},"
        " \"work\": {\"kind\": \"spin\", \"us\": 3}},\n"
        "  {\"id\": \"b\", \"deps\": [\"a\", {\"task\": \"a\", \"bytes\": 8}]},\n"
        "  {\"id\": \"c\", \"deps\": [{\"task\": \"b\", \"bytes\": 16}], \"demand\": {\"threads\": 2}}\n"
        " ]}";
    size_t len = strlen(good);
    char p[400], *text = jf_test_alloc(len + 1, 1);
    tmp_path(p, sizeof p, "mangled.json");
    int bad_results = 0, accepted = 0;
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(text, good, cut);
        text[cut] = '\0';
        write_file(p, text);
        jf_job *job = NULL;
        jf_status st = jf_job_read_json(p, &job);
        if (st == JF_OK || (st == JF_EPARSE && strncmp(jf_job_errmsg(job), p, strlen(p)) != 0)) {
            if (bad_results++ < 3)
                fprintf(stderr, "  cut at %zu: %s, \"%s\"\n", cut, jf_status_str(st),
                        jf_job_errmsg(job));
        }
        jf_job_destroy(job);
    }
    static const char subst[] = "\"{}[],:-0x\\ \xff";
    for (size_t at = 0; at < len; at++)
        for (size_t k = 0; k < sizeof subst - 1; k++) {
            if (good[at] == subst[k])
                continue;
            memcpy(text, good, len + 1);
            text[at] = subst[k];
            write_file(p, text);
            jf_job *job = NULL;
            jf_status st = jf_job_read_json(p, &job);
            accepted += st == JF_OK;
            if (st != JF_OK && strncmp(jf_job_errmsg(job), p, strlen(p)) != 0 &&
                bad_results++ < 3)
                fprintf(stderr, "  byte %zu -> '%c': message without the path: \"%s\"\n", at,
                        subst[k], jf_job_errmsg(job));
            if (st == JF_EPARSE) {
                int line = 0, col = 0;
                const char *pos = jf_job_errmsg(job) + strlen(p);
                if (sscanf(pos, ":%d:%d:", &line, &col) != 2 || line < 1)
                    bad_results += bad_results < 1000;
            }
            if (st == JF_OK) {
                check_csr(job);
                check_topo(job);
            }
            jf_job_destroy(job);
        }
    JF_CHECK_I(bad_results, ==, 0);
    JF_CHECK_I(accepted, >, 0); /* some changes keep the job valid (ids, digits) */
    free(text);
    remove(p);
}

/* ---- quantities and limits ------------------------------------------------------------ */

static void test_parse_quantity(void)
{
    static const struct {
        const char *text;
        double value;
    } good[] = {{"4MiB", 4194304.0},  {"2G", 2e9},      {"1.5e6", 1.5e6},
                {"512k", 512e3},      {"512K", 512e3},  {"1KiB", 1024.0},
                {"3GiB", 3221225472.0}, {"1TiB", 1099511627776.0}, {"2Gi", 2147483648.0},
                {"2Mi", 2097152.0},   {"10B", 10.0},    {"7", 7.0},
                {"0", 0.0},           {"2.5MB", 2.5e6}, {"1kB", 1e3},
                {"1T", 1e12},         {"8M", 8e6},      {"0.5KiB", 512.0},
                {"1e3k", 1e6}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        jf_test_context("jf_parse_quantity(\"%s\")", good[i].text);
        if (JF_CHECK_I(jf_parse_quantity(good[i].text, &v), ==, 0))
            JF_CHECK_D(v, ==, good[i].value);
    }
    static const char *const bad[] = {"",     "MiB",  "B",    "abc",   "4XB",  "4mib",
                                      "4MiBB", "4MiB ", "4..5", "1e999", "nan", "inf",
                                      "4 MiB", "--4",  "4%",   "1e308T", "0x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 12345;
        jf_test_context("jf_parse_quantity(\"%s\")", bad[i]);
        JF_CHECK_I(jf_parse_quantity(bad[i], &v), !=, 0);
    }
    double v;
    jf_test_context("jf_parse_quantity(NULL)");
    JF_CHECK_I(jf_parse_quantity(NULL, &v), !=, 0);
    jf_test_context("%s", "");
}

static void test_limit_parse(void)
{
    static const struct {
        const char *text, *resource;
        double value;
        int percent;
    } good[] = {{"memory=4MiB", "memory", 4194304.0, 0}, {"memory=50%", "memory", 50, 1},
                {"threads=2", "threads", 2, 0},          {"time=1.5e6", "time", 1.5e6, 0},
                {"x_y.z-w=1k", "x_y.z-w", 1000, 0},      {"memory=0", "memory", 0, 0},
                {"memory=12.5%", "memory", 12.5, 1},     {"flops=2G", "flops", 2e9, 0},
                {"a23456789012345678901234567890b=1", "a23456789012345678901234567890b", 1, 0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        jf_limit l;
        memset(&l, 0x55, sizeof l);
        jf_test_context("jf_limit_parse(\"%s\")", good[i].text);
        if (!JF_CHECK_I(jf_limit_parse(good[i].text, &l), ==, 0))
            continue;
        JF_CHECK(strcmp(l.resource, good[i].resource) == 0);
        JF_CHECK_D(l.value, ==, good[i].value);
        JF_CHECK_I(l.percent, ==, good[i].percent);
    }
    static const char *const bad[] = {
        "memory",      "=5",          "memory=",     "memory=-5",  "memory=lots",
        "memory=50%%", "memory=%",    "mem ory=5",   "memory=-5%", "memory=nan",
        "memory=inf%", "memory=5%x",  "memory=4 MiB", "me\"m=1",   "memory=1e999",
        "a234567890123456789012345678901b=1", /* 32 characters: too long */
        ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jf_limit l;
        jf_test_context("jf_limit_parse(\"%s\")", bad[i]);
        JF_CHECK_I(jf_limit_parse(bad[i], &l), !=, 0);
    }
    jf_test_context("%s", "");
}

static void test_status_strings(void)
{
    for (int s = 0; s < JF_STATUS_COUNT; s++) {
        const char *text = jf_status_str((jf_status)s);
        JF_CHECK(text != NULL && text[0] != '\0');
        for (int k = 0; k < s; k++)
            JF_CHECK(strcmp(text, jf_status_str((jf_status)k)) != 0);
    }
    JF_CHECK(strcmp(jf_status_str(JF_OK), "ok") == 0);
    JF_CHECK(jf_status_str((jf_status)1000) != NULL);
    JF_CHECK(jf_status_str((jf_status)-1) != NULL);
}

static int noop_task(void *arg)
{
    (void)arg;
    return 0;
}

/* Tasks added without an id are named "t<index>" when an id is first
 * needed, in index order, skipping names users took ("t<index>_<k>"). */
static void test_anonymous_ids(void)
{
    jf_job *job = new_job("anon");
    uint32_t a, b, c, d, found;
    JF_CHECK_STATUS(jf_job_add_task(job, noop_task, NULL, &a), JF_OK);
    JF_CHECK_STATUS(jf_job_add_task_anon(job, &b), JF_OK);
    /* a user id equal to a pending name: the pending one is named first */
    JF_CHECK_STATUS(jf_job_add_task_id(job, "t1", &c), JF_EINVAL);
    JF_CHECK_STATUS(jf_job_add_task_id(job, "t3", &c), JF_OK);
    JF_CHECK_STATUS(jf_job_add_task_anon(job, &d), JF_OK);
    JF_CHECK_U(d, ==, 3);
    JF_CHECK(strcmp(jf_job_task_id(job, d), "t3_1") == 0);
    JF_CHECK(strcmp(jf_job_task_id(job, a), "t0") == 0);
    JF_CHECK(strcmp(jf_job_task_id(job, b), "t1") == 0);
    JF_CHECK(jf_job_task_find(job, "t3_1", &found) && found == d);
    JF_CHECK(jf_job_task_find(job, "t0", &found) && found == a);
    JF_CHECK_STATUS(jf_job_validate(job), JF_OK);
    jf_job_destroy(job);
}

int main(void)
{
    make_tmp_dir();
    jf_alloc_stats base, end;
    jf_alloc_get_stats(&base);
    test_ids();
    test_resources();
    for (uint64_t s = 1; s <= 40; s++)
        test_csr_random(s);
    test_duplicate_deps();
    test_duplicate_bytes_overflow();
    test_self_dependency();
    test_cycles();
    test_topo_and_critical_path();
    test_round_trip();
    test_round_trip_big_bytes();
    test_empty_id();
    test_read_errors();
    test_mangled_input();
    test_parse_quantity();
    test_limit_parse();
    test_status_strings();
    test_anonymous_ids();
    jf_alloc_get_stats(&end);
    JF_CHECK_U(end.bytes_in_use, ==, base.bytes_in_use); /* everything destroyed */
    rmdir(tmp_dir);
    return jf_test_finish("test_job", "groups of checks", 18);
}
