/* Graphviz DOT of a job, with the targets of a plan as clusters. Jobs too
 * big to draw task by task are drawn as their combined graph instead. */
#include <inttypes.h>

#include "core/job_impl.h"
#include "jobfuse/plan.h"

/* Above this many tasks a drawing of every task is useless: dot takes
 * minutes and the picture is a smear. */
#define JF__DOT_MAX_TASKS 5000

/* Length of the UTF-8 sequence starting at p, or 0 when it is not valid
 * (dot rejects bad UTF-8, so such bytes are replaced). */
static int utf8_len(const unsigned char *p)
{
    int n = *p > 0xf4 ? 0 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Write s inside a DOT quoted string: quotes and backslashes escaped (a
 * backslash starts \N, \G, ... in labels), control bytes shown as \xNN. */
static void put_escaped(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p++, f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\\\x%02x", *p++);
        } else if (*p < 0x80) {
            fputc(*p++, f);
        } else {
            int n = utf8_len(p);
            if (n == 0) {
                fputc('?', f);
                p++;
            } else {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            }
        }
    }
}

/* "512 B", "4 KiB", "1.5 MiB". */
static void put_bytes(FILE *f, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    double v = (double)bytes;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    if (u == 0 || v == (double)(uint64_t)v)
        fprintf(f, "%.0f %s", v, units[u]);
    else
        fprintf(f, "%.1f %s", v, units[u]);
}

static void put_edge(FILE *f, char kind, uint32_t from, uint32_t to, uint64_t bytes)
{
    fprintf(f, "    %c%" PRIu32 " -> %c%" PRIu32, kind, from, kind, to);
    if (bytes) {
        fputs(" [label=\"", f);
        put_bytes(f, bytes);
        fputs("\"]", f);
    }
    fputs(";\n", f);
}

static void put_task(FILE *f, const jf_job *job, uint32_t task, const char *indent)
{
    fprintf(f, "%sn%" PRIu32 " [label=\"", indent, task);
    put_escaped(f, jf_job_task_id(job, task));
    const char *op = jf_job_op(job, task);
    if (op && *op) {
        fputs("\\n", f);
        put_escaped(f, op);
    }
    fputs("\"];\n", f);
}

static uint32_t target_size(const jf_plan *plan, uint32_t t)
{
    const uint32_t *members;
    return jf_plan_target_members(plan, t, &members);
}

static void put_cluster(FILE *f, const jf_job *job, const jf_plan *plan, uint32_t t)
{
    const uint32_t *members;
    uint32_t n = jf_plan_target_members(plan, t, &members);
    fprintf(f, "    subgraph cluster_T%" PRIu32 " {\n", t);
    fprintf(f, "        label=\"T%" PRIu32 " (%" PRIu32 " tasks)\";\n", t, n);
    fputs("        style=\"rounded,filled\"; fillcolor=\"#eef3fb\"; color=\"#4a72b0\";\n", f);
    for (uint32_t i = 0; i < n; i++)
        put_task(f, job, members[i], "        ");
    fputs("    }\n", f);
}

/* Every task, multi-member targets as clusters, every edge of the job. */
static void put_job_graph(FILE *f, const jf_job *job, const jf_plan *plan)
{
    uint32_t n = jf_job_task_count(job);
    for (uint32_t t = 0; plan && t < jf_plan_target_count(plan); t++)
        if (target_size(plan, t) > 1)
            put_cluster(f, job, plan, t);
    for (uint32_t i = 0; i < n; i++) {
        if (plan && target_size(plan, jf_plan_target_of(plan, i)) > 1)
            continue;
        put_task(f, job, i, "    ");
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t *succ;
        const uint64_t *bytes;
        uint32_t k = jf_job_succ(job, i, &succ, &bytes);
        for (uint32_t j = 0; j < k; j++)
            put_edge(f, 'n', i, succ[j], bytes[j]);
    }
}

/* One node per target (a lone task keeps its id), edges between targets
 * with summed bytes. */
static void put_target_graph(FILE *f, const jf_job *job, const jf_plan *plan)
{
    uint32_t n = jf_plan_target_count(plan);
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *members;
        uint32_t k = jf_plan_target_members(plan, t, &members);
        fprintf(f, "    t%" PRIu32 " [label=\"", t);
        if (k == 1)
            put_escaped(f, jf_job_task_id(job, members[0]));
        else
            fprintf(f, "T%" PRIu32 "\\n%" PRIu32 " tasks\", style=\"rounded,filled\", "
                       "fillcolor=\"#eef3fb", t, k);
        fputs("\"];\n", f);
    }
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t *succ;
        const uint64_t *bytes;
        uint32_t k = jf_plan_target_succ(plan, t, &succ, &bytes);
        for (uint32_t j = 0; j < k; j++)
            put_edge(f, 't', t, succ[j], bytes[j]);
    }
}

static void put_header(FILE *f, const jf_job *job, const jf_plan *plan, int combined)
{
    uint32_t n = jf_job_task_count(job);
    fprintf(f, "// jobfuse: job \"");
    put_escaped(f, jf_job_name(job));
    fprintf(f, "\", %" PRIu32 " tasks, %" PRIu64 " edges", n, jf_job_edge_count(job));
    if (plan)
        fprintf(f, "; plan: %" PRIu32 " targets, %" PRIu64 " edges", jf_plan_target_count(plan),
                jf_plan_edge_count(plan));
    fputc('\n', f);
    if (combined)
        fprintf(f, "// More than %d tasks: drawn as the combined graph, one node per target\n"
                   "// and edges between targets with summed bytes, so that dot stays usable.\n",
                JF__DOT_MAX_TASKS);
    else if (n > JF__DOT_MAX_TASKS)
        fprintf(f, "// More than %d tasks: dot will be slow; draw a plan of this job to get\n"
                   "// one node per target instead.\n",
                JF__DOT_MAX_TASKS);
    fputs("digraph \"", f);
    put_escaped(f, jf_job_name(job));
    fputs("\" {\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
          "    edge [fontname=\"Helvetica\", fontsize=10];\n",
          f);
}

jf_status jf_write_dot(const jf_job *job, const jf_plan *plan, const char *path)
{
    if (!job || !path || !job->validated || (plan && jf_plan_job(plan) != job))
        return JF_EINVAL;
    int combined = plan && jf_job_task_count(job) > JF__DOT_MAX_TASKS;
    jf__out out;
    if (jf__out_open(&out, path) != 0)
        return JF_EIO;
    put_header(out.file, job, plan, combined);
    if (combined)
        put_target_graph(out.file, job, plan);
    else
        put_job_graph(out.file, job, plan);
    fputs("}\n", out.file);
    return jf__out_close(&out, 1) == 0 ? JF_OK : JF_EIO;
}
