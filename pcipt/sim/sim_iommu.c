/* The simulated SMMU (xen-arm-dma-msi.md sections 1-2): each PCI function's
 * StreamID belongs to one domain at a time: dom0 (the default), a domU it
 * was assigned to, or quarantine (DOMID_IO) after its domU died.  Xen's
 * rules: every op -EOPNOTSUPP without an IOMMU or for a target domain
 * created without passthrough (iommu_do_domctl: !is_iommu_enabled(d));
 * assign only from dom0 or quarantine (device_assigned(): another owner
 * -EBUSY); deassign only by the owner (-ENODEV), back to dom0.  A function
 * owned by a domU reaches exactly that domU's RAM and p2m (the SMMU shares
 * the p2m, IOVA = IPA); anything else is a translation fault. */
#include <errno.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"

static struct sim_pdev *pdev_find(struct sim_state *st, uint32_t sbdf)
{
    for (unsigned i = 0; i < SIM_MAX_PDEVS; i++)
        if (st->pdevs[i].used && st->pdevs[i].sbdf == sbdf)
            return &st->pdevs[i];
    return NULL;
}

static uint32_t owner_of(struct sim_state *st, uint32_t sbdf)
{
    struct sim_pdev *p = pdev_find(st, sbdf);
    return p ? p->owner : 0;
}

static int set_owner(struct sim_state *st, uint32_t sbdf, uint32_t owner)
{
    struct sim_pdev *p = pdev_find(st, sbdf);

    for (unsigned i = 0; !p && i < SIM_MAX_PDEVS; i++)
        if (!st->pdevs[i].used)
            p = &st->pdevs[i];
    if (!p)
        return -ENOSPC;
    if (owner == 0) {
        memset(p, 0, sizeof(*p));
        return 0;
    }
    *p = (struct sim_pdev){ .used = 1, .sbdf = sbdf, .owner = owner };
    return 0;
}

/* Locked on success (and on every failure after the lock). */
static int begin(struct hv_sim *s, const char *op, uint32_t domid, bool any_target)
{
    sim_lock(s);
    int rc = sim_fail_check(s, op);
    if (rc)
        return rc;
    if (s->no_iommu)
        return -EOPNOTSUPP;
    if (any_target && domid == HV_DOMID_IO)
        return 0;
    struct sim_domain *d = sim_domain_find(s->st, domid);
    if (!d)
        return -ESRCH;
    return d->passthrough ? 0 : -EOPNOTSUPP;
}

int sim_iommu_enabled(struct hv *hv)
{
    return to_sim(hv)->no_iommu ? 0 : 1;
}

static int may_assign(struct hv_sim *s, uint32_t domid, uint32_t sbdf)
{
    uint32_t owner = owner_of(s->st, sbdf);

    (void)domid;
    return owner == 0 || owner == HV_DOMID_IO ? 0 : -EBUSY;
}

int sim_test_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    struct hv_sim *s = to_sim(hv);
    int rc = begin(s, "test_assign_device", domid, false);
    if (!rc)
        rc = may_assign(s, domid, sbdf);
    sim_unlock(s);
    return rc;
}

int sim_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    struct hv_sim *s = to_sim(hv);
    int rc = begin(s, "assign_device", domid, false);
    if (!rc && domid == 0)
        rc = -EINVAL;
    if (!rc)
        rc = may_assign(s, domid, sbdf);
    if (!rc)
        rc = set_owner(s->st, sbdf, domid);
    sim_unlock(s);
    return rc;
}

int sim_deassign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    struct hv_sim *s = to_sim(hv);
    int rc = begin(s, "deassign_device", domid, true);
    if (!rc && (domid == 0 || owner_of(s->st, sbdf) != domid))
        rc = -ENODEV;
    if (!rc)
        rc = set_owner(s->st, sbdf, 0);
    if (!rc)
        sim_its_release_sbdf_locked(s, sbdf);   /* the patch: deassign unbinds */
    sim_unlock(s);
    return rc;
}

void sim_iommu_domain_gone_locked(struct hv_sim *s, uint32_t domid)
{
    for (unsigned i = 0; i < SIM_MAX_PDEVS; i++)
        if (s->st->pdevs[i].used && s->st->pdevs[i].owner == domid)
            s->st->pdevs[i].owner = HV_DOMID_IO;
}

int sim_device_owner(struct hv *hv, uint32_t sbdf, uint32_t *owner)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    *owner = owner_of(s->st, sbdf);
    sim_unlock(s);
    return 0;
}

static bool reaches(const struct sim_domain *d, uint64_t addr)
{
    if (d->domid == 0)
        return true;          /* dom0's own context: its 1:1 memory */
    if (addr >= d->ram_base && addr - d->ram_base < d->ram_size)
        return true;
    return sim_p2m_lookup(d, addr >> HV_PAGE_SHIFT) != NULL;
}

int sim_device_dma(struct hv *hv, uint32_t sbdf, uint64_t addr)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    if (s->no_iommu)
        return SIM_DMA_UNTRANSLATED;
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, owner_of(s->st, sbdf));
    int rc = d && reaches(d, addr) ? SIM_DMA_OK : -EFAULT;
    if (rc)
        s->st->smmu_faults++;
    sim_unlock(s);
    return rc;
}

int sim_smmu_faults(struct hv *hv, uint64_t *n)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    *n = s->st->smmu_faults;
    sim_unlock(s);
    return 0;
}
