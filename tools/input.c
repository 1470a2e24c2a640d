/* Reading the command's inputs: jobs and plans, with messages and exit
 * statuses for bad input. */
#include <jansson.h>
#include <string.h>

#include "cli.h"

int cli_input_exit(jf_status st)
{
    return st == JF_ENOMEM ? CLI_FAIL : CLI_BAD_INPUT;
}

/* The "format" value when it appears in the file's first block, so a big
 * job is not parsed twice just to learn what it is. 1 found, 0 not. */
static int scan_format(const char *path, char *format, size_t size)
{
    char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *key = strstr(buf, "\"format\"");
    const char *open = key ? strchr(key + 8, '"') : NULL;
    const char *close = open ? strchr(open + 1, '"') : NULL;
    if (!close || (size_t)(close - open - 1) >= size)
        return 0;
    for (const char *p = key + 8; p < open; p++) /* only `: "` may come between */
        if (!strchr(" \t\r\n:", *p))
            return 0;
    memcpy(format, open + 1, (size_t)(close - open - 1));
    format[close - open - 1] = '\0';
    return 1;
}

int cli_peek_is_plan(const char *path, int *is_plan)
{
    char format[64];
    if (scan_format(path, format, sizeof format)) {
        *is_plan = strcmp(format, JF_PLAN_FORMAT) == 0;
        return -1;
    }
    json_error_t e;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!root && json_error_code(&e) == json_error_cannot_open_file)
        return cli_error(CLI_BAD_INPUT, "%s", e.text);
    if (!root)
        return cli_error(CLI_BAD_INPUT, "%s:%d:%d: %s", path, e.line, e.column, e.text);
    const char *value = json_string_value(json_object_get(root, "format"));
    *is_plan = value && strcmp(value, JF_PLAN_FORMAT) == 0;
    json_decref(root);
    return -1;
}

int cli_read_job(const char *path, jf_job **job)
{
    jf_status st = jf_job_read_json(path, job);
    if (st == JF_OK)
        return -1;
    const char *msg = *job ? jf_job_errmsg(*job) : "";
    if (!*msg)
        msg = jf_status_str(st);
    if (strncmp(msg, path, strlen(path)) == 0)
        return cli_error(cli_input_exit(st), "%s", msg);
    return cli_error(cli_input_exit(st), "%s: %s", path, msg);
}

int cli_read_plan(const char *path, jf_job **job, jf_plan **plan)
{
    char err[1024];
    jf_status st = jf_plan_read_json(path, job, plan, err, sizeof err);
    if (st == JF_OK)
        return -1;
    return cli_error(cli_input_exit(st), "%s", *err ? err : jf_status_str(st));
}
