/* jobfuse/gen.h — synthetic jobs for tests, benchmarks and `jobfuse gen`.
 *
 *   jf_gen_params g = jf_gen_default_params();
 *   g.shape = JF_GEN_LAYERED;
 *   g.size = 1000;        // width of a level for layered
 *   g.tasks = 100000;     // total tasks for layered/random
 *   g.seed = 42;
 *   jf_job *job = NULL;
 *   jf_status st = jf_gen(&g, &job);   // validated job, or an error message in job
 *
 * The same parameters always give the same job, byte for byte. `size` has
 * no default: set it. For layered, tasks == 0 means W*W; random takes its
 * count from `tasks` or `size` (both set and different is an error);
 * edges == 0 means 4 per task, at most N(N-1)/2. Graph, demands and edge
 * bytes come from separate random streams, so changing a demand range
 * leaves the graph alone.
 */
#ifndef JOBFUSE_GEN_H
#define JOBFUSE_GEN_H

#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    JF_GEN_CHAIN,     /* size tasks in a line */
    JF_GEN_PAR,       /* size independent tasks */
    JF_GEN_TREE,      /* binary tree of depth `size`, edges from leaves to root (reduction) */
    JF_GEN_WAVEFRONT, /* size x size grid, (i,j) needs (i-1,j) and (i,j-1) */
    JF_GEN_LAYERED,   /* levels of width `size`, `tasks` in all, 1-4 successors each in the next level */
    JF_GEN_RANDOM     /* `tasks` tasks, `edges` random forward edges */
} jf_gen_shape;

/* A distribution of a demand: constant when lo == hi, else uniform in [lo, hi]. */
typedef struct {
    double lo, hi;
    int integer; /* round to whole numbers */
} jf_gen_dist;

typedef struct {
    jf_gen_shape shape;
    uint64_t size;     /* shape's main parameter (see above) */
    uint64_t tasks;    /* layered, random: total tasks */
    uint64_t edges;    /* random: number of edges (default 4 per task) */
    uint32_t succ_min, succ_max; /* layered: successors per task, default 1..4 */
    uint64_t seed;
    jf_gen_dist memory; /* bytes; default 1KiB..64KiB integer */
    jf_gen_dist time;   /* microseconds; default 1 */
    jf_gen_dist bytes;  /* edge bytes; default 1KiB..16KiB integer */
    jf_work work;       /* default spin 1us */
} jf_gen_params;

jf_gen_params jf_gen_default_params(void);
/* Build and validate the job. *out set even on failure (message on it). */
jf_status jf_gen(const jf_gen_params *params, jf_job **out);
/* "chain" -> JF_GEN_CHAIN; returns 0 on success. */
int jf_gen_shape_parse(const char *name, jf_gen_shape *out);
const char *jf_gen_shape_name(jf_gen_shape shape);

#ifdef __cplusplus
}
#endif
#endif
