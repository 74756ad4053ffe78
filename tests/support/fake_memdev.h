/* A host_dev backed by a 4 KiB array (and 4 KiB of one BAR's memory), with read/write counters and a flag
 * that makes any host write fail the test ("no host writes"). */
#ifndef TESTS_FAKE_MEMDEV_H
#define TESTS_FAKE_MEMDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"

struct memdev {
    struct host_dev hd;
    uint8_t cfg[PCI_CFG_SIZE];
    unsigned reads, writes;
    bool forbid_writes;         /* a host write aborts the test */
    int mmio_bar;               /* the BAR whose first 4 KiB are mmio[] (bar_read/write) */
    uint8_t mmio[4096];
};

/* A type-0 function: vendor/device, class, cfg_size 256 or 4096, no caps. */
void memdev_init(struct memdev *m, uint16_t vendor, uint16_t device, unsigned cfg_size);
void memdev_set(struct memdev *m, unsigned off, unsigned size, uint32_t val);
uint32_t memdev_get(const struct memdev *m, unsigned off, unsigned size);
/* Link a legacy capability of `len` bytes at `off` at the end of the list. */
void memdev_add_cap(struct memdev *m, uint8_t off, uint8_t id);
void memdev_set_bar(struct memdev *m, int i, enum bar_type t, bool pf, uint64_t addr, uint64_t size);

#endif
