/* Running a model: the session's values, operators and tasks.
 *
 * Creation goes in steps, each in its own file:
 *   session_values.c  what every value is at run time (a weight or folded
 *                     constant converted once, a graph input, an activation,
 *                     an alias of a replaced If's branch output), and the
 *                     operators that run (nodes whose outputs are all folded
 *                     do not);
 *   session_job.c     the job: one task per operator or slice, dependencies
 *                     with bytes, demands; splitting, combining, fusing;
 *   memplan.c         offsets of activations and scratch in one arena;
 *   session.c         the public calls, views, and the task function.
 */
#ifndef JF_ONNX_SESSION_IMPL_H
#define JF_ONNX_SESSION_IMPL_H

#include <stdatomic.h>

#include "onnx/kernel.h"

typedef enum {
    SX_ABSENT,     /* not used by anything that runs */
    SX_CONST,      /* a weight or a folded value: converted once */
    SX_INPUT,      /* a graph input: the caller fills it */
    SX_ACTIVATION  /* written by an operator: lives in the arena */
} sx_kind;

/* A value at run time. */
typedef struct {
    sx_kind kind;
    int32_t dtype;       /* run-time dtype */
    int64_t numel;
    uint64_t bytes;
    int32_t alias;       /* the tensor whose memory this one is (If outputs,
                            fused outputs); itself otherwise */
    int32_t op;          /* operator writing it, -1 for consts and inputs */
    uint64_t offset;     /* in the arena (activations) */
    void *data;
} sx_value;

/* An operator that runs. */
typedef struct {
    uint32_t node;
    const ox_kernel *k;
    ox_view *in, *out;
    int64_t n_slices;
    size_t scratch;      /* bytes per slice call */
    uint64_t *scratch_off; /* n_slices offsets in the arena */
    uint32_t first_task; /* its tasks are first_task .. first_task+n_slices-1 */
    ox_fused *fused;     /* steps applied by this operator's kernel, or NULL */
    int fused_into;      /* -1, or the operator that does this one's work */
    uint8_t folded;      /* a BatchNormalization folded into its Conv's
                            weights at creation (session_fold.c) */
    uint8_t chained;     /* fuse.c has grown its chain of fused steps */
    int32_t operand_value[8]; /* per fused step: 1 + the activation or input
                            its operand is (bind points it there), 0 for
                            a constant */
    float *shift;        /* owned: a folded BatchNormalization's shift, the
                            operand of its Conv's first fused step when the
                            Conv has no bias to take it; or a fused BN's
                            scales and shifts */
    double time_us;
} sx_op;

typedef struct {
    struct jf_onnx_session *s;
    uint32_t op;
    int64_t slice;
} sx_task;

struct jf_onnx_session {
    jf_onnx_model *m;
    jf_executor *ex;
    jf_executor *own_ex;           /* made when the caller gave none */
    jf_onnx_session_options opt;
    int serial;                    /* one thread: operators chained in their order */
    sx_value *vals;                /* one per model tensor */
    sx_op *ops;
    size_t n_ops;
    int32_t *op_of_node;           /* -1 for nodes that do not run */
    sx_task *tasks;
    size_t n_tasks;
    void *consts;                  /* one block for weights and folded values */
    uint64_t const_bytes;
    void *arena;                   /* activations and scratch, 64-byte aligned */
    void *arena_block;             /* the allocation arena points into */
    uint64_t arena_bytes;
    jf_job *job;
    jf_plan *plan;
    char *explain;
    size_t explain_len, explain_cap;
    atomic_int failed;             /* a task stored its message */
    char err[1024];
};

/* ---- between the session's files ---- */
JF__HIDDEN jf_status sx_fail(jf_onnx_session *s, jf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
JF__HIDDEN void sx_note(jf_onnx_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Values and operators: kinds, dtypes, kernels; refuses what cannot run. */
JF__HIDDEN jf_status sx_values_plan(jf_onnx_session *s);
/* Convert weights and folded values into s->consts. */
JF__HIDDEN jf_status sx_values_load(jf_onnx_session *s);
/* The tensor whose memory t uses (following aliases). */
JF__HIDDEN int32_t sx_resolve(const jf_onnx_session *s, int32_t t);
/* The job, its plan (combined, split, fused) and the tasks. */
JF__HIDDEN jf_status sx_job_build(jf_onnx_session *s);
/* Op's node is an element-wise step that could apply to producer's
 * output 0 as it is written: its kind, shapes and constant operands fit,
 * and nothing else reads that output. */
JF__HIDDEN int sx_fuse_fits(const jf_onnx_session *s, uint32_t producer, uint32_t op);
/* Op's node is the Add of a hard-swish x * clip(x + 3, 0, 6) / 6 written
 * as Add -> Clip -> Mul(x, .) -> Div, x nothing else reads: 1 and the four
 * ops in order. */
JF__HIDDEN int sx_hard_swish(const jf_onnx_session *s, int32_t x, uint32_t op, uint32_t ops[4]);
/* Fold BatchNormalization into the Conv before it where the Conv's output
 * is read by the BN alone: the BN then does nothing (before sx_job_build). */
JF__HIDDEN jf_status sx_fold_batchnorm(jf_onnx_session *s);
/* Op, a BatchNormalization reading x that could not fold (no Conv right
 * before it), as two fused steps: MUL and ADD per channel (their operands
 * in op's shift). 1, 0 when it does not fit, -1 out of memory. */
JF__HIDDEN int sx_batchnorm_steps(jf_onnx_session *s, uint32_t op, int32_t x, ox_fuse_step st[2]);
/* Fuse element-wise ops into their producers, following readers. */
JF__HIDDEN jf_status sx_fuse(jf_onnx_session *s);
/* Offsets of activations and scratch; sets s->arena_bytes. */
JF__HIDDEN jf_status sx_memplan(jf_onnx_session *s);

/* Decode a TensorProto's contents (raw_data, typed fields, or external
 * data in dir) into dst as numel elements of the run-time dtype
 * ox_run_dtype(tp->data_type). 0, or -1 with a message in err. */
JF__HIDDEN int sx_tensor_decode(const char *dir, const Onnx__TensorProto *tp, void *dst,
                                int64_t numel, char *err, size_t err_size);

#endif
