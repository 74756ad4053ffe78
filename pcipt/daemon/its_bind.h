/* Sending an ITS bind request (its/its.h) to the hypervisor for the daemon's
 * MSI path (pcipt/daemon/daemon_msi.c). */
#ifndef PCIPT_DAEMON_ITS_BIND_H
#define PCIPT_DAEMON_ITS_BIND_H

#include <stddef.h>

#include "its/its.h"

struct hv;

#define ITS_NO_DOMU_VITS_MSG "Xen has no domU vITS interface; the guest falls back to INTx"

/* Ask the hypervisor (hv->ops->its_map_event) to bind the event.  0, or
 * -errno with a sentence: -ERANGE for an event beyond nr_events; with
 * upstream Xen -EOPNOTSUPP, logged once per process as ITS_NO_DOMU_VITS_MSG. */
int its_bind_event(struct hv *hv, const struct its_bind_req *r, char *err, size_t errlen);
/* Forget that the -EOPNOTSUPP notice was logged (tests). */
void its_bind_reset_notice(void);

#endif
