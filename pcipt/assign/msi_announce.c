/* Announcing a function to Xen's virtual ITS at attach, and the unbind (see
 * msi_announce.h; the interface: toolstack-hooks/xen-patches/4.17/
 * 0006-arm-vits-domu-pcipt.patch, the dm_op.h comment). */
#include "pcipt/assign/msi_announce.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "its/its.h"

static atomic_bool notice_logged;

static const char *const msi_names[] = { [DEV_MSI_OFF] = "off", [DEV_MSI_VITS] = "vits" };

const char *dev_msi_name(enum dev_msi m)
{
    return (unsigned)m < sizeof(msi_names) / sizeof(msi_names[0]) ? msi_names[m] : "off";
}

int dev_msi_parse(const char *s, enum dev_msi *out)
{
    for (unsigned i = 0; s && i < sizeof(msi_names) / sizeof(msi_names[0]); i++)
        if (!strcmp(s, msi_names[i])) {
            *out = (enum dev_msi)i;
            return 0;
        }
    return -EINVAL;
}

void msi_announce_reset_notice(void)
{
    atomic_store(&notice_logged, false);
}

static int its_device(struct hv *hv, uint32_t domid, uint32_t gdev, const struct sbdf *host,
                      uint32_t nr_events, bool bind, uint32_t *hdev)
{
    uint32_t sbdf = hv_machine_sbdf(host->seg, host->bus, host->dev, host->fn);

    if (!hv->ops->its_device)
        return -EOPNOTSUPP;
    return hv->ops->its_device(hv, domid, gdev, sbdf, nr_events, bind, hdev);
}

/* The host device tree's idea of the host DeviceID (its/its_fdt.c), checked
 * against Xen's: both apply the host bridge's msi-map, so a difference
 * means Xen and dom0 see different trees.  No tree, no msi-map: nothing to
 * compare (Xen would have refused with -ENODEV). */
static void cross_check(const struct msi_announce_args *a, uint32_t xen_devid)
{
    const char *path = a->host_dt ? a->host_dt : ITS_HOST_FDT_DEFAULT;
    char e[512], name[SBDF_STR_LEN];
    void *fdt = NULL;
    uint32_t devid;

    if (its_fdt_read(path, &fdt, e, sizeof(e)))
        return;
    if (!its_host_devid_fdt(fdt, a->sysfs, a->host, &devid, e, sizeof(e)) && devid != xen_devid)
        log_warn("dom%u: %s: Xen bound host ITS DeviceID %#x but the host device tree %s "
                 "gives %#x: the device's MSIs may not arrive", a->domid,
                 sbdf_format(a->host, name), xen_devid, path, devid);
    free(fdt);
}

static void set_off(struct msi_announce *out, const char *fmt, const char *arg)
{
    out->mode = DEV_MSI_OFF;
    snprintf(out->why, sizeof(out->why), fmt, arg);
}

void msi_announce(const struct msi_announce_args *a, struct msi_announce *out)
{
    char name[SBDF_STR_LEN], e[256];
    int rc;

    memset(out, 0, sizeof(*out));
    sbdf_format(a->host, name);
    rc = its_device_events(a->hd, &out->nr_events, e, sizeof(e));
    if (rc == -ENOENT)
        return set_off(out, "%s", "no MSI capability");
    if (rc)
        return set_off(out, "%s", e);
    if (a->dma != DEV_DMA_IOMMU)
        return set_off(out, "%s", "MSI is a DMA write and the function is not in the "
                       "domain's IOMMU context");
    out->guest_devid = its_guest_devid(a->guest);
    rc = its_device(a->hv, a->domid, out->guest_devid, a->host, out->nr_events, true,
                    &out->host_devid);
    if (rc == -EOPNOTSUPP) {
        if (!atomic_exchange(&notice_logged, true))
            log_warn("%s", MSI_NO_VITS_NOTICE);
        return set_off(out, "%s", "the hypervisor has no virtual ITS for domUs");
    }
    if (rc) {
        snprintf(e, sizeof(e), "binding guest DeviceID %#x of domain %u to %s in Xen's "
                 "virtual ITS failed: %s", out->guest_devid, a->domid, name, strerror(-rc));
        log_warn("%s; its MSI and MSI-X stay hidden, INTx works", e);
        return set_off(out, "%s", e);
    }
    out->mode = DEV_MSI_VITS;
    cross_check(a, out->host_devid);
}

int msi_unannounce(struct hv *hv, uint32_t domid, const struct sbdf *host,
                   uint32_t guest_devid)
{
    int rc = its_device(hv, domid, guest_devid, host, 0, false, NULL);

    return rc == -ENOENT || rc == -ESRCH || rc == -EOPNOTSUPP ? 0 : rc;
}
