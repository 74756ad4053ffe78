/* The measured device: a real dump -> sysfs-shaped tree -> libpci (hostpci)
 * -> emulated host bridge -> the daemon's ioreq dispatcher. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/bench/bench.h"
#include "tests/support/sysfs_tree.h"

#define BENCH_DUMP "tests/data/dumps/cap-pcie-2"   /* Intel 82576 at 01:00.0 */
#define LOW_HOLE   0x23000000ull                     /* GUEST_VPCI_MEM */

/* Accept every map/unmap/move: the bench measures the engine, not the p2m. */
static int accept_event(void *opaque, const struct vdev_event *ev)
{
    (void)opaque;
    (void)ev;
    return 0;
}

/* Memory BARs one after the other in the low hole, naturally aligned. */
static void place_bars(const struct host_dev *hd, uint64_t guest_bar[PCI_NUM_RES])
{
    uint64_t cursor = LOW_HOLE;
    for (unsigned b = 0; b < PCI_NUM_RES; b++) {
        const struct host_bar *hb = &hd->bars[b];
        guest_bar[b] = 0;
        if (!hb->size || hb->type == BAR_IO || hb->type == BAR_NONE)
            continue;
        uint64_t size = hb->size < 4096 ? 4096 : hb->size;
        cursor = (cursor + size - 1) & ~(size - 1);
        guest_bar[b] = cursor;
        cursor += size;
    }
}

void bench_dev_open(struct bench_dev *d, const struct bench_opts *o, uint8_t bus_last)
{
    static const struct tree_opts topts = { .driver = "pciback", .reset_method = "flr" };
    char dump[512], err[512];
    struct sbdf addr = { .seg = 0, .bus = 1, .dev = 0, .fn = 0 };
    struct hostbridge *hb;
    struct vdev_config cfg = { .slot = BENCH_SLOT, .fn = 0, .intx_line = 16 };

    memset(d, 0, sizeof(*d));
    snprintf(dump, sizeof(dump), "%s/%s", o->src, BENCH_DUMP);
    if (sysfs_tree_mkdtemp(d->tree, sizeof(d->tree)) ||
        sysfs_tree_from_dump(d->tree, dump, &topts, err, sizeof(err)))
        bench_fail("cannot build a sysfs tree from %s: %s", dump, err);
    if (hostpci_open(d->tree, &addr, &d->hp, err, sizeof(err)))
        bench_fail("%s", err);
    d->hd = hostpci_host_dev(d->hp);
    place_bars(d->hd, cfg.guest_bar);
    d->topo = vpci_topology_new();
    if (!d->topo || vpci_topology_add_bridge(d->topo, 0, 0, bus_last, &hb) ||
        hostbridge_add_device(hb, d->hd, &cfg, NULL))
        bench_fail("cannot present %s at 00:%02x.0 of an emulated bridge", dump, BENCH_SLOT);
    vpci_topology_set_event_handler(d->topo, accept_event, NULL);
    ioreq_router_init(&d->router, d->topo, 0, 0, BENCH_ECAM_BASE,
                      ((uint64_t)bus_last + 1) << 20);
}

void bench_dev_close(struct bench_dev *d)
{
    vpci_topology_free(d->topo);
    hostpci_close(d->hp);
    sysfs_tree_remove(d->tree);
    memset(d, 0, sizeof(*d));
}

static ioreq_t ecam_req(unsigned reg, unsigned size, uint8_t dir, uint64_t data)
{
    ioreq_t r = { 0 };
    r.addr = BENCH_ECAM_BASE + ((uint64_t)BENCH_SLOT << 15) + reg;
    r.data = data;
    r.count = 1;
    r.size = size;
    r.state = STATE_IOREQ_INPROCESS;
    r.dir = dir;
    r.type = IOREQ_TYPE_COPY;
    return r;
}

uint32_t bench_dev_ecam_read(struct bench_dev *d, unsigned reg, unsigned size)
{
    ioreq_t r = ecam_req(reg, size, IOREQ_READ, 0);
    ioreq_dispatch(&d->router, &r, NULL);
    return (uint32_t)r.data;
}

void bench_dev_ecam_write(struct bench_dev *d, unsigned reg, unsigned size, uint32_t val)
{
    ioreq_t r = ecam_req(reg, size, IOREQ_WRITE, val);
    ioreq_dispatch(&d->router, &r, NULL);
}
