/* Reading JSON files (jansson) with positioned messages. */
#ifndef JF_JSON_LOAD_H
#define JF_JSON_LOAD_H

#include <jansson.h>

#include "core/internal.h"

/* The parsed file, or NULL with *st (JF_EIO, JF_EPARSE, JF_ENOMEM) and a
 * message "file: why" or "file:line:column: what" in msg. */
JF__HIDDEN json_t *jf__json_load(const char *path, jf_status *st, char *msg, size_t size);

#endif
