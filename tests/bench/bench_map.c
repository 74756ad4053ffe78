/* 4. Mapping 4 GiB of BARs under `sim`: XEN_DOMCTL_memory_mapping calls and
 * time, through pcipt/hv/map.c's hv_map_mmio, against the minimum: on Arm one
 * call maps at most 64 pages (docs/xen-facts.md "64 pages per call"), so a run of n pages
 * needs ceil(n / 64) calls; the time baseline is that minimum number of
 * 64-page calls issued straight through hv->ops.  The call count is the
 * simulator's own (calls it received), so it is independent of map.c.
 * Layouts: one 4 GiB prefetchable BAR filling GUEST_VPCI_PREFETCH_MEM, and
 * four 1 GiB BARs, the last with its MSI-X table and PBA pages (0 and 1)
 * left unmapped as trapped holes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_sim.h"

#define GIB (1ull << 30)
#define HOST_BASE  0x4000000000ull       /* host BARs at 256 GiB */
#define GUEST_BASE 0x100000000ull        /* GUEST_VPCI_PREFETCH_MEM */
#define MAX_BARS 4

struct layout {
    const char *name;
    unsigned nbars;
    uint64_t size[MAX_BARS];
    struct page_range hole[MAX_BARS];   /* per BAR, nr 0 = none */
};

static const struct layout layouts[] = {
    { "map_4g", 1, { 4 * GIB }, { { 0, 0 } } },
    { "map_4g_4bars", 4, { GIB, GIB, GIB, GIB }, { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 2 } } },
};

static uint64_t pages(uint64_t bytes) { return bytes >> HV_PAGE_SHIFT; }

static uint64_t bar_off(const struct layout *l, unsigned b)
{
    uint64_t off = 0;
    for (unsigned i = 0; i < b; i++)
        off += l->size[i];
    return off;
}

/* ceil(n / 64) per mapped run */
static uint64_t min_calls(const struct layout *l)
{
    uint64_t n = 0;
    for (unsigned b = 0; b < l->nbars; b++) {
        uint64_t before = l->hole[b].first, after = pages(l->size[b]) - before - l->hole[b].nr;
        n += (before + 63) / 64 + (after + 63) / 64;
    }
    return n;
}

static uint64_t sim_calls(struct bench_sim *s)
{
    struct sim_domain_info info;
    if (sim_domain_info(s->dm, BENCH_DOM, &info))
        bench_fail("sim: dom%d vanished", BENCH_DOM);
    return info.memory_mapping_calls;
}

static uint64_t mapped_pages(struct bench_sim *s)
{
    static struct sim_mapping m[64];
    int n = sim_list_mappings(s->dm, BENCH_DOM, m, 64);
    uint64_t total = 0;
    for (int i = 0; i < n && i < 64; i++)
        total += m[i].nr;
    return total;
}

/* All BARs through hv_map_mmio (add) or hv_unmap_mmio; returns ns. */
static double pcipt_map(struct bench_sim *s, const struct layout *l, bool add)
{
    uint64_t t0 = bench_now_ns();
    for (unsigned b = 0; b < l->nbars; b++) {
        uint64_t off = bar_off(l, b), nh = l->hole[b].nr ? 1 : 0;
        int rc = (add ? hv_map_mmio : hv_unmap_mmio)(
            s->dm, BENCH_DOM, pages(GUEST_BASE + off), pages(HOST_BASE + off),
            pages(l->size[b]), &l->hole[b], nh, NULL);
        if (rc)
            bench_fail("%s: %s BAR%u failed (%d)", l->name, add ? "mapping" : "unmapping", b, rc);
    }
    return (double)(bench_now_ns() - t0);
}

/* The minimum: 64-page calls straight through the backend. */
static double raw_map(struct bench_sim *s, const struct layout *l)
{
    uint64_t t0 = bench_now_ns();
    for (unsigned b = 0; b < l->nbars; b++) {
        uint64_t off = bar_off(l, b), np = pages(l->size[b]);
        const struct page_range *h = &l->hole[b];
        for (uint64_t p = 0; p < np;) {
            if (h->nr && p == h->first) {
                p += h->nr;
                continue;
            }
            uint64_t end = h->nr && p < h->first ? h->first : np, n = end - p > 64 ? 64 : end - p;
            int rc = s->dm->ops->memory_mapping(s->dm, BENCH_DOM, pages(GUEST_BASE + off) + p,
                                                pages(HOST_BASE + off) + p, n, true);
            if (rc)
                bench_fail("%s: a raw 64-page mapping failed (%d)", l->name, rc);
            p += n;
        }
    }
    return (double)(bench_now_ns() - t0);
}

static void bench_layout(struct bench_sim *s, const struct layout *l, unsigned trials)
{
    uint64_t total = 0, holes = 0;
    for (unsigned b = 0; b < l->nbars; b++) {
        total += pages(l->size[b]);
        holes += l->hole[b].nr;
    }
    if (hv_grant_iomem(s->dm, BENCH_DOM, HOST_BASE, 4 * GIB))
        bench_fail("%s: iomem_permission for 4 GiB failed", l->name);
    double tp[8], tr[8];
    uint64_t calls = 0;
    for (unsigned t = 0; t < trials; t++) {
        uint64_t c0 = sim_calls(s);
        tp[t] = pcipt_map(s, l, true);
        calls = sim_calls(s) - c0;
        if (mapped_pages(s) != total - holes)
            bench_fail("%s: %" PRIu64 " pages mapped, want %" PRIu64, l->name, mapped_pages(s),
                       total - holes);
        pcipt_map(s, l, false);
        tr[t] = raw_map(s, l);
        pcipt_map(s, l, false);
        if (mapped_pages(s))
            bench_fail("%s: pages left mapped after unmapping", l->name);
    }
    hv_revoke_iomem(s->dm, BENCH_DOM, HOST_BASE, 4 * GIB);
    char name[64];
    snprintf(name, sizeof(name), "%s_hypercalls", l->name);
    bench_metric(name, (double)calls, (double)min_calls(l), "calls", "ceil(pages / 64) per run");
    snprintf(name, sizeof(name), "%s_time", l->name);
    bench_metric(name, bench_quantile(tp, trials, 0.5) / 1e6, bench_quantile(tr, trials, 0.5) / 1e6,
                 "ms", "minimum 64-page calls via hv->ops");
}

void bench_map(const struct bench_opts *o)
{
    struct bench_sim s;
    bench_sim_open(&s, 1);
    for (unsigned i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
        bench_layout(&s, &layouts[i], o->quick ? 1 : 5);
    bench_sim_close(&s);
    bench_note("map: host BARs at 0x%llx, guest at 0x%llx (GUEST_VPCI_PREFETCH_MEM); call "
               "counts from the simulator; map_4g_4bars leaves 2 MSI-X pages of BAR3 unmapped",
               HOST_BASE, GUEST_BASE);
}
