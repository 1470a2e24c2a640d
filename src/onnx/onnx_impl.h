/* ONNX import internals: the model's values and nodes after loading, and the
 * interface the per-operator rules (ops_*.c) implement.
 *
 * Loading (load.c) maps the file, decodes it with the protobuf-c structures
 * generated from Debian's onnx.proto, and numbers every named value (a
 * tensor) and node. Inference (infer.c) walks the nodes in a topological
 * order and calls each operator's rule, which sets the shapes of the node's
 * outputs, folds small integer/float values when all inputs are known, and
 * counts the node's flops and multiply-accumulates. to_job.c turns the
 * result into a jf_job.
 */
#ifndef JF_ONNX_IMPL_H
#define JF_ONNX_IMPL_H

#include <stdint.h>

#include "core/internal.h"
#include "jobfuse/onnx.h"
#include "onnx.pb-c.h"

#define OX_MAX_RANK 8
/* Values with at most this many elements have their contents folded. */
#define OX_FOLD_MAX 65536

/* ONNX TensorProto.DataType codes used by the rules. */
enum {
    OX_UNDEFINED = 0, OX_FLOAT = 1, OX_UINT8 = 2, OX_INT8 = 3, OX_UINT16 = 4,
    OX_INT16 = 5, OX_INT32 = 6, OX_INT64 = 7, OX_STRING = 8, OX_BOOL = 9,
    OX_FLOAT16 = 10, OX_DOUBLE = 11, OX_UINT32 = 12, OX_UINT64 = 13,
    OX_BFLOAT16 = 16
};

typedef enum {
    OX_ACTIVATION, /* produced by a node */
    OX_WEIGHT,     /* an initializer or a Constant node's output */
    OX_INPUT       /* a graph input without initializer */
} ox_kind;

/* One named value of the graph. */
typedef struct {
    const char *name;
    int32_t dtype;               /* OX_*, OX_UNDEFINED while unknown */
    int rank;                    /* -1 while the shape is unknown */
    int64_t dims[OX_MAX_RANK];
    ox_kind kind;
    int32_t producer;            /* node index, -1 for weights and inputs */
    int32_t alias;               /* the value this one is (a folded If's output), or -1 */
    uint64_t weight_bytes;       /* stored size of a weight (external too) */
    /* Folded contents (numel elements) when known, else NULL: integers and
     * booleans in ival, floating point in fval. Owned by the model's arena. */
    int64_t *ival;
    double *fval;
} ox_tensor;

/* One operator node. Inputs and outputs are tensor indices; an omitted
 * optional one (empty name) is -1. */
typedef struct {
    const Onnx__NodeProto *proto;
    const char *id;              /* task id: the node name or a generated one */
    const char *op;
    int opset;                   /* version of the node's domain */
    int n_in, n_out;
    int32_t *in, *out;
    /* Outer values the node's subgraphs read (If, Loop, Scan). */
    int n_implicit;
    int32_t *implicit;
    double flops;                /* set by the rule; a multiply-add is 2 */
    double macs;                 /* multiply-accumulates (Conv, MatMul, ...) */
    uint64_t subgraph_weight_bytes; /* weights inside If/Loop/Scan bodies */
    int is_task;                 /* 0 for Constant and replaced If nodes */
} ox_node;

typedef struct ox_ctx ox_ctx;

/* An operator's rule: set the outputs' dtype and shape (leave rank -1 when
 * an input's shape is unknown), fold contents where the issue asks, set
 * n->flops and n->macs. Returns 0, or ox_fail() on inputs the operator
 * cannot take. */
typedef int (*ox_rule_fn)(ox_ctx *c, ox_node *n);

typedef struct {
    const char *op;
    ox_rule_fn rule;
} ox_rule;

/* The rule of an operator type of the default domain, or NULL. */
JF__HIDDEN ox_rule_fn ox_rule_find(const char *op);

/* ---- what rules use ------------------------------------------------------ */
/* Input or output i of the node; NULL when absent or omitted. */
JF__HIDDEN ox_tensor *ox_in(ox_ctx *c, const ox_node *n, int i);
JF__HIDDEN ox_tensor *ox_out(ox_ctx *c, const ox_node *n, int i);

/* Attributes; the default when the node has none of that name. */
JF__HIDDEN int64_t ox_attr_int(const ox_node *n, const char *name, int64_t def);
JF__HIDDEN double ox_attr_float(const ox_node *n, const char *name, double def);
/* A string attribute, valid until the next call in this thread. */
JF__HIDDEN const char *ox_attr_str(const ox_node *n, const char *name, const char *def);
/* Integer list: count copied into out (at most max), or -1 when absent. */
JF__HIDDEN int ox_attr_ints(const ox_node *n, const char *name, int64_t *out, int max);
JF__HIDDEN int ox_attr_floats(const ox_node *n, const char *name, double *out, int max);
JF__HIDDEN const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name);

/* Fail the import: "node 'id' (Op): message". Returns -1. */
JF__HIDDEN int ox_fail(ox_ctx *c, const ox_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int ox_known(const ox_tensor *t) { return t && t->rank >= 0; }
/* Elements of a known shape (1 for a scalar), -1 when unknown. */
JF__HIDDEN int64_t ox_numel(const ox_tensor *t);
/* Bytes of one element of a dtype (0 when unknown or variable). */
JF__HIDDEN int ox_dtype_size(int32_t dtype);
JF__HIDDEN int ox_dtype_is_float(int32_t dtype);
/* Bytes of the tensor's contents, 0 when the shape is unknown. */
JF__HIDDEN uint64_t ox_bytes(const ox_tensor *t);

/* Set a tensor's dtype and shape (rank <= OX_MAX_RANK, else ox_fail). */
JF__HIDDEN int ox_set_shape(ox_ctx *c, const ox_node *n, ox_tensor *t, int32_t dtype,
                            int rank, const int64_t *dims);
/* Multidirectional (numpy) broadcast of the node's present inputs into
 * out_dims; 0 with *out_rank set, 1 when an input shape is unknown, or
 * ox_fail() when the shapes do not broadcast. */
JF__HIDDEN int ox_broadcast(ox_ctx *c, const ox_node *n, int *out_rank, int64_t *out_dims);
/* Room for folded contents of t's (known) shape, in the model's arena:
 * ival for integer/bool dtypes, fval for floating point. NULL when larger
 * than OX_FOLD_MAX or out of memory (the value then stays unfolded). */
JF__HIDDEN int64_t *ox_fold_ints(ox_ctx *c, ox_tensor *t);
JF__HIDDEN double *ox_fold_floats(ox_ctx *c, ox_tensor *t);
/* Element i of folded contents as an integer or a double (t->ival or
 * t->fval must be set). */
static inline int64_t ox_geti(const ox_tensor *t, int64_t i)
{
    return t->ival ? t->ival[i] : (int64_t)t->fval[i];
}
static inline double ox_getf(const ox_tensor *t, int64_t i)
{
    return t->fval ? t->fval[i] : (double)t->ival[i];
}
static inline int ox_folded(const ox_tensor *t)
{
    return t && (t->ival || t->fval);
}

/* ---- the loaded model ---------------------------------------------------- */
struct jf_onnx_model {
    char *path;
    char *dir;                   /* folder of the model, for external data */
    Onnx__ModelProto *proto;
    jf__arena arena;
    int opset;                   /* default domain's version */
    ox_tensor *tensors;
    size_t n_tensors, cap_tensors;
    jf__strmap tensor_map;       /* name -> tensor index */
    ox_node *nodes;
    size_t n_nodes, cap_nodes;
    jf__strmap node_ids;         /* task id -> node index */
    struct ox_op_count { const char *op; size_t next; } *op_counts; /* generated ids */
    size_t n_op_counts, cap_op_counts;
    size_t n_file_nodes;         /* nodes of the main graph in the file */
    uint32_t *order;             /* nodes in the order inference visited them */
    size_t n_order, cap_order;
    const char **warned;         /* operator types warned about */
    size_t n_warned, cap_warned;
    int32_t *graph_inputs, *graph_outputs; /* tensor indices */
    size_t n_graph_inputs, n_graph_outputs;
    jf_onnx_options opts;
    jf_onnx_stats stats;
    char err[1024];
};

struct ox_ctx {
    jf_onnx_model *m;
};

/* ---- between the framework's files ---- */
JF__HIDDEN int ox_tensor_add(jf_onnx_model *m, const char *name, int32_t *out);
JF__HIDDEN int ox_tensor_find(const jf_onnx_model *m, const char *name, int32_t *out);
/* Fill t from a TensorProto: dtype, shape, weight bytes, and the contents
 * when small. base_dir finds external data. -1 with m->err set. */
JF__HIDDEN int ox_tensor_from_proto(jf_onnx_model *m, ox_tensor *t,
                                    const Onnx__TensorProto *tp);
/* Add the nodes of g (the main graph or an inlined branch) and g's
 * initializers; outputs are registered before inputs are resolved, so the
 * file's node order does not matter. *first is the first new node. */
JF__HIDDEN int ox_add_graph_nodes(jf_onnx_model *m, const Onnx__GraphProto *g, size_t *first);
/* Shapes, folding and flops of every node, in a topological order. */
JF__HIDDEN jf_status ox_infer(jf_onnx_model *m);
JF__HIDDEN void ox_errf(jf_onnx_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
