/* Simulated XEN_DOMCTL_iomem_permission and XEN_DOMCTL_memory_mapping, and
 * the p2m as a sorted list of (gfn, mfn, nr) intervals.  Rules from
 * docs/xen-facts.md "64 pages per call" and "iomem permission"
 * (xen/common/domctl.c). */
#include <errno.h>
#include <string.h>

#include "pcipt/hv/hv_backends.h"
#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"

#define MAX_MFN ((1ull << (SIM_PADDR_BITS - HV_PAGE_SHIFT)) - 1)

void sim_p2m_clear(struct sim_domain *d) { d->nr_p2m = 0; }

const struct sim_p2m_entry *sim_p2m_lookup(const struct sim_domain *d, uint64_t gfn)
{
    for (uint32_t i = 0; i < d->nr_p2m; i++)
        if (d->p2m[i].gfn <= gfn && gfn - d->p2m[i].gfn < d->p2m[i].nr)
            return &d->p2m[i];
    return NULL;
}

static bool p2m_overlaps(const struct sim_domain *d, uint64_t gfn, uint64_t nr)
{
    for (uint32_t i = 0; i < d->nr_p2m; i++)
        if (d->p2m[i].gfn < gfn + nr && gfn < d->p2m[i].gfn + d->p2m[i].nr)
            return true;
    return false;
}

static bool contiguous(const struct sim_p2m_entry *a, uint64_t gfn, uint64_t mfn)
{
    return a->gfn + a->nr == gfn && a->mfn + a->nr == mfn;
}

static int p2m_insert(struct sim_domain *d, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
    uint32_t i = 0;
    while (i < d->nr_p2m && d->p2m[i].gfn < gfn)
        i++;
    bool merge_prev = i > 0 && contiguous(&d->p2m[i - 1], gfn, mfn);
    bool merge_next = i < d->nr_p2m && gfn + nr == d->p2m[i].gfn && mfn + nr == d->p2m[i].mfn;
    if (merge_prev && merge_next) {
        d->p2m[i - 1].nr += nr + d->p2m[i].nr;
        memmove(&d->p2m[i], &d->p2m[i + 1], (d->nr_p2m - i - 1) * sizeof(d->p2m[0]));
        d->nr_p2m--;
    } else if (merge_prev) {
        d->p2m[i - 1].nr += nr;
    } else if (merge_next) {
        d->p2m[i].gfn = gfn;
        d->p2m[i].mfn = mfn;
        d->p2m[i].nr += nr;
    } else {
        if (d->nr_p2m >= SIM_P2M_CAP)
            return -ENOMEM;
        memmove(&d->p2m[i + 1], &d->p2m[i], (d->nr_p2m - i) * sizeof(d->p2m[0]));
        d->p2m[i] = (struct sim_p2m_entry){ gfn, mfn, nr };
        d->nr_p2m++;
    }
    return 0;
}

/* Removal clears whatever MMIO is at [gfn, gfn+nr): Xen's p2m_remove_mapping
 * only insists on a matching mfn for RAM pages, and nothing mapped is fine. */
static int p2m_remove(struct sim_domain *d, uint64_t gfn, uint64_t nr)
{
    uint64_t end = gfn + nr;
    for (uint32_t i = 0; i < d->nr_p2m;) {
        struct sim_p2m_entry *m = &d->p2m[i];
        uint64_t mend = m->gfn + m->nr;
        if (mend <= gfn || m->gfn >= end) {
            i++;
            continue;
        }
        if (m->gfn < gfn && mend > end) {              /* split */
            if (d->nr_p2m >= SIM_P2M_CAP)
                return -ENOMEM;
            memmove(&d->p2m[i + 2], &d->p2m[i + 1], (d->nr_p2m - i - 1) * sizeof(d->p2m[0]));
            d->p2m[i + 1] = (struct sim_p2m_entry){ end, m->mfn + (end - m->gfn), mend - end };
            m->nr = gfn - m->gfn;
            d->nr_p2m++;
            return 0;
        }
        if (m->gfn < gfn) {
            m->nr = gfn - m->gfn;
            i++;
        } else if (mend > end) {
            m->mfn += end - m->gfn;
            m->nr = mend - end;
            m->gfn = end;
            i++;
        } else {
            memmove(&d->p2m[i], &d->p2m[i + 1], (d->nr_p2m - i - 1) * sizeof(d->p2m[0]));
            d->nr_p2m--;
        }
    }
    return 0;
}

/* XEN_DOMCTL_iomem_permission: wrap -> -EINVAL; the caller (dom0) must
 * itself be permitted the range (-EPERM); then grant or revoke. */
int sim_iomem_permission(struct hv *hv, uint32_t domid, uint64_t mfn, uint64_t nr, bool allow)
{
    struct hv_sim *s = to_sim(hv);
    hv->counters.iomem_permission_calls++;
    sim_lock(s);
    int rc = sim_fail_check(s, "iomem_permission");
    struct sim_domain *d = sim_domain_find(s->st, domid);
    uint64_t mfn_end = mfn + nr - 1;
    if (rc)
        ;
    else if (!d)
        rc = -ESRCH;
    else if (nr == 0 || mfn_end < mfn)
        rc = -EINVAL;
    else if (!rs_contains(&s->st->domains[0].perms, mfn, mfn_end))
        rc = -EPERM;
    else
        rc = allow ? rs_add(&d->perms, mfn, mfn_end) : rs_remove(&d->perms, mfn, mfn_end);
    sim_unlock(s);
    return rc;
}

static int mapping_check(struct hv_sim *s, struct sim_domain *d, uint64_t gfn, uint64_t mfn,
                         uint64_t nr, bool add)
{
    uint64_t mfn_end = mfn + nr - 1;
    if (!d)
        return -EINVAL;     /* libxc: "Could not get info for domain" -> -EINVAL */
    if (nr == 0 || mfn_end < mfn || (mfn | mfn_end) > MAX_MFN || gfn + nr - 1 < gfn)
        return -EINVAL;
    if (nr > HV_MAX_PAGES_PER_MAPPING)
        return -E2BIG;      /* "#ifndef CONFIG_X86 ... if ( nr_mfns > 64 )" */
    /* Stock Xen <= 4.21 common/domctl.c checks both, for add AND remove
     * (seen on real Xen 4.17: after libxl revoked a domain's permission,
     * removing the mapping failed with EPERM).  The project's patch 0004
     * (toolstack-hooks/xen-patches/4.17/0004-domctl-unmap-without-target-
     * permission.patch) and Xen 4.22 check the target only for an add. */
    if (!rs_contains(&s->st->domains[0].perms, mfn, mfn_end))
        return -EPERM;      /* iomem_access_permitted(current->domain, ...) */
    if ((add || s->unmap_needs_perm) && !rs_contains(&d->perms, mfn, mfn_end))
        return -EPERM;      /* || !iomem_access_permitted(d, ...) */
    return 0;
}

int sim_memory_mapping(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                       bool add)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, domid);
    if (d)
        d->stats.memory_mapping_calls++;
    int rc = sim_fail_check(s, "memory_mapping");
    if (!rc)
        rc = mapping_check(s, d, gfn, mfn, nr, add);
    if (!rc && add)
        rc = p2m_overlaps(d, gfn, nr) ? -EEXIST : p2m_insert(d, gfn, mfn, nr);
    else if (!rc)
        rc = p2m_remove(d, gfn, nr);
    sim_unlock(s);
    hv_count_mapping(hv, rc);
    sim_fail_after(s);
    return rc;
}
