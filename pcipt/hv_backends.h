/* Internal: the backends' constructors and the shared counter helper. */
#ifndef PCIPT_HV_BACKENDS_H
#define PCIPT_HV_BACKENDS_H

#include <stddef.h>

#include "pcipt/hv.h"

int hv_xen_open(struct hv **out, char *err, size_t errlen);
int hv_sim_open(struct hv **out, char *err, size_t errlen);

/* Count one memory_mapping call (and an E2BIG result). */
void hv_count_mapping(struct hv *hv, int rc);

#endif
