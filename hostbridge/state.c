/* Guest-visible state save/restore, so a restarted daemon resumes without
 * the guest noticing.  Restore applies only the bits a guest could have
 * changed (read-only bits keep their power-on value) and emits no events. */
#include <string.h>

#include "hostbridge/vdev.h"

static uint32_t get(const struct vdev *v, unsigned off)
{
    struct vreg *r = off ? regset_find(&v->regs, (uint16_t)off) : NULL;
    return r ? r->val : 0;
}

static void put(struct vdev *v, unsigned off, uint32_t val)
{
    struct vreg *r = off ? regset_find(&v->regs, (uint16_t)off) : NULL;
    if (!r || (r->d->src != REG_EMULATED && r->d->src != REG_MIXED))
        return;
    const struct reg_desc *d = r->d;
    uint32_t keep = d->ro | d->rsvdp | d->rsvdz | d->host_mask;
    r->val = ((r->reset & keep) | (val & ~keep)) & size_mask(d->size);
}

static unsigned msi_data_off(const struct vdev *v)
{
    return v->msi_base ? v->msi_base + (v->msi_is64 ? 0x0cu : 0x08u) : 0;
}

void vdev_save_state(const struct vdev *v, struct vdev_state *st)
{
    struct vdev *w = (struct vdev *)v;
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&w->lock);
    st->command = (uint16_t)get(v, 0x04);
    st->status_rw1c = (uint16_t)(get(v, 0x06) & 0xf900);
    /* A mapped BAR is saved where it is mapped: restore emits no events, so
     * a move the guest has only half written (e.g. the low dword of a
     * 64-bit BAR) cannot complete there, and the p2m holds the committed
     * address (found by fuzz_cfg, docs/design.md (fuzz section) F9).  Unmapped BARs keep
     * the address as programmed so far. */
    for (int i = 0; i < PCI_NUM_RES; i++)
        st->guest_bar[i] = v->bars[i].mapped ? v->bars[i].committed : v->bars[i].pending;
    st->rom_ctrl = bar_rom_ctrl(w);
    st->intx_line = (uint8_t)get(v, 0x3c);
    st->cache_line = (uint8_t)get(v, 0x0c);
    st->latency_timer = (uint8_t)get(v, 0x0d);
    for (int i = 0; i < PCI_NUM_RES; i++)
        if (v->bars[i].mapped)
            st->bars_mapped |= (uint8_t)(1u << i);
    if (v->msi_base) {
        st->msi_ctrl = (uint16_t)get(v, v->msi_base + 2u);
        st->msi_addr = get(v, v->msi_base + 4u) |
                       (v->msi_is64 ? (uint64_t)get(v, v->msi_base + 8u) << 32 : 0);
        st->msi_data = (uint16_t)get(v, msi_data_off(v));
        st->msi_mask = v->msi_maskable ? get(v, msi_data_off(v) + 4) : 0;
        st->msi_pending = v->msi_maskable ? get(v, msi_data_off(v) + 8) : 0;
    }
    st->msix_ctrl = v->msix_base ? (uint16_t)get(v, v->msix_base + 2u) : 0;
    if (v->pcie_base) {
        st->pcie_devctl = (uint16_t)get(v, v->pcie_base + 0x08u);
        st->pcie_lnkctl = (uint16_t)get(v, v->pcie_base + 0x10u);
        st->pcie_devctl2 = (uint16_t)get(v, v->pcie_base + 0x28u);
    }
    st->pm_ctrl = v->pm_base ? (uint16_t)get(v, v->pm_base + 4u) : 0;
    pthread_mutex_unlock(&w->lock);
}

void vdev_restore_state(struct vdev *v, const struct vdev_state *st)
{
    pthread_mutex_lock(&v->lock);
    put(v, 0x04, v->dma ? st->command : st->command & ~0x4u);   /* header.c: Bus Master */
    put(v, 0x06, st->status_rw1c & 0xf900);
    put(v, 0x3c, st->intx_line);
    put(v, 0x0c, st->cache_line);
    put(v, 0x0d, st->latency_timer);
    if (v->bars[PCI_ROM_SLOT].type == BAR_ROM)
        put(v, 0x30, st->rom_ctrl & 1);
    for (int i = 0; i < PCI_NUM_RES; i++) {
        struct vbar *b = &v->bars[i];
        if (b->type == BAR_NONE)
            continue;
        b->committed = b->pending = bar_fit_addr(b, st->guest_bar[i]);
        b->sizing_lo = b->sizing_hi = false;
        b->mapped = (st->command & 0x2) && (i != PCI_ROM_SLOT || (st->rom_ctrl & 1)) &&
                    (st->bars_mapped & (1u << i));
    }
    if (v->msi_base) {
        unsigned mmc = (get(v, v->msi_base + 2u) >> 1) & 7, mme = (st->msi_ctrl >> 4) & 7;
        put(v, v->msi_base + 2u, (st->msi_ctrl & ~0x70u) | ((mme > mmc ? mmc : mme) << 4));
        put(v, v->msi_base + 4u, (uint32_t)st->msi_addr);
        if (v->msi_is64)
            put(v, v->msi_base + 8u, (uint32_t)(st->msi_addr >> 32));
        put(v, msi_data_off(v), st->msi_data);
        if (v->msi_maskable) {
            uint32_t valid = v->msi_max >= 32 ? 0xffffffffu : (1u << v->msi_max) - 1;
            struct vreg *pend = regset_find(&v->regs, (uint16_t)(msi_data_off(v) + 8));
            put(v, msi_data_off(v) + 4, st->msi_mask & valid);
            if (pend)       /* read-only to the guest: set directly, as the service does */
                pend->val = st->msi_pending & valid;
        }
    }
    if (v->msix_base)
        put(v, v->msix_base + 2u, st->msix_ctrl);
    if (v->pcie_base) {
        put(v, v->pcie_base + 0x08u, st->pcie_devctl & 0x7fff);
        put(v, v->pcie_base + 0x10u, st->pcie_lnkctl);
        put(v, v->pcie_base + 0x28u, st->pcie_devctl2);
    }
    if (v->pm_base)
        put(v, v->pm_base + 4u, st->pm_ctrl);
    pthread_mutex_unlock(&v->lock);
}
