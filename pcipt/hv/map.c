/* Chunked stage-2 mapping with MSI-X holes and undo (see map.h). */
#include "pcipt/hv/map.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "hostbridge/common/log.h"

void hv_bar_pages(uint64_t addr, uint64_t size, uint64_t *first_mfn, uint64_t *nr_pages)
{
    uint64_t first = addr >> HV_PAGE_SHIFT;
    uint64_t last = size ? (addr + size - 1) >> HV_PAGE_SHIFT : first;
    *first_mfn = first;
    *nr_pages = size ? last - first + 1 : 0;
}

static int bar_permission(struct hv *hv, uint32_t domid, uint64_t addr, uint64_t size,
                          bool allow)
{
    uint64_t mfn, nr;
    if (size == 0 || addr + size - 1 < addr)
        return -EINVAL;
    hv_bar_pages(addr, size, &mfn, &nr);
    return hv->ops->iomem_permission(hv, domid, mfn, nr, allow);
}

int hv_grant_iomem(struct hv *hv, uint32_t domid, uint64_t bar_addr, uint64_t bar_size)
{
    return bar_permission(hv, domid, bar_addr, bar_size, true);
}

int hv_revoke_iomem(struct hv *hv, uint32_t domid, uint64_t bar_addr, uint64_t bar_size)
{
    return bar_permission(hv, domid, bar_addr, bar_size, false);
}

/* First page after hole h (saturating: a hole may reach past 2^64 pages). */
static uint64_t hole_end(const struct page_range *h)
{
    return h->nr > UINT64_MAX - h->first ? UINT64_MAX : h->first + h->nr;
}

/* The first page at or after p that no hole covers (or `total`).  Each pass
 * is one scan of the holes; only unsorted chains of touching or overlapping
 * holes need another pass, and each pass moves p past at least one hole. */
static uint64_t skip_holes(uint64_t p, uint64_t total, const struct page_range *holes, size_t n)
{
    for (bool moved = true; moved && p < total;) {
        moved = false;
        for (size_t i = 0; i < n; i++)
            if (p >= holes[i].first && p - holes[i].first < holes[i].nr) {
                p = hole_end(&holes[i]);
                moved = true;
            }
    }
    return p < total ? p : total;
}

/* The first hole page after p, when p itself is in no hole (or `limit`):
 * the lowest start of a non-empty hole above p.  A hole starting at or
 * before p ends before it, so it bounds nothing. */
static uint64_t next_hole_start(uint64_t p, uint64_t limit, const struct page_range *holes,
                                size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (holes[i].nr && holes[i].first > p && holes[i].first < limit)
            limit = holes[i].first;
    return limit;
}

/* The next chunk at or after *pos: pages [*start, *start + *len) with no hole,
 * at most 64 long.  False when none is left.  O(holes) per chunk: the chunk
 * ends at the first of `total`, 64 pages, or the next hole's start. */
static bool next_chunk(uint64_t *pos, uint64_t total, const struct page_range *holes,
                       size_t n, uint64_t *start, uint64_t *len)
{
    uint64_t p = skip_holes(*pos, total, holes, n);
    if (p >= total)
        return false;
    uint64_t e = total - p > HV_MAX_PAGES_PER_MAPPING ? p + HV_MAX_PAGES_PER_MAPPING : total;
    e = next_hole_start(p, e, holes, n);
    *start = p;
    *len = e - p;
    *pos = e;
    return true;
}

/* The chunk that ends just before *pos (going backwards), for undo. */
static bool prev_chunk(uint64_t *pos, uint64_t begin, const struct page_range *holes,
                       size_t n, uint64_t *start, uint64_t *len)
{
    /* Re-walk forwards from `begin` and keep the last chunk ending <= *pos:
     * chunk boundaries are then exactly those of the forward pass. */
    uint64_t p = begin, s, l, best_s = 0, best_l = 0;
    bool found = false;
    while (next_chunk(&p, *pos, holes, n, &s, &l)) {
        best_s = s;
        best_l = l;
        found = true;
    }
    if (found) {
        *start = best_s;
        *len = best_l;
        *pos = best_s;
    }
    return found;
}

static int map_walk(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t total,
                    const struct page_range *holes, size_t n, uint64_t *calls)
{
    uint64_t pos = 0, s, l, ncalls = 0;
    int rc = 0;
    while (next_chunk(&pos, total, holes, n, &s, &l)) {
        ncalls++;
        rc = hv->ops->memory_mapping(hv, domid, gfn + s, mfn + s, l, true);
        if (rc) {
            pos = s;            /* undo everything before the failed chunk */
            break;
        }
    }
    while (rc && prev_chunk(&pos, 0, holes, n, &s, &l)) {
        ncalls++;
        (void)hv->ops->memory_mapping(hv, domid, gfn + s, mfn + s, l, false);
    }
    if (calls)
        *calls = ncalls;
    return rc;
}

static bool wraps(uint64_t gfn, uint64_t mfn, uint64_t total)
{
    return gfn + total < gfn || mfn + total < mfn;
}

int hv_map_mmio(struct hv *hv, uint32_t domid, uint64_t first_gfn, uint64_t first_mfn,
                uint64_t nr_pages, const struct page_range *holes, size_t n_holes,
                uint64_t *calls)
{
    if (calls)
        *calls = 0;
    if (wraps(first_gfn, first_mfn, nr_pages))
        return -EINVAL;
    return map_walk(hv, domid, first_gfn, first_mfn, nr_pages, holes, n_holes, calls);
}

/* Teardown is best effort, as libxc's own undo: every chunk is removed even
 * if one fails (re-adding would create mappings that may never have
 * existed); the first error is returned. */
int hv_unmap_mmio(struct hv *hv, uint32_t domid, uint64_t first_gfn, uint64_t first_mfn,
                  uint64_t nr_pages, const struct page_range *holes, size_t n_holes,
                  uint64_t *calls)
{
    uint64_t pos = 0, s, l, ncalls = 0;
    int first_err = 0;
    if (calls)
        *calls = 0;
    if (wraps(first_gfn, first_mfn, nr_pages))
        return -EINVAL;
    while (next_chunk(&pos, nr_pages, holes, n_holes, &s, &l)) {
        ncalls++;
        int rc = hv->ops->memory_mapping(hv, domid, first_gfn + s, first_mfn + s, l, false);
        if (rc && !first_err)
            first_err = rc;
    }
    if (calls)
        *calls = ncalls;
    return first_err;
}

/* The temporary grant covers exactly the pages being removed; revoking
 * them afterwards leaves the domain as the toolstack left it (libxl
 * revoked these pages already, shared sub-page pages included). */
int hv_unmap_mmio_revoked(struct hv *hv, uint32_t domid, const char *what, uint64_t first_gfn,
                          uint64_t first_mfn, uint64_t nr_pages, const struct page_range *holes,
                          size_t n_holes, uint64_t *calls)
{
    uint64_t more = 0;
    int rc = hv_unmap_mmio(hv, domid, first_gfn, first_mfn, nr_pages, holes, n_holes, calls);

    if (rc != -EPERM)
        return rc;
    if (wraps(first_mfn, first_mfn, nr_pages) || !nr_pages)
        return rc;
    rc = hv->ops->iomem_permission(hv, domid, first_mfn, nr_pages, true);
    if (rc) {
        log_err("domain %u: %s: cannot unmap host pages 0x%" PRIx64 "-0x%" PRIx64
                " (Xen refuses the removal without the domain's iomem permission, and "
                "granting it back failed: %s); they stay mapped in the guest",
                domid, what, first_mfn, first_mfn + nr_pages - 1, strerror(-rc));
        return rc;
    }
    log_warn("domain %u: %s: its iomem permission was already revoked and this Xen needs it "
             "to unmap (stock Xen <= 4.21): granted host pages 0x%" PRIx64 "-0x%" PRIx64
             " back to remove the mapping, then revoked them",
             domid, what, first_mfn, first_mfn + nr_pages - 1);
    rc = hv_unmap_mmio(hv, domid, first_gfn, first_mfn, nr_pages, holes, n_holes, &more);
    int rv = hv->ops->iomem_permission(hv, domid, first_mfn, nr_pages, false);
    if (calls)
        *calls += more;
    return rc ? rc : rv;
}
