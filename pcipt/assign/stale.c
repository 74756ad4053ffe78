/* Stale assignments: a domain gone, its domid perhaps reused
 * (pcipt/assign/stale.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/assign/stale.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs_owner.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

/* Bus Master off, then out of Xen's quarantine (where Xen put a destroyed
 * domain's functions, xen-arm-dma-msi.md section 6). */
static void take_back(struct attach_ctx *ctx, uint32_t domid, const struct dev_assign *dev)
{
    char name[SBDF_STR_LEN], e[256];
    struct hostpci *hp;
    int rc;

    sbdf_format(&dev->host, name);
    if (!hostpci_open(ctx->sysfs, &dev->host, &hp, e, sizeof(e))) {
        (void)dma_host_bus_master(hostpci_host_dev(hp), false);
        hostpci_close(hp);
    }
    if (dev->dma == DEV_DMA_IOMMU && (rc = dma_deassign(ctx->hv, HV_DOMID_IO, &dev->host)))
        log_warn("stale assignment of domain %u: cannot deassign %s from Xen's quarantine: "
                 "%s", domid, name, strerror(-rc));
    else
        log_info("stale assignment of domain %u: %s taken back", domid, name);
}

int attach_reap_stale(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                      bool *reaped_host, char *err, size_t errlen)
{
    char rec[XSP_VM_MAX], cur[XSP_VM_MAX], e[400];
    struct domain_assign *a;
    struct serve_record sr;
    int rc;

    if (reaped_host)
        *reaped_host = false;
    rc = xsp_owner_check(ctx->xs, domid, rec, cur, sizeof(rec));
    if (rc != -ESTALE) {
        if (rc)
            snprintf(err, errlen, "cannot tell whom domain %u's assignment in xenstore "
                     "belongs to: %s", domid, strerror(-rc));
        return rc;
    }
    log_warn("domain %u: the devices assigned in %s belong to %s, a domain that is gone "
             "(domain %u is %s now): taking them back, nothing of it is served", domid,
             xsp_backend_path(domid, e), rec, domid, cur[0] ? cur : "gone too");
    if (!(a = calloc(1, sizeof(*a)))) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (xsp_read_domain(ctx->xs, domid, a, e, sizeof(e)) == 0)
        for (unsigned i = 0; i < a->ndevs; i++) {
            take_back(ctx, domid, &a->devs[i]);
            if (host && reaped_host && sbdf_equal(&a->devs[i].host, host))
                *reaped_host = true;
        }
    free(a);
    if ((rc = xsp_remove_domain(ctx->xs, domid))) {
        snprintf(err, errlen, "cannot remove domain %u's stale assignment from xenstore: %s",
                 domid, strerror(-rc));
        return rc;
    }
    if (serve_record_read(domid, &sr) == 0 && strcmp(sr.vm, cur))
        (void)serve_record_remove(domid);
    return 0;
}
