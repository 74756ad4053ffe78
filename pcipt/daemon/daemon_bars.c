/* Engine events -> stage-2 p2m, before the guest's access completes
 * (docs/design/daemon.md "Engine events": a guest BAR move is mapped before
 * the ioreq is completed).
 * Every p2m change updates the record pcipt/dev-N/bar-I/mapped in the same
 * step (docs/design/attach.md "Hand-over: p2m records"), crash-atomically:
 * the new address is recorded before the first page is mapped, and "none"
 * only after the last page is unmapped, so a daemon killed at any point
 * leaves no page mapped that the record does not name (a record may name a
 * range not, or not wholly, mapped: unmapping it is harmless).
 *
 * Refusal rule: a BAR is mapped only if its whole range lies in one of the
 * guest's vPCI holes (layout mem / prefetch), overlaps no other mapped BAR
 * of the domain, no guest RAM bank (GUEST_RAM0 0x40000000 3 GiB, GUEST_RAM1
 * 0x200000000 1016 GiB, docs/xen-facts.md "Guest memory map"), and keeps the host's in-page
 * offset (a sub-page BAR cannot be mapped at another offset).  A refused
 * map or move leaves the BAR unmapped, the record "none" and one log line;
 * the guest reads back its address and all-ones through the BAR window. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/daemon/daemon.h"
#include "pcipt/assign/dma.h"
#include "pcipt/host/hostpci.h"
#include "hostbridge/common/log.h"
#include "pcipt/hv/map.h"
#include "pcipt/xs/xs_mapped.h"

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool inside(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return bs && a >= b && as <= bs && a - b <= bs - as;
}

/* The guest pages a BAR occupies (sub-page BARs round out). */
static void guest_pages(uint64_t addr, uint64_t size, uint64_t *start, uint64_t *len)
{
    uint64_t first, nr;

    hv_bar_pages(addr, size, &first, &nr);
    *start = first << HV_PAGE_SHIFT;
    *len = nr << HV_PAGE_SHIFT;
}

int daemon_bar_allowed(struct daemon *d, const struct daemon_dev *dd, int bar, uint64_t addr,
                       uint64_t size, const char **why)
{
    const struct guest_layout *l = &d->layout;
    struct vdev_bar_info bi;
    uint64_t ps, pl;

    vdev_bar_info(dd->vdev, bar, &bi);
    if (!size || addr + size < addr) {
        *why = "an empty or wrapping range";
        return -EINVAL;
    }
    if (!inside(addr, size, l->mem_base, l->mem_size) &&
        !inside(addr, size, l->pref_base, l->pref_size)) {
        *why = "outside the guest's vPCI holes";
        return -ERANGE;
    }
    if (overlaps(addr, size, PCIPT_RAM0_BASE, PCIPT_RAM0_SIZE) ||
        overlaps(addr, size, PCIPT_RAM1_BASE, PCIPT_RAM1_SIZE)) {
        *why = "on guest RAM";
        return -ERANGE;
    }
    if ((addr & (HV_PAGE_SIZE - 1)) != (bi.host_addr & (HV_PAGE_SIZE - 1))) {
        *why = "at another in-page offset than the host BAR";
        return -EINVAL;
    }
    guest_pages(addr, size, &ps, &pl);
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        const struct daemon_dev *o = &d->devs[i];
        if (!o->used || !o->vdev)
            continue;
        for (int b = 0; b < PCI_NUM_RES; b++) {
            struct vdev_bar_info ob;
            uint64_t os, ol;
            if (o == dd && b == bar)
                continue;
            vdev_bar_info(o->vdev, b, &ob);
            if (!ob.mapped || ob.type == BAR_NONE || ob.type == BAR_IO || !ob.size)
                continue;
            guest_pages(ob.guest_addr, ob.size, &os, &ol);
            if (overlaps(ps, pl, os, ol)) {
                *why = "over another mapped BAR of the domain";
                return -EEXIST;
            }
        }
    }
    return 0;
}

/* MSI-X table and PBA pages of this BAR stay unmapped (trapped). */
static size_t msix_holes(const struct daemon_dev *dd, int bar, struct page_range *h)
{
    struct msix_info mi;
    size_t n = 0;

    vdev_msix_info(dd->vdev, &mi);
    if (!mi.present)
        return 0;
    if (mi.table_bar == bar && mi.table_size) {
        uint64_t f = mi.table_offset >> HV_PAGE_SHIFT;
        uint64_t e = (mi.table_offset + mi.table_size + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
        h[n++] = (struct page_range){ f, e - f };
    }
    if (mi.pba_bar == bar && mi.pba_size) {
        uint64_t f = mi.pba_offset >> HV_PAGE_SHIFT;
        uint64_t e = (mi.pba_offset + mi.pba_size + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
        h[n++] = (struct page_range){ f, e - f };
    }
    return n;
}

static void record(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t gaddr)
{
    int rc = xsp_write_bar_mapped(d->xs, d->domid, &dd->as.host, bar, gaddr);

    if (rc && rc != -ENOENT)      /* -ENOENT: the device's nodes are gone already */
        log_err("dom%u: " SBDF_FMT " BAR %d: cannot record the p2m in xenstore: %s",
                d->domid, SBDF_ARGS(dd->as.host),
                bar, strerror(-rc));
}

/* A release may come after libxl revoked the permission (xl pci-detach):
 * hv_unmap_mmio_revoked takes the mapping out on every Xen. */
static int unmap(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t gfn, uint64_t mfn,
                 uint64_t nr, const struct page_range *holes, size_t nh)
{
    char what[64];

    snprintf(what, sizeof(what), SBDF_FMT " BAR %d", SBDF_ARGS(dd->as.host), bar);
    return hv_unmap_mmio_revoked(d->hv, d->domid, what, gfn, mfn, nr, holes, nh, NULL);
}

static int p2m_q(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t gaddr, bool add,
                 bool quiet_exist)
{
    struct vdev_bar_info bi;
    struct page_range holes[2];
    uint64_t mfn, nr;
    size_t nh;
    int rc;

    if (d->domain_dead && !add)
        return 0;             /* the domain's p2m went with it */
    vdev_bar_info(dd->vdev, bar, &bi);
    hv_bar_pages(bi.host_addr, bi.size, &mfn, &nr);
    nh = msix_holes(dd, bar, holes);
    rc = add ? hv_map_mmio(d->hv, d->domid, gaddr >> HV_PAGE_SHIFT, mfn, nr, holes, nh, NULL)
             : unmap(d, dd, bar, gaddr >> HV_PAGE_SHIFT, mfn, nr, holes, nh);
    if (rc == -EEXIST && quiet_exist)
        return rc;
    if (rc && !add && d->hv->ops->domain_exists(d->hv, d->domid) == 0) {
        d->domain_dead = true;    /* destroyed meanwhile (xl destroy): its p2m went with it */
        return 0;
    }
    if (rc)
        log_err("dom%u: " SBDF_FMT " BAR %d: %s 0x%" PRIx64 " (%" PRIu64
                " pages from mfn 0x%" PRIx64 ") failed: %s", d->domid, SBDF_ARGS(dd->as.host), bar,
                add ? "map at" : "unmap from",
                gaddr, nr, mfn, strerror(-rc));
    else if (add)
        d->stats.maps++;
    else
        d->stats.unmaps++;
    return rc;
}

static int p2m(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t gaddr, bool add)
{
    return p2m_q(d, dd, bar, gaddr, add, false);
}

static void refuse_log(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t addr,
                       uint64_t size, const char *why)
{
    if (!ratelimit_ok(&d->refuse_rl))
        return;                   /* counted in stats.refused_moves all the same */
    log_warn("dom%u: guest " BDF_FMT " (host " SBDF_FMT ") BAR %d at 0x%" PRIx64
             " size 0x%" PRIx64 " not mapped: %s", d->domid, BDF_ARGS(dd->as.guest),
             SBDF_ARGS(dd->as.host), bar, addr, size, why);
}

/* The host's Expansion ROM Enable (PCI 3.0 §6.2.5.2: "the device responds to
 * accesses to its expansion ROM only when both the Memory Space bit and the
 * Expansion ROM Enable bit are set") follows the guest's ROM mapping:
 * on while the ROM is mapped, off again when it is not, so the guest never
 * reads an undecoded window (all-ones, or an SError on some Arm root
 * complexes).  The address bits stay the host's. */
static void host_rom_decode(struct daemon *d, struct daemon_dev *dd, bool on)
{
    uint32_t v;
    int rc = host_cfg_read(dd->hd, PCI_CFG_ROM_T0, 4, &v);

    if (!rc && !!(v & PCI_ROM_ENABLE) != on)
        rc = host_cfg_write(dd->hd, PCI_CFG_ROM_T0, 4,
                            on ? v | PCI_ROM_ENABLE : v & ~PCI_ROM_ENABLE);
    if (rc)
        log_err("dom%u: " SBDF_FMT " ROM: cannot turn the host's ROM decode %s: %s", d->domid,
                SBDF_ARGS(dd->as.host), on ? "on" : "off", strerror(-rc));
}

static int map_checked(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t addr,
                       uint64_t size)
{
    const char *why = NULL;
    int rc = daemon_bar_allowed(d, dd, bar, addr, size, &why);

    if (rc) {
        d->stats.refused_moves++;
        refuse_log(d, dd, bar, addr, size, why);
        return rc;
    }
    record(d, dd, bar, addr);          /* intent first: a crash leaves it named */
    if ((rc = p2m(d, dd, bar, addr, true))) {
        record(d, dd, bar, 0);         /* hv_map_mmio undid what it had mapped */
        return rc;
    }
    if (bar == PCI_ROM_SLOT)
        host_rom_decode(d, dd, true);
    return 0;
}

static void unmap_recorded(struct daemon *d, struct daemon_dev *dd, int bar, uint64_t addr)
{
    if (bar == PCI_ROM_SLOT)
        host_rom_decode(d, dd, false);
    (void)p2m(d, dd, bar, addr, false);
    record(d, dd, bar, 0);
}

static void flr(struct daemon *d, struct daemon_dev *dd)
{
    char path[512];
    int fd;

    d->stats.flr++;
    if (!dd->hp) {
        log_info("dom%u: FLR of " SBDF_FMT " (no sysfs device)", d->domid,
                 SBDF_ARGS(dd->as.host));
        return;
    }
    snprintf(path, sizeof(path), "%s/reset", hostpci_sysfs_dir(dd->hp));
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1)
        log_err("dom%u: guest FLR of " SBDF_FMT ": cannot write %s: %s", d->domid,
                SBDF_ARGS(dd->as.host), path,
                strerror(errno));
    else
        log_info("dom%u: guest FLR: reset " SBDF_FMT " through %s", d->domid,
                 SBDF_ARGS(dd->as.host), path);
    if (fd >= 0)
        close(fd);
}

/* The guest's Bus Master reaches the host only for a vdev made with .dma
 * (the function is in the domain's IOMMU context, or --unsafe-dma): the
 * engine sends nothing otherwise (hostbridge/header.c). */
static void bus_master(struct daemon *d, struct daemon_dev *dd, bool on)
{
    int rc = dma_host_bus_master(dd->hd, on);

    if (rc)
        log_err("dom%u: cannot turn Bus Master %s on %04x:%02x:%02x.%x: %s", d->domid,
                on ? "on" : "off", dd->as.host.seg, dd->as.host.bus, dd->as.host.dev,
                dd->as.host.fn, strerror(-rc));
}

int daemon_event(void *opaque, const struct vdev_event *ev)
{
    struct daemon *d = opaque;
    struct daemon_dev *dd = daemon_dev_by_vdev(d, ev->vdev);
    int rc;

    if (!dd)
        return 0;
    switch (ev->type) {
    case VDEV_EV_BAR_MAP:
        return map_checked(d, dd, ev->bar, ev->new_addr, ev->size);
    case VDEV_EV_BAR_UNMAP:
        unmap_recorded(d, dd, ev->bar, ev->old_addr);
        return 0;
    case VDEV_EV_BAR_MOVE:
        if (!ev->mapped)
            return 0;
        unmap_recorded(d, dd, ev->bar, ev->old_addr);
        rc = map_checked(d, dd, ev->bar, ev->new_addr, ev->size);
        if (!rc)
            d->stats.remaps++;
        return rc;
    case VDEV_EV_FLR:
        flr(d, dd);
        daemon_msix_forget(dd);
        return 0;
    case VDEV_EV_MSI:
        daemon_msi_program(d, dd);
        daemon_msi_intx_sync(dd);
        return 0;
    case VDEV_EV_MSIX:
        daemon_msix_ctrl(d, dd);
        daemon_msi_intx_sync(dd);
        return 0;
    case VDEV_EV_MSIX_ENTRY:
        daemon_msix_entry(d, dd, ev->entry);
        return 0;
    case VDEV_EV_INTX:
        daemon_msi_intx_sync(dd);
        return 0;
    case VDEV_EV_STATE:
        dd->state_dirty = true;
        return 0;
    case VDEV_EV_BUS_MASTER:
        bus_master(d, dd, ev->enable);
        return 0;
    }
    return 0;
}

void daemon_bars_reconcile(struct daemon *d, struct daemon_dev *dd)
{
    for (int b = 0; b < PCI_NUM_RES; b++) {
        struct vdev_bar_info bi;
        uint64_t rec = 0, want;
        const char *why;
        int rc;

        vdev_bar_info(dd->vdev, b, &bi);
        if (bi.type == BAR_NONE || bi.type == BAR_IO || !bi.size)
            continue;
        rc = xsp_read_bar_mapped(d->xs, d->domid, &dd->as.host, b, &rec);
        if (rc)
            rec = 0;
        want = bi.mapped ? bi.guest_addr : 0;
        if (want && daemon_bar_allowed(d, dd, b, want, bi.size, &why)) {
            refuse_log(d, dd, b, want, bi.size, why);
            want = 0;
        }
        if (rec != want || rc) {
            if (rec)
                (void)p2m(d, dd, b, rec, false);
            record(d, dd, b, want);       /* intent first; absent records become explicit */
            if (want && p2m(d, dd, b, want, true))
                record(d, dd, b, 0);
        } else if (want) {
            /* The record names it: mapped (-EEXIST, the usual case), or a
             * predecessor was killed between recording and mapping: map it. */
            int mr = p2m_q(d, dd, b, want, true, true);
            if (mr && mr != -EEXIST)
                record(d, dd, b, 0);
        }
    }
}

void daemon_bars_unmap_all(struct daemon *d, struct daemon_dev *dd)
{
    if (dd->p2m_released)
        return;               /* xlwatch unmapped, revoked and rewrote the records */
    for (int b = 0; b < PCI_NUM_RES; b++) {
        struct vdev_bar_info bi;
        uint64_t rec = 0;

        vdev_bar_info(dd->vdev, b, &bi);
        if (bi.type == BAR_NONE || bi.type == BAR_IO || !bi.size)
            continue;
        if (xsp_read_bar_mapped(d->xs, d->domid, &dd->as.host, b, &rec) == 0 && rec)
            (void)p2m(d, dd, b, rec, false);
        else if (bi.mapped)
            (void)p2m(d, dd, b, bi.guest_addr, false);
        record(d, dd, b, 0);
        if (b == PCI_ROM_SLOT && (rec || bi.mapped))
            host_rom_decode(d, dd, false);
    }
}
