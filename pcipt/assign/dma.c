/* DMA isolation: see pcipt/assign/dma.h. */
#include "pcipt/assign/dma.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostbridge/common/log.h"

static const char *const dma_names[] = {
    [DEV_DMA_OFF] = "off", [DEV_DMA_IOMMU] = "iommu", [DEV_DMA_UNSAFE] = "unsafe",
};

const char *dev_dma_name(enum dev_dma m)
{
    return (unsigned)m < sizeof(dma_names) / sizeof(dma_names[0]) ? dma_names[m] : "off";
}

int dev_dma_parse(const char *s, enum dev_dma *out)
{
    for (unsigned i = 0; i < sizeof(dma_names) / sizeof(dma_names[0]); i++)
        if (s && !strcmp(s, dma_names[i])) {
            *out = (enum dev_dma)i;
            return 0;
        }
    return -EINVAL;
}

int dma_host_bus_master_get(const struct host_dev *hd)
{
    uint32_t cmd;
    int rc = host_cfg_read(hd, 0x04, 2, &cmd);

    if (rc)
        return rc;
    return cmd != 0xffff && (cmd & PCI_COMMAND_MASTER) ? 1 : 0;
}

int dma_host_bus_master(const struct host_dev *hd, bool on)
{
    uint32_t cmd, want;
    int rc = host_cfg_read(hd, 0x04, 2, &cmd);

    if (rc)
        return rc;
    if (cmd == 0xffff)
        return 0;
    want = on ? cmd | PCI_COMMAND_MASTER : cmd & ~(uint32_t)PCI_COMMAND_MASTER;
    return want == cmd ? 0 : host_cfg_write(hd, 0x04, 2, want);
}

static uint32_t machine_sbdf(const struct sbdf *s)
{
    return hv_machine_sbdf(s->seg, s->bus, s->dev, s->fn);
}

/* Why the assignment failed, for the warning: the IOMMU's absence says it
 * best; otherwise the call and its errno. */
static void explain(struct hv *hv, const char *call, int rc, struct dma_setup *out)
{
    if (hv->ops->iommu_enabled && hv->ops->iommu_enabled(hv) == 0)
        snprintf(out->why, sizeof(out->why), "the hypervisor runs no IOMMU (%s: %s)", call,
                 strerror(-rc));
    else
        snprintf(out->why, sizeof(out->why), "the hypervisor cannot assign it to an IOMMU "
                 "context (%s: %s)", call, strerror(-rc));
}

int dma_setup(struct hv *hv, uint32_t domid, const struct sbdf *host, const struct host_dev *hd,
              bool unsafe, struct dma_setup *out, char *err, size_t errlen)
{
    char name[SBDF_STR_LEN];
    const char *call = "xc_test_assign_device";
    int rc;

    *out = (struct dma_setup){ .mode = DEV_DMA_OFF };
    /* No DMA before the IOMMU context is in place (whatever firmware or a
     * dom0 driver left set). */
    if ((rc = dma_host_bus_master(hd, false))) {
        snprintf(err, errlen, "cannot clear Bus Master of %s: %s", sbdf_format(host, name),
                 strerror(-rc));
        return rc;
    }
    if (!hv->ops->assign_device)
        rc = -EOPNOTSUPP;
    else if (!(rc = hv->ops->test_assign_device(hv, domid, machine_sbdf(host)))) {
        call = "xc_assign_device";
        rc = hv->ops->assign_device(hv, domid, machine_sbdf(host));
    }
    if (!rc) {
        out->mode = DEV_DMA_IOMMU;
        out->assigned = true;
        return 0;
    }
    explain(hv, call, rc, out);
    out->mode = unsafe ? DEV_DMA_UNSAFE : DEV_DMA_OFF;
    return 0;
}

int dma_guest_holds(struct hv *hv, uint32_t domid, const struct sbdf *host)
{
    int rc;

    if (!hv->ops->assign_device || !hv->ops->test_assign_device)
        return 0;
    rc = hv->ops->test_assign_device(hv, domid, machine_sbdf(host));
    if (rc == -EINVAL || rc == -EBUSY)
        return 1;
    return rc == 0 || rc == -EOPNOTSUPP || rc == -ENOSYS ? 0 : rc;
}

int dma_setup_adopted(struct hv *hv, uint32_t domid, const struct sbdf *host,
                      const struct host_dev *hd, bool unsafe, struct dma_setup *out, char *err,
                      size_t errlen)
{
    char name[SBDF_STR_LEN];
    int rc;

    if (dma_guest_holds(hv, domid, host) != 1)
        return dma_setup(hv, domid, host, hd, unsafe, out, err, errlen);
    *out = (struct dma_setup){ .mode = DEV_DMA_IOMMU };
    if ((rc = dma_host_bus_master(hd, false))) {
        snprintf(err, errlen, "cannot clear Bus Master of %s: %s", sbdf_format(host, name),
                 strerror(-rc));
        return rc;
    }
    return 0;
}

void dma_warn(const struct sbdf *host, const struct dma_setup *s)
{
    char name[SBDF_STR_LEN];

    sbdf_format(host, name);
    if (s->mode == DEV_DMA_OFF)
        log_warn("%s: DMA off: %s; the guest's Bus Master stays off (use --unsafe-dma to "
                 "allow DMA without isolation)", name, s->why);
    else if (s->mode == DEV_DMA_UNSAFE)
        log_warn("%s: DMA NOT ISOLATED (--unsafe-dma): %s; the guest can read and write "
                 "all host memory", name, s->why);
}

int dma_deassign(struct hv *hv, uint32_t owner, const struct sbdf *host)
{
    int rc;

    if (!hv->ops->deassign_device)
        return 0;
    rc = hv->ops->deassign_device(hv, owner, machine_sbdf(host));
    return rc == -ENODEV || rc == -EOPNOTSUPP ? 0 : rc;
}
