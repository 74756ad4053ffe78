/* Putting a host PCI function into a running guest and taking it out again
 * (docs/design/attach.md "attach, in order", "detach, in order"):
 *
 *   attach: check (domain exists, device assignable, not attached anywhere,
 *           slot free, layout fits) before anything is touched -> clear the
 *           host's Bus Master and assign the function to the domain's IOMMU
 *           context (pcipt/assign/dma.h; DMA stays off if that is
 *           impossible, unless ATTACH_UNSAFE_DMA) -> announce it to Xen's
 *           virtual ITS (pcipt/assign/msi_announce.h; MSI stays off where
 *           it cannot be) -> grant iomem
 *           per memory BAR -> map each BAR at its planned guest address in
 *           <= 64-page calls, MSI-X table/PBA pages left out -> publish the
 *           device and its p2m records in one xenstore transaction.
 *           Any failure undoes what was done, in reverse order, down to
 *           giving the function back to the dom0 driver --bind took it from.
 *   detach: hand the device back from a live daemon (state-N 5 -> 6, <= the
 *           timeout) -> unmap what the p2m records say is mapped -> revoke
 *           iomem -> unannounce from the vITS -> clear the host's Bus
 *           Master, deassign -> remove the
 *           xenstore nodes.  Best effort: every step is
 *           tried, the first error is returned.
 *
 * Both return 0 or -errno with a one-line sentence in err naming the
 * device, BAR, domain or path at fault. */
#ifndef PCIPT_ATTACH_H
#define PCIPT_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xenstore.h>

#include "pcipt/assign/assign.h"
#include "pcipt/assign/dma.h"
#include "pcipt/assign/msi_announce.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/hv/hv.h"
#include "pcipt/hv/map.h"
#include "hostbridge/common/sbdf.h"
#include "pcipt/util/env.h"

#define ATTACH_BIND     0x1u    /* hand the function to ATTACH_HOLDER first */
#define ATTACH_FORCE    0x2u    /* accept a function without a reset method (never a
                                   sub-page BAR sharing its page with another domain's
                                   or dom0's function: pcipt/host/subpage.h) */
#define ATTACH_VERBOSE  0x4u    /* one line per BAR (and totals) to ctx->out */
#define ATTACH_UNSAFE_DMA 0x10u /* without an IOMMU context, let the guest's Bus
                                   Master reach the host anyway (pcipt/assign/dma.h) */
#define ATTACH_PREVIEW  0x100u  /* pcipt simulate: a dom0 driver or no reset method
                                   is a warning, not a refusal (hostpci_check_preview) */
#define ATTACH_ADOPT    0x8u    /* the device is libxl's be/dev-<ctx->adopt_index>
                                   (xl pci-attach): publish pcipt's nodes beside
                                   libxl's (xsp_adopt_device_mapped) */

/* The daemon relays INTx through /dev/uioN (pcipt/daemon/intx.h: Xen 4.17 on Arm
 * keeps the host bridge's SPIs in dom0), so --bind hands the function to
 * uio_pci_generic; with pciback the guest would get no interrupt. */
#define ATTACH_HOLDER   "uio_pci_generic"
#define DETACH_TIMEOUT_MS 10000  /* how long detach waits for the daemon */

struct attach_ctx {
    struct hv *hv;
    struct xs_handle *xs;
    const char *sysfs;              /* NULL = /sys/bus/pci */
    const char *host_dt;            /* host FDT (msi_announce's check); NULL = default */
    struct guest_layout layout;
    FILE *out;                      /* verbose lines; NULL = stdout */
    int detach_timeout_ms;          /* 0 = DETACH_TIMEOUT_MS */
    unsigned adopt_index;           /* with ATTACH_ADOPT: libxl's N */
    struct dev_assign *result;      /* optional: the device as published */
    const struct sbdf *group;       /* optional: the request's other functions (pcipt
                                       create), which may share a host page with a
                                       sub-page BAR of this one (pcipt/host/subpage.h) */
    unsigned ngroup;
    struct hostpci_handover *handover;  /* optional: on success, what ATTACH_BIND changed
                                           (->changed false: nothing), for a caller that
                                           undoes the attach later (attach_give_back) */
};

/* Open the hypervisor backend (env->hv) and xenstore, and with with_layout
 * load the layout (env->config; attach needs it, detach not); ctx->sysfs is
 * env->sysfs.  0, or -errno with a sentence in err (nothing left open). */
int attach_ctx_open(struct attach_ctx *ctx, const struct pcipt_env *env, bool with_layout,
                    char *err, size_t errlen);
void attach_ctx_close(struct attach_ctx *ctx);

/* slot: 1..31, or -1 for the lowest free one; fn: the function there, 0..7
 * (> 0 only with a slot whose function 0 is assigned).  On success *guest
 * (optional) receives the virtual SBDF. */
int attach_device(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, int slot,
                  int fn, unsigned flags, struct sbdf *guest, char *err, size_t errlen);
int detach_device(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, char *err,
                  size_t errlen);
/* Give a function that ATTACH_BIND handed to the holder back to its driver
 * (hostpci_give_back under ctx->sysfs), for a caller that undoes a
 * successful attach.  On failure, sep + "could not give [SBDF|it] back to
 * 'DRIVER': WHY" is appended to err.  0 or -errno. */
int attach_give_back(const struct attach_ctx *ctx, const struct hostpci_handover *ho,
                     const char *sep, bool name_dev, char *err, size_t errlen);

/* Internal to pcipt/assign/attach*.c and pcipt/assign/detach.c. */
struct attach_job {
    uint32_t domid;
    struct dev_assign dev;                          /* as planned */
    struct page_range holes[PCI_NUM_RES][2];        /* MSI-X table/PBA pages */
    unsigned nholes[PCI_NUM_RES];
    bool granted[PCI_NUM_RES], mapped[PCI_NUM_RES];
    struct hostpci_handover handover;               /* what ATTACH_BIND changed */
    struct dma_setup dma;                           /* dma.assigned: undo deassigns */
    struct msi_announce msi;                        /* mode vits: undo unbinds */
};

/* Is BAR b given to the guest (memory, incl. ROM) / mapped at attach
 * (memory BARs; the ROM only when the guest enables it). */
bool attach_bar_granted(const struct bar_assign *b);
bool attach_bar_mapped_at_attach(const struct bar_assign *b);
/* "BAR 3" or "ROM" into buf (>= 8 bytes). */
const char *attach_bar_label(unsigned i, char *buf);

/* The checks and the plan (pcipt/assign/attach_check.c): nothing is touched. */
int attach_prepare(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, int slot,
                   int fn, unsigned flags, struct attach_job *job, char *err, size_t errlen);
/* Does another function published for domid have a memory BAR in the
 * host pages of [addr, addr + size)?  Only sub-page BARs can share a page
 * (pcipt/host/subpage.h); the iomem permission of a shared page stays until
 * the last of them leaves (Xen's permission is per page, not per device). */
bool attach_page_shared(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                        uint64_t addr, uint64_t size);
/* The MSI-X pages of each BAR of the host function (job->holes). */
int attach_find_holes(const struct host_dev *hd, struct attach_job *job, char *err,
                      size_t errlen);

#endif
