/* jobfuse/onnx.h — ONNX models as computing jobs.
 *
 *   jf_onnx_options opt = {0};
 *   jf_onnx_input x = {"x", 4, {1, 3, 640, 640}};
 *   opt.inputs = &x, opt.n_inputs = 1;
 *   jf_onnx_model *m = NULL;
 *   if (jf_onnx_load("det.onnx", &opt, &m) != JF_OK)
 *       fprintf(stderr, "%s\n", jf_onnx_errmsg(m));
 *   jf_job *job = NULL;
 *   jf_onnx_job(m, &job);          // one task per operator, bytes on edges
 *   ...
 *   jf_job_destroy(job);
 *   jf_onnx_destroy(m);
 *
 * Loading decodes the file with the structures protoc-c generates from
 * Debian's onnx.proto, fixes the graph inputs' shapes, infers every value's
 * shape and folds the integer shape arithmetic, so that Reshape and Resize
 * outputs get real shapes. Each task's demands: memory (bytes of inputs,
 * outputs and weights), flops (a multiply-accumulate counts as two) and
 * time (flops at the device's speed, in microseconds).
 */
#ifndef JOBFUSE_ONNX_H
#define JOBFUSE_ONNX_H

#include "base.h"
#include "combine.h"
#include "job.h"
#include "run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jf_onnx_model jf_onnx_model;

#define JF_ONNX_MAX_RANK 8

/* The shape given to a graph input (--input NAME=1x3x640x640). */
typedef struct {
    const char *name;
    int rank;
    int64_t dims[JF_ONNX_MAX_RANK];
} jf_onnx_input;

typedef struct {
    const jf_onnx_input *inputs;
    size_t n_inputs;
    /* Device speed for `time`, in GFLOP/s; 0 measures it (jf_onnx_device_gflops). */
    double device_gflops;
} jf_onnx_options;

typedef struct {
    uint64_t operators;          /* nodes in the file's main graph */
    uint64_t tasks;              /* operator tasks after folding If */
    uint64_t weights, weight_bytes;
    double macs_conv_matmul;     /* Conv, ConvTranspose, ConvInteger, MatMul, Gemm, LSTM */
    double macs_all;
    double flops;
    uint64_t peak_activation_bytes; /* along the job's topological order */
    uint64_t unknown_shapes;     /* values whose shape stayed unknown */
    double device_gflops;
    int opset;
} jf_onnx_stats;

/* Load, check and infer a model. *out is set even on failure so that
 * jf_onnx_errmsg() can tell why; destroy it in both cases. JF_EIO (cannot
 * read), JF_EPARSE (not ONNX, truncated, corrupt), JF_EINVAL (a node reads a
 * value nobody produces, shapes that do not fit, ...), JF_ECYCLE, JF_ENOMEM. */
jf_status jf_onnx_load(const char *path, const jf_onnx_options *opt, jf_onnx_model **out);
const char *jf_onnx_errmsg(const jf_onnx_model *m);
void jf_onnx_destroy(jf_onnx_model *m);

/* The job: a task per operator node (Constant nodes are weights, not tasks),
 * one "Input" task per graph input and one "Output" task per graph output,
 * dependencies with the tensor's bytes. Validated. */
jf_status jf_onnx_job(jf_onnx_model *m, jf_job **out);
/* Figures for the summary (peak activation bytes after jf_onnx_job). */
const jf_onnx_stats *jf_onnx_get_stats(const jf_onnx_model *m);

/* Parse "1x3x640x640" into in->dims; 0, or -1 on a malformed shape. */
int jf_onnx_parse_shape(const char *text, jf_onnx_input *in);

/* The speed of one core on a small single-threaded matrix multiply, in
 * GFLOP/s: read from the cache ($XDG_CACHE_HOME or ~/.cache,
 * jobfuse/device-gflops) or measured once (~50 ms) and cached. */
double jf_onnx_device_gflops(void);

/* ---- running a model on the CPU ---------------------------------------------
 *
 *   jf_executor *ex = NULL;
 *   jf_executor_local_create(2, &ex);
 *   jf_onnx_session_options so = {0};
 *   jf_onnx_session *s = NULL;
 *   if (jf_onnx_session_create(m, &so, ex, &s) != JF_OK)   // unsupported op: JF_EINVAL
 *       fprintf(stderr, "%s\n", jf_onnx_session_errmsg(s));
 *   jf_onnx_tensor x;
 *   jf_onnx_session_input(s, 0, &x);          // x.data: the session's buffer
 *   memcpy(x.data, pixels, bytes);
 *   jf_run_params rp = jf_run_default_params();
 *   jf_run_stats rs = {0};
 *   jf_onnx_session_run(s, &rp, &rs);
 *   jf_onnx_tensor y;
 *   jf_onnx_session_output(s, 0, &y);         // y.data valid until the next run
 *
 * The session converts the weights once (float16 and double to float32),
 * plans all activation memory in one arena from the values' lifetimes,
 * builds a job whose tasks run the operators' kernels (big operators split
 * into slices, element-wise operators fused into their producer where the
 * plan puts them together), combines it for running and runs it on the
 * executor as many times as asked, allocating nothing per operator.
 */
typedef struct jf_onnx_session jf_onnx_session;

/* A tensor handed in or out: ONNX dtype codes (1 float, 2 uint8, 6 int32,
 * 7 int64, 9 bool), dense row-major data. */
typedef struct {
    const char *name;
    int32_t dtype;
    int rank;
    int64_t dims[JF_ONNX_MAX_RANK];
    void *data;
    uint64_t bytes;
} jf_onnx_tensor;

typedef struct {
    int no_combine;   /* run every operator alone */
    int no_split;     /* never split big operators into slices */
    int no_fuse;      /* never fuse element-wise operators into their producer */
    /* Explicit combine limits (NULL: picked for running, as `jobfuse run`). */
    const jf_combine_params *combine;
    int explain;      /* keep notes on targets, splits and fusions */
} jf_onnx_session_options;

/* The model must stay alive as long as the session, and so must ex (NULL:
 * the session runs on a one-thread pool of its own). JF_EINVAL names an
 * operator without a kernel, or a value of unknown shape or of a dtype the
 * runtime does not hold, and its node; JF_ENOMEM. *out is set even on
 * failure (for the message); destroy it in both cases. */
jf_status jf_onnx_session_create(jf_onnx_model *m, const jf_onnx_session_options *opt,
                                 jf_executor *ex, jf_onnx_session **out);
const char *jf_onnx_session_errmsg(const jf_onnx_session *s);
void jf_onnx_session_destroy(jf_onnx_session *s);

size_t jf_onnx_session_input_count(const jf_onnx_session *s);
size_t jf_onnx_session_output_count(const jf_onnx_session *s);
/* Graph input i: its name, dtype, shape and the session's buffer to fill. */
jf_status jf_onnx_session_input(jf_onnx_session *s, size_t i, jf_onnx_tensor *out);
/* Graph output i after a run; data belongs to the session. */
jf_status jf_onnx_session_output(const jf_onnx_session *s, size_t i, jf_onnx_tensor *out);

/* Run once. JF_ETASK when a kernel fails (the message names the node). */
jf_status jf_onnx_session_run(jf_onnx_session *s, const jf_run_params *rp, jf_run_stats *stats);

/* The plan the session runs (targets of operator slices) and its job. */
const jf_plan *jf_onnx_session_plan(const jf_onnx_session *s);
/* Lines on splits and fusions (empty without options.explain). */
const char *jf_onnx_session_explain(const jf_onnx_session *s);
/* Bytes of the planned activation arena (the real peak) and of weights. */
uint64_t jf_onnx_session_arena_bytes(const jf_onnx_session *s);
uint64_t jf_onnx_session_weight_bytes(const jf_onnx_session *s);

/* ---- NumPy .npy files (inputs and outputs of `jobfuse run MODEL.onnx`) ----
 *
 *   jf_onnx_tensor x;
 *   char err[256];
 *   if (jf_onnx_npy_read("x.npy", &x, err, sizeof err) != JF_OK)
 *       fprintf(stderr, "%s\n", err);              // "x.npy: what is wrong"
 *   ...
 *   jf_onnx_npy_free(&x);
 *
 * Formats 1.0, 2.0 and 3.0, C order, little-endian: '<f4', '<f8' (read as
 * float32), '<i8', '<i4', '|u1', '|i1', '|b1'.
 */
/* Read a file into t (name NULL; data allocated, free with
 * jf_onnx_npy_free). JF_EIO (cannot open or read), JF_EPARSE (not .npy,
 * truncated, another dtype, Fortran order, ...), JF_ENOMEM; err says which,
 * and t is empty on failure. */
jf_status jf_onnx_npy_read(const char *path, jf_onnx_tensor *t, char *err, size_t err_size);
/* Write t (dtype 1, 2, 3, 6, 7, 9 or 11) as format 1.0 through a temporary
 * file renamed into place. JF_EINVAL (dtype, or bytes that do not fit the
 * shape), JF_EIO, JF_ENOMEM; err says which. */
jf_status jf_onnx_npy_write(const char *path, const jf_onnx_tensor *t, char *err,
                            size_t err_size);
/* Free what jf_onnx_npy_read allocated and empty t; NULL is fine. */
void jf_onnx_npy_free(jf_onnx_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
