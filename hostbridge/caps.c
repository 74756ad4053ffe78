/* Capability lists (PCI Local Bus 3.0 §6.7, PCIe Base §7.6): walk the host's
 * lists with a bounded walk, keep an allowlist (PM, MSI, MSI-X, PCIe) whose
 * headers (ID and next pointer) and the header's capabilities pointer are
 * emulated, values fixed at registration (no host read on a walk), unlink
 * every other capability, and hide all extended capabilities.  With
 * vdev_config.hide_msi, MSI and MSI-X are unlinked too (the guest uses INTx). */
#include <errno.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

static int cap_setup(struct vdev *v, uint8_t id, uint16_t base)
{
    switch (id) {
    case PCI_CAPID_PM:   return v->pm_base ? -EEXIST : pm_setup(v, base);
    case PCI_CAPID_MSI:
        return v->msi_base ? -EEXIST : v->msi_hidden ? -ENOTSUP : msi_setup(v, base);
    case PCI_CAPID_MSIX: return v->msix.present ? -EEXIST : msix_setup(v, base);
    case PCI_CAPID_PCIE: return v->pcie_base ? -EEXIST : pcie_setup(v, base);
    default:          return -ENOTSUP;    /* not on the allowlist: unlinked */
    }
}

/* Legacy list: pointers must be dword aligned in 0x40..0xfc (§6.7: the
 * bottom two bits are reserved, so we mask them as software must). */
static unsigned walk_legacy(struct vdev *v, uint16_t kept[], uint8_t ids[], unsigned max)
{
    uint32_t status = 0, ptr = 0, hdr = 0;
    unsigned nkept = 0;

    if (vdev_host_read(v, PCI_CFG_STATUS, 2, &status) || !(status & PCI_STS_CAP_LIST) ||
        vdev_host_read(v, PCI_CFG_CAP_PTR, 1, &ptr))
        return 0;
    for (unsigned n = 0; ptr && n < PCI_MAX_LEGACY_CAPS; n++) {
        ptr &= 0xfc;
        if (ptr < 0x40) {
            if (ratelimit_ok(&v->rl))
                log_warn("%02x.%x: capability pointer 0x%02x out of range; list cut",
                         v->slot, v->fn, ptr);
            break;
        }
        if (vdev_host_read(v, ptr, 2, &hdr))
            break;
        if (nkept < max && cap_setup(v, hdr & 0xff, (uint16_t)ptr) == 0) {
            ids[nkept] = (uint8_t)hdr;
            kept[nkept++] = (uint16_t)ptr;
        } else
            v->caps_hidden++;
        ptr = hdr >> 8;
    }
    return nkept;
}

/* Extended list: count (and bound) what we hide; headers at 0x100..0xffc. */
static void walk_extended(struct vdev *v)
{
    uint32_t hdr, ptr = 0x100;

    for (unsigned n = 0; n < PCI_MAX_EXT_CAPS; n++) {
        if (ptr < 0x100 || ptr > 0xffc || (ptr & 3) ||
            vdev_host_read(v, ptr, 4, &hdr) || hdr == 0 || hdr == 0xffffffffu)
            return;
        v->ext_hidden++;
        ptr = hdr >> 20;
        if (!ptr)
            return;
    }
}

/* All extended capabilities are hidden: the header at 0x100 reads 0 (ID 0,
 * version 0, next 0), which Linux and lspci read as an empty list. */
static const struct reg_desc ext_hidden_regs[] = {
    { .name = "extended capability header", .offset = 0, .size = 4, .src = REG_ZERO,
      .ro = 0xffffffff },
};
const struct reg_table ext_hidden_table = REG_TABLE("hidden extended capabilities",
                                                    ext_hidden_regs, 4);

int caps_setup(struct vdev *v)
{
    uint16_t kept[PCI_MAX_LEGACY_CAPS];
    uint8_t ids[PCI_MAX_LEGACY_CAPS];
    unsigned n = walk_legacy(v, kept, ids, PCI_MAX_LEGACY_CAPS);
    struct vreg *r;

    /* Each kept header (ID, next) is emulated with the value known now. */
    for (unsigned i = 0; i < n; i++) {
        r = regset_find(&v->regs, kept[i]);
        r->val = r->reset = ids[i];
        r = regset_find(&v->regs, (uint16_t)(kept[i] + 1));
        r->val = r->reset = i + 1 < n ? kept[i + 1] : 0;
    }
    r = regset_find(&v->regs, PCI_CFG_CAP_PTR);
    r->val = r->reset = n ? kept[0] : 0;
    r = regset_find(&v->regs, 0x06);
    r->val = r->reset = n ? PCI_STS_CAP_LIST : 0;
    if (v->hd->cfg_size > 256) {
        walk_extended(v);
        return regset_add_table(&v->regs, &ext_hidden_table, 0x100, 4, -1);
    }
    return 0;
}
