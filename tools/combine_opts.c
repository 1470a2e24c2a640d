/* Options of the combination method, shared by `plan` and `run`. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_uint(const char *text, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end || v > UINT32_MAX || text[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_mode(const char *text, jf_degree_mode *out)
{
    static const char *const names[] = {"both", "in", "out", "sum"};
    for (int i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (jf_degree_mode)i;
            return 0;
        }
    return -1;
}

static int add_limit(jf_limit *limits, int *n, const char *text, const char *opt)
{
    if (*n >= JF_MAX_LIMITS)
        return cli_usage_error("%s: at most %d resources", opt, JF_MAX_LIMITS);
    if (jf_limit_parse(text, &limits[*n]) != 0)
        return cli_usage_error("%s %s: expected RES=VALUE (like memory=4MiB or memory=50%%)", opt,
                               text);
    ++*n;
    return 0;
}

int cli_combine_option(jf_combine_params *p, int argc, char **argv, int *i)
{
    const char *v = NULL, *arg = argv[*i];
    int missing = 0;
    if (cli_opt_value(argc, argv, i, "--degree-threshold", &v, &missing)) {
        if (v && (parse_uint(v, &p->degree_threshold) != 0 || p->degree_threshold < 1))
            return cli_usage_error("--degree-threshold %s: expected a whole number >= 1", v);
    } else if (cli_opt_value(argc, argv, i, "--degree-mode", &v, &missing)) {
        if (v && parse_mode(v, &p->degree_mode) != 0)
            return cli_usage_error("--degree-mode %s: expected both, in, out or sum", v);
    } else if (cli_opt_value(argc, argv, i, "--max-members", &v, &missing)) {
        if (v && parse_uint(v, &p->max_members) != 0)
            return cli_usage_error("--max-members %s: expected a whole number", v);
    } else if (cli_opt_value(argc, argv, i, "--capacity", &v, &missing)) {
        if (v && add_limit(p->capacity, &p->n_capacity, v, "--capacity"))
            return CLI_BAD_INPUT;
    } else if (cli_opt_value(argc, argv, i, "--demand-threshold", &v, &missing)) {
        if (v && add_limit(p->demand_threshold, &p->n_demand_threshold, v, "--demand-threshold"))
            return CLI_BAD_INPUT;
    } else {
        return -1;
    }
    if (missing)
        return cli_usage_error("%s needs a value", arg);
    return 0;
}

/* The options as a JSON object for the plan's "options". */
void cli_combine_options_json(const jf_combine_params *p, char *buf, size_t size)
{
    static const char *const modes[] = {"both", "in", "out", "sum"};
    size_t n = (size_t)snprintf(buf, size,
                                "{\"degree_threshold\": %u, \"degree_mode\": \"%s\", "
                                "\"max_members\": %u",
                                p->degree_threshold, modes[p->degree_mode], p->max_members);
    for (int i = 0; i < p->n_capacity && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, ", \"capacity_%s\": %.17g",
                              p->capacity[i].resource, p->capacity[i].value);
    for (int i = 0; i < p->n_demand_threshold && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, ", \"demand_threshold_%s\": \"%.17g%s\"",
                              p->demand_threshold[i].resource, p->demand_threshold[i].value,
                              p->demand_threshold[i].percent ? "%" : "");
    if (n < size)
        snprintf(buf + n, size - n, "}");
}

