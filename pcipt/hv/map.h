/* Stage-2 mapping helpers on top of the hv backend.
 *
 * Arm's XEN_DOMCTL_memory_mapping takes at most 64 pages per call
 * (docs/xen-facts.md "64 pages per call"), so a BAR is mapped in chunks of <= 64 pages; a
 * 256 MiB BAR takes exactly 1024 calls and never sees -E2BIG.  Pages listed
 * as holes (the MSI-X table and PBA, which must stay trapped) are skipped.
 * hv_map_mmio undoes its own partial work on failure (reverse order) and
 * returns the error. */
#ifndef PCIPT_MAP_H
#define PCIPT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "pcipt/hv/hv.h"

/* A run of pages, as page indexes RELATIVE to the start of the mapping
 * (0 = the page at first gfn / first mfn). */
struct page_range {
    uint64_t first;
    uint64_t nr;
};

/* Pages covering [addr, addr + size): what iomem_permission is given for a
 * BAR (sub-page BARs round out to whole pages). */
void hv_bar_pages(uint64_t addr, uint64_t size, uint64_t *first_mfn, uint64_t *nr_pages);

/* xc_domain_iomem_permission for the pages of one BAR. */
int hv_grant_iomem(struct hv *hv, uint32_t domid, uint64_t bar_addr, uint64_t bar_size);
int hv_revoke_iomem(struct hv *hv, uint32_t domid, uint64_t bar_addr, uint64_t bar_size);

/* Map nr_pages from first_mfn at first_gfn, except the hole pages, in calls of
 * at most HV_MAX_PAGES_PER_MAPPING.  Holes may be unsorted, overlapping or
 * reach beyond nr_pages.  On failure, what this call mapped is unmapped again
 * (last chunk first) and the error returned.  *calls (optional) receives how
 * many memory_mapping calls were made, undo included. */
int hv_map_mmio(struct hv *hv, uint32_t domid, uint64_t first_gfn, uint64_t first_mfn,
                uint64_t nr_pages, const struct page_range *holes, size_t n_holes,
                uint64_t *calls);
/* Remove the same set of pages.  Best effort: every chunk is attempted even
 * after a failure (re-mapping on a failed teardown could create mappings
 * that never existed); returns the first error. */
int hv_unmap_mmio(struct hv *hv, uint32_t domid, uint64_t first_gfn, uint64_t first_mfn,
                  uint64_t nr_pages, const struct page_range *holes, size_t n_holes,
                  uint64_t *calls);

/* hv_unmap_mmio for a release that may run after the toolstack revoked the
 * domain's iomem permission (libxl's pci-detach revokes it before it tells
 * anyone: libxl_pci.c do_pci_remove).  Stock Xen <= 4.21 then refuses the
 * remove with -EPERM (common/domctl.c checks the target's permission for a
 * remove too; patch 0004 of toolstack-hooks/xen-patches/4.17 and Xen 4.22
 * do not): on -EPERM the pages are granted to the domain, removed, and
 * revoked again, with one log line saying why.  `what` names the device
 * and BAR for the log ("0000:03:00.0 BAR 0").  A grant that fails is
 * logged as an error naming the domain, device and range, and returned. */
int hv_unmap_mmio_revoked(struct hv *hv, uint32_t domid, const char *what, uint64_t first_gfn,
                          uint64_t first_mfn, uint64_t nr_pages, const struct page_range *holes,
                          size_t n_holes, uint64_t *calls);

#endif
