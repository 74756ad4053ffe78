/* detach (docs/design/attach.md "Hand-over: detach takes a device back",
 * "Hand-over: a dead domain"): take the device back from a live
 * daemon (pcipt/dev-N/detach = 1, wait for 2: never libxl's state-N, which
 * means xl pci-detach), unmap what the p2m records say is
 * mapped, revoke iomem (only once nothing is mapped), unbind from Xen's
 * vITS, clear the host's Bus Master and deassign (pcipt/assign/dma.h), remove the xenstore nodes.  Best effort: every step is tried; the first failure is reported. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcipt/assign/attach.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/assign/stale.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/host/host_reset.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

#define DETACH_WATCH_TOKEN "pcipt-detach"

/* Record the first failure only. */
static int first(int rc, int seen, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int first(int rc, int seen, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!rc || seen)
        return seen;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait, woken by a watch on the backend dir, until pcipt/dev-N/detach reads
 * 2 (or the device is gone).  0 when released, -ETIMEDOUT, or another -errno. */
static int wait_closed(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host)
{
    int timeout = ctx->detach_timeout_ms > 0 ? ctx->detach_timeout_ms : DETACH_TIMEOUT_MS;
    int64_t deadline = now_ms() + timeout;
    char be[XSW_PATH_MAX];
    int rc;

    xsp_backend_path(domid, be);
    if ((rc = xsw_watch(ctx->xs, be, DETACH_WATCH_TOKEN)))
        return rc;
    for (;;) {
        unsigned st;
        int64_t left;

        rc = xsp_read_dev_detach(ctx->xs, domid, host, &st);
        if (rc == -ENOENT || (!rc && st == XSP_DETACH_RELEASED)) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if ((left = deadline - now_ms()) <= 0) {
            rc = -ETIMEDOUT;
            break;
        }
        if ((rc = xsw_wait_watch(ctx->xs, (int)left)) < 0)
            break;
    }
    xsw_unwatch(ctx->xs, be, DETACH_WATCH_TOKEN);
    return rc;
}

/* Ask a live daemon to let go of the device; warn (never fail) if it does
 * not answer.  The request is written even with no daemon: a `pcipt watch`
 * following libxl's nodes then leaves the device to this detach. */
static void release_from_daemon(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host)
{
    char name[SBDF_STR_LEN];
    pid_t pid;
    int rc = xsp_write_dev_detach(ctx->xs, domid, host, XSP_DETACH_ASKED);

    if (!servelock_held(domid, &pid))       /* no live daemon: nobody to ask */
        return;
    sbdf_format(host, name);
    if (rc) {
        log_warn("cannot ask domain %u's daemon (pid %d) to release %s: %s; detaching anyway",
                 domid, (int)pid, name, strerror(-rc));
        return;
    }
    rc = wait_closed(ctx, domid, host);
    if (rc == -ETIMEDOUT)
        log_warn("domain %u's daemon (pid %d) did not release %s within %d ms; detaching anyway",
                 domid, (int)pid, name,
                 ctx->detach_timeout_ms > 0 ? ctx->detach_timeout_ms : DETACH_TIMEOUT_MS);
    else if (rc)
        log_warn("waiting for domain %u's daemon to release %s failed: %s; detaching anyway",
                 domid, name, strerror(-rc));
}

/* The MSI-X holes of the host function; none if it cannot be opened (a
 * removed device): unmapping pages that are not mapped is harmless. */
static void find_holes(struct attach_ctx *ctx, const struct sbdf *host, struct attach_job *job)
{
    struct hostpci *hp;
    char e[256];

    if (hostpci_open(ctx->sysfs, host, &hp, e, sizeof(e)))
        return;
    if (attach_find_holes(hostpci_host_dev(hp), job, e, sizeof(e)))
        memset(job->nholes, 0, sizeof(job->nholes));
    hostpci_close(hp);
}

/* Unmap each BAR where its p2m record says it is, then mark it "none". */
static int unmap_all(struct attach_ctx *ctx, struct attach_job *job, char *err, size_t errlen)
{
    char name[SBDF_STR_LEN], label[8];
    int seen = 0;

    sbdf_format(&job->dev.host, name);
    for (int i = PCI_NUM_RES - 1; i >= 0; i--) {
        const struct bar_assign *b = &job->dev.bars[i];
        uint64_t gaddr = 0, mfn, nr;
        int rc;

        if (!attach_bar_granted(b))
            continue;
        rc = xsp_read_bar_mapped(ctx->xs, job->domid, &job->dev.host, (unsigned)i, &gaddr);
        if (rc == -ENOENT)      /* published without records: where attach maps it */
            gaddr = attach_bar_mapped_at_attach(b) ? b->guest : 0;
        else if (rc) {
            seen = first(rc, seen, err, errlen, "cannot read the p2m record of %s of %s in "
                         "domain %u: %s", attach_bar_label((unsigned)i, label), name,
                         job->domid, strerror(-rc));
            gaddr = b->guest;   /* best guess: the planned address */
        }
        if (!gaddr)
            continue;
        char what[SBDF_STR_LEN + 16];
        hv_bar_pages(b->host, b->size, &mfn, &nr);
        snprintf(what, sizeof(what), "%s %s", name, attach_bar_label((unsigned)i, label));
        rc = hv_unmap_mmio_revoked(ctx->hv, job->domid, what, gaddr >> HV_PAGE_SHIFT, mfn, nr,
                                   job->holes[i], job->nholes[i], NULL);
        seen = first(rc, seen, err, errlen, "cannot unmap %s of %s at guest 0x%" PRIx64
                     " in domain %u: %s", attach_bar_label((unsigned)i, label), name, gaddr,
                     job->domid, strerror(-rc));
        if (!rc && (rc = xsp_write_bar_mapped(ctx->xs, job->domid, &job->dev.host,
                                              (unsigned)i, 0)) && rc != -ENOENT)
            seen = first(rc, seen, err, errlen, "cannot update the p2m record of %s of %s: %s",
                         attach_bar_label((unsigned)i, label), name, strerror(-rc));
    }
    return seen;
}

static int revoke_all(struct attach_ctx *ctx, struct attach_job *job, char *err, size_t errlen)
{
    char name[SBDF_STR_LEN], label[8];
    int seen = 0;

    for (int i = PCI_NUM_RES - 1; i >= 0; i--) {
        const struct bar_assign *b = &job->dev.bars[i];

        if (!attach_bar_granted(b) ||
            attach_page_shared(ctx, job->domid, &job->dev.host, b->host, b->size))
            continue;
        seen = first(hv_revoke_iomem(ctx->hv, job->domid, b->host, b->size), seen, err, errlen,
                     "cannot revoke domain %u's access to %s of %s (host 0x%" PRIx64 "): "
                     "iomem_permission failed", job->domid, attach_bar_label((unsigned)i, label),
                     sbdf_format(&job->dev.host, name), b->host);
    }
    return seen;
}

/* Bus Master off first, so nothing DMAs while the function changes
 * context; then out of the domain's IOMMU context (a dead domain's
 * function sits in quarantine: Xen moved it there, xen-arm-dma-msi.md
 * section 6, and dom0 cannot use it until it is deassigned from there). */
static int release_dma(struct attach_ctx *ctx, struct attach_job *job, int alive, char *err,
                       size_t errlen)
{
    char name[SBDF_STR_LEN];
    struct hostpci *hp;
    int rc, seen = 0;

    sbdf_format(&job->dev.host, name);
    if (!hostpci_open(ctx->sysfs, &job->dev.host, &hp, err, errlen)) {
        rc = dma_host_bus_master(hostpci_host_dev(hp), false);
        hostpci_close(hp);
        seen = first(rc, seen, err, errlen, "cannot clear Bus Master of %s: %s", name,
                     strerror(-rc));
    }
    if (job->dev.dma != DEV_DMA_IOMMU)
        return seen;
    rc = dma_deassign(ctx->hv, alive == 1 ? job->domid : HV_DOMID_IO, &job->dev.host);
    return first(rc, seen, err, errlen, "cannot deassign %s from domain %u's IOMMU context "
                 "(xc_deassign_device): %s", name, job->domid, strerror(-rc));
}

/* Out of Xen's vITS before the function leaves the domain's IOMMU context
 * (pcipt/assign/msi_announce.h).  A failure is a warning only: deassigning
 * the function unbinds it in Xen too (the patch's deassign_device hook). */
static void unannounce(struct attach_ctx *ctx, const struct attach_job *job)
{
    char name[SBDF_STR_LEN];
    int rc;

    if (job->dev.msi != DEV_MSI_VITS)
        return;
    rc = msi_unannounce(ctx->hv, job->domid, &job->dev.host, job->dev.its_guest_devid);
    if (rc)
        log_warn("dom%u: unbinding guest DeviceID %#x of %s from Xen's virtual ITS failed: "
                 "%s (deassigning it unbinds it too)", job->domid, job->dev.its_guest_devid,
                 sbdf_format(&job->dev.host, name), strerror(-rc));
}

/* After the last unmap, Bus Master off and out of the domain's IOMMU
 * context: reset the function (host_reset.h), so that nothing the guest
 * left in it reaches dom0 or the next guest.  A failure is a warning only:
 * nothing is mapped any more, and the next attach resets it again. */
static void reset_after_unmap(struct attach_ctx *ctx, const struct attach_job *job)
{
    char name[SBDF_STR_LEN], e[700];

    if (hostpci_reset_addr(ctx->sysfs, &job->dev.host, NULL, e, sizeof(e)))
        log_warn("%s detached from domain %u but not reset: %s (the next attach resets it)",
                 sbdf_format(&job->dev.host, name), job->domid, e);
}

/* The published device, or -ENOENT with "... is not attached to domain N".
 * *sibling: another function of its slot when it is function 0 (else the
 * seg field is 0xffff). */
static int find_published(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                          struct attach_job *job, struct sbdf *sibling, char *err,
                          size_t errlen)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    char name[SBDF_STR_LEN], e[400];
    int rc;

    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    memset(job, 0, sizeof(*job));
    job->domid = domid;
    rc = xsp_read_domain(ctx->xs, domid, a, e, sizeof(e));
    if (rc && rc != -ENOENT) {
        snprintf(err, errlen, "cannot read domain %u's assignment from xenstore: %s", domid,
                 rc == -EINVAL ? e : strerror(-rc));
    } else {
        rc = -ENOENT;
        for (unsigned i = 0; i < (rc ? a->ndevs : 0); i++)
            if (sbdf_equal(&a->devs[i].host, host)) {
                job->dev = a->devs[i];
                rc = 0;
            }
        if (rc)
            snprintf(err, errlen, "%s is not attached to domain %u", sbdf_format(host, name),
                     domid);
    }
    sibling->seg = 0xffff;
    for (unsigned i = 0; !rc && job->dev.guest.fn == 0 && i < a->ndevs; i++)
        if (a->devs[i].guest.dev == job->dev.guest.dev && a->devs[i].guest.fn != 0)
            *sibling = a->devs[i].host;
    free(a);
    return rc;
}

static int detach_locked(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                         char *err, size_t errlen)
{
    struct attach_job job;
    struct sbdf sibling;
    char name[SBDF_STR_LEN], other[SBDF_STR_LEN], be[XSW_PATH_MAX], e[512];
    int rc, seen = 0, alive;

    if ((rc = find_published(ctx, domid, host, &job, &sibling, err, errlen)))
        return rc;
    /* A dead domain's p2m and permissions went with it (docs/xen-facts.md
     * "iomem permission"). */
    alive = ctx->hv->ops->domain_exists(ctx->hv, domid);
    /* PCI 3.0 §3.2.2.3.4: without function 0 the guest no longer sees the
     * slot's other functions; they leave first. */
    if (alive == 1 && sibling.seg != 0xffff) {
        snprintf(err, errlen, "%s is function 0 of virtual slot %u and %s is still there: "
                 "detach the slot's other functions first", sbdf_format(host, name),
                 job.dev.guest.dev, sbdf_format(&sibling, other));
        return -EBUSY;
    }
    release_from_daemon(ctx, domid, host);
    if (alive < 0)
        seen = first(alive, seen, err, errlen, "cannot check whether domain %u exists: %s",
                     domid, strerror(-alive));
    if (alive == 1) {
        find_holes(ctx, host, &job);
        seen = first(unmap_all(ctx, &job, e, sizeof(e)), seen, err, errlen, "%s", e);
        /* Xen removes a mapping only while the domain holds the permission
         * (4.17 domctl.c checks iomem_access_permitted(d) for remove too):
         * revoking with pages still mapped would leave them mapped for
         * good, so a failed unmap keeps the permission for the next try. */
        if (!seen)
            seen = first(revoke_all(ctx, &job, e, sizeof(e)), seen, err, errlen, "%s", e);
    }
    if (!seen && alive == 1)
        unannounce(ctx, &job);
    if (!seen && alive >= 0)
        seen = first(release_dma(ctx, &job, alive, e, sizeof(e)), seen, err, errlen, "%s", e);
    if (seen) {
        /* Keep the nodes: the p2m records still say what is mapped, so
         * running detach again can finish the job. */
        size_t n = strlen(err);
        snprintf(err + n, errlen > n ? errlen - n : 0, "; %s stays published so that detach "
                 "can be run again", sbdf_format(host, name));
        return seen;
    }
    if (alive >= 0)
        reset_after_unmap(ctx, &job);
    rc = xsp_remove_device(ctx->xs, domid, host);
    if (rc == -ENOENT)          /* the daemon (domain death) was quicker */
        rc = 0;
    seen = first(rc, seen, err, errlen, "cannot remove %s from xenstore under %s: %s",
                 sbdf_format(host, name), xsp_backend_path(domid, be), strerror(-rc));
    return seen;
}

/* Serialised per domain with attach (domlock.h). */
int detach_device(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, char *err,
                  size_t errlen)
{
    int lock = domlock_acquire(domid, err, errlen);
    bool reaped = false;
    if (lock < 0)
        return lock;
    /* An interrupted attach, a destroyed domain's assignment: undone here
     * (stale.h); a device of the latter is detached by that. */
    attach_intent_reap(ctx, domid, NULL);
    int rc = attach_reap_stale(ctx, domid, host, &reaped, err, errlen);
    if (!rc && !reaped)
        rc = detach_locked(ctx, domid, host, err, errlen);
    domlock_release(lock);
    return rc;
}
