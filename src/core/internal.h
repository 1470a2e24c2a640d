/* Internal helpers shared across the library's files (hidden, prefix jf__). */
#ifndef JF_INTERNAL_H
#define JF_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobfuse/base.h"

#define JF__HIDDEN __attribute__((visibility("hidden")))

/* Programmer errors only: bad input is a status, never an assertion. */
#define JF_ASSERT(cond)                                                          \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                      \
            abort();                                                             \
        }                                                                        \
    } while (0)

#define JF__MIN(a, b) ((a) < (b) ? (a) : (b))
#define JF__MAX(a, b) ((a) > (b) ? (a) : (b))

/* Edge bytes add up without wrapping: past JF__BYTES_MAX they stay there. */
#define JF__BYTES_MAX ((uint64_t)INT64_MAX)
static inline uint64_t jf__bytes_add(uint64_t a, uint64_t b)
{
    return a > JF__BYTES_MAX - JF__MIN(b, JF__BYTES_MAX) ? JF__BYTES_MAX : a + b;
}

/* ---- allocation through the replaceable allocator ---- */
JF__HIDDEN void *jf__malloc(size_t size);
JF__HIDDEN void *jf__calloc(size_t count, size_t size);
JF__HIDDEN void *jf__realloc(void *ptr, size_t size);
JF__HIDDEN void jf__free(void *ptr);
JF__HIDDEN char *jf__strdup(const char *s);
/* Grow *ptr (elements of elem bytes) so that it holds at least need; the
 * capacity doubles. Returns 0, or -1 when out of memory (*ptr unchanged). */
JF__HIDDEN int jf__grow(void **ptr, size_t *cap, size_t need, size_t elem);

/* ---- arena: many small blocks freed together ---- */
typedef struct jf__arena_chunk jf__arena_chunk;
typedef struct {
    jf__arena_chunk *head;
    size_t used, size; /* in the head chunk */
} jf__arena;

JF__HIDDEN void *jf__arena_alloc(jf__arena *arena, size_t size);
JF__HIDDEN char *jf__arena_strdup(jf__arena *arena, const char *s);
JF__HIDDEN void jf__arena_free(jf__arena *arena);

/* ---- string -> uint32 map (ids to task indices) ---- */
typedef struct {
    uint32_t *slots;       /* value + 1, 0 = empty */
    size_t mask;
    size_t count;
} jf__strmap;

typedef const char *(*jf__key_fn)(const void *ctx, uint32_t value);
JF__HIDDEN uint64_t jf__hash_str(const char *s);
/* Find key; returns 1 and *out when present. key_of maps a stored value to
 * its key string. */
JF__HIDDEN int jf__strmap_find(const jf__strmap *map, const char *key, jf__key_fn key_of,
                               const void *ctx, uint32_t *out);
/* Insert value under key_of(value); key must be absent. 0 or -1 (memory). */
JF__HIDDEN int jf__strmap_insert(jf__strmap *map, uint32_t value, jf__key_fn key_of,
                                 const void *ctx);
JF__HIDDEN void jf__strmap_free(jf__strmap *map);

/* ---- logging and messages ---- */
JF__HIDDEN void jf__log(jf_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
JF__HIDDEN void jf__fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- output files written atomically ---- */
typedef struct {
    FILE *file;
    char *tmp_path; /* NULL when written in place (stdout, a device) */
    char *resolved; /* the file a symbolic link points to */
    const char *path;
} jf__out;

/* Open path for writing through a temporary file in the same folder ("-"
 * is stdout). 0 or -1 (errno set). */
JF__HIDDEN int jf__out_open(jf__out *out, const char *path);
/* ok != 0: flush and rename into place; else remove the temporary file.
 * Returns 0 when the file is in place. */
JF__HIDDEN int jf__out_close(jf__out *out, int ok);
/* Open an input file for reading; NULL with the reason in why ("No such
 * file or directory", "is a directory, not a file"). */
JF__HIDDEN FILE *jf__open_input(const char *path, char *why, size_t size);
/* Write s as a JSON string literal with quotes. */
JF__HIDDEN void jf__json_put_string(FILE *f, const char *s);
/* Write a number the way JSON wants it (integers without a fraction). */
JF__HIDDEN void jf__json_put_number(FILE *f, double v);

#endif
