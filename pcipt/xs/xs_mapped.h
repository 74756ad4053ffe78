/* Nodes the daemon and attach/detach share beyond the publish/read API (see
 * docs/design/attach.md "The hand-over between attach/detach and the
 * daemon"): the p2m record of each
 * BAR, be/pcipt/dev-N/bar-I/mapped = "0x<guest address>" | "none"
 * (xsp_write_bar_mapped / xsp_read_bar_mapped, declared in xs_publish.h),
 * and free-form daemon nodes be/pcipt/server/<name> ("state", "stats"). */
#ifndef PCIPT_XS_MAPPED_H
#define PCIPT_XS_MAPPED_H

#include <stdint.h>
#include <xenstore.h>

#include "pcipt/xs/xs_publish.h"

/* be/pcipt/server/<name> = value (needs a published device: -ENOENT). */
int xsp_write_server_node(struct xs_handle *xs, uint32_t domid, const char *name,
                          const char *value);

#endif
