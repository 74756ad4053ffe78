/* The BAR planner: see plan.h.  Rules (docs/design/host.md "Planner"):
 *  - 32-bit BARs and the ROM go in the low hole (GUEST_VPCI_MEM, below 4 GiB);
 *  - 64-bit prefetchable BARs go in the high hole (GUEST_VPCI_PREFETCH_MEM);
 *  - a 64-bit non-prefetchable BAR goes low if it fits, else high (a 64-bit
 *    BAR can decode any address; non-prefetchable space is what the low hole
 *    is advertised as in the guest's DT ranges);
 *  - every BAR naturally aligned (PCI 3.0 §6.2.5.1: a BAR decodes a
 *    power-of-two size at an address aligned to it), largest first;
 *  - whole pages are reserved (stage-2 maps pages); a sub-page BAR keeps
 *    its in-page offset so one page mapping covers it;
 *  - I/O BARs get no guest address (Arm guests have no I/O space here). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/plan.h"
#include "pcipt/assign/intx_route.h"

char *format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };

    for (unsigned i = 0; i < 4; i++) {
        uint64_t u = 1ull << (40 - 10 * i);
        if (bytes >= u && bytes % u == 0) {
            snprintf(buf, len, "%" PRIu64 " %s", bytes / u, units[i]);
            return buf;
        }
    }
    snprintf(buf, len, "%" PRIu64 " bytes", bytes);
    return buf;
}

struct interval {
    uint64_t start, end;            /* [start, end) */
};

#define MAX_USED (PCIPT_MAX_DEVS * PCI_NUM_RES)

struct hole {
    const char *name;
    uint64_t base, size;
    struct interval used[MAX_USED]; /* sorted by start */
    unsigned nused;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t hole_free(const struct hole *h)
{
    uint64_t used = 0;

    for (unsigned i = 0; i < h->nused; i++)
        used += h->used[i].end - h->used[i].start;
    return h->size - used;
}

static void hole_mark(struct hole *h, uint64_t start, uint64_t end)
{
    unsigned i = 0;

    if (h->nused >= MAX_USED)
        return;
    while (i < h->nused && h->used[i].start < start)
        i++;
    memmove(&h->used[i + 1], &h->used[i], (h->nused - i) * sizeof(h->used[0]));
    h->used[i] = (struct interval){ start, end };
    h->nused++;
}

/* Lowest address in h aligned to align with len free bytes; 0 if none. */
static uint64_t hole_alloc(struct hole *h, uint64_t len, uint64_t align)
{
    uint64_t end = h->base + h->size;
    uint64_t cand = align_up(h->base, align);

    if (cand < h->base)
        return 0;
    for (unsigned i = 0; i < h->nused; i++) {
        if (h->used[i].end <= cand)
            continue;
        if (cand + len <= h->used[i].start)
            break;
        cand = align_up(h->used[i].end, align);
        if (cand < h->used[i].end)
            return 0;
    }
    if (cand + len < cand || cand + len > end)
        return 0;
    hole_mark(h, cand, cand + len);
    return cand;
}

/* Mark an existing assignment's pages in whichever hole holds it. */
static void mark_existing(struct hole *holes, const struct bar_assign *b)
{
    uint64_t start = b->guest & ~(PLAN_PAGE_SIZE - 1);
    uint64_t end = align_up(b->guest + b->size, PLAN_PAGE_SIZE);

    for (unsigned i = 0; i < 2; i++)
        if (start >= holes[i].base && end <= holes[i].base + holes[i].size)
            hole_mark(&holes[i], start, end);
}

struct item {
    unsigned dev, bar;
    uint64_t size;
};

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;

    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;          /* largest first */
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->bar < y->bar ? -1 : (x->bar > y->bar);
}

static void describe_bar(const struct bar_assign *b, unsigned idx, const struct sbdf *s,
                         char *buf, size_t len)
{
    char name[SBDF_STR_LEN], sz[32];

    format_size(b->size, sz, sizeof(sz));
    if (b->type == BAR_ROM)
        snprintf(buf, len, "%s ROM (%s)", sbdf_format(s, name), sz);
    else
        snprintf(buf, len, "%s BAR %u (%s %s, %s)", sbdf_format(s, name), idx,
                 b->type == BAR_MEM64 ? "64-bit" : "32-bit",
                 b->prefetchable ? "prefetchable" : "non-prefetchable", sz);
}

/* Place one BAR; -ENOSPC with the message when it fits nowhere allowed. */
static int place_bar(struct hole *low, struct hole *high, struct bar_assign *b, unsigned idx,
                     const struct sbdf *s, char *err, size_t errlen)
{
    uint64_t len = align_up(b->size, PLAN_PAGE_SIZE);
    uint64_t page = 0;
    bool try_low = b->type != BAR_MEM64 || !b->prefetchable;
    bool try_high = b->type == BAR_MEM64;
    char what[96], f1[32], f2[32];

    if (try_low)
        page = hole_alloc(low, len, len);
    if (!page && try_high)
        page = hole_alloc(high, len, len);
    if (page) {
        b->guest = page + (b->size < PLAN_PAGE_SIZE ? (b->host & (PLAN_PAGE_SIZE - 1)) : 0);
        return 0;
    }
    describe_bar(b, idx, s, what, sizeof(what));
    format_size(hole_free(low), f1, sizeof(f1));
    format_size(hole_free(high), f2, sizeof(f2));
    if (try_low && try_high)
        snprintf(err, errlen, "%s does not fit: the %s hole has %s free and the %s hole has %s "
                 "free", what, low->name, f1, high->name, f2);
    else
        snprintf(err, errlen, "%s does not fit: the %s hole has %s free", what,
                 try_low ? low->name : high->name, try_low ? f1 : f2);
    return -ENOSPC;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* "3" for function 0 (as before functions existed), "3.1" otherwise. */
static const char *vslot_name(int slot, int fn, char *buf, size_t len)
{
    if (fn)
        snprintf(buf, len, "%d.%d", slot, fn);
    else
        snprintf(buf, len, "%d", slot);
    return buf;
}

/* PCI 3.0 §3.2.2.3.4: software probes functions 1..7 of a device only
 * when function 0 answers, so a slot with a function > 0 needs function 0. */
static int check_function0(const struct sbdf *owner[][PLAN_MAX_FN + 1], char *err,
                           size_t errlen)
{
    char a[SBDF_STR_LEN];

    for (int s = 1; s <= PLAN_MAX_SLOT; s++) {
        if (owner[s][0])
            continue;
        for (int f = 1; f <= PLAN_MAX_FN; f++)
            if (owner[s][f]) {
                snprintf(err, errlen, "%s: virtual slot %d has no function 0 (a guest scans "
                         "functions 1..7 of a slot only behind function 0): place a function "
                         "at @%d or @%d.0 too", sbdf_format(owner[s][f], a), s, s, s);
                return -EINVAL;
            }
    }
    return 0;
}

/* Virtual slots: explicit ones first (a collision of slot and function is
 * refused), then the lowest slot with no function at all for the rest
 * (function 0); then every slot in use must have its function 0. */
static int choose_slots(const struct domain_assign *dom, const struct plan_request *reqs,
                        unsigned n, int *slots, char *err, size_t errlen)
{
    const struct sbdf *owner[PLAN_MAX_SLOT + 1][PLAN_MAX_FN + 1];
    bool busy[PLAN_MAX_SLOT + 1] = { 0 };
    char a[SBDF_STR_LEN], b[SBDF_STR_LEN], vs[8];

    memset(owner, 0, sizeof(owner));
    for (unsigned i = 0; i < dom->ndevs; i++)
        if (dom->devs[i].guest.dev <= PLAN_MAX_SLOT) {
            owner[dom->devs[i].guest.dev][dom->devs[i].guest.fn & PLAN_MAX_FN] =
                &dom->devs[i].host;
            busy[dom->devs[i].guest.dev] = true;
        }
    for (unsigned i = 0; i < n; i++) {
        int s = reqs[i].slot, f = reqs[i].fn;
        if (s < 0 && f == 0)
            continue;
        if (s < 1 || s > PLAN_MAX_SLOT || f < 0 || f > PLAN_MAX_FN) {
            snprintf(err, errlen, "%s: virtual slot %d function %d is out of range 1..%d, "
                     "0..%d", sbdf_format(&reqs[i].host, a), s, f, PLAN_MAX_SLOT, PLAN_MAX_FN);
            return -EINVAL;
        }
        if (owner[s][f]) {
            snprintf(err, errlen, "%s: virtual slot %s is already taken by %s",
                     sbdf_format(&reqs[i].host, a), vslot_name(s, f, vs, sizeof(vs)),
                     sbdf_format(owner[s][f], b));
            return -EEXIST;
        }
        owner[s][f] = &reqs[i].host;
        busy[s] = true;
        slots[i] = s;
    }
    for (unsigned i = 0; i < n; i++) {
        int s = 1;
        if (reqs[i].slot >= 0)
            continue;
        while (s <= PLAN_MAX_SLOT && busy[s])
            s++;
        if (s > PLAN_MAX_SLOT) {
            snprintf(err, errlen, "%s: no free virtual slot (all %d are taken)",
                     sbdf_format(&reqs[i].host, a), PLAN_MAX_SLOT);
            return -ENOSPC;
        }
        owner[s][0] = &reqs[i].host;
        busy[s] = true;
        slots[i] = s;
    }
    return check_function0(owner, err, errlen);
}

/* Functions of one slot that use the same pin would be one interrupt-map
 * entry (it routes per slot and pin): refused, so that a slot's pin belongs
 * to one host function.  (Different slots may share an SPI: intx_route.h.) */
static int check_shared_pin(const struct domain_assign *work, const struct dev_assign *d,
                            char *err, size_t errlen)
{
    char a[SBDF_STR_LEN], b[SBDF_STR_LEN];

    if (!d->intx_pin)
        return 0;
    for (unsigned i = 0; i < work->ndevs; i++) {
        const struct dev_assign *o = &work->devs[i];
        if (o == d || o->guest.dev != d->guest.dev || o->intx_pin != d->intx_pin)
            continue;
        snprintf(err, errlen, "%s and %s would share INT%c of virtual slot %u: two host "
                 "functions on one pin of a slot are not supported; put one in another slot",
                 sbdf_format(&o->host, a), sbdf_format(&d->host, b), 'A' + d->intx_pin - 1,
                 d->guest.dev);
        return -EINVAL;
    }
    return 0;
}

static int check_requests(const struct domain_assign *dom, const struct plan_request *reqs,
                          unsigned n, char *err, size_t errlen)
{
    char a[SBDF_STR_LEN];

    if (dom->ndevs + n > PCIPT_MAX_DEVS) {
        snprintf(err, errlen, "too many devices for one domain: %u + %u > %d", dom->ndevs, n,
                 PCIPT_MAX_DEVS);
        return -E2BIG;
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < dom->ndevs; j++)
            if (sbdf_equal(&reqs[i].host, &dom->devs[j].host)) {
                snprintf(err, errlen, "%s is already assigned to this domain",
                         sbdf_format(&reqs[i].host, a));
                return -EEXIST;
            }
        for (unsigned j = 0; j < i; j++)
            if (sbdf_equal(&reqs[i].host, &reqs[j].host)) {
                snprintf(err, errlen, "%s is given twice", sbdf_format(&reqs[i].host, a));
                return -EINVAL;
            }
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct host_bar *hb = &reqs[i].bars[b];
            if (hb->type != BAR_NONE && hb->type != BAR_IO && !is_pow2(hb->size)) {
                snprintf(err, errlen, "%s BAR %u has size 0x%" PRIx64 ", not a power of two",
                         sbdf_format(&reqs[i].host, a), b, hb->size);
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* A function's SPI is its slot and pin's fixed route (intx_route.h): the
 * one the guest's interrupt-map already has for that slot, whenever the
 * function is attached. */
static int choose_spi(const struct guest_layout *lay, struct dev_assign *d, char *err,
                      size_t errlen)
{
    char a[SBDF_STR_LEN];

    if (!d->intx_pin)
        return 0;
    d->spi = intx_route_spi(lay, d->guest.dev, d->intx_pin);
    if (d->spi)
        return 0;
    snprintf(err, errlen, "%s: INT%c of virtual slot %u has no guest SPI route",
             sbdf_format(&d->host, a), 'A' + d->intx_pin - 1, d->guest.dev);
    return -EINVAL;
}

/* The k-th request in plan order: those for function 0, then the others. */
static unsigned plan_order(const struct plan_request *reqs, unsigned n, unsigned k)
{
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < n; i++)
            if ((reqs[i].fn > 0) == (pass == 1) && k-- == 0)
                return i;
    return n - 1;     /* not reached: k < n */
}

static int plan_into(const struct guest_layout *lay, struct domain_assign *work,
                     struct hole *holes, const struct plan_request *reqs, unsigned n,
                     char *err, size_t errlen)
{
    int slots[PCIPT_MAX_DEVS];
    struct item items[PCIPT_MAX_DEVS * PCI_NUM_RES];
    unsigned nitems = 0, first = work->ndevs;
    int rc;

    if ((rc = check_requests(work, reqs, n, err, errlen)) ||
        (rc = choose_slots(work, reqs, n, slots, err, errlen)))
        return rc;
    for (unsigned i = 0; i < work->ndevs; i++)
        for (unsigned b = 0; b < PCI_NUM_RES; b++)
            if (work->devs[i].bars[b].type != BAR_NONE && work->devs[i].bars[b].type != BAR_IO)
                mark_existing(holes, &work->devs[i].bars[b]);
    /* Functions 0 first (then the rest, each in request order): attached one
     * at a time in this order, every function > 0 finds its function 0
     * (pcipt/xl/create.c); SPIs are the fixed routes either way. */
    for (unsigned k = 0; k < n; k++) {
        unsigned i = plan_order(reqs, n, k);
        struct dev_assign *d = &work->devs[work->ndevs++];
        memset(d, 0, sizeof(*d));
        d->host = reqs[i].host;
        d->guest = (struct sbdf){ 0, 0, (uint8_t)slots[i], (uint8_t)reqs[i].fn };
        d->intx_pin = reqs[i].intx_pin;
        d->force = reqs[i].force;
        d->unsafe_dma = reqs[i].unsafe_dma;
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct host_bar *hb = &reqs[i].bars[b];
            if (hb->type == BAR_NONE || !hb->size)
                continue;
            d->bars[b] = (struct bar_assign){ hb->type, hb->prefetchable, hb->addr, 0, hb->size };
            if (hb->type != BAR_IO)
                items[nitems++] = (struct item){ first + k, b, hb->size };
        }
        if ((rc = check_shared_pin(work, d, err, errlen)) ||
            (rc = choose_spi(lay, d, err, errlen)))
            return rc;
    }
    qsort(items, nitems, sizeof(items[0]), cmp_item);
    for (unsigned k = 0; k < nitems; k++) {
        struct dev_assign *d = &work->devs[items[k].dev];
        rc = place_bar(&holes[0], &holes[1], &d->bars[items[k].bar], items[k].bar, &d->host,
                       err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

int plan_domain(const struct guest_layout *lay, struct domain_assign *dom,
                const struct plan_request *reqs, unsigned n, char *err, size_t errlen)
{
    struct domain_assign *work = malloc(sizeof(*work));
    struct hole *holes = calloc(2, sizeof(*holes));
    int rc = -ENOMEM;

    if (work && holes) {
        *work = *dom;
        holes[0] = (struct hole){ .name = "32-bit", .base = lay->mem_base, .size = lay->mem_size };
        holes[1] = (struct hole){ .name = "prefetchable", .base = lay->pref_base,
                                  .size = lay->pref_size };
        rc = plan_into(lay, work, holes, reqs, n, err, errlen);
        if (!rc)
            *dom = *work;
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(work);
    free(holes);
    return rc;
}
