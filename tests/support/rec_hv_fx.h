/* A hypervisor backend that forwards every call attach and detach make to
 * the sim's (simfx_hv) and records the order of the ones that matter for
 * isolation: "assign ", the first "map ", the first "unmap ", "deassign ".
 * A test's hook runs before each forwarded call (and may append to the
 * order itself, e.g. "reset "). */
#ifndef TESTS_SUPPORT_REC_HV_FX_H
#define TESTS_SUPPORT_REC_HV_FX_H

#include "pcipt/hv/hv.h"

extern char rec_hv_order[256];

/* The recording hv, its order emptied; before may be NULL. */
struct hv *rec_hv_start(void (*before)(void));

#endif
