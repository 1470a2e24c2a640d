/* jobfuse/base.h — statuses, the allocator and the log callback shared by every layer.
 *
 *   jf_status st = jf_job_read_json("job.json", &job);
 *   if (st != JF_OK)
 *       fprintf(stderr, "%s: %s\n", jf_status_str(st), jf_job_errmsg(job));
 *
 * Library code never prints: warnings go to the callback set with jf_log_set().
 */
#ifndef JOBFUSE_BASE_H
#define JOBFUSE_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JF_STATUS_MAP(X)                                                   \
    X(OK, "ok")                                                            \
    X(ENOMEM, "out of memory")                                             \
    X(EIO, "input/output error")                                           \
    X(EPARSE, "malformed input")                                           \
    X(EINVAL, "invalid input")                                             \
    X(ECYCLE, "the job has a cycle")                                       \
    X(ECAPACITY, "a task exceeds every device's capacity")                 \
    X(ETASK, "a task failed")                                              \
    X(EINTR, "interrupted")

typedef enum {
#define JF__STATUS_ENUM(name, text) JF_##name,
    JF_STATUS_MAP(JF__STATUS_ENUM)
#undef JF__STATUS_ENUM
    JF_STATUS_COUNT
} jf_status;

/* A short English phrase for a status; never NULL. */
const char *jf_status_str(jf_status st);

/* ---- allocation ---------------------------------------------------------
 * Every byte the library allocates goes through one replaceable allocator.
 * jf_alloc_fn behaves like realloc(ptr, size) with free when size == 0 and
 * returns NULL on failure. The library accounts bytes in use and the peak. */
typedef void *(*jf_alloc_fn)(void *user, void *ptr, size_t old_size, size_t new_size);

/* Replace the allocator (NULL restores the default). Set it before any
 * handle exists: blocks are freed by the allocator that made them. */
void jf_alloc_set(jf_alloc_fn fn, void *user);

typedef struct {
    size_t bytes_in_use;   /* bytes now allocated by the library */
    size_t bytes_peak;     /* highest bytes_in_use since the last reset */
    uint64_t allocations;  /* successful allocations since the last reset */
} jf_alloc_stats;

void jf_alloc_get_stats(jf_alloc_stats *out);
/* Sets bytes_peak to bytes_in_use and allocations to 0. */
void jf_alloc_reset_peak(void);
/* Test hook: make the n-th allocation from now fail (0 turns it off). */
void jf_alloc_fail_after(uint64_t n);

/* ---- logging ------------------------------------------------------------ */
typedef enum { JF_LOG_DEBUG, JF_LOG_INFO, JF_LOG_WARN, JF_LOG_ERROR } jf_log_level;
typedef void (*jf_log_fn)(void *user, jf_log_level level, const char *message);

/* Set the log callback (NULL: the library stays silent). Not thread-safe. */
void jf_log_set(jf_log_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif
