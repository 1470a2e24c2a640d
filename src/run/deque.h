/* A Chase-Lev work-stealing deque of target indices, in C11 atomics after
 * Lê, Pop, Cohen and Zappa Nardelli, "Correct and efficient work-stealing
 * for weak memory models" (PPoPP 2013).
 *
 *   jf__deque d;
 *   jf__deque_init(&d, 256);          // while no other thread can see it
 *   jf__deque_push(&d, 7);            // owner only
 *   uint32_t x;
 *   if (jf__deque_take(&d, &x)) ...   // owner only: newest first
 *   if (jf__deque_steal(&d, &x) > 0)  // any other thread: oldest first
 *   jf__deque_free(&d);
 *
 * The owner grows the ring by doubling when it is full; the rings it
 * replaces stay readable by late thieves until jf__deque_reset(), which
 * runs while the deque is quiet (between runs), so no memory is reclaimed
 * under a thief's feet and growth is the only allocation, a rare one.
 */
#ifndef JF_RUN_DEQUE_H
#define JF_RUN_DEQUE_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/internal.h"

typedef struct jf__ring {
    int64_t mask;           /* capacity - 1; capacity is a power of two */
    struct jf__ring *older; /* rings this one replaced */
    _Atomic uint32_t slot[];
} jf__ring;

typedef struct {
    _Alignas(64) _Atomic int64_t top;    /* thieves take here */
    _Alignas(64) _Atomic int64_t bottom; /* the owner pushes and takes here */
    _Atomic(jf__ring *) ring;
} jf__deque;

static inline jf__ring *jf__ring_new(int64_t cap)
{
    jf__ring *r = jf__malloc(sizeof *r + (size_t)cap * sizeof r->slot[0]);
    if (r) {
        r->mask = cap - 1;
        r->older = NULL;
    }
    return r;
}

/* cap: a power of two. 0 or -1 (memory). */
static inline int jf__deque_init(jf__deque *d, int64_t cap)
{
    jf__ring *r = jf__ring_new(cap);
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    atomic_init(&d->ring, r);
    return r ? 0 : -1;
}

static inline void jf__ring_free_older(jf__ring *r)
{
    jf__ring *o = r->older;
    r->older = NULL;
    while (o) {
        jf__ring *next = o->older;
        jf__free(o);
        o = next;
    }
}

static inline void jf__deque_free(jf__deque *d)
{
    jf__ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    if (r) {
        jf__ring_free_older(r);
        jf__free(r);
    }
    atomic_store_explicit(&d->ring, NULL, memory_order_relaxed);
}

/* Empty the deque and drop replaced rings; only while no thread uses it. */
static inline void jf__deque_reset(jf__deque *d)
{
    jf__ring_free_older(atomic_load_explicit(&d->ring, memory_order_relaxed));
    atomic_store_explicit(&d->top, 0, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, 0, memory_order_relaxed);
}

/* Owner: a ring twice as large holding items t..b-1. 0 or -1 (memory). */
static inline int jf__deque_grow(jf__deque *d, jf__ring *r, int64_t t, int64_t b)
{
    jf__ring *n = jf__ring_new(2 * (r->mask + 1));
    if (!n)
        return -1;
    for (int64_t i = t; i < b; i++)
        atomic_store_explicit(&n->slot[i & n->mask],
                              atomic_load_explicit(&r->slot[i & r->mask], memory_order_relaxed),
                              memory_order_relaxed);
    n->older = r;
    atomic_store_explicit(&d->ring, n, memory_order_release);
    return 0;
}

/* Empty, quiet deque: make room for at least cap items. 0 or -1 (memory). */
static inline int jf__deque_reserve(jf__deque *d, int64_t cap)
{
    jf__ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    while (r->mask + 1 < cap) {
        if (jf__deque_grow(d, r, 0, 0) != 0)
            return -1;
        r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    }
    jf__ring_free_older(r);
    return 0;
}

/* Owner: add x at the bottom. 0, or -1 when the ring could not grow. */
static inline int jf__deque_push(jf__deque *d, uint32_t x)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    jf__ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    if (b - t > r->mask) {
        if (jf__deque_grow(d, r, t, b) != 0)
            return -1;
        r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    }
    atomic_store_explicit(&r->slot[b & r->mask], x, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    return 0;
}

/* Owner: take the newest item. 1 and *x, or 0 when empty. */
static inline int jf__deque_take(jf__deque *d, uint32_t *x)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    jf__ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    if (t > b) {
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        return 0;
    }
    *x = atomic_load_explicit(&r->slot[b & r->mask], memory_order_relaxed);
    if (t < b)
        return 1;
    /* the last item: race the thieves for it */
    int won = atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                      memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    return won;
}

/* Any thread but the owner: take the oldest item. 1 and *x; 0 when empty;
 * -1 when another thread won the race (try again). */
static inline int jf__deque_steal(jf__deque *d, uint32_t *x)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return 0;
    jf__ring *r = atomic_load_explicit(&d->ring, memory_order_acquire);
    uint32_t v = atomic_load_explicit(&r->slot[t & r->mask], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return -1;
    *x = v;
    return 1;
}

/* A hint for parking: 1 when the deque looked non-empty. */
static inline int jf__deque_maybe_full(jf__deque *d)
{
    return atomic_load_explicit(&d->bottom, memory_order_relaxed) >
           atomic_load_explicit(&d->top, memory_order_relaxed);
}

#endif
