/* The simulator's administration and inspection API (hv_sim.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/sim/sim_state.h"

#define GIC_NR_LOCAL_IRQS 32

#define SIM_OR_EINVAL(hv)                                                     \
    if (!hv_is_sim(hv))                                                       \
        return -EINVAL;                                                       \
    struct hv_sim *s = to_sim(hv)

int sim_reset(struct hv *hv)
{
    SIM_OR_EINVAL(hv);
    sim_lock(s);
    sim_state_reset_locked(s);
    sim_unlock(s);
    return 0;
}

int sim_domain_create(struct hv *hv, uint32_t domid, unsigned nr_vcpus, uint64_t ram_base,
                      uint64_t ram_size, unsigned nr_spis)
{
    return sim_domain_create_flags(hv, domid, nr_vcpus, ram_base, ram_size, nr_spis,
                                   SIM_DOMAIN_PASSTHROUGH);
}

int sim_domain_create_flags(struct hv *hv, uint32_t domid, unsigned nr_vcpus,
                            uint64_t ram_base, uint64_t ram_size, unsigned nr_spis,
                            unsigned flags)
{
    SIM_OR_EINVAL(hv);
    /* GUEST_MAX_VCPUS 128; vgic rounds nr_spis up to a multiple of 32 */
    if (domid == 0 || domid >= 0x7ff0 || nr_vcpus == 0 || nr_vcpus > SIM_MAX_VCPUS ||
        nr_spis > SIM_MAX_SPIS)
        return -EINVAL;
    sim_lock(s);
    int rc = sim_fail_check(s, "domain_create");
    struct sim_domain *d = NULL;
    if (!rc && sim_domain_find(s->st, domid))
        rc = -EEXIST;
    for (unsigned i = 1; !rc && !d && i < SIM_MAX_DOMAINS; i++)
        if (!s->st->domains[i].used)
            d = &s->st->domains[i];
    if (!rc && !d)
        rc = -ENOSPC;
    if (!rc) {
        memset(d, 0, sizeof(*d));
        d->domid = domid;
        d->nr_vcpus = nr_vcpus;
        d->ram_base = ram_base;
        d->ram_size = ram_size;
        d->nr_spis = (nr_spis + 31) / 32 * 32;
        d->passthrough = (flags & SIM_DOMAIN_PASSTHROUGH) != 0;
        rs_init(&d->perms, SIM_PERM_CAP);
        d->used = 1;
    }
    sim_unlock(s);
    return rc;
}

int sim_domain_destroy(struct hv *hv, uint32_t domid)
{
    SIM_OR_EINVAL(hv);
    if (domid == 0)
        return -EPERM;
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, domid);
    int rc = d ? 0 : -ESRCH;
    if (d) {
        for (unsigned id = 0; id < SIM_MAX_SERVERS; id++)
            if (d->servers[id].used)
                sim_server_teardown_locked(s, d, id);
        sim_domain_ports_close_locked(s, d);
        sim_its_domain_gone_locked(s, domid);    /* before its functions leave */
        sim_iommu_domain_gone_locked(s, domid);
        memset(d, 0, sizeof(*d));
    }
    sim_unlock(s);
    return rc;
}

int sim_inject_fail(struct hv *hv, const char *op, unsigned n, int err)
{
    SIM_OR_EINVAL(hv);
    if (!op || !*op || strlen(op) >= SIM_OP_NAME_LEN || n == 0 || err <= 0)
        return -EINVAL;
    sim_lock(s);
    int rc = -ENOSPC;
    for (unsigned i = 0; i < SIM_MAX_FAILS && rc; i++) {
        struct sim_fail *f = &s->st->fails[i];
        if (!f->countdown) {
            snprintf(f->op, sizeof(f->op), "%s", op);
            f->err = err;
            f->countdown = n;
            rc = 0;
        }
    }
    sim_unlock(s);
    return rc;
}

int sim_list_domains(struct hv *hv, uint32_t *ids, unsigned max)
{
    SIM_OR_EINVAL(hv);
    unsigned n = 0;
    sim_lock(s);
    for (unsigned i = 0; i < SIM_MAX_DOMAINS; i++)
        if (s->st->domains[i].used) {
            if (n < max)
                ids[n] = s->st->domains[i].domid;
            n++;
        }
    sim_unlock(s);
    return (int)n;
}

/* Lock and find a domain for a query; on error unlocks. */
static int query_begin(struct hv_sim *s, uint32_t domid, struct sim_domain **d)
{
    sim_lock(s);
    *d = sim_domain_find(s->st, domid);
    if (!*d) {
        sim_unlock(s);
        return -ESRCH;
    }
    return 0;
}

int sim_domain_info(struct hv *hv, uint32_t domid, struct sim_domain_info *o)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    *o = (struct sim_domain_info){
        .domid = d->domid, .nr_vcpus = d->nr_vcpus, .nr_spis = d->nr_spis,
        .ram_base = d->ram_base, .ram_size = d->ram_size, .crashed = d->crashed,
        .memory_mapping_calls = d->stats.memory_mapping_calls, .ioreqs = d->stats.ioreqs,
        .direct_accesses = d->stats.direct_accesses, .ram_accesses = d->stats.ram_accesses,
        .aborts = d->stats.aborts, .bad_state = d->stats.bad_state,
        .emulator_gone = d->stats.emulator_gone,
        .vcpu_blocks = d->stats.vcpu_blocks,
    };
    sim_unlock(s);
    return 0;
}

int sim_list_mappings(struct hv *hv, uint32_t domid, struct sim_mapping *m, unsigned max)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    for (unsigned i = 0; i < d->nr_p2m && i < max; i++)
        m[i] = (struct sim_mapping){ d->p2m[i].gfn, d->p2m[i].mfn, d->p2m[i].nr };
    rc = (int)d->nr_p2m;
    sim_unlock(s);
    return rc;
}

static int copy_ranges(const struct sim_rangeset *rs, struct sim_range *r, unsigned max)
{
    for (unsigned i = 0; i < rs->nr && i < max; i++)
        r[i] = (struct sim_range){ rs->r[i].start, rs->r[i].end };
    return (int)rs->nr;
}

int sim_list_permissions(struct hv *hv, uint32_t domid, struct sim_range *r, unsigned max)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    rc = copy_ranges(&d->perms, r, max);
    sim_unlock(s);
    return rc;
}

int sim_list_servers(struct hv *hv, uint32_t domid, struct sim_server_info *o, unsigned max)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    unsigned n = 0;
    for (unsigned id = 0; id < SIM_MAX_SERVERS; id++) {
        const struct sim_server *srv = &d->servers[id];
        if (!srv->used)
            continue;
        if (n < max) {
            o[n] = (struct sim_server_info){ .id = (uint16_t)id, .enabled = srv->enabled };
            for (unsigned t = 0; t < SIM_RANGE_TYPES; t++)
                o[n].nr_ranges[t] = srv->ranges[t].nr;
        }
        n++;
    }
    sim_unlock(s);
    return (int)n;
}

int sim_list_ranges(struct hv *hv, uint32_t domid, uint16_t id, unsigned type,
                    struct sim_range *r, unsigned max)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    if (id >= SIM_MAX_SERVERS || !d->servers[id].used || type >= SIM_RANGE_TYPES)
        rc = -ENOENT;
    else
        rc = copy_ranges(&d->servers[id].ranges[type], r, max);
    sim_unlock(s);
    return rc;
}

int sim_list_irqs_high(struct hv *hv, uint32_t domid, uint32_t *irqs, unsigned max)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    unsigned n = 0;
    for (uint32_t irq = GIC_NR_LOCAL_IRQS; irq < GIC_NR_LOCAL_IRQS + d->nr_spis; irq++)
        if (d->irq_level[irq / 32] & (1u << (irq % 32))) {
            if (n < max)
                irqs[n] = irq;
            n++;
        }
    sim_unlock(s);
    return (int)n;
}

/* irq is one of the domain's SPIs (32 .. 32 + nr_spis - 1). */
static bool is_spi(const struct sim_domain *d, uint32_t irq)
{
    return irq >= GIC_NR_LOCAL_IRQS && irq < GIC_NR_LOCAL_IRQS + d->nr_spis;
}

int sim_irq_level(struct hv *hv, uint32_t domid, uint32_t irq)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    if (!is_spi(d, irq))
        rc = -EINVAL;
    else
        rc = (d->irq_level[irq / 32] >> (irq % 32)) & 1;
    sim_unlock(s);
    return rc;
}

int sim_irq_take(struct hv *hv, uint32_t domid, uint32_t irq)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    if (!is_spi(d, irq)) {
        rc = -EINVAL;
    } else if (d->spi_pending[irq - GIC_NR_LOCAL_IRQS]) {
        d->spi_pending[irq - GIC_NR_LOCAL_IRQS]--;
        d->spi_delivered[irq - GIC_NR_LOCAL_IRQS]++;
        rc = 1;
    }
    sim_unlock(s);
    return rc;
}

int sim_irq_delivered(struct hv *hv, uint32_t domid, uint32_t irq, uint64_t *n)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    if (!is_spi(d, irq))
        rc = -EINVAL;
    else
        *n = d->spi_delivered[irq - GIC_NR_LOCAL_IRQS];
    sim_unlock(s);
    return rc;
}

int sim_server_port(struct hv *hv, uint32_t domid, uint16_t id, unsigned vcpu)
{
    SIM_OR_EINVAL(hv);
    struct sim_domain *d;
    int rc = query_begin(s, domid, &d);
    if (rc)
        return rc;
    if (id >= SIM_MAX_SERVERS || !d->servers[id].used || vcpu >= d->nr_vcpus)
        rc = -ENOENT;
    else
        rc = (int)d->servers[id].ports[vcpu];
    sim_unlock(s);
    return rc;
}
