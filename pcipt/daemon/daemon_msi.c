/* MSI/MSI-X of the daemon's devices through its/ (docs/xen-facts.md "vITS").
 *
 * Xen binds a guest (DeviceID, EventID) to the host device by the host
 * ITS DeviceID, which only the host device tree knows: the host bridge's
 * msi-map applied to the device's RID.  The daemon reads the flattened
 * tree the dom0 kernel booted with (/sys/firmware/fdt, --host-dt) once, at
 * the first device, and looks each device up when it is added.  No tree,
 * no msi-map covering the RID: MSI stays off for that device (no bind is
 * ever asked for), said once, and INTx works as before. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "its/its.h"
#include "pcipt/daemon/daemon.h"
#include "hostbridge/common/log.h"

static const void *host_fdt(struct daemon *d)
{
    const char *path = d->host_dt ? d->host_dt : ITS_HOST_FDT_DEFAULT;
    char err[512];

    if (d->host_fdt_tried)
        return d->host_fdt;
    d->host_fdt_tried = true;
    if (its_fdt_read(path, &d->host_fdt, err, sizeof(err)))
        log_warn("dom%u: no host ITS DeviceIDs, so MSI stays off for every device (INTx "
                 "works): %s", d->domid, err);
    return d->host_fdt;
}

void daemon_msi_setup(struct daemon *d, struct daemon_dev *dd)
{
    const void *fdt = host_fdt(d);
    const struct sbdf *h = &dd->as.host;
    char err[512];

    dd->has_host_devid = false;
    if (!fdt)
        return;
    if (its_host_devid_fdt(fdt, d->sysfs, h, &dd->host_devid, err, sizeof(err))) {
        log_warn("dom%u: MSI of " SBDF_FMT " stays off (INTx works): %s", d->domid,
                 SBDF_ARGS(*h), err);
        return;
    }
    dd->has_host_devid = true;
    log_info("dom%u: " SBDF_FMT " has host ITS DeviceID %#x", d->domid, SBDF_ARGS(*h),
             dd->host_devid);
}

/* The device's DeviceID is bound to Xen's vITS at attach (pcipt/assign/
 * msi_announce.h), not per event: nothing to ask the hypervisor here. */
void daemon_msi_enabled(struct daemon *d, struct daemon_dev *dd)
{
    struct msi_info mi;
    struct msix_info xi;

    (void)d;
    vdev_msi_info(dd->vdev, &mi);
    vdev_msix_info(dd->vdev, &xi);
    if (mi.enabled || xi.enabled)
        dd->msi_noted = true;
}

void daemon_msi_release(struct daemon *d)
{
    free(d->host_fdt);
    d->host_fdt = NULL;
    d->host_fdt_tried = false;
}
