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
#include "job.h"

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

#ifdef __cplusplus
}
#endif
#endif
