/* What `pcipt attach` and `pcipt detach` share: argument parsing and the
 * attach context built from the global options (--hv, --sysfs, --config). */
#ifndef PCIPT_CMD_CTX_H
#define PCIPT_CMD_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/attach.h"

/* A plain decimal number in [min, max] (no sign, no spaces): 0 or -EINVAL. */
int cmd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* A guest domain id: decimal, 1..0x7fef (below DOMID_FIRST_RESERVED). */
int cmd_parse_domid(const char *s, uint32_t *domid);
/* Open the hypervisor backend and xenstore, load the layout.  0, or 1 after
 * printing a one-line error.  with_layout: attach needs it, detach not. */
int cmd_ctx_open(struct attach_ctx *ctx, bool with_layout);
void cmd_ctx_close(struct attach_ctx *ctx);

#endif
