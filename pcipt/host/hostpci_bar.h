/* A host function's memory BARs through sysfs `resourceN` (Linux: mmap-able
 * files of the BAR's size; a sysfs-shaped test tree has regular files):
 * aligned 1-, 2-, 4- and 8-byte accesses for the MSI-X PBA and the rest of a
 * trapped MSI-X page (the engine's host_cfg_ops.bar_read / bar_write). */
#ifndef PCIPT_HOSTPCI_BAR_H
#define PCIPT_HOSTPCI_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"

struct hostpci_bars {
    volatile uint8_t *map[PCI_NUM_BARS];   /* mapped at the first access */
    size_t len[PCI_NUM_BARS];
    int failed[PCI_NUM_BARS];              /* -errno of a failed map: said once, not retried */
};

/* One access at off of BAR bar (size 1, 2, 4 or 8, naturally aligned, inside the
 * mapped file); -EINVAL for a bad access, -errno when resourceN cannot be
 * opened or mapped (said once per BAR). */
int hostpci_bar_access(struct hostpci_bars *b, const char *devdir, const struct host_dev *hd,
                       int bar, uint64_t off, unsigned size, uint64_t *val, bool write);
void hostpci_bars_unmap(struct hostpci_bars *b);

#endif
