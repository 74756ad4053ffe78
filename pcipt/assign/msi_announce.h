/* Announcing a function to Xen's virtual ITS (docs/design/msi-announce.md).
 *
 * The guest's Linux maps a DeviceID (ITS MAPD) inside pci_alloc_irq_vectors,
 * before it writes MSI to config space, and a refused MAPD is lost silently
 * (xen-arm-dma-msi.md section 5): so attach binds guest DeviceID
 * its_guest_devid(guest SBDF) to the host function with
 * XEN_DMOP_pcipt_its_device (hv->ops->its_device) after the function is in
 * the domain's IOMMU context and before the guest can see it.  MSI is a DMA
 * write, so only a function in DMA mode iommu is announced.  What cannot be
 * announced keeps MSI off for that function (the daemon hides MSI and MSI-X;
 * the guest uses INTx): attach goes on.  Detach and a failed attach's undo
 * unbind before the function is deassigned. */
#ifndef PCIPT_MSI_ANNOUNCE_H
#define PCIPT_MSI_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/common/sbdf.h"
#include "hostbridge/hostdev.h"
#include "pcipt/assign/assign.h"
#include "pcipt/hv/hv.h"

#define MSI_NO_VITS_NOTICE "the hypervisor has no virtual ITS for domUs (Xen without " \
    "pcipt's patch 0006-arm-vits-domu-pcipt, or a host without an ITS): MSI and MSI-X " \
    "stay hidden from guests, INTx works"

struct msi_announce {
    enum dev_msi mode;              /* vits: bound */
    uint32_t guest_devid, host_devid, nr_events;
    char why[256];                  /* mode off: the reason */
};

struct msi_announce_args {
    struct hv *hv;
    uint32_t domid;
    const struct sbdf *host, *guest;
    const struct host_dev *hd;      /* the host function's config space */
    enum dev_dma dma;               /* what attach settled on */
    const char *sysfs;              /* NULL = /sys/bus/pci (the host DT cross-check) */
    const char *host_dt;            /* host FDT; NULL = ITS_HOST_FDT_DEFAULT */
};

/* Bind the function if it can be (see above); never fails.  Mode off with
 * the reason in out->why when it is not bound: no MSI capability, DMA not
 * iommu (said nowhere: attach's DMA warning covers it), -EOPNOTSUPP
 * (MSI_NO_VITS_NOTICE logged once per process), any other error (one
 * warning naming the device, domain and error).  When the host's device
 * tree yields another host DeviceID than Xen's answer, a warning. */
void msi_announce(const struct msi_announce_args *a, struct msi_announce *out);
/* Unbind guest_devid from host in domid.  A binding already gone (-ENOENT,
 * a domain gone -ESRCH, no vITS -EOPNOTSUPP) is 0: Xen's deassign and
 * domain destruction unbind too.  0 or -errno. */
int msi_unannounce(struct hv *hv, uint32_t domid, const struct sbdf *host,
                   uint32_t guest_devid);
/* Forget that MSI_NO_VITS_NOTICE was logged (tests). */
void msi_announce_reset_notice(void);

#endif
