/* jobfuse-plan/1, written as a stream: one target per line. */
#include <errno.h>

#include "core/plan_impl.h"

static void write_members(FILE *f, const jf_plan *plan, uint32_t g)
{
    const jf_job *job = plan->job;
    fputs(", \"members\": [", f);
    for (uint64_t k = plan->member_off[g]; k < plan->member_off[g + 1]; k++) {
        fputs(k > plan->member_off[g] ? ", " : "", f);
        jf__json_put_string(f, jf__id(job, plan->members[k]));
    }
    putc(']', f);
}

static void write_demand(FILE *f, const jf_plan *plan, uint32_t g)
{
    const jf_job *job = plan->job;
    fputs(", \"demand\": {", f);
    for (int r = 0, first = 1; r < job->n_res; r++) {
        double v = jf_plan_target_demand(plan, g, r);
        if (v == 0)
            continue;
        fputs(first ? "" : ", ", f);
        first = 0;
        jf__json_put_string(f, job->res_name[r]);
        fputs(": ", f);
        jf__json_put_number(f, v);
    }
    putc('}', f);
}

static void write_deps(FILE *f, const jf_plan *plan, uint32_t g)
{
    fputs(", \"deps\": [", f);
    for (uint64_t e = plan->pred_off[g]; e < plan->pred_off[g + 1]; e++)
        fprintf(f, "%s{\"target\": \"T%u\", \"bytes\": %llu}", e > plan->pred_off[g] ? ", " : "",
                plan->pred[e], (unsigned long long)plan->pred_bytes[e]);
    putc(']', f);
}

static void write_target(FILE *f, const jf_plan *plan, const jf_devices *devs, uint32_t g)
{
    fprintf(f, "  {\"id\": \"T%u\"", g);
    write_members(f, plan, g);
    write_demand(f, plan, g);
    write_deps(f, plan, g);
    int d = plan->device[g];
    if (d >= 0 && devs && d < jf_devices_count(devs)) {
        fputs(", \"device\": ", f);
        jf__json_put_string(f, jf_devices_id(devs, d));
    }
    if (plan->notes && plan->notes[g]) {
        fputs(", \"note\": ", f);
        jf__json_put_string(f, plan->notes[g]);
    }
    putc('}', f);
}

static void write_header(FILE *f, const jf_plan *plan)
{
    fprintf(f, "{\"format\": \"%s\", \"job\": ", JF_PLAN_FORMAT);
    jf__json_put_string(f, plan->job->name);
    if (plan->source_path) {
        fputs(",\n \"source\": {\"path\": ", f);
        jf__json_put_string(f, plan->source_path);
        fputs(", \"sha256\": ", f);
        jf__json_put_string(f, plan->source_sha256 ? plan->source_sha256 : "");
        if (plan->source_onnx_json)
            fprintf(f, ", \"onnx\": %s", plan->source_onnx_json);
        putc('}', f);
    }
    fprintf(f, ",\n \"options\": %s", plan->options_json ? plan->options_json : "{}");
}

jf_status jf_plan_write_json(const jf_plan *plan, const jf_devices *devs, const char *path)
{
    jf__out out;
    if (jf__out_open(&out, path) != 0) {
        jf__fmt(((jf_plan *)plan)->errmsg, JF__ERRMSG, "%s: %s", path, strerror(errno));
        return JF_EIO;
    }
    FILE *f = out.file;
    write_header(f, plan);
    fputs(",\n \"targets\": [\n", f);
    for (uint32_t g = 0; g < plan->n_targets; g++) {
        write_target(f, plan, devs, g);
        fputs(g + 1 < plan->n_targets ? ",\n" : "\n", f);
    }
    fprintf(f,
            " ],\n \"summary\": {\"tasks_before\": %u, \"tasks_after\": %u, "
            "\"edges_before\": %llu, \"edges_after\": %llu}}\n",
            plan->job->n_tasks, plan->n_targets, (unsigned long long)plan->job->n_edges,
            (unsigned long long)plan->n_edges);
    if (jf__out_close(&out, 1) != 0) {
        jf__fmt(((jf_plan *)plan)->errmsg, JF__ERRMSG, "%s: %s", path, strerror(errno));
        return JF_EIO;
    }
    return JF_OK;
}
