/* Devices on the daemon's virtual bus: add (startup, hot attach) and remove
 * (hot detach, shutdown).  A device's first guest view is what firmware
 * would leave (docs/design/attach.md "Hand-over: a device's first guest
 * view"): BARs at the planned addresses
 * with Command.Memory set; a saved state (pcipt/dev-N/state) wins. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/daemon/daemon.h"
#include "pcipt/assign/dma.h"
#include "pcipt/daemon/guest_start.h"
#include "pcipt/host/hostpci.h"
#include "hostbridge/common/log.h"
#include "pcipt/util/testenv.h"

struct daemon_dev *daemon_dev_by_vdev(struct daemon *d, const struct vdev *v)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used && d->devs[i].vdev == v)
            return &d->devs[i];
    return NULL;
}

struct daemon_dev *daemon_dev_by_host(struct daemon *d, const struct sbdf *host)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used && sbdf_equal(&d->devs[i].as.host, host))
            return &d->devs[i];
    return NULL;
}

/* The published BARs must be the device's (sysfs `resource`). */
static int check_bars(const struct dev_assign *as, const struct host_dev *hd, char *err,
                      size_t errlen)
{
    for (int i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &as->bars[i];
        if (b->type == BAR_NONE || b->type == BAR_IO)
            continue;
        if (hd->bars[i].type != b->type || hd->bars[i].size != b->size ||
            hd->bars[i].addr != b->host) {
            snprintf(err, errlen, "BAR %d: published %s 0x%" PRIx64 " size 0x%" PRIx64
                     " but the host has %s 0x%" PRIx64 " size 0x%" PRIx64, i,
                     bar_type_name(b->type), b->host, b->size, bar_type_name(hd->bars[i].type),
                     hd->bars[i].addr, hd->bars[i].size);
            return -EINVAL;
        }
    }
    return 0;
}

/* true when a saved state was restored (a daemon taking over). */
static bool initial_view(struct daemon *d, struct daemon_dev *dd)
{
    struct vdev_state st;
    char err[256];
    int rc = xsp_read_vdev_state(d->xs, d->domid, &dd->as.host, &st, err, sizeof(err));

    if (rc) {
        if (rc != -ENOENT)
            log_warn("dom%u: saved state of " SBDF_FMT " unusable (%s); starting from "
                     "the firmware view", d->domid, SBDF_ARGS(dd->as.host),
                     err[0] ? err : strerror(-rc));
        guest_firmware_state(dd->vdev, &st);    /* startup reconciles the p2m */
    } else if (daemon_journal_get(d, &dd->as.host, &st)) {   /* xenstore may lag by */
        log_info("dom%u: state of " SBDF_FMT " from the run-dir journal", d->domid,
                 SBDF_ARGS(dd->as.host));                   /* up to STATE_FLUSH_MS */
    }
    vdev_restore_state(dd->vdev, &st);
    dd->state_dirty = true;
    return rc == 0;
}

/* The host follows the guest's Bus Master (a restarted daemon restored it)
 * only when the function may DMA (pcipt/assign/dma.h); otherwise it is off. */
static void sync_bus_master(struct daemon *d, struct daemon_dev *dd)
{
    bool on = dd->as.dma != DEV_DMA_OFF && (vdev_command(dd->vdev) & PCI_COMMAND_MASTER);
    int rc = dma_host_bus_master(dd->hd, on);

    if (rc)
        log_err("dom%u: cannot set Bus Master of %04x:%02x:%02x.%x: %s", d->domid,
                dd->as.host.seg, dd->as.host.bus, dd->as.host.dev, dd->as.host.fn,
                strerror(-rc));
}

/* Another device whose INTx line already carries the same guest SPI (fixed
 * routes share SPIs between slots: pcipt/assign/intx_route.h), or NULL. */
static struct intx_line *intx_sharer(struct daemon *d, const struct daemon_dev *dd)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *o = &d->devs[i];
        if (o != dd && o->used && o->intx.active && o->intx.spi == dd->as.spi)
            return &o->intx;
    }
    return NULL;
}

/* The INTx source: the function's uio node (uio_pci_generic: the kernel
 * tells when the line fires), else, for a function held by a driver that
 * hands no interrupt to user space (xl's pciback), a poll of its Status
 * register (pcipt/daemon/intx_poll.c). */
static int open_intx_source(struct daemon *d, struct daemon_dev *dd, int *fd,
                            const struct intx_src_ops **ops)
{
    const char *drv = hostpci_info(dd->hp)->driver;
    char err[512];
    int rc;

    rc = intx_uio_open(hostpci_sysfs_dir(dd->hp), test_env("PCIPT_UIO_DEV_DIR"), fd, err,
                       sizeof(err));
    if (!rc) {
        *ops = intx_uio_ops_for(drv);
        return 0;
    }
    if (rc == -ENOENT && !(rc = intx_poll_open(fd))) {
        *ops = &intx_poll_ops;
        log_info("dom%u: INTx of " SBDF_FMT " (driver %s, no uio) is polled every %d ms",
                 d->domid, SBDF_ARGS(dd->as.host), drv && drv[0] ? drv : "none",
                 INTX_POLL_MS);
        return 0;
    }
    log_warn("dom%u: INTx of " SBDF_FMT " will not reach SPI %u: %s", d->domid,
             SBDF_ARGS(dd->as.host), dd->as.spi, rc == -ENOENT ? err : strerror(-rc));
    return rc;
}

static void start_intx(struct daemon *d, struct daemon_dev *dd)
{
    const struct intx_src_ops *ops;
    int fd;

    if (!dd->as.spi || !dd->as.intx_pin || !dd->hp)
        return;
    if (open_intx_source(d, dd, &fd, &ops))
        return;
    if (intx_line_start_shared(&dd->intx, intx_sharer(d, dd), d->hv, d->domid, dd->as.spi,
                               dd->hd, fd, ops, (void *)dd->hd))
        close(fd);
    else
        intx_guest_disable(&dd->intx, vdev_command(dd->vdev) & PCI_CMD_INTX_DISABLE);
}

int daemon_dev_add(struct daemon *d, const struct dev_assign *as, char *err, size_t errlen)
{
    struct daemon_dev *dd = NULL;
    struct vdev_config cfg = { 0 };
    char sub[384];
    bool restored;
    int rc;

    if (daemon_dev_by_host(d, &as->host))
        return -EEXIST;
    for (unsigned i = 0; i < PCIPT_MAX_DEVS && !dd; i++)
        if (!d->devs[i].used)
            dd = &d->devs[i];
    if (!dd) {
        snprintf(err, errlen, "no room for another device");
        return -ENOSPC;
    }
    if (as->guest.seg != 0 || as->guest.bus != d->bus) {
        snprintf(err, errlen, "virtual SBDF " SBDF_FMT " is not on the served bus "
                 "0000:%02x", SBDF_ARGS(as->guest),
                 d->bus);
        return -EINVAL;
    }
    *dd = (struct daemon_dev){ .as = *as };
    dd->intx.fd = -1;
    if ((rc = hostpci_open(d->sysfs, &as->host, &dd->hp, sub, sizeof(sub)))) {
        snprintf(err, errlen, "%s", sub);
        return rc;
    }
    dd->hd = hostpci_host_dev(dd->hp);
    if ((rc = check_bars(as, dd->hd, sub, sizeof(sub))))
        goto fail;
    guest_vdev_config(as, &cfg);
    dd->msi_vits = daemon_msi_mode_vits(d, &as->host);
    cfg.hide_msi = !dd->msi_vits;
    if ((rc = hostbridge_add_device(d->hb, dd->hd, &cfg, &dd->vdev))) {
        snprintf(sub, sizeof(sub), "cannot add it at virtual slot %u.%u: %s", cfg.slot, cfg.fn,
                 strerror(-rc));
        goto fail;
    }
    dd->used = true;
    restored = initial_view(d, dd);
    sync_bus_master(d, dd);
    daemon_bars_reconcile(d, dd);
    start_intx(d, dd);
    daemon_msi_note_hidden(d, dd);
    daemon_msix_setup(d, dd, restored);
    daemon_msi_program(d, dd);
    daemon_msi_intx_sync(dd);
    if (d->page && (rc = daemon_server_claim_dev(d, dd, true))) {
        snprintf(sub, sizeof(sub), "cannot register its virtual SBDF with the IOREQ server: %s",
                 strerror(-rc));
        daemon_dev_remove(d, dd);
        snprintf(err, errlen, "%s", sub);
        return rc;
    }
    daemon_flush_state(d);
    log_info("dom%u: serving " SBDF_FMT " as " SBDF_FMT, d->domid, SBDF_ARGS(as->host),
             SBDF_ARGS(as->guest));
    return 0;
fail:
    snprintf(err, errlen, "%s", sub);
    hostpci_close(dd->hp);
    memset(dd, 0, sizeof(*dd));
    return rc;
}

void daemon_dev_remove(struct daemon *d, struct daemon_dev *dd)
{
    if (!dd->used)
        return;
    if (dd->hd)                       /* no DMA once the guest lets go (detach, death) */
        (void)dma_host_bus_master(dd->hd, false);
    intx_line_stop(&dd->intx);
    d->stats.intx_raised += dd->intx.raised;
    d->stats.intx_lowered += dd->intx.lowered;
    d->stats.intx_reraised += dd->intx.reraised;
    if (d->page)
        (void)daemon_server_claim_dev(d, dd, false);
    daemon_bars_unmap_all(d, dd);
    hostbridge_remove_device(d->hb, dd->as.guest.dev, dd->as.guest.fn);
    daemon_msix_release(dd);
    daemon_journal_drop(d, &dd->as.host);
    if (dd->hp)
        hostpci_close(dd->hp);
    log_info("dom%u: removed " SBDF_FMT " from the bus", d->domid, SBDF_ARGS(dd->as.host));
    memset(dd, 0, sizeof(*dd));
}
