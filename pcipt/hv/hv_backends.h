/* Internal: the backends' constructors and the shared counter helper. */
#ifndef PCIPT_HV_BACKENDS_H
#define PCIPT_HV_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/hv/hv.h"

int hv_xen_open(struct hv **out, char *err, size_t errlen);
int hv_sim_open(struct hv **out, char *err, size_t errlen);

/* xen domain_exists' rule on one xc_domain_getinfo answer: N domains
 * returned, the first one's domid and dying flag.  1 = alive, 0 = gone
 * (none, the next domain, or dying). */
int hv_xen_dominfo_alive(int n, uint32_t domid, uint32_t info_domid, bool dying);
/* ...and when xc_domain_getinfo failed with errno err: ESRCH (no domain at
 * or after domid, what `attach 999` meets) is 0 = gone, anything else -err. */
int hv_xen_getinfo_failed(int err);

/* Count one memory_mapping call (and an E2BIG result). */
void hv_count_mapping(struct hv *hv, int rc);

#endif
