/* The simulated guest's scan: slots and functions (as Linux's
 * pci_scan_slot/pci_scan_device/pci_setup_device do), BAR sizing (as
 * __pci_read_base does), then assignment and enabling. */
#include <errno.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/simulate/guest_enum_int.h"

static uint64_t lowest_bit(uint64_t v)
{
    return v & (~v + 1);
}

/* PCI 3.0 sec 6.2.5.1: write all-ones, read back; the size is given by
 * the lowest writable address bit.  The original value is restored. */
static uint32_t probe_dword(struct genum *g, const struct sbdf *bdf, unsigned reg,
                            uint32_t ones, uint32_t *orig)
{
    uint32_t sz;

    *orig = ge_read(g, bdf, reg, 4);
    ge_write(g, bdf, reg, 4, ones);
    sz = ge_read(g, bdf, reg, 4);
    ge_write(g, bdf, reg, 4, *orig);
    return sz == 0xffffffffu && ones != 0xffffffffu ? 0 : sz;
}

/* Size BAR i; returns how many BAR slots it took (2 for a 64-bit pair). */
static unsigned size_one_bar(struct genum *g, struct guest_func *fn, unsigned i,
                             unsigned nbars)
{
    struct guest_bar *b = &fn->res[i];
    unsigned reg = PCI_CFG_BAR0 + 4 * i;
    uint32_t lo, szlo = probe_dword(g, &fn->bdf, reg, 0xffffffffu, &lo);
    uint32_t hi = 0, szhi = 0;
    uint64_t mask;

    /* A BAR that reads all-ones after the all-ones write is not a BAR
     * (absent or broken function): Linux treats it as size 0. */
    if (szlo == 0 || szlo == 0xffffffffu)
        return 1;
    if (lo & PCI_BAR_IO_SPACE) {
        mask = lowest_bit(szlo & PCI_BAR_IO_ADDR_MASK);
        if (mask) {
            *b = (struct guest_bar){ .kind = GUEST_BAR_IO, .size = mask,
                                     .addr = lo & PCI_BAR_IO_ADDR_MASK };
        }
        return 1;
    }
    if ((lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64 && i + 1 < nbars) {
        szhi = probe_dword(g, &fn->bdf, reg + 4, 0xffffffffu, &hi);
        b->is64 = true;
    }
    mask = ((uint64_t)szhi << 32) | (szlo & PCI_BAR_MEM_ADDR_MASK);
    b->size = lowest_bit(mask);
    if (!b->size) {
        b->is64 = false;
        return 1;
    }
    b->kind = GUEST_BAR_MEM;
    b->prefetch = (lo & PCI_BAR_MEM_PREFETCH) != 0;
    b->addr = ((uint64_t)hi << 32) | (lo & PCI_BAR_MEM_ADDR_MASK);
    return b->is64 ? 2 : 1;
}

/* The expansion ROM BAR is sized with its enable bit clear (PCI 3.0 sec
 * 6.2.5.2: bit 0 enables decode; bits 31:11 hold the address). */
static void size_rom(struct genum *g, struct guest_func *fn, unsigned reg)
{
    struct guest_bar *b = &fn->res[GUEST_ENUM_ROM];
    uint32_t orig = ge_read(g, &fn->bdf, reg, 4), sz;

    ge_write(g, &fn->bdf, reg, 4, (orig & ~PCI_ROM_ENABLE) | PCI_ROM_ADDR_MASK);
    sz = ge_read(g, &fn->bdf, reg, 4);
    ge_write(g, &fn->bdf, reg, 4, orig);
    if (sz == 0xffffffffu || !(sz & PCI_ROM_ADDR_MASK))
        return;
    *b = (struct guest_bar){ .kind = GUEST_BAR_ROM, .size = lowest_bit(sz & PCI_ROM_ADDR_MASK),
                             .addr = orig & PCI_ROM_ADDR_MASK };
}

/* Command read, decode off (PCI 3.0 sec 6.2.2: bits 0-1); returns it. */
static uint16_t decode_off(struct genum *g, const struct guest_func *fn)
{
    uint16_t cmd = ge_read(g, &fn->bdf, PCI_CFG_COMMAND, 2);

    if (cmd & (PCI_CMD_IO | PCI_CMD_MEMORY))
        ge_write(g, &fn->bdf, PCI_CFG_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    return cmd;
}

static void decode_restore(struct genum *g, const struct guest_func *fn, uint16_t cmd)
{
    if (cmd & (PCI_CMD_IO | PCI_CMD_MEMORY))
        ge_write(g, &fn->bdf, PCI_CFG_COMMAND, 2, cmd);
}

/* Decode is turned off around sizing, so that the all-ones probe value
 * never decodes on the bus: once per function as Linux >= 6.14's
 * pci_read_bases does, or around each BAR as older __pci_read_base did. */
void ge_size_bars(struct genum *g, struct guest_func *fn)
{
    unsigned nbars = fn->hdr_type == 0 ? 6 : fn->hdr_type == 1 ? 2 : 0;
    unsigned rom = fn->hdr_type == 0 ? PCI_CFG_ROM_T0 : fn->hdr_type == 1 ? PCI_CFG_ROM_T1 : 0;
    bool per_bar = (g->cfg->flags & GUEST_ENUM_PER_BAR_DECODE) != 0;
    uint16_t cmd = decode_off(g, fn);
    bool off = true;

    for (unsigned i = 0; i < nbars;) {
        if (!off)
            cmd = decode_off(g, fn);
        off = true;
        i += size_one_bar(g, fn, i, nbars);
        if (per_bar) {
            decode_restore(g, fn, cmd);
            off = false;
        }
    }
    if (rom) {
        if (!off)
            cmd = decode_off(g, fn);
        off = true;
        size_rom(g, fn, rom);
    }
    if (off)
        decode_restore(g, fn, cmd);
    fn->command = cmd;
}

/* Linux's pci_bus_generic_read_dev_vendor_id: one dword read of the IDs;
 * all-ones, zero, or either half all-ones/zero means no function. */
static bool function_present(uint32_t id)
{
    return id != 0xffffffffu && id != 0 && id != 0x0000ffffu && id != 0xffff0000u;
}

/* Probe one function; *multifn gets its header's multi-function bit.
 * Returns true when a function answered. */
static bool probe_function(struct genum *g, struct guest_func *fn, uint8_t bus,
                           uint8_t dev, uint8_t func, bool *multifn)
{
    uint32_t id, cls;
    uint8_t hdr;

    memset(fn, 0, sizeof(*fn));
    fn->bdf = (struct sbdf){ .seg = 0, .bus = bus, .dev = dev, .fn = func };
    id = ge_read(g, &fn->bdf, PCI_CFG_VENDOR_ID, 4);
    if (!function_present(id))
        return false;
    fn->vendor = id & 0xffff;
    fn->device = id >> 16;
    hdr = ge_read(g, &fn->bdf, PCI_CFG_HEADER_TYPE, 1);
    fn->hdr_type = hdr & 0x7f;
    fn->multifunction = *multifn = (hdr & PCI_HDR_MULTIFN) != 0;
    cls = ge_read(g, &fn->bdf, PCI_CFG_CLASS_REV, 4);
    fn->rev = cls & 0xff;
    fn->class_code = cls >> 8;
    fn->status = ge_read(g, &fn->bdf, PCI_CFG_STATUS, 2);
    ge_size_bars(g, fn);
    if (fn->hdr_type == 0) {
        fn->subsys_vendor = ge_read(g, &fn->bdf, PCI_CFG_SUBSYS, 2);
        fn->subsys_id = ge_read(g, &fn->bdf, PCI_CFG_SUBSYS + 2, 2);
    }
    fn->irq_pin = ge_read(g, &fn->bdf, PCI_CFG_INT_PIN, 1);
    fn->irq_line = ge_read(g, &fn->bdf, PCI_CFG_INT_LINE, 1);
    ge_walk_caps(g, fn);
    return true;
}

static void scan_function(struct genum *g, uint8_t bus, uint8_t dev, uint8_t func,
                          bool *present, bool *multifn)
{
    struct guest_enum_result *r = g->res;
    struct guest_func scratch;
    struct guest_func *fn = r->nfuncs < GUEST_ENUM_MAX_FUNCS ? &r->funcs[r->nfuncs] : &scratch;

    *present = probe_function(g, fn, bus, dev, func, multifn);
    if (!*present)
        return;
    if (fn == &scratch)
        r->funcs_truncated = true;
    else
        r->nfuncs++;
}

/* Linux's pci_scan_slot: function 0 first; functions 1..7 only when
 * function 0 exists and says it is multi-function (PCI 3.0 sec 6.2.1,
 * Header Type bit 7). */
static void scan_slot(struct genum *g, uint8_t bus, uint8_t dev)
{
    bool present, multifn = false, ignored;

    scan_function(g, bus, dev, 0, &present, &multifn);
    if (!present || !multifn)
        return;
    for (uint8_t func = 1; func < 8; func++)
        scan_function(g, bus, dev, func, &present, &ignored);
}

static bool window_ok(const struct guest_window *w, uint64_t limit)
{
    return w->size == 0 || (w->base + w->size > w->base && w->base + w->size - 1 <= limit);
}

static bool windows_overlap(const struct guest_window *a, const struct guest_window *b)
{
    return a->size && b->size && a->base < b->base + b->size && b->base < a->base + a->size;
}

static int check_config(const struct guest_bus_ops *ops, const struct guest_enum_config *cfg)
{
    if (!ops || !ops->read || !ops->write || !cfg || cfg->bus_first > cfg->bus_last)
        return -EINVAL;
    if (!window_ok(&cfg->mem32, 0xffffffffull) || !window_ok(&cfg->pref64, UINT64_MAX) ||
        windows_overlap(&cfg->mem32, &cfg->pref64))
        return -EINVAL;
    return 0;
}

int guest_enumerate(const struct guest_bus_ops *ops, void *ctx,
                    const struct guest_enum_config *cfg, struct guest_enum_result *out)
{
    struct genum g = { .ops = ops, .ctx = ctx, .cfg = cfg, .res = out };
    unsigned last;

    if (!out || check_config(ops, cfg) != 0)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    last = cfg->flags & GUEST_ENUM_ROOT_BUS_ONLY ? cfg->bus_first : cfg->bus_last;
    for (unsigned bus = cfg->bus_first; bus <= last; bus++)
        for (uint8_t dev = 0; dev < 32; dev++)
            scan_slot(&g, (uint8_t)bus, dev);
    ge_assign_all(&g);
    ge_enable_all(&g);
    return 0;
}
