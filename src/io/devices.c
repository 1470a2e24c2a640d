/* The device pool: read from jobfuse-devices/1, or the local machine. */
#include <jansson.h>
#include <math.h>
#include <unistd.h>

#include "core/internal.h"
#include "io/json_load.h"
#include "jobfuse/devices.h"

typedef struct {
    char *id;
    double speed;
    double *capacity; /* per pool resource, INFINITY when unnamed */
} device;

struct jf_devices {
    char errmsg[1024];
    device *dev;
    int n_dev;
    size_t dev_cap;
    char **res;
    int n_res;
    size_t res_cap;
    double bandwidth, latency;
};

jf_status jf_devices_create(jf_devices **out)
{
    *out = jf__calloc(1, sizeof **out);
    if (!*out)
        return JF_ENOMEM;
    (*out)->bandwidth = 1e10;
    (*out)->latency = 5;
    return JF_OK;
}

void jf_devices_destroy(jf_devices *devs)
{
    if (!devs)
        return;
    for (int i = 0; i < devs->n_dev; i++) {
        jf__free(devs->dev[i].id);
        jf__free(devs->dev[i].capacity);
    }
    for (int r = 0; r < devs->n_res; r++)
        jf__free(devs->res[r]);
    jf__free(devs->dev);
    jf__free(devs->res);
    jf__free(devs);
}

const char *jf_devices_errmsg(const jf_devices *devs) { return devs ? devs->errmsg : "out of memory"; }
int jf_devices_count(const jf_devices *devs) { return devs->n_dev; }
const char *jf_devices_id(const jf_devices *devs, int d) { return devs->dev[d].id; }
double jf_devices_speed(const jf_devices *devs, int d) { return devs->dev[d].speed; }
int jf_devices_resource_count(const jf_devices *devs) { return devs->n_res; }
const char *jf_devices_resource_name(const jf_devices *devs, int i) { return devs->res[i]; }
double jf_devices_link_bandwidth(const jf_devices *devs) { return devs->bandwidth; }
double jf_devices_link_latency(const jf_devices *devs) { return devs->latency; }

static int find_resource(const jf_devices *devs, const char *name)
{
    for (int r = 0; r < devs->n_res; r++)
        if (strcmp(devs->res[r], name) == 0)
            return r;
    return -1;
}

/* Index of a resource, adding it (unlimited on every device) if new. */
static int add_resource(jf_devices *devs, const char *name)
{
    int r = find_resource(devs, name);
    if (r >= 0)
        return r;
    if (jf__grow((void **)&devs->res, &devs->res_cap, (size_t)devs->n_res + 1, sizeof(char *)))
        return -1;
    for (int d = 0; d < devs->n_dev; d++) {
        double *c = jf__realloc(devs->dev[d].capacity, (size_t)(devs->n_res + 1) * sizeof *c);
        if (!c)
            return -1;
        c[devs->n_res] = INFINITY;
        devs->dev[d].capacity = c;
    }
    if (!(devs->res[devs->n_res] = jf__strdup(name)))
        return -1;
    return devs->n_res++;
}

jf_status jf_devices_add(jf_devices *devs, const char *id, double speed, int *out_index)
{
    if (jf__grow((void **)&devs->dev, &devs->dev_cap, (size_t)devs->n_dev + 1, sizeof(device)))
        return JF_ENOMEM;
    device *d = &devs->dev[devs->n_dev];
    d->id = jf__strdup(id);
    d->speed = speed > 0 ? speed : 1.0;
    d->capacity = jf__malloc((size_t)(devs->n_res + 1) * sizeof(double));
    if (!d->id || !d->capacity) {
        jf__free(d->id);
        jf__free(d->capacity);
        return JF_ENOMEM;
    }
    for (int r = 0; r < devs->n_res; r++)
        d->capacity[r] = INFINITY;
    if (out_index)
        *out_index = devs->n_dev;
    devs->n_dev++;
    return JF_OK;
}

jf_status jf_devices_set_capacity(jf_devices *devs, int device_index, const char *resource,
                                  double value)
{
    if (device_index < 0 || device_index >= devs->n_dev || !(value >= 0))
        return JF_EINVAL;
    int r = add_resource(devs, resource);
    if (r < 0)
        return JF_ENOMEM;
    devs->dev[device_index].capacity[r] = value;
    return JF_OK;
}

double jf_devices_capacity(const jf_devices *devs, int d, const char *resource)
{
    int r = find_resource(devs, resource);
    return r < 0 ? INFINITY : devs->dev[d].capacity[r];
}

double jf_devices_capacity_min(const jf_devices *devs, const char *resource)
{
    double v = INFINITY;
    for (int d = 0; d < devs->n_dev; d++)
        v = fmin(v, jf_devices_capacity(devs, d, resource));
    return v;
}

double jf_devices_capacity_max(const jf_devices *devs, const char *resource)
{
    if (devs->n_dev == 0)
        return INFINITY;
    double v = 0;
    for (int d = 0; d < devs->n_dev; d++)
        v = fmax(v, jf_devices_capacity(devs, d, resource));
    return v;
}

jf_status jf_devices_local(jf_devices **out)
{
    jf_status st = jf_devices_create(out);
    if (st != JF_OK)
        return st;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double memory = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    cores = cores > 0 ? cores : 1;
    for (long i = 0; i < cores && st == JF_OK; i++) {
        char id[32];
        int d;
        jf__fmt(id, sizeof id, "cpu%ld", i);
        st = jf_devices_add(*out, id, 1.0, &d);
        if (st == JF_OK && memory > 0)
            st = jf_devices_set_capacity(*out, d, "memory", floor(memory / (double)cores));
        if (st == JF_OK)
            st = jf_devices_set_capacity(*out, d, "threads", 1);
    }
    return st;
}

/* ---- reading jobfuse-devices/1 ---- */

static jf_status fail(jf_devices *devs, jf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static jf_status fail(jf_devices *devs, jf_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(devs->errmsg, sizeof devs->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

/* A capacity value: a number, or a string with a unit suffix ("16GiB"). */
static int read_quantity(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out) && *out >= 0 ? 0 : -1;
    }
    if (json_is_string(v))
        return jf_parse_quantity(json_string_value(v), out) == 0 && *out >= 0 ? 0 : -1;
    return -1;
}

static jf_status read_device(jf_devices *devs, const char *path, size_t i, json_t *obj)
{
    json_t *id = json_object_get(obj, "id"), *speed = json_object_get(obj, "speed");
    json_t *caps = json_object_get(obj, "capacity");
    if (!json_is_object(obj) || !json_is_string(id))
        return fail(devs, JF_EINVAL, "%s: device #%zu: needs a string \"id\"", path, i);
    if (speed && (!json_is_number(speed) || json_number_value(speed) <= 0))
        return fail(devs, JF_EINVAL, "%s: device \"%s\": \"speed\" must be a number > 0", path,
                    json_string_value(id));
    if (caps && !json_is_object(caps))
        return fail(devs, JF_EINVAL, "%s: device \"%s\": \"capacity\" must be an object", path,
                    json_string_value(id));
    int d;
    if (jf_devices_add(devs, json_string_value(id), speed ? json_number_value(speed) : 1.0, &d))
        return fail(devs, JF_ENOMEM, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach(caps, key, value) {
        double q;
        if (read_quantity(value, &q) != 0)
            return fail(devs, JF_EINVAL, "%s: device \"%s\": capacity \"%s\" must be a number >= 0",
                        path, json_string_value(id), key);
        if (jf_devices_set_capacity(devs, d, key, q) != JF_OK)
            return fail(devs, JF_ENOMEM, "out of memory");
    }
    return JF_OK;
}

static jf_status read_link(jf_devices *devs, const char *path, json_t *link)
{
    if (!link)
        return JF_OK;
    json_t *bw = json_object_get(link, "bandwidth"), *lat = json_object_get(link, "latency");
    if (!json_is_object(link) || (bw && !json_is_number(bw)) || (lat && !json_is_number(lat)))
        return fail(devs, JF_EINVAL, "%s: \"link\" must be {\"bandwidth\": N, \"latency\": N}", path);
    if (bw)
        devs->bandwidth = json_number_value(bw);
    if (lat)
        devs->latency = json_number_value(lat);
    return JF_OK;
}

static jf_status read_root(jf_devices *devs, const char *path, json_t *root)
{
    json_t *format = json_object_get(root, "format"), *list = json_object_get(root, "devices");
    if (!json_is_object(root) || !json_is_string(format) ||
        strcmp(json_string_value(format), JF_DEVICES_FORMAT) != 0)
        return fail(devs, JF_EINVAL, "%s: not a devices file: \"format\" must be \"%s\"", path,
                    JF_DEVICES_FORMAT);
    if (!json_is_array(list) || json_array_size(list) == 0)
        return fail(devs, JF_EINVAL, "%s: \"devices\" must be a non-empty array", path);
    size_t i;
    json_t *obj;
    json_array_foreach(list, i, obj) {
        jf_status st = read_device(devs, path, i, obj);
        if (st != JF_OK)
            return st;
        for (int k = 0; k < devs->n_dev - 1; k++)
            if (strcmp(devs->dev[k].id, devs->dev[devs->n_dev - 1].id) == 0)
                return fail(devs, JF_EINVAL, "%s: device \"%s\": duplicate id", path,
                            devs->dev[k].id);
    }
    return read_link(devs, path, json_object_get(root, "link"));
}

jf_status jf_devices_read_json(const char *path, jf_devices **out)
{
    jf_status st = jf_devices_create(out);
    if (st != JF_OK)
        return st;
    json_t *root = jf__json_load(path, &st, (*out)->errmsg, sizeof (*out)->errmsg);
    if (!root)
        return st;
    st = read_root(*out, path, root);
    json_decref(root);
    return st;
}

/* ---- quantities ---- */

int jf_parse_quantity(const char *text, double *out)
{
    static const struct {
        const char *suffix;
        double factor;
    } units[] = {{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
                 {"TiB", 1099511627776.0}, {"Ki", 1024.0}, {"Mi", 1048576.0},
                 {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"kB", 1e3}, {"KB", 1e3},
                 {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6},
                 {"G", 1e9}, {"T", 1e12}, {"B", 1.0}, {"", 1.0}};
    char *end;
    if (!text || !*text)
        return -1;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v))
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            *out = v * units[i].factor;
            return isfinite(*out) ? 0 : -1;
        }
    return -1;
}
