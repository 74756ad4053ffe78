/* Binding a guest (DeviceID, EventID) to the host device: what Xen's
 * gicv3_its_map_guest_device + gicv3_assign_guest_event do for the
 * hardware domain.  Upstream Xen has no domU interface for it
 * (xen-arm-facts.md §7), so the xen backend answers -EOPNOTSUPP. */
#include "its/its.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/hv.h"
#include "pcipt/log.h"

static atomic_bool notice_logged;

void its_bind_reset_notice(void)
{
    atomic_store(&notice_logged, false);
}

void its_bind_req_init(struct its_bind_req *r, uint32_t domid, const struct sbdf *host,
                       uint32_t host_devid, const struct sbdf *guest, uint32_t nr_events,
                       uint32_t event_id, bool valid)
{
    memset(r, 0, sizeof(*r));
    r->domid = domid;
    r->host = *host;
    r->guest = *guest;
    r->host_devid = host_devid;
    r->guest_devid = its_guest_devid(guest);
    r->nr_events = nr_events;
    r->event_id = event_id;
    r->valid = valid;
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
