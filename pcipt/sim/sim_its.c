/* The simulated virtual ITS for domUs: the rules of XEN_DMOP_pcipt_its_device
 * as the project's patch states them (toolstack-hooks/xen-patches/4.17/
 * 0006-arm-vits-domu-pcipt.patch, the dm_op.h comment and commit message):
 *   - a domain has a vITS when created with passthrough (XEN_DOMCTL_CDF_iommu)
 *     on a host with an ITS: here, unless PCIPT_SIM_VITS=off (an unpatched
 *     Xen) or PCIPT_SIM_IOMMU=off; without one every call is -EOPNOTSUPP;
 *   - bind: flags bit 0 only and nr_events a power of two >= 32 (-EINVAL),
 *     guest_devid below the vITS's 16 DeviceID bits (-EINVAL), the function
 *     assigned to the domain through the SMMU (-EPERM), guest DeviceID,
 *     function or host DeviceID not bound yet (-EBUSY); the host DeviceID
 *     is the function's RID (the sim has no host device tree: an identity
 *     msi-map, as QEMU's virt board has);
 *   - unbind: the binding of guest_devid to that function, else -ENOENT;
 *   - deassigning the function and destroying the domain unbind too;
 *   - the guest's MAPD is accepted only for a bound DeviceID with at most
 *     the bound events.
 * The op is a dm_op: dom0 as target is -EPERM, an unknown domain -ESRCH. */
#include <errno.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"

#define ITS_MIN_EVENTS 32u     /* the patch: ITT of a power of two >= 32 events */
#define ITS_BIND_FLAG  0x1u    /* XEN_DMOP_PCIPT_ITS_BIND */

static bool has_vits(const struct hv_sim *s, const struct sim_domain *d)
{
    return d->passthrough && !s->no_vits && !s->no_iommu;
}

static uint32_t owner_of(const struct sim_state *st, uint32_t sbdf)
{
    for (unsigned i = 0; i < SIM_MAX_PDEVS; i++)
        if (st->pdevs[i].used && st->pdevs[i].sbdf == sbdf)
            return st->pdevs[i].owner;
    return 0;
}

static bool events_ok(uint32_t n)
{
    return n >= ITS_MIN_EVENTS && !(n & (n - 1));
}

/* The domain's binding of guest_devid (to sbdf, unless any_sbdf), or NULL. */
static struct sim_its_bind *find(struct sim_state *st, uint32_t domid, uint32_t guest_devid,
                                 uint32_t sbdf, bool any_sbdf)
{
    for (unsigned i = 0; i < SIM_MAX_ITS_BINDINGS; i++) {
        struct sim_its_bind *b = &st->its[i];
        if (b->used && b->domid == domid && b->guest_devid == guest_devid &&
            (any_sbdf || b->sbdf == sbdf))
            return b;
    }
    return NULL;
}

/* -EBUSY: the guest DeviceID, the function or the host DeviceID is bound. */
static bool in_use(const struct sim_state *st, uint32_t domid, uint32_t guest_devid,
                   uint32_t sbdf, uint32_t host_devid)
{
    for (unsigned i = 0; i < SIM_MAX_ITS_BINDINGS; i++) {
        const struct sim_its_bind *b = &st->its[i];
        if (b->used && ((b->domid == domid && b->guest_devid == guest_devid) ||
                        b->sbdf == sbdf || b->host_devid == host_devid))
            return true;
    }
    return false;
}

static int bind_locked(struct hv_sim *s, uint32_t domid, uint32_t guest_devid, uint32_t sbdf,
                       uint32_t nr_events, uint32_t *host_devid)
{
    uint32_t hdev = sbdf & 0xffff;     /* RID: identity msi-map */
    struct sim_its_bind *slot = NULL;

    if (!events_ok(nr_events) || guest_devid >= SIM_ITS_DEVID_LIMIT)
        return -EINVAL;
    if (owner_of(s->st, sbdf) != domid)
        return -EPERM;
    if (in_use(s->st, domid, guest_devid, sbdf, hdev))
        return -EBUSY;
    for (unsigned i = 0; !slot && i < SIM_MAX_ITS_BINDINGS; i++)
        if (!s->st->its[i].used)
            slot = &s->st->its[i];
    if (!slot)
        return -ENOSPC;
    *slot = (struct sim_its_bind){ .used = 1, .domid = domid, .guest_devid = guest_devid,
                                   .sbdf = sbdf, .host_devid = hdev, .nr_events = nr_events };
    if (host_devid)
        *host_devid = hdev;
    return 0;
}

int sim_its_device(struct hv *hv, uint32_t domid, uint32_t guest_devid, uint32_t sbdf,
                   uint32_t nr_events, bool bind, uint32_t *host_devid)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc;

    s->hv.counters.dm_op_calls++;
    sim_lock(s);
    d = sim_domain_find(s->st, domid);
    rc = !d ? -ESRCH : domid == 0 ? -EPERM : sim_fail_check(s, "its_device");
    if (!rc && !has_vits(s, d))
        rc = -EOPNOTSUPP;
    if (!rc && bind)
        rc = bind_locked(s, domid, guest_devid, sbdf, nr_events, host_devid);
    else if (!rc) {
        struct sim_its_bind *b = find(s->st, domid, guest_devid, sbdf, false);
        if (b)
            memset(b, 0, sizeof(*b));
        else
            rc = -ENOENT;
    }
    sim_unlock(s);
    return rc;
}

void sim_its_release_sbdf_locked(struct hv_sim *s, uint32_t sbdf)
{
    for (unsigned i = 0; i < SIM_MAX_ITS_BINDINGS; i++)
        if (s->st->its[i].used && s->st->its[i].sbdf == sbdf)
            memset(&s->st->its[i], 0, sizeof(s->st->its[i]));
}

void sim_its_domain_gone_locked(struct hv_sim *s, uint32_t domid)
{
    for (unsigned i = 0; i < SIM_MAX_ITS_BINDINGS; i++)
        if (s->st->its[i].used && s->st->its[i].domid == domid)
            memset(&s->st->its[i], 0, sizeof(s->st->its[i]));
}

int sim_list_its_bindings(struct hv *hv, uint32_t domid, struct sim_its_binding *out,
                          unsigned max)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    unsigned n = 0;

    sim_lock(s);
    if (!sim_domain_find(s->st, domid)) {
        sim_unlock(s);
        return -ESRCH;
    }
    /* by guest DeviceID: a stable order for listings and snapshots */
    for (uint32_t last = 0, first = 1;; first = 0) {
        const struct sim_its_bind *next = NULL;
        for (unsigned i = 0; i < SIM_MAX_ITS_BINDINGS; i++) {
            const struct sim_its_bind *b = &s->st->its[i];
            if (b->used && b->domid == domid && (first || b->guest_devid > last) &&
                (!next || b->guest_devid < next->guest_devid))
                next = b;
        }
        if (!next)
            break;
        if (n < max)
            out[n] = (struct sim_its_binding){ next->guest_devid, next->sbdf, next->host_devid,
                                               next->nr_events };
        n++;
        last = next->guest_devid;
    }
    sim_unlock(s);
    return (int)n;
}

int sim_guest_its_mapd(struct hv *hv, uint32_t domid, uint32_t guest_devid,
                       uint32_t nr_events)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = 0;

    sim_lock(s);
    d = sim_domain_find(s->st, domid);
    if (!d || domid == 0)
        rc = -ESRCH;
    else if (!has_vits(s, d))
        rc = -EOPNOTSUPP;
    if (!rc) {
        const struct sim_its_bind *b = find(s->st, domid, guest_devid, 0, true);
        bool ok = b && nr_events <= b->nr_events;
        if (ok)
            d->stats.its_mapd_accepted++;
        else
            d->stats.its_mapd_refused++;
        rc = ok ? 0 : -EPERM;
    }
    sim_unlock(s);
    return rc;
}

int sim_its_mapd_counts(struct hv *hv, uint32_t domid, uint64_t *accepted, uint64_t *refused)
{
    if (!hv_is_sim(hv))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    const struct sim_domain *d;

    sim_lock(s);
    d = sim_domain_find(s->st, domid);
    if (d) {
        *accepted = d->stats.its_mapd_accepted;
        *refused = d->stats.its_mapd_refused;
    }
    sim_unlock(s);
    return d ? 0 : -ESRCH;
}
