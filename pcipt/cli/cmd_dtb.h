/* The assignment `pcipt dtb` describes (pcipt/cli/cmd_dtb.c). */
#ifndef PCIPT_CMD_DTB_H
#define PCIPT_CMD_DTB_H

#include <stddef.h>

#include "pcipt/assign/assign.h"

/* Fill *out and *lay from the command's positional arguments: one DOMID
 * (read the assignment back from xenstore) or SBDF[@SLOT]... (plan them).
 * The guest layout comes from --config (as `pcipt plan`).
 * 0 or -errno with a sentence in err. */
int dtb_assignment_from_args(int argc, char **argv, struct domain_assign *out,
                             struct guest_layout *lay, char *err, size_t errlen);

#endif
