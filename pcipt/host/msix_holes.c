/* MSI-X table/PBA pages of a BAR, from the host's capability list. */
#include "pcipt/host/msix_holes.h"

#include <errno.h>

#define CFG_STATUS          0x06
#define CFG_STATUS_CAP_LIST 0x10     /* PCI 3.0 §6.2.3: Capabilities List */
#define CFG_CAP_PTR         0x34
#define CAP_ID_MSIX         0x11
#define MSIX_QSIZE(ctl)     (((ctl) & 0x7ffu) + 1)   /* §6.8.2.3: Table Size is N-1 */
#define MSIX_BIR(reg)       ((reg) & 7u)             /* §6.8.2.4/5: BIR in bits 2:0 */
#define MSIX_OFFSET(reg)    ((reg) & ~7u)
#define MSIX_ENTRY_SIZE     16u
#define MAX_CAPS            48                      /* (256 - 64) / 4: loop guard */

/* Config offset of the MSI-X capability, 0 if none, -EIO on a read error. */
static int find_msix(const struct host_dev *hd)
{
    uint32_t status, ptr, id;

    if (host_cfg_read(hd, CFG_STATUS, 2, &status) || host_cfg_read(hd, CFG_CAP_PTR, 1, &ptr))
        return -EIO;
    if (!(status & CFG_STATUS_CAP_LIST))
        return 0;
    for (int i = 0; (ptr &= 0xfc) >= 0x40 && i < MAX_CAPS; i++) {
        if (host_cfg_read(hd, ptr, 1, &id))
            return -EIO;
        if (id == CAP_ID_MSIX)
            return (int)ptr;
        if (host_cfg_read(hd, ptr + 1, 1, &ptr))
            return -EIO;
    }
    return 0;
}

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
    int cap = find_msix(hd), n = 0;
    uint64_t nvec;

    if (cap <= 0 || bar >= PCI_NUM_BARS)
        return cap < 0 ? cap : 0;
    if (host_cfg_read(hd, (unsigned)cap + 2, 2, &ctl) ||
        host_cfg_read(hd, (unsigned)cap + 4, 4, &table) ||
        host_cfg_read(hd, (unsigned)cap + 8, 4, &pba))
        return -EIO;
    b = &hd->bars[bar];
    nvec = MSIX_QSIZE(ctl);
    if (MSIX_BIR(table) == bar && b->size && MSIX_OFFSET(table) < b->size)
        holes[n++] = pages_of(b, MSIX_OFFSET(table), nvec * MSIX_ENTRY_SIZE);
    /* PBA: one bit per vector, in QWORDs (§6.8.2.5) */
    if (MSIX_BIR(pba) == bar && b->size && MSIX_OFFSET(pba) < b->size)
        holes[n++] = pages_of(b, MSIX_OFFSET(pba), ((nvec + 63) / 64) * 8);
    return n;
}
