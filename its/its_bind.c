/* A bind request: one (DeviceID, EventID) of a guest device and the host
 * function behind it, as Xen's gicv3_its_map_guest_device and
 * gicv3_assign_guest_event take them.  (Xen's domU vITS binds whole
 * devices at attach instead: pcipt/assign/msi_announce.c.) */
#include "its/its.h"

#include <string.h>

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
