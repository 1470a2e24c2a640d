/* NumPy .npy files: the inputs and outputs of `jobfuse run MODEL.onnx`.
 *
 * The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
 * minor version byte, the header's length (2 bytes little-endian in 1.0,
 * 4 bytes in 2.0 and 3.0), then the header — a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } padded with
 * spaces and a newline — then the raw elements in C order. Only the dtypes
 * ONNX models take or give are read; everything else gets a message that
 * says what the file holds and what would be read instead.
 */
#include <errno.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "jobfuse/onnx.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c reads and writes little-endian data in place"
#endif

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy refuses headers past 10000 bytes by default; a shape of 8 dims
 * needs under 200, so anything near this is not a file we wrote or want. */
#define NPY_MAX_HEADER (1u << 20)

/* The dtypes read and written: descr without its byte-order character,
 * element bytes in the file, and the ONNX dtype in memory. */
typedef struct {
    const char *code;
    int file_size;
    int32_t dtype;
    int mem_size;
} npy_type;

static const npy_type npy_types[] = {
    {"f4", 4, 1, 4}, {"f8", 8, 1, 4}, /* double is read as float32 */
    {"i8", 8, 7, 8}, {"i4", 4, 6, 4}, {"u1", 1, 2, 1}, {"i1", 1, 3, 1}, {"b1", 1, 9, 1},
};
#define NPY_N_TYPES (sizeof npy_types / sizeof npy_types[0])
#define NPY_SUPPORTED "<f4 <f8 <i8 <i4 |u1 |i1 |b1"

/* Multi-byte types must say little-endian ('<', or '=' on this host);
 * one-byte types have no order ('|', though '<' is harmless). */
static const npy_type *npy_type_find(const char *descr)
{
    char order = descr[0];
    for (size_t i = 0; i < NPY_N_TYPES; i++) {
        const npy_type *t = &npy_types[i];
        if (strcmp(descr + 1, t->code) != 0)
            continue;
        if (order == '<' || order == '=' || (order == '|' && t->file_size == 1))
            return t;
    }
    return NULL;
}

/* ---- the header: a tiny scanner for the dict literal ---- */

typedef struct {
    const char *p, *end;
    const char *path;
    char *err;
    size_t err_size;
    int failed;
} npy_scan;

static int scan_fail(npy_scan *s, const char *what)
{
    if (!s->failed)
        jf__fmt(s->err, s->err_size, "%s: bad .npy header: %s", s->path, what);
    s->failed = 1;
    return -1;
}

static void skip_space(npy_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Take character c after optional spaces: 1 taken, 0 not there. */
static int take(npy_scan *s, char c)
{
    skip_space(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

static int scan_string(npy_scan *s, char *buf, size_t size)
{
    skip_space(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return scan_fail(s, "expected a quoted string");
    char quote = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != quote) {
        if (n + 1 >= size)
            return scan_fail(s, "a string is too long");
        buf[n++] = *s->p++;
    }
    if (s->p >= s->end)
        return scan_fail(s, "a string is not closed");
    s->p++;
    buf[n] = '\0';
    return 0;
}

static int scan_bool(npy_scan *s, int *value)
{
    skip_space(s);
    size_t left = (size_t)(s->end - s->p);
    if (left >= 4 && memcmp(s->p, "True", 4) == 0)
        *value = 1, s->p += 4;
    else if (left >= 5 && memcmp(s->p, "False", 5) == 0)
        *value = 0, s->p += 5;
    else
        return scan_fail(s, "'fortran_order' must be True or False");
    return 0;
}

static int scan_dim(npy_scan *s, int64_t *dim)
{
    skip_space(s);
    int64_t v = 0;
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (v > (INT64_MAX - 9) / 10)
            return scan_fail(s, "a dimension is too large");
        v = v * 10 + (*s->p++ - '0');
    }
    if (s->p < s->end && *s->p == 'L') /* Python 2 longs */
        s->p++;
    if (s->p == start)
        return scan_fail(s, "'shape' must be a tuple of non-negative integers");
    *dim = v;
    return 0;
}

/* (), (5,), (1, 3, 640, 640) */
static int scan_shape(npy_scan *s, jf_onnx_tensor *t)
{
    if (!take(s, '('))
        return scan_fail(s, "'shape' must be a tuple, like (1, 3, 640, 640)");
    t->rank = 0;
    while (!take(s, ')')) {
        if (t->rank == JF_ONNX_MAX_RANK)
            return scan_fail(s, "more than 8 dimensions");
        if (scan_dim(s, &t->dims[t->rank++]))
            return -1;
        if (!take(s, ',') && !(skip_space(s), s->p < s->end && *s->p == ')'))
            return scan_fail(s, "expected ',' or ')' in 'shape'");
    }
    return 0;
}

typedef struct {
    char descr[32];
    int fortran, seen; /* seen: bit 1 descr, 2 fortran_order, 4 shape */
} npy_header;

static int scan_entry(npy_scan *s, npy_header *h, jf_onnx_tensor *t)
{
    char key[32];
    if (scan_string(s, key, sizeof key))
        return -1;
    if (!take(s, ':'))
        return scan_fail(s, "expected ':' after a key");
    if (strcmp(key, "descr") == 0) {
        h->seen |= 1;
        skip_space(s);
        if (s->p < s->end && *s->p == '[')
            return scan_fail(s, "structured dtypes (a list in 'descr') are not read");
        return scan_string(s, h->descr, sizeof h->descr);
    }
    if (strcmp(key, "fortran_order") == 0) {
        h->seen |= 2;
        return scan_bool(s, &h->fortran);
    }
    if (strcmp(key, "shape") == 0) {
        h->seen |= 4;
        return scan_shape(s, t);
    }
    return scan_fail(s, "unknown key (only 'descr', 'fortran_order' and 'shape')");
}

static int scan_dict(npy_scan *s, npy_header *h, jf_onnx_tensor *t)
{
    if (!take(s, '{'))
        return scan_fail(s, "not a dict literal (no '{')");
    while (!take(s, '}')) {
        if (scan_entry(s, h, t))
            return -1;
        if (!take(s, ',') && !(skip_space(s), s->p < s->end && *s->p == '}'))
            return scan_fail(s, "expected ',' or '}'");
    }
    if (h->seen != 7)
        return scan_fail(s, !(h->seen & 1)   ? "no 'descr'"
                            : !(h->seen & 2) ? "no 'fortran_order'"
                                             : "no 'shape'");
    return 0;
}

/* ---- reading ---- */

typedef struct {
    FILE *f;
    const char *path;
    char *err;
    size_t err_size;
    uint64_t file_bytes, data_offset;
} npy_reader;

static jf_status read_fail(npy_reader *r, jf_status st, const char *what)
{
    jf__fmt(r->err, r->err_size, "%s: %s", r->path, what);
    return st;
}

/* Magic, version and header length; leaves the file at the header. */
static jf_status read_preamble(npy_reader *r, uint32_t *header_len)
{
    unsigned char pre[12];
    size_t n = fread(pre, 1, 10, r->f);
    if (n < 8 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return read_fail(r, JF_EPARSE,
                         r->file_bytes == 0 ? "empty file"
                                            : "not a .npy file (no \\x93NUMPY magic)");
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        char what[96];
        jf__fmt(what, sizeof what, "format version %d.%d is not read (1.0, 2.0 and 3.0 are)", major,
                minor);
        return read_fail(r, JF_EPARSE, what);
    }
    size_t len_bytes = major == 1 ? 2 : 4;
    if (n < 10 || (len_bytes == 4 && fread(pre + 10, 1, 2, r->f) != 2))
        return read_fail(r, JF_EPARSE, "truncated before the header's length");
    *header_len = major == 1 ? (uint32_t)(pre[8] | pre[9] << 8)
                             : (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
                                   (uint32_t)pre[11] << 24;
    r->data_offset = 8 + len_bytes + (uint64_t)*header_len;
    return JF_OK;
}

static jf_status read_header(npy_reader *r, jf_onnx_tensor *t, const npy_type **type)
{
    uint32_t len = 0;
    jf_status st = read_preamble(r, &len);
    if (st != JF_OK)
        return st;
    if (len > NPY_MAX_HEADER)
        return read_fail(r, JF_EPARSE, "the header is over 1 MiB long");
    char *text = jf__malloc(len + 1u);
    if (!text)
        return read_fail(r, JF_ENOMEM, "out of memory");
    if (fread(text, 1, len, r->f) != len) {
        jf__free(text);
        return read_fail(r, JF_EPARSE, "truncated in the header");
    }
    npy_header h = {{0}, 0, 0};
    npy_scan s = {text, text + len, r->path, r->err, r->err_size, 0};
    int bad = scan_dict(&s, &h, t);
    jf__free(text);
    if (bad)
        return JF_EPARSE;
    if (h.fortran)
        return read_fail(r, JF_EPARSE,
                         "fortran_order is True: only C-order arrays are read "
                         "(save np.ascontiguousarray(a))");
    *type = npy_type_find(h.descr);
    if (!*type) {
        char what[128];
        jf__fmt(what, sizeof what, "dtype '%s' is not read (these are: " NPY_SUPPORTED ")",
                h.descr);
        return read_fail(r, JF_EPARSE, what);
    }
    return JF_OK;
}

/* Elements of the shape, or -1 when the count overflows. */
static int64_t shape_numel(const jf_onnx_tensor *t, int64_t elem_bytes)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] != 0 && n > INT64_MAX / elem_bytes / t->dims[i])
            return -1;
        n *= t->dims[i];
    }
    return n;
}

static jf_status check_data_size(npy_reader *r, const jf_onnx_tensor *t, const npy_type *type,
                                 uint64_t *numel)
{
    int64_t n = shape_numel(t, 8);
    if (n < 0)
        return read_fail(r, JF_EPARSE, "the shape holds too many elements");
    uint64_t want = (uint64_t)n * (uint64_t)type->file_size;
    uint64_t have = r->file_bytes > r->data_offset ? r->file_bytes - r->data_offset : 0;
    if (have != want) {
        char what[160];
        jf__fmt(what, sizeof what, "%s: %llu bytes of data where the shape and dtype need %llu",
                have < want ? "truncated" : "extra bytes after the array", (unsigned long long)have,
                (unsigned long long)want);
        return read_fail(r, JF_EPARSE, what);
    }
    *numel = (uint64_t)n;
    return JF_OK;
}

/* float64 in the file, float32 in memory: converted a block at a time. */
static int read_doubles(FILE *f, float *out, uint64_t n)
{
    double block[1024];
    for (uint64_t done = 0; done < n;) {
        size_t k = (size_t)JF__MIN(n - done, (uint64_t)1024);
        if (fread(block, sizeof(double), k, f) != k)
            return -1;
        for (size_t i = 0; i < k; i++)
            out[done + i] = (float)block[i];
        done += k;
    }
    return 0;
}

static jf_status read_data(npy_reader *r, jf_onnx_tensor *t, const npy_type *type, uint64_t n)
{
    t->dtype = type->dtype;
    t->bytes = n * (uint64_t)type->mem_size;
    t->data = jf__malloc(t->bytes ? (size_t)t->bytes : 1);
    if (!t->data)
        return read_fail(r, JF_ENOMEM, "out of memory");
    int bad = type->file_size != type->mem_size ? read_doubles(r->f, t->data, n)
                                                : fread(t->data, 1, t->bytes, r->f) != t->bytes;
    if (bad)
        return read_fail(r, JF_EIO, "read error in the data");
    if (t->dtype == 9) /* numpy's bools are 0 or 1; make sure ours are too */
        for (uint64_t i = 0; i < n; i++)
            ((unsigned char *)t->data)[i] = ((unsigned char *)t->data)[i] != 0;
    return JF_OK;
}

static jf_status read_open(npy_reader *r)
{
    char why[128];
    r->f = jf__open_input(r->path, why, sizeof why);
    if (!r->f)
        return read_fail(r, JF_EIO, why);
    struct stat sb;
    if (fstat(fileno(r->f), &sb) != 0 || !S_ISREG(sb.st_mode))
        return read_fail(r, JF_EIO, "not a regular file");
    r->file_bytes = (uint64_t)sb.st_size;
    return JF_OK;
}

jf_status jf_onnx_npy_read(const char *path, jf_onnx_tensor *t, char *err, size_t err_size)
{
    memset(t, 0, sizeof *t);
    npy_reader r = {NULL, path, err, err_size, 0, 0};
    const npy_type *type = NULL;
    uint64_t n = 0;
    jf_status st = read_open(&r);
    if (st == JF_OK)
        st = read_header(&r, t, &type);
    if (st == JF_OK)
        st = check_data_size(&r, t, type, &n);
    if (st == JF_OK)
        st = read_data(&r, t, type, n);
    if (r.f)
        fclose(r.f);
    if (st != JF_OK)
        jf_onnx_npy_free(t);
    return st;
}

void jf_onnx_npy_free(jf_onnx_tensor *t)
{
    if (!t)
        return;
    jf__free(t->data);
    memset(t, 0, sizeof *t);
}

/* ---- writing ---- */

static const char *write_descr(int32_t dtype)
{
    switch (dtype) {
    case 1: return "<f4";
    case 11: return "<f8";
    case 7: return "<i8";
    case 6: return "<i4";
    case 2: return "|u1";
    case 3: return "|i1";
    case 9: return "|b1";
    default: return NULL;
    }
}

/* The dict, padded with spaces and a newline so that the data starts at a
 * multiple of 64 bytes, as numpy writes it. Returns its length. */
static size_t format_header(const jf_onnx_tensor *t, const char *descr, char *buf, size_t size,
                            size_t preamble)
{
    size_t n =
        (size_t)snprintf(buf, size, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->rank; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    n += (size_t)snprintf(buf + n, size - n, "%s), }", t->rank == 1 ? "," : "");
    size_t total = (preamble + n + 1 + 63) / 64 * 64 - preamble;
    memset(buf + n, ' ', total - n - 1);
    buf[total - 1] = '\n';
    return total;
}

static int write_file(FILE *f, const jf_onnx_tensor *t, const char *descr)
{
    char header[512];
    size_t len = format_header(t, descr, header, sizeof header, 10);
    unsigned char pre[10] = NPY_MAGIC "\x01"; /* version 1.0, then the header's length */
    pre[8] = (unsigned char)(len & 0xff);
    pre[9] = (unsigned char)(len >> 8);
    return fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(header, 1, len, f) == len &&
           (t->bytes == 0 || fwrite(t->data, 1, t->bytes, f) == t->bytes);
}

static jf_status check_writable(const jf_onnx_tensor *t, const char *path, const char **descr,
                                char *err, size_t err_size)
{
    static const int elem[12] = {0, 4, 1, 1, 0, 0, 4, 8, 0, 1, 0, 8};
    *descr = write_descr(t->dtype);
    if (!*descr) {
        jf__fmt(err, err_size,
                "%s: dtype %d cannot be written (float, double, int64, int32, "
                "uint8, int8 and bool can)",
                path, (int)t->dtype);
        return JF_EINVAL;
    }
    int64_t n = t->rank >= 0 && t->rank <= JF_ONNX_MAX_RANK ? shape_numel(t, 8) : -1;
    for (int i = 0; n >= 0 && i < t->rank; i++)
        if (t->dims[i] < 0)
            n = -1;
    if (n < 0 || (uint64_t)n * (uint64_t)elem[t->dtype] != t->bytes || (t->bytes && !t->data)) {
        jf__fmt(err, err_size, "%s: the tensor's shape, dtype and %llu bytes do not agree", path,
                (unsigned long long)t->bytes);
        return JF_EINVAL;
    }
    return JF_OK;
}

jf_status jf_onnx_npy_write(const char *path, const jf_onnx_tensor *t, char *err, size_t err_size)
{
    const char *descr = NULL;
    jf_status st = check_writable(t, path, &descr, err, err_size);
    if (st != JF_OK)
        return st;
    jf__out out;
    if (jf__out_open(&out, path) != 0) {
        jf__fmt(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        return errno == ENOMEM ? JF_ENOMEM : JF_EIO;
    }
    int ok = write_file(out.file, t, descr);
    if (jf__out_close(&out, ok) != 0) {
        jf__fmt(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        return JF_EIO;
    }
    return JF_OK;
}
