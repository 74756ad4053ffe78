/* See fake_memdev.h. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "tests/support/fake_memdev.h"

static int md_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
    struct memdev *m = ctx;
    __atomic_fetch_add(&m->reads, 1, __ATOMIC_RELAXED);
    *val = memdev_get(m, off, size);
    return 0;
}

static int md_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    struct memdev *m = ctx;
    ck_assert_msg(!m->forbid_writes, "host write at 0x%x size %u", off, size);
    __atomic_fetch_add(&m->writes, 1, __ATOMIC_RELAXED);
    memdev_set(m, off, size, val);
    return 0;
}

/* The one BAR with memory behind it (mmio_bar): 4 KiB. */
static int md_bar_read(void *ctx, int bar, uint64_t off, unsigned size, uint64_t *val)
{
    struct memdev *m = ctx;
    if (bar != m->mmio_bar || off + size > sizeof(m->mmio))
        return -EIO;
    *val = 0;
    for (unsigned i = 0; i < size; i++)
        *val |= (uint64_t)m->mmio[off + i] << (8 * i);
    return 0;
}

static int md_bar_write(void *ctx, int bar, uint64_t off, unsigned size, uint64_t val)
{
    struct memdev *m = ctx;
    if (bar != m->mmio_bar || off + size > sizeof(m->mmio))
        return -EIO;
    for (unsigned i = 0; i < size; i++)
        m->mmio[off + i] = (uint8_t)(val >> (8 * i));
    return 0;
}

static const struct host_cfg_ops md_ops = { .read = md_read, .write = md_write,
                                            .bar_read = md_bar_read, .bar_write = md_bar_write };

void memdev_set(struct memdev *m, unsigned off, unsigned size, uint32_t val)
{
    for (unsigned i = 0; i < size; i++)
        m->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

uint32_t memdev_get(const struct memdev *m, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)m->cfg[off + i] << (8 * i);
    return v;
}

void memdev_init(struct memdev *m, uint16_t vendor, uint16_t device, unsigned cfg_size)
{
    memset(m, 0, sizeof(*m));
    m->hd.ops = &md_ops;
    m->hd.ctx = m;
    m->hd.cfg_size = cfg_size;
    memdev_set(m, 0x00, 2, vendor);
    memdev_set(m, 0x02, 2, device);
    memdev_set(m, 0x04, 2, 0x0406);          /* host decode on: must not leak */
    memdev_set(m, 0x06, 2, 0x0010 | 0x0008 | 0x0200 | 0x8000);   /* caps, INTx, DEVSEL, parity */
    memdev_set(m, 0x08, 4, 0x02000001);      /* Ethernet controller, rev 1 */
    memdev_set(m, 0x0e, 1, 0x80);            /* host says multi-function */
    memdev_set(m, 0x2c, 2, 0x1af4);
    memdev_set(m, 0x2e, 2, 0x1100);
    memdev_set(m, 0x3c, 1, 0x2a);            /* host IRQ line: must not leak */
    memdev_set(m, 0x3d, 1, 0x01);            /* INTA */
}

void memdev_add_cap(struct memdev *m, uint8_t off, uint8_t id)
{
    unsigned p = 0x34;
    while (m->cfg[p])
        p = m->cfg[p] + 1u;
    m->cfg[p] = off;
    m->cfg[off] = id;
    m->cfg[off + 1] = 0;
}

void memdev_set_bar(struct memdev *m, int i, enum bar_type t, bool pf, uint64_t addr, uint64_t size)
{
    m->hd.bars[i] = (struct host_bar){ .type = t, .prefetchable = pf, .addr = addr, .size = size };
    if (i < PCI_NUM_BARS)
        memdev_set(m, 0x10 + 4u * i, 4, (uint32_t)addr | (t == BAR_MEM64 ? 4 : 0) | (pf ? 8 : 0));
}
