/* hv_open / hv_close: pick a backend by name. */
#include "pcipt/hv/hv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/hv/hv_backends.h"

int hv_open(const char *name, struct hv **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!name)
        name = "xen";
    if (strcmp(name, "xen") == 0)
        return hv_xen_open(out, err, errlen);
    if (strcmp(name, "sim") == 0)
        return hv_sim_open(out, err, errlen);
    snprintf(err, errlen, "unknown hypervisor backend '%s' (use 'xen' or 'sim')", name);
    return -EINVAL;
}

void hv_close(struct hv *hv)
{
    if (hv && hv->ops && hv->ops->close)
        hv->ops->close(hv);
}

void hv_count_mapping(struct hv *hv, int rc)
{
    hv->counters.memory_mapping_calls++;
    if (rc == -E2BIG)
        hv->counters.memory_mapping_e2big++;
}

int hv_parse_xen_version(const char *s, unsigned *major, unsigned *minor)
{
    unsigned long ma, mi;
    char *end;

    if (!s || !(*s >= '0' && *s <= '9'))
        return -EINVAL;
    ma = strtoul(s, &end, 10);
    if (*end != '.' || !(end[1] >= '0' && end[1] <= '9'))
        return -EINVAL;
    mi = strtoul(end + 1, &end, 10);
    if (*end || ma < 4 || ma > 99 || mi > 99)
        return -EINVAL;
    *major = (unsigned)ma;
    *minor = (unsigned)mi;
    return 0;
}

int hv_query_xen_version(const char *name, unsigned *major, unsigned *minor, char *err,
                         size_t errlen)
{
    static const char hint[] = "; give the target Xen with --xen-version X.Y";
    char why[384];
    struct hv *hv;
    int rc = hv_open(name, &hv, why, sizeof(why));

    if (!rc) {
        rc = hv->ops->xen_version ? hv->ops->xen_version(hv, major, minor) : -EOPNOTSUPP;
        if (rc)
            snprintf(why, sizeof(why), "the %s backend cannot tell: %s", hv->ops->name,
                     strerror(-rc));
        hv_close(hv);
    }
    if (rc)
        snprintf(err, errlen, "cannot tell the Xen version (%s)%s", why, hint);
    return rc;
}

int hv_query_iommu(const char *name)
{
    char why[384];
    struct hv *hv;
    int rc = hv_open(name, &hv, why, sizeof(why));

    if (!rc) {
        rc = hv->ops->iommu_enabled ? hv->ops->iommu_enabled(hv) : -EOPNOTSUPP;
        hv_close(hv);
    }
    return rc;
}
