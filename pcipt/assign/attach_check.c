/* attach, part 1: every check and the plan, before anything is touched
 * (docs/design/attach.md "attach, in order" step 1). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/host/msix_holes.h"
#include "pcipt/host/subpage.h"
#include "hostbridge/common/log.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

#define MAX_SCAN_DOMAINS 1024     /* domains with a pci backend dir we look at */

bool attach_bar_granted(const struct bar_assign *b)
{
    /* I/O BARs are not mapped on Arm (no I/O space in the guest). */
    return b->type == BAR_MEM32 || b->type == BAR_MEM64 || b->type == BAR_ROM;
}

bool attach_bar_mapped_at_attach(const struct bar_assign *b)
{
    /* The ROM's enable bit starts clear (PCI 3.0 §6.2.5.2), so it stays
     * unmapped until the guest sets it. */
    return b->type == BAR_MEM32 || b->type == BAR_MEM64;
}

const char *attach_bar_label(unsigned i, char *buf)
{
    if (i == PCI_ROM_SLOT)
        snprintf(buf, 8, "ROM");
    else
        snprintf(buf, 8, "BAR %u", i % 10);
    return buf;
}

static int check_domain(struct hv *hv, uint32_t domid, char *err, size_t errlen)
{
    int rc = hv->ops->domain_exists(hv, domid);

    if (rc == 1)
        return 0;
    if (rc == 0) {
        snprintf(err, errlen, "domain %u does not exist", domid);
        return -ESRCH;
    }
    snprintf(err, errlen, "cannot check whether domain %u exists: %s", domid, strerror(-rc));
    return rc;
}

/* Open the function, hand it to the holder if asked (recorded in *ho, so
 * that a later failure gives it back), check ownership. */
static int open_assignable(struct attach_ctx *ctx, const struct sbdf *host, unsigned flags,
                           struct hostpci **hp, struct hostpci_handover *ho, char *err,
                           size_t errlen)
{
    int rc = hostpci_open(ctx->sysfs, host, hp, err, errlen);

    if (rc)
        return rc;
    if ((flags & ATTACH_BIND) && !hostpci_is_holder(hostpci_info(*hp)->driver)) {
        if ((rc = hostpci_hand_to_holder(*hp, ATTACH_HOLDER, ho, err, errlen)))
            goto out;
        hostpci_close(*hp);     /* re-read: the driver link has changed */
        if ((rc = hostpci_open(ctx->sysfs, host, hp, err, errlen)))
            return rc;
    }
    if (flags & ATTACH_PREVIEW)
        rc = hostpci_check_preview(*hp, err, errlen);
    else
        rc = hostpci_check_assignable(*hp, flags & ATTACH_FORCE, err, errlen);
out:
    if (rc) {
        hostpci_close(*hp);
        *hp = NULL;
    }
    return rc;
}

static bool holds(const struct domain_assign *a, const struct sbdf *host)
{
    for (unsigned i = 0; i < a->ndevs; i++)
        if (sbdf_equal(&a->devs[i].host, host))
            return true;
    return false;
}

/* Refuse a function published for any domain; fill *mine with domid's
 * current assignment (empty when none). */
static int check_not_attached(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                              struct domain_assign *mine, struct domain_assign *scratch,
                              char *err, size_t errlen)
{
    uint32_t ids[MAX_SCAN_DOMAINS];
    char name[SBDF_STR_LEN], e[400];
    int n = xsp_list_domains(xs, ids, MAX_SCAN_DOMAINS);

    memset(mine, 0, sizeof(*mine));
    mine->domid = domid;
    if (n < 0) {
        snprintf(err, errlen, "cannot list " XSP_BACKEND_ROOT " in xenstore: %s",
                 strerror(-n));
        return n;
    }
    for (int i = 0; i < n && i < MAX_SCAN_DOMAINS; i++) {
        struct domain_assign *a = ids[i] == domid ? mine : scratch;
        int rc = xsp_read_domain_published(xs, ids[i], a, e, sizeof(e));

        if (rc == -ENOENT)
            continue;
        if (rc) {
            snprintf(err, errlen, "cannot read domain %u's assignment from xenstore: %s", ids[i],
                     rc == -EINVAL ? e : strerror(-rc));
            return rc;
        }
        if (holds(a, host)) {
            snprintf(err, errlen, "%s is already attached to domain %u", sbdf_format(host, name),
                     ids[i]);
            return -EBUSY;
        }
    }
    mine->domid = domid;
    return 0;
}

/* Sub-page BARs (pcipt/host/subpage.h): a neighbour in the page is fine
 * only when it goes to the same domain, already attached there (mine) or
 * in the same request (ctx->group).  --force does not override this: it
 * would hand the guest another owner's registers. */
struct subpage_walk {
    const struct attach_ctx *ctx;
    const struct domain_assign *mine;
    const char *name;               /* the function being attached */
    uint32_t domid;
    bool preview;
    char *err;
    size_t errlen;
};

static bool same_domain(const struct subpage_walk *w, const struct sbdf *who)
{
    for (unsigned i = 0; w->ctx->group && i < w->ctx->ngroup; i++)
        if (sbdf_equal(&w->ctx->group[i], who))
            return true;
    return holds(w->mine, who);
}

static int subpage_neighbour(const struct subpage_share *s, void *opaque)
{
    struct subpage_walk *w = opaque;
    char other[SBDF_STR_LEN], b1[8], b2[8];

    if (same_domain(w, &s->who->addr))
        return 0;
    sbdf_format(&s->who->addr, other);
    if (w->preview) {
        log_warn("%s %s (%" PRIu64 " bytes) shares host page 0x%" PRIx64 " with %s %s: a real "
                 "attach refuses it unless %s goes to the same domain", w->name,
                 subpage_res_name(s->bar, b1), s->size, s->page, other,
                 subpage_res_name(s->which, b2), other);
        return 0;
    }
    snprintf(w->err, w->errlen, "%s %s (%" PRIu64 " bytes) shares host page 0x%" PRIx64
             " with %s %s, which domain %u is not given: the guest would reach it (stage 2 "
             "maps whole pages); give both to domain %u in one request, or avoid it: %s",
             w->name, subpage_res_name(s->bar, b1),
             s->size, s->page, other, subpage_res_name(s->which, b2), w->domid, w->domid,
             SUBPAGE_HOWTO);
    return -EPERM;
}

static int check_subpage(struct attach_ctx *ctx, struct hostpci *hp, uint32_t domid,
                         const struct domain_assign *mine, unsigned flags, char *err,
                         size_t errlen)
{
    const struct host_dev *hd = hostpci_host_dev(hp);
    struct subpage_walk w = { .ctx = ctx, .mine = mine, .domid = domid,
                              .preview = flags & ATTACH_PREVIEW, .err = err, .errlen = errlen };
    struct subpage_fn self = { .addr = hd->addr }, *fns = NULL;
    char name[SBDF_STR_LEN], e[256];
    bool small = false;
    size_t n = 0;
    int rc;

    memcpy(self.bars, hd->bars, sizeof(self.bars));
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        small |= subpage_is_mem(&hd->bars[i]) && hd->bars[i].size < SUBPAGE_SIZE;
    if (!small)
        return 0;
    sbdf_format(&hd->addr, name);
    if ((rc = subpage_load(ctx->sysfs, &fns, &n, e, sizeof(e)))) {
        snprintf(err, errlen, "%s has a BAR smaller than a page and the host's other PCI "
                 "functions cannot be listed to see what shares its page: %s", name, e);
        return rc;
    }
    w.name = name;
    rc = subpage_shares(fns, n, &self, subpage_neighbour, &w);
    free(fns);
    return rc;
}

bool attach_page_shared(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                        uint64_t addr, uint64_t size)
{
    struct domain_assign *a;
    uint64_t first = addr & ~(SUBPAGE_SIZE - 1), end = (addr + size + SUBPAGE_SIZE - 1) &
                                                       ~(SUBPAGE_SIZE - 1);
    char e[256];
    bool shared = false;

    if (size >= SUBPAGE_SIZE && !(addr & (SUBPAGE_SIZE - 1)))
        return false;           /* whole pages of its own (BARs are naturally aligned) */
    if (!(a = calloc(1, sizeof(*a))))
        return true;            /* cannot tell: keep the permission */
    if (xsp_read_domain(ctx->xs, domid, a, e, sizeof(e)))
        a->ndevs = 0;
    for (unsigned i = 0; i < a->ndevs && !shared; i++) {
        if (sbdf_equal(&a->devs[i].host, host))
            continue;
        for (unsigned j = 0; j < PCI_NUM_RES && !shared; j++) {
            const struct bar_assign *b = &a->devs[i].bars[j];
            shared = attach_bar_granted(b) && b->size && b->host < end &&
                     b->host + b->size > first;
        }
    }
    free(a);
    return shared;
}

int attach_find_holes(const struct host_dev *hd, struct attach_job *job, char *err,
                      size_t errlen)
{
    char name[SBDF_STR_LEN];

    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        int n = msix_bar_holes(hd, i, job->holes[i]);
        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read its MSI-X capability",
                     sbdf_format(&hd->addr, name));
            return n;
        }
        job->nholes[i] = (unsigned)n;
    }
    return 0;
}

/* Plan the one new function on top of the domain's assignment. */
static int plan_one(struct attach_ctx *ctx, struct hostpci *hp, int slot, int fn,
                    unsigned flags, struct domain_assign *dom, struct attach_job *job, char *err,
                    size_t errlen)
{
    struct plan_request rq = { .slot = slot, .fn = fn, .force = flags & ATTACH_FORCE };
    const struct host_dev *hd = hostpci_host_dev(hp);
    int rc;

    rq.host = hd->addr;
    memcpy(rq.bars, hd->bars, sizeof(rq.bars));
    rq.intx_pin = hostpci_info(hp)->intx_pin;
    if ((rc = plan_domain(&ctx->layout, dom, &rq, 1, err, errlen)))
        return rc;
    job->dev = dom->devs[dom->ndevs - 1];
    return attach_find_holes(hd, job, err, errlen);
}

int attach_prepare(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, int slot,
                   int fn, unsigned flags, struct attach_job *job, char *err, size_t errlen)
{
    struct domain_assign *mine = calloc(2, sizeof(*mine));
    struct hostpci *hp = NULL;
    int rc;

    memset(job, 0, sizeof(*job));
    job->domid = domid;
    if (!mine) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (!(rc = check_domain(ctx->hv, domid, err, errlen)) &&
        !(rc = open_assignable(ctx, host, flags, &hp, &job->handover, err, errlen)) &&
        !(rc = check_not_attached(ctx->xs, domid, host, mine, mine + 1, err, errlen)) &&
        !(rc = check_subpage(ctx, hp, domid, mine, flags, err, errlen)))
        rc = plan_one(ctx, hp, slot, fn, flags, mine, job, err, errlen);
    hostpci_close(hp);
    free(mine);
    return rc;
}
