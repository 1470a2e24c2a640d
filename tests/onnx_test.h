/* What the ONNX tests share (on top of jf_test.h). */
#ifndef JF_ONNX_TEST_H
#define JF_ONNX_TEST_H

#include "jf_test.h"
#include "jobfuse/onnx.h"

/* Import a possibly corrupt model: any status is fine except a crash, a
 * leak (ASan) or a failure without a message. */
JF_TEST_FN void jf_test_onnx_import_any(const char *path)
{
    jf_onnx_options opt = {NULL, 0, 100.0};
    jf_onnx_model *m = NULL;
    jf_job *job = NULL;
    jf_status st = jf_onnx_load(path, &opt, &m);
    if (st == JF_OK)
        st = jf_onnx_job(m, &job);
    if (st != JF_OK)
        JF_CHECK(jf_onnx_errmsg(m)[0] != '\0');
    jf_job_destroy(job);
    jf_onnx_destroy(m);
}

#endif
