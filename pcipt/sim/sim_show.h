/* `pcipt sim show`: the simulator's state as greppable lines or JSON. */
#ifndef PCIPT_SIM_SHOW_H
#define PCIPT_SIM_SHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pcipt/hv/hv.h"

/* All domains (domid < 0) or one.  Returns 0 or -errno (-ESRCH: no such
 * domain). */
int sim_show(struct hv *hv, FILE *f, long domid, bool json);

#endif
