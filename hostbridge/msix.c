/* MSI-X capability (PCI Local Bus 3.0 §6.8.2): Enable and Function Mask are
 * emulated (VDEV_EV_MSIX on change); Table Size, Table and PBA location come
 * from the host, read-only, and are reported through vdev_msix_info so the
 * service keeps those pages unmapped; the table and PBA behind them are
 * hostbridge/msix_table.c. */
#include <errno.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

static void msix_ctrl_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    if ((val ^ old) & (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASK)) {
        struct vdev_event ev = { .type = VDEV_EV_MSIX, .bar = -1 };
        vdev_emit(v, &ev);
    }
}

static const struct reg_desc msix_regs[] = {
    CAP_HDR_REGS,
    { .name = "MSI-X control", .offset = 2, .size = 2, .src = REG_EMULATED,
      .ro = PCI_MSIX_CTRL_SIZE, .rsvdp = 0x3800, .write = msix_ctrl_write },
    { .name = "MSI-X table", .offset = 4, .size = 4, .src = REG_HOST_RO, .ro = 0xffffffff },
    { .name = "MSI-X PBA", .offset = 8, .size = 4, .src = REG_HOST_RO, .ro = 0xffffffff },
};
const struct reg_table msix_table = REG_TABLE("MSI-X", msix_regs, 12);

/* A location must name an implemented memory BAR and fit inside it. */
static int msix_where(struct vdev *v, uint32_t reg, uint64_t size, int *bar, uint64_t *off)
{
    unsigned bir = reg & 7;
    *bar = (int)bir;
    *off = reg & ~7u;
    if (bir >= PCI_NUM_BARS || v->bars[bir].type == BAR_NONE || *off + size > v->bars[bir].size)
        return -EINVAL;
    return 0;
}

int msix_locate(struct vdev *v, uint16_t base, struct msix_info *out)
{
    uint32_t ctrl, tbl, pba;
    int rc;

    if (base + 12u > 0x100)
        return -EINVAL;
    if ((rc = vdev_host_read(v, base + 2u, 2, &ctrl)) || (rc = vdev_host_read(v, base + 4u, 4, &tbl)) ||
        (rc = vdev_host_read(v, base + 8u, 4, &pba)))
        return rc;
    unsigned n = (ctrl & PCI_MSIX_CTRL_SIZE) + 1;
    struct msix_info info = { .present = true, .nr_entries = n, .table_size = n * 16ull,
                              .pba_size = ((n + 63) / 64) * 8ull };
    if ((rc = msix_where(v, tbl, info.table_size, &info.table_bar, &info.table_offset)) ||
        (rc = msix_where(v, pba, info.pba_size, &info.pba_bar, &info.pba_offset)))
        return rc;      /* a capability that points outside its BAR is hidden */
    *out = info;
    return 0;
}

int msix_setup(struct vdev *v, uint16_t base)
{
    struct msix_info info;
    uint32_t ctrl;
    int rc;

    if ((rc = msix_locate(v, base, &info)) || (rc = vdev_host_read(v, base + 2u, 2, &ctrl)))
        return rc;
    if (v->msi_hidden) {
        /* Unlinked, but its pages stay trapped: the guest must not reach
         * the physical table through a direct mapping. */
        info.hidden = true;
        v->msix = info;
        return msix_table_alloc(v) ? -ENOMEM : -ENOTSUP;
    }
    if ((rc = regset_add_table(&v->regs, &msix_table, base, 12, -1)))
        return rc;
    struct vreg *r = regset_find(&v->regs, base + 2u);
    r->val = r->reset = ctrl & PCI_MSIX_CTRL_SIZE;
    v->msix = info;
    v->msix_base = base;
    return msix_table_alloc(v);
}
