/* attach, part 1: every check and the plan, before anything is touched
 * (docs/design/attach.md "attach, in order" step 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/host/msix_holes.h"
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
        !(rc = check_not_attached(ctx->xs, domid, host, mine, mine + 1, err, errlen)))
        rc = plan_one(ctx, hp, slot, fn, flags, mine, job, err, errlen);
    hostpci_close(hp);
    free(mine);
    return rc;
}
