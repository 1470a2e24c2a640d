/* Chrome trace-event JSON of a run: one complete ("X") event per target on
 * its worker's track, member ids in args. Opens in Perfetto. */
#include <errno.h>

#include "core/plan_impl.h"
#include "jobfuse/run.h"

static void write_members(FILE *f, const jf_plan *plan, uint32_t target)
{
    const jf_job *job = plan->job;
    enum { SHOWN = 64 }; /* a million-member target would make the file useless */
    uint64_t b = plan->member_off[target], e = plan->member_off[target + 1];
    fputs("\"members\": [", f);
    for (uint64_t k = b; k < e && k < b + SHOWN; k++) {
        fputs(k > b ? ", " : "", f);
        jf__json_put_string(f, jf__id(job, plan->members[k]));
    }
    fprintf(f, "], \"member_count\": %llu", (unsigned long long)(e - b));
}

static void write_slice(FILE *f, const jf_plan *plan, const jf_slice *s)
{
    fprintf(f, "{\"name\": \"T%u\", \"cat\": \"target\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, "
               "\"ts\": %.3f, \"dur\": %.3f, \"args\": {",
            s->target, s->worker, (double)s->start_ns / 1e3,
            (double)(s->end_ns - s->start_ns) / 1e3);
    write_members(f, plan, s->target);
    fputs("}}", f);
}

static void write_thread_names(FILE *f, int threads)
{
    for (int w = 0; w < threads; w++)
        fprintf(f, "%s{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %d, "
                   "\"args\": {\"name\": \"worker %d\"}}",
                w ? ",\n" : "", w, w);
}

jf_status jf_trace_write_json(const jf_plan *plan, const jf_run_stats *stats, const char *path)
{
    jf__out out;
    if (jf__out_open(&out, path) != 0)
        return JF_EIO;
    FILE *f = out.file;
    fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", f);
    write_thread_names(f, stats->threads);
    for (uint64_t i = 0; i < stats->n_slices; i++) {
        fputs(i > 0 || stats->threads > 0 ? ",\n" : "", f);
        write_slice(f, plan, &stats->slices[i]);
    }
    fputs("\n]}\n", f);
    return jf__out_close(&out, 1) == 0 ? JF_OK : JF_EIO;
}
