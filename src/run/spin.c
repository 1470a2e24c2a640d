/* The tick counter's calibration and jf_spin_us().
 *
 * On x86 with an invariant TSC, ticks are TSC cycles: reading them costs a
 * few nanoseconds, which keeps the executor's per-target timing and a 1 µs
 * spin honest. The rate is measured once against CLOCK_MONOTONIC over
 * about 10 ms; elsewhere ticks are clock_gettime nanoseconds. */
#include <pthread.h>

#include "run/local_impl.h"

#if JF__HAVE_TSC
#include <cpuid.h>
#endif

#define CALIBRATE_NS 10000000 /* 10 ms */

jf__clock jf__clk = {0, 1.0, 1.0};
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

#if JF__HAVE_TSC
/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every
 * power state. */
static int tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1;
}

/* A (nanoseconds, TSC) pair read as close together as we can: the TSC read
 * bracketed by the tightest of a few clock reads. */
static void sample(uint64_t *ns, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 7; i++) {
        uint64_t a = jf__mono_ns(), t = __rdtsc(), b = jf__mono_ns();
        if (b - a < best) {
            best = b - a;
            *ns = a + (b - a) / 2;
            *tsc = t;
        }
    }
}

static void calibrate(void)
{
    if (!tsc_invariant())
        return;
    uint64_t ns0 = 0, tsc0 = 0, ns1 = 0, tsc1 = 0;
    sample(&ns0, &tsc0);
    struct timespec nap = {0, CALIBRATE_NS};
    while (nanosleep(&nap, &nap) != 0) {
    }
    sample(&ns1, &tsc1);
    if (ns1 <= ns0 || tsc1 <= tsc0)
        return;
    double per_ns = (double)(tsc1 - tsc0) / (double)(ns1 - ns0);
    if (!(per_ns > 0.1 && per_ns < 20.0)) /* 100 MHz .. 20 GHz, else distrust */
        return;
    jf__clk.ticks_per_ns = per_ns;
    jf__clk.ns_per_tick = 1.0 / per_ns;
    jf__clk.tsc = 1;
}
#else
static void calibrate(void)
{
}
#endif

void jf__clock_init(void)
{
    pthread_once(&clock_once, calibrate);
}

void jf_spin_us(double us)
{
    jf__clock_init();
    uint64_t start = jf__ticks(), n = jf__ticks_of_ns(us * 1000.0);
    while (jf__ticks() - start < n) {
    }
}
