/* See engine_fx.h. */
#include <check.h>
#include <string.h>

#include "tests/support/engine_fx.h"

static int record(void *opaque, const struct vdev_event *ev)
{
    struct ev_log *l = opaque;
    if (ev->type == VDEV_EV_STATE)
        return 0;
    ck_assert_uint_lt(l->n, EV_MAX);
    l->ev[l->n++] = *ev;
    if (ev->type == VDEV_EV_BAR_MAP || ev->type == VDEV_EV_BAR_MOVE)
        return l->refuse_map;
    return 0;
}

void fix_init(struct fix *f)
{
    memset(f, 0, sizeof(*f));
    f->t = vpci_topology_new();
    ck_assert_ptr_nonnull(f->t);
    ck_assert_int_eq(vpci_topology_add_bridge(f->t, 0, 0, 3, &f->hb), 0);
    vpci_topology_set_event_handler(f->t, record, &f->log);
}

void fix_fini(struct fix *f)
{
    vpci_topology_free(f->t);
}

struct vdev *fix_add(struct fix *f, struct memdev *m, uint8_t slot, uint8_t fn, const uint64_t *gbar)
{
    struct vdev_config c = { .slot = slot, .fn = fn, .intx_line = 5, .dma = true };
    struct vdev *v = NULL;
    if (gbar)
        memcpy(c.guest_bar, gbar, sizeof(c.guest_bar));
    ck_assert_int_eq(hostbridge_add_device(f->hb, &m->hd, &c, &v), 0);
    return v;
}

uint64_t cfg_rd(struct fix *f, uint8_t slot, uint8_t fn, unsigned reg, unsigned size)
{
    struct cfg_req r = { .seg = 0, .bus = 0, .dev = slot, .fn = fn, .reg = (uint16_t)reg,
                         .size = (uint8_t)size };
    return vpci_cfg_read(f->t, &r);
}

void cfg_wr(struct fix *f, uint8_t slot, uint8_t fn, unsigned reg, unsigned size, uint64_t val)
{
    struct cfg_req r = { .seg = 0, .bus = 0, .dev = slot, .fn = fn, .reg = (uint16_t)reg,
                         .size = (uint8_t)size };
    vpci_cfg_write(f->t, &r, val);
}

unsigned ev_count(const struct ev_log *l, enum vdev_event_type t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->n; i++)
        n += l->ev[i].type == t;
    return n;
}

void memdev_endpoint(struct memdev *m)
{
    memdev_init(m, 0x8086, 0x10d3, 4096);
    memdev_set_bar(m, 0, BAR_MEM64, true, 0x4000000000ull, 0x4000);
    memdev_set_bar(m, 2, BAR_MEM32, false, 0xe0000000, 0x1000);
    memdev_set_bar(m, 3, BAR_IO, false, 0x1000, 0x20);
    memdev_set_bar(m, PCI_ROM_SLOT, BAR_ROM, false, 0xe0100000, 0x10000);
    memdev_add_cap(m, 0x40, 0x01);            /* PM */
    memdev_set(m, 0x42, 2, 0xc803);           /* PME from D0/D3hot/D3cold, v3 */
    memdev_set(m, 0x44, 2, 0x0108);           /* PME_En set, No_Soft_Reset */
    memdev_add_cap(m, 0x50, 0x05);            /* MSI */
    memdev_set(m, 0x52, 2, 0x0186);           /* PVM, 64-bit, MMC = 3 (8 vectors) */
    memdev_add_cap(m, 0x68, 0x09);            /* vendor specific: hidden */
    memdev_add_cap(m, 0x70, 0x11);            /* MSI-X */
    memdev_set(m, 0x72, 2, 0x000f);           /* 16 entries */
    memdev_set(m, 0x74, 4, 0x00000002);       /* table: BAR2 + 0 */
    memdev_set(m, 0x78, 4, 0x00000802);       /* PBA: BAR2 + 0x800 */
    m->mmio_bar = 2;                          /* mmio[] is BAR2: table and PBA */
    memdev_add_cap(m, 0x80, 0x10);            /* PCIe v2 endpoint */
    memdev_set(m, 0x82, 2, 0x0002);
    memdev_set(m, 0x84, 4, 0x10008fc0);       /* FLR capable */
    memdev_set(m, 0x88, 2, 0x2810);
    memdev_set(m, 0x90, 2, 0x0040);
    memdev_set(m, 0xa8, 2, 0x0006);
    memdev_set(m, 0x100, 4, 0x14010001);      /* AER -> 0x140 */
    memdev_set(m, 0x140, 4, 0x00010003);      /* DSN, end */
}
