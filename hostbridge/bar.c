/* BAR virtualization (PCI Local Bus 3.0 §6.2.5): guest addresses, sizing
 * probes at any width, 64-bit pairs, the expansion ROM, and the map/unmap/move
 * events.  Host BARs are never written: every BAR register is emulated.
 *
 * Rules (docs/design/hostbridge.md "BARs"): a write whose merged address bits are all ones is
 * a size probe and never a move.  A move completes when a write covers the
 * BAR's most significant byte (bits 31:24 of a 32-bit BAR or the ROM, bits
 * 63:56 of a 64-bit pair, i.e. the high half), or when decode turns on with a
 * pending address. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

static uint32_t bar_flags(const struct vbar *b)
{
    return (b->type == BAR_MEM64 ? PCI_BAR_MEM_TYPE_64 : 0) |
           (b->prefetchable ? PCI_BAR_MEM_PREFETCH : 0);
}

static void bar_complete_move(struct vdev *v, int i)
{
    struct vbar *b = &v->bars[i];
    if (b->pending == b->committed)
        return;
    struct vdev_event ev = { .type = VDEV_EV_BAR_MOVE, .bar = i, .old_addr = b->committed,
                             .new_addr = b->pending, .size = b->size, .mapped = b->mapped };
    int rc = vdev_emit(v, &ev);
    /* A refusal is the service's to report (it knows the domain, the host
     * function and why: one warning per refusal, e.g. pcipt/daemon's
     * "... not mapped: outside the guest's vPCI holes"); here only a debug
     * line, so that a refused move is not warned about twice. */
    if (rc < 0 && b->mapped) {
        b->mapped = false;    /* refused: the BAR stays unmapped until decode is toggled */
        log_debug("%02x.%x: move of BAR %d to 0x%" PRIx64 " refused (%d); BAR left unmapped",
                  v->slot, v->fn, i, b->pending, rc);
    }
    b->committed = b->pending;
}

static bool bar_wants_map(int i, uint16_t cmd, uint32_t rom)
{
    return (cmd & PCI_CMD_MEMORY) && (i != PCI_ROM_SLOT || (rom & PCI_ROM_ENABLE));
}

void bars_update_mapping(struct vdev *v, uint16_t old_cmd, uint16_t new_cmd,
                         uint32_t old_rom, uint32_t new_rom)
{
    for (int i = 0; i < PCI_NUM_RES; i++) {
        struct vbar *b = &v->bars[i];
        bool was = bar_wants_map(i, old_cmd, old_rom), now = bar_wants_map(i, new_cmd, new_rom);
        if (b->type == BAR_NONE || was == now)
            continue;
        if (now) {
            bar_complete_move(v, i);
            struct vdev_event ev = { .type = VDEV_EV_BAR_MAP, .bar = i, .old_addr = b->committed,
                                     .new_addr = b->committed, .size = b->size };
            int rc = vdev_emit(v, &ev);
            b->mapped = rc == 0;
            if (rc)         /* the service warned (see bar_complete_move) */
                log_debug("%02x.%x: map of BAR %d at 0x%" PRIx64 " refused (%d)",
                          v->slot, v->fn, i, b->committed, rc);
        } else if (b->mapped) {
            struct vdev_event ev = { .type = VDEV_EV_BAR_UNMAP, .bar = i, .old_addr = b->committed,
                                     .new_addr = b->committed, .size = b->size, .mapped = true };
            vdev_emit(v, &ev);
            b->mapped = false;
        }
    }
}

void bars_unmap_all(struct vdev *v)
{
    uint32_t rom = bar_rom_ctrl(v);
    bars_update_mapping(v, vdev_cmd_locked(v), 0, rom, 0);
}

uint32_t bar_rom_ctrl(struct vdev *v)
{
    struct vreg *r = v->bars[PCI_ROM_SLOT].type == BAR_ROM ? regset_find(&v->regs, 0x30) : NULL;
    return r ? (r->val & PCI_ROM_ENABLE) : 0;
}

/* ---- register hooks ------------------------------------------------------ */

/* A size probe: every implemented address bit written as one (§6.2.5.1).
 * Bits below the BAR's size are hardwired 0, so they do not count. */
static bool all_address_bits(uint32_t val, uint32_t implemented)
{
    return (val & implemented) == implemented;
}

static uint32_t bar_lo_read(struct vdev *v, const struct vreg *r, uint32_t val)
{
    const struct vbar *b = &v->bars[r->aux];
    uint64_t addr = b->sizing_lo ? ~(b->size - 1) : b->pending;
    return ((uint32_t)addr & PCI_BAR_MEM_ADDR_MASK) | bar_flags(b);
}

static void bar_lo_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    struct vbar *b = &v->bars[r->aux];
    b->sizing_lo = all_address_bits(val, PCI_BAR_MEM_ADDR_MASK & (uint32_t)~(b->size - 1));
    if (b->sizing_lo)
        return;
    b->pending = ((b->pending & ~0xffffffffull) | (val & PCI_BAR_MEM_ADDR_MASK)) & ~(b->size - 1);
    if (b->type == BAR_MEM32 && (wmask & 0xff000000u))
        bar_complete_move(v, r->aux);
}

static uint32_t bar_hi_read(struct vdev *v, const struct vreg *r, uint32_t val)
{
    const struct vbar *b = &v->bars[r->aux];
    uint64_t addr = b->sizing_hi ? ~(b->size - 1) : b->pending;
    return (uint32_t)(addr >> 32);
}

static void bar_hi_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    struct vbar *b = &v->bars[r->aux];
    b->sizing_hi = all_address_bits(val, (uint32_t)(~(b->size - 1) >> 32));
    if (b->sizing_hi)
        return;
    b->pending = ((b->pending & 0xffffffffull) | ((uint64_t)val << 32)) & ~(b->size - 1);
    if (wmask & 0xff000000u)
        bar_complete_move(v, r->aux);
}

static uint32_t rom_read(struct vdev *v, const struct vreg *r, uint32_t val)
{
    const struct vbar *b = &v->bars[PCI_ROM_SLOT];
    uint64_t addr = b->sizing_lo ? ~(b->size - 1) : b->pending;
    return ((uint32_t)addr & PCI_ROM_ADDR_MASK) | (r->val & PCI_ROM_ENABLE);
}

static void rom_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old, uint32_t wmask)
{
    struct vbar *b = &v->bars[PCI_ROM_SLOT];
    b->sizing_lo = all_address_bits(val, PCI_ROM_ADDR_MASK & (uint32_t)~(b->size - 1));
    if (!b->sizing_lo) {
        b->pending = (val & PCI_ROM_ADDR_MASK) & ~(b->size - 1);
        if (wmask & 0xff000000u)
            bar_complete_move(v, PCI_ROM_SLOT);
    }
    if ((old ^ val) & PCI_ROM_ENABLE) {
        uint16_t cmd = vdev_cmd_locked(v);
        bars_update_mapping(v, cmd, cmd, old & PCI_ROM_ENABLE, val & PCI_ROM_ENABLE);
    }
}

static const struct reg_desc bar_mem_regs[] = {
    { .name = "memory BAR", .offset = 0, .size = 4, .src = REG_EMULATED, .ro = 0xf,
      .read = bar_lo_read, .write = bar_lo_write },
};
static const struct reg_desc bar_mem64_hi_regs[] = {
    { .name = "64-bit BAR upper half", .offset = 0, .size = 4, .src = REG_EMULATED,
      .read = bar_hi_read, .write = bar_hi_write },
};
/* Unimplemented BARs, and I/O BARs (Arm has no I/O space): read 0. */
static const struct reg_desc bar_zero_regs[] = {
    { .name = "empty BAR", .offset = 0, .size = 4, .src = REG_ZERO, .ro = 0xffffffff },
};
static const struct reg_desc rom_regs[] = {
    { .name = "expansion ROM", .offset = 0, .size = 4, .src = REG_EMULATED, .rsvdp = 0x7fe,
      .read = rom_read, .write = rom_write },
};
const struct reg_table bar_mem_table = REG_TABLE("memory BAR", bar_mem_regs, 4);
const struct reg_table bar_mem64_hi_table = REG_TABLE("64-bit BAR upper half", bar_mem64_hi_regs, 4);
const struct reg_table bar_zero_table = REG_TABLE("empty BAR", bar_zero_regs, 4);
const struct reg_table rom_table = REG_TABLE("expansion ROM", rom_regs, 4);

/* The address a BAR can hold: aligned to its size, and below 4 GiB unless it
 * is a 64-bit pair (§6.2.5.1: a 32-bit BAR or the ROM decodes 32 address bits).
 * Planned and restored addresses come from outside the engine (the plan,
 * xenstore), so both pass through here. */
uint64_t bar_fit_addr(const struct vbar *b, uint64_t addr)
{
    addr &= ~(b->size - 1);
    return b->type == BAR_MEM64 ? addr : addr & 0xffffffffull;
}

static bool pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* Whether BAR i of the host function can be presented (§6.2.5.1): a power of
 * two of at least 16 bytes (2 KiB for the ROM), a 32-bit BAR at most 2 GiB,
 * the ROM only in its own slot, and a 64-bit BAR's upper half (BAR i+1)
 * existing and unused.  NULL when it can, else why not. */
static const char *bar_host_problem(const struct host_dev *hd, int i)
{
    const struct host_bar *hb = &hd->bars[i];

    if (hb->type == BAR_NONE || hb->type == BAR_IO || hb->size == 0)
        return NULL;
    if (!pow2(hb->size))
        return "its size is not a power of two";
    if (hb->size < (hb->type == BAR_ROM ? 2048u : 16u))
        return hb->type == BAR_ROM ? "an expansion ROM is at least 2 KiB"
                                   : "a memory BAR is at least 16 bytes";
    if ((hb->type == BAR_ROM) != (i == PCI_ROM_SLOT))
        return i == PCI_ROM_SLOT ? "the expansion ROM slot holds a non-ROM resource"
                                 : "a ROM resource is reported in a BAR slot";
    if (hb->type == BAR_MEM32 && hb->size > 0x80000000ull)
        return "a 32-bit BAR cannot decode more than 2 GiB";
    if (hb->type == BAR_MEM64 && i == PCI_NUM_BARS - 1)
        return "a 64-bit BAR in the last slot has no upper half";
    if (hb->type == BAR_MEM64 && hd->bars[i + 1].size)
        return "it is 64-bit but the next BAR, its upper half, is also in use";
    return NULL;
}

int host_dev_check_bars(const struct host_dev *hd, char *err, size_t errlen)
{
    for (int i = 0; i < PCI_NUM_RES; i++) {
        const struct host_bar *hb = &hd->bars[i];
        const char *why = bar_host_problem(hd, i);

        if (why) {
            snprintf(err, errlen, "%s %d (size 0x%" PRIx64 " at 0x%" PRIx64 ") cannot be "
                     "presented: %s", i == PCI_ROM_SLOT ? "ROM BAR" : "BAR", i, hb->size,
                     hb->addr, why);
            return -EINVAL;
        }
    }
    return 0;
}

static int bar_init(struct vdev *v, int i, const struct vdev_config *cfg)
{
    const struct host_bar *hb = &v->hd->bars[i];
    struct vbar *b = &v->bars[i];
    bool mem = hb->type == BAR_MEM32 || hb->type == BAR_MEM64 || hb->type == BAR_ROM;

    *b = (struct vbar){ .type = BAR_NONE };
    if (!mem || hb->size == 0)
        return 0;
    if (bar_host_problem(v->hd, i))
        return -EINVAL;
    b->type = hb->type;
    b->prefetchable = hb->prefetchable && hb->type != BAR_ROM;
    b->size = hb->size;
    b->host_addr = hb->addr;
    b->initial = b->committed = b->pending = bar_fit_addr(b, cfg->guest_bar[i]);
    return 0;
}

int bars_setup(struct vdev *v, const struct vdev_config *cfg)
{
    int rc;
    for (int i = 0; i < PCI_NUM_BARS; i++) {
        if ((rc = bar_init(v, i, cfg)))
            return rc;
        uint16_t off = (uint16_t)(0x10 + 4 * i);
        switch (v->bars[i].type) {
        case BAR_MEM32:
            rc = regset_add_table(&v->regs, &bar_mem_table, off, 4, i);
            break;
        case BAR_MEM64:
            rc = regset_add_table(&v->regs, &bar_mem_table, off, 4, i);
            if (!rc)
                rc = regset_add_table(&v->regs, &bar_mem64_hi_table, off + 4, 4, i);
            i++;
            break;
        default:
            rc = regset_add_table(&v->regs, &bar_zero_table, off, 4, i);
        }
        if (rc)
            return rc;
    }
    if ((rc = bar_init(v, PCI_ROM_SLOT, cfg)))
        return rc;
    return regset_add_table(&v->regs, v->bars[PCI_ROM_SLOT].type == BAR_ROM ? &rom_table
                                                                          : &bar_zero_table,
                            0x30, 4, PCI_ROM_SLOT);
}
