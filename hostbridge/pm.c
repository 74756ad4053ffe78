/* Power Management capability (PCI PM 1.2 §3.2) with PME switched off: the
 * PME_Support bits read 0 and PME_En cannot be set, so the guest never arms
 * wake-up events we could not deliver.  The power state is emulated. */
#include "hostbridge/vdev.h"

#define PMCSR_NO_SOFT_RESET 0x0008

static const struct reg_desc pm_regs[] = {
    CAP_HDR_REGS,
    /* PMC: version, D1/D2 support etc. from the host; PME_Support (15:11) 0. */
    { .name = "PMC", .offset = 2, .size = 2, .src = REG_MIXED, .host_mask = 0x07ff, .ro = 0xffff },
    /* PMCSR: PowerState (1:0) RW; No_Soft_Reset (3) RO; PME_En (8), Data_Scale
     * (14:13), PME_Status (15) RO 0; Data_Select (12:9) and reserved RsvdP. */
    { .name = "PMCSR", .offset = 4, .size = 2, .src = REG_EMULATED, .ro = 0xe108, .rsvdp = 0x1ef4 },
    { .name = "PMCSR_BSE", .offset = 6, .size = 1, .src = REG_ZERO, .ro = 0xff },
    { .name = "Data", .offset = 7, .size = 1, .src = REG_ZERO, .ro = 0xff },
};
const struct reg_table pm_table = REG_TABLE("power management", pm_regs, 8);

int pm_setup(struct vdev *v, uint16_t base)
{
    uint32_t pmcsr;
    int rc = vdev_host_read(v, base + 4u, 2, &pmcsr);
    if (rc || (rc = regset_add_table(&v->regs, &pm_table, base, 8, -1)))
        return rc;
    struct vreg *r = regset_find(&v->regs, base + 4u);
    r->val = r->reset = pmcsr & PMCSR_NO_SOFT_RESET;
    v->pm_base = base;
    return 0;
}
