/* The daemon's dispatcher: one ioreq_t in, one answer out.  Where a guest's
 * config access is handled: ioreq_dispatch -> copy_access (ecam_decode) or
 * pci_config_decode -> config_access -> vpci_cfg_read / vpci_cfg_write
 * (hostbridge/topology.c; the whole path: docs/design.md section 2).  A guest
 * MSI-X table/PBA access: copy_access -> r->mmio = daemon_msix_mmio
 * (pcipt/daemon/daemon_msix.c) -> vdev_msix_mmio (hostbridge/msix_table.c). */
#include "pcipt/daemon/ioreq.h"

#include <errno.h>
#include <inttypes.h>

#include "hostbridge/common/size_mask.h"

static bool size_ok(uint32_t size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

void ioreq_router_init(struct ioreq_router *r, struct vpci_topology *topo, uint16_t seg,
                       uint8_t bus_base, uint64_t ecam_base, uint64_t ecam_size)
{
    struct ratelimit rl = RATELIMIT_INIT(10, 1000);

    *r = (struct ioreq_router){ .topo = topo, .seg = seg, .ecam_bus_base = bus_base,
                                .ecam_base = ecam_base, .ecam_size = ecam_size, .rl = rl };
}

int ioreq_router_add_window(struct ioreq_router *r, uint64_t start, uint64_t size)
{
    if (r->nwindows >= IOREQ_MAX_WINDOWS)
        return -ENOSPC;
    if (!size || start + size - 1 < start)
        return -EINVAL;
    r->bar_window[r->nwindows].start = start;
    r->bar_window[r->nwindows].end = start + size - 1;
    r->nwindows++;
    return 0;
}

const char *ioreq_type_name(unsigned type)
{
    switch (type) {
    case IOREQ_TYPE_PIO: return "PIO";
    case IOREQ_TYPE_COPY: return "COPY";
    case IOREQ_TYPE_PCI_CONFIG: return "PCI_CONFIG";
    case IOREQ_TYPE_TIMEOFFSET: return "TIMEOFFSET";
    case IOREQ_TYPE_INVALIDATE: return "INVALIDATE";
    default: return "unknown";
    }
}

/* A read nobody decodes: all-ones of the access size (PCI master abort). */
static void answer_all_ones(ioreq_t *req)
{
    if (req->dir == IOREQ_READ)
        req->data = size_ok(req->size) ? size_mask(req->size) : ~0ull;
}

static void config_access(struct ioreq_router *r, ioreq_t *req, const struct cfg_req *c)
{
    if (req->dir == IOREQ_READ) {
        req->data = vpci_cfg_read(r->topo, c) & size_mask(req->size);
        log_trace("cfg read  " SBDF_FMT " reg 0x%03x size %u -> 0x%" PRIx64, SBDF_ARGS(*c),
                  c->reg, c->size, (uint64_t)req->data);
    } else {
        uint64_t data = req->data & size_mask(req->size);
        log_trace("cfg write " SBDF_FMT " reg 0x%03x size %u <- 0x%" PRIx64, SBDF_ARGS(*c),
                  c->reg, c->size, data);
        vpci_cfg_write(r->topo, c, data);
    }
}

static bool in_window(const struct ioreq_router *r, uint64_t addr)
{
    for (unsigned i = 0; i < r->nwindows; i++)
        if (addr >= r->bar_window[i].start && addr <= r->bar_window[i].end)
            return true;
    return false;
}

static bool in_ecam(const struct ioreq_router *r, uint64_t addr)
{
    return addr >= r->ecam_base && addr - r->ecam_base < r->ecam_size;
}

static void copy_access(struct ioreq_router *r, ioreq_t *req, struct ioreq_decoded *out)
{
    uint64_t addr = req->addr;

    if (out->target == IOREQ_TARGET_CONFIG) {
        struct cfg_req *c = &out->cfg;
        ecam_decode(addr - r->ecam_base, r->seg, r->ecam_bus_base, c);
        c->size = (uint8_t)req->size;
        out->cfg_valid = true;
        if (req->dir == IOREQ_READ)
            r->stats.ecam_reads++;
        else
            r->stats.ecam_writes++;
        config_access(r, req, c);
        return;
    }
    if (r->mmio && r->mmio(r->mmio_opaque, req) == 0) {
        r->stats.msix++;
        out->mmio_hook = true;
        return;
    }
    if (in_window(r, addr))
        r->stats.bar_window++;
    else
        r->stats.unclaimed++;
    answer_all_ones(req);
}

static bool malformed(struct ioreq_router *r, const ioreq_t *req)
{
    const char *why = NULL;

    if (req->data_is_ptr)
        why = "data_is_ptr";
    else if (req->count != 1)
        why = "count != 1";
    else if (!size_ok(req->size))
        why = "bad size";
    if (!why)
        return false;
    r->stats.malformed++;
    if (ratelimit_ok(&r->rl))
        log_warn("ioreq %s addr 0x%" PRIx64 " size %u count %u: %s; answered all-ones",
                 ioreq_type_name(req->type), (uint64_t)req->addr, req->size, req->count, why);
    return true;
}

void ioreq_dispatch(struct ioreq_router *r, ioreq_t *req, struct ioreq_decoded *out)
{
    struct ioreq_decoded unused;

    if (!out)
        out = &unused;
    *out = (struct ioreq_decoded){ .target = IOREQ_TARGET_OTHER, .write = req->dir != IOREQ_READ };
    switch (req->type) {
    case IOREQ_TYPE_INVALIDATE:
        r->stats.invalidate++;
        return;
    case IOREQ_TYPE_COPY:
        out->target = in_ecam(r, req->addr) ? IOREQ_TARGET_CONFIG : IOREQ_TARGET_MMIO;
        if (malformed(r, req))
            break;
        copy_access(r, req, out);
        return;
    case IOREQ_TYPE_PCI_CONFIG:
        out->target = IOREQ_TARGET_CONFIG;
        if (malformed(r, req))
            break;
        pci_config_decode(req->addr, req->size, &out->cfg);
        out->cfg_valid = true;
        if (req->dir == IOREQ_READ)
            r->stats.pci_config_reads++;
        else
            r->stats.pci_config_writes++;
        config_access(r, req, &out->cfg);
        return;
    default:
        r->stats.unknown_type++;
        if (ratelimit_ok(&r->rl))
            log_warn("ioreq of type %u (%s) addr 0x%" PRIx64 " is not handled; answered all-ones",
                     req->type, ioreq_type_name(req->type), (uint64_t)req->addr);
        break;
    }
    answer_all_ones(req);
}
