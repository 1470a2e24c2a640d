/* NumPy .npy files: every dtype and a few shapes survive a write and a
 * read; files written by hand in each format version and header spelling
 * numpy produces are read; bad files (wrong magic, versions, dtypes,
 * Fortran order, broken headers, truncated or extra data) fail with a
 * message naming the file and the problem; failed writes leave nothing. */
#include <sys/stat.h>
#include <unistd.h>

#include "jf_test.h"
#include "jobfuse/onnx.h"

static char dir[] = "/tmp/jf_test_npy_XXXXXX";
static char path[256], err[512];

static int write_bytes(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* A file with the given version, header text and data bytes. */
static void make_npy(int major, const char *header, const void *data, size_t n)
{
    unsigned char buf[4096];
    size_t len = strlen(header), at = 0;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major, buf[7] = 0;
    at = 8;
    for (int i = 0; i < (major == 1 ? 2 : 4); i++)
        buf[at++] = (unsigned char)(len >> (8 * i));
    memcpy(buf + at, header, len);
    memcpy(buf + at + len, data, n);
    JF_CHECK(write_bytes(path, buf, at + len + n) == 0);
}

/* A file holding a string literal's bytes, without its terminating NUL. */
#define write_literal(lit) JF_CHECK(write_bytes(path, lit, sizeof(lit) - 1) == 0)

static const int elem_size[12] = {0, 4, 1, 1, 0, 0, 4, 8, 0, 1, 0, 8};

static void round_trip(int32_t dtype, int rank, const int64_t *dims)
{
    unsigned char data[256];
    jf_onnx_tensor t = {"t", dtype, rank, {0}, data, 0};
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (t.dims[i] = dims[i]);
    t.bytes = (uint64_t)n * (uint64_t)elem_size[dtype];
    for (uint64_t i = 0; i < t.bytes; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    if (dtype == 9)
        for (uint64_t i = 0; i < t.bytes; i++)
            data[i] &= 1;
    if (dtype == 1 || dtype == 11) /* finite, exactly representable values */
        for (int64_t i = 0; i < n; i++)
            dtype == 1 ? (((float *)data)[i] = (float)i * 0.25f - 3)
                       : (((double *)data)[i] = (double)i * 0.5 - 1);
    jf_test_context("dtype %d rank %d", (int)dtype, rank);
    JF_CHECK_STATUS(jf_onnx_npy_write(path, &t, err, sizeof err), JF_OK);
    struct stat sb;
    JF_CHECK(stat(path, &sb) == 0 && ((uint64_t)sb.st_size - t.bytes) % 64 == 0); /* aligned data */
    jf_onnx_tensor r;
    if (!JF_CHECK_STATUS(jf_onnx_npy_read(path, &r, err, sizeof err), JF_OK)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    JF_CHECK_I(r.dtype, ==, dtype == 11 ? 1 : dtype);
    JF_CHECK_I(r.rank, ==, rank);
    for (int i = 0; i < rank; i++)
        JF_CHECK_I(r.dims[i], ==, dims[i]);
    if (dtype == 11) {
        JF_CHECK_U(r.bytes, ==, (uint64_t)n * 4);
        for (int64_t i = 0; i < n; i++)
            JF_CHECK_D(((float *)r.data)[i], ==, (double)i * 0.5 - 1);
    } else {
        JF_CHECK_U(r.bytes, ==, t.bytes);
        JF_CHECK(memcmp(r.data, data, t.bytes) == 0);
    }
    jf_onnx_npy_free(&r);
    JF_CHECK(r.data == NULL);
}

static void test_round_trips(void)
{
    static const int32_t dtypes[] = {1, 2, 3, 6, 7, 9, 11};
    static const int64_t d3[] = {2, 3, 4}, d1[] = {5}, d0[] = {0, 3};
    static const int64_t d8[] = {1, 2, 1, 2, 1, 2, 1, 2};
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        round_trip(dtypes[i], 0, NULL);
        round_trip(dtypes[i], 1, d1);
        round_trip(dtypes[i], 3, d3);
        round_trip(dtypes[i], 2, d0);
        round_trip(dtypes[i], 8, d8);
    }
    jf_test_context("");
}

/* Headers as numpy and other writers spell them. */
static void read_ok(int major, const char *header, const void *data, size_t n, int32_t dtype,
                    int rank, int64_t dim0)
{
    make_npy(major, header, data, n);
    jf_onnx_tensor t;
    jf_test_context("%s", header);
    if (JF_CHECK_STATUS(jf_onnx_npy_read(path, &t, err, sizeof err), JF_OK)) {
        JF_CHECK_I(t.dtype, ==, dtype);
        JF_CHECK_I(t.rank, ==, rank);
        if (rank > 0)
            JF_CHECK_I(t.dims[0], ==, dim0);
    } else {
        fprintf(stderr, "  %s\n", err);
    }
    jf_onnx_npy_free(&t);
}

static void test_spellings(void)
{
    float f[3] = {1, 2, 3};
    double d[2] = {0.1, -2.5};
    unsigned char b[3] = {0, 2, 1};
    read_ok(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", f, 12, 1, 1, 3);
    read_ok(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", f, 12, 1, 1, 3);
    read_ok(1, "{\"shape\": (1,3), \"descr\": \"<f4\", \"fortran_order\": False}", f, 12, 1, 2, 1);
    read_ok(1, "{'descr':'<f4','fortran_order':False,'shape':(3L,)}   \n", f, 12, 1, 1, 3);
    read_ok(1, "{'descr': '=i4', 'fortran_order': False, 'shape': (3,), }\n", f, 12, 6, 1, 3);
    read_ok(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", d, 16, 1, 1, 2);
    make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", d, 16);
    jf_onnx_tensor t;
    if (JF_CHECK_STATUS(jf_onnx_npy_read(path, &t, err, sizeof err), JF_OK))
        JF_CHECK_D(((float *)t.data)[0], ==, (double)(float)0.1);
    jf_onnx_npy_free(&t);
    make_npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n", b, 3);
    if (JF_CHECK_STATUS(jf_onnx_npy_read(path, &t, err, sizeof err), JF_OK))
        JF_CHECK_I(((unsigned char *)t.data)[1], ==, 1); /* any non-zero byte is true */
    jf_onnx_npy_free(&t);
    jf_test_context("");
}

/* A bad file: the status, the file's name and the words in the message. */
static void read_bad(jf_status want, const char *words)
{
    jf_onnx_tensor t;
    jf_test_context("want '%s'", words);
    JF_CHECK_STATUS(jf_onnx_npy_read(path, &t, err, sizeof err), want);
    JF_CHECK_MENTIONS(err, path);
    JF_CHECK_MENTIONS(err, words);
    JF_CHECK(t.data == NULL && t.rank == 0);
}

static void bad_header(const char *header, const char *words)
{
    float f[4] = {0};
    make_npy(1, header, f, 12);
    read_bad(JF_EPARSE, words);
}

#define H(descr, fortran, shape)                                                                   \
    "{'descr': '" descr "', 'fortran_order': " fortran ", 'shape': " shape ", }\n"

static void test_bad_headers(void)
{
    bad_header(H("<f4", "True", "(3,)"), "fortran_order is True");
    bad_header(H(">f4", "False", "(3,)"), "dtype '>f4' is not read");
    bad_header(H("<c8", "False", "(3,)"), "dtype '<c8' is not read");
    bad_header(H("<U3", "False", "(3,)"), "dtype '<U3'");
    bad_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }",
               "structured dtypes");
    bad_header(H("<f4", "False", "3"), "'shape' must be a tuple");
    bad_header(H("<f4", "False", "(-3,)"), "non-negative integers");
    bad_header(H("<f4", "False", "(3 4)"), "expected ',' or ')'");
    bad_header(H("<f4", "False", "(1,1,1,1,1,1,1,1,3)"), "more than 8 dimensions");
    bad_header(H("<f4", "maybe", "(3,)"), "True or False");
    bad_header(H("<f4", "False", "(99999999999999999999,)"), "too large");
    bad_header(H("<f4", "False", "(4294967296, 4294967296)"), "too many elements");
    bad_header("{'descr': '<f4', 'shape': (3,), }", "no 'fortran_order'");
    bad_header("{'descr': '<f4', 'fortran_order': False}", "no 'shape'");
    bad_header("{'shape': (3,), 'fortran_order': False}", "no 'descr'");
    bad_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", "unknown key");
    bad_header("['descr', '<f4']", "not a dict literal");
    bad_header("{'descr': '<f4", "not closed");
    bad_header("{descr: '<f4'}", "quoted string");
    bad_header("{'descr': '<f4' 'shape': (3,)}", "expected ',' or '}'");
    bad_header("{'descr' '<f4'}", "expected ':'");
}

static void test_bad_files(void)
{
    float f[4] = {0};
    make_npy(1, H("<f4", "False", "(3,)"), f, 8);
    read_bad(JF_EPARSE, "truncated: 8 bytes of data where the shape and dtype need 12");
    make_npy(1, H("<f4", "False", "(3,)"), f, 16);
    read_bad(JF_EPARSE, "extra bytes after the array: 16 bytes");
    make_npy(4, H("<f4", "False", "(3,)"), f, 12);
    read_bad(JF_EPARSE, "format version 4.0 is not read");
    write_literal("\x93NUMPY\x01\x00\x50\x00{'descr'");
    read_bad(JF_EPARSE, "truncated in the header");
    write_literal("\x93NUMPY\x02\x00\x50");
    read_bad(JF_EPARSE, "truncated before the header's length");
    write_literal("\x93NUMPY\x02\x00\xff\xff\xff\x7f");
    read_bad(JF_EPARSE, "over 1 MiB");
    write_literal("PK\x03\x04 this is a zip");
    read_bad(JF_EPARSE, "not a .npy file");
    write_literal("");
    read_bad(JF_EPARSE, "empty file");
    snprintf(path, sizeof path, "%s/missing.npy", dir);
    read_bad(JF_EIO, "No such file");
    snprintf(path, sizeof path, "%s", dir);
    read_bad(JF_EIO, "is a directory");
    snprintf(path, sizeof path, "%s/a.npy", dir);
}

static void test_bad_writes(void)
{
    float f[3] = {1, 2, 3};
    jf_onnx_tensor t = {"t", 1, 1, {3}, f, 12};
    JF_CHECK_STATUS(jf_onnx_npy_write(path, &t, err, sizeof err), JF_OK);
    t.bytes = 8; /* the shape says 12 */
    JF_CHECK_STATUS(jf_onnx_npy_write(path, &t, err, sizeof err), JF_EINVAL);
    JF_CHECK_MENTIONS(err, "do not agree");
    t.bytes = 12, t.dtype = 10; /* float16 */
    JF_CHECK_STATUS(jf_onnx_npy_write(path, &t, err, sizeof err), JF_EINVAL);
    JF_CHECK_MENTIONS(err, "dtype 10 cannot be written");
    t.dtype = 1;
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.npy", dir);
    JF_CHECK_STATUS(jf_onnx_npy_write(bad, &t, err, sizeof err), JF_EIO);
    JF_CHECK_MENTIONS(err, "cannot write");
    jf_onnx_tensor r; /* the first file is still whole */
    JF_CHECK_STATUS(jf_onnx_npy_read(path, &r, err, sizeof err), JF_OK);
    JF_CHECK_U(r.bytes, ==, 12);
    jf_onnx_npy_free(&r);
}

/* Out of memory on read: a status, nothing leaked. */
static void test_alloc_fail(void)
{
    float f[3] = {1, 2, 3};
    jf_onnx_tensor t = {"t", 1, 1, {3}, f, 12}, r;
    JF_CHECK_STATUS(jf_onnx_npy_write(path, &t, err, sizeof err), JF_OK);
    for (uint64_t n = 1; n <= 2; n++) {
        jf_alloc_stats before, after;
        jf_alloc_get_stats(&before);
        jf_alloc_fail_after(n);
        JF_CHECK_STATUS(jf_onnx_npy_read(path, &r, err, sizeof err), JF_ENOMEM);
        jf_alloc_fail_after(0);
        jf_alloc_get_stats(&after);
        JF_CHECK_U(after.bytes_in_use, ==, before.bytes_in_use);
    }
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/a.npy", dir);
    test_round_trips();
    test_spellings();
    test_bad_headers();
    test_bad_files();
    test_bad_writes();
    test_alloc_fail();
    unlink(path);
    rmdir(dir);
    return jf_test_finish("test_npy", "groups", 6);
}
