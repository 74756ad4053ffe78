/* The simulated guest's resource assignment and enabling, as Linux's
 * pci_assign_unassigned_resources (largest alignment first, bottom-up in
 * the host bridge's windows), pci_std_update_resource, pci_enable_device,
 * pci_set_master and MSI setup do it. */
#include <stdlib.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/simulate/guest_enum_int.h"

#define MAX_ITEMS (GUEST_ENUM_MAX_FUNCS * (GUEST_ENUM_NBARS + 1))

struct item {
    unsigned fn, res;   /* index in result, index in res[] */
    uint64_t size;
};

struct ranges {
    unsigned n;
    struct { uint64_t base, end; } r[MAX_ITEMS];   /* [base, end) */
};

static bool overlaps(const struct ranges *u, uint64_t base, uint64_t size, uint64_t *end)
{
    for (unsigned i = 0; i < u->n; i++)
        if (base < u->r[i].end && u->r[i].base < base + size) {
            *end = u->r[i].end;
            return true;
        }
    return false;
}

static void take(struct ranges *u, uint64_t base, uint64_t size)
{
    u->r[u->n].base = base;
    u->r[u->n].end = base + size;
    u->n++;
}

static bool inside(const struct guest_window *w, uint64_t base, uint64_t size)
{
    return w->size && base >= w->base && size <= w->size && base - w->base <= w->size - size;
}

/* Lowest naturally aligned free range of size in w (PCI 3.0 sec 6.2.5.1:
 * a BAR decodes a size-aligned range). */
static bool find_gap(const struct ranges *u, const struct guest_window *w, uint64_t size,
                     uint64_t *out)
{
    uint64_t cand, end;

    if (!w->size || size > w->size)
        return false;
    cand = (w->base + size - 1) & ~(size - 1);
    while (cand >= w->base && inside(w, cand, size)) {
        if (!overlaps(u, cand, size, &end)) {
            *out = cand;
            return true;
        }
        if (end > UINT64_MAX - (size - 1))
            break;                        /* nothing above: no room */
        cand = (end + size - 1) & ~(size - 1);
    }
    return false;
}

/* 64-bit prefetchable BARs go to the prefetchable window, falling back to
 * the 32-bit window; everything else only fits the 32-bit window (a
 * non-prefetchable BAR must not sit in a prefetchable window). */
static bool place(const struct guest_enum_config *cfg, const struct ranges *u,
                  const struct guest_bar *b, uint64_t *addr)
{
    if (b->kind == GUEST_BAR_MEM && b->is64 && b->prefetch &&
        find_gap(u, &cfg->pref64, b->size, addr))
        return true;
    return find_gap(u, &cfg->mem32, b->size, addr);
}

/* Keep firmware's address when it is aligned, inside an allowed window and
 * free (Linux's pci_claim_resource). */
static bool claim(const struct guest_enum_config *cfg, struct ranges *u,
                  const struct guest_bar *b)
{
    uint64_t end;
    bool ok_pref = b->kind == GUEST_BAR_MEM && b->is64 && b->prefetch &&
                   inside(&cfg->pref64, b->addr, b->size);

    if (!b->addr || (b->addr & (b->size - 1)) || overlaps(u, b->addr, b->size, &end))
        return false;
    if (!ok_pref && !inside(&cfg->mem32, b->addr, b->size))
        return false;
    take(u, b->addr, b->size);
    return true;
}

static int by_size_desc(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;

    if (a->size != b->size)
        return a->size < b->size ? 1 : -1;
    if (a->fn != b->fn)
        return a->fn < b->fn ? -1 : 1;
    return a->res < b->res ? -1 : a->res > b->res;
}

static void check_back(struct genum *g, struct guest_func *fn, unsigned reg, uint32_t want,
                       uint32_t mask, struct guest_bar *b)
{
    ge_write(g, &fn->bdf, reg, 4, want);
    if ((ge_read(g, &fn->bdf, reg, 4) ^ want) & mask)
        b->readback_bad = true;
}

/* pci_std_update_resource: a 64-bit BAR is written with memory decode off
 * (its two halves cannot change at once); every write is read back. */
static void write_bar(struct genum *g, struct guest_func *fn, unsigned i)
{
    struct guest_bar *b = &fn->res[i];
    uint16_t cmd = 0;

    if (b->kind == GUEST_BAR_ROM) {
        unsigned reg = fn->hdr_type == 1 ? PCI_CFG_ROM_T1 : PCI_CFG_ROM_T0;
        check_back(g, fn, reg, (uint32_t)b->addr, PCI_ROM_ADDR_MASK, b);  /* enable off */
        return;
    }
    if (b->is64) {
        cmd = ge_read(g, &fn->bdf, PCI_CFG_COMMAND, 2);
        ge_write(g, &fn->bdf, PCI_CFG_COMMAND, 2, cmd & ~PCI_CMD_MEMORY);
    }
    check_back(g, fn, PCI_CFG_BAR0 + 4 * i,
               (uint32_t)b->addr | (b->prefetch ? PCI_BAR_MEM_PREFETCH : 0) |
                   (b->is64 ? PCI_BAR_MEM_TYPE_64 : 0),
               PCI_BAR_MEM_ADDR_MASK, b);
    if (b->is64) {
        check_back(g, fn, PCI_CFG_BAR0 + 4 * i + 4, (uint32_t)(b->addr >> 32), 0xffffffffu, b);
        ge_write(g, &fn->bdf, PCI_CFG_COMMAND, 2, cmd);
    }
}

static unsigned collect(struct guest_enum_result *r, struct item *items)
{
    unsigned n = 0;

    for (unsigned f = 0; f < r->nfuncs; f++)
        for (unsigned i = 0; i <= GUEST_ENUM_ROM; i++) {
            struct guest_bar *b = &r->funcs[f].res[i];
            if (b->kind == GUEST_BAR_MEM || b->kind == GUEST_BAR_ROM)
                items[n++] = (struct item){ .fn = f, .res = i, .size = b->size };
            else if (b->kind == GUEST_BAR_IO)
                b->addr = 0;   /* no I/O window on Arm */
        }
    return n;
}

void ge_assign_all(struct genum *g)
{
    struct guest_enum_result *r = g->res;
    struct item *items = calloc(MAX_ITEMS, sizeof(*items));
    struct ranges *used = calloc(1, sizeof(*used));
    unsigned n;

    if (!items || !used) {
        free(items);
        free(used);
        r->unassigned = MAX_ITEMS;
        return;
    }
    n = collect(r, items);
    qsort(items, n, sizeof(*items), by_size_desc);
    for (unsigned k = 0; k < n && !(g->cfg->flags & GUEST_ENUM_REASSIGN); k++) {
        struct guest_bar *b = &r->funcs[items[k].fn].res[items[k].res];
        b->assigned = claim(g->cfg, used, b);
    }
    for (unsigned k = 0; k < n; k++) {
        struct guest_func *fn = &r->funcs[items[k].fn];
        struct guest_bar *b = &fn->res[items[k].res];
        uint64_t addr;

        if (b->assigned)
            continue;
        if (!place(g->cfg, used, b, &addr)) {
            b->addr = 0;
            r->unassigned++;
            continue;
        }
        take(used, addr, b->size);
        b->addr = addr;
        b->assigned = true;
        write_bar(g, fn, items[k].res);
    }
    free(items);
    free(used);
}

static bool all_mem_assigned(const struct guest_func *fn, bool *any)
{
    *any = false;
    for (unsigned i = 0; i < GUEST_ENUM_NBARS; i++) {
        if (fn->res[i].kind != GUEST_BAR_MEM)
            continue;
        if (!fn->res[i].assigned)
            return false;
        *any = true;
    }
    return true;
}

/* Read-modify-write of Command, skipped when nothing changes (as
 * pci_enable_resources / pci_set_master / pci_intx do). */
static void command_set(struct genum *g, struct guest_func *fn, uint16_t bits)
{
    uint16_t cmd = ge_read(g, &fn->bdf, PCI_CFG_COMMAND, 2);

    if ((cmd | bits) != cmd)
        ge_write(g, &fn->bdf, PCI_CFG_COMMAND, 2, cmd | bits);
    fn->command = cmd | bits;
}

/* Memory decode only when every memory BAR has an address (Linux refuses
 * to enable a device with an unassigned BAR); then bus master; then MSI
 * with INTx disabled. */
void ge_enable_all(struct genum *g)
{
    struct guest_enum_result *r = g->res;

    for (unsigned f = 0; f < r->nfuncs; f++) {
        struct guest_func *fn = &r->funcs[f];
        bool any;

        if (all_mem_assigned(fn, &any) && any)
            command_set(g, fn, PCI_CMD_MEMORY);
        if (g->cfg->flags & GUEST_ENUM_BUS_MASTER)
            command_set(g, fn, PCI_CMD_MASTER);
        if ((g->cfg->flags & GUEST_ENUM_ENABLE_MSI) && fn->msi_present) {
            ge_enable_msi(g, fn, g->cfg->msi_event_base + f);
            if (fn->msi_enabled)
                command_set(g, fn, PCI_CMD_INTX_DISABLE);
        }
    }
}
