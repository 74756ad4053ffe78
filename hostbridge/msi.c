/* MSI capability (PCI Local Bus 3.0 §6.8.1), fully emulated: enable,
 * Multiple Message Enable (up to what the host's Multiple Message Capable
 * offers), address, data, per-vector mask and pending bits.  Nothing is
 * written to the host; changes are reported as VDEV_EV_MSI. */
#include <errno.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

static void msi_report(struct vdev *v, uint32_t val, uint32_t old)
{
    if (val != old) {
        struct vdev_event ev = { .type = VDEV_EV_MSI, .bar = -1 };
        vdev_emit(v, &ev);
    }
}

static void msi_ctrl_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    unsigned mmc = (val & PCI_MSI_CTRL_MMC) >> 1, mme = (val & PCI_MSI_CTRL_MME) >> 4;
    if (mme > mmc) {    /* §6.8.1.3: MME must not exceed MMC; clamp it */
        r->val = (r->val & ~PCI_MSI_CTRL_MME) | (mmc << 4);
        val = (val & ~PCI_MSI_CTRL_MME) | (mmc << 4);
    }
    msi_report(v, val, old);
}

static void msi_changed(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    msi_report(v, val, old);
}

static void msi_mask_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    /* Mask bits of vectors the function cannot have are reserved. */
    uint32_t valid = v->msi_max >= 32 ? 0xffffffffu : (1u << v->msi_max) - 1;
    r->val &= valid;
    msi_report(v, val & valid, old);
}

#define MSI_HEAD                                                                     \
    CAP_HDR_REGS,                                                                    \
    { .name = "MSI control", .offset = 2, .size = 2, .src = REG_EMULATED,            \
      .ro = PCI_MSI_CTRL_MMC | PCI_MSI_CTRL_64 | PCI_MSI_CTRL_PVM, .rsvdp = 0xfe00,              \
      .write = msi_ctrl_write },                                                     \
    { .name = "MSI address", .offset = 4, .size = 4, .src = REG_EMULATED, .rsvdz = 0x3, \
      .write = msi_changed }
#define MSI_TAIL(o)                                                                  \
    { .name = "MSI data", .offset = (o), .size = 2, .src = REG_EMULATED, .write = msi_changed }, \
    { .name = "MSI extended data", .offset = (o) + 2, .size = 2, .src = REG_ZERO, .ro = 0xffff }, \
    { .name = "MSI mask", .offset = (o) + 4, .size = 4, .src = REG_EMULATED, .write = msi_mask_write }, \
    { .name = "MSI pending", .offset = (o) + 8, .size = 4, .src = REG_EMULATED, .ro = 0xffffffff }

static const struct reg_desc msi32_regs[] = { MSI_HEAD, MSI_TAIL(0x08) };
static const struct reg_desc msi64_regs[] = {
    MSI_HEAD,
    { .name = "MSI upper address", .offset = 8, .size = 4, .src = REG_EMULATED, .write = msi_changed },
    MSI_TAIL(0x0c),
};
const struct reg_table msi32_table = REG_TABLE("MSI 32-bit", msi32_regs, 0x14);
const struct reg_table msi64_table = REG_TABLE("MSI 64-bit", msi64_regs, 0x18);

int msi_setup(struct vdev *v, uint16_t base)
{
    uint32_t ctrl;
    int rc = vdev_host_read(v, base + 2u, 2, &ctrl);
    if (rc)
        return rc;
    bool is64 = ctrl & PCI_MSI_CTRL_64, pvm = ctrl & PCI_MSI_CTRL_PVM;
    unsigned mmc = (ctrl & PCI_MSI_CTRL_MMC) >> 1;
    if (mmc > 5)        /* 110b and 111b are reserved encodings */
        mmc = 5;
    const struct reg_table *t = is64 ? &msi64_table : &msi32_table;
    /* Without per-vector masking the capability ends after the data. */
    uint16_t limit = pvm ? t->span : (is64 ? 0x10 : 0x0c);
    if (base + limit > 0x100)
        return -EINVAL;
    if ((rc = regset_add_table(&v->regs, t, base, limit, -1)))
        return rc;
    struct vreg *r = regset_find(&v->regs, base + 2u);
    r->val = r->reset = (ctrl & (PCI_MSI_CTRL_64 | PCI_MSI_CTRL_PVM)) | (mmc << 1);
    v->msi_base = base;
    v->msi_is64 = is64;
    v->msi_maskable = pvm;
    v->msi_max = 1u << mmc;
    return 0;
}

int vdev_msi_set_pending(struct vdev *v, uint32_t pending)
{
    if (!v->msi_base || !v->msi_maskable)
        return -ENODEV;
    uint32_t valid = v->msi_max >= 32 ? 0xffffffffu : (1u << v->msi_max) - 1;
    pthread_mutex_lock(&v->lock);
    regset_find(&v->regs, v->msi_base + (v->msi_is64 ? 0x14u : 0x10u))->val = pending & valid;
    pthread_mutex_unlock(&v->lock);
    return 0;
}
