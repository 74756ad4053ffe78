/* Attach intents in the run dir (pcipt/assign/stale.h): a killed attach
 * leaves no grant, mapping or IOMMU assignment that nothing records.
 * $PCIPT_RUN_DIR/intent/dom<D>-<SBDF>:
 *   vm=<the domain's vm node>
 *   bar I GUEST HOST SIZE MAPPED    (hex addresses; MAPPED 1: mapped at attach)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/assign/stale.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs_owner.h"
#include "pcipt/xs/xs_publish.h"
#include "pcipt/util/file_replace.h"

#define INTENT_MAX 2048

static int intent_dir(char *dir, size_t len)
{
    return (size_t)snprintf(dir, len, "%s/intent", domlock_run_dir()) >= len ? -ENAMETOOLONG
                                                                             : 0;
}

static int intent_path(uint32_t domid, const struct sbdf *host, char *path, size_t len)
{
    char dir[4096], name[SBDF_STR_LEN];
    int rc;

    if ((rc = intent_dir(dir, sizeof(dir))))
        return rc;
    sbdf_format(host, name);
    return (size_t)snprintf(path, len, "%s/dom%" PRIu32 "-%s", dir, domid, name) >= len
               ? -ENAMETOOLONG : 0;
}

static int intent_write(struct attach_ctx *ctx, const struct attach_job *job, const char *vm)
{
    char dir[4096], path[4096 + 64], buf[INTENT_MAX], e[256];
    size_t n = 0;
    int rc;

    if ((rc = intent_dir(dir, sizeof(dir))) || (rc = domlock_make_run_dir(e, sizeof(e))))
        return rc;
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -errno;
    if ((rc = intent_path(job->domid, &job->dev.host, path, sizeof(path))))
        return rc;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "vm=%s\n", vm);
    for (unsigned i = 0; i < PCI_NUM_RES && n < sizeof(buf); i++) {
        const struct bar_assign *b = &job->dev.bars[i];
        if (attach_bar_granted(b))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "bar %u %" PRIx64 " %" PRIx64
                                  " %" PRIx64 " %d\n", i, b->guest, b->host, b->size,
                                  attach_bar_mapped_at_attach(b) ? 1 : 0);
    }
    if (n >= sizeof(buf))
        return -ENAMETOOLONG;
    return file_replace(path, buf, n, 0600);
}

int attach_intent_write(struct attach_ctx *ctx, const struct attach_job *job, char *err,
                        size_t errlen)
{
    char vm[XSP_VM_MAX], name[SBDF_STR_LEN];
    int rc;

    if ((rc = xsp_domain_vm(ctx->xs, XBT_NULL, job->domid, vm, sizeof(vm)))) {
        snprintf(err, errlen, "cannot read domain %u's vm node from xenstore: %s", job->domid,
                 strerror(-rc));
        return rc;
    }
    if ((rc = intent_write(ctx, job, vm)))
        snprintf(err, errlen, "cannot record the attach of %s in %s/intent: %s",
                 sbdf_format(&job->dev.host, name), domlock_run_dir(), strerror(-rc));
    return rc;
}

void attach_intent_clear(const struct attach_job *job)
{
    char path[4096 + 64];

    if (!intent_path(job->domid, &job->dev.host, path, sizeof(path)))
        (void)unlink(path);
}

static bool published_in(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    char e[256];
    bool found = false;

    if (!a)
        return true;            /* cannot tell: touch nothing */
    if (xsp_read_domain(ctx->xs, domid, a, e, sizeof(e)) == 0)
        for (unsigned i = 0; i < a->ndevs; i++)
            found |= sbdf_equal(&a->devs[i].host, host);
    free(a);
    return found;
}

/* Undo one intent: the domain it was written for is the current one
 * (same vm) and the device is not published to it. */
static void undo_intent(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                        char *buf)
{
    char vm[XSP_VM_MAX], name[SBDF_STR_LEN], *line, *save = NULL;
    bool same;
    int alive = ctx->hv->ops->domain_exists(ctx->hv, domid);
    unsigned pages = 0;

    if (xsp_domain_vm(ctx->xs, XBT_NULL, domid, vm, sizeof(vm)))
        return;
    same = alive == 1 && !strncmp(buf, "vm=", 3) && !strncmp(buf + 3, vm, strlen(vm)) &&
           buf[3 + strlen(vm)] == '\n';
    sbdf_format(host, name);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned i;
        uint64_t g, h, size, mfn, nr;
        int mapped;

        if (!same || sscanf(line, "bar %u %" SCNx64 " %" SCNx64 " %" SCNx64 " %d", &i, &g, &h,
                            &size, &mapped) != 5 || i >= PCI_NUM_RES || !size)
            continue;
        if (mapped) {
            /* the whole range: MSI-X pages were never mapped, removing
             * nothing is harmless */
            hv_bar_pages(h, size, &mfn, &nr);
            if (!hv_unmap_mmio_revoked(ctx->hv, domid, name, g >> HV_PAGE_SHIFT, mfn, nr, NULL, 0,
                                       NULL))
                pages += (unsigned)nr;
        }
        (void)hv_revoke_iomem(ctx->hv, domid, h, size);
    }
    /* its own IOMMU context, or Xen's quarantine if the domain died */
    (void)dma_deassign(ctx->hv, same ? domid : HV_DOMID_IO, host);
    log_warn("domain %u: an attach of %s was interrupted before it published the device: "
             "undone (%u pages unmapped)", domid, name, pages);
}

void attach_intent_reap(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host)
{
    char dir[4096], path[4096 + 300], buf[INTENT_MAX];
    struct dirent *de;
    DIR *dp;

    if (intent_dir(dir, sizeof(dir)) || !(dp = opendir(dir)))
        return;
    while ((de = readdir(dp))) {
        struct sbdf h;
        unsigned long d;
        char *end;
        ssize_t n;
        int fd;

        if (strncmp(de->d_name, "dom", 3) || (d = strtoul(de->d_name + 3, &end, 10),
                                               *end != '-') ||
            d > UINT32_MAX || sbdf_parse(end + 1, &h))
            continue;           /* not an intent, or a *.tmpXXXXXX being written */
        if (d != domid && !(host && sbdf_equal(&h, host)))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        if (!published_in(ctx, (uint32_t)d, &h))
            undo_intent(ctx, (uint32_t)d, &h, buf);
        unlink(path);
    }
    closedir(dp);
}
