/* xlwatch: adopt what `xl pci-attach` added, release what `xl pci-detach`
 * removed (see xlwatch.h). */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/dma.h"
#include "pcipt/assign/msi_announce.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/hv/map.h"
#include "pcipt/xl/xlwatch_int.h"
#include "pcipt/xs/xs.h"

#define XLW_PASSES 8    /* re-reads after a rewrite of pcipt's nodes */

void xlwatch_init(struct xlwatch *w, uint32_t domid, FILE *log)
{
    memset(w, 0, sizeof(*w));
    w->domid = domid;
    w->log = log;
}

static void say(struct xlwatch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct xlwatch *w, const char *fmt, ...)
{
    va_list ap;

    if (!w->log)
        return;
    va_start(ap, fmt);
    vfprintf(w->log, fmt, ap);
    va_end(ap);
    fputc('\n', w->log);
    fflush(w->log);
}

static int cache_find(const struct xlwatch *w, const struct sbdf *host)
{
    for (unsigned i = 0; i < w->n; i++)
        if (sbdf_equal(&w->devs[i].host, host))
            return (int)i;
    return -1;
}

static void cache_drop(struct xlwatch *w, int i)
{
    w->devs[i] = w->devs[--w->n];
}

/* Remember (or refresh) every unreleased device pcipt's nodes describe,
 * adopted or pcipt's own (xl pci-detach and xl destroy work on both): the
 * p2m records may have changed (guest BAR moves).  A device pcipt detach
 * is taking back (pcipt/dev-K/detach) is detach's to release: forgotten. */
static void cache_merge(struct xlwatch *w, const struct xlw_view *v)
{
    for (unsigned k = 0; k < v->npc; k++) {
        const struct xlw_pcipt *e = &v->p[k];
        int i;
        if (e->exists && e->named && e->detaching && (i = cache_find(w, &e->dev.host)) >= 0)
            cache_drop(w, i);
        if (!e->exists || !e->named || e->released || e->detaching)
            continue;
        if ((i = cache_find(w, &e->dev.host)) < 0) {
            if (w->n == PCIPT_MAX_DEVS)
                continue;
            i = (int)w->n++;
        }
        w->devs[i] = e->dev;
    }
}

/* Is host listed by libxl and not closing?  (index into v->l, or -1) */
static int libxl_index(const struct xlw_view *v, const struct sbdf *host)
{
    for (unsigned i = 0; i < v->num; i++)
        if (v->l[i].ok && sbdf_equal(&v->l[i].host, host))
            return (int)i;
    return -1;
}

static bool libxl_live(const struct xlw_view *v, const struct sbdf *host)
{
    int i = libxl_index(v, host);
    return i >= 0 && v->l[i].state != 5;
}

/* Out of Xen's vITS, Bus Master off, then out of the domain's IOMMU
 * context (from quarantine when the domain is gone): pcipt/assign/dma.h. */
static void release_dma(struct attach_ctx *ctx, struct xlwatch *w, const struct xlwatch_dev *d,
                        int alive)
{
    char name[SBDF_STR_LEN], e[256];
    struct hostpci *hp;
    int rc;

    /* out of Xen's vITS first (deassigning unbinds too: a warning only) */
    if (alive == 1 && d->msi == DEV_MSI_VITS &&
        (rc = msi_unannounce(ctx->hv, w->domid, &d->host, d->its_guest_devid)))
        say(w, "release %s: unbinding it from domain %u's virtual ITS failed: %s",
            sbdf_format(&d->host, name), w->domid, strerror(-rc));
    if (!hostpci_open(ctx->sysfs, &d->host, &hp, e, sizeof(e))) {
        (void)dma_host_bus_master(hostpci_host_dev(hp), false);
        hostpci_close(hp);
    }
    if (alive >= 0 &&
        (rc = dma_deassign(ctx->hv, alive == 1 ? w->domid : HV_DOMID_IO, &d->host)))
        say(w, "release %s: deassigning it from domain %u failed: %s",
            sbdf_format(&d->host, name), w->domid, strerror(-rc));
}

/* Unmap where the records say, revoke what adopt granted.  The domain may
 * be gone already: then its p2m and permissions went with it. */
static void release_hv(struct attach_ctx *ctx, struct xlwatch *w, const struct xlwatch_dev *d)
{
    int alive = ctx->hv->ops->domain_exists(ctx->hv, w->domid);
    char name[SBDF_STR_LEN];

    for (unsigned i = 0; alive == 1 && i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &d->bars[i];
        uint64_t mfn, nr;
        int rc;
        if (!attach_bar_granted(b))
            continue;
        char what[SBDF_STR_LEN + 16];
        hv_bar_pages(b->host, b->size, &mfn, &nr);
        snprintf(what, sizeof(what), "%s BAR %u", sbdf_format(&d->host, name), i);
        if (d->mapped[i] &&
            (rc = hv_unmap_mmio_revoked(ctx->hv, w->domid, what, d->mapped[i] >> HV_PAGE_SHIFT,
                                        mfn, nr, NULL, 0, NULL)))
            say(w, "release %s: unmapping BAR %u of domain %u failed: %s",
                sbdf_format(&d->host, name), i, w->domid, strerror(-rc));
        if ((rc = hv_revoke_iomem(ctx->hv, w->domid, b->host, b->size)))
            say(w, "release %s: revoking BAR %u from domain %u failed: %s",
                sbdf_format(&d->host, name), i, w->domid, strerror(-rc));
    }
    release_dma(ctx, w, d, alive);
}

/* Bring pcipt's nodes of a released (or stale) adopted entry k in line
 * with libxl's: mark it while libxl still lists it, else drop it. */
static int tidy_entry(struct attach_ctx *ctx, struct xlwatch *w, const struct xlw_view *v,
                      unsigned k)
{
    const struct xlw_pcipt *e = &v->p[k];

    if (libxl_index(v, &e->dev.host) >= 0)
        return e->released ? 0 : xlw_mark_released(ctx->xs, w->domid, k, &e->dev.host);
    return xlw_drop_pcipt(ctx->xs, w->domid, k, v->npc);
}

/* Still assigned (dma_guest_holds)?  libxl deassigns before it removes a
 * device's nodes (libxl_pci.c pci_remove_detached, then
 * libxl__device_pci_remove_xenstore), so a device of pcipt's that libxl no
 * longer lists but Xen still has assigned was overwritten, not removed. */
static bool still_assigned(struct attach_ctx *ctx, const struct sbdf *host, uint32_t domid)
{
    return dma_guest_holds(ctx->hv, domid, host) == 1;
}

/* Relist pass (xlw_relist): a device pcipt attached itself whose dev-k a
 * concurrent xl pci-attach overwrote.  1 when relisted (re-read), 0, -errno. */
static int relist_pass(struct attach_ctx *ctx, struct xlwatch *w, const struct xlw_view *v)
{
    char name[SBDF_STR_LEN];
    int rc;

    for (unsigned k = 0; k < v->npc && k < v->num; k++) {
        const struct xlw_pcipt *e = &v->p[k];
        if (!e->exists || !e->named || e->adopted || e->released || e->detaching ||
            libxl_index(v, &e->dev.host) >= 0 || !v->l[k].ok ||
            !still_assigned(ctx, &e->dev.host, w->domid))
            continue;
        if ((rc = xlw_relist(ctx->xs, w->domid, k, &e->dev.host)))
            return rc;
        say(w, "listed %s again in domain %u's pci backend (xl pci-attach took its dev-%u "
            "for %s)", sbdf_format(&e->dev.host, name), w->domid, k,
            sbdf_format(&v->l[k].host, (char[SBDF_STR_LEN]){ 0 }));
        return 1;
    }
    return 0;
}

/* Release pass: 1 when pcipt's nodes were rewritten (re-read), 0 when
 * nothing more to do, -errno. */
static int release_pass(struct attach_ctx *ctx, struct xlwatch *w, const struct xlw_view *v)
{
    char name[SBDF_STR_LEN];
    int rc;

    for (unsigned i = 0; i < w->n; i++) {
        struct xlwatch_dev d = w->devs[i];
        if (libxl_live(v, &d.host))
            continue;
        release_hv(ctx, w, &d);
        cache_drop(w, (int)i);
        w->released++;
        if (w->nreleased_now < PCIPT_MAX_DEVS)
            w->released_now[w->nreleased_now++] = d.host;
        say(w, "released %s from domain %u (libxl %s it)", sbdf_format(&d.host, name), w->domid,
            libxl_index(v, &d.host) >= 0 ? "closed" : "removed");
        for (unsigned k = 0; k < v->npc; k++)
            if (v->p[k].exists && v->p[k].named && sbdf_equal(&v->p[k].dev.host, &d.host))
                return (rc = tidy_entry(ctx, w, v, k)) ? rc : 1;
        return 1;
    }
    for (unsigned k = 0; k < v->npc; k++) {
        const struct xlw_pcipt *e = &v->p[k];
        bool stale = e->exists && e->named && !e->detaching && !libxl_live(v, &e->dev.host) &&
                     cache_find(w, &e->dev.host) < 0;
        if (!stale || (e->released && libxl_index(v, &e->dev.host) >= 0))
            continue;
        if ((rc = tidy_entry(ctx, w, v, k)))
            return rc;
        return 1;
    }
    return 0;
}

static int adopt_one(struct attach_ctx *ctx, struct xlwatch *w, const struct xlw_view *v,
                     unsigned i)
{
    char err[512], name[SBDF_STR_LEN], g[SBDF_STR_LEN];
    struct sbdf guest;
    int rc;

    struct dev_assign dev;

    ctx->adopt_index = i;
    ctx->result = &dev;
    /* ATTACH_FORCE: libxl has already assigned the function to the domain
     * and tried its reset (libxl_pci.c libxl__device_pci_reset goes on
     * without one); refusing here would leave it in the guest's IOMMU
     * context but absent from its bus.  A function without a reset method
     * is recorded as such (reset none-forced, shown by status). */
    rc = attach_device(ctx, w->domid, &v->l[i].host, v->l[i].slot, v->l[i].fn,
                       ATTACH_ADOPT | ATTACH_FORCE, &guest, err, sizeof(err));
    ctx->result = NULL;
    sbdf_format(&v->l[i].host, name);
    if (rc) {
        w->failed++;
        say(w, "cannot adopt %s (dev-%u of domain %u): %s", name, i, w->domid, err);
        return rc;
    }
    /* Remember it now: libxl may remove every node before the next read. */
    if (w->n < PCIPT_MAX_DEVS) {
        struct xlwatch_dev *c = &w->devs[w->n++];
        memset(c, 0, sizeof(*c));
        c->host = dev.host;
        c->adopted = true;
        memcpy(c->bars, dev.bars, sizeof(c->bars));
        c->msi = dev.msi;
        c->its_guest_devid = dev.its_guest_devid;
        for (unsigned b = 0; b < PCI_NUM_RES; b++)
            c->mapped[b] = attach_bar_mapped_at_attach(&dev.bars[b]) ? dev.bars[b].guest : 0;
    }
    w->adopted++;
    say(w, "adopted %s (dev-%u of domain %u) as %s", name, i, w->domid, sbdf_format(&guest, g));
    return 0;
}

int xlwatch_scan(struct attach_ctx *ctx, struct xlwatch *w, char *err, size_t errlen)
{
    struct xlw_view *v = calloc(1, sizeof(*v));
    int rc = 0, actions = 0, pass;

    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    v->domid = w->domid;
    w->nreleased_now = 0;
    for (pass = 0; pass < XLW_PASSES; pass++) {
        if ((rc = xlw_read_view(ctx->xs, v)))
            break;
        if ((rc = relist_pass(ctx, w, v)) > 0) {
            actions++;
            continue;
        }
        cache_merge(w, v);
        if (rc < 0 || (rc = release_pass(ctx, w, v)) <= 0)
            break;
        actions++;
    }
    if (rc < 0) {
        snprintf(err, errlen, "reading or rewriting domain %u's pci backend nodes: %s", w->domid,
                 strerror(-rc));
        free(v);
        return rc;
    }
    /* Adopt what libxl added (state 1, no pcipt nodes at that index). */
    for (unsigned i = 0; i < v->num; i++)
        if (v->l[i].ok && v->l[i].state == 1 && !v->p[i].exists &&
            !adopt_one(ctx, w, v, i))
            actions++;
    if (!(rc = xlw_read_view(ctx->xs, v)))
        cache_merge(w, v);
    free(v);
    return actions;
}

unsigned xlwatch_nadopted(const struct xlwatch *w)
{
    unsigned n = 0;

    for (unsigned i = 0; i < w->n; i++)
        n += w->devs[i].adopted;
    return n;
}

bool xlwatch_just_released(const struct xlwatch *w, const struct sbdf *host)
{
    for (unsigned i = 0; i < w->nreleased_now; i++)
        if (sbdf_equal(&w->released_now[i], host))
            return true;
    return false;
}

int xlwatch_sync(struct xs_handle *xs, struct xlwatch *w, char *err, size_t errlen)
{
    struct xlw_view *v = calloc(1, sizeof(*v));
    int rc;

    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    v->domid = w->domid;
    if ((rc = xlw_read_view(xs, v))) {
        snprintf(err, errlen, "reading domain %u's pci backend nodes: %s", w->domid,
                 strerror(-rc));
    } else {
        w->n = 0;
        cache_merge(w, v);
    }
    free(v);
    return rc;
}
