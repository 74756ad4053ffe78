/* The host side of one passed-through PCI function, as the register engine
 * sees it: how to read/write its real config space (one small interface, so a
 * host write happens only where a register's source allows it) and what its
 * BARs are (from sysfs `resource`, since sizes are not in config space once
 * the host OS has programmed the BARs).
 *
 * Implementations: pcipt/host/hostpci.c (libpci on /sys or a sysfs-shaped tree),
 * tests/support/fake_memdev.c (a 4 KiB array, for unit tests and fuzzing). */
#ifndef HOSTBRIDGE_HOSTDEV_H
#define HOSTBRIDGE_HOSTDEV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/common/sbdf.h"

#define PCI_NUM_BARS   6
#define PCI_ROM_SLOT   6          /* index of the expansion ROM in bar arrays */
#define PCI_NUM_RES    7          /* 6 BARs + ROM */

enum bar_type {
    BAR_NONE = 0,   /* unimplemented, or upper half of a 64-bit pair */
    BAR_MEM32,
    BAR_MEM64,      /* lower half; the next index is its upper half (BAR_NONE) */
    BAR_IO,
    BAR_ROM,
};

struct host_bar {
    enum bar_type type;
    bool prefetchable;
    uint64_t addr;    /* host physical address (sysfs resource start) */
    uint64_t size;    /* bytes; 0 when the BAR is unimplemented */
};

struct host_cfg_ops {
    /* size is 1, 2 or 4; off is naturally aligned and < 4096.
     * Return 0 or -errno.  A read failure makes the engine return all-ones. */
    int (*read)(void *ctx, unsigned off, unsigned size, uint32_t *val);
    int (*write)(void *ctx, unsigned off, unsigned size, uint32_t val);
    /* Optional (NULL: -ENODEV): the host BAR's memory, for the MSI-X PBA and
     * a trapped MSI-X page (hostbridge/msix_table.c, pcipt/daemon/daemon_msix.c).
     * size is 1, 2, 4 or 8, off naturally aligned and inside the BAR. */
    int (*bar_read)(void *ctx, int bar, uint64_t off, unsigned size, uint64_t *val);
    int (*bar_write)(void *ctx, int bar, uint64_t off, unsigned size, uint64_t val);
};

struct host_dev {
    struct sbdf addr;
    const struct host_cfg_ops *ops;
    void *ctx;
    unsigned cfg_size;                /* 256 (conventional) or 4096 (PCIe) */
    struct host_bar bars[PCI_NUM_RES];
    unsigned irq;                     /* host IRQ (sysfs `irq`), 0 if none */
};

static inline int host_cfg_read(const struct host_dev *hd, unsigned off, unsigned size, uint32_t *val)
{
    return hd->ops->read(hd->ctx, off, size, val);
}

/* Offset of the first capability `id` (PCI_CAPID_*) in the host function's
 * legacy list (PCI 3.0 §6.7; hostbridge/hostcaps.c), 0 if it has none,
 * -EIO on a read error. */
int host_find_cap(const struct host_dev *hd, uint8_t id);

static inline int host_bar_read(const struct host_dev *hd, int bar, uint64_t off, unsigned size,
                                uint64_t *val)
{
    return hd->ops->bar_read ? hd->ops->bar_read(hd->ctx, bar, off, size, val) : -ENODEV;
}

static inline int host_bar_write(const struct host_dev *hd, int bar, uint64_t off, unsigned size,
                                 uint64_t val)
{
    return hd->ops->bar_write ? hd->ops->bar_write(hd->ctx, bar, off, size, val) : -ENODEV;
}

static inline int host_cfg_write(const struct host_dev *hd, unsigned off, unsigned size, uint32_t val)
{
    return hd->ops->write(hd->ctx, off, size, val);
}

/* Whether every BAR of `hd` can be presented (hostbridge_add_device refuses
 * the function otherwise): 0, or -EINVAL with a sentence naming the BAR. */
int host_dev_check_bars(const struct host_dev *hd, char *err, size_t errlen);

#endif
