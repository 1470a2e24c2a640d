/* Synthetic jobs (jobfuse/gen.h): chain, par, tree, wavefront, layered and
 * random DAGs with demands drawn from seeded distributions.
 *
 * Determinism: three xoshiro256** streams derived from the seed feed the
 * graph, the task demands and the edge bytes, each consumed in a fixed
 * order, so the same parameters give the same job byte for byte (and
 * changing a demand distribution leaves the graph as it was).
 *
 * Speed: no per-edge hashing. Layered picks each task's successors with
 * Floyd's sampling over a stamp array; random draws distinct pair indices
 * of the upper triangle of a random permutation, radix-sorts them and
 * decodes them in one sweep. */
#include <inttypes.h>
#include <math.h>

#include "core/job_impl.h"
#include "jobfuse/gen.h"

#define MAX_TASKS ((uint64_t)UINT32_MAX - 2)
#define MAX_DEPTH 30
#define MAX_VALUE 9007199254740992.0 /* 2^53: integers stay exact */

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

typedef struct {
    uint64_t s[4];
} rng;

enum { STREAM_GRAPH = 1, STREAM_DEMAND = 2, STREAM_BYTES = 3 };

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    uint64_t limit = (0 - n) % n; /* 2^64 mod n draws are rejected */
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= limit)
            return x % n;
    }
}

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* ---- the generator's state ---- */

typedef struct {
    const jf_gen_params *p;
    jf_job *job;
    rng graph, demand, bytes;
    int mem_res, time_res;
    uint32_t n;     /* tasks */
    uint32_t w;     /* wavefront: side; layered: level width */
    uint64_t edges; /* random: edges to draw */
} gen;

static double dist_sample(rng *r, const jf_gen_dist *d)
{
    if (d->integer) {
        double lo = ceil(d->lo), hi = floor(d->hi);
        return lo == hi ? lo : lo + (double)rng_below(r, (uint64_t)(hi - lo) + 1);
    }
    return d->lo == d->hi ? d->lo : d->lo + (d->hi - d->lo) * rng_unit(r);
}

/* ---- task ids: a shape letter, the index or "row_column" ---- */

static char *put_u32(char *p, uint32_t v)
{
    char digits[10];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *p++ = digits[--k];
    return p;
}

static void task_id(const gen *g, uint32_t t, char *buf)
{
    static const char letter[] = "cptwlr"; /* in jf_gen_shape order */
    char *p = buf;
    *p++ = letter[g->p->shape];
    if (g->p->shape == JF_GEN_WAVEFRONT || g->p->shape == JF_GEN_LAYERED) {
        p = put_u32(p, t / g->w);
        *p++ = '_';
        t %= g->w;
    }
    *put_u32(p, t) = '\0';
}

static jf_status add_tasks(gen *g)
{
    char id[32];
    for (uint32_t t = 0; t < g->n; t++) {
        task_id(g, t, id);
        jf_status st = jf_job_add_task_id(g->job, id, NULL);
        if (st == JF_OK)
            st = jf_job_set_demand(g->job, t, g->mem_res, dist_sample(&g->demand, &g->p->memory));
        if (st == JF_OK)
            st = jf_job_set_demand(g->job, t, g->time_res, dist_sample(&g->demand, &g->p->time));
        if (st == JF_OK)
            st = jf_job_set_work(g->job, t, g->p->work);
        if (st != JF_OK)
            return st;
    }
    return JF_OK;
}

static jf_status add_edge(gen *g, uint32_t before, uint32_t after)
{
    double bytes = dist_sample(&g->bytes, &g->p->bytes);
    return jf_job_add_dep(g->job, before, after, (uint64_t)(bytes + 0.5));
}

/* ---- fixed shapes ---- */

static jf_status edges_chain(gen *g)
{
    jf_status st = JF_OK;
    for (uint32_t t = 1; t < g->n && st == JF_OK; t++)
        st = add_edge(g, t - 1, t);
    return st;
}

/* Heap numbering: the children of k are 2k+1 and 2k+2; a parent needs its
 * children, so the root is the last task to run (a reduction). */
static jf_status edges_tree(gen *g)
{
    jf_status st = JF_OK;
    for (uint32_t k = 1; k < g->n && st == JF_OK; k++)
        st = add_edge(g, k, (k - 1) / 2);
    return st;
}

static jf_status edges_wavefront(gen *g)
{
    uint32_t m = g->w;
    jf_status st = JF_OK;
    for (uint32_t t = 0; t < g->n && st == JF_OK; t++) {
        if (t >= m)
            st = add_edge(g, t - m, t);
        if (st == JF_OK && t % m != 0)
            st = add_edge(g, t - 1, t);
    }
    return st;
}

/* ---- layered ---- */

/* Floyd's sampling: k distinct values of [0, n) into pick[]; stamp[v] ==
 * mark flags the values taken (a fresh mark per call, no clearing). */
static void sample_floyd(rng *r, uint32_t n, uint32_t k, uint32_t *stamp, uint32_t mark,
                         uint32_t *pick)
{
    for (uint32_t j = n - k, i = 0; j < n; j++, i++) {
        uint32_t v = (uint32_t)rng_below(r, (uint64_t)j + 1);
        if (stamp[v] == mark)
            v = j;
        stamp[v] = mark;
        pick[i] = v;
    }
}

static jf_status layered_task(gen *g, uint32_t t, uint32_t *stamp, uint32_t *pick)
{
    uint32_t w = g->w, next = (t / w + 1) * w; /* first task of the next level */
    uint32_t wn = JF__MIN(w, g->n - next);
    uint32_t lo = g->p->succ_min, span = g->p->succ_max - lo;
    uint32_t k = lo + (uint32_t)rng_below(&g->graph, (uint64_t)span + 1);
    k = JF__MIN(k, wn);
    sample_floyd(&g->graph, wn, k, stamp, t + 1, pick);
    jf_status st = JF_OK;
    for (uint32_t i = 0; i < k && st == JF_OK; i++)
        st = add_edge(g, t, next + pick[i]);
    return st;
}

static jf_status edges_layered(gen *g)
{
    uint32_t w = g->w, last = (g->n - 1) / w * w; /* first task of the last level */
    uint32_t *stamp = jf__calloc(w, sizeof *stamp), *pick = jf__malloc((size_t)w * sizeof *pick);
    jf_status st = stamp && pick ? JF_OK : jf__job_fail(g->job, JF_ENOMEM, "out of memory");
    for (uint32_t t = 0; t < last && st == JF_OK; t++)
        st = layered_task(g, t, stamp, pick);
    jf__free(stamp);
    jf__free(pick);
    return st;
}

/* ---- random: distinct pairs of a random permutation ---- */

/* LSD radix sort of a[0..n) by the low `bits` bits; tmp holds n values. */
static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n, int bits)
{
    uint64_t *src = a, *dst = tmp;
    for (int shift = 0; shift < bits; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i] >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* Merge sorted a[0..na) and b[0..nb) into out, dropping repeats (within b
 * too); returns the length of out. */
static size_t merge_unique(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                           uint64_t *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        uint64_t v = (j >= nb || (i < na && a[i] <= b[j])) ? a[i++] : b[j++];
        if (k == 0 || out[k - 1] != v)
            out[k++] = v;
    }
    return k;
}

static int bit_width(uint64_t v)
{
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

/* k distinct values of [0, total), sorted, into *out (k <= total). Draws
 * what is missing, sorts the fresh draws and merges them in, until full. */
static int sample_sorted(rng *r, uint64_t total, size_t k, uint64_t **out)
{
    uint64_t *a = jf__malloc((k + 1) * sizeof *a), *b = jf__malloc((k + 1) * sizeof *b);
    uint64_t *tmp = jf__malloc((k + 1) * sizeof *tmp);
    if (!a || !b || !tmp) {
        jf__free(a);
        jf__free(b);
        jf__free(tmp);
        return -1;
    }
    size_t have = 0;
    int bits = bit_width(total - 1);
    while (have < k) {
        size_t fresh = k - have;
        for (size_t i = 0; i < fresh; i++)
            b[i] = rng_below(r, total);
        radix_sort(b, tmp, fresh, bits);
        have = merge_unique(a, have, b, fresh, tmp);
        uint64_t *swap = a;
        a = tmp;
        tmp = swap;
    }
    jf__free(b);
    jf__free(tmp);
    *out = a;
    return 0;
}

static uint32_t *random_perm(rng *r, uint32_t n)
{
    uint32_t *perm = jf__malloc((size_t)n * sizeof *perm);
    if (!perm)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    return perm;
}

/* Pair indices number the upper triangle row by row: row p (the task at
 * position p of perm) holds n-1-p pairs, to positions p+1 .. n-1. */
static jf_status emit_taken(gen *g, const uint32_t *perm, const uint64_t *x, size_t k)
{
    uint64_t row_start = 0, row_len = g->n - 1;
    uint32_t p = 0;
    jf_status st = JF_OK;
    for (size_t j = 0; j < k && st == JF_OK; j++) {
        while (x[j] >= row_start + row_len) {
            row_start += row_len--;
            p++;
        }
        st = add_edge(g, perm[p], perm[p + 1 + (x[j] - row_start)]);
    }
    return st;
}

/* Every pair but the sorted x[0..k): for dense jobs, where k <= edges. */
static jf_status emit_skipped(gen *g, const uint32_t *perm, const uint64_t *x, size_t k)
{
    uint64_t idx = 0;
    size_t j = 0;
    jf_status st = JF_OK;
    for (uint32_t p = 0; p + 1 < g->n && st == JF_OK; p++) {
        for (uint32_t q = p + 1; q < g->n && st == JF_OK; q++, idx++) {
            if (j < k && x[j] == idx)
                j++;
            else
                st = add_edge(g, perm[p], perm[q]);
        }
    }
    return st;
}

static jf_status edges_random(gen *g)
{
    uint64_t total = (uint64_t)g->n * (g->n - 1) / 2;
    int skip = g->edges > total / 2; /* dense: draw the pairs left out */
    uint64_t k = skip ? total - g->edges : g->edges;
    if (k > SIZE_MAX / (4 * sizeof(uint64_t)))
        return jf__job_fail(g->job, JF_ENOMEM, "random: %" PRIu64 " edges are too many", g->edges);
    uint32_t *perm = random_perm(&g->graph, g->n);
    uint64_t *x = NULL;
    if (!perm || (k > 0 && sample_sorted(&g->graph, total, (size_t)k, &x) != 0)) {
        jf__free(perm);
        return jf__job_fail(g->job, JF_ENOMEM, "out of memory");
    }
    jf_status st = skip ? emit_skipped(g, perm, x, (size_t)k)
                        : emit_taken(g, perm, x, (size_t)k);
    jf__free(perm);
    jf__free(x);
    return st;
}

/* ---- parameters ---- */

static jf_status check_dist(gen *g, const char *what, const jf_gen_dist *d)
{
    if (!isfinite(d->lo) || !isfinite(d->hi) || d->lo < 0 || d->hi > MAX_VALUE)
        return jf__job_fail(g->job, JF_EINVAL, "%s: bounds must lie in [0, 2^53], got %g..%g",
                            what, d->lo, d->hi);
    if (d->lo > d->hi)
        return jf__job_fail(g->job, JF_EINVAL, "%s: low bound %g is above high bound %g", what,
                            d->lo, d->hi);
    if (d->integer && ceil(d->lo) > floor(d->hi))
        return jf__job_fail(g->job, JF_EINVAL, "%s: no whole number in %g..%g", what, d->lo,
                            d->hi);
    return JF_OK;
}

static jf_status check_count(gen *g, const char *what, uint64_t n)
{
    if (n == 0)
        return jf__job_fail(g->job, JF_EINVAL, "%s: needs at least 1 task",
                            jf_gen_shape_name(g->p->shape));
    if (n > MAX_TASKS)
        return jf__job_fail(g->job, JF_EINVAL, "%s: %s %" PRIu64 " is above the limit %" PRIu64,
                            jf_gen_shape_name(g->p->shape), what, n, MAX_TASKS);
    g->n = (uint32_t)n;
    return JF_OK;
}

static jf_status check_tree(gen *g)
{
    uint64_t depth = g->p->size;
    if (depth == 0 || depth > MAX_DEPTH)
        return jf__job_fail(g->job, JF_EINVAL, "tree: depth %" PRIu64 " is not in 1..%d", depth,
                            MAX_DEPTH);
    return check_count(g, "tasks", ((uint64_t)1 << depth) - 1);
}

static jf_status check_wavefront(gen *g)
{
    uint64_t m = g->p->size;
    if (m > 65535)
        return jf__job_fail(g->job, JF_EINVAL, "wavefront: side %" PRIu64 " is above 65535", m);
    g->w = (uint32_t)m;
    return check_count(g, "tasks", m * m);
}

static jf_status check_layered(gen *g)
{
    const jf_gen_params *p = g->p;
    uint64_t w = p->size, n = p->tasks;
    if (w == 0)
        return jf__job_fail(g->job, JF_EINVAL, "layered: the width must be at least 1");
    if (n == 0 && w > MAX_TASKS / w)
        return jf__job_fail(g->job, JF_EINVAL,
                            "layered: width %" PRIu64 " squared is too many tasks; set tasks", w);
    if (p->succ_min > p->succ_max)
        return jf__job_fail(g->job, JF_EINVAL, "layered: succ_min %u is above succ_max %u",
                            p->succ_min, p->succ_max);
    if (p->succ_max > w)
        return jf__job_fail(g->job, JF_EINVAL, "layered: succ_max %u is above the width %" PRIu64,
                            p->succ_max, w);
    jf_status st = check_count(g, "tasks", n ? n : w * w);
    g->w = (uint32_t)JF__MIN(w, (uint64_t)g->n); /* one level when tasks < width */
    return st;
}

static jf_status check_random(gen *g)
{
    const jf_gen_params *p = g->p;
    if (p->size && p->tasks && p->size != p->tasks)
        return jf__job_fail(g->job, JF_EINVAL,
                            "random: size %" PRIu64 " and tasks %" PRIu64 " differ; set one",
                            p->size, p->tasks);
    jf_status st = check_count(g, "tasks", p->tasks ? p->tasks : p->size);
    if (st != JF_OK)
        return st;
    uint64_t total = (uint64_t)g->n * (g->n - 1) / 2;
    if (p->edges > total)
        return jf__job_fail(g->job, JF_EINVAL,
                            "random: %" PRIu64 " edges are more than the %" PRIu64
                            " that %u tasks allow",
                            p->edges, total, g->n);
    g->edges = p->edges ? p->edges : JF__MIN(4 * (uint64_t)g->n, total);
    return JF_OK;
}

static jf_status check_shape(gen *g)
{
    switch (g->p->shape) {
    case JF_GEN_CHAIN:
    case JF_GEN_PAR: return check_count(g, "size", g->p->size);
    case JF_GEN_TREE: return check_tree(g);
    case JF_GEN_WAVEFRONT: return check_wavefront(g);
    case JF_GEN_LAYERED: return check_layered(g);
    case JF_GEN_RANDOM: return check_random(g);
    }
    return jf__job_fail(g->job, JF_EINVAL, "unknown shape %d", (int)g->p->shape);
}

static jf_status check_params(gen *g)
{
    jf_status st = check_shape(g);
    if (st == JF_OK)
        st = check_dist(g, "memory", &g->p->memory);
    if (st == JF_OK)
        st = check_dist(g, "time", &g->p->time);
    if (st == JF_OK)
        st = check_dist(g, "bytes", &g->p->bytes);
    if (st == JF_OK && (!isfinite(g->p->work.us) || g->p->work.us < 0))
        st = jf__job_fail(g->job, JF_EINVAL, "work: time must be >= 0, got %g", g->p->work.us);
    return st;
}

static jf_status add_edges(gen *g)
{
    switch (g->p->shape) {
    case JF_GEN_CHAIN: return edges_chain(g);
    case JF_GEN_PAR: return JF_OK;
    case JF_GEN_TREE: return edges_tree(g);
    case JF_GEN_WAVEFRONT: return edges_wavefront(g);
    case JF_GEN_LAYERED: return edges_layered(g);
    case JF_GEN_RANDOM: return edges_random(g);
    }
    return JF_EINVAL;
}

/* ---- public ---- */

jf_gen_params jf_gen_default_params(void)
{
    jf_gen_params p;
    memset(&p, 0, sizeof p);
    p.shape = JF_GEN_CHAIN;
    p.size = 0;  /* the caller chooses */
    p.tasks = 0; /* layered: size * size; random: size */
    p.edges = 0; /* random: 4 per task (at most every pair) */
    p.succ_min = 1;
    p.succ_max = 4;
    p.seed = 1;
    p.memory = (jf_gen_dist){1024, 65536, 1};
    p.time = (jf_gen_dist){1, 1, 0};
    p.bytes = (jf_gen_dist){1024, 16384, 1};
    p.work = (jf_work){JF_WORK_SPIN, 1};
    return p;
}

jf_status jf_gen(const jf_gen_params *params, jf_job **out)
{
    char name[64];
    jf__fmt(name, sizeof name, "%s-%" PRIu64, jf_gen_shape_name(params->shape),
            params->size ? params->size : params->tasks);
    jf_status st = jf_job_create(name, out);
    if (st != JF_OK)
        return st;
    gen g = {.p = params, .job = *out};
    rng_seed(&g.graph, params->seed, STREAM_GRAPH);
    rng_seed(&g.demand, params->seed, STREAM_DEMAND);
    rng_seed(&g.bytes, params->seed, STREAM_BYTES);
    g.mem_res = jf_job_resource(g.job, "memory");
    g.time_res = jf_job_resource(g.job, "time");
    st = check_params(&g);
    if (st == JF_OK)
        st = add_tasks(&g);
    if (st == JF_OK)
        st = add_edges(&g);
    if (st == JF_OK)
        st = jf_job_validate(g.job);
    return st;
}

static const char *const shape_names[] = {"chain", "par", "tree", "wavefront", "layered",
                                          "random"};

int jf_gen_shape_parse(const char *name, jf_gen_shape *out)
{
    for (int s = 0; s < (int)(sizeof shape_names / sizeof *shape_names); s++) {
        if (strcmp(name, shape_names[s]) == 0) {
            *out = (jf_gen_shape)s;
            return 0;
        }
    }
    return -1;
}

const char *jf_gen_shape_name(jf_gen_shape shape)
{
    unsigned s = (unsigned)shape;
    return s < sizeof shape_names / sizeof *shape_names ? shape_names[s] : "unknown";
}
