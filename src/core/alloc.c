/* The replaceable allocator with byte accounting, and the log callback. */
#include <stdatomic.h>

#include "core/internal.h"

/* Each block carries its size in front so that accounting needs no help
 * from the caller; 16 bytes keep the payload aligned for any type. */
#define HEADER 16

static void *default_alloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    (void)user;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static jf_alloc_fn alloc_fn = default_alloc;
static void *alloc_user;
static atomic_size_t in_use, peak;
static atomic_uint_fast64_t allocations, fail_countdown;

void jf_alloc_set(jf_alloc_fn fn, void *user)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_user = fn ? user : NULL;
}

void jf_alloc_get_stats(jf_alloc_stats *out)
{
    out->bytes_in_use = atomic_load(&in_use);
    out->bytes_peak = atomic_load(&peak);
    out->allocations = atomic_load(&allocations);
}

void jf_alloc_reset_peak(void)
{
    atomic_store(&peak, atomic_load(&in_use));
    atomic_store(&allocations, 0);
}

void jf_alloc_fail_after(uint64_t n) { atomic_store(&fail_countdown, n); }

static int injected_failure(void)
{
    uint64_t n = atomic_load(&fail_countdown);
    if (n == 0)
        return 0;
    atomic_store(&fail_countdown, n - 1);
    return n == 1;
}

static void account(size_t added, size_t removed)
{
    size_t now = atomic_fetch_add(&in_use, added) + added;
    atomic_fetch_sub(&in_use, removed);
    now -= removed;
    size_t old = atomic_load(&peak);
    while (now > old && !atomic_compare_exchange_weak(&peak, &old, now)) {
    }
}

void *jf__realloc(void *ptr, size_t size)
{
    if (size == 0) {
        jf__free(ptr);
        return NULL;
    }
    if (injected_failure() || size > SIZE_MAX - HEADER)
        return NULL;
    char *base = ptr ? (char *)ptr - HEADER : NULL;
    size_t old = base ? *(size_t *)base : 0;
    char *mem = alloc_fn(alloc_user, base, base ? old + HEADER : 0, size + HEADER);
    if (!mem)
        return NULL;
    *(size_t *)mem = size;
    account(size, old);
    atomic_fetch_add(&allocations, 1);
    return mem + HEADER;
}

void *jf__malloc(size_t size) { return jf__realloc(NULL, size ? size : 1); }

void *jf__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = jf__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void jf__free(void *ptr)
{
    if (!ptr)
        return;
    char *base = (char *)ptr - HEADER;
    size_t size = *(size_t *)base;
    alloc_fn(alloc_user, base, size + HEADER, 0);
    account(0, size);
}

char *jf__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = jf__malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int jf__grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = jf__realloc(*ptr, ncap * elem);
    if (!p)
        return -1;
    *ptr = p;
    *cap = ncap;
    return 0;
}

/* ---- logging ---- */
static jf_log_fn log_fn;
static void *log_user;

void jf_log_set(jf_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void jf__log(jf_log_level level, const char *fmt, ...)
{
    if (!log_fn)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(log_user, level, buf);
}

void jf__fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

const char *jf_status_str(jf_status st)
{
    static const char *const text[] = {
#define JF__STATUS_TEXT(name, t) t,
        JF_STATUS_MAP(JF__STATUS_TEXT)
#undef JF__STATUS_TEXT
    };
    if ((unsigned)st >= JF_STATUS_COUNT)
        return "unknown status";
    return text[st];
}
