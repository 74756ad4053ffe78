/* Nodes the daemon and attach/detach share beyond xs_publish.h (see
 * CONTRACT-attach-daemon.md): the p2m record of each BAR,
 *   be/pcipt/dev-N/bar-I/mapped = "0x<guest address>" | "none",
 * and free-form daemon nodes be/pcipt/server/<name> ("state", "stats").
 * The lead may fold these into xs_publish.h. */
#ifndef PCIPT_XS_MAPPED_H
#define PCIPT_XS_MAPPED_H

#include <stdint.h>
#include <xenstore.h>

#include "pcipt/sbdf.h"

/* gaddr 0 = "none".  -ENOENT if the device is not published. */
int xsp_write_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host, int bar,
                         uint64_t gaddr);
/* *gaddr = 0 for "none" or an absent record; -EINVAL for garbage. */
int xsp_read_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host, int bar,
                        uint64_t *gaddr);
/* be/pcipt/server/<name> = value (needs a published device: -ENOENT). */
int xsp_write_server_node(struct xs_handle *xs, uint32_t domid, const char *name,
                          const char *value);

#endif
