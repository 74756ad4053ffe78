/* DMA isolation of an assigned function (docs/design/dma.md).
 *
 * A bus-master function a domU programs puts guest physical addresses on
 * the bus; without an IOMMU they are host physical addresses, so the guest
 * could read and write all host memory (xen-arm-dma-msi.md section 1).
 * With the function assigned to the domain's SMMU context, its DMA is
 * translated by the domain's p2m.  So attach assigns the function
 * (xc_test_assign_device, xc_assign_device) before the guest can touch it;
 * when that is impossible the function's DMA stays off (host Bus Master
 * cleared, the guest's reads 0) unless the operator asked for
 * --unsafe-dma.  Detach and domain death clear the host's Bus Master first,
 * then deassign. */
#ifndef PCIPT_DMA_H
#define PCIPT_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "pcipt/assign/assign.h"
#include "pcipt/hv/hv.h"

#define PCI_COMMAND_MASTER 0x0004   /* Command bit 2 (PCI 3.0 §6.2.2) */

/* Set or clear the host function's Command.BusMaster (read-modify-write;
 * a function reading all-ones is gone: nothing to do).  0 or -errno. */
int dma_host_bus_master(const struct host_dev *hd, bool on);
/* 1 if the host's Command.BusMaster is set, 0 if not, -errno. */
int dma_host_bus_master_get(const struct host_dev *hd);

struct dma_setup {
    enum dev_dma mode;
    bool assigned;                  /* xc_assign_device succeeded: undo deassigns */
    char why[200];                  /* the reason mode is not iommu */
};

/* Clear host Bus Master on hd, then try to assign host to domid.  Never
 * fails for a refused assignment (that is mode off, or unsafe when
 * unsafe): only for a host Bus Master that cannot be cleared.  0 or -errno
 * with a sentence in err. */
int dma_setup(struct hv *hv, uint32_t domid, const struct sbdf *host, const struct host_dev *hd,
              bool unsafe, struct dma_setup *out, char *err, size_t errlen);
/* Does a guest hold host in its IOMMU context?  Xen's
 * XEN_DOMCTL_test_assign_device refuses such a function with -EINVAL
 * ("already assigned, or non-existent"), the simulator with -EBUSY; it
 * cannot say which guest.  1, 0 (assignable, or no IOMMU), or -errno. */
int dma_guest_holds(struct hv *hv, uint32_t domid, const struct sbdf *host);
/* The same for a function xl pci-attach listed (ATTACH_ADOPT): libxl
 * assigned it to domid before it wrote its nodes (libxl_pci.c
 * pci_add_dm_done; only ENOSYS goes on without), so the hypervisor refusing
 * it as assigned to a guest means domid's IOMMU context holds it: mode
 * iommu, not assigned by pcipt (libxl deassigns on xl pci-detach).  One
 * that no guest holds is assigned as dma_setup does. */
int dma_setup_adopted(struct hv *hv, uint32_t domid, const struct sbdf *host,
                      const struct host_dev *hd, bool unsafe, struct dma_setup *out, char *err,
                      size_t errlen);
/* The one warning for mode off/unsafe (nothing for iommu), log_warn. */
void dma_warn(const struct sbdf *host, const struct dma_setup *s);
/* Deassign host from owner (a domid, or HV_DOMID_IO for a function Xen
 * quarantined when its domain died).  A function the owner does not hold
 * (-ENODEV) or a hypervisor without an IOMMU (-EOPNOTSUPP) is not an
 * error.  0 or -errno. */
int dma_deassign(struct hv *hv, uint32_t owner, const struct sbdf *host);

#endif
