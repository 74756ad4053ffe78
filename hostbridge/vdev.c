/* One virtual device: creation from a host function, the locked access entry,
 * host access accounting, events, function reset, and the info/state API. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/vdev.h"

int vdev_host_read(struct vdev *v, unsigned off, unsigned size, uint32_t *val)
{
    if (!v->hd)
        return -ENODEV;
    atomic_fetch_add(&v->host_reads, 1);
    return host_cfg_read(v->hd, off, size, val);
}

int vdev_host_write(struct vdev *v, unsigned off, unsigned size, uint32_t val)
{
    if (!v->hd)
        return -ENODEV;
    atomic_fetch_add(&v->host_writes, 1);
    log_debug("%02x.%x: host config write off 0x%x len %u val 0x%x", v->slot, v->fn, off, size, val);
    return host_cfg_write(v->hd, off, size, val);
}

int vdev_emit(struct vdev *v, struct vdev_event *ev)
{
    struct vpci_topology *t = v->hb->topo;
    ev->vdev = v;
    return t->handler ? t->handler(t->opaque, ev) : 0;
}

static void lock_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

int vdev_create(struct hostbridge *hb, struct host_dev *hd, const struct vdev_config *cfg,
                struct vdev **out)
{
    struct vdev *v = calloc(1, sizeof(*v));
    int rc;
    if (!v)
        return -ENOMEM;
    v->hb = hb;
    v->hd = hd;
    v->slot = cfg ? cfg->slot : 0;
    v->fn = cfg ? cfg->fn : 0;
    v->intx_line_init = cfg ? cfg->intx_line : 0;
    v->dma = cfg ? cfg->dma : false;
    v->msi_hidden = cfg ? cfg->hide_msi : false;
    v->rl = (struct ratelimit)RATELIMIT_INIT(10, 1000);
    if (!hd)
        rc = root_setup(v);
    else if (hd->cfg_size != 256 && hd->cfg_size != 4096)
        rc = -EINVAL;
    else if (!(rc = header_setup(v)) && !(rc = bars_setup(v, cfg)))
        rc = caps_setup(v);
    if (rc) {
        regset_free(&v->regs);
        free(v->msix_tab);
        free(v);
        return rc;
    }
    lock_init(&v->lock);
    *out = v;
    return 0;
}

void vdev_free(struct vdev *v)
{
    if (!v)
        return;
    pthread_mutex_destroy(&v->lock);
    regset_free(&v->regs);
    free(v->msix_tab);
    free(v);
}

static void emit_state_if_dirty(struct vdev *v)
{
    if (v->dirty) {
        v->dirty = false;
        struct vdev_event ev = { .type = VDEV_EV_STATE, .bar = -1 };
        vdev_emit(v, &ev);
    }
}

uint32_t vdev_cfg_read(struct vdev *v, unsigned reg, unsigned size)
{
    pthread_mutex_lock(&v->lock);
    uint32_t val = regs_read(v, &v->regs, reg, size);
    pthread_mutex_unlock(&v->lock);
    return val;
}

void vdev_cfg_write(struct vdev *v, unsigned reg, unsigned size, uint32_t data)
{
    pthread_mutex_lock(&v->lock);
    regs_write(v, &v->regs, reg, size, data);
    emit_state_if_dirty(v);
    pthread_mutex_unlock(&v->lock);
}

static void regs_to_power_on(struct vdev *v)
{
    for (unsigned i = 0; i < v->regs.n; i++)
        v->regs.r[i].val = v->regs.r[i].reset;
    for (int i = 0; i < PCI_NUM_RES; i++) {
        struct vbar *b = &v->bars[i];
        b->committed = b->pending = b->initial;
        b->sizing_lo = b->sizing_hi = false;
    }
    msix_table_reset(v);        /* §6.8.2.9: Mask bits set at reset */
}

void vdev_function_reset_locked(struct vdev *v)
{
    /* PCIe Base §6.6.2: after an FLR the function's config state is at its
     * power-on values (decode off), so the BARs are unmapped first. */
    bars_unmap_all(v);
    header_bus_master_off_locked(v);
    struct vdev_event ev = { .type = VDEV_EV_FLR, .bar = -1 };
    vdev_emit(v, &ev);
    regs_to_power_on(v);
    v->dirty = true;
}

void vdev_reset(struct vdev *v)
{
    pthread_mutex_lock(&v->lock);
    bars_unmap_all(v);
    header_bus_master_off_locked(v);
    regs_to_power_on(v);
    v->dirty = false;
    pthread_mutex_unlock(&v->lock);
}

/* ---- information ------------------------------------------------------- */

struct host_dev *vdev_host(const struct vdev *v) { return v->hd; }

void vdev_location(const struct vdev *v, uint16_t *seg, uint8_t *bus, uint8_t *slot, uint8_t *fn)
{
    if (seg) *seg = v->hb->seg;
    if (bus) *bus = v->hb->bus_start;
    if (slot) *slot = v->slot;
    if (fn) *fn = v->fn;
}

/* The info functions take the (recursive) vdev lock, so an event handler may
 * call them. */
static void lock_c(const struct vdev *v) { pthread_mutex_lock(&((struct vdev *)v)->lock); }
static void unlock_c(const struct vdev *v) { pthread_mutex_unlock(&((struct vdev *)v)->lock); }

void vdev_bar_info(const struct vdev *v, int bar, struct vdev_bar_info *out)
{
    memset(out, 0, sizeof(*out));
    if (bar < 0 || bar >= PCI_NUM_RES)
        return;
    lock_c(v);
    {
        const struct vbar *b = &v->bars[bar];
        *out = (struct vdev_bar_info){ .type = b->type, .prefetchable = b->prefetchable,
                                       .guest_addr = b->committed, .host_addr = b->host_addr,
                                       .size = b->size, .mapped = b->mapped };
    }
    unlock_c(v);
}

static uint32_t reg_val(const struct vdev *v, unsigned off)
{
    struct vreg *r = off ? regset_find(&v->regs, (uint16_t)off) : NULL;
    return r ? r->val : 0;
}

void vdev_msix_info(const struct vdev *v, struct msix_info *out)
{
    lock_c(v);
    {
        *out = v->msix;
        uint32_t ctrl = v->msix_base ? reg_val(v, v->msix_base + 2u) : 0;
        out->enabled = ctrl & 0x8000;
        out->masked = ctrl & 0x4000;
    }
    unlock_c(v);
}

void vdev_msi_info(const struct vdev *v, struct msi_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!v->msi_base)
        return;
    lock_c(v);
    {
        unsigned b = v->msi_base, data_off = b + (v->msi_is64 ? 0x0c : 0x08);
        uint32_t ctrl = reg_val(v, b + 2);
        out->present = true;
        out->enabled = ctrl & 1;
        out->is64 = v->msi_is64;
        out->maskable = v->msi_maskable;
        out->max_vectors = v->msi_max;
        out->vectors = 1u << ((ctrl >> 4) & 7);
        out->address = reg_val(v, b + 4) | (v->msi_is64 ? (uint64_t)reg_val(v, b + 8) << 32 : 0);
        out->data = (uint16_t)reg_val(v, data_off);
        out->mask = v->msi_maskable ? reg_val(v, data_off + 4) : 0;
        out->pending = v->msi_maskable ? reg_val(v, data_off + 8) : 0;
    }
    unlock_c(v);
}

uint16_t vdev_command(const struct vdev *v)
{
    uint16_t cmd;
    lock_c(v);
    cmd = vdev_cmd_locked((struct vdev *)v);
    unlock_c(v);
    return cmd;
}

uint8_t vdev_intx_pin(const struct vdev *v)
{
    uint32_t pin = 0;
    if (!v->hd || host_cfg_read(v->hd, PCI_CFG_INT_PIN, 1, &pin) || pin > 4)
        return 0;
    return (uint8_t)pin;
}
