/* onnx_import_bench: how long importing a model takes — load, shape
 * inference with folding, and the job with its demands — next to ONNX's
 * own Python package loading the same file and inferring its shapes.
 *
 *   ./build/bench/onnx_import_bench [--reps N] [MODEL.onnx[:NAME=SHAPE] ...]
 *
 * Without models: bench/models/big1000.onnx (make it with
 * bench/models/make_big.py) and the PaddleOCR models of
 * bench/models/fetch.sh, those present. Prints one line per model with the
 * medians and the ratio; target: a 1000-node model well under 50 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "jobfuse/onnx.h"

#ifndef JF_SOURCE_DIR
#define JF_SOURCE_DIR "."
#endif

typedef struct {
    char path[1024];
    jf_onnx_input input;
    int has_input;
} bench_model;

static double import_once(const bench_model *bm, uint64_t *nodes)
{
    jf_onnx_options opt = {bm->has_input ? &bm->input : NULL, bm->has_input ? 1u : 0u, 100.0};
    jf_onnx_model *m = NULL;
    jf_job *job = NULL;
    double t0 = wall_s();
    jf_status st = jf_onnx_load(bm->path, &opt, &m);
    if (st == JF_OK)
        st = jf_onnx_job(m, &job);
    double t = wall_s() - t0;
    if (st != JF_OK) {
        fprintf(stderr, "onnx_import_bench: %s\n", jf_onnx_errmsg(m));
        exit(1);
    }
    *nodes = jf_onnx_get_stats(m)->operators;
    jf_job_destroy(job);
    jf_onnx_destroy(m);
    return t;
}

/* The Python peer's median, or -1 when it cannot run. */
static double peer_median(const char *path, int reps)
{
    char cmd[2300];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/onnx_peer.py '%s' %d 2>/dev/null",
             JF_SOURCE_DIR, path, reps);
    FILE *p = popen(cmd, "r");
    double v = -1;
    if (p && fscanf(p, "%lf", &v) != 1)
        v = -1;
    if (p && pclose(p) != 0)
        v = -1;
    return v;
}

static void bench(const bench_model *bm, int reps)
{
    double *t = malloc((size_t)reps * sizeof *t);
    uint64_t nodes = 0;
    import_once(bm, &nodes); /* warm the page cache */
    for (int i = 0; i < reps; i++)
        t[i] = import_once(bm, &nodes);
    double ours = median(t, reps), theirs = peer_median(bm->path, reps < 5 ? reps : 5);
    const char *base = strrchr(bm->path, '/');
    printf("model=%s nodes=%llu jobfuse_import_ms=%.3f onnx_python_ms=%.3f ratio=%.1f%s\n",
           base ? base + 1 : bm->path, (unsigned long long)nodes, ours * 1e3,
           theirs > 0 ? theirs * 1e3 : -1, theirs > 0 ? theirs / ours : 0,
           nodes >= 1000 ? (ours < 0.05 ? " target=PASS" : " target=FAIL") : "");
    free(t);
    fflush(stdout);
}

static int parse_model(const char *arg, bench_model *bm)
{
    memset(bm, 0, sizeof *bm);
    snprintf(bm->path, sizeof bm->path, "%s", arg);
    char *colon = strchr(bm->path, ':');
    if (!colon)
        return 0;
    *colon = '\0';
    char *eq = strchr(colon + 1, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    bm->input.name = colon + 1;
    bm->has_input = 1;
    return jf_onnx_parse_shape(eq + 1, &bm->input);
}

int main(int argc, char **argv)
{
    int reps = 20, given = 0;
    static const char *const defaults[] = {
        JF_SOURCE_DIR "/bench/models/big1000.onnx",
        JF_SOURCE_DIR "/bench/models/det.onnx:x=1x3x640x640",
        JF_SOURCE_DIR "/bench/models/rec.onnx:x=1x3x48x320",
        JF_SOURCE_DIR "/bench/models/cls.onnx:x=1x3x48x192",
    };
    bench_model bm;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 || reps < 1 ||
            parse_model(argv[i], &bm)) {
            fprintf(stderr, "usage: onnx_import_bench [--reps N] [MODEL.onnx[:NAME=SHAPE] ...]\n");
            return 2;
        }
        given = 1;
        bench(&bm, reps);
    }
    for (size_t i = 0; !given && i < sizeof defaults / sizeof *defaults; i++) {
        parse_model(defaults[i], &bm);
        if (access(bm.path, R_OK) == 0)
            bench(&bm, reps);
        else
            printf("model=%s skipped=absent (bench/models/fetch.sh, make_big.py)\n", bm.path);
    }
    return 0;
}
