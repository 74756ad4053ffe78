/* 5. MSI-X table access: Linux's per-vector programming sequence
 * (pci_msix_write_msg: mask, address low, address high, data, unmask,
 * then a read of Vector Control) for every entry of the measured device's
 * table, as the daemon handles it: an IOREQ_TYPE_COPY ioreq through
 * ioreq_dispatch, the router's mmio hook and the engine's table
 * (hostbridge/msix_table.c), the hook locating the entry as
 * pcipt/daemon/daemon_msix.c does.  Baseline: the same accesses to the
 * physical table through the function's sysfs `resource3` mapping (what an
 * unemulated, directly written table costs dom0). */
#include <inttypes.h>
#include <stdio.h>

#include "tests/bench/bench.h"

#define TABLE_GPA 0x40000000ull      /* where the bench's hook sees the table */

struct msix_bench {
    struct bench_dev dev;
    struct vdev *v;
    struct msix_info mi;
};

/* The router's mmio hook: the table's BAR at TABLE_GPA. */
static int hook(void *opaque, ioreq_t *req)
{
    struct msix_bench *b = opaque;
    uint64_t data = req->data;

    if (req->addr < TABLE_GPA ||
        vdev_msix_mmio(b->v, b->mi.table_bar, req->addr - TABLE_GPA, req->size,
                       req->dir != IOREQ_READ, &data) != 1)
        return -ENOENT;
    if (req->dir == IOREQ_READ)
        req->data = data;
    return 0;
}

static uint64_t via_daemon(struct msix_bench *b, uint64_t off, unsigned size, bool write,
                           uint64_t val)
{
    ioreq_t r = { .addr = TABLE_GPA + off, .data = val, .count = 1, .size = size,
                  .state = STATE_IOREQ_INPROCESS, .dir = write ? IOREQ_WRITE : IOREQ_READ,
                  .type = IOREQ_TYPE_COPY };
    ioreq_dispatch(&b->dev.router, &r, NULL);
    return r.data;
}

static uint64_t via_host(struct msix_bench *b, uint64_t off, unsigned size, bool write,
                         uint64_t val)
{
    int rc = write ? host_bar_write(b->dev.hd, b->mi.table_bar, off, size, val)
                   : host_bar_read(b->dev.hd, b->mi.table_bar, off, size, &val);
    if (rc)
        bench_fail("resource%d of the tree %s: access at 0x%" PRIx64 " failed (%d)",
                   b->mi.table_bar, b->dev.tree, off, rc);
    return val;
}

static volatile uint64_t sink;

/* One pass over the table; returns the number of accesses. */
static unsigned program_all(struct msix_bench *b, bool daemon, unsigned round)
{
    uint64_t (*acc)(struct msix_bench *, uint64_t, unsigned, bool, uint64_t) =
        daemon ? via_daemon : via_host;
    uint64_t x = 0;

    for (unsigned i = 0; i < b->mi.nr_entries; i++) {
        uint64_t e = b->mi.table_offset + i * 16ull;
        acc(b, e + 12, 4, true, 1);
        acc(b, e, 4, true, 0x04030040u);
        acc(b, e + 4, 4, true, 0);
        acc(b, e + 8, 4, true, (round + i) & 0xffff);
        acc(b, e + 12, 4, true, 0);
        x ^= acc(b, e + 12, 4, false, 0);
    }
    sink ^= x;
    return 6 * b->mi.nr_entries;
}

static double ns_per_access(struct msix_bench *b, bool daemon, unsigned rounds)
{
    unsigned n = 0;
    uint64_t t0 = bench_now_ns();
    for (unsigned r = 0; r < rounds; r++)
        n += program_all(b, daemon, r);
    return (double)(bench_now_ns() - t0) / n;
}

void bench_msix(const struct bench_opts *o)
{
    static struct msix_bench b;
    unsigned rounds = o->quick ? 200 : 5000;

    bench_dev_open(&b.dev, o, 0);
    b.v = hostbridge_find(vpci_topology_bridge(b.dev.topo, 0), 0, BENCH_SLOT, 0);
    if (!b.v)
        bench_fail("the measured device is not at 00:%02x.0", BENCH_SLOT);
    vdev_msix_info(b.v, &b.mi);
    if (!b.mi.present)
        bench_fail("the measured device has no MSI-X table");
    b.dev.router.mmio = hook;
    b.dev.router.mmio_opaque = &b;
    (void)ns_per_access(&b, true, rounds / 10 + 1);       /* warm up both */
    (void)ns_per_access(&b, false, rounds / 10 + 1);
    double d = ns_per_access(&b, true, rounds), h = ns_per_access(&b, false, rounds);
    bench_metric("msix_table_access", d, h, "ns",
                 "direct access to the physical table (sysfs resourceN mmap)");
    bench_note("msix_table_access: Linux's per-vector sequence (mask, address, data, unmask, "
               "read back) over %u entries, %u rounds, through ioreq_dispatch and the engine's "
               "table; the IOREQ round trip itself is the ioreq group's; the baseline's "
               "resource3 is a file-backed mapping here, not device MMIO", b.mi.nr_entries,
               rounds);
    bench_dev_close(&b.dev);
}
