/* What the executor files share: a cheap monotonic tick counter (the TSC
 * where it is invariant, else clock_gettime) calibrated once per process,
 * and a polite busy-wait hint. */
#ifndef JF_RUN_LOCAL_IMPL_H
#define JF_RUN_LOCAL_IMPL_H

#include <stdint.h>
#include <time.h>

#include "core/internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define JF__HAVE_TSC 1
#else
#define JF__HAVE_TSC 0
#endif

/* Set once by jf__clock_init(); read-only afterwards. */
typedef struct {
    int tsc; /* ticks are TSC cycles; else nanoseconds */
    double ns_per_tick;
    double ticks_per_ns;
} jf__clock;

JF__HIDDEN extern jf__clock jf__clk;

/* Calibrate the tick counter (once per process; thread-safe, cheap after). */
JF__HIDDEN void jf__clock_init(void);

static inline uint64_t jf__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic ticks; call jf__clock_init() first. */
static inline uint64_t jf__ticks(void)
{
#if JF__HAVE_TSC
    if (jf__clk.tsc)
        return __rdtsc();
#endif
    return jf__mono_ns();
}

/* Ticks read in program order: after every earlier instruction finished
 * and before any later one starts, so that a time stamp taken after an
 * acquire load is not read early under speculation (traces compare time
 * stamps across threads). */
static inline uint64_t jf__ticks_ordered(void)
{
#if JF__HAVE_TSC
    if (jf__clk.tsc) {
        _mm_lfence();
        uint64_t t = __rdtsc();
        _mm_lfence();
        return t;
    }
#endif
    return jf__mono_ns();
}

static inline uint64_t jf__ticks_of_ns(double ns)
{
    double t = ns * jf__clk.ticks_per_ns;
    return t > 0 ? t < 1e19 ? (uint64_t)t : UINT64_MAX : 0;
}

static inline double jf__ns_of_ticks(uint64_t ticks)
{
    return (double)ticks * jf__clk.ns_per_tick;
}

/* One step of a spin-wait loop. */
static inline void jf__cpu_relax(void)
{
#if JF__HAVE_TSC
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
