/* hv_open / hv_close: pick a backend by name. */
#include "pcipt/hv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/hv_backends.h"

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
