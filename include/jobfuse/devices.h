/* jobfuse/devices.h — the pool of devices a job is combined for and placed on.
 *
 *   jf_devices *devs = NULL;
 *   if (jf_devices_read_json("devices.json", &devs) != JF_OK)
 *       puts(jf_devices_errmsg(devs));
 *   double mem = jf_devices_capacity_min(devs, "memory");  // INFINITY if unlimited
 *   jf_devices_destroy(devs);
 *
 * A capacity that a device does not name is unlimited on that device.
 */
#ifndef JOBFUSE_DEVICES_H
#define JOBFUSE_DEVICES_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jf_devices jf_devices;

#define JF_DEVICES_FORMAT "jobfuse-devices/1"

/* Read jobfuse-devices/1. *out is set even on failure (for the message). */
jf_status jf_devices_read_json(const char *path, jf_devices **out);
/* The local machine: one device per online core ("cpu0", ...), physical
 * memory split evenly, threads 1, speed 1. */
jf_status jf_devices_local(jf_devices **out);
/* An empty pool to fill with jf_devices_add(). */
jf_status jf_devices_create(jf_devices **out);
/* Add a device; returns its index through out_index (may be NULL). */
jf_status jf_devices_add(jf_devices *devs, const char *id, double speed, int *out_index);
/* Set one capacity of one device (value >= 0, INFINITY for unlimited). */
jf_status jf_devices_set_capacity(jf_devices *devs, int device, const char *resource,
                                  double value);
void jf_devices_destroy(jf_devices *devs);
const char *jf_devices_errmsg(const jf_devices *devs);

int jf_devices_count(const jf_devices *devs);
const char *jf_devices_id(const jf_devices *devs, int device);
double jf_devices_speed(const jf_devices *devs, int device);
double jf_devices_capacity(const jf_devices *devs, int device, const char *resource);
/* Smallest and largest capacity over all devices (INFINITY when none limits it). */
double jf_devices_capacity_min(const jf_devices *devs, const char *resource);
double jf_devices_capacity_max(const jf_devices *devs, const char *resource);
/* Number of distinct resource names that some device limits, and the i-th. */
int jf_devices_resource_count(const jf_devices *devs);
const char *jf_devices_resource_name(const jf_devices *devs, int i);
/* Link between devices: bytes per second and latency in microseconds. */
double jf_devices_link_bandwidth(const jf_devices *devs);
double jf_devices_link_latency(const jf_devices *devs);

/* Parse "4MiB", "2G", "1.5e6", "512k" into *out (binary suffixes KiB/MiB/GiB/
 * TiB, decimal k/K/M/G/T, optional trailing B). Returns 0 on success. */
int jf_parse_quantity(const char *text, double *out);

#ifdef __cplusplus
}
#endif
#endif
