/* The job a session runs: one C-API task per operator (or per slice of a
 * split operator), a dependency wherever an operator reads another's
 * output, demands from the model, then the plan that runs it. */
#include "onnx/session_impl.h"

static int task_fn(void *arg);

/* Producers of the operator's inputs, distinct, with the bytes read; room
 * for n_in + 1 entries. */
static int producers(const jf_onnx_session *s, const sx_op *op, uint32_t *from, uint64_t *bytes)
{
    const ox_node *n = &s->m->nodes[op->node];
    int count = 0;
    for (int k = 0; k < n->n_in; k++) {
        int32_t t = n->in[k] < 0 ? -1 : sx_resolve(s, n->in[k]);
        if (t < 0 || s->vals[t].kind != SX_ACTIVATION)
            continue;
        uint32_t p = (uint32_t)s->vals[t].op;
        int j = 0;
        while (j < count && from[j] != p)
            j++;
        if (j == count)
            from[count] = p, bytes[count++] = 0;
        bytes[j] += s->vals[t].bytes;
    }
    return count;
}

/* On one thread nothing runs side by side: chaining the operators in their
 * order costs no parallelism and lets memory be reused as in a sequential
 * run. */
static int chain_previous(const jf_onnx_session *s, uint32_t i, uint32_t *from, uint64_t *bytes,
                          int count)
{
    uint32_t prev = i - 1;
    while (prev > 0 && s->ops[prev].folded) /* a folded BN is out of the chain */
        prev--;
    for (int j = 0; j < count; j++)
        if (from[j] == prev)
            return count;
    from[count] = prev;
    bytes[count] = 0;
    return count + 1;
}

/* Every slice of the reader depends on every slice of each producer. A
 * BatchNormalization folded into its Conv does nothing and nothing reads
 * its output (it is the Conv's): its task waits for nothing, so it keeps
 * no other task from joining the Conv's target. */
static jf_status add_deps(jf_onnx_session *s, uint32_t i)
{
    const sx_op *op = &s->ops[i];
    if (op->folded)
        return JF_OK;
    size_t room = (size_t)s->m->nodes[op->node].n_in + 2;
    uint32_t *from = jf__malloc(room * sizeof *from);
    uint64_t *bytes = jf__malloc(room * sizeof *bytes);
    jf_status st = from && bytes ? JF_OK : JF_ENOMEM;
    int count = st == JF_OK ? producers(s, op, from, bytes) : 0;
    if (st == JF_OK && s->serial && i > 0)
        count = chain_previous(s, i, from, bytes, count);
    for (int j = 0; j < count && st == JF_OK; j++) {
        const sx_op *p = &s->ops[from[j]];
        uint64_t share = bytes[j] / (uint64_t)(p->n_slices * op->n_slices);
        for (int64_t a = 0; a < p->n_slices && st == JF_OK; a++)
            for (int64_t b = 0; b < op->n_slices && st == JF_OK; b++)
                st = jf_job_add_dep(s->job, p->first_task + (uint32_t)a,
                                    op->first_task + (uint32_t)b, share);
    }
    jf__free(from);
    jf__free(bytes);
    return st;
}

static uint64_t op_memory(const jf_onnx_session *s, const sx_op *op)
{
    const ox_node *n = &s->m->nodes[op->node];
    uint64_t bytes = op->scratch;
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        int32_t t = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (t >= 0)
            bytes += s->vals[sx_resolve(s, t)].bytes;
    }
    return bytes;
}

typedef struct {
    int r_memory, r_time, r_flops;
} resources;

/* A task named after its node ("conv3", or "conv3#2" for a slice), so that
 * traces and --explain speak of operators; an anonymous one when the name
 * is taken. */
static jf_status add_named_task(jf_job *job, const char *node, int64_t slice, int64_t n_slices,
                                jf_task_fn fn, void *arg, uint32_t *out)
{
    char id[600];
    if (n_slices > 1)
        snprintf(id, sizeof id, "%.500s#%lld", node, (long long)slice);
    else
        snprintf(id, sizeof id, "%.500s", node);
    uint32_t taken;
    if (jf_job_task_find(job, id, &taken))
        return jf_job_add_task(job, fn, arg, out);
    jf_status st = jf_job_add_task_id(job, id, out);
    return st == JF_OK ? jf_job_set_fn(job, *out, fn, arg) : st;
}

static jf_status add_op_tasks(jf_onnx_session *s, uint32_t i, const resources *r)
{
    sx_op *op = &s->ops[i];
    const ox_node *n = &s->m->nodes[op->node];
    double share = 1.0 / (double)op->n_slices;
    uint64_t memory = op_memory(s, op);
    jf_status st = JF_OK;
    op->first_task = (uint32_t)s->n_tasks;
    for (int64_t k = 0; k < op->n_slices && st == JF_OK; k++) {
        uint32_t task;
        sx_task *t = &s->tasks[s->n_tasks++];
        *t = (sx_task){s, i, k};
        st = add_named_task(s->job, n->id, k, op->n_slices, task_fn, t, &task);
        if (st == JF_OK)
            st = jf_job_set_op(s->job, task, n->op);
        if (st == JF_OK)
            st = jf_job_set_demand(s->job, task, r->r_time, op->time_us * share);
        if (st == JF_OK)
            st = jf_job_set_demand(s->job, task, r->r_flops, n->flops * share);
        if (st == JF_OK)
            st = jf_job_set_demand(s->job, task, r->r_memory, (double)memory * share);
    }
    return st;
}

static double us_per_flop(const jf_onnx_model *m)
{
    double g = m->opts.device_gflops > 0 ? m->opts.device_gflops
             : m->stats.device_gflops > 0 ? m->stats.device_gflops
                                          : jf_onnx_device_gflops();
    return 1.0 / (g * 1e3);
}

/* Tasks and dependencies for the operators as they are (slices set). */
static jf_status make_job(jf_onnx_session *s)
{
    size_t n_tasks = 0;
    for (size_t i = 0; i < s->n_ops; i++)
        n_tasks += (size_t)s->ops[i].n_slices;
    s->tasks = jf__calloc(n_tasks + 1, sizeof *s->tasks);
    jf_status st = s->tasks ? jf_job_create(s->m->proto->graph->name, &s->job) : JF_ENOMEM;
    if (st != JF_OK)
        return sx_fail(s, st, "out of memory");
    resources r = {jf_job_resource(s->job, "memory"), jf_job_resource(s->job, "time"),
                   jf_job_resource(s->job, "flops")};
    if (r.r_memory < 0 || r.r_time < 0 || r.r_flops < 0)
        return sx_fail(s, JF_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_ops && st == JF_OK; i++)
        st = add_op_tasks(s, (uint32_t)i, &r);
    for (size_t i = 0; i < s->n_ops && st == JF_OK; i++)
        st = add_deps(s, (uint32_t)i);
    if (st == JF_OK)
        st = jf_job_validate(s->job);
    if (st != JF_OK)
        return sx_fail(s, st, "the run job: %s", jf_job_errmsg(s->job));
    return JF_OK;
}

static jf_status make_plan(jf_onnx_session *s)
{
    jf_status st;
    if (s->opt.no_combine) {
        st = jf_plan_identity(s->job, &s->plan);
    } else if (s->opt.combine) {
        jf_combine_params p = *s->opt.combine;
        p.explain = s->opt.explain;
        st = jf_combine(s->job, &p, &s->plan, NULL);
    } else {
        jf_run_combine_params p = jf_run_combine_default_params();
        p.threads = jf_executor_threads(s->ex);
        p.dispatch_ns = jf_measure_dispatch_ns(s->ex);
        jf_run_combine_report report;
        memset(&report, 0, sizeof report);
        st = jf_combine_for_run(s->job, &p, &s->plan, &report);
        if (st == JF_OK && report.cp_known)
            sx_note(s, "combined for running by %s (dispatch %.0f ns, critical path %.6g -> "
                    "%.6g us)", report.choice[0] ? report.choice : "no combining",
                    p.dispatch_ns, report.est_cp_before_us, report.est_cp_after_us);
        else if (st == JF_OK)
            sx_note(s, "combined for running by %s (dispatch %.0f ns)",
                    report.choice[0] ? report.choice : "no combining", p.dispatch_ns);
    }
    if (st != JF_OK)
        return sx_fail(s, st, "combining the run job: %s", jf_job_errmsg(s->job));
    return JF_OK;
}

/* ---- splitting ---- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median time of the big operators (the upper half of those that do
 * any work) and the total. */
static double median_big(const jf_onnx_session *s, double *total)
{
    double *t = jf__malloc((s->n_ops + 1) * sizeof *t);
    size_t n = 0;
    *total = 0;
    for (size_t i = 0; t && i < s->n_ops; i++)
        if (s->ops[i].time_us > 0)
            t[n++] = s->ops[i].time_us, *total += s->ops[i].time_us;
    double median = 0;
    if (n) {
        qsort(t, n, sizeof *t, by_value);
        median = t[n / 2 + (n - n / 2) / 2];
    }
    jf__free(t);
    return median;
}

#define SX_MIN_SLICE_US 4.0
#define SX_SPLIT_MIN_US 8.0

/* A task far above the others (4x the median big one, and more than its
 * share of a thread's work) is split; so is any Conv, MatMul or Gemm (the
 * kernels that fuse) of 8 us or more: models like PaddleOCR's recognizer
 * are mostly a chain of small Convs, where a worker not given slices has
 * nothing to do, and a worker still looking for work (not parked) takes a
 * slice over cheaply when splits come close together (a 2-thread rec trace:
 * 0.4 us from one worker's end to the other's start at the median, 25 us at
 * the 90th percentile, where a parked worker is woken; rec at 2 threads,
 * measured: 6.5 ms splitting only the big, 5.5 ms from 50 us, 4.9 ms from
 * 8 us; every operator from 2 us, 7.1 ms). Element-wise
 * operators are not split below the first rule: a split one no longer fuses
 * into its producer (det at 2 threads lost 1 ms that way). */
static int worth_splitting(const sx_op *op, double median, double total, int threads)
{
    if (op->k->fuses && op->time_us >= SX_SPLIT_MIN_US)
        return 1;
    return op->time_us > 4 * median && op->time_us > total / (threads * 8.0);
}

/* Big tasks become slices that workers run at once. */
static void plan_splits(jf_onnx_session *s)
{
    int threads = jf_executor_threads(s->ex);
    double total, median = threads > 1 ? median_big(s, &total) : 0;
    for (size_t i = 0; median > 0 && i < s->n_ops; i++) {
        sx_op *op = &s->ops[i];
        const ox_node *n = &s->m->nodes[op->node];
        if (!worth_splitting(op, median, total, threads) || !op->k->slices)
            continue;
        int64_t can = op->k->slices(s->m, n);
        int64_t want = op->time_us > total / threads ? 2 * threads : threads;
        /* A slice must stay well above what waking a worker costs. */
        want = JF__MIN(want, (int64_t)(op->time_us / SX_MIN_SLICE_US));
        if (can <= 1 || want <= 1)
            continue;
        op->n_slices = JF__MIN(can, want);
        op->scratch = op->k->scratch ? op->k->scratch(s->m, n, op->n_slices) : 0;
        sx_note(s, "split %s (%s) into %lld slices: %.1f us, the median big operator %.1f us",
                n->id, n->op, (long long)op->n_slices, op->time_us, median);
    }
}

/* ---- regrouping for fusion ---- */

typedef struct {
    uint32_t *group_of, *last, *size;
    uint8_t *joined;  /* per op: moved next to its producer */
} regroup;

/* The target that op j's task could join, right after its producer's
 * task: j stands alone and every task it waits for is in that target, whose
 * last member is the producer (or a step joined to it). The merge cannot
 * make a cycle (any path out of the target and back would have been one
 * already). UINT32_MAX when there is none; *p: the producer. */
static uint32_t join_target(const jf_onnx_session *s, const regroup *r, uint32_t j, uint32_t *p)
{
    const sx_op *op = &s->ops[j];
    uint32_t task = op->first_task;
    const uint32_t *pred;
    const uint64_t *bytes;
    uint32_t n = jf_job_pred(s->job, task, &pred, &bytes);
    if (op->n_slices != 1 || r->size[r->group_of[task]] != 1 || n == 0)
        return UINT32_MAX;
    uint32_t g = r->group_of[pred[0]];
    *p = s->tasks[pred[0]].op;
    for (uint32_t k = 0; k < n; k++)
        if (r->group_of[pred[k]] != g || s->tasks[pred[k]].op != *p)
            return UINT32_MAX;
    if (r->last[g] != pred[n - 1] || (!s->ops[*p].k->fuses && !r->joined[*p]))
        return UINT32_MAX;
    return g;
}

static void join(const jf_onnx_session *s, regroup *r, uint32_t j, uint32_t g)
{
    uint32_t task = s->ops[j].first_task;
    r->size[r->group_of[task]]--;
    r->group_of[task] = g;
    r->last[g] = task;
    r->size[g]++;
    r->joined[j] = 1;
}

/* Every task op j waits for is in target g, or is one of ops[0 .. n). */
static int waits_within(const jf_onnx_session *s, const regroup *r, uint32_t j, uint32_t g,
                        const uint32_t *ops, int n)
{
    const uint32_t *pred;
    const uint64_t *bytes;
    uint32_t count = jf_job_pred(s->job, s->ops[j].first_task, &pred, &bytes);
    for (uint32_t k = 0; k < count; k++) {
        int ok = r->group_of[pred[k]] == g;
        for (int i = 0; i < n && !ok; i++)
            ok = s->tasks[pred[k]].op == ops[i];
        if (!ok)
            return 0;
    }
    return 1;
}

/* A hard-swish's four tasks join together: the Mul waits for the producer
 * and the Clip, so none could join alone. They wait only on the target
 * and each other, so the merge makes no cycle. */
static int try_join_hard_swish(jf_onnx_session *s, regroup *r, uint32_t j, uint32_t p,
                               uint32_t g)
{
    const ox_node *pn = &s->m->nodes[s->ops[p].node];
    uint32_t hs[4];
    if (pn->n_out < 1 || pn->out[0] < 0 || !sx_hard_swish(s, sx_resolve(s, pn->out[0]), j, hs))
        return 0;
    for (int i = 1; i < 4; i++)
        if (r->size[r->group_of[s->ops[hs[i]].first_task]] != 1 ||
            !waits_within(s, r, hs[i], g, hs, i))
            return 0;
    for (int i = 0; i < 4; i++)
        join(s, r, hs[i], g);
    return 4;
}

/* Move the element-wise task of op j (or a hard-swish starting at j)
 * right after its producer's target. */
static int try_join(jf_onnx_session *s, regroup *r, uint32_t j)
{
    uint32_t p, g = join_target(s, r, j, &p);
    if (g == UINT32_MAX)
        return 0;
    if (!sx_fuse_fits(s, p, j))
        return try_join_hard_swish(s, r, j, p, g);
    join(s, r, j, g);
    return 1;
}

/* Combining for running may leave Conv -> Relu apart when dispatches are
 * cheap. Fusing no longer needs them together (fuse.c follows readers),
 * but a fused node's task does nothing: next to its producer it costs no
 * dispatch of its own. */
static jf_status regroup_for_fusion(jf_onnx_session *s)
{
    uint32_t n_tasks = (uint32_t)s->n_tasks, n_targets = jf_plan_target_count(s->plan);
    regroup r;
    r.group_of = jf__malloc((n_tasks + 1) * sizeof *r.group_of);
    r.last = jf__malloc((n_targets + 1) * sizeof *r.last);
    r.size = jf__malloc((n_targets + 1) * sizeof *r.size);
    r.joined = jf__calloc(s->n_ops + 1, 1);
    jf_status st = r.group_of && r.last && r.size && r.joined ? JF_OK : JF_ENOMEM;
    for (uint32_t g = 0; st == JF_OK && g < n_targets; g++) {
        const uint32_t *members;
        r.size[g] = jf_plan_target_members(s->plan, g, &members);
        r.last[g] = members[r.size[g] - 1];
    }
    for (uint32_t t = 0; st == JF_OK && t < n_tasks; t++)
        r.group_of[t] = jf_plan_target_of(s->plan, t);
    uint32_t joined = 0;
    for (size_t j = 0; st == JF_OK && j < s->n_ops; j++)
        joined += (uint32_t)try_join(s, &r, (uint32_t)j);
    jf_plan *plan = NULL;
    if (st == JF_OK && joined && jf_plan_from_groups(s->job, r.group_of, &plan) == JF_OK) {
        jf_plan_destroy(s->plan);
        s->plan = plan;
        sx_note(s, "%u element-wise task(s) joined their producer's target for fusing", joined);
    }
    jf__free(r.group_of);
    jf__free(r.last);
    jf__free(r.size);
    jf__free(r.joined);
    return st == JF_OK ? JF_OK : sx_fail(s, st, "out of memory");
}

jf_status sx_job_build(jf_onnx_session *s)
{
    double upf = us_per_flop(s->m);
    s->serial = jf_executor_threads(s->ex) == 1;
    if (s->serial)
        sx_note(s, "one thread: the operators run in their order, and memory is reused as "
                "in a sequential run");
    for (size_t i = 0; i < s->n_ops; i++) {
        sx_op *op = &s->ops[i];
        op->time_us = s->m->nodes[op->node].flops * upf;
        op->scratch = op->k->scratch ? op->k->scratch(s->m, &s->m->nodes[op->node], 1) : 0;
    }
    if (!s->opt.no_split)
        plan_splits(s);
    jf_status st = make_job(s);
    if (st == JF_OK)
        st = make_plan(s);
    if (st == JF_OK && !s->opt.no_fuse && !s->opt.no_combine)
        st = regroup_for_fusion(s);
    if (st == JF_OK && !s->opt.no_fuse)
        st = sx_fuse(s);
    return st;
}

/* ---- running one task ---- */

static void store_error(jf_onnx_session *s, const char *msg)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&s->failed, &expected, 1))
        snprintf(s->err, sizeof s->err, "%s", msg);
}

static int task_fn(void *arg)
{
    const sx_task *t = arg;
    jf_onnx_session *s = t->s;
    const sx_op *op = &s->ops[t->op];
    if (op->fused_into >= 0)
        return 0; /* its producer's kernel applied it */
    char err[512] = "";
    void *scratch = op->scratch ? (uint8_t *)s->arena + op->scratch_off[t->slice] : NULL;
    ox_kcall k = {s->m, &s->m->nodes[op->node], op->in, op->out, t->slice, op->n_slices,
                  scratch, op->fused, err, sizeof err};
    if (op->k->run(&k) == 0)
        return 0;
    if (!err[0])
        snprintf(err, sizeof err, "node '%s' (%s): the kernel failed", k.n->id, k.n->op);
    store_error(s, err);
    return 1;
}
