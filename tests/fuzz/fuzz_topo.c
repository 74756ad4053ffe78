/* See fuzz_topo.h.  The invariants are listed in docs/testing/fuzz.md "Invariants". */
#include "tests/fuzz/fuzz_topo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/vdev.h"        /* register tables: RO masks, sources */
#include "pcipt/assign/plan.h"
#include "tests/support/dump.h"
#include "tests/support/sysfs_tree.h"

#ifndef PCIPT_SRC_DIR
#define PCIPT_SRC_DIR "."
#endif

#define DWORDS (PCI_CFG_SIZE / 4)

void fz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz invariant broken: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void fz_pciback_tree(char *tree, size_t len, struct sbdf *addr)
{
    const char *src = getenv("PCIPT_SRC");
    char path[512], err[256];
    struct tree_opts o = { .driver = "pciback", .reset_method = "flr" };
    struct dump d;

    snprintf(path, sizeof(path), "%s/tests/data/dumps/cap-pcie-2", src ? src : PCIPT_SRC_DIR);
    if (dump_load(path, &d, err, sizeof(err)))
        fz_fail("cannot load %s: %s", path, err);
    if (sysfs_tree_mkdtemp(tree, len) || sysfs_tree_add(tree, &d.f[0], &o, err, sizeof(err)))
        fz_fail("cannot build the tree: %s", err);
    *addr = d.f[0].addr;
    dump_free(&d);
}

uint8_t fz_u8(struct fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint16_t fz_u16(struct fz_in *in) { return (uint16_t)(fz_u8(in) | fz_u8(in) << 8); }
uint32_t fz_u32(struct fz_in *in) { return fz_u16(in) | (uint32_t)fz_u16(in) << 16; }
uint64_t fz_u64(struct fz_in *in) { return fz_u32(in) | (uint64_t)fz_u32(in) << 32; }

/* ---- prototypes: what each dump contributes (built once) ---------------- */

struct proto_fn {
    uint8_t cfg[PCI_CFG_SIZE];
    unsigned cfg_size;
    struct host_bar bars[PCI_NUM_RES];
    struct vdev_config vc;
    /* Filled from the first world built: the power-on guest view, the bits
     * no guest write may change, and the bytes whose reads reach the host. */
    bool have_view;
    uint32_t view[DWORDS], ro[DWORDS];
    uint8_t host_byte[PCI_CFG_SIZE];
};

struct proto {
    unsigned nfn;
    struct proto_fn *fn;        /* [0] is the root complex (no host device) */
};

static struct proto protos[16];
static unsigned nprotos;

/* --- the snapshot host device ---- */

static int snap_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
    struct fz_hostdev *h = ctx;
    uint32_t v = 0;

    /* as hostpci's cfg_read: the engine must never ask for more */
    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > h->hd.cfg_size)
        fz_fail("host read of %u bytes at 0x%x (config space %u bytes)", size, off,
                h->hd.cfg_size);
    h->reads++;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)h->cfg[off + i] << (8 * i);
    *val = v;
    return 0;
}

static int snap_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    fz_fail("host config write of %u bytes at 0x%x (0x%x): no register allows one", size, off,
            val);
}

static const struct host_cfg_ops snap_ops = { .read = snap_read, .write = snap_write };

static bool plan_one(struct domain_assign *dom, const struct sbdf *addr,
                     const struct host_bar *bars, uint64_t guest[PCI_NUM_RES])
{
    struct guest_layout lay;
    struct plan_request req = { .host = *addr, .slot = -1 };
    char err[256];

    guest_layout_defaults(&lay);
    memcpy(req.bars, bars, sizeof(req.bars));
    if (dom->ndevs >= PCIPT_MAX_DEVS || plan_domain(&lay, dom, &req, 1, err, sizeof(err)))
        return false;
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        guest[i] = dom->devs[dom->ndevs - 1].bars[i].guest;
    return true;
}

static void proto_load(struct proto *p, const char *path)
{
    struct dump d;
    struct domain_assign *dom = calloc(1, sizeof(*dom));
    struct sbdf groups[32];
    unsigned ngroups = 0;
    char err[256];

    if (!dom || dump_load(path, &d, err, sizeof(err)))
        fz_fail("cannot load %s: %s", path, err);
    p->fn = calloc(d.n + 1, sizeof(*p->fn));
    p->nfn = 1;                                   /* root complex */
    for (unsigned i = 0; i < d.n && p->nfn < FZ_MAX_FNS; i++) {
        const struct dump_func *f = &d.f[i];
        struct proto_fn *pf = &p->fn[p->nfn];
        unsigned g;

        if (dump_cfg8(f, 0x0e) & 0x7f)
            continue;                              /* bridges are never passed through */
        for (g = 0; g < ngroups; g++)              /* one virtual slot per host device */
            if (groups[g].seg == f->addr.seg && groups[g].bus == f->addr.bus &&
                groups[g].dev == f->addr.dev)
                break;
        if (g == ngroups) {
            if (ngroups == 31)
                continue;
            groups[ngroups++] = f->addr;
        }
        memcpy(pf->cfg, f->cfg, sizeof(pf->cfg));
        pf->cfg_size = f->cfg_size;
        tree_bars(f, pf->bars);
        pf->vc.slot = (uint8_t)(g + 1);
        pf->vc.fn = f->addr.fn;
        pf->vc.intx_line = dump_cfg8(f, 0x3d) ? (uint8_t)(PCIPT_INTX_SPI_BASE - 32 + g) : 0;
        if (!plan_one(dom, &f->addr, pf->bars, pf->vc.guest_bar))
            memset(pf->vc.guest_bar, 0, sizeof(pf->vc.guest_bar));
        p->nfn++;
    }
    dump_free(&d);
    free(dom);
}

void fz_init(void)
{
    const char *src = getenv("PCIPT_SRC");
    char path[512];

    if (nprotos)
        return;
    for (unsigned i = 0; dump_files[i] && nprotos < 16; i++) {
        snprintf(path, sizeof(path), "%s/tests/data/dumps/%s", src ? src : PCIPT_SRC_DIR,
                 dump_files[i]);
        proto_load(&protos[nprotos++], path);
    }
    if (!nprotos)
        fz_fail("no dumps");
}

unsigned fz_ndumps(void)
{
    return nprotos;
}

/* ---- the daemon's side: policy and mapping model ------------------------ */

static bool inside(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
    return size && addr + size - 1 >= addr && addr >= base && addr + size - 1 <= base + len - 1;
}

#define PAGE 4096ull
static uint64_t page_lo(uint64_t a) { return a & ~(PAGE - 1); }
static uint64_t page_hi(uint64_t a, uint64_t s) { return (a + s - 1) | (PAGE - 1); }

/* What a daemon accepts: the whole BAR inside a hole its type can address
 * (32-bit BARs and the ROM: the low hole; 64-bit: either); a sub-page BAR
 * at the host's in-page offset (stage 2 maps whole pages); no page shared
 * with another mapped BAR (Xen refuses overlapping mappings: EEXIST). */
bool fz_policy_accepts(const struct fz_world *w, unsigned k, int bar, uint64_t addr,
                       uint64_t size)
{
    const struct host_bar *hb = &w->fn[k].hd->hd.bars[bar];
    const struct guest_layout *l = &w->lay;
    bool low = inside(addr, size, l->mem_base, l->mem_size);
    bool high = inside(addr, size, l->pref_base, l->pref_size);

    if (!(low || (hb->type == BAR_MEM64 && high)))
        return false;
    if (size < PAGE && (addr & (PAGE - 1)) != (hb->addr & (PAGE - 1)))
        return false;
    for (unsigned j = 0; j < w->nfn; j++)
        for (int b = 0; b < PCI_NUM_RES; b++) {
            const struct fz_map *m = &w->fn[j].map[b];
            if (m->on && !(j == k && b == bar) && page_lo(addr) <= page_hi(m->addr, m->size) &&
                page_lo(m->addr) <= page_hi(addr, size))
                return false;
        }
    return true;
}

static unsigned index_of(const struct fz_world *w, const struct vdev *v)
{
    for (unsigned k = 0; k < w->nfn; k++)     /* the root complex sends STATE events */
        if (w->fn[k].v == v)
            return k;
    fz_fail("event for a device that is not in the topology (%u functions)", w->nfn);
}

static void check_bar_event(struct fz_world *w, unsigned k, const struct vdev_event *ev)
{
    struct vdev_bar_info bi;

    if (ev->bar < 0 || ev->bar >= PCI_NUM_RES)
        fz_fail("BAR event names BAR %d", ev->bar);
    vdev_bar_info(ev->vdev, ev->bar, &bi);
    const struct host_bar *hb = &w->fn[k].hd->hd.bars[ev->bar];
    if (bi.type == BAR_NONE || bi.type != hb->type)
        fz_fail("BAR event for BAR %d of type %d (host type %d)", ev->bar, bi.type, hb->type);
    if (ev->size != hb->size || ev->size != bi.size)
        fz_fail("BAR %d event size 0x%llx, BAR size 0x%llx", ev->bar,
                (unsigned long long)ev->size, (unsigned long long)hb->size);
    if ((ev->new_addr | ev->old_addr) & (ev->size - 1))
        fz_fail("BAR %d event addresses 0x%llx -> 0x%llx not aligned to size 0x%llx", ev->bar,
                (unsigned long long)ev->old_addr, (unsigned long long)ev->new_addr,
                (unsigned long long)ev->size);
    if (hb->type == BAR_MEM32 || hb->type == BAR_ROM) {
        if ((ev->new_addr | ev->old_addr) >> 32)
            fz_fail("32-bit BAR %d event above 4 GiB", ev->bar);
    }
}

static int on_bar(struct fz_world *w, unsigned k, const struct vdev_event *ev)
{
    struct fz_map *m = &w->fn[k].map[ev->bar];
    uint16_t cmd = vdev_command(ev->vdev);
    bool ok;

    check_bar_event(w, k, ev);
    switch (ev->type) {
    case VDEV_EV_BAR_MAP:
        if (!(cmd & 2))
            fz_fail("BAR %d map with Command.Memory off", ev->bar);
        if (m->on)
            fz_fail("BAR %d mapped twice", ev->bar);
        if (ev->old_addr != ev->new_addr)
            fz_fail("BAR %d map names two addresses", ev->bar);
        ok = fz_policy_accepts(w, k, ev->bar, ev->new_addr, ev->size);
        if (ok)
            *m = (struct fz_map){ true, ev->new_addr, ev->size };
        break;
    case VDEV_EV_BAR_UNMAP:
        if (!m->on || m->addr != ev->old_addr)
            fz_fail("BAR %d unmap at 0x%llx: not mapped there", ev->bar,
                    (unsigned long long)ev->old_addr);
        m->on = false;
        return 0;
    default:   /* MOVE */
        if (ev->mapped != m->on || (m->on && m->addr != ev->old_addr))
            fz_fail("BAR %d move from 0x%llx: mapped=%d but the model says %d at 0x%llx",
                    ev->bar, (unsigned long long)ev->old_addr, ev->mapped, m->on,
                    (unsigned long long)m->addr);
        ok = fz_policy_accepts(w, k, ev->bar, ev->new_addr, ev->size);
        if (m->on)
            *m = (struct fz_map){ ok, ev->new_addr, ev->size };
        break;
    }
    if (!ok)
        w->refused++;
    return ok ? 0 : -EPERM;
}

static int on_event(void *opaque, const struct vdev_event *ev)
{
    struct fz_world *w = opaque;
    unsigned k = index_of(w, ev->vdev);

    w->events++;
    switch (ev->type) {
    case VDEV_EV_BAR_MAP:
    case VDEV_EV_BAR_UNMAP:
    case VDEV_EV_BAR_MOVE:
        if (!k)
            fz_fail("BAR event from the root complex");
        return on_bar(w, k, ev);
    case VDEV_EV_FLR:
    case VDEV_EV_MSI:
    case VDEV_EV_MSIX:
    case VDEV_EV_INTX:
        if (!k)
            fz_fail("event %d from the root complex", ev->type);
        break;
    default:
        break;
    }
    switch (ev->type) {
    case VDEV_EV_FLR:
        for (int b = 0; b < PCI_NUM_RES; b++)
            if (w->fn[k].map[b].on)
                fz_fail("FLR with BAR %d still mapped", b);
        return 0;
    case VDEV_EV_MSI: {
        struct msi_info mi;
        vdev_msi_info(ev->vdev, &mi);
        if (!mi.present || mi.vectors > mi.max_vectors ||
            (mi.max_vectors < 32 && (mi.mask >> mi.max_vectors)))
            fz_fail("MSI state beyond the capability: %u of %u vectors, mask 0x%x",
                    mi.vectors, mi.max_vectors, mi.mask);
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- building ----------------------------------------------------------- */

/* Bits of dword `dw` no guest write may change, from the registered tables. */
static void fill_ro(struct vdev *v, struct proto_fn *pf)
{
    for (unsigned i = 0; i < DWORDS; i++)
        pf->ro[i] = 0xffffffffu;                 /* gaps read 0, writes dropped */
    memset(pf->host_byte, 0, sizeof(pf->host_byte));
    for (unsigned i = 0; i < v->regs.n; i++) {
        const struct vreg *r = &v->regs.r[i];
        const struct reg_desc *d = r->d;
        uint32_t cst = d->src == REG_HOST_RO || d->src == REG_ZERO
                           ? size_mask(d->size) : (d->ro | d->rsvdp | d->rsvdz);
        unsigned sh = (r->off % 4) * 8;
        pf->ro[r->off / 4] &= ~(size_mask(d->size) << sh);
        pf->ro[r->off / 4] |= cst << sh;
        if (d->src == REG_HOST_RO || d->src == REG_HOST_RW || d->src == REG_MIXED)
            memset(&pf->host_byte[r->off], 1, d->size);
    }
    /* MSI Pending is read-only to the guest but the service sets it
     * (vdev_msi_set_pending), which the harness does too. */
    if (v->msi_base && v->msi_maskable)
        pf->ro[(v->msi_base + (v->msi_is64 ? 0x14u : 0x10u)) / 4] = 0;
}

static struct cfg_req req_for(const struct fz_fn *f, unsigned reg, unsigned size)
{
    return (struct cfg_req){ .seg = 0, .bus = FZ_BUS_START, .dev = f->slot, .fn = f->fn,
                             .reg = (uint16_t)reg, .size = (uint8_t)size };
}

void fz_world_build(struct fz_world *w, unsigned d)
{
    struct proto *p = &protos[d % nprotos];

    memset(w, 0, sizeof(*w));
    w->dump = d % nprotos;
    guest_layout_defaults(&w->lay);
    if (!(w->t = vpci_topology_new()) ||
        vpci_topology_add_bridge(w->t, 0, FZ_BUS_START, FZ_BUS_END, &w->hb))
        fz_fail("cannot create the topology");
    vpci_topology_set_event_handler(w->t, on_event, w);
    w->fn[0].v = hostbridge_find(w->hb, FZ_BUS_START, 0, 0);
    w->nfn = 1;
    for (unsigned i = 1; i < p->nfn; i++) {
        struct proto_fn *pf = &p->fn[i];
        struct fz_fn *f = &w->fn[w->nfn];
        struct fz_hostdev *h = calloc(1, sizeof(*h));

        memcpy(h->cfg, pf->cfg, sizeof(h->cfg));
        h->hd.ops = &snap_ops;
        h->hd.ctx = h;
        h->hd.cfg_size = pf->cfg_size;
        memcpy(h->hd.bars, pf->bars, sizeof(h->hd.bars));
        if (hostbridge_add_device(w->hb, &h->hd, &pf->vc, &f->v)) {
            free(h);                             /* the engine refuses it: not presented */
            continue;
        }
        f->hd = h;
        f->slot = pf->vc.slot;
        f->fn = pf->vc.fn;
        w->nfn++;
    }
    /* first build of this dump: record the power-on view of every function */
    for (unsigned k = 0, j = 0; k < w->nfn; k++, j++) {
        struct proto_fn *pf;
        while (j < p->nfn && k && (p->fn[j].vc.slot != w->fn[k].slot || p->fn[j].vc.fn != w->fn[k].fn))
            j++;
        if (j >= p->nfn)
            fz_fail("function lost between builds");
        pf = &p->fn[j];
        if (pf->have_view)
            continue;
        fill_ro(w->fn[k].v, pf);
        for (unsigned dw = 0; dw < DWORDS; dw++) {
            struct cfg_req r = req_for(&w->fn[k], dw * 4, 4);
            pf->view[dw] = (uint32_t)vpci_cfg_read(w->t, &r);
        }
        pf->have_view = true;
    }
}

void fz_world_free(struct fz_world *w)
{
    vpci_topology_free(w->t);
    for (unsigned k = 1; k < w->nfn; k++)
        free(w->fn[k].hd);
    w->t = NULL;
    w->nfn = 0;
}

static struct proto_fn *proto_of(const struct fz_world *w, unsigned k)
{
    struct proto *p = &protos[w->dump];
    if (!k)
        return &p->fn[0];
    for (unsigned j = 1; j < p->nfn; j++)
        if (p->fn[j].vc.slot == w->fn[k].slot && p->fn[j].vc.fn == w->fn[k].fn)
            return &p->fn[j];
    fz_fail("no prototype");
}

int fz_find(const struct fz_world *w, uint8_t slot, uint8_t fn)
{
    for (unsigned k = 0; k < w->nfn; k++)
        if (w->fn[k].slot == slot && w->fn[k].fn == fn)
            return (int)k;
    return -1;
}

/* ---- per-access invariants --------------------------------------------- */

static bool access_ok(const struct cfg_req *r)
{
    unsigned s = r->size;
    return (s == 1 || s == 2 || s == 4 || s == 8) && r->reg % s == 0 && r->reg + s <= PCI_CFG_SIZE;
}

static int target_of(const struct fz_world *w, const struct cfg_req *r)
{
    if (r->seg != 0 || r->bus != FZ_BUS_START || r->dev >= 32 || r->fn >= 8)
        return -1;
    return fz_find(w, r->dev, r->fn);
}

/* all-ones of an access, as the engine defines it for any size: 16/32/64
 * one bits for sizes 2/4/8 (64 above 8), 0xff otherwise */
static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : size == 4 ? 0xffffffffull : size == 2 ? 0xffff : 0xff;
}

static unsigned long host_reads(const struct fz_world *w)
{
    unsigned long n = 0;
    for (unsigned k = 1; k < w->nfn; k++)
        n += w->fn[k].hd->reads;
    return n;
}

uint64_t fz_checked_read(struct fz_world *w, const struct cfg_req *r)
{
    int k = target_of(w, r);
    unsigned long before = host_reads(w);
    uint64_t val = vpci_cfg_read(w->t, r);
    unsigned long reads = host_reads(w) - before;

    if (!access_ok(r) || k < 0) {
        /* bad access or absent function: all-ones of the size, no host access */
        uint64_t want = ones(r->size);
        if (val != want || reads)
            fz_fail("%s access %04x:%02x:%02x.%x reg 0x%x size %u read 0x%llx (want 0x%llx), "
                    "%lu host reads", k < 0 ? "absent" : "bad", r->seg, r->bus, r->dev, r->fn,
                    r->reg, r->size, (unsigned long long)val, (unsigned long long)want, reads);
        return val;
    }
    if (r->size < 8 && val > ones(r->size))
        fz_fail("read of %u bytes returned 0x%llx", r->size, (unsigned long long)val);
    /* reads of emulated registers never reach the host (docs/design.md "Targets") */
    if (reads && k > 0) {
        struct proto_fn *pf = proto_of(w, (unsigned)k);
        bool host = false;
        for (unsigned i = r->reg & ~3u; i < ((r->reg + r->size + 3u) & ~3u) && i < PCI_CFG_SIZE; i++)
            host |= pf->host_byte[i];
        if (!host)
            fz_fail("read of emulated reg 0x%x size %u made %lu host reads", r->reg, r->size,
                    reads);
    }
    return val;
}

/* Read-only bits of the dwords [first, last] of function k equal their
 * power-on values. */
static void check_ro(struct fz_world *w, unsigned k, unsigned first, unsigned last)
{
    struct proto_fn *pf = proto_of(w, k);

    for (unsigned dw = first; dw <= last && dw < DWORDS; dw++) {
        struct cfg_req r = req_for(&w->fn[k], dw * 4, 4);
        uint32_t now = (uint32_t)vpci_cfg_read(w->t, &r);
        if ((now ^ pf->view[dw]) & pf->ro[dw])
            fz_fail("dump %u %02x.%x reg 0x%03x: read-only bits changed: 0x%08x -> 0x%08x "
                    "(ro 0x%08x)", w->dump, w->fn[k].slot, w->fn[k].fn, dw * 4, pf->view[dw], now,
                    pf->ro[dw]);
    }
}

void fz_checked_write(struct fz_world *w, const struct cfg_req *r, uint64_t data)
{
    int k = target_of(w, r);
    unsigned long ev = w->events, before = host_reads(w);

    vpci_cfg_write(w->t, r, data);
    if (!access_ok(r) || k < 0) {
        if (w->events != ev || host_reads(w) != before)
            fz_fail("dropped write made %lu events, %lu host reads", w->events - ev,
                    host_reads(w) - before);
        return;
    }
    w->fn[k].touched = true;
    check_ro(w, (unsigned)k, r->reg / 4, (r->reg + r->size - 1u) / 4);
}

/* ---- whole-world invariants --------------------------------------------- */

static void check_mappings(struct fz_world *w)
{
    for (unsigned k = 1; k < w->nfn; k++)
        for (int b = 0; b < PCI_NUM_RES; b++) {
            struct vdev_bar_info bi;
            const struct fz_map *m = &w->fn[k].map[b];
            vdev_bar_info(w->fn[k].v, b, &bi);
            if (bi.mapped != m->on || (m->on && bi.guest_addr != m->addr))
                fz_fail("%02x.%x BAR %d: engine mapped=%d at 0x%llx, daemon mapped=%d at 0x%llx",
                        w->fn[k].slot, w->fn[k].fn, b, bi.mapped,
                        (unsigned long long)bi.guest_addr, m->on, (unsigned long long)m->addr);
            if (m->on && !(inside(m->addr, m->size, w->lay.mem_base, w->lay.mem_size) ||
                           inside(m->addr, m->size, w->lay.pref_base, w->lay.pref_size)))
                fz_fail("BAR %d mapped outside the holes at 0x%llx", b,
                        (unsigned long long)m->addr);
        }
}

void fz_check_world_light(struct fz_world *w)
{
    check_mappings(w);
}

void fz_check_world(struct fz_world *w)
{
    struct proto *p = &protos[w->dump];

    check_mappings(w);
    for (unsigned k = 0; k < w->nfn; k++) {
        if (w->fn[k].touched)
            check_ro(w, k, 0, DWORDS - 1);
        if (k && memcmp(w->fn[k].hd->cfg, proto_of(w, k)->cfg, PCI_CFG_SIZE))
            fz_fail("host config space of %02x.%x changed", w->fn[k].slot, w->fn[k].fn);
    }
    (void)p;
}

/* A state from xenstore may claim any BAR mapped anywhere (the store is
 * dom0-only, but a daemon must not map what its policy refuses).  The
 * harness plays a daemon that re-checks every BAR the restored engine
 * counts as mapped; one its policy refuses is marked unmapped, through the
 * engine's internals since the API has no call for it. */

static void reconcile(struct fz_world *w, unsigned k)
{
    for (int b = 0; b < PCI_NUM_RES; b++) {
        struct vdev_bar_info bi;
        struct fz_map *m = &w->fn[k].map[b];
        vdev_bar_info(w->fn[k].v, b, &bi);
        m->on = false;
        if (!bi.mapped)
            continue;
        if (fz_policy_accepts(w, k, b, bi.guest_addr, bi.size)) {
            *m = (struct fz_map){ true, bi.guest_addr, bi.size };
        } else {
            w->fn[k].v->bars[b].mapped = false;
        }
    }
}

void fz_restore_raw(struct fz_world *w, unsigned k, const struct vdev_state *st)
{
    if (!k || k >= w->nfn)
        return;
    vdev_restore_state(w->fn[k].v, st);
    w->fn[k].touched = true;
    reconcile(w, k);
}

/* Dwords a restart may change: BARs in the middle of a size probe (the
 * probe flag is not state) or of a move while mapped.  (Cache Line Size / Latency Timer and MSI
 * Pending were lost too: findings F3 and F6, fixed.) */
static bool restart_may_differ(const struct vdev *v, unsigned off)
{
    for (int i = 0; i < PCI_NUM_RES; i++) {
        const struct vbar *b = &v->bars[i];
        unsigned lo = i == PCI_ROM_SLOT ? 0x30 : 0x10 + 4u * i;
        /* mid-probe, or a half-written move of a mapped BAR (saved at its
         * mapped address: finding F9) */
        if (b->type != BAR_NONE &&
            (b->sizing_lo || b->sizing_hi || (b->mapped && b->pending != b->committed)) &&
            (off == lo || (b->type == BAR_MEM64 && off == lo + 4)))
            return true;
    }
    return false;
}

void fz_restart(struct fz_world *w)
{
    static struct vdev_state st[FZ_MAX_FNS];
    static uint32_t view[FZ_MAX_FNS][DWORDS];
    static bool skip[FZ_MAX_FNS][DWORDS];
    struct fz_map maps[FZ_MAX_FNS][PCI_NUM_RES];
    bool touched[FZ_MAX_FNS];
    unsigned n = w->nfn, d = w->dump;

    for (unsigned k = 1; k < n; k++) {
        vdev_save_state(w->fn[k].v, &st[k]);
        memcpy(maps[k], w->fn[k].map, sizeof(maps[k]));
        touched[k] = w->fn[k].touched;
        if (!touched[k])
            continue;
        for (unsigned dw = 0; dw < DWORDS; dw++) {
            struct cfg_req r = req_for(&w->fn[k], dw * 4, 4);
            view[k][dw] = (uint32_t)vpci_cfg_read(w->t, &r);
            skip[k][dw] = restart_may_differ(w->fn[k].v, dw * 4);
        }
    }
    fz_world_free(w);
    fz_world_build(w, d);
    if (w->nfn != n)
        fz_fail("restart: %u functions, was %u", w->nfn, n);
    for (unsigned k = 1; k < n; k++) {
        vdev_restore_state(w->fn[k].v, &st[k]);
        memcpy(w->fn[k].map, maps[k], sizeof(maps[k]));   /* the p2m outlives the daemon */
        w->fn[k].touched = touched[k];
    }
    /* the restored engine maps exactly what the p2m holds (finding F1, fixed) */
    check_mappings(w);
    for (unsigned k = 1; k < n; k++) {
        if (!touched[k])
            continue;
        for (unsigned dw = 0; dw < DWORDS; dw++) {
            struct cfg_req r = req_for(&w->fn[k], dw * 4, 4);
            uint32_t now = (uint32_t)vpci_cfg_read(w->t, &r);
            if (now != view[k][dw] && !skip[k][dw])
                fz_fail("restart: %02x.%x reg 0x%03x reads 0x%08x, was 0x%08x", w->fn[k].slot,
                        w->fn[k].fn, dw * 4, now, view[k][dw]);
        }
    }
}
