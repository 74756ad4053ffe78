/* Host functions presented to a private guest, for `pcipt guest-view` and
 * the real-data tests: a topology with one host bridge (segment 0, bus 0),
 * each function at 00:SLOT.FN with the default BAR plan of them all (as
 * `pcipt plan` gives it), read the way a guest reads it through ECAM. */
#ifndef PCIPT_GUEST_VIEW_H
#define PCIPT_GUEST_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign/assign.h"

struct guest_view;

/* Open host function `host` under sysfs (NULL = /sys/bus/pci), plan it at
 * virtual slot `slot` (1..31) with the layout of config (NULL = defaults
 * plus /etc/xen/pcipt.conf when present) and present it.  Refuses a
 * function whose config header is unreadable (-EIO) and bridges (-EINVAL).
 * Returns 0 or -errno with one sentence naming the device in err. */
int guest_view_open(const char *sysfs, const char *config, const struct sbdf *host, int slot,
                    struct guest_view **out, char *err, size_t errlen);
void guest_view_close(struct guest_view *gv);

/* One function to show: host SBDF, virtual slot 1..31 (-1: the lowest
 * free one), function 0..7 (SBDF@SLOT.FN). */
struct guest_view_fn {
    struct sbdf host;
    int slot;
    int fn;
};
/* guest_view_open for n (1..PCIPT_MAX_DEVS) functions planned together.
 * The planner's rules apply: a function > 0 needs its slot's function 0 in
 * the same view (a guest scans functions 1..7 only behind function 0, so
 * alone it would see nothing), two functions of a slot may not share an
 * INTx pin, no slot and function twice.  Function 0 of a slot with other
 * functions shows the multi-function bit in its Header Type. */
int guest_view_open_functions(const char *sysfs, const char *config,
                              const struct guest_view_fn *fns, unsigned n,
                              struct guest_view **out, char *err, size_t errlen);

struct vpci_topology *guest_view_topology(struct guest_view *gv);
/* The first function given: its assignment and host device. */
const struct dev_assign *guest_view_assign(const struct guest_view *gv);
struct host_dev *guest_view_host(struct guest_view *gv);

/* `lspci -xxxx` form, per function in slot and function order:
 * "00:SS.F description", then 256 lines of 16 bytes ("000: xx xx ..."),
 * then an empty line; the root complex 00:00.0 first when all.  Every byte
 * comes from vpci_cfg_read with 4-byte accesses. */
void guest_view_print(struct guest_view *gv, bool all, FILE *out);

#endif
