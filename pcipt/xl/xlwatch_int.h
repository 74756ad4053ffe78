/* Internal to pcipt/xl/xlwatch*.c. */
#ifndef PCIPT_XLWATCH_INT_H
#define PCIPT_XLWATCH_INT_H

#include <stdbool.h>
#include <xenstore.h>

#include "pcipt/xl/xlwatch.h"

#define XLW_MAX_PCIPT (2 * PCIPT_MAX_DEVS)

struct xlw_libxl {           /* be/dev-N and friends, as libxl wrote them */
    bool ok;
    struct sbdf host;
    unsigned state;          /* state-N; 0 if absent */
    int slot;                /* from vdevfn-N, -1 if none */
    int fn;                  /* its function bits (0 if none) */
};

struct xlw_pcipt {           /* be/pcipt/dev-K */
    bool exists, adopted, released;
    bool detaching;          /* pcipt/dev-K/detach: pcipt detach takes it */
    bool named;              /* dev.host is known */
    struct xlwatch_dev dev;  /* host and BARs (adopted or pcipt's own) */
};

struct xlw_view {
    uint32_t domid;
    unsigned num, npc;       /* num_devs; 1 + the highest pcipt/dev-K */
    struct xlw_libxl l[PCIPT_MAX_DEVS];
    struct xlw_pcipt p[XLW_MAX_PCIPT];
};

int xlw_read_view(struct xs_handle *xs, struct xlw_view *v);
/* Remove pcipt/dev-k and move pcipt/dev-j (k < j < npc) to dev-(j-1). */
int xlw_drop_pcipt(struct xs_handle *xs, uint32_t domid, unsigned k, unsigned npc);
/* xl pci-attach reads num_devs outside its transaction (libxl_pci.c
 * libxl__device_pci_add_xenstore), so a `pcipt pci-attach` in between
 * publishes dev-N and libxl then overwrites key/dev/opts/state-N with its
 * own device.  List pcipt's device (pcipt/dev-k, host) again as
 * dev-num_devs (its vdev-k, and vdevfn-k unless libxl set one, move with
 * it; pcipt/dev-k moves to the new index), in one transaction; libxl's
 * device at k is then adopted like any other. */
int xlw_relist(struct xs_handle *xs, uint32_t domid, unsigned k, const struct sbdf *host);
/* pcipt/dev-k, if it still names host: every bar-I/mapped = none,
 * released = 1.  Absent (libxl removed the backend) or another device:
 * nothing written, 0. */
int xlw_mark_released(struct xs_handle *xs, uint32_t domid, unsigned k, const struct sbdf *host);

#endif
