/* Node names and shared internals of the xenstore schema (pcipt/xs/xs_*.c). */
#ifndef PCIPT_XS_NODES_H
#define PCIPT_XS_NODES_H

#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"
#include "pcipt/xs/xs_util.h"

/* libxl's per-device node prefixes ("key-N" ...), in the order libxl
 * renumbers them on hot-remove (libxl__device_pci_remove_xenstore). */
#define XSP_LIBXL_DEV_NODES { "state", "key", "dev", "vdev", "opts", "vdevfn", "name" }
#define XSP_LIBXL_NR_DEV_NODES 7

/* opts-N as libxl formats it: "msitranslate=%d,power_mgmt=%d,permissive=%d,
 * rdm_policy=%s"; pcipt always publishes this (no QEMU, no PV frontend). */
#define XSP_OPTS "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"

/* XenbusStateInitialising: libxl writes it to be/state and be/state-N. */
#define XSP_XENBUS_INITIALISING 1

/* A pure check of one opts-N value (libxl's format, 0/1 flags, strict or
 * relaxed rdm_policy); the fuzz harness calls it directly. */
bool xsp_opts_valid(const char *v);

const char *xsp_bar_type_name(enum bar_type t);        /* "mem32" ... */
bool xsp_bar_type_parse(const char *s, enum bar_type *t);

/* Validate one device as parsed (or about to be published): BAR shapes,
 * alignment, SPI and pin ranges.  Problems go to r naming devpath. */
void xsp_check_dev(struct xsu_reader *r, const char *devpath, const struct dev_assign *d);

/* Read be/num_devs inside t: 0 when the dir is absent; -EINVAL if bad. */
int xsp_num_devs(struct xsu_reader *r, const char *be, unsigned *num);
/* Index N of the device with host SBDF host, or -ENOENT. */
int xsp_find_dev(struct xsu_reader *r, const char *be, unsigned num, const struct sbdf *host);

/* pcipt/dev-N/{msi,its-guest-devid,its-host-devid} of d under dir
 * (pcipt/xs/xs_msi.c). */
int xsp_write_msi(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                  const struct dev_assign *d);

/* Write a p2m record value: "0x%llx", or "none" for 0. */
int xsp_fmt_mapped(struct xs_handle *xs, xs_transaction_t t, const char *path, uint64_t gaddr);

#endif
