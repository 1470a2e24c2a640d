/* Reading a jobfuse-plan/1 file back: the job it names is loaded, checked
 * against the recorded sha256, and the plan is rebuilt from the targets'
 * members. Demands, deps and summary in the file are derived data and are
 * computed again; device names stay unresolved (no device pool here). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>

#include "io/json_load.h"
#include <limits.h>
#include <strings.h>

#include "core/internal.h"
#include "io/json_load.h"
#include "jobfuse/onnx.h"
#include "jobfuse/plan.h"

#define JF_PLAN_MAX_ONNX_INPUTS 64

typedef struct {
    const char *path; /* the plan file */
    char *err;
    size_t errlen;
} jf__plan_reader;

static jf_status fail(jf__plan_reader *rd, jf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static jf_status fail(jf__plan_reader *rd, jf_status st, const char *fmt, ...)
{
    if (rd->err && rd->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->err, rd->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

static jf_status load_root(jf__plan_reader *rd, json_t **out)
{
    jf_status st;
    char msg[1024];
    *out = jf__json_load(rd->path, &st, msg, sizeof msg);
    return *out ? JF_OK : fail(rd, st, "%s", msg);
}

static jf_status check_format(jf__plan_reader *rd, const json_t *root)
{
    if (!json_is_object(root))
        return fail(rd, JF_EPARSE, "%s: a plan is a JSON object", rd->path);
    const char *format = json_string_value(json_object_get(root, "format"));
    if (!format || strcmp(format, JF_PLAN_FORMAT) != 0)
        return fail(rd, JF_EPARSE, "%s: not a %s file (format \"%s\")", rd->path, JF_PLAN_FORMAT,
                    format ? format : "");
    return JF_OK;
}

static int is_hex64(const char *s)
{
    size_t n = 0;
    while (s[n] && strchr("0123456789abcdefABCDEF", s[n]))
        n++;
    return n == 64 && s[n] == '\0';
}

/* The job's path as the plan names it, relative to the plan's folder when
 * not absolute. Allocated with jf__malloc, NULL when out of memory. */
static char *resolve_job_path(const char *plan_path, const char *job_path)
{
    const char *slash = strrchr(plan_path, '/');
    size_t dir = job_path[0] == '/' || !slash ? 0 : (size_t)(slash - plan_path) + 1;
    size_t n = strlen(job_path);
    char *s = jf__malloc(dir + n + 1);
    if (s) {
        memcpy(s, plan_path, dir);
        memcpy(s + dir, job_path, n + 1);
    }
    return s;
}

/* source.path resolved into *job_path and source.sha256 into sha. */
static jf_status read_source(jf__plan_reader *rd, const json_t *root, char **job_path,
                             char sha[65])
{
    const json_t *src = json_object_get(root, "source");
    const char *path = json_string_value(json_object_get(src, "path"));
    const char *hex = json_string_value(json_object_get(src, "sha256"));
    if (!json_is_object(src) || !path || !*path || !hex)
        return fail(rd, JF_EPARSE,
                    "%s: the plan names no job (\"source\": {\"path\", \"sha256\"} is needed)",
                    rd->path);
    if (!is_hex64(hex))
        return fail(rd, JF_EPARSE, "%s: source.sha256 must be 64 hex digits", rd->path);
    memcpy(sha, hex, 65);
    *job_path = resolve_job_path(rd->path, path);
    return *job_path ? JF_OK : fail(rd, JF_ENOMEM, "%s: out of memory", rd->path);
}

static jf_status check_sha(jf__plan_reader *rd, const char *job_path, const char *sha)
{
    char now[65];
    jf_status st = jf_sha256_file(job_path, now);
    if (st == JF_ENOMEM)
        return fail(rd, st, "%s: out of memory", rd->path);
    if (st != JF_OK)
        return fail(rd, st, "%s: cannot read its job %s: %s", rd->path, job_path,
                    strerror(errno));
    if (strcasecmp(now, sha) != 0)
        return fail(rd, JF_EINVAL,
                    "%s: job %s changed since the plan was made (sha256 %s, now %s)", rd->path,
                    job_path, sha, now);
    return JF_OK;
}

/* The inputs' shapes and the device speed the model was imported with. */
static jf_status onnx_options(jf__plan_reader *rd, const json_t *how, jf_onnx_input *inputs,
                              jf_onnx_options *opt)
{
    const json_t *given = json_object_get(how, "inputs");
    const char *name;
    const json_t *shape;
    memset(opt, 0, sizeof *opt);
    opt->inputs = inputs;
    opt->device_gflops = json_number_value(json_object_get(how, "device_gflops"));
    json_object_foreach((json_t *)given, name, shape) {
        if (opt->n_inputs == JF_PLAN_MAX_ONNX_INPUTS || !json_is_string(shape) ||
            jf_onnx_parse_shape(json_string_value(shape), &inputs[opt->n_inputs]))
            return fail(rd, JF_EPARSE, "%s: source.onnx.inputs.%s is not a shape like "
                        "\"1x3x640x640\"", rd->path, name);
        inputs[opt->n_inputs++].name = name;
    }
    return JF_OK;
}

/* A model source is imported again as it was when the plan was made. */
static jf_status read_model(jf__plan_reader *rd, const char *job_path, const json_t *how,
                            jf_job **out_job)
{
    jf_onnx_input inputs[JF_PLAN_MAX_ONNX_INPUTS];
    jf_onnx_options opt;
    jf_onnx_model *m = NULL;
    jf_status st = onnx_options(rd, how, inputs, &opt);
    if (st != JF_OK)
        return st;
    st = jf_onnx_load(job_path, &opt, &m);
    if (st == JF_OK)
        st = jf_onnx_job(m, out_job);
    if (st != JF_OK)
        fail(rd, st, "%s", jf_onnx_errmsg(m));
    jf_onnx_destroy(m);
    return st;
}

static jf_status read_job(jf__plan_reader *rd, const char *job_path, const json_t *root,
                          jf_job **out_job)
{
    const json_t *how = json_object_get(json_object_get(root, "source"), "onnx");
    if (json_is_object(how))
        return read_model(rd, job_path, how, out_job);
    jf_status st = jf_job_read_json(job_path, out_job);
    if (st == JF_OK)
        return st;
    if (*out_job && *jf_job_errmsg(*out_job))
        return fail(rd, st, "%s", jf_job_errmsg(*out_job));
    return fail(rd, st, "%s: %s", job_path, jf_status_str(st));
}

static const char *target_name(const json_t *target, size_t i, char buf[32])
{
    const char *id = json_string_value(json_object_get(target, "id"));
    if (id)
        return id;
    snprintf(buf, 32, "#%zu", i);
    return buf;
}

/* Label every member of target i with i. */
static jf_status read_members(jf__plan_reader *rd, const jf_job *job, const json_t *targets,
                              size_t i, uint32_t *group_of)
{
    const json_t *target = json_array_get(targets, i);
    const json_t *members = json_object_get(target, "members");
    char buf[32], other[32];
    const char *name = target_name(target, i, buf);
    if (!json_is_array(members) || json_array_size(members) == 0)
        return fail(rd, JF_EPARSE, "%s: target \"%s\": \"members\" must be a non-empty array",
                    rd->path, name);
    for (size_t m = 0; m < json_array_size(members); m++) {
        const char *id = json_string_value(json_array_get(members, m));
        uint32_t task;
        if (!id)
            return fail(rd, JF_EPARSE, "%s: target \"%s\": members are task ids (strings)",
                        rd->path, name);
        if (!jf_job_task_find(job, id, &task))
            return fail(rd, JF_EINVAL, "%s: target \"%s\": the job has no task \"%s\"",
                        rd->path, name, id);
        if (group_of[task] != UINT32_MAX)
            return fail(rd, JF_EINVAL, "%s: task \"%s\" is in two targets (\"%s\" and \"%s\")",
                        rd->path, id,
                        target_name(json_array_get(targets, group_of[task]), group_of[task],
                                    other),
                        name);
        group_of[task] = (uint32_t)i;
    }
    return JF_OK;
}

/* group_of[task] = index of the target holding it; every task exactly once. */
static jf_status read_groups(jf__plan_reader *rd, const jf_job *job, const json_t *root,
                             uint32_t *group_of)
{
    const json_t *targets = json_object_get(root, "targets");
    uint32_t n = jf_job_task_count(job);
    if (!json_is_array(targets))
        return fail(rd, JF_EPARSE, "%s: \"targets\" must be an array", rd->path);
    if (json_array_size(targets) > n)
        return fail(rd, JF_EINVAL, "%s: %zu targets for a job of %" PRIu32 " tasks", rd->path,
                    json_array_size(targets), n);
    for (uint32_t t = 0; t < n; t++)
        group_of[t] = UINT32_MAX;
    for (size_t i = 0; i < json_array_size(targets); i++) {
        jf_status st = read_members(rd, job, targets, i, group_of);
        if (st != JF_OK)
            return st;
    }
    for (uint32_t t = 0; t < n; t++)
        if (group_of[t] == UINT32_MAX)
            return fail(rd, JF_EINVAL, "%s: task \"%s\" of the job is in no target", rd->path,
                        jf_job_task_id(job, t));
    return JF_OK;
}

static jf_status make_plan(jf__plan_reader *rd, const jf_job *job, const uint32_t *group_of,
                           jf_plan **out_plan)
{
    jf_status st = jf_plan_from_groups(job, group_of, out_plan);
    if (st == JF_OK)
        return st;
    const char *why = *out_plan ? jf_plan_errmsg(*out_plan) : "";
    if (!why || !*why)
        why = st == JF_ECYCLE ? "the targets' members make a cycle between targets"
                              : jf_status_str(st);
    return fail(rd, st, "%s: %s", rd->path, why);
}

/* Record the source (as an absolute path when it can be had) and options. */
static jf_status keep_provenance(jf__plan_reader *rd, jf_plan *plan, const json_t *root,
                                 const char *job_path, const char *sha)
{
    char *abs = realpath(job_path, NULL);
    jf_status st = jf_plan_set_source(plan, abs ? abs : job_path, sha);
    free(abs);
    const json_t *options = json_object_get(root, "options");
    if (st == JF_OK && json_is_object(options)) {
        char *text = json_dumps(options, JSON_COMPACT | JSON_SORT_KEYS);
        st = text ? jf_plan_set_options_json(plan, text) : JF_ENOMEM;
        free(text);
    }
    const json_t *how = json_object_get(json_object_get(root, "source"), "onnx");
    if (st == JF_OK && json_is_object(how)) {
        char *text = json_dumps(how, JSON_COMPACT | JSON_SORT_KEYS);
        st = text ? jf_plan_set_source_onnx(plan, text) : JF_ENOMEM;
        free(text);
    }
    return st == JF_OK ? st : fail(rd, st, "%s: %s", rd->path, jf_status_str(st));
}

static jf_status read_plan(jf__plan_reader *rd, const json_t *root, const char *job_path,
                           const char *sha, jf_job *job, jf_plan **out_plan)
{
    uint32_t n = jf_job_task_count(job);
    uint32_t *group_of = jf__malloc(((size_t)n + 1) * sizeof *group_of);
    if (!group_of)
        return fail(rd, JF_ENOMEM, "%s: out of memory", rd->path);
    jf_status st = read_groups(rd, job, root, group_of);
    if (st == JF_OK)
        st = make_plan(rd, job, group_of, out_plan);
    if (st == JF_OK)
        st = keep_provenance(rd, *out_plan, root, job_path, sha);
    jf__free(group_of);
    return st;
}

jf_status jf_plan_read_json(const char *path, jf_job **out_job, jf_plan **out_plan, char *err,
                            size_t errlen)
{
    jf__plan_reader rd = {path, err, errlen};
    json_t *root = NULL;
    char *job_path = NULL;
    char sha[65];
    *out_job = NULL;
    *out_plan = NULL;
    if (err && errlen)
        err[0] = '\0';
    jf_status st = load_root(&rd, &root);
    if (st == JF_OK)
        st = check_format(&rd, root);
    if (st == JF_OK)
        st = read_source(&rd, root, &job_path, sha);
    if (st == JF_OK)
        st = check_sha(&rd, job_path, sha);
    if (st == JF_OK)
        st = read_job(&rd, job_path, root, out_job);
    if (st == JF_OK)
        st = read_plan(&rd, root, job_path, sha, *out_job, out_plan);
    jf__free(job_path);
    json_decref(root);
    return st;
}
