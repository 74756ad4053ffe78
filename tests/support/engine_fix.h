/* Shared fixture for the engine tests: one topology with a bridge on segment
 * 0 (buses 0..3), an event recorder, and config access helpers. */
#ifndef TESTS_ENGINE_FIX_H
#define TESTS_ENGINE_FIX_H

#include "hostbridge/hostbridge.h"
#include "tests/support/memdev.h"

#define EV_MAX 64
struct ev_log {
    struct vdev_event ev[EV_MAX];
    unsigned n;
    int refuse_map;        /* return this for BAR_MAP / BAR_MOVE */
};

struct fix {
    struct vpci_topology *t;
    struct hostbridge *hb;
    struct ev_log log;
};

void fix_init(struct fix *f);
void fix_fini(struct fix *f);
/* Add `m` at slot.fn with guest BARs from `gbar` (may be NULL), with .dma (its Bus
 * Master reaches the host: tests/unit/hostbridge/test_bus_master.c covers both). */
struct vdev *fix_add(struct fix *f, struct memdev *m, uint8_t slot, uint8_t fn, const uint64_t *gbar);
uint64_t cfg_rd(struct fix *f, uint8_t slot, uint8_t fn, unsigned reg, unsigned size);
void cfg_wr(struct fix *f, uint8_t slot, uint8_t fn, unsigned reg, unsigned size, uint64_t val);
/* Number of logged events of a type (STATE events are not logged). */
unsigned ev_count(const struct ev_log *l, enum vdev_event_type t);

/* A realistic endpoint: 64-bit prefetchable BAR0 (16 KiB), 32-bit BAR2
 * (4 KiB), I/O BAR3, 64 KiB ROM; caps PM@0x40, MSI64+PVM@0x50 (8 vectors),
 * vendor@0x68 (hidden), MSI-X@0x70 (16 entries, table BAR2+0, PBA BAR2+0x800),
 * PCIe v2 endpoint@0x80; extended caps at 0x100 -> 0x140. */
void memdev_endpoint(struct memdev *m);

#endif
