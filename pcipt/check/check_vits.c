/* pcipt check: can domUs get MSI through Xen's domU vITS?  The same facts
 * `pcipt create` decides on (its/its_vits.h) minus the per-domain one (the
 * IOMMU: create asks for passthrough where Xen runs one): the hypervisor
 * built with pcipt's patch series and an ITS driver, and an ITS in the host
 * device tree.  Without them guests still work, with INTx: WARN. */
#include "pcipt/check/check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "its/its_vits.h"
#include "pcipt/hv/hv.h"

#define TODO_PATCH "apply pcipt's Xen patch series (toolstack-hooks/xen-patches/4.17/, " \
                   "0006-arm-vits-domu-pcipt.patch) for MSI in domUs; guests use INTx meanwhile"
#define TODO_HAS_ITS "rebuild Xen with CONFIG_UNSUPPORTED=y CONFIG_HAS_ITS=y for MSI in domUs; " \
                     "guests use INTx meanwhile"
#define TODO_ITS   "MSI in domUs needs a GICv3 ITS on the host; guests use INTx"
#define TODO_CFG   "check Xen's .config for " ITS_CONFIG_PCIPT "=y and " ITS_CONFIG_ITS "=y"

static bool host_its(const struct check_env *env, char *why, size_t len)
{
    void *fdt = NULL;
    char e[256];
    bool its;

    if (its_fdt_read(env->host_dt ? env->host_dt : ITS_HOST_FDT_DEFAULT, &fdt, e,
                     sizeof(e)) < 0) {
        snprintf(why, len, "cannot read the host device tree: %s", e);
        return false;
    }
    its = its_fdt_has_its(fdt);
    free(fdt);
    return its;
}

static const char *todo_for(const struct its_vits_facts *f)
{
    if (!f->build_config)
        return TODO_CFG;
    if (!its_config_has(f->build_config, ITS_CONFIG_PCIPT))
        return TODO_PATCH;
    if (!its_config_has(f->build_config, ITS_CONFIG_ITS))
        return TODO_HAS_ITS;
    return TODO_ITS;
}

int check_vits(const struct check_env *env, struct hv *hv, struct check_report *rep)
{
    char *cfg = NULL, cwhy[128] = "", dwhy[320] = "", why[512];
    struct its_vits_facts f = { .config_why = cwhy, .host_dt_why = dwhy, .domain_iommu = true };
    int rc = hv->ops->build_config ? hv->ops->build_config(hv, &cfg) : -EOPNOTSUPP;

    if (rc < 0)
        snprintf(cwhy, sizeof(cwhy), "hypfs /buildinfo/config: %s",
                 rc == -ENOENT ? "the hypervisor publishes no build configuration"
                               : strerror(-rc));
    f.build_config = rc < 0 ? NULL : cfg;
    f.host_its = host_its(env, dwhy, sizeof(dwhy));
    if (its_vits_decide(&f, why, sizeof(why)))
        rc = check_add(rep, "vits", CHECK_OK, NULL, "%s and a host ITS: domains created with "
                       "passthrough get MSI and MSI-X through it", why);
    else
        rc = check_add(rep, "vits", CHECK_WARN, todo_for(&f), "no domU vITS: %s", why);
    free(cfg);
    return rc;
}
