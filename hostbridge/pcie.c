/* PCI Express capability (PCIe Base §7.5.3) for endpoints: capability,
 * device/link capability and status registers from the host, read-only;
 * Device Control, Link Control and Device Control 2 emulated (initialised
 * from the host, never written to it); slot and root registers read 0.
 * Initiate Function Level Reset (Device Control bit 15) becomes VDEV_EV_FLR. */
#include <errno.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

static void devctl_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    if (!(val & PCIE_DEVCTL_FLR))
        return;
    r->val &= ~PCIE_DEVCTL_FLR;     /* §7.5.3.4: Initiate FLR always reads 0 */
    vdev_function_reset_locked(v);
}

#define RO(o, sz, nm)  { .name = nm, .offset = o, .size = sz, .src = REG_HOST_RO, \
                         .ro = (uint32_t)((1ull << ((sz) * 8)) - 1) }
#define Z(o, sz, nm)   { .name = nm, .offset = o, .size = sz, .src = REG_ZERO, \
                         .ro = (uint32_t)((1ull << ((sz) * 8)) - 1) }
static const struct reg_desc pcie_regs[] = {
    CAP_HDR_REGS,
    RO(0x02, 2, "PCIe capabilities"),
    RO(0x04, 4, "device capabilities"),
    { .name = "device control", .offset = 0x08, .size = 2, .src = REG_EMULATED, .write = devctl_write },
    RO(0x0a, 2, "device status"),
    RO(0x0c, 4, "link capabilities"),
    { .name = "link control", .offset = 0x10, .size = 2, .src = REG_EMULATED },
    RO(0x12, 2, "link status"),
    Z(0x14, 4, "slot capabilities"), Z(0x18, 2, "slot control"), Z(0x1a, 2, "slot status"),
    Z(0x1c, 2, "root control"), Z(0x1e, 2, "root capabilities"), Z(0x20, 4, "root status"),
    RO(0x24, 4, "device capabilities 2"),
    { .name = "device control 2", .offset = 0x28, .size = 2, .src = REG_EMULATED },
    Z(0x2a, 2, "device status 2"),
    RO(0x2c, 4, "link capabilities 2"),
    RO(0x30, 2, "link control 2"),
    RO(0x32, 2, "link status 2"),
    Z(0x34, 4, "slot capabilities 2"), Z(0x38, 2, "slot control 2"), Z(0x3a, 2, "slot status 2"),
};
const struct reg_table pcie_table = REG_TABLE("PCI Express", pcie_regs, 0x3c);

/* Read the control registers' initial values before registering anything,
 * so a failed read leaves no half-registered capability behind. */
int pcie_setup(struct vdev *v, uint16_t base)
{
    static const uint8_t ctl[] = { 0x08, 0x10, 0x28 };
    uint32_t caps, init[3] = { 0 };
    int rc = vdev_host_read(v, base + 2u, 2, &caps);
    if (rc)
        return rc;
    unsigned type = (caps >> 4) & 0xf, version = caps & 0xf;
    if (type != PCIE_TYPE_ENDPOINT && type != PCIE_TYPE_LEGACY && type != PCIE_TYPE_RCIEP)
        return -ENOTSUP;
    /* Version 1 capabilities end after the root registers (0x24). */
    uint16_t limit = version >= 2 ? 0x3c : 0x24;
    unsigned nctl = version >= 2 ? 3 : 2;
    if (base + limit > 0x100)
        return -EINVAL;
    for (unsigned i = 0; i < nctl; i++)
        if ((rc = vdev_host_read(v, base + ctl[i], 2, &init[i])))
            return rc;
    if ((rc = regset_add_table(&v->regs, &pcie_table, base, limit, -1)))
        return rc;
    for (unsigned i = 0; i < nctl; i++) {
        struct vreg *r = regset_find(&v->regs, (uint16_t)(base + ctl[i]));
        r->val = r->reset = init[i] & ~PCIE_DEVCTL_FLR & 0xffff;
    }
    v->pcie_base = base;
    return 0;
}
