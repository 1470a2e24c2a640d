/* The job's layout, shared by the stages that read it directly. */
#ifndef JF_JOB_IMPL_H
#define JF_JOB_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"
#include "jobfuse/job.h"

#define JF__ERRMSG 1024

struct jf_job {
    char *name;
    char errmsg[JF__ERRMSG];
    jf__arena arena; /* ids, op names */

    int n_res;
    size_t res_cap;
    const char **res_name;
    jf_rule *res_rule;
    double **demand; /* demand[r][task], columns of task_cap */

    uint32_t n_tasks;
    size_t task_cap;
    const char **ids;     /* NULL for an anonymous task not named yet; the
                           * column itself NULL until some id is needed */
    jf__strmap id_map;
    atomic_int ids_pending; /* some task still has no id */
    pthread_mutex_t id_lock;
    jf_work *work;
    const char **op;   /* NULL until some task has an op */
    jf_task_fn *fn;    /* NULL until some task has a function */
    void **arg;

    /* dependencies as added, until validation */
    uint32_t *dep_before, *dep_after;
    uint64_t *dep_bytes; /* NULL while every dependency so far has 0 bytes */
    size_t n_deps, dep_cap;
    /* 0 while every dependency so far runs from a lower index to a higher
     * one and comes after the previous one in (after, before) order, as a
     * job built in task order adds them: validation then needs no sort
     * and no topological sort (validate.c) */
    int deps_unordered;

    /* after validation: CSR in both directions, rows sorted by task */
    int validated;
    uint64_t n_edges;
    uint64_t *out_off, *in_off; /* n_tasks + 1 */
    uint32_t *out_task, *in_task;
    uint64_t *out_bytes, *in_bytes;
    uint32_t *topo;
    int topo_is_index; /* topo[i] == i: the tasks' own order is topological */
};

/* Columns: the job's per-task and per-edge arrays (job.c). A column of a
 * megabyte or more starts on a 2 MiB boundary and asks for transparent
 * huge pages; free columns with jf__col_free only. */
JF__HIDDEN void *jf__col_alloc(size_t bytes);
JF__HIDDEN void *jf__col_calloc(size_t count, size_t size);
/* A column of `bytes` holding the first `used` bytes of p, which is freed
 * (not on failure: then p stays). p may be NULL. */
JF__HIDDEN void *jf__col_grow(void *p, size_t used, size_t bytes);
JF__HIDDEN void jf__col_free(void *p);

/* Free the edge arrays and the order made by validation. */
JF__HIDDEN void jf__job_free_csr(jf_job *job);

/* A task's id, naming anonymous tasks first if need be; never NULL. */
JF__HIDDEN const char *jf__id(const jf_job *job, uint32_t task);

/* Set the job's message; returns st for tail calls. */
JF__HIDDEN jf_status jf__job_fail(jf_job *job, jf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
