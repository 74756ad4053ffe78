/* `pcipt check`: is this host ready for passthrough?  Each check gives one
 * line: OK, WARN (works, with a limit the operator should know) or MISSING
 * (something passthrough needs is not there), what was found, and what to
 * do.  The checks read only: nothing on the host changes.
 *
 *   check_xen.c   the hypervisor: dom0, version, IOREQ servers, the SMMU for
 *                 PCI (the project's patch series or Xen 4.21+), from its
 *                 build configuration (hypfs /buildinfo/config)
 *   check_host.c  dom0: the host device tree (iommu-map, ITS, msi-map), the
 *                 holder driver, xenstored
 *   check_vits.c  Xen's domU vITS: the patched hypervisor with an ITS driver
 *                 and a host ITS (its/its_vits.h)
 *   check_dev.c   each function: reset method, BARs sharing a page with
 *                 another function, slot neighbours, I/O BARs */
#ifndef PCIPT_CHECK_H
#define PCIPT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "hostbridge/common/sbdf.h"

struct hv;

enum check_status { CHECK_OK, CHECK_WARN, CHECK_MISSING };

struct check_item {
    char name[48];              /* "ioreq", "device 0000:01:00.0 reset" */
    enum check_status status;
    char found[320];            /* what was found */
    char todo[320];             /* what to do; "" when nothing */
};

struct check_report {
    struct check_item *items;
    size_t n, cap;
    bool dom0;                  /* the machine is a Xen dom0 (or the sim) */
};

/* Where the checks look; NULL members take the defaults. */
struct check_env {
    const char *hv_name;        /* "xen" (default) or "sim" */
    const char *sysfs;          /* /sys/bus/pci */
    const char *host_dt;        /* /sys/firmware/fdt */
    const char *xen_caps;       /* /proc/xen/capabilities */
};

#define CHECK_XEN_CAPS_DEFAULT "/proc/xen/capabilities"

/* Run every check; devs (n of them) limits the per-device checks, NULL =
 * every function sysfs lists.  0 (the report may hold MISSING items), or
 * -ENOMEM. */
int check_run(const struct check_env *env, const struct sbdf *devs, size_t n,
              struct check_report *rep);
void check_report_free(struct check_report *rep);
/* Items with status st. */
size_t check_count(const struct check_report *rep, enum check_status st);
const char *check_status_name(enum check_status st);   /* "OK", "WARN", "MISSING" */

/* Internal to pcipt/check/: add an item (printf-style found; todo may be
 * NULL).  -ENOMEM. */
int check_add(struct check_report *rep, const char *name, enum check_status st,
              const char *todo, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int check_xen(const struct check_env *env, struct hv *hv, struct check_report *rep);
int check_host(const struct check_env *env, struct check_report *rep);
int check_vits(const struct check_env *env, struct hv *hv, struct check_report *rep);
int check_devices(const struct check_env *env, const struct sbdf *devs, size_t n,
                  struct check_report *rep);

#endif
