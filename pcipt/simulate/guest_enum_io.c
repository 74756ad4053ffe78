/* The simulated guest's config accesses: ECAM address decode and counted
 * MMIO loads/stores through the vCPU accessor. */
#include <errno.h>
#include <string.h>

#include "pcipt/simulate/guest_enum_int.h"

/* PCIe 5.0 sec 7.2.2 (ECAM): offset = bus << 20 | dev << 15 | fn << 12 | reg,
 * relative to the bus that starts the window (the DT "bus-range" start). */
static uint64_t ecam_gpa(const struct guest_enum_config *cfg, const struct sbdf *bdf,
                         unsigned reg)
{
    uint64_t off = ((uint64_t)(bdf->bus - cfg->bus_first) << 20) |
                   ((uint64_t)(bdf->dev & 31) << 15) | ((uint64_t)(bdf->fn & 7) << 12) |
                   (reg & 0xfff);
    return cfg->ecam_base + off;
}

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void note_abort(struct genum *g, int rc)
{
    if (g->res)
        g->res->aborts++;
    if (!g->first_err)
        g->first_err = rc < 0 ? rc : -EIO;
}

uint32_t ge_read(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size)
{
    uint64_t v = 0;
    int rc = g->ops->read(g->ctx, ecam_gpa(g->cfg, bdf, reg), size, &v);

    if (g->res)
        g->res->cfg_reads++;
    if (rc != 0) {
        note_abort(g, rc);
        return ones(size);
    }
    return (uint32_t)v & ones(size);
}

void ge_write(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size,
              uint32_t val)
{
    int rc = g->ops->write(g->ctx, ecam_gpa(g->cfg, bdf, reg), size, val & ones(size));

    if (g->res)
        g->res->cfg_writes++;
    if (rc != 0)
        note_abort(g, rc);
}

int guest_enum_dump_config(const struct guest_bus_ops *ops, void *ctx,
                           const struct guest_enum_config *cfg, const struct sbdf *bdf,
                           uint8_t out[4096])
{
    struct genum g = { .ops = ops, .ctx = ctx, .cfg = cfg };

    if (!ops || !ops->read || !cfg || !bdf || !out || bdf->bus < cfg->bus_first ||
        bdf->bus > cfg->bus_last || bdf->dev > 31 || bdf->fn > 7)
        return -EINVAL;
    for (unsigned reg = 0; reg < 4096; reg += 4) {
        uint32_t v = ge_read(&g, bdf, reg, 4);
        for (unsigned i = 0; i < 4; i++)
            out[reg + i] = (uint8_t)(v >> (8 * i));
    }
    return g.first_err;
}
