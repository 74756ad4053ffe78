/* The domU vITS decision (see its_vits.h). */
#include "its/its_vits.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

bool its_config_has(const char *config, const char *name)
{
    size_t len = strlen(name);

    for (const char *l = config; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (!strncmp(l, name, len) && l[len] == '=' && l[len + 1] == 'y' &&
            (l[len + 2] == '\n' || l[len + 2] == '\0'))
            return true;
    return false;
}

bool its_fdt_has_its(const void *fdt)
{
    return fdt && fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its") >= 0;
}

static bool say(char *why, size_t len, const char *fmt, const char *arg)
{
    snprintf(why, len, fmt, arg && *arg ? arg : "unknown reason");
    return false;
}

bool its_vits_decide(const struct its_vits_facts *f, char *why, size_t len)
{
    if (!f->build_config)
        return say(why, len, "cannot tell whether Xen has the domU vITS (its build "
                   "configuration: %s)", f->config_why);
    if (!its_config_has(f->build_config, ITS_CONFIG_PCIPT))
        return say(why, len, "%s", "Xen lacks pcipt's patch series (no "
                   ITS_CONFIG_PCIPT "=y), which adds the domU vITS");
    if (!its_config_has(f->build_config, ITS_CONFIG_ITS))
        return say(why, len, "%s", "Xen was built without an ITS driver (no "
                   ITS_CONFIG_ITS "=y)");
    if (!f->host_its)
        return say(why, len, "the host has no GICv3 ITS (%s)",
                   f->host_dt_why && *f->host_dt_why ? f->host_dt_why
                       : "no \"arm,gic-v3-its\" node in its device tree");
    if (!f->domain_iommu)
        return say(why, len, "%s", "the domain is created without passthrough=\"enabled\" "
                   "(no IOMMU), and Xen gives a vITS only to such domains");
    snprintf(why, len, "Xen's domU vITS at %#llx", (unsigned long long)ITS_GUEST_VITS_BASE);
    return true;
}
