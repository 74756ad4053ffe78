/* Simulated IOREQ servers (xen/common/ioreq.c semantics,
 * docs/xen-facts.md "IOREQ server bring-up"): create
 * (BUFIOREQ_OFF only on Arm), ranges per type as rangesets limited to 256,
 * enable/disable, destroy, and the ioreq page as a 4 KiB shared file. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/ioreq.h>

#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"

_Static_assert(sizeof(ioreq_t) * SIM_MAX_VCPUS == HV_PAGE_SIZE, "one ioreq page = 128 slots");

static int dm_begin(struct hv_sim *s, const char *op, uint32_t domid, struct sim_domain **d)
{
    s->hv.counters.dm_op_calls++;
    sim_lock(s);
    *d = sim_domain_find(s->st, domid);
    if (!*d)
        return -ESRCH;      /* rcu_lock_remote_domain_by_id */
    if (domid == 0)
        return -EPERM;      /* ... refuses the caller's own domain */
    return sim_fail_check(s, op);
}

static int get_server(struct sim_domain *d, uint16_t id, struct sim_server **srv)
{
    if (id >= SIM_MAX_SERVERS || !d->servers[id].used)
        return -ENOENT;
    if (d->servers[id].emulator != 0)
        return -EPERM;      /* s->emulator != current->domain */
    *srv = &d->servers[id];
    return 0;
}

static int page_create(struct hv_sim *s, uint32_t domid, unsigned id)
{
    char path[320];
    int rc = sim_page_path(s, domid, id, path, sizeof(path));
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    rc = ftruncate(fd, HV_PAGE_SIZE) ? -errno : 0;
    close(fd);
    return rc;
}

static int page_map(struct hv_sim *s, uint32_t domid, unsigned id, shared_iopage_t **out)
{
    char path[320];
    int rc = sim_page_path(s, domid, id, path, sizeof(path));
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    void *p = mmap(NULL, HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    rc = p == MAP_FAILED ? -errno : 0;
    close(fd);
    if (!rc)
        *out = p;
    return rc;
}

void sim_server_teardown_locked(struct hv_sim *s, struct sim_domain *d, unsigned id)
{
    struct sim_server *srv = &d->servers[id];
    char path[320];
    for (unsigned v = 0; v < SIM_MAX_VCPUS; v++)
        if (srv->ports[v])
            sim_port_close_locked(s, d, srv->ports[v]);
    if (sim_page_path(s, d->domid, id, path, sizeof(path)) == 0)
        unlink(path);
    memset(srv, 0, sizeof(*srv));
}

static int server_setup(struct hv_sim *s, struct sim_domain *d, unsigned id)
{
    struct sim_server *srv = &d->servers[id];
    memset(srv, 0, sizeof(*srv));
    srv->used = 1;
    for (unsigned t = 0; t < SIM_RANGE_TYPES; t++)
        rs_init(&srv->ranges[t], SIM_MAX_IO_RANGES);
    int rc = page_create(s, d->domid, id);
    /* ioreq_server_add_vcpu: one unbound port per vCPU for the emulator */
    for (unsigned v = 0; !rc && v < d->nr_vcpus; v++) {
        int port = sim_port_alloc(d, 0);
        if (port < 0)
            rc = port;
        else
            srv->ports[v] = (uint32_t)port;
    }
    if (rc)
        sim_server_teardown_locked(s, d, id);
    return rc;
}

int sim_ioreq_create(struct hv *hv, uint32_t domid, int bufioreq, uint16_t *id)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = dm_begin(s, "ioreq_create", domid, &d);
    unsigned i = 0;
    /* Arm: "if ( !IS_ENABLED(CONFIG_X86) && bufioreq_handling ) return -EINVAL;" */
    if (!rc && (bufioreq < 0 || bufioreq > HVM_IOREQSRV_BUFIOREQ_ATOMIC ||
                bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF))
        rc = -EINVAL;
    while (!rc && i < SIM_MAX_SERVERS && d->servers[i].used)
        i++;
    if (!rc && i == SIM_MAX_SERVERS)
        rc = -ENOSPC;
    if (!rc)
        rc = server_setup(s, d, i);
    if (!rc)
        *id = (uint16_t)i;
    sim_unlock(s);
    return rc;
}

int sim_ioreq_destroy(struct hv *hv, uint32_t domid, uint16_t id)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct sim_server *srv;
    int rc = dm_begin(s, "ioreq_destroy", domid, &d);
    if (!rc)
        rc = get_server(d, id, &srv);
    if (!rc)
        sim_server_teardown_locked(s, d, id);
    sim_unlock(s);
    return rc;
}

/* ioreq_server_enable writes each vCPU's port into its slot's vp_eport. */
int sim_ioreq_set_state(struct hv *hv, uint32_t domid, uint16_t id, bool enabled)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct sim_server *srv;
    shared_iopage_t *page;
    int rc = dm_begin(s, "ioreq_set_state", domid, &d);
    if (!rc)
        rc = get_server(d, id, &srv);
    if (!rc && enabled && !srv->enabled && (rc = page_map(s, domid, id, &page)) == 0) {
        for (unsigned v = 0; v < d->nr_vcpus; v++)
            page->vcpu_ioreq[v].vp_eport = srv->ports[v];
        munmap(page, HV_PAGE_SIZE);
    }
    if (!rc)
        srv->enabled = enabled;
    sim_unlock(s);
    return rc;
}

static int range_op(struct hv *hv, const char *op, uint32_t domid, uint16_t id, unsigned type,
                    uint64_t start, uint64_t end, bool add)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct sim_server *srv;
    int rc = dm_begin(s, op, domid, &d);
    if (!rc && start > end)
        rc = -EINVAL;
    if (!rc)
        rc = get_server(d, id, &srv);
    if (!rc && type >= SIM_RANGE_TYPES)
        rc = -EINVAL;
    if (!rc) {
        struct sim_rangeset *r = &srv->ranges[type];
        if (add)
            rc = rs_overlaps(r, start, end) ? -EEXIST : rs_add(r, start, end);
        else
            rc = !rs_contains(r, start, end) ? -ENOENT : rs_remove(r, start, end);
    }
    sim_unlock(s);
    return rc;
}

int sim_ioreq_map_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                        uint64_t start, uint64_t end)
{
    return range_op(hv, "ioreq_map_range", domid, id,
                    is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT, start, end, true);
}

int sim_ioreq_unmap_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                          uint64_t start, uint64_t end)
{
    return range_op(hv, "ioreq_unmap_range", domid, id,
                    is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT, start, end,
                    false);
}

/* libxendevicemodel: EINVAL if device > 0x1f || function > 7. */
int sim_ioreq_map_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg, uint8_t bus,
                         uint8_t dev, uint8_t fn)
{
    if (dev > 0x1f || fn > 7)
        return -EINVAL;
    uint32_t sbdf = XEN_DMOP_PCI_SBDF(seg, bus, dev, fn);
    return range_op(hv, "ioreq_map_pcidev", domid, id, XEN_DMOP_IO_RANGE_PCI, sbdf, sbdf, true);
}

int sim_ioreq_unmap_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                           uint8_t bus, uint8_t dev, uint8_t fn)
{
    if (dev > 0x1f || fn > 7)
        return -EINVAL;
    uint32_t sbdf = XEN_DMOP_PCI_SBDF(seg, bus, dev, fn);
    return range_op(hv, "ioreq_unmap_pcidev", domid, id, XEN_DMOP_IO_RANGE_PCI, sbdf, sbdf,
                    false);
}

int sim_ioreq_map_page(struct hv *hv, uint32_t domid, uint16_t id, void **page)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, domid);
    struct sim_server *srv;
    int rc = sim_fail_check(s, "ioreq_map_page");
    if (!rc && !d)
        rc = -ESRCH;
    if (!rc)
        rc = get_server(d, id, &srv);
    shared_iopage_t *p = NULL;
    if (!rc)
        rc = page_map(s, domid, id, &p);
    if (!rc)
        *page = p;
    sim_unlock(s);
    return rc;
}

int sim_ioreq_unmap_page(struct hv *hv, uint32_t domid, uint16_t id, void *page)
{
    return page && munmap(page, HV_PAGE_SIZE) == 0 ? 0 : -EINVAL;
}

/* For sim_vcpu.c */
int sim_server_page_map(struct hv_sim *s, uint32_t domid, unsigned id, shared_iopage_t **out);
int sim_server_page_map(struct hv_sim *s, uint32_t domid, unsigned id, shared_iopage_t **out)
{
    return page_map(s, domid, id, out);
}
