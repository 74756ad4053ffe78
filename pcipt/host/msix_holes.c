/* MSI-X table/PBA pages of a BAR, from the host's capability list. */
#include "pcipt/host/msix_holes.h"

#include <errno.h>

#include "hostbridge/common/pci_regs.h"

/* The pages [off, off + len) of BAR b cover, relative to its first page. */
static struct page_range pages_of(const struct host_bar *b, uint64_t off, uint64_t len)
{
    uint64_t first = b->addr >> HV_PAGE_SHIFT;
    uint64_t lo = (b->addr + off) >> HV_PAGE_SHIFT;
    uint64_t hi = (b->addr + off + len - 1) >> HV_PAGE_SHIFT;

    return (struct page_range){ .first = lo - first, .nr = hi - lo + 1 };
}

int msix_bar_holes(const struct host_dev *hd, unsigned bar, struct page_range holes[2])
{
    uint32_t ctl, table, pba;
    const struct host_bar *b;
    int cap = host_find_cap(hd, PCI_CAPID_MSIX), n = 0;
    uint64_t nvec;

    if (cap <= 0 || bar >= PCI_NUM_BARS)
        return cap < 0 ? cap : 0;
    if (host_cfg_read(hd, (unsigned)cap + 2, 2, &ctl) ||
        host_cfg_read(hd, (unsigned)cap + 4, 4, &table) ||
        host_cfg_read(hd, (unsigned)cap + 8, 4, &pba))
        return -EIO;
    b = &hd->bars[bar];
    nvec = PCI_MSIX_QSIZE(ctl);
    if (PCI_MSIX_LOC_BIR(table) == bar && b->size && PCI_MSIX_LOC_OFF(table) < b->size)
        holes[n++] = pages_of(b, PCI_MSIX_LOC_OFF(table), nvec * PCI_MSIX_ENTRY_SIZE);
    /* PBA: one bit per vector, in QWORDs (§6.8.2.5) */
    if (PCI_MSIX_LOC_BIR(pba) == bar && b->size && PCI_MSIX_LOC_OFF(pba) < b->size)
        holes[n++] = pages_of(b, PCI_MSIX_LOC_OFF(pba), ((nvec + 63) / 64) * 8);
    return n;
}
