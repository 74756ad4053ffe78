/* One host function presented alone to a private guest, for `pcipt
 * guest-view` and the real-data tests: a topology with one host bridge
 * (segment 0, bus 0), the function at 00:SLOT.0 with the default BAR plan,
 * read the way a guest reads it through ECAM. */
#ifndef PCIPT_GUEST_VIEW_H
#define PCIPT_GUEST_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign.h"

struct guest_view;

/* Open host function `host` under sysfs (NULL = /sys/bus/pci), plan it at
 * virtual slot `slot` (1..31) with the layout of config (NULL = defaults
 * plus /etc/xen/pcipt.conf when present) and present it.  Refuses a
 * function whose config header is unreadable (-EIO) and bridges (-EINVAL).
 * Returns 0 or -errno with one sentence naming the device in err. */
int guest_view_open(const char *sysfs, const char *config, const struct sbdf *host, int slot,
                    struct guest_view **out, char *err, size_t errlen);
void guest_view_close(struct guest_view *gv);

struct vpci_topology *guest_view_topology(struct guest_view *gv);
const struct dev_assign *guest_view_assign(const struct guest_view *gv);
struct host_dev *guest_view_host(struct guest_view *gv);

/* `lspci -xxxx` form: "BB:DD.F description", then 256 lines of 16 bytes
 * ("000: xx xx ..."), then an empty line; the root complex 00:00.0 first
 * when all.  Every byte comes from vpci_cfg_read with 4-byte accesses. */
void guest_view_print(struct guest_view *gv, bool all, FILE *out);

#endif
