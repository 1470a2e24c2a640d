/* Building a job: tasks, ids, resources, demands and dependencies. */
#include <math.h>
#include <sys/mman.h>

#include "core/job_impl.h"

jf_status jf__job_fail(jf_job *job, jf_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->errmsg, sizeof job->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- columns ----
 * Building a job of a million tasks writes a hundred megabytes of arrays.
 * On Linux every fresh 4 KiB page costs a fault, dearer than the writes
 * into it, and unmapping it again at the end costs about as much: most of
 * the time of building through the C API went there. Columns of 2 MiB
 * or more are therefore laid on 2 MiB boundaries and ask for transparent
 * huge pages (one fault per 2 MiB); the allocation's start is kept just
 * below the column. The slack (up to 4 MiB of address space per large
 * column, counted by jf_alloc_get_stats) is never touched. Tried and
 * slower: realloc with the hint, whose blocks rarely hold whole 2 MiB
 * pages; and huge pages from 1 MiB, where the kernel zeroes 2 MiB for
 * every 1 MiB column (2^18 tasks: 26 ns per task added, 19 from 2 MiB). */
#define COL_BIG ((size_t)2 << 20)
#define COL_HUGE ((size_t)2 << 20)

void *jf__col_alloc(size_t bytes)
{
    int big = bytes >= COL_BIG;
    if (bytes > SIZE_MAX / 2)
        return NULL;
    size_t round = big ? (bytes + COL_HUGE - 1) & ~(COL_HUGE - 1) : bytes;
    char *b = jf__malloc(round + (big ? COL_HUGE + 16 : 16));
    if (!b)
        return NULL;
    char *p = big ? (char *)(((uintptr_t)b + 8 + COL_HUGE - 1) & ~(uintptr_t)(COL_HUGE - 1))
                  : b + 16;
    ((void **)p)[-1] = b;
#ifdef MADV_HUGEPAGE
    if (big)
        (void)madvise(p, round, MADV_HUGEPAGE);
#endif
    return p;
}

void *jf__col_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / 2 / size)
        return NULL;
    void *p = jf__col_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *jf__col_grow(void *p, size_t used, size_t bytes)
{
    void *q = jf__col_alloc(bytes);
    if (q && p) {
        memcpy(q, p, used);
        jf__col_free(p);
    }
    return q;
}

void jf__col_free(void *p)
{
    if (p)
        jf__free(((void **)p)[-1]);
}

static const char *id_of(const void *ctx, uint32_t task)
{
    return ((const jf_job *)ctx)->ids[task]; /* only named tasks are in the map */
}

static jf_status name_pending(const jf_job *cjob);
static jf_status alloc_ids(jf_job *job);

jf_status jf_job_create(const char *name, jf_job **out)
{
    *out = NULL;
    jf_job *job = jf__calloc(1, sizeof *job);
    if (!job)
        return JF_ENOMEM;
    pthread_mutex_init(&job->id_lock, NULL);
    job->name = jf__strdup(name ? name : "job");
    if (!job->name || jf_job_declare_resource(job, "memory", JF_RULE_SUM) < 0 ||
        jf_job_declare_resource(job, "time", JF_RULE_SUM) < 0 ||
        jf_job_declare_resource(job, "flops", JF_RULE_SUM) < 0 ||
        jf_job_declare_resource(job, "threads", JF_RULE_MAX) < 0) {
        jf_job_destroy(job);
        return JF_ENOMEM;
    }
    *out = job;
    return JF_OK;
}

void jf_job_destroy(jf_job *job)
{
    if (!job)
        return;
    for (int r = 0; r < job->n_res; r++)
        jf__col_free(job->demand[r]);
    jf__free(job->demand);
    jf__free(job->res_name);
    jf__free(job->res_rule);
    jf__col_free(job->ids);
    jf__col_free(job->work);
    jf__col_free(job->op);
    jf__col_free(job->fn);
    jf__col_free(job->arg);
    jf__strmap_free(&job->id_map);
    jf__col_free(job->dep_before);
    jf__col_free(job->dep_after);
    jf__col_free(job->dep_bytes);
    jf__job_free_csr(job);
    jf__arena_free(&job->arena);
    jf__free(job->name);
    pthread_mutex_destroy(&job->id_lock);
    jf__free(job);
}

const char *jf_job_errmsg(const jf_job *job) { return job ? job->errmsg : "out of memory"; }
const char *jf_job_name(const jf_job *job) { return job->name; }

/* ---- resources ---- */

int jf_job_resource_find(const jf_job *job, const char *name)
{
    for (int r = 0; r < job->n_res; r++)
        if (strcmp(job->res_name[r], name) == 0)
            return r;
    return -1;
}

static int add_resource(jf_job *job, const char *name, jf_rule rule)
{
    size_t need = (size_t)job->n_res + 1, cap = job->res_cap;
    if (jf__grow((void **)&job->res_name, &cap, need, sizeof *job->res_name) != 0)
        return -1;
    cap = job->res_cap;
    if (jf__grow((void **)&job->res_rule, &cap, need, sizeof *job->res_rule) != 0)
        return -1;
    cap = job->res_cap;
    if (jf__grow((void **)&job->demand, &cap, need, sizeof *job->demand) != 0)
        return -1;
    job->res_cap = cap;
    const char *copy = jf__arena_strdup(&job->arena, name);
    double *column = jf__col_calloc(job->task_cap ? job->task_cap : 1, sizeof *column);
    if (!copy || !column) {
        jf__col_free(column);
        return -1;
    }
    int r = job->n_res++;
    job->res_name[r] = copy;
    job->res_rule[r] = rule;
    job->demand[r] = column;
    return r;
}

int jf_job_declare_resource(jf_job *job, const char *name, jf_rule rule)
{
    int r = jf_job_resource_find(job, name);
    if (r >= 0) {
        job->res_rule[r] = rule;
        return r;
    }
    return add_resource(job, name, rule);
}

int jf_job_resource(jf_job *job, const char *name)
{
    int r = jf_job_resource_find(job, name);
    return r >= 0 ? r : add_resource(job, name, JF_RULE_SUM);
}

int jf_job_resource_count(const jf_job *job) { return job->n_res; }
const char *jf_job_resource_name(const jf_job *job, int r) { return job->res_name[r]; }
jf_rule jf_job_resource_rule(const jf_job *job, int r) { return job->res_rule[r]; }

/* ---- tasks ---- */

/* Grow a per-task array from old_cap to new_cap; the new slots are left
 * as they are: every task writes all of its own (clear_slot), so no page
 * is touched before a task needs it. */
static int grow_array(void **p, size_t old_cap, size_t new_cap, size_t elem)
{
    if (!*p)
        return 0; /* lazily allocated array not in use */
    void *q = jf__col_grow(*p, old_cap * elem, new_cap * elem);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* Capacities double up to 64K elements and grow fourfold past it: each
 * growth copies (or remaps) every column, and on large jobs that cost
 * dominated adding a task; the price is up to 4x the used capacity
 * reserved (untouched pages cost no memory, but the allocator counts them). */
static size_t next_cap(size_t old, size_t first)
{
    return old == 0 ? first : old < 65536 ? old * 2 : old * 4;
}

static int grow_tasks(jf_job *job)
{
    size_t old = job->task_cap, cap = next_cap(old, 64);
    if (!job->work && !(job->work = jf__col_alloc(sizeof *job->work)))
        return -1; /* the one array every job has starts here */
    for (int r = 0; r < job->n_res; r++)
        if (grow_array((void **)&job->demand[r], old, cap, sizeof(double)) != 0)
            return -1;
    if (grow_array((void **)&job->ids, old, cap, sizeof *job->ids) != 0 ||
        grow_array((void **)&job->work, old, cap, sizeof *job->work) != 0 ||
        grow_array((void **)&job->op, old, cap, sizeof *job->op) != 0 ||
        grow_array((void **)&job->fn, old, cap, sizeof *job->fn) != 0 ||
        grow_array((void **)&job->arg, old, cap, sizeof *job->arg) != 0)
        return -1;
    job->task_cap = cap;
    return 0;
}

/* Every per-task field of a new task t: no demand, no work, no id yet. */
static void clear_slot(jf_job *job, uint32_t t)
{
    for (int r = 0; r < job->n_res; r++)
        job->demand[r][t] = 0.0;
    if (job->ids)
        job->ids[t] = NULL;
    job->work[t] = (jf_work){JF_WORK_NOOP, 0};
    if (job->op)
        job->op[t] = NULL;
    if (job->fn) {
        job->fn[t] = NULL;
        job->arg[t] = NULL;
    }
}

jf_status jf_job_add_task_id(jf_job *job, const char *id, uint32_t *out_task)
{
    if (job->validated)
        return jf__job_fail(job, JF_EINVAL, "the job is validated: no more tasks");
    uint32_t found;
    if (!id || !*id)
        return jf__job_fail(job, JF_EINVAL, "a task id must be a non-empty string");
    if (name_pending(job) != JF_OK) /* anonymous ids first: they do not move */
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    if (jf__strmap_find(&job->id_map, id, id_of, job, &found))
        return jf__job_fail(job, JF_EINVAL, "task \"%s\": duplicate id", id);
    if (job->n_tasks == UINT32_MAX - 1)
        return jf__job_fail(job, JF_EINVAL, "too many tasks");
    if ((job->n_tasks == job->task_cap && grow_tasks(job) != 0) || alloc_ids(job) != JF_OK)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    uint32_t t = job->n_tasks;
    clear_slot(job, t);
    job->ids[t] = jf__arena_strdup(&job->arena, id);
    if (!job->ids[t])
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    if (jf__strmap_insert(&job->id_map, t, id_of, job) != 0)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    job->n_tasks++;
    if (out_task)
        *out_task = t;
    return JF_OK;
}

/* Anonymous tasks get their id ("t<index>", or "t<index>_<k>" when taken)
 * only when some id is first needed: formatting and interning a million ids
 * would cost more than building the rest of the job. */
jf_status jf_job_add_task_anon(jf_job *job, uint32_t *out_task)
{
    if (job->validated)
        return jf__job_fail(job, JF_EINVAL, "the job is validated: no more tasks");
    if (job->n_tasks == UINT32_MAX - 1)
        return jf__job_fail(job, JF_EINVAL, "too many tasks");
    if (job->n_tasks == job->task_cap && grow_tasks(job) != 0)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    uint32_t t = job->n_tasks++;
    clear_slot(job, t);
    if (!atomic_load_explicit(&job->ids_pending, memory_order_relaxed))
        atomic_store(&job->ids_pending, 1); /* a locked write: once, not per task */
    if (out_task)
        *out_task = t;
    return JF_OK;
}

static jf_status name_task(jf_job *job, uint32_t t)
{
    char id[48];
    uint32_t found;
    jf__fmt(id, sizeof id, "t%u", t);
    for (unsigned k = 1; jf__strmap_find(&job->id_map, id, id_of, job, &found); k++)
        jf__fmt(id, sizeof id, "t%u_%u", t, k);
    const char *copy = jf__arena_strdup(&job->arena, id);
    if (!copy)
        return JF_ENOMEM;
    job->ids[t] = copy;
    if (jf__strmap_insert(&job->id_map, t, id_of, job) != 0) {
        job->ids[t] = NULL;
        return JF_ENOMEM;
    }
    return JF_OK;
}

/* The ids column, made when the first id is needed: a job of anonymous
 * tasks that never names one does without it. */
static jf_status alloc_ids(jf_job *job)
{
    if (!job->ids)
        job->ids = jf__col_calloc(job->task_cap ? job->task_cap : 1, sizeof *job->ids);
    return job->ids ? JF_OK : JF_ENOMEM;
}

/* Give every anonymous task its id, in index order (so ids never depend on
 * when they were asked for). Safe to call from several threads. */
static jf_status name_pending(const jf_job *cjob)
{
    jf_job *job = (jf_job *)cjob; /* ids are a cache: filling them is not a change */
    if (!atomic_load(&job->ids_pending))
        return JF_OK;
    pthread_mutex_lock(&job->id_lock);
    jf_status st = alloc_ids(job);
    for (uint32_t t = 0; t < job->n_tasks && st == JF_OK; t++)
        if (!job->ids[t])
            st = name_task(job, t);
    if (st == JF_OK)
        atomic_store(&job->ids_pending, 0);
    pthread_mutex_unlock(&job->id_lock);
    return st;
}

const char *jf__id(const jf_job *job, uint32_t task)
{
    if (name_pending(job) != JF_OK)
        return "?"; /* out of memory while naming: still printable */
    return job->ids[task];
}

/* The function columns, made when the first C-API task appears. */
static jf_status alloc_fn_columns(jf_job *job)
{
    if (!job->fn) {
        job->fn = jf__col_calloc(job->task_cap ? job->task_cap : 1, sizeof *job->fn);
        job->arg = jf__col_calloc(job->task_cap ? job->task_cap : 1, sizeof *job->arg);
        if (!job->fn || !job->arg) {
            jf__col_free(job->fn);
            jf__col_free(job->arg);
            job->fn = NULL;
            job->arg = NULL;
            return jf__job_fail(job, JF_ENOMEM, "out of memory");
        }
    }
    return JF_OK;
}

jf_status jf_job_add_task(jf_job *job, jf_task_fn fn, void *arg, uint32_t *out_task)
{
    uint32_t t = 0;
    jf_status st = alloc_fn_columns(job);
    if (st == JF_OK)
        st = jf_job_add_task_anon(job, &t);
    if (st != JF_OK)
        return st;
    job->fn[t] = fn;
    job->arg[t] = arg;
    if (out_task)
        *out_task = t;
    return JF_OK;
}

jf_status jf_job_set_fn(jf_job *job, uint32_t task, jf_task_fn fn, void *arg)
{
    if (task >= job->n_tasks)
        return jf__job_fail(job, JF_EINVAL, "no task with index %u", task);
    jf_status st = alloc_fn_columns(job);
    if (st != JF_OK)
        return st;
    job->fn[task] = fn;
    job->arg[task] = arg;
    return JF_OK;
}

static jf_status check_task(jf_job *job, uint32_t task)
{
    if (task >= job->n_tasks)
        return jf__job_fail(job, JF_EINVAL, "no task with index %u", task);
    return JF_OK;
}

jf_status jf_job_set_demand(jf_job *job, uint32_t task, int resource, double value)
{
    if (check_task(job, task) != JF_OK)
        return JF_EINVAL;
    if (resource < 0 || resource >= job->n_res)
        return jf__job_fail(job, JF_EINVAL, "no resource with index %d", resource);
    if (!isfinite(value) || value < 0)
        return jf__job_fail(job, JF_EINVAL,
                            "task \"%s\": demand \"%s\" must be a finite number >= 0",
                            jf__id(job, task), job->res_name[resource]);
    job->demand[resource][task] = value;
    return JF_OK;
}

jf_status jf_job_set_work(jf_job *job, uint32_t task, jf_work work)
{
    if (check_task(job, task) != JF_OK)
        return JF_EINVAL;
    if (!isfinite(work.us) || work.us < 0)
        return jf__job_fail(job, JF_EINVAL, "task \"%s\": work time must be >= 0",
                            jf__id(job, task));
    job->work[task] = work;
    return JF_OK;
}

jf_status jf_job_set_op(jf_job *job, uint32_t task, const char *op)
{
    if (check_task(job, task) != JF_OK)
        return JF_EINVAL;
    if (!job->op) {
        job->op = jf__col_calloc(job->task_cap, sizeof *job->op);
        if (!job->op)
            return jf__job_fail(job, JF_ENOMEM, "out of memory");
    }
    job->op[task] = op ? jf__arena_strdup(&job->arena, op) : NULL;
    if (op && !job->op[task])
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    return JF_OK;
}

/* Room for one more dependency in every array in use. 0 or -1. */
static int grow_deps(jf_job *job)
{
    size_t old = job->dep_cap, cap = next_cap(old, 1024);
    uint32_t *b = jf__col_grow(job->dep_before, old * sizeof *b, cap * sizeof *b);
    if (b)
        job->dep_before = b;
    uint32_t *a = b ? jf__col_grow(job->dep_after, old * sizeof *a, cap * sizeof *a) : NULL;
    if (a)
        job->dep_after = a;
    uint64_t *by = a && job->dep_bytes ? jf__col_grow(job->dep_bytes, old * 8, cap * 8) : NULL;
    if (by)
        job->dep_bytes = by;
    if (!a || (job->dep_bytes && !by))
        return -1;
    job->dep_cap = cap;
    return 0;
}

/* The first dependency with bytes: until then every one had 0. */
static int start_dep_bytes(jf_job *job)
{
    job->dep_bytes = jf__col_calloc(job->dep_cap ? job->dep_cap : 1, sizeof *job->dep_bytes);
    return job->dep_bytes ? 0 : -1;
}

/* Keep deps_unordered up to date with dependency i (see job_impl.h). */
static void note_dep_order(jf_job *job, size_t i, uint32_t before, uint32_t after)
{
    if (before >= after)
        job->deps_unordered = 1;
    else if (i > 0) {
        uint32_t pa = job->dep_after[i - 1], pb = job->dep_before[i - 1];
        job->deps_unordered |= after < pa || (after == pa && before <= pb);
    }
}

jf_status jf_job_add_dep(jf_job *job, uint32_t before, uint32_t after, uint64_t bytes)
{
    if (job->validated)
        return jf__job_fail(job, JF_EINVAL, "the job is validated: no more dependencies");
    if (check_task(job, before) != JF_OK || check_task(job, after) != JF_OK)
        return JF_EINVAL;
    if (bytes > JF__BYTES_MAX)
        return jf__job_fail(job, JF_EINVAL, "task \"%s\": bytes of the dependency on \"%s\" "
                            "must be at most 2^63-1", jf__id(job, after), jf__id(job, before));
    if ((job->n_deps == job->dep_cap && grow_deps(job) != 0) ||
        (bytes && !job->dep_bytes && start_dep_bytes(job) != 0))
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    size_t i = job->n_deps++;
    if (!job->deps_unordered)
        note_dep_order(job, i, before, after);
    job->dep_before[i] = before;
    job->dep_after[i] = after;
    if (job->dep_bytes)
        job->dep_bytes[i] = bytes;
    return JF_OK;
}

/* ---- reading ---- */

uint32_t jf_job_task_count(const jf_job *job) { return job->n_tasks; }
uint64_t jf_job_edge_count(const jf_job *job) { return job->n_edges; }
const char *jf_job_task_id(const jf_job *job, uint32_t task) { return jf__id(job, task); }

int jf_job_task_find(const jf_job *job, const char *id, uint32_t *out_task)
{
    if (name_pending(job) != JF_OK)
        return 0;
    return jf__strmap_find(&job->id_map, id, id_of, job, out_task);
}

double jf_job_demand(const jf_job *job, uint32_t task, int resource)
{
    return resource >= 0 && resource < job->n_res ? job->demand[resource][task] : 0.0;
}

jf_work jf_job_work(const jf_job *job, uint32_t task) { return job->work[task]; }
const char *jf_job_op(const jf_job *job, uint32_t task) { return job->op ? job->op[task] : NULL; }

jf_task_fn jf_job_task_fn(const jf_job *job, uint32_t task, void **out_arg)
{
    if (out_arg)
        *out_arg = job->arg ? job->arg[task] : NULL;
    return job->fn ? job->fn[task] : NULL;
}

uint32_t jf_job_succ(const jf_job *job, uint32_t task, const uint32_t **tasks,
                     const uint64_t **bytes)
{
    JF_ASSERT(job->validated);
    uint64_t b = job->out_off[task];
    *tasks = job->out_task + b;
    if (bytes)
        *bytes = job->out_bytes + b;
    return (uint32_t)(job->out_off[task + 1] - b);
}

uint32_t jf_job_pred(const jf_job *job, uint32_t task, const uint32_t **tasks,
                     const uint64_t **bytes)
{
    JF_ASSERT(job->validated);
    uint64_t b = job->in_off[task];
    *tasks = job->in_task + b;
    if (bytes)
        *bytes = job->in_bytes + b;
    return (uint32_t)(job->in_off[task + 1] - b);
}

const uint32_t *jf_job_topo_order(const jf_job *job)
{
    JF_ASSERT(job->validated);
    return job->topo;
}
