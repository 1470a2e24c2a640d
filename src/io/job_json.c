/* jobfuse-job/1: read with jansson (positions in parse errors), written
 * as a stream so that a million tasks need no second copy in memory. */
#include <errno.h>
#include <jansson.h>
#include <math.h>

#include "core/job_impl.h"
#include "io/json_load.h"

typedef struct {
    jf_job *job;
    const char *path;
} reader;

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static jf_status read_resources(reader *rd, json_t *res)
{
    if (!res)
        return JF_OK;
    if (!json_is_object(res))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: \"resources\" must be an object, not %s",
                            rd->path, type_name(res));
    const char *name;
    json_t *rule;
    json_object_foreach(res, name, rule) {
        const char *s = json_is_string(rule) ? json_string_value(rule) : "";
        if (strcmp(s, "sum") != 0 && strcmp(s, "max") != 0)
            return jf__job_fail(rd->job, JF_EINVAL,
                                "%s: resource \"%s\": the rule must be \"sum\" or \"max\"",
                                rd->path, name);
        if (jf_job_declare_resource(rd->job, name, s[1] == 'u' ? JF_RULE_SUM : JF_RULE_MAX) < 0)
            return jf__job_fail(rd->job, JF_ENOMEM, "out of memory");
    }
    return JF_OK;
}

static jf_status read_demand(reader *rd, uint32_t t, json_t *demand)
{
    const char *id = jf__id(rd->job, t);
    if (!json_is_object(demand))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": \"demand\" must be an object, not %s",
                            rd->path, id, type_name(demand));
    const char *name;
    json_t *v;
    json_object_foreach(demand, name, v) {
        if (!json_is_number(v))
            return jf__job_fail(rd->job, JF_EINVAL,
                                "%s: task \"%s\": demand \"%s\" must be a number, not %s",
                                rd->path, id, name, type_name(v));
        double x = json_number_value(v);
        if (!isfinite(x) || x < 0)
            return jf__job_fail(rd->job, JF_EINVAL,
                                "%s: task \"%s\": demand \"%s\" must be >= 0 (got %g)", rd->path,
                                id, name, x);
        int r = jf_job_resource(rd->job, name);
        if (r < 0)
            return jf__job_fail(rd->job, JF_ENOMEM, "out of memory");
        rd->job->demand[r][t] = x;
    }
    return JF_OK;
}

static jf_status read_work(reader *rd, uint32_t t, json_t *work)
{
    const char *id = jf__id(rd->job, t);
    json_t *kind = json_object_get(work, "kind"), *us = json_object_get(work, "us");
    if (!json_is_object(work) || !json_is_string(kind))
        return jf__job_fail(rd->job, JF_EINVAL,
                            "%s: task \"%s\": \"work\" must be {\"kind\": \"noop|spin|sleep\", \"us\": N}",
                            rd->path, id);
    const char *k = json_string_value(kind);
    jf_work w = {JF_WORK_NOOP, 0};
    if (strcmp(k, "spin") == 0)
        w.kind = JF_WORK_SPIN;
    else if (strcmp(k, "sleep") == 0)
        w.kind = JF_WORK_SLEEP;
    else if (strcmp(k, "noop") != 0)
        return jf__job_fail(rd->job, JF_EINVAL,
                            "%s: task \"%s\": unknown work kind \"%s\" (noop, spin or sleep)",
                            rd->path, id, k);
    if (us && (!json_is_number(us) || !(json_number_value(us) >= 0)))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": work \"us\" must be a number >= 0",
                            rd->path, id);
    w.us = us ? json_number_value(us) : 0;
    rd->job->work[t] = w;
    return JF_OK;
}

/* First pass: ids, demands, work and op of every task. */
static jf_status read_task(reader *rd, size_t i, json_t *task)
{
    if (!json_is_object(task))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task #%zu: must be an object, not %s",
                            rd->path, i, type_name(task));
    json_t *id = json_object_get(task, "id");
    if (!id)
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task #%zu: missing \"id\"", rd->path, i);
    if (!json_is_string(id) || json_string_length(id) == 0)
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task #%zu: \"id\" must be a non-empty string",
                            rd->path, i);
    uint32_t t;
    if (jf_job_task_find(rd->job, json_string_value(id), &t))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": duplicate id (tasks #%u and #%zu)",
                            rd->path, json_string_value(id), t, i);
    if (jf_job_add_task_id(rd->job, json_string_value(id), &t) != JF_OK)
        return JF_ENOMEM;
    json_t *demand = json_object_get(task, "demand"), *work = json_object_get(task, "work");
    json_t *op = json_object_get(task, "op");
    jf_status st = demand ? read_demand(rd, t, demand) : JF_OK;
    if (st == JF_OK && work)
        st = read_work(rd, t, work);
    if (st == JF_OK && op && !json_is_string(op))
        st = jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": \"op\" must be a string",
                          rd->path, json_string_value(id));
    if (st == JF_OK && op && jf_job_set_op(rd->job, t, json_string_value(op)) != JF_OK)
        st = JF_ENOMEM;
    return st;
}

/* Bytes are read as integers so that large values keep every digit. */
static int read_bytes(json_t *v, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    double x = json_is_real(v) ? json_real_value(v) : -1;
    if (!(x >= 0) || x != floor(x) || x >= 9.2e18)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

static jf_status read_dep(reader *rd, uint32_t t, json_t *dep)
{
    const char *id = jf__id(rd->job, t);
    json_t *name = dep, *bytes = NULL;
    if (json_is_object(dep)) {
        name = json_object_get(dep, "task");
        bytes = json_object_get(dep, "bytes");
    }
    if (!json_is_string(name))
        return jf__job_fail(rd->job, JF_EINVAL,
                            "%s: task \"%s\": a dependency must be a task id or {\"task\": id, \"bytes\": N}",
                            rd->path, id);
    uint64_t b = 0;
    if (bytes && read_bytes(bytes, &b) != 0)
        return jf__job_fail(rd->job, JF_EINVAL,
                            "%s: task \"%s\": bytes of the dependency on \"%s\" must be a whole "
                            "number from 0 to 2^63-1",
                            rd->path, id, json_string_value(name));
    uint32_t before;
    if (!jf_job_task_find(rd->job, json_string_value(name), &before))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": depends on unknown task \"%s\"",
                            rd->path, id, json_string_value(name));
    if (before == t)
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": depends on itself", rd->path, id);
    return jf_job_add_dep(rd->job, before, t, b);
}

static jf_status read_deps(reader *rd, uint32_t t, json_t *deps)
{
    if (!deps)
        return JF_OK;
    if (!json_is_array(deps))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: task \"%s\": \"deps\" must be an array, not %s",
                            rd->path, jf__id(rd->job, t), type_name(deps));
    size_t i;
    json_t *dep;
    json_array_foreach(deps, i, dep) {
        jf_status st = read_dep(rd, t, dep);
        if (st != JF_OK)
            return st;
    }
    return JF_OK;
}

static jf_status read_tasks(reader *rd, json_t *tasks)
{
    if (!tasks)
        return jf__job_fail(rd->job, JF_EINVAL, "%s: \"tasks\" is missing (an array of tasks)",
                            rd->path);
    if (!json_is_array(tasks))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: \"tasks\" must be an array, not %s",
                            rd->path, type_name(tasks));
    size_t i;
    json_t *task;
    json_array_foreach(tasks, i, task) {
        jf_status st = read_task(rd, i, task);
        if (st != JF_OK)
            return st;
    }
    json_array_foreach(tasks, i, task) {
        jf_status st = read_deps(rd, (uint32_t)i, json_object_get(task, "deps"));
        if (st != JF_OK)
            return st;
    }
    return JF_OK;
}

static jf_status read_root(reader *rd, json_t *root)
{
    if (!json_is_object(root))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: a job must be a JSON object, not %s",
                            rd->path, type_name(root));
    json_t *format = json_object_get(root, "format"), *name = json_object_get(root, "name");
    if (!json_is_string(format) || strcmp(json_string_value(format), JF_JOB_FORMAT) != 0)
        return jf__job_fail(rd->job, JF_EINVAL, "%s: not a job: \"format\" must be \"%s\"",
                            rd->path, JF_JOB_FORMAT);
    if (name && !json_is_string(name))
        return jf__job_fail(rd->job, JF_EINVAL, "%s: \"name\" must be a string", rd->path);
    if (name) {
        char *copy = jf__strdup(json_string_value(name));
        if (!copy)
            return jf__job_fail(rd->job, JF_ENOMEM, "out of memory");
        jf__free(rd->job->name);
        rd->job->name = copy;
    }
    jf_status st = read_resources(rd, json_object_get(root, "resources"));
    return st == JF_OK ? read_tasks(rd, json_object_get(root, "tasks")) : st;
}

static jf_status validate_read(reader *rd)
{
    jf_status st = jf_job_validate(rd->job);
    if (st == JF_OK || st == JF_ENOMEM)
        return st;
    char msg[JF__ERRMSG];
    jf__fmt(msg, sizeof msg, "%s: %s", rd->path, rd->job->errmsg);
    return jf__job_fail(rd->job, st, "%s", msg);
}

jf_status jf_job_read_json(const char *path, jf_job **out)
{
    jf_status st = jf_job_create(NULL, out);
    if (st != JF_OK)
        return st;
    reader rd = {*out, path};
    json_t *root = jf__json_load(path, &st, (*out)->errmsg, sizeof (*out)->errmsg);
    if (!root)
        return st;
    st = read_root(&rd, root);
    json_decref(root);
    if (st == JF_OK)
        st = validate_read(&rd);
    else if (st == JF_ENOMEM)
        jf__job_fail(*out, st, "out of memory");
    return st;
}

/* ---- writing ---- */

static void write_rule(FILE *f, const jf_job *job, int r)
{
    fprintf(f, "%s", r ? ", " : "");
    jf__json_put_string(f, job->res_name[r]);
    fputs(job->res_rule[r] == JF_RULE_MAX ? ": \"max\"" : ": \"sum\"", f);
}

static void write_task_deps(FILE *f, const jf_job *job, uint32_t t)
{
    uint64_t b = job->in_off[t], e = job->in_off[t + 1];
    if (b == e)
        return;
    fputs(", \"deps\": [", f);
    for (uint64_t k = b; k < e; k++) {
        fputs(k > b ? ", {\"task\": " : "{\"task\": ", f);
        jf__json_put_string(f, jf__id(job, job->in_task[k]));
        fprintf(f, ", \"bytes\": %llu}", (unsigned long long)job->in_bytes[k]);
    }
    putc(']', f);
}

static void write_task(FILE *f, const jf_job *job, uint32_t t)
{
    static const char *const kind[] = {"noop", "spin", "sleep"};
    fputs("  {\"id\": ", f);
    jf__json_put_string(f, jf__id(job, t));
    if (job->op && job->op[t]) {
        fputs(", \"op\": ", f);
        jf__json_put_string(f, job->op[t]);
    }
    write_task_deps(f, job, t);
    fputs(", \"demand\": {", f);
    for (int r = 0, first = 1; r < job->n_res; r++) {
        if (job->demand[r][t] == 0)
            continue;
        fputs(first ? "" : ", ", f);
        first = 0;
        jf__json_put_string(f, job->res_name[r]);
        fputs(": ", f);
        jf__json_put_number(f, job->demand[r][t]);
    }
    fprintf(f, "}, \"work\": {\"kind\": \"%s\", \"us\": ", kind[job->work[t].kind]);
    jf__json_put_number(f, job->work[t].us);
    fputs("}}", f);
}

jf_status jf_job_write_json(const jf_job *job, const char *path)
{
    JF_ASSERT(job->validated);
    jf__out out;
    if (jf__out_open(&out, path) != 0)
        return jf__job_fail((jf_job *)job, JF_EIO, "%s: %s", path, strerror(errno));
    FILE *f = out.file;
    fprintf(f, "{\"format\": \"%s\", \"name\": ", JF_JOB_FORMAT);
    jf__json_put_string(f, job->name);
    fputs(",\n \"resources\": {", f);
    for (int r = 0; r < job->n_res; r++)
        write_rule(f, job, r);
    fputs("},\n \"tasks\": [\n", f);
    for (uint32_t i = 0; i < job->n_tasks; i++) {
        write_task(f, job, i); /* in index order: reading it back keeps the numbering */
        fputs(i + 1 < job->n_tasks ? ",\n" : "\n", f);
    }
    fputs(" ]}\n", f);
    if (jf__out_close(&out, 1) != 0)
        return jf__job_fail((jf_job *)job, JF_EIO, "%s: %s", path, strerror(errno));
    return JF_OK;
}
