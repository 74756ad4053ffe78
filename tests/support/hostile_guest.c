/* See hostile_guest.h.  Accesses, phases and the checks each access makes
 * on its own answer (IDs never change, absent functions and bad accesses
 * read all-ones, nothing inside a claimed range aborts). */
#include "tests/support/hostile_guest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/assign/plan.h"

#define ECAM_BUS_SIZE 0x100000ull       /* bus 0: 32 devices x 8 functions x 4 KiB */
#define MSI_DOORBELL  0x080a0040ull     /* a GICv3 ITS GITS_TRANSLATER-like address */

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void bad(struct hostile_guest *h, const char *fmt, ...)
{
    va_list ap;

    h->errors++;
    if (h->first_error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(h->first_error, sizeof(h->first_error), fmt, ap);
    va_end(ap);
}

/* splitmix64: small, deterministic, good enough to pick cases. */
uint64_t hg_rand(struct hostile_guest *h)
{
    uint64_t z = (h->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned pick(struct hostile_guest *h, unsigned n) { return (unsigned)(hg_rand(h) % n); }

static uint64_t pick_data(struct hostile_guest *h)
{
    switch (pick(h, 4)) {
    case 0: return 0;
    case 1: return ~0ull;
    default: return hg_rand(h);
    }
}

static unsigned pick_size(struct hostile_guest *h) { return 1u << pick(h, 4); }

void hg_init(struct hostile_guest *h, struct hv *g, uint32_t domid, uint16_t server,
             unsigned vcpu, uint64_t seed)
{
    memset(h, 0, sizeof(*h));
    h->g = g;
    h->domid = domid;
    h->server = server;
    h->vcpu = vcpu;
    h->rng = seed;
    guest_layout_defaults(&h->lay);
}

int hg_add_dev(struct hostile_guest *h, const struct dev_assign *as)
{
    if (h->ndevs >= HG_MAX_DEVS)
        return -ENOSPC;
    h->devs[h->ndevs] = (struct hg_dev){ .slot = as->guest.dev, .as = *as };
    h->ndevs++;
    return 0;
}

static bool in(uint64_t a, unsigned size, uint64_t base, uint64_t len)
{
    return a >= base && a - base < len && len - (a - base) >= size;
}

/* Inside what the daemon claims: its bus's ECAM slice and both holes. */
static bool claimed(const struct hostile_guest *h, uint64_t gpa, unsigned size)
{
    return in(gpa, size, h->lay.ecam_base, ECAM_BUS_SIZE) ||
           in(gpa, size, h->lay.mem_base, h->lay.mem_size) ||
           in(gpa, size, h->lay.pref_base, h->lay.pref_size);
}

/* One MMIO access; returns the sim result (negative: abort/error). */
static int mmio(struct hostile_guest *h, uint64_t gpa, unsigned size, bool write, uint64_t *v)
{
    int rc = sim_guest_mmio(h->g, h->domid, h->vcpu, gpa, size, write, v, HG_WAIT_MS);

    h->accesses++;
    if (rc == -EFAULT) {
        if (claimed(h, gpa, size)) {
            h->aborts_claimed++;
            bad(h, "abort at claimed 0x%llx size %u", (unsigned long long)gpa, size);
        } else {
            h->aborts_outside++;
        }
    } else if (rc < 0) {
        bad(h, "access 0x%llx size %u %s: %s", (unsigned long long)gpa, size,
            write ? "write" : "read", strerror(-rc));
    }
    if (rc < 0 && !write)
        *v = mask_of(size);
    return rc;
}

static uint64_t ecam_addr(const struct hostile_guest *h, unsigned slot, unsigned fn, unsigned reg)
{
    return h->lay.ecam_base + ((uint64_t)slot << 15 | (uint64_t)fn << 12 | reg);
}

uint32_t hg_cfg_read(struct hostile_guest *h, unsigned slot, unsigned reg, unsigned size)
{
    uint64_t v = 0;

    mmio(h, ecam_addr(h, slot, 0, reg), size, false, &v);
    return (uint32_t)v;
}

void hg_cfg_write(struct hostile_guest *h, unsigned slot, unsigned reg, unsigned size,
                  uint64_t val)
{
    mmio(h, ecam_addr(h, slot, 0, reg), size, true, &val);
}

static unsigned find_cap(struct hostile_guest *h, unsigned slot, unsigned id)
{
    unsigned p = hg_cfg_read(h, slot, 0x34, 1) & 0xfc;

    for (unsigned i = 0; i < 48 && p >= 0x40; i++) {
        if ((hg_cfg_read(h, slot, p, 1)) == id)
            return p;
        p = hg_cfg_read(h, slot, p + 1, 1) & 0xfc;
    }
    return 0;
}

void hg_discover(struct hostile_guest *h)
{
    for (unsigned i = 0; i < h->ndevs; i++) {
        struct hg_dev *d = &h->devs[i];
        d->id = hg_cfg_read(h, d->slot, 0, 4);
        d->msi = find_cap(h, d->slot, 0x05);
        d->msix = find_cap(h, d->slot, 0x11);
        d->pcie = find_cap(h, d->slot, 0x10);
    }
}

/* What a function's first dword must read: the root complex, a device, or
 * all-ones for every absent function of bus 0. */
static uint32_t expected_id(const struct hostile_guest *h, unsigned slot, unsigned fn)
{
    if (fn == 0 && slot == 0)
        return 0xc0de5853u;
    for (unsigned i = 0; fn == 0 && i < h->ndevs; i++)
        if (h->devs[i].slot == slot)
            return h->devs[i].id;
    return 0xffffffffu;
}

/* A read of a function's config space, checked where the answer is known:
 * the ID dword (host RO), absent functions, misaligned accesses. */
static void checked_read(struct hostile_guest *h, unsigned slot, unsigned fn, unsigned reg,
                         unsigned size)
{
    uint64_t v = 0, want;
    uint32_t id = expected_id(h, slot, fn);
    int rc = mmio(h, ecam_addr(h, slot, fn, reg), size, false, &v);

    if (rc != SIM_ACCESS_IOREQ)
        return;
    if (reg % size)
        want = mask_of(size);                     /* bad access: all-ones */
    else if (id == 0xffffffffu)
        want = mask_of(size);                     /* absent function */
    else if (reg + size <= 4 && size < 8)
        want = (id >> (8 * reg)) & mask_of(size);
    else
        return;
    if (v != want)
        bad(h, "read %02x.%u reg 0x%x size %u: 0x%llx, want 0x%llx", slot, fn, reg, size,
            (unsigned long long)v, (unsigned long long)want);
}

static void ecam_random(struct hostile_guest *h, unsigned slot, unsigned fn)
{
    unsigned size = pick_size(h), reg = pick(h, 4096);
    uint64_t v = pick_data(h);

    if (pick(h, 4) == 0)
        reg &= ~(size - 1);
    if (pick(h, 2))
        checked_read(h, slot, fn, reg, size);
    else
        mmio(h, ecam_addr(h, slot, fn, reg), size, true, &v);
}

/* Beyond the bus's slice (other buses, past the 256 MiB window, just
 * below it): not claimed, the guest aborts. */
static void ecam_beyond(struct hostile_guest *h)
{
    static const uint64_t off[] = { ECAM_BUS_SIZE, 0x200000, 0xff00000, 0xffff000,
                                    0x10000000, 0x10001000, -0x1000ull, -0x8ull };
    uint64_t a = h->lay.ecam_base + off[pick(h, 8)] + (pick(h, 512) & ~7u);
    uint64_t v = pick_data(h);

    mmio(h, a, pick_size(h), pick(h, 2), &v);
}

void hg_phase_ecam(struct hostile_guest *h, unsigned per_func)
{
    /* every offset of every present function at every size: reads, then
     * writes of zero / all-ones / random data */
    for (unsigned size = 1; size <= 8; size <<= 1)
        for (unsigned reg = 0; reg < 4096; reg++) {
            checked_read(h, 0, 0, reg, size);
            for (unsigned i = 0; i < h->ndevs; i++)
                checked_read(h, h->devs[i].slot, 0, reg, size);
        }
    for (unsigned size = 1; size <= 8; size <<= 1)
        for (unsigned reg = 0; reg < 4096; reg += size) {
            uint64_t v = pick_data(h);
            mmio(h, ecam_addr(h, 0, 0, reg), size, true, &v);
            for (unsigned i = 0; i < h->ndevs; i++) {
                v = pick_data(h);
                mmio(h, ecam_addr(h, h->devs[i].slot, 0, reg), size, true, &v);
            }
        }
    /* every function of the bus, at random offsets and sizes */
    for (unsigned f = 0; f < 256; f++)
        for (unsigned i = 0; i < per_func; i++)
            ecam_random(h, f >> 3, f & 7);
    for (unsigned i = 0; i < per_func * 8; i++)
        ecam_beyond(h);
}

/* ---- raw requests: malformed, unknown types, PCI_CONFIG anywhere ---- */

static bool size_ok(uint32_t s) { return s == 1 || s == 2 || s == 4 || s == 8; }

void hg_phase_raw(struct hostile_guest *h, unsigned n)
{
    static const uint32_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 64, 4096, 0xffffffffu };
    static const uint8_t types[] = { IOREQ_TYPE_COPY, IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG,
                                     IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET,
                                     IOREQ_TYPE_INVALIDATE, 5, 0xff };

    for (unsigned i = 0; i < n; i++) {
        ioreq_t req = { 0 }, resp;
        bool malformed, unknown;

        req.type = types[pick(h, 8)];
        req.size = sizes[pick(h, 13)];
        req.count = pick(h, 4) ? 1 : (uint32_t)hg_rand(h);
        req.data_is_ptr = pick(h, 8) == 0;
        req.dir = pick(h, 2);
        req.data = pick_data(h);
        switch (pick(h, 3)) {
        case 0: req.addr = h->lay.ecam_base + pick(h, 0x10000000); break;
        case 1: req.addr = (uint64_t)(hg_rand(h) & 0xffffff) << 32 | pick(h, 0x2000); break;
        default: req.addr = hg_rand(h); break;
        }
        malformed = (req.type == IOREQ_TYPE_COPY || req.type == IOREQ_TYPE_PCI_CONFIG) &&
                    (req.data_is_ptr || req.count != 1 || !size_ok(req.size));
        unknown = req.type != IOREQ_TYPE_COPY && req.type != IOREQ_TYPE_PCI_CONFIG &&
                  req.type != IOREQ_TYPE_INVALIDATE;
        h->raw_sent++;
        h->malformed_sent += malformed;
        h->unknown_type_sent += unknown;
        int rc = sim_guest_raw_ioreq(h->g, h->domid, h->vcpu, h->server, &req, &resp,
                                     HG_WAIT_MS);
        if (rc || resp.state != STATE_IORESP_READY) {
            bad(h, "raw ioreq type %u size %u: rc %d state %u", req.type, req.size, rc,
                rc ? 0 : resp.state);
            continue;
        }
        if ((malformed || unknown) && req.dir == IOREQ_READ &&
            resp.data != (size_ok(req.size) ? mask_of(req.size) : ~0ull))
            bad(h, "raw ioreq type %u size %u: read 0x%llx, want all-ones", req.type,
                req.size, (unsigned long long)resp.data);
    }
}

/* ---- the BAR holes ---- */

static uint64_t bar_addr(struct hostile_guest *h, const struct hg_dev *d, int b)
{
    unsigned reg = b == 6 ? 0x30 : 0x10 + 4 * (unsigned)b;
    uint64_t lo = hg_cfg_read(h, d->slot, reg, 4);

    if (b == 6)
        return lo & ~0x7ffull;
    if (d->as.bars[b].type == BAR_MEM64 && b < 5)
        lo |= (uint64_t)hg_cfg_read(h, d->slot, reg + 4, 4) << 32;
    return lo & ~0xfull;
}

static bool mem_bar(const struct hg_dev *d, int b)
{
    enum bar_type t = d->as.bars[b].type;
    return t == BAR_MEM32 || t == BAR_MEM64 || t == BAR_ROM;
}

static int pick_bar(struct hostile_guest *h, const struct hg_dev *d)
{
    for (unsigned tries = 0; tries < 32; tries++) {
        int b = (int)pick(h, PCI_NUM_RES);
        if (mem_bar(d, b))
            return b;
    }
    return -1;
}

/* Inside a page that holds the MSI-X table or PBA of a decoded BAR: the
 * daemon answers it (table, PBA, the device's other registers there), so
 * any value is fine (pcipt/daemon/daemon_msix.c). */
static bool in_msix_page(struct hostile_guest *h, uint64_t a, unsigned size)
{
    for (unsigned i = 0; i < h->ndevs; i++) {
        const struct hg_dev *d = &h->devs[i];
        if (!d->msix_n)
            continue;
        for (unsigned k = 0; k < 2; k++) {
            uint32_t loc = d->msix_loc[k], n = d->msix_n;
            int b = (int)(loc & 7);
            if (b >= PCI_NUM_BARS || !mem_bar(d, b))
                continue;
            uint64_t first = (bar_addr(h, d, b) + (loc & ~7u)) & ~0xfffull;
            uint64_t len = k == 0 ? n * 16ull : (n + 63) / 64 * 8ull;
            uint64_t end = (bar_addr(h, d, b) + (loc & ~7u) + len + 0xfff) & ~0xfffull;
            if (in(a, size, first, end - first))
                return true;
        }
    }
    return false;
}

static void window_access(struct hostile_guest *h)
{
    unsigned size = pick_size(h);
    uint64_t a, v = pick_data(h);
    bool write = pick(h, 2);
    int rc;

    if (pick(h, 2) && h->ndevs) {
        const struct hg_dev *d = &h->devs[pick(h, h->ndevs)];
        int b = pick_bar(h, d);
        if (b < 0)
            return;
        a = bar_addr(h, d, b) + (hg_rand(h) % d->as.bars[b].size);
    } else if (pick(h, 2)) {
        a = h->lay.mem_base + hg_rand(h) % h->lay.mem_size;
    } else {
        a = h->lay.pref_base + hg_rand(h) % h->lay.pref_size;
    }
    a &= ~(uint64_t)(size - 1);
    rc = mmio(h, a, size, write, &v);
    if (rc == SIM_ACCESS_IOREQ && !write && !h->concurrent_moves && v != mask_of(size) &&
        claimed(h, a, size) &&
        !in(a, size, h->lay.ecam_base, ECAM_BUS_SIZE) && !in_msix_page(h, a, size))
        bad(h, "unmapped hole 0x%llx size %u read 0x%llx", (unsigned long long)a, size,
            (unsigned long long)v);
}

void hg_phase_windows(struct hostile_guest *h, unsigned n)
{
    /* each BAR at every size, first and last bytes included */
    for (unsigned i = 0; i < h->ndevs; i++) {
        const struct hg_dev *d = &h->devs[i];
        for (int b = 0; b < PCI_NUM_RES; b++) {
            if (!mem_bar(d, b))
                continue;
            uint64_t base = bar_addr(h, d, b), size = d->as.bars[b].size;
            for (unsigned s = 1; s <= 8; s <<= 1)
                for (uint64_t off = 0; off < size; off += size / 8) {
                    uint64_t v = pick_data(h), a = base + off;
                    mmio(h, a, s, false, &v);
                    mmio(h, a, s, true, &v);
                    a = base + size - s;
                    mmio(h, a, s, false, &v);
                    mmio(h, a, s, true, &v);
                }
        }
    }
    for (unsigned i = 0; i < n; i++)
        window_access(h);
}

/* ---- BAR games ---- */

static uint64_t pick_target(struct hostile_guest *h, const struct hg_dev *d, int b)
{
    /* below, on and across the edges of the holes, ECAM, RAM, the top */
    static const uint64_t outside[] = { 0, 0x1000, 0x10000000, 0x20000000, 0x22fff000,
                                        0x30000000, 0x33000000, 0x3ffff000, 0x80000000,
                                        0xfffff000, 0xfffffffc, 0xf0000000ull, 0x1fffff000ull,
                                        0x1f0000000ull, 0x200000000ull, 0xffffffff000ull };
    const struct hg_dev *o = &h->devs[pick(h, h->ndevs)];
    uint64_t size = d->as.bars[b].size;
    int ob;

    switch (pick(h, 7)) {
    case 0:                                       /* onto another BAR (maybe its own) */
        ob = pick_bar(h, o);
        return ob < 0 ? 0 : bar_addr(h, o, ob);
    case 1:
        return outside[pick(h, 16)];
    case 2:                                       /* guest RAM banks */
        return pick(h, 2) ? 0x40000000ull + (hg_rand(h) % 0xc0000000ull)
                          : 0x200000000ull + (hg_rand(h) % (1ull << 36));
    case 3:                                       /* unaligned, in a hole */
        return (pick(h, 2) ? h->lay.mem_base + hg_rand(h) % h->lay.mem_size
                           : h->lay.pref_base + hg_rand(h) % h->lay.pref_size) | 1;
    case 4:
        return d->as.bars[b].guest;               /* home */
    default: {                                    /* aligned, in a hole: may map */
        bool low = d->as.bars[b].type != BAR_MEM64 || pick(h, 2);
        uint64_t base = low ? h->lay.mem_base : h->lay.pref_base;
        uint64_t len = low ? h->lay.mem_size : h->lay.pref_size;
        if (size > len)
            return base;
        return base + ((hg_rand(h) % (len - size + 1)) & ~(size - 1));
    }
    }
}

static void set_decode(struct hostile_guest *h, const struct hg_dev *d, int on)
{
    uint32_t cmd = hg_cfg_read(h, d->slot, 0x04, 2);

    if (on < 0)
        on = pick(h, 2);
    hg_cfg_write(h, d->slot, 0x04, 2, on ? cmd | 2u : cmd & ~2u);
}

static void write_bar(struct hostile_guest *h, const struct hg_dev *d, int b, uint64_t a)
{
    unsigned reg = b == 6 ? 0x30 : 0x10 + 4 * (unsigned)b;
    bool is64 = d->as.bars[b].type == BAR_MEM64 && b < 5;

    if (b == 6)
        a |= pick(h, 2);                          /* ROM enable, sometimes */
    if (!is64) {
        switch (pick(h, 3)) {
        case 0: hg_cfg_write(h, d->slot, reg, 4, (uint32_t)a); break;
        case 1:
            hg_cfg_write(h, d->slot, reg, 2, a & 0xffff);
            hg_cfg_write(h, d->slot, reg + 2, 2, (a >> 16) & 0xffff);
            break;
        default:
            for (unsigned i = 0; i < 4; i++)
                if (pick(h, 4))
                    hg_cfg_write(h, d->slot, reg + i, 1, (a >> (8 * i)) & 0xff);
        }
        return;
    }
    switch (pick(h, 5)) {
    case 0: hg_cfg_write(h, d->slot, reg, 4, (uint32_t)a); break;          /* half */
    case 1: hg_cfg_write(h, d->slot, reg + 4, 4, a >> 32); break;          /* other half */
    case 2:
        hg_cfg_write(h, d->slot, reg, 4, (uint32_t)a);
        hg_cfg_write(h, d->slot, reg + 4, 4, a >> 32);
        break;
    case 3:
        hg_cfg_write(h, d->slot, reg + 4, 4, a >> 32);
        hg_cfg_write(h, d->slot, reg, 4, (uint32_t)a);
        break;
    default: hg_cfg_write(h, d->slot, reg, 8, a); break;
    }
}

static void bar_game(struct hostile_guest *h)
{
    const struct hg_dev *d = &h->devs[pick(h, h->ndevs)];
    int b = pick_bar(h, d);

    if (b < 0)
        return;
    if (pick(h, 2))
        set_decode(h, d, -1);
    if (pick(h, 8) == 0) {                        /* a sizing probe in the middle */
        unsigned reg = b == 6 ? 0x30 : 0x10 + 4 * (unsigned)b;
        hg_cfg_write(h, d->slot, reg, 4, 0xffffffffu);
        (void)hg_cfg_read(h, d->slot, reg, 4);
    }
    write_bar(h, d, b, pick_target(h, d, b));
    if (pick(h, 3) == 0)
        for (unsigned i = 0, n = 1 + pick(h, 16); i < n; i++)
            set_decode(h, d, (int)(i & 1));       /* tight decode toggling */
    if (pick(h, 2))
        set_decode(h, d, -1);
}

void hg_phase_bar_games(struct hostile_guest *h, unsigned n)
{
    for (unsigned i = 0; i < n && h->ndevs; i++)
        bar_game(h);
}

/* ---- MSI / MSI-X ---- */

static uint64_t msi_address(struct hostile_guest *h)
{
    static const uint64_t where[] = { MSI_DOORBELL, 0x40001000, 0x10000000, 0, 0xfffffffc,
                                      0x23000000, 0x100000000ull, 0x200000000ull };
    return pick(h, 4) ? where[pick(h, 8)] : hg_rand(h);
}

static void msi_game(struct hostile_guest *h, const struct hg_dev *d)
{
    uint64_t a = msi_address(h);
    unsigned c = d->msi;

    if (c) {
        uint32_t ctl = hg_cfg_read(h, d->slot, c + 2, 2);
        bool is64 = ctl & 0x80;
        hg_cfg_write(h, d->slot, c + 4, 4, (uint32_t)a);
        if (is64)
            hg_cfg_write(h, d->slot, c + 8, 4, a >> 32);
        hg_cfg_write(h, d->slot, c + (is64 ? 12 : 8), 2, pick_data(h) & 0xffff);
        hg_cfg_write(h, d->slot, c + (is64 ? 16 : 12), 4, pick_data(h));   /* mask */
        /* enable, multi-message beyond what the function can do */
        hg_cfg_write(h, d->slot, c + 2, 2, (pick(h, 2) ? 1u : 0u) | (pick(h, 8) << 4));
        if (pick(h, 4) == 0)
            hg_cfg_write(h, d->slot, c, 4, pick_data(h));
    }
    if (d->msix) {
        for (unsigned i = 0, n = 1 + pick(h, 8); i < n; i++)
            hg_cfg_write(h, d->slot, d->msix + 3, 1, pick(h, 4) << 6);   /* enable / mask */
        if (pick(h, 4) == 0)
            hg_cfg_write(h, d->slot, d->msix, 4, pick_data(h));
    }
}

void hg_phase_msi(struct hostile_guest *h, unsigned n)
{
    for (unsigned i = 0; i < n && h->ndevs; i++)
        msi_game(h, &h->devs[pick(h, h->ndevs)]);
}

/* ---- FLR ---- */

static void flr(struct hostile_guest *h, const struct hg_dev *d)
{
    if (!d->pcie)
        return;
    uint32_t ctl = hg_cfg_read(h, d->slot, d->pcie + 8, 2);
    hg_cfg_write(h, d->slot, d->pcie + 8, 2, ctl | 0x8000u | (pick_data(h) & 0x7fff));
}

void hg_phase_flr(struct hostile_guest *h, unsigned n)
{
    for (unsigned i = 0; i < n && h->ndevs; i++) {
        unsigned k = pick(h, h->ndevs);
        const struct hg_dev *d = &h->devs[k];
        set_decode(h, d, 1);
        flr(h, d);
        h->flr_sent[k] += d->pcie != 0;
    }
}

void hg_restore(struct hostile_guest *h)
{
    /* decode off everywhere first: a BAR still mapped elsewhere by another
     * device would make the daemon refuse a home address (correctly) */
    for (unsigned i = 0; i < h->ndevs; i++)
        set_decode(h, &h->devs[i], 0);
    for (unsigned i = 0; i < h->ndevs; i++) {
        const struct hg_dev *d = &h->devs[i];
        for (int b = 0; b < PCI_NUM_RES; b++) {
            uint64_t a = d->as.bars[b].guest;
            unsigned reg = b == 6 ? 0x30 : 0x10 + 4 * (unsigned)b;
            if (!mem_bar(d, b))
                continue;
            hg_cfg_write(h, d->slot, reg, 4, (uint32_t)a | (b == 6));
            if (d->as.bars[b].type == BAR_MEM64 && b < 5)
                hg_cfg_write(h, d->slot, reg + 4, 4, a >> 32);
        }
    }
    for (unsigned i = 0; i < h->ndevs; i++)
        set_decode(h, &h->devs[i], 1);
}

void hg_phase_mixed(struct hostile_guest *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        switch (pick(h, 16)) {
        case 0: case 1: case 2: ecam_random(h, pick(h, 32), pick(h, 8)); break;
        case 3: ecam_beyond(h); break;
        case 4: case 5: hg_phase_raw(h, 1); break;
        case 6: case 7: window_access(h); break;
        case 8: case 9: case 10: case 11: hg_phase_bar_games(h, 1); break;
        case 12: case 13: hg_phase_msi(h, 1); break;
        case 14:
            if (pick(h, 8) == 0)
                hg_phase_flr(h, 1);
            break;
        default:
            if (h->ndevs)
                set_decode(h, &h->devs[pick(h, h->ndevs)], -1);
            break;
        }
    }
}
