/* attach, part 2: grant, map, publish; undo in reverse on any failure
 * (docs/design/attach.md "attach, in order" steps 2-5, "Hand-over: what
 * attach publishes"). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/assign/plan.h"
#include "pcipt/assign/stale.h"
#include "pcipt/host/host_reset.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

static FILE *out_of(const struct attach_ctx *ctx)
{
    return ctx->out ? ctx->out : stdout;
}

static uint64_t hole_pages(const struct attach_job *job, unsigned i, uint64_t nr)
{
    uint64_t n = 0;

    /* Holes may overlap (table and PBA in one page): count each page once. */
    for (uint64_t p = 0; p < nr; p++)
        for (unsigned h = 0; h < job->nholes[i]; h++)
            if (p >= job->holes[i][h].first && p - job->holes[i][h].first < job->holes[i][h].nr) {
                n++;
                break;
            }
    return n;
}

/* The host function's Bus Master off (it never went on: the guest could
 * not touch the device yet), then out of the domain's IOMMU context. */
static void undo_dma(struct attach_ctx *ctx, struct attach_job *job)
{
    struct hostpci *hp;
    char e[256];

    if (!hostpci_open(ctx->sysfs, &job->dev.host, &hp, e, sizeof(e))) {
        (void)dma_host_bus_master(hostpci_host_dev(hp), false);
        hostpci_close(hp);
    }
    if (job->dma.assigned)
        (void)dma_deassign(ctx->hv, job->domid, &job->dev.host);
    job->dma.assigned = false;
}

/* An adopted function is in the domain's IOMMU context already: libxl
 * assigns before it writes dev-N (libxl_pci.c pci_add_dm_done:
 * xc_assign_device, then libxl__device_pci_add_xenstore), so Xen refuses
 * pcipt's own assignment (device_assigned: -EBUSY).  Not pcipt's to undo. */
static void adopt_libxl_assignment(struct attach_ctx *ctx, struct attach_job *job)
{
    if (job->dma.mode == DEV_DMA_IOMMU || !ctx->hv->ops->iommu_enabled ||
        ctx->hv->ops->iommu_enabled(ctx->hv) != 1)
        return;
    job->dma.mode = DEV_DMA_IOMMU;
    job->dma.assigned = false;
    job->dma.why[0] = '\0';
}

static int setup_dma(struct attach_ctx *ctx, struct attach_job *job, unsigned flags, char *err,
                     size_t errlen)
{
    struct hostpci *hp;
    int rc;

    if ((rc = hostpci_open(ctx->sysfs, &job->dev.host, &hp, err, errlen)))
        return rc;
    rc = dma_setup(ctx->hv, job->domid, &job->dev.host, hostpci_host_dev(hp),
                   flags & ATTACH_UNSAFE_DMA, &job->dma, err, errlen);
    hostpci_close(hp);
    if (!rc && (flags & ATTACH_ADOPT))
        adopt_libxl_assignment(ctx, job);
    job->dev.dma = job->dma.mode;
    return rc;
}

/* Reset the function before anything of it reaches the guest (host_reset.h):
 * what the previous owner left in it (keys, buffers, work in flight) goes.
 * Before the IOMMU assignment, so that the kernel's restore of config
 * space is followed by setup_dma's Bus Master off.  A function without a
 * method came through hostpci_check_assignable only with --force: recorded
 * as such.  A failed reset refuses the attach, unless --force.  A preview
 * (pcipt simulate) writes nothing. */
static int reset_before_map(struct attach_ctx *ctx, struct attach_job *job, unsigned flags,
                            char *err, size_t errlen)
{
    struct hostpci *hp;
    char m[32], e[700];
    int rc;

    if ((rc = hostpci_open(ctx->sysfs, &job->dev.host, &hp, err, errlen)))
        return rc;
    hostpci_reset_method(hp, m, sizeof(m));
    rc = m[0] && !(flags & ATTACH_PREVIEW) ? hostpci_reset(hp, e, sizeof(e)) : 0;
    hostpci_close(hp);
    if (rc && (flags & ATTACH_FORCE)) {
        log_warn("%s; attaching anyway (--force): its state passes to domain %u", e, job->domid);
        m[0] = '\0';
        rc = 0;
    } else if (rc) {
        snprintf(err, errlen, "%s: refusing to pass state between owners (--force accepts it)",
                 e);
        return rc;
    }
    /* reset_method's first word ("flr", "pm", "bus", ...) fits; a longer one is cut */
    snprintf(job->dev.reset, sizeof(job->dev.reset), "%.*s", (int)sizeof(job->dev.reset) - 1,
             m[0] ? m : HOST_RESET_NONE_FORCED);
    return 0;
}

/* Announce the function to Xen's vITS (msi_announce.h): after the IOMMU
 * assignment, before anything the guest can see.  Never fails the attach:
 * what cannot be announced keeps MSI off (job->dev.msi). */
static void announce(struct attach_ctx *ctx, struct attach_job *job)
{
    struct msi_announce_args a = { .hv = ctx->hv, .domid = job->domid, .host = &job->dev.host,
                                   .guest = &job->dev.guest, .dma = job->dev.dma,
                                   .sysfs = ctx->sysfs, .host_dt = ctx->host_dt };
    struct hostpci *hp;
    char e[256];

    memset(&job->msi, 0, sizeof(job->msi));
    if (hostpci_open(ctx->sysfs, &job->dev.host, &hp, e, sizeof(e))) {
        snprintf(job->msi.why, sizeof(job->msi.why), "%s", e);
    } else {
        a.hd = hostpci_host_dev(hp);
        msi_announce(&a, &job->msi);
        hostpci_close(hp);
    }
    job->dev.msi = job->msi.mode;
    job->dev.its_guest_devid = job->msi.guest_devid;
    job->dev.its_host_devid = job->msi.host_devid;
}

static void undo_announce(struct attach_ctx *ctx, struct attach_job *job)
{
    if (job->msi.mode == DEV_MSI_VITS)
        (void)msi_unannounce(ctx->hv, job->domid, &job->dev.host, job->msi.guest_devid);
    job->msi.mode = job->dev.msi = DEV_MSI_OFF;
}

/* Undo everything job records as done, last first.  Best effort: every
 * step is attempted whatever the previous one returned. */
static void undo(struct attach_ctx *ctx, struct attach_job *job)
{
    for (int i = PCI_NUM_RES - 1; i >= 0; i--) {
        const struct bar_assign *b = &job->dev.bars[i];
        uint64_t mfn, nr;

        if (!job->mapped[i])
            continue;
        hv_bar_pages(b->host, b->size, &mfn, &nr);
        (void)hv_unmap_mmio(ctx->hv, job->domid, b->guest >> HV_PAGE_SHIFT, mfn, nr,
                            job->holes[i], job->nholes[i], NULL);
        job->mapped[i] = false;
    }
    for (int i = PCI_NUM_RES - 1; i >= 0; i--) {
        if (!job->granted[i])
            continue;
        job->granted[i] = false;
        if (attach_page_shared(ctx, job->domid, &job->dev.host, job->dev.bars[i].host,
                               job->dev.bars[i].size))
            continue;           /* a sub-page neighbour in the domain still uses the page */
        (void)hv_revoke_iomem(ctx->hv, job->domid, job->dev.bars[i].host,
                              job->dev.bars[i].size);
        job->granted[i] = false;
    }
    undo_announce(ctx, job);
    undo_dma(ctx, job);
}

static int grant_all(struct attach_ctx *ctx, struct attach_job *job, char *err, size_t errlen)
{
    char name[SBDF_STR_LEN], label[8], sz[32];

    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &job->dev.bars[i];
        int rc;

        if (!attach_bar_granted(b))
            continue;
        if ((rc = hv_grant_iomem(ctx->hv, job->domid, b->host, b->size))) {
            snprintf(err, errlen, "cannot give domain %u access to %s of %s (host 0x%" PRIx64
                     ", %s): iomem_permission failed: %s", job->domid, attach_bar_label(i, label),
                     sbdf_format(&job->dev.host, name), b->host, format_size(b->size, sz, sizeof(sz)),
                     strerror(-rc));
            return rc;
        }
        job->granted[i] = true;
    }
    return 0;
}

static void say_mapped(struct attach_ctx *ctx, const struct attach_job *job, unsigned i,
                       uint64_t nr, uint64_t calls)
{
    const struct bar_assign *b = &job->dev.bars[i];
    uint64_t holes = hole_pages(job, i, nr);
    char label[8];

    fprintf(out_of(ctx), "mapped %s: 0x%" PRIx64 " <- 0x%" PRIx64 ", %" PRIu64 " page%s",
            attach_bar_label(i, label), b->guest, b->host, nr - holes, nr - holes == 1 ? "" : "s");
    if (holes)
        fprintf(out_of(ctx), " (%" PRIu64 " MSI-X table/PBA page%s left unmapped)", holes,
                holes == 1 ? "" : "s");
    fprintf(out_of(ctx), ", %" PRIu64 " hypercall%s\n", calls, calls == 1 ? "" : "s");
}

static int map_all(struct attach_ctx *ctx, struct attach_job *job, bool verbose, char *err,
                   size_t errlen)
{
    char name[SBDF_STR_LEN], label[8];

    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &job->dev.bars[i];
        uint64_t mfn, nr, calls = 0;
        int rc;

        if (!attach_bar_mapped_at_attach(b))
            continue;
        hv_bar_pages(b->host, b->size, &mfn, &nr);
        rc = hv_map_mmio(ctx->hv, job->domid, b->guest >> HV_PAGE_SHIFT, mfn, nr, job->holes[i],
                         job->nholes[i], &calls);
        if (rc) {
            snprintf(err, errlen, "cannot map %s of %s at guest 0x%" PRIx64 " in domain %u: "
                     "memory_mapping failed: %s", attach_bar_label(i, label),
                     sbdf_format(&job->dev.host, name), b->guest, job->domid, strerror(-rc));
            return rc;
        }
        job->mapped[i] = true;
        if (verbose)
            say_mapped(ctx, job, i, nr, calls);
    }
    return 0;
}

static int publish(struct attach_ctx *ctx, struct attach_job *job, bool adopt, char *err,
                   size_t errlen)
{
    uint64_t mapped[PCI_NUM_RES] = { 0 };
    char name[SBDF_STR_LEN], be[XSW_PATH_MAX];
    int rc;

    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        if (job->mapped[i])
            mapped[i] = job->dev.bars[i].guest;
    rc = adopt ? xsp_adopt_device_mapped(ctx->xs, job->domid, ctx->adopt_index, &job->dev, mapped)
               : xsp_publish_device_mapped(ctx->xs, job->domid, &job->dev, mapped);
    if (rc)
        snprintf(err, errlen, "cannot publish %s in xenstore under %s: %s",
                 sbdf_format(&job->dev.host, name), xsp_backend_path(job->domid, be),
                 strerror(-rc));
    return rc;
}

static int attach_locked(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                         int slot, int fn, unsigned flags, struct sbdf *guest, char *err, size_t errlen)
{
    struct attach_job job;
    struct hv_counters before = ctx->hv->counters;
    bool verbose = flags & ATTACH_VERBOSE;
    char name[SBDF_STR_LEN], g[SBDF_STR_LEN];
    int rc;

    rc = attach_prepare(ctx, domid, host, slot, fn, flags, &job, err, errlen);
    /* What is about to be granted and mapped is recorded first: a killed
     * attach leaves nothing no record names (stale.h). */
    if (!rc && !(rc = attach_intent_write(ctx, &job, err, errlen))) {
        /* The reset between owners, then the IOMMU context, then the vITS
         * binding (which needs it), come before anything the guest could
         * reach. */
        if (!(rc = reset_before_map(ctx, &job, flags, err, errlen)) &&
            !(rc = setup_dma(ctx, &job, flags, err, errlen))) {
            announce(ctx, &job);
            if (!(rc = grant_all(ctx, &job, err, errlen)) &&
                !(rc = map_all(ctx, &job, verbose, err, errlen)))
                rc = publish(ctx, &job, flags & ATTACH_ADOPT, err, errlen);
        }
        if (rc)
            undo(ctx, &job);
        attach_intent_clear(&job);      /* published with its p2m records, or undone */
    }
    if (rc) {
        /* last of all: --bind's hand-over, which came first */
        (void)attach_give_back(ctx, &job.handover, "; also ", false, err, errlen);
        return rc;
    }
    dma_warn(host, &job.dma);
    if (ctx->handover)
        *ctx->handover = job.handover;
    if (guest)
        *guest = job.dev.guest;
    if (ctx->result)
        *ctx->result = job.dev;
    if (verbose)
        fprintf(out_of(ctx), "attached %s to domain %u as %s: %" PRIu64
                " memory_mapping hypercalls, %" PRIu64 " iomem_permission calls\n",
                sbdf_format(host, name), domid, sbdf_format(&job.dev.guest, g),
                ctx->hv->counters.memory_mapping_calls - before.memory_mapping_calls,
                ctx->hv->counters.iomem_permission_calls - before.iomem_permission_calls);
    if (verbose && job.dev.msi == DEV_MSI_VITS)
        fprintf(out_of(ctx), "msi vits: guest DeviceID 0x%x bound to host DeviceID 0x%x, %u "
                "events\n", job.msi.guest_devid, job.msi.host_devid, job.msi.nr_events);
    else if (verbose)
        fprintf(out_of(ctx), "msi off: %s\n", job.msi.why);
    return 0;
}

int attach_give_back(const struct attach_ctx *ctx, const struct hostpci_handover *ho,
                     const char *sep, bool name_dev, char *err, size_t errlen)
{
    char why[400];
    int rc = hostpci_give_back(ctx->sysfs, ho, why, sizeof(why));

    if (rc)
        hostpci_note_not_given_back(err, errlen, sep, ho, name_dev, why);
    return rc;
}

/* Serialised per domain (domlock.h): the plan reads the domain's published
 * devices, so no other attach/detach of the domain may run until this one
 * has published (or undone everything).  And per host function
 * (devlock_acquire): one owner, whatever races. */
int attach_device(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host, int slot,
                  int fn, unsigned flags, struct sbdf *guest, char *err, size_t errlen)
{
    int lock = domlock_acquire(domid, err, errlen), dev;
    int rc;

    if (lock < 0)
        return lock;
    dev = devlock_acquire(host, err, errlen);
    if (dev < 0) {
        domlock_release(lock);
        return dev;
    }
    attach_intent_reap(ctx, domid, host);
    rc = attach_reap_stale(ctx, domid, NULL, NULL, err, errlen);
    if (!rc)
        rc = attach_locked(ctx, domid, host, slot, fn, flags, guest, err, errlen);
    domlock_release(dev);
    domlock_release(lock);
    return rc;
}
