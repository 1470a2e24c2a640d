/* Weights: initializers and Constant values, their stored size (external
 * data files included) and, when small, their contents for folding. */
#include <sys/stat.h>

#include "onnx/onnx_impl.h"

/* Bytes of external data: "length" when given, else the rest of the file
 * after "offset". -1 with m->err set when the file is missing. */
static int64_t external_bytes(jf_onnx_model *m, const Onnx__TensorProto *tp)
{
    const char *location = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (strcmp(e->key, "location") == 0)
            location = e->value;
        else if (strcmp(e->key, "offset") == 0)
            offset = strtoll(e->value, NULL, 10);
        else if (strcmp(e->key, "length") == 0)
            length = strtoll(e->value, NULL, 10);
    }
    if (!location || strstr(location, "..") || location[0] == '/') {
        ox_errf(m, "%s: tensor '%s': external data without a usable location", m->path,
                tp->name ? tp->name : "");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", m->dir, location);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        ox_errf(m, "%s: tensor '%s': external data file %s not found", m->path,
                tp->name ? tp->name : "", path);
        return -1;
    }
    if (offset < 0 || offset > st.st_size || (length >= 0 && offset + length > st.st_size)) {
        ox_errf(m, "%s: tensor '%s': external data beyond the end of %s", m->path,
                tp->name ? tp->name : "", path);
        return -1;
    }
    return length >= 0 ? length : st.st_size - offset;
}

/* Elements stored in the typed fields (raw_data aside). */
static size_t typed_count(const Onnx__TensorProto *tp)
{
    return tp->n_float_data + tp->n_int32_data + tp->n_int64_data + tp->n_double_data +
           tp->n_uint64_data + tp->n_string_data;
}

static int64_t read_le(const uint8_t *p, int size, int is_signed)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = v << 8 | p[i];
    if (is_signed && size < 8 && (v >> (size * 8 - 1)) & 1)
        v |= ~(uint64_t)0 << (size * 8);
    return (int64_t)v;
}

static double raw_float(const uint8_t *p, int32_t dtype)
{
    if (dtype == OX_FLOAT) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    double d;
    memcpy(&d, p, 8);
    return d;
}

/* Contents of a small integer or float tensor, for folding. */
static void fold_contents(jf_onnx_model *m, ox_tensor *t, const Onnx__TensorProto *tp,
                          int64_t count)
{
    ox_ctx c = {m};
    int size = ox_dtype_size(t->dtype);
    int raw = tp->has_raw_data && tp->raw_data.len == (size_t)count * (size_t)size;
    if (!raw && typed_count(tp) != (size_t)count)
        return; /* external, float16 or malformed: leave unfolded */
    if (t->dtype == OX_FLOAT || t->dtype == OX_DOUBLE) {
        double *v = ox_fold_floats(&c, t);
        for (int64_t i = 0; v && i < count; i++)
            v[i] = raw ? raw_float(tp->raw_data.data + i * size, t->dtype)
                 : t->dtype == OX_FLOAT ? tp->float_data[i] : tp->double_data[i];
        return;
    }
    if (ox_dtype_is_float(t->dtype) || size == 0)
        return;
    int is_signed = t->dtype != OX_UINT8 && t->dtype != OX_UINT16 &&
                    t->dtype != OX_UINT32 && t->dtype != OX_UINT64 && t->dtype != OX_BOOL;
    int64_t *v = ox_fold_ints(&c, t);
    for (int64_t i = 0; v && i < count; i++) {
        if (raw)
            v[i] = read_le(tp->raw_data.data + i * size, size, is_signed);
        else if (t->dtype == OX_INT64)
            v[i] = tp->int64_data[i];
        else if (t->dtype == OX_UINT32 || t->dtype == OX_UINT64)
            v[i] = (int64_t)tp->uint64_data[i];
        else
            v[i] = tp->int32_data[i];
    }
}

int ox_tensor_from_proto(jf_onnx_model *m, ox_tensor *t, const Onnx__TensorProto *tp)
{
    const char *name = tp->name ? tp->name : t->name;
    if (tp->n_dims > OX_MAX_RANK) {
        ox_errf(m, "%s: tensor '%s' has %zu dimensions, more than %d", m->path, name,
                tp->n_dims, OX_MAX_RANK);
        return -1;
    }
    t->kind = OX_WEIGHT;
    t->producer = -1;
    t->dtype = tp->has_data_type ? tp->data_type : OX_UNDEFINED;
    t->rank = (int)tp->n_dims;
    int64_t count = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0 || (tp->dims[i] > 0 && count > INT64_MAX / tp->dims[i])) {
            ox_errf(m, "%s: tensor '%s' has a bad dimension %lld", m->path, name,
                    (long long)tp->dims[i]);
            return -1;
        }
        t->dims[i] = tp->dims[i];
        count *= tp->dims[i];
    }
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        int64_t bytes = external_bytes(m, tp);
        if (bytes < 0)
            return -1;
        t->weight_bytes = (uint64_t)bytes;
        return 0;
    }
    int size = ox_dtype_size(t->dtype);
    t->weight_bytes = tp->has_raw_data ? tp->raw_data.len : (uint64_t)count * (uint64_t)size;
    if (tp->has_raw_data && size && tp->raw_data.len != (uint64_t)count * (uint64_t)size) {
        ox_errf(m, "%s: tensor '%s' holds %zu bytes where its shape needs %llu", m->path,
                name, tp->raw_data.len, (unsigned long long)count * (unsigned long long)size);
        return -1;
    }
    if (count <= OX_FOLD_MAX)
        fold_contents(m, t, tp, count);
    return 0;
}
