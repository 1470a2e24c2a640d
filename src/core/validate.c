/* Validation: dependencies into CSR arrays (both directions, duplicates
 * merged), a deterministic topological order, and cycles named. */
#include "core/job_impl.h"

static jf_status check_self_deps(jf_job *job)
{
    for (size_t i = 0; i < job->n_deps; i++)
        if (job->dep_before[i] == job->dep_after[i])
            return jf__job_fail(job, JF_EINVAL, "task \"%s\": depends on itself",
                                jf__id(job, job->dep_before[i]));
    return JF_OK;
}

/* Stable counting sort of the dependency indices `order` by key[]. */
static void sort_by(const uint32_t *key, uint32_t n_keys, const uint32_t *in, uint32_t *out,
                    size_t n, uint64_t *count)
{
    memset(count, 0, ((size_t)n_keys + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[key[in[i]] + 1]++;
    for (uint32_t k = 0; k < n_keys; k++)
        count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++)
        out[count[key[in[i]]]++] = in[i];
}

static void warn_duplicate(const jf_job *job, uint32_t before, uint32_t after, size_t *warned)
{
    if (*warned < 10)
        jf__log(JF_LOG_WARN, "task \"%s\": duplicate dependency on \"%s\" merged (bytes added)",
                jf__id(job, after), jf__id(job, before));
    (*warned)++;
}

/* Fill out-CSR from the dependencies sorted by (before, after), merging
 * repeats. */
static void fill_out(jf_job *job, const uint32_t *sorted)
{
    size_t warned = 0;
    uint64_t m = 0;
    memset(job->out_off, 0, ((size_t)job->n_tasks + 1) * sizeof *job->out_off);
    for (size_t i = 0; i < job->n_deps; i++) {
        uint32_t d = sorted[i], b = job->dep_before[d], a = job->dep_after[d];
        if (m > 0 && i > 0 && job->dep_before[sorted[i - 1]] == b && job->out_task[m - 1] == a) {
            job->out_bytes[m - 1] =
                jf__bytes_add(job->out_bytes[m - 1], job->dep_bytes ? job->dep_bytes[d] : 0);
            warn_duplicate(job, b, a, &warned);
            continue;
        }
        job->out_task[m] = a;
        job->out_bytes[m] = job->dep_bytes ? job->dep_bytes[d] : 0;
        job->out_off[b + 1]++;
        m++;
    }
    for (uint32_t t = 0; t < job->n_tasks; t++)
        job->out_off[t + 1] += job->out_off[t];
    job->n_edges = m;
    if (warned > 10)
        jf__log(JF_LOG_WARN, "%zu duplicate dependencies merged in all", warned);
}

/* In-CSR from out-CSR; rows come out sorted by predecessor. */
static void fill_in(jf_job *job)
{
    uint32_t n = job->n_tasks;
    memset(job->in_off, 0, ((size_t)n + 1) * sizeof *job->in_off);
    for (uint64_t e = 0; e < job->n_edges; e++)
        job->in_off[job->out_task[e] + 1]++;
    for (uint32_t t = 0; t < n; t++)
        job->in_off[t + 1] += job->in_off[t];
    for (uint32_t t = 0; t < n; t++) {
        for (uint64_t e = job->out_off[t]; e < job->out_off[t + 1]; e++) {
            uint64_t slot = job->in_off[job->out_task[e]]++;
            job->in_task[slot] = t;
            job->in_bytes[slot] = job->out_bytes[e];
        }
    }
    for (uint32_t t = n; t > 0; t--)
        job->in_off[t] = job->in_off[t - 1];
    job->in_off[0] = 0;
}

static jf_status build_csr(jf_job *job)
{
    size_t n = job->n_deps, nt = job->n_tasks;
    uint32_t *a = jf__malloc((n + 1) * sizeof *a), *b = jf__malloc((n + 1) * sizeof *b);
    uint64_t *count = jf__malloc((nt + 1) * sizeof *count);
    job->out_off = jf__col_alloc((nt + 1) * sizeof(uint64_t));
    job->in_off = jf__col_alloc((nt + 1) * sizeof(uint64_t));
    job->out_task = jf__col_alloc((n + 1) * sizeof(uint32_t));
    job->out_bytes = jf__col_alloc((n + 1) * sizeof(uint64_t));
    if (!a || !b || !count || !job->out_off || !job->in_off || !job->out_task ||
        !job->out_bytes) {
        jf__free(a);
        jf__free(b);
        jf__free(count);
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (uint32_t)i;
    sort_by(job->dep_after, job->n_tasks, a, b, n, count);
    sort_by(job->dep_before, job->n_tasks, b, a, n, count);
    fill_out(job, a);
    jf__free(a);
    jf__free(b);
    jf__free(count);
    job->in_task = jf__col_alloc((job->n_edges + 1) * sizeof(uint32_t));
    job->in_bytes = jf__col_alloc((job->n_edges + 1) * sizeof(uint64_t));
    if (!job->in_task || !job->in_bytes)
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    fill_in(job);
    return JF_OK;
}

/* Kahn's algorithm, sources in index order: the same job always gives the
 * same order. Returns how many tasks were ordered. */
static uint32_t topo_sort(jf_job *job, uint32_t *indeg)
{
    uint32_t n = job->n_tasks, head = 0, tail = 0;
    for (uint32_t t = 0; t < n; t++) {
        indeg[t] = (uint32_t)(job->in_off[t + 1] - job->in_off[t]);
        if (indeg[t] == 0)
            job->topo[tail++] = t;
    }
    while (head < tail) {
        uint32_t t = job->topo[head++];
        for (uint64_t e = job->out_off[t]; e < job->out_off[t + 1]; e++)
            if (--indeg[job->out_task[e]] == 0)
                job->topo[tail++] = job->out_task[e];
    }
    return tail;
}

/* Every task left with indeg > 0 has a predecessor also left: walking back
 * must revisit a task, and the walk from that task on is a cycle. */
static jf_status report_cycle(jf_job *job, const uint32_t *indeg, uint32_t *step)
{
    uint32_t n = job->n_tasks, t = 0, k = 0;
    uint32_t *walk = jf__malloc((size_t)n * sizeof *walk);
    if (!walk)
        return jf__job_fail(job, JF_ECYCLE, "the job has a cycle");
    while (indeg[t] == 0)
        t++;
    for (uint32_t i = 0; i < n; i++)
        step[i] = UINT32_MAX;
    while (step[t] == UINT32_MAX) {
        step[t] = k;
        walk[k++] = t;
        uint64_t e = job->in_off[t];
        while (indeg[job->in_task[e]] == 0)
            e++;
        t = job->in_task[e];
    }
    /* walk[step[t]..k-1] is the cycle backwards; print it forwards. */
    uint32_t first = step[t], len = k - first;
    char msg[JF__ERRMSG - 64];
    size_t used = 0;
    for (uint32_t i = 0; i < len && i < 8 && used < sizeof msg; i++)
        used += (size_t)snprintf(msg + used, sizeof msg - used, "\"%s\" -> ",
                                 jf__id(job, walk[k - 1 - i]));
    if (used < sizeof msg)
        snprintf(msg + used, sizeof msg - used, "%s\"%s\"", len > 8 ? "... -> " : "",
                 jf__id(job, walk[k - 1]));
    jf__free(walk);
    return jf__job_fail(job, JF_ECYCLE, "cycle of %u tasks: %s", len, msg);
}

static void free_deps(jf_job *job)
{
    jf__col_free(job->dep_before);
    jf__col_free(job->dep_after);
    jf__col_free(job->dep_bytes);
    job->dep_before = job->dep_after = NULL;
    job->dep_bytes = NULL;
    job->n_deps = job->dep_cap = 0;
}

void jf__job_free_csr(jf_job *job)
{
    jf__col_free(job->out_off);
    jf__col_free(job->in_off);
    jf__col_free(job->out_task);
    jf__col_free(job->in_task);
    if (job->out_bytes != job->in_bytes) /* one array when no edge has bytes */
        jf__col_free(job->out_bytes);
    jf__col_free(job->in_bytes);
    jf__col_free(job->topo);
    job->out_off = job->in_off = job->out_bytes = job->in_bytes = NULL;
    job->out_task = job->in_task = job->topo = NULL;
    job->n_edges = 0;
    job->topo_is_index = 0;
}

/* Whether every dependency runs from a lower task index to a higher one
 * (rows are sorted, so the first of each row tells). */
static int index_order_is_topological(const jf_job *job)
{
    for (uint32_t t = 0; t < job->n_tasks; t++)
        if (job->out_off[t] < job->out_off[t + 1] && job->out_task[job->out_off[t]] < t)
            return 0;
    return 1;
}

/* The tasks' own order when it is topological (jobs are usually written
 * that way): a plan that leaves every task alone can then share the job's
 * edges (core/plan.c). Otherwise Kahn's order. */
static jf_status order_tasks(jf_job *job)
{
    uint32_t n = job->n_tasks;
    job->topo = jf__col_alloc(((size_t)n + 1) * sizeof *job->topo);
    if (job->topo && index_order_is_topological(job)) {
        for (uint32_t t = 0; t < n; t++)
            job->topo[t] = t;
        job->topo_is_index = 1;
        return JF_OK;
    }
    uint32_t *scratch = jf__malloc(2 * ((size_t)n + 1) * sizeof *scratch);
    if (!scratch || !job->topo) {
        jf__free(scratch);
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    }
    jf_status st = JF_OK;
    if (topo_sort(job, scratch) != n)
        st = report_cycle(job, scratch, scratch + n + 1);
    jf__free(scratch);
    return st;
}

/* ---- dependencies added in order ----
 * When every dependency runs from a lower index to a higher one and they
 * came in (after, before) order without repeats (job->deps_unordered == 0,
 * kept by jf_job_add_dep), the dependency arrays already are the in-CSR:
 * no sort, no duplicate, no self-dependency, and the index order is
 * topological. The arrays change owner instead of being copied, and when
 * no dependency has bytes both directions share one zeroed bytes array. */

/* Offsets of the rows of `key` (sorted or not) over n tasks. */
static void count_rows(const uint32_t *key, uint64_t m, uint32_t n, uint64_t *off)
{
    memset(off, 0, ((size_t)n + 1) * sizeof *off);
    for (uint64_t e = 0; e < m; e++)
        off[key[e] + 1]++;
    for (uint32_t t = 0; t < n; t++)
        off[t + 1] += off[t];
}

/* Out-CSR from in-CSR; each row comes out sorted, as the in-CSR's rows
 * are visited by increasing task. */
static void transpose_in(jf_job *job)
{
    uint32_t n = job->n_tasks;
    count_rows(job->in_task, job->n_edges, n, job->out_off);
    for (uint32_t a = 0; a < n; a++)
        for (uint64_t e = job->in_off[a]; e < job->in_off[a + 1]; e++) {
            uint64_t slot = job->out_off[job->in_task[e]]++;
            job->out_task[slot] = a;
            if (job->out_bytes != job->in_bytes)
                job->out_bytes[slot] = job->in_bytes[e];
        }
    for (uint32_t t = n; t > 0; t--)
        job->out_off[t] = job->out_off[t - 1];
    job->out_off[0] = 0;
}

static jf_status build_csr_in_order(jf_job *job)
{
    size_t m = job->n_deps, n = job->n_tasks;
    job->in_off = jf__col_alloc((n + 1) * sizeof(uint64_t));
    job->out_off = jf__col_alloc((n + 1) * sizeof(uint64_t));
    job->out_task = jf__col_alloc((m + 1) * sizeof(uint32_t));
    job->topo = jf__col_alloc((n + 1) * sizeof(uint32_t));
    int zero = !job->dep_bytes;
    job->in_bytes = zero ? jf__col_calloc(m + 1, sizeof(uint64_t)) : job->dep_bytes;
    job->out_bytes = zero ? job->in_bytes : jf__col_alloc((m + 1) * sizeof(uint64_t));
    job->in_task = m ? job->dep_before : jf__col_alloc(sizeof(uint32_t));
    if (!job->in_off || !job->out_off || !job->out_task || !job->topo || !job->in_bytes ||
        !job->out_bytes || !job->in_task) {
        if (job->in_task == job->dep_before)
            job->in_task = NULL; /* still the dependencies' */
        if (job->in_bytes == job->dep_bytes)
            job->in_bytes = NULL;
        return jf__job_fail(job, JF_ENOMEM, "out of memory");
    }
    job->dep_before = NULL; /* now the in-CSR's */
    job->dep_bytes = NULL;
    job->n_edges = m;
    count_rows(job->dep_after, m, (uint32_t)n, job->in_off);
    transpose_in(job);
    for (uint32_t t = 0; t < n; t++)
        job->topo[t] = t;
    job->topo_is_index = 1;
    return JF_OK;
}

jf_status jf_job_validate(jf_job *job)
{
    if (job->validated)
        return JF_OK;
    jf_status st = JF_OK;
    if (!job->deps_unordered)
        st = build_csr_in_order(job);
    else if ((st = check_self_deps(job)) == JF_OK && (st = build_csr(job)) == JF_OK)
        st = order_tasks(job);
    if (st != JF_OK) {
        jf__job_free_csr(job);
        return st;
    }
    free_deps(job);
    job->validated = 1;
    job->errmsg[0] = '\0';
    return JF_OK;
}

double jf_job_critical_path(const jf_job *job)
{
    int r = jf_job_resource_find(job, "time");
    uint32_t n = job->n_tasks;
    if (r < 0 || n == 0)
        return 0.0;
    double *finish = jf__calloc(n, sizeof *finish), best = 0.0;
    if (!finish)
        return -1.0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = job->topo[i];
        double start = 0.0;
        for (uint64_t e = job->in_off[t]; e < job->in_off[t + 1]; e++)
            start = JF__MAX(start, finish[job->in_task[e]]);
        finish[t] = start + job->demand[r][t];
        best = JF__MAX(best, finish[t]);
    }
    jf__free(finish);
    return best;
}
