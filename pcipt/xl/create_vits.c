/* `pcipt create`: will the new domain have Xen's domU vITS?  The guest DT
 * gets the ITS node and msi-map only then (its/its_vits.h has the three
 * facts and the decision; this file gathers them). */
#include "pcipt/xl/create.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "its/its_vits.h"
#include "pcipt/hv/hv.h"

/* The hypervisor's .config text (hypfs /buildinfo/config through the hv
 * backend), or NULL with why. */
static char *build_config(const char *hv_name, char *why, size_t len)
{
    struct hv *hv = NULL;
    char *text = NULL, e[256];
    int rc = hv_open(hv_name ? hv_name : "xen", &hv, e, sizeof(e));

    if (rc) {
        snprintf(why, len, "%s", e);
        return NULL;
    }
    rc = hv->ops->build_config ? hv->ops->build_config(hv, &text) : -EOPNOTSUPP;
    hv_close(hv);
    if (rc) {
        snprintf(why, len, "%s", rc == -ENOENT ? "the hypervisor publishes none"
                                               : strerror(-rc));
        return NULL;
    }
    return text;
}

static bool host_has_its(const char *host_dt, char *why, size_t len)
{
    void *fdt = NULL;
    char e[256];
    bool its;

    if (its_fdt_read(host_dt ? host_dt : ITS_HOST_FDT_DEFAULT, &fdt, e, sizeof(e)) < 0) {
        snprintf(why, len, "cannot read the host device tree: %s", e);
        return false;
    }
    its = its_fdt_has_its(fdt);
    free(fdt);
    return its;
}

/* XEN_DOMCTL_CDF_iommu: pcipt adds passthrough="enabled" where the
 * hypervisor runs an IOMMU (create_passthrough_arg); a config that sets
 * passthrough itself gets it unless it says "disabled" (xl.cfg(5)). */
bool create_domain_iommu(const struct xlcfg *cfg, int iommu)
{
    const char *pt;

    if (iommu != 1)
        return false;
    if (!xlcfg_has(cfg, "passthrough"))
        return true;
    pt = xlcfg_string(cfg, "passthrough");
    return pt && strcmp(pt, "disabled") != 0;
}

bool create_vits(const struct pcipt_env *env, const struct xlcfg *cfg, int iommu, char *why,
                 size_t len)
{
    char cwhy[256] = "", dwhy[320] = "";
    struct its_vits_facts f = { .config_why = cwhy, .host_dt_why = dwhy };
    bool on;

    f.build_config = build_config(env->hv, cwhy, sizeof(cwhy));
    f.host_its = host_has_its(env->host_dt, dwhy, sizeof(dwhy));
    f.domain_iommu = create_domain_iommu(cfg, iommu);
    on = its_vits_decide(&f, why, len);
    free((char *)f.build_config);
    return on;
}
