/* Xenstore watches for the daemon (the wrappers' style: -errno). */
#ifndef PCIPT_XS_WATCH_H
#define PCIPT_XS_WATCH_H

#include <xenstore.h>

#include "pcipt/xs/xs.h"     /* xsw_watch, xsw_unwatch */

/* The fd that becomes readable when a watch fired. */
int xsw_fileno(struct xs_handle *xs);
/* Drain fired watches without blocking; returns how many fired for a path
 * NOT under ignore_prefix (NULL: count all) or ending in keep_suffix (NULL:
 * none), or -errno. */
int xsw_drain_watches(struct xs_handle *xs, const char *ignore_prefix, const char *keep_suffix);

#endif
