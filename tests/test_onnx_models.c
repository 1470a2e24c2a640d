/* Real models (bench/models/fetch.sh): PaddleOCR v4 detection and
 * recognition and the v2 direction classifier. Node counts, the
 * multiply-accumulates of Conv/ConvTranspose/MatMul/Gemm/LSTM within 1% of
 * the published figures, every Reshape and Resize output shape known, and
 * plans of the imported jobs that keep every combination guarantee.
 * Skipped (exit 77) when the models have not been fetched. */
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"
#include "onnx/onnx_impl.h"

typedef struct {
    const char *file;
    jf_onnx_input input;
    uint64_t nodes;
    double macs;
} real_model;

static const real_model models[] = {
    {"det.onnx", {"x", 4, {1, 3, 640, 640}}, 672, 2302e6},
    {"rec.onnx", {"x", 4, {1, 3, 48, 320}}, 765, 702e6},
    {"cls.onnx", {"x", 4, {1, 3, 48, 192}}, 471, 16.3e6},
};

static void check_shapes_known(const jf_onnx_model *m)
{
    for (size_t i = 0; i < m->n_order; i++) {
        const ox_node *n = &m->nodes[m->order[i]];
        int reshaping = strcmp(n->op, "Reshape") == 0 || strcmp(n->op, "Resize") == 0;
        for (int o = 0; o < n->n_out; o++) {
            const ox_tensor *t = n->out[o] >= 0 ? &m->tensors[n->out[o]] : NULL;
            if (t && t->rank < 0)
                jf_test_fail(__FILE__, __LINE__, "%s output '%s' of '%s' has no shape",
                             reshaping ? "a reshaping" : "an", t->name, n->id);
        }
    }
}

/* Plans of the job under a few limits keep every guarantee of DESIGN.md. */
static void check_plans(jf_job *job)
{
    for (int variant = 0; variant < 4; variant++) {
        jf_combine_params p = jf_combine_default_params();
        p.degree_threshold = 2 + (uint32_t)variant;
        if (variant >= 2) /* a memory capacity that refuses some merges */
            jf_test_add_limit(p.capacity, &p.n_capacity, "memory", 64.0 * 1024 * 1024, 0);
        if (variant == 3)
            p.max_members = 8;
        jf_test_model tm;
        jf_test_model_init(&tm, job, &p);
        jf_plan *plan = NULL;
        jf_combine_stats stats;
        if (JF_CHECK_STATUS(jf_combine(job, &p, &plan, &stats), JF_OK))
            jf_test_check_plan(&tm, plan, &stats);
        jf_plan_destroy(plan);
        jf_test_model_free(&tm);
    }
}

static int check_model(const real_model *rm)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bench/models/%s", JF_SOURCE_DIR, rm->file);
    if (access(path, R_OK) != 0)
        return 0;
    jf_test_context("%s", rm->file);
    jf_onnx_options opt = {&rm->input, 1, 100.0};
    jf_onnx_model *m = NULL;
    jf_job *job = NULL;
    jf_status st = jf_onnx_load(path, &opt, &m);
    if (st == JF_OK)
        st = jf_onnx_job(m, &job);
    if (!JF_CHECK_STATUS(st, JF_OK))
        fprintf(stderr, "  %s\n", jf_onnx_errmsg(m));
    if (job) {
        const jf_onnx_stats *s = jf_onnx_get_stats(m);
        JF_CHECK_U(s->operators, ==, rm->nodes);
        JF_CHECK_D(fabs(s->macs_conv_matmul - rm->macs) / rm->macs, <=, 0.01);
        JF_CHECK_U(s->unknown_shapes, ==, 0);
        check_shapes_known(m);
        check_plans(job);
        printf("%s: %llu nodes, %.4g MACs (published %.4g), %u tasks, %llu edges\n", rm->file,
               (unsigned long long)s->operators, s->macs_conv_matmul, rm->macs,
               jf_job_task_count(job), (unsigned long long)jf_job_edge_count(job));
    }
    jf_job_destroy(job);
    jf_onnx_destroy(m);
    return 1;
}

int main(void)
{
    int found = 0;
    for (size_t i = 0; i < sizeof models / sizeof *models; i++)
        found += check_model(&models[i]);
    if (!found) {
        printf("test_onnx_models: skipped: the models are not in bench/models "
               "(run bash bench/models/fetch.sh)\n");
        return 77;
    }
    return jf_test_finish("test_onnx_models", "models", (uint64_t)found);
}
