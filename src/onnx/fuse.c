/* Fusing element-wise operators into their producer's kernel. Where a
 * node whose kernel applies fused steps (Conv, Gemm, ...) has its output
 * read by one element-wise node alone, and that one's by the next
 * (Conv -> Add bias -> Relu), or by a hard-swish's Add and Mul, the
 * producer applies them as it writes its output: the fused nodes' tasks do
 * nothing (they still wait for the producer, and their readers for them)
 * and their outputs share the producer's memory. The chain follows the
 * readers, not the plan's targets: chain combining cuts a target before a
 * node with two inputs (a hard-swish's Mul), and a split producer's slices
 * sit in targets of their own. Regrouping for fusion (session_job.c) puts
 * the do-nothing tasks in their producer's target where it can, which
 * saves their dispatches. */
#include <math.h>

#include "onnx/session_impl.h"

/* Ops reading each value (resolved), and whether it is a graph output. */
typedef struct {
    uint32_t *n_readers;
    uint8_t *is_output;
} usage;

static int usage_make(const jf_onnx_session *s, usage *u)
{
    const jf_onnx_model *m = s->m;
    u->n_readers = jf__calloc(m->n_tensors + 1, sizeof *u->n_readers);
    u->is_output = jf__calloc(m->n_tensors + 1, 1);
    if (!u->n_readers || !u->is_output)
        return -1;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &m->nodes[s->ops[i].node];
        for (int k = 0; k < n->n_in && !s->ops[i].folded; k++) {
            int seen = n->in[k] < 0;
            for (int j = 0; j < k && !seen; j++)
                seen = n->in[j] == n->in[k];
            if (!seen)
                u->n_readers[sx_resolve(s, n->in[k])]++;
        }
    }
    for (size_t i = 0; i < m->n_graph_outputs; i++)
        u->is_output[sx_resolve(s, m->graph_outputs[i])] = 1;
    return 0;
}

static int is_float_const(const jf_onnx_session *s, int32_t t)
{
    const sx_value *v = &s->vals[sx_resolve(s, t)];
    return v->kind == SX_CONST && v->dtype == OX_FLOAT;
}

/* Operand strides over the output's dims (numpy broadcast, 0 where the
 * operand's dim is 1 or absent); -1 when it does not broadcast to out. */
static int operand_strides(const ox_tensor *operand, const ox_tensor *out, int64_t *strides)
{
    if (operand->rank > out->rank)
        return -1;
    int64_t stride = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
        int od = d - (out->rank - operand->rank);
        int64_t dim = od >= 0 ? operand->dims[od] : 1;
        if (dim != 1 && dim != out->dims[d])
            return -1;
        strides[d] = dim == 1 ? 0 : stride;
        stride *= dim;
    }
    return 0;
}

static int same_shape(const ox_tensor *a, const ox_tensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    return 1;
}

/* Clip's bound: input k (opset 11+) or the attribute; 0 when not constant. */
static int clip_bound(const jf_onnx_session *s, const ox_node *n, int k, const char *attr,
                      float def, float *out)
{
    *out = def;
    if (n->n_in > k && n->in[k] >= 0) {
        int32_t t = sx_resolve(s, n->in[k]);
        if (!is_float_const(s, t) || s->vals[t].numel != 1)
            return 0;
        *out = *(const float *)s->vals[t].data;
        return 1;
    }
    *out = (float)ox_attr_float(n, attr, def);
    return 1;
}

/* Every run has value t in place before producer's tasks start: a graph
 * input, or an activation written by an op producer waits for (its tasks
 * reach the writer's through the job's dependencies). */
static int ready_before(const jf_onnx_session *s, int32_t t, uint32_t producer)
{
    const sx_value *v = &s->vals[t];
    if (v->kind == SX_INPUT)
        return 1;
    if (v->kind != SX_ACTIVATION || v->op < 0 || (uint32_t)v->op == producer)
        return 0;
    uint32_t goal = s->ops[v->op].first_task, n = 0;
    uint32_t *stack = jf__malloc((s->n_tasks + 1) * sizeof *stack);
    uint8_t *seen = jf__calloc(s->n_tasks + 1, 1);
    int found = 0;
    if (stack && seen)
        stack[n++] = s->ops[producer].first_task;
    while (n && !found) {
        const uint32_t *pred;
        const uint64_t *bytes;
        uint32_t count = jf_job_pred(s->job, stack[--n], &pred, &bytes);
        for (uint32_t k = 0; k < count && !found; k++) {
            found = pred[k] == goal;
            if (!seen[pred[k]])
                seen[pred[k]] = 1, stack[n++] = pred[k];
        }
    }
    jf__free(stack);
    jf__free(seen);
    return found;
}

/* The step node n performs on x (its input read from the chain), or 0 when
 * it cannot be fused. An Add or Mul operand is a float constant, or an
 * activation ready before the producer runs (a residual Add's other input):
 * then *act is that value, whose address is known only once the arena is
 * placed (session.c's bind sets the operand). */
static int fuse_step(const jf_onnx_session *s, const ox_node *n, int32_t x, ox_fuse_step *st,
                     uint32_t producer, int32_t *act)
{
    *act = -1;
    const jf_onnx_model *m = s->m;
    const ox_tensor *out = &m->tensors[sx_resolve(s, n->out[0])];
    memset(st, 0, sizeof *st);
    if (n->n_out != 1 || s->vals[sx_resolve(s, n->out[0])].dtype != OX_FLOAT ||
        !same_shape(out, &m->tensors[x]))
        return 0;
    if (strcmp(n->op, "Add") == 0 || strcmp(n->op, "Mul") == 0) {
        if (n->n_in != 2 || n->in[0] < 0 || n->in[1] < 0)
            return 0;
        int32_t a = sx_resolve(s, n->in[0]), b = sx_resolve(s, n->in[1]);
        int32_t other = a == x ? b : b == x ? a : -1;
        if (other < 0 || other == x || s->vals[other].dtype != OX_FLOAT ||
            operand_strides(&m->tensors[other], out, st->strides))
            return 0;
        st->kind = n->op[0] == 'A' ? OX_FUSE_ADD : OX_FUSE_MUL;
        st->operand = s->vals[other].data;
        if (is_float_const(s, other))
            return 1;
        *act = other;
        return ready_before(s, other, producer);
    }
    if (n->n_in < 1 || sx_resolve(s, n->in[0]) != x)
        return 0;
    for (int k = 1; k < n->n_in; k++) /* Clip's bounds must not be x */
        if (n->in[k] >= 0 && sx_resolve(s, n->in[k]) == x)
            return 0;
    if (strcmp(n->op, "Relu") == 0)
        return st->kind = OX_FUSE_RELU, n->n_in == 1;
    if (strcmp(n->op, "Sigmoid") == 0)
        return st->kind = OX_FUSE_SIGMOID, n->n_in == 1;
    if (strcmp(n->op, "LeakyRelu") == 0) {
        st->kind = OX_FUSE_LEAKY_RELU;
        st->a = (float)ox_attr_float(n, "alpha", 0.01);
        return n->n_in == 1;
    }
    if (strcmp(n->op, "HardSigmoid") == 0) {
        st->kind = OX_FUSE_HARD_SIGMOID;
        st->a = (float)ox_attr_float(n, "alpha", 0.2);
        st->b = (float)ox_attr_float(n, "beta", 0.5);
        return n->n_in == 1;
    }
    if (strcmp(n->op, "Clip") == 0) {
        st->kind = OX_FUSE_CLIP;
        return clip_bound(s, n, 1, "min", -INFINITY, &st->a) &&
               clip_bound(s, n, 2, "max", INFINITY, &st->b);
    }
    return 0;
}

/* x is read by op alone and is no graph output. */
static int read_by_alone(const jf_onnx_session *s, int32_t x, uint32_t op)
{
    for (size_t i = 0; i < s->m->n_graph_outputs; i++)
        if (sx_resolve(s, s->m->graph_outputs[i]) == x)
            return 0;
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &s->m->nodes[s->ops[i].node];
        if (i == op || s->ops[i].folded) /* a folded BN reads nothing */
            continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && sx_resolve(s, n->in[k]) == x)
                return 0;
    }
    return 1;
}

/* ---- hard-swish: Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(., 6) ---- */

/* The ops reading t (each once; folded BNs read nothing): their count, the
 * first `room` of them in ops; a graph output counts as a reader too. */
static int readers(const jf_onnx_session *s, int32_t t, uint32_t *ops, int room)
{
    int count = 0;
    for (size_t i = 0; i < s->m->n_graph_outputs; i++)
        if (sx_resolve(s, s->m->graph_outputs[i]) == t)
            return room + 1; /* read after the run: it must stay as it is */
    for (size_t i = 0; i < s->n_ops; i++) {
        const ox_node *n = &s->m->nodes[s->ops[i].node];
        int reads = 0;
        for (int k = 0; k < n->n_in && !s->ops[i].folded; k++)
            reads |= n->in[k] >= 0 && sx_resolve(s, n->in[k]) == t;
        if (reads && count < room)
            ops[count] = (uint32_t)i;
        count += reads;
    }
    return count;
}

/* Input k of n is a float constant holding the one value v. */
static int const_is(const jf_onnx_session *s, const ox_node *n, int k, float v)
{
    if (k >= n->n_in || n->in[k] < 0 || !is_float_const(s, n->in[k]))
        return 0;
    const sx_value *c = &s->vals[sx_resolve(s, n->in[k])];
    return c->numel == 1 && *(const float *)c->data == v;
}

/* Op's node is `type`, one output of x's shape, and reads t as input k. */
static int node_is(const jf_onnx_session *s, uint32_t op, const char *type, int32_t x, int k,
                   int32_t t)
{
    const ox_node *n = &s->m->nodes[s->ops[op].node];
    return strcmp(n->op, type) == 0 && n->n_out == 1 && n->out[0] >= 0 && k < n->n_in &&
           n->in[k] >= 0 && sx_resolve(s, n->in[k]) == t && s->ops[op].n_slices == 1 &&
           s->vals[sx_resolve(s, n->out[0])].dtype == OX_FLOAT &&
           same_shape(&s->m->tensors[sx_resolve(s, n->out[0])], &s->m->tensors[x]);
}

static int32_t out_of(const jf_onnx_session *s, uint32_t op)
{
    return sx_resolve(s, s->m->nodes[s->ops[op].node].out[0]);
}

/* The one op reading op's output, or -1. */
static int64_t sole_reader(const jf_onnx_session *s, uint32_t op)
{
    uint32_t r;
    return readers(s, out_of(s, op), &r, 1) == 1 ? (int64_t)r : -1;
}

int sx_hard_swish(const jf_onnx_session *s, int32_t x, uint32_t op, uint32_t ops[4])
{
    uint32_t rx[2];
    const ox_node *add = &s->m->nodes[s->ops[op].node];
    int xk = add->n_in == 2 && add->in[1] >= 0 && sx_resolve(s, add->in[1]) == x;
    if (!node_is(s, op, "Add", x, xk, x) || !const_is(s, add, 1 - xk, 3.0f) ||
        readers(s, x, rx, 2) != 2)
        return 0;
    int64_t clip = sole_reader(s, op);
    float lo, hi;
    if (clip < 0 || !node_is(s, (uint32_t)clip, "Clip", x, 0, out_of(s, op)) ||
        !clip_bound(s, &s->m->nodes[s->ops[clip].node], 1, "min", -INFINITY, &lo) ||
        !clip_bound(s, &s->m->nodes[s->ops[clip].node], 2, "max", INFINITY, &hi) || lo != 0 ||
        hi != 6)
        return 0;
    int64_t mul = sole_reader(s, (uint32_t)clip);
    const ox_node *mn = mul < 0 ? NULL : &s->m->nodes[s->ops[mul].node];
    int ck = mn && mn->n_in == 2 && mn->in[0] >= 0 && sx_resolve(s, mn->in[0]) == x;
    if (!mn || !node_is(s, (uint32_t)mul, "Mul", x, ck, out_of(s, (uint32_t)clip)) ||
        !node_is(s, (uint32_t)mul, "Mul", x, 1 - ck, x) ||
        (rx[0] != op && rx[1] != op) || (rx[0] != mul && rx[1] != mul))
        return 0;
    int64_t div = sole_reader(s, (uint32_t)mul);
    if (div < 0 || !node_is(s, (uint32_t)div, "Div", x, 0, out_of(s, (uint32_t)mul)) ||
        !const_is(s, &s->m->nodes[s->ops[div].node], 1, 6.0f))
        return 0;
    ops[0] = op, ops[1] = (uint32_t)clip, ops[2] = (uint32_t)mul, ops[3] = (uint32_t)div;
    return 1;
}

int sx_fuse_fits(const jf_onnx_session *s, uint32_t producer, uint32_t op)
{
    const ox_node *p = &s->m->nodes[s->ops[producer].node];
    const ox_node *n = &s->m->nodes[s->ops[op].node];
    ox_fuse_step step;
    if (p->n_out < 1 || p->out[0] < 0 || n->n_out < 1 || n->out[0] < 0)
        return 0;
    int32_t x = sx_resolve(s, p->out[0]);
    int32_t act;
    return fuse_step(s, n, x, &step, producer, &act) && read_by_alone(s, x, op);
}

/* The op of the member after position k of the chain, or -1. */
static int32_t next_op(const jf_onnx_session *s, const uint32_t *members, uint32_t count,
                       uint32_t k)
{
    if (k + 1 >= count)
        return -1;
    return (int32_t)s->tasks[members[k + 1]].op;
}

/* The next step of a chain on x at member position at: the one op of a
 * plain step, or the four of a hard-swish; how many ops it takes (0: the
 * chain ends). */
static int next_step(const jf_onnx_session *s, const usage *u, const uint32_t *members,
                     uint32_t count, uint32_t at, int32_t x, ox_fuse_step *st, int32_t *ops,
                     int32_t *act)
{
    int32_t j = next_op(s, members, count, at);
    *act = -1;
    if (j < 0 || s->ops[j].n_slices != 1 || s->ops[j].fused_into >= 0 || u->is_output[x])
        return 0;
    if (u->n_readers[x] == 1 &&
        fuse_step(s, &s->m->nodes[s->ops[j].node], x, st, s->tasks[members[0]].op, act))
        return ops[0] = j, 1;
    *act = -1;
    uint32_t hs[4];
    if (!sx_hard_swish(s, x, (uint32_t)j, hs))
        return 0;
    for (uint32_t i = 1; i < 4; i++)
        if (next_op(s, members, count, at + i) != (int32_t)hs[i])
            return 0;
    memset(st, 0, sizeof *st);
    st->kind = OX_FUSE_HARD_SWISH;
    for (int i = 0; i < 4; i++)
        ops[i] = (int32_t)hs[i];
    return 4;
}

/* next_step, appended to f; or a BatchNormalization as two steps. */
static int next_steps(jf_onnx_session *s, const usage *u, const uint32_t *members, uint32_t count,
                      uint32_t at, int32_t x, ox_fused *f, int32_t *ops)
{
    sx_op *p = &s->ops[s->tasks[members[0]].op];
    int32_t j = next_op(s, members, count, at);
    if (j >= 0 && s->ops[j].n_slices == 1 && s->ops[j].fused_into < 0 && !u->is_output[x] &&
        u->n_readers[x] == 1 && f->n_steps + 2 <= 8) {
        int rc = sx_batchnorm_steps(s, (uint32_t)j, x, &f->steps[f->n_steps]);
        if (rc)
            return rc < 0 ? rc : (f->n_steps += 2, ops[0] = j, 1);
    }
    int32_t act;
    int took = next_step(s, u, members, count, at, x, &f->steps[f->n_steps], ops, &act);
    if (took > 0)
        p->operand_value[f->n_steps++] = act + 1;
    return took;
}

/* Grow the chain of fused steps of the producer at position k of members,
 * the candidate chain from reader_chain (a folded BatchNormalization may
 * have put a step there already). */
static jf_status fuse_from(jf_onnx_session *s, const usage *u, const uint32_t *members,
                           uint32_t count, uint32_t k)
{
    sx_op *p = &s->ops[s->tasks[members[k]].op];
    const ox_node *pn = &s->m->nodes[p->node];
    if (!p->k->fuses || p->chained || pn->n_out < 1 || pn->out[0] < 0 ||
        s->vals[sx_resolve(s, pn->out[0])].dtype != OX_FLOAT)
        return JF_OK;
    p->chained = 1;
    ox_fused f;
    memset(&f, 0, sizeof f);
    if (p->fused)
        f = *p->fused;
    int first = f.n_steps, n_chain = 0, took;
    int32_t x = sx_resolve(s, pn->out[0]), chain[32];
    uint32_t at = k;
    while (f.n_steps < 8 && (took = next_steps(s, u, members, count, at, x, &f, chain + n_chain))) {
        if (took < 0)
            return JF_ENOMEM;
        n_chain += took;
        at += (uint32_t)took;
        x = sx_resolve(s, s->m->nodes[s->ops[chain[n_chain - 1]].node].out[0]);
    }
    if (f.n_steps == first)
        return JF_OK;
    const ox_tensor *out = &s->m->tensors[sx_resolve(s, pn->out[0])];
    f.rank = out->rank;
    memcpy(f.dims, out->dims, sizeof f.dims);
    if (!p->fused && !(p->fused = jf__malloc(sizeof f)))
        return sx_fail(s, JF_ENOMEM, "out of memory");
    *p->fused = f;
    for (int i = 0; i < n_chain; i++) {
        sx_op *j = &s->ops[chain[i]];
        const ox_node *jn = &s->m->nodes[j->node];
        j->fused_into = (int32_t)(p - s->ops);
        /* The fused node's output is the producer's output, updated. */
        s->vals[sx_resolve(s, jn->out[0])].alias = sx_resolve(s, pn->out[0]);
        sx_note(s, "fused %s (%s) into %s (%s)", jn->id, jn->op, pn->id, pn->op);
    }
    return JF_OK;
}

/* Tasks of p and of the candidate chain after it, following the readers
 * of its output, in order; their count. */
static uint32_t reader_chain(const jf_onnx_session *s, uint32_t p, uint32_t *tasks, uint32_t room)
{
    uint32_t n = 0, r[2], hs[4];
    int32_t x = out_of(s, p);
    tasks[n++] = s->ops[p].first_task;
    while (n + 4 <= room) {
        int count = readers(s, x, r, 2);
        if (count == 1 && s->ops[r[0]].n_slices == 1) {
            tasks[n++] = s->ops[r[0]].first_task;
            x = out_of(s, r[0]);
        } else if (count == 2 && (sx_hard_swish(s, x, r[0], hs) || sx_hard_swish(s, x, r[1], hs))) {
            for (int i = 0; i < 4; i++)
                tasks[n++] = s->ops[hs[i]].first_task;
            x = out_of(s, hs[3]);
        } else {
            break;
        }
    }
    return n;
}

jf_status sx_fuse(jf_onnx_session *s)
{
    usage u;
    jf_status st = usage_make(s, &u) ? sx_fail(s, JF_ENOMEM, "out of memory") : JF_OK;
    uint32_t tasks[40];
    for (size_t i = 0; i < s->n_ops && st == JF_OK; i++) {
        const sx_op *p = &s->ops[i];
        if (p->k->fuses && !p->chained && p->fused_into < 0)
            st = fuse_from(s, &u, tasks, reader_chain(s, (uint32_t)i, tasks, 40), 0);
    }
    jf__free(u.n_readers);
    jf__free(u.is_output);
    return st;
}
