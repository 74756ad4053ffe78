/* MSI-X of the daemon's devices (docs/design/msi.md "The daemon: MSI and
 * MSI-X").
 *
 * The table and PBA pages of a BAR stay out of the guest's stage 2
 * (daemon_bars.c msix_holes), so the guest's accesses to them trap here
 * (daemon_msix_mmio, the ioreq router's mmio hook): table and PBA bytes go
 * to the engine (hostbridge/msix_table.c), the rest of such a page (a
 * table that shares its page with other registers) to the host BAR.
 *
 * For a `vits` device the physical table mirrors the guest's: every
 * entry's address and data are the guest's own (its vITS doorbell and
 * EventID: the SMMU translates the doorbell), written with the physical
 * Mask bit set, and then the guest's Mask bit; the physical Function Mask
 * and Enable follow the guest's (disable first, before any entry).  So a
 * physical vector can fire only while the guest's entry, Function Mask and
 * Enable let it and its address/data are the guest's.  A mirror also makes
 * the hand-over simple: a daemon that takes over a running domain rebuilds
 * the guest's table from the physical one. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "hostbridge/common/pci_regs.h"
#include "pcipt/daemon/daemon.h"

static int phys_dw(struct daemon_dev *dd, const struct msix_info *m, unsigned i, unsigned k,
                   uint32_t val)
{
    return host_bar_write(dd->hd, m->table_bar,
                          m->table_offset + (uint64_t)i * PCI_MSIX_ENTRY_SIZE + 4u * k, 4, val);
}

static bool same_message(const struct msix_entry *a, const struct msix_entry *b)
{
    return a->addr_lo == b->addr_lo && a->addr_hi == b->addr_hi && a->data == b->data;
}

static void phys_failed(struct daemon *d, struct daemon_dev *dd, unsigned i, int rc)
{
    if (ratelimit_ok(&d->refuse_rl))
        log_err("dom%u: " SBDF_FMT ": cannot write MSI-X table entry %u of the host: %s",
                d->domid, SBDF_ARGS(dd->as.host), i, strerror(-rc));
}

/* Entry i of the physical table := the guest's, masked while written. */
static void sync_entry(struct daemon *d, struct daemon_dev *dd, const struct msix_info *m,
                       unsigned i)
{
    struct msix_entry g, *p = &dd->msix_phys[i];
    int rc = 0;

    if (vdev_msix_entry(dd->vdev, i, &g))
        return;
    if (!same_message(p, &g)) {
        if (!(p->ctrl & MSIX_ENTRY_MASKED) &&
            !(rc = phys_dw(dd, m, i, 3, p->ctrl | MSIX_ENTRY_MASKED)))
            p->ctrl |= MSIX_ENTRY_MASKED;
        if (!rc && !(rc = phys_dw(dd, m, i, 0, g.addr_lo)))
            p->addr_lo = g.addr_lo;
        if (!rc && !(rc = phys_dw(dd, m, i, 1, g.addr_hi)))
            p->addr_hi = g.addr_hi;
        if (!rc && !(rc = phys_dw(dd, m, i, 2, g.data)))
            p->data = g.data;
    }
    /* Unmask only once the address and data are the guest's. */
    if (!rc && (p->ctrl & MSIX_ENTRY_MASKED) != (g.ctrl & MSIX_ENTRY_MASKED) &&
        ((g.ctrl & MSIX_ENTRY_MASKED) || same_message(p, &g)) &&
        !(rc = phys_dw(dd, m, i, 3, (p->ctrl & ~MSIX_ENTRY_MASKED) | (g.ctrl & MSIX_ENTRY_MASKED))))
        p->ctrl = (p->ctrl & ~MSIX_ENTRY_MASKED) | (g.ctrl & MSIX_ENTRY_MASKED);
    if (rc)
        phys_failed(d, dd, i, rc);
}

void daemon_msix_entry(struct daemon *d, struct daemon_dev *dd, unsigned i)
{
    struct msix_info m;

    vdev_msix_info(dd->vdev, &m);
    if (dd->msi_vits && dd->msix_phys && i < m.nr_entries)
        sync_entry(d, dd, &m, i);
}

/* The host's Enable and Function Mask := the guest's (for `off`: off). */
void daemon_msix_ctrl(struct daemon *d, struct daemon_dev *dd)
{
    struct msix_info m;
    uint32_t ctrl, want;
    int base, rc;

    vdev_msix_info(dd->vdev, &m);
    if (!m.present || !dd->msix_phys)
        return;
    base = host_find_cap(dd->hd, PCI_CAPID_MSIX);
    if (base <= 0 || host_cfg_read(dd->hd, (unsigned)base + 2u, 2, &ctrl)) {
        log_err("dom%u: " SBDF_FMT ": cannot find the host's MSI-X capability", d->domid,
                SBDF_ARGS(dd->as.host));
        return;
    }
    want = ctrl & ~(uint32_t)(PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASK);
    if (dd->msi_vits && !m.hidden)
        want |= (m.enabled ? PCI_MSIX_CTRL_ENABLE : 0) | (m.masked ? PCI_MSIX_CTRL_MASK : 0);
    if (want != ctrl && (rc = host_cfg_write(dd->hd, (unsigned)base + 2u, 2, want)))
        log_err("dom%u: " SBDF_FMT ": cannot set the host's MSI-X control to %#x: %s",
                d->domid, SBDF_ARGS(dd->as.host), want, strerror(-rc));
}

/* At add: a fresh device's physical table is reset to the guest's power-on
 * table (every entry masked, zero), after the host's MSI-X is turned off,
 * so nothing dom0 left there can fire; a device taken over from a previous
 * daemon (restored state) gives the guest back its table from the
 * physical one, which mirrors it. */
void daemon_msix_setup(struct daemon *d, struct daemon_dev *dd, bool restored)
{
    struct msix_info m;
    uint64_t v;

    vdev_msix_info(dd->vdev, &m);
    if (!m.present || !dd->msi_vits || m.hidden)
        return;
    dd->msix_phys = calloc(m.nr_entries, sizeof(*dd->msix_phys));
    if (!dd->msix_phys) {
        log_err("dom%u: " SBDF_FMT ": no memory for its MSI-X table", d->domid,
                SBDF_ARGS(dd->as.host));
        return;
    }
    for (unsigned i = 0; i < m.nr_entries; i++) {
        struct msix_entry *p = &dd->msix_phys[i];
        uint64_t at = m.table_offset + (uint64_t)i * PCI_MSIX_ENTRY_SIZE;
        int rc = host_bar_read(dd->hd, m.table_bar, at, 8, &v);
        if (!rc) {
            p->addr_lo = (uint32_t)v;
            p->addr_hi = (uint32_t)(v >> 32);
            rc = host_bar_read(dd->hd, m.table_bar, at + 8, 8, &v);
        }
        if (rc) {
            phys_failed(d, dd, i, rc);
            *p = (struct msix_entry){ .addr_lo = ~0u, .ctrl = 0 };   /* as daemon_msix_forget */
            continue;
        }
        p->data = (uint32_t)v;
        p->ctrl = (uint32_t)(v >> 32);
        if (restored)
            (void)vdev_msix_entry_set(dd->vdev, i, p);
    }
    if (!restored)
        daemon_msix_ctrl(d, dd);                  /* the guest's reset: off */
    for (unsigned i = 0; i < m.nr_entries; i++)
        sync_entry(d, dd, &m, i);
    if (restored)
        daemon_msix_ctrl(d, dd);
}

/* Contents no longer known (an FLR reset the function: PCI 3.0 §6.8.2.9
 * sets every Mask bit, the rest is undefined): the next sync rewrites every
 * entry, masked first.  Bits 1:0 of a guest address are always 0, so ~0
 * never equals it. */
void daemon_msix_forget(struct daemon_dev *dd)
{
    struct msix_info m;

    vdev_msix_info(dd->vdev, &m);
    for (unsigned i = 0; dd->msix_phys && i < m.nr_entries; i++)
        dd->msix_phys[i] = (struct msix_entry){ .addr_lo = ~0u, .ctrl = 0 };
}

void daemon_msix_release(struct daemon_dev *dd)
{
    free(dd->msix_phys);
    dd->msix_phys = NULL;
}

/* --- the trapped pages: the ioreq router's mmio hook -------------------- */

static bool in_trapped_page(const struct msix_info *m, int bar, uint64_t off)
{
    uint64_t pg = off >> HV_PAGE_SHIFT;

    if (m->table_bar == bar && pg >= m->table_offset >> HV_PAGE_SHIFT &&
        pg <= (m->table_offset + m->table_size - 1) >> HV_PAGE_SHIFT)
        return true;
    return m->pba_bar == bar && pg >= m->pba_offset >> HV_PAGE_SHIFT &&
           pg <= (m->pba_offset + m->pba_size - 1) >> HV_PAGE_SHIFT;
}

/* The device and BAR whose mapped guest range holds [addr, addr + size). */
static struct daemon_dev *find_bar(struct daemon *d, uint64_t addr, unsigned size, int *bar,
                                   uint64_t *off)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *dd = &d->devs[i];
        struct msix_info m;

        if (!dd->used)
            continue;
        vdev_msix_info(dd->vdev, &m);
        for (int b = 0; m.present && b < PCI_NUM_BARS; b++) {
            struct vdev_bar_info bi;
            vdev_bar_info(dd->vdev, b, &bi);
            if (!bi.mapped || addr < bi.guest_addr || addr - bi.guest_addr >= bi.size ||
                size > bi.size - (addr - bi.guest_addr) ||
                !in_trapped_page(&m, b, addr - bi.guest_addr))
                continue;
            *bar = b;
            *off = addr - bi.guest_addr;
            return dd;
        }
    }
    return NULL;
}

int daemon_msix_mmio(void *opaque, ioreq_t *req)
{
    struct daemon *d = opaque;
    bool write = req->dir != IOREQ_READ;
    uint64_t off, data = req->data;
    int bar, rc;
    struct daemon_dev *dd = find_bar(d, req->addr, req->size, &bar, &off);

    if (!dd)
        return -ENOENT;
    if (req->size == 8 || req->size == 4 || req->size == 2 || req->size == 1)
        data &= req->size == 8 ? ~0ull : (1ull << (8 * req->size)) - 1;
    if (vdev_msix_mmio(dd->vdev, bar, off, req->size, write, &data) == 1) {
        if (!write)
            req->data = data;
        return 0;
    }
    /* Not the table nor the PBA: the device's own register on that page. */
    rc = write ? host_bar_write(dd->hd, bar, off, req->size, data)
               : host_bar_read(dd->hd, bar, off, req->size, &data);
    if (rc) {
        if (ratelimit_ok(&d->refuse_rl))
            log_warn("dom%u: " SBDF_FMT " BAR %d offset 0x%" PRIx64 ": cannot forward the "
                     "guest's %u-byte %s to the host: %s", d->domid, SBDF_ARGS(dd->as.host),
                     bar, off, req->size, write ? "write" : "read", strerror(-rc));
        data = ~0ull;
    }
    if (!write)
        req->data = req->size == 8 ? data : data & ((1ull << (8 * req->size)) - 1);
    return 0;
}
