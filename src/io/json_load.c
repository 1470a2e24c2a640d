/* Loading a JSON file with jansson, with one style of message for every
 * reader: "file: why" when it cannot be read, "file:line:column: what"
 * when it is not JSON. */
#include <jansson.h>

#include "core/internal.h"
#include "io/json_load.h"

json_t *jf__json_load(const char *path, jf_status *st, char *msg, size_t size)
{
    char why[256];
    FILE *f = jf__open_input(path, why, sizeof why);
    if (!f) {
        *st = JF_EIO;
        jf__fmt(msg, size, "%s: %s", path, why);
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (root) {
        *st = JF_OK;
        return root;
    }
    *st = json_error_code(&err) == json_error_out_of_memory ? JF_ENOMEM : JF_EPARSE;
    jf__fmt(msg, size, "%s:%d:%d: %s", path, err.line, err.column, err.text);
    return NULL;
}
