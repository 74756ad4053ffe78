/* Binding a guest (DeviceID, EventID) to the host device through the
 * hypervisor (see its_bind.h). */
#include "pcipt/daemon/its_bind.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "pcipt/hv/hv.h"

static atomic_bool notice_logged;

void its_bind_reset_notice(void)
{
    atomic_store(&notice_logged, false);
}

int its_bind_event(struct hv *hv, const struct its_bind_req *r, char *err, size_t errlen)
{
    char s[SBDF_STR_LEN];
    int rc;

    sbdf_format(&r->host, s);
    if (r->nr_events < ITS_LPI_BLOCK || (r->nr_events & (r->nr_events - 1))) {
        snprintf(err, errlen, "device %s: %u events is not a power of two >= %u",
                 s, r->nr_events, ITS_LPI_BLOCK);
        return -EINVAL;
    }
    if (r->event_id >= r->nr_events) {
        snprintf(err, errlen, "device %s: event %u is beyond its %u events",
                 s, r->event_id, r->nr_events);
        return -ERANGE;
    }
    rc = hv->ops->its_map_event
             ? hv->ops->its_map_event(hv, r->domid, r->host_devid, r->guest_devid,
                                      r->event_id, r->valid)
             : -EOPNOTSUPP;
    if (rc == -EOPNOTSUPP) {
        if (!atomic_exchange(&notice_logged, true))
            log_warn("%s", ITS_NO_DOMU_VITS_MSG);
        snprintf(err, errlen, "%s", ITS_NO_DOMU_VITS_MSG);
        return rc;
    }
    if (rc < 0)
        snprintf(err, errlen, "domain %u: binding event %u of device %s (host DeviceID %#x, "
                 "guest DeviceID %#x) failed: %s", r->domid, r->event_id, s, r->host_devid,
                 r->guest_devid, strerror(-rc));
    return rc < 0 ? rc : 0;
}
