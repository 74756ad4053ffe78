/* Resetting a host function between owners (docs/design/attach.md "Reset
 * between owners"): a write of "1" to its sysfs `reset`, which runs the
 * kernel's pci_reset_function (config space saved, the first method of
 * reset_method run, config space restored).  Attach resets before the
 * first map, detach after the last unmap, the daemon when the domain dies. */
#ifndef PCIPT_HOST_RESET_H
#define PCIPT_HOST_RESET_H

#include <stddef.h>

#include "pcipt/host/hostpci.h"

/* What is recorded in xenstore (pcipt/dev-N/reset) and shown by status:
 * the method used ("flr", "pm", "bus", ...: the first word of
 * reset_method), or this when attach --force took a function without one. */
#define HOST_RESET_NONE_FORCED "none-forced"

/* The method a reset uses: the first word of reset_method, "" when none. */
const char *hostpci_reset_method(const struct hostpci *hp, char *buf, size_t len);

/* Write "1" to DIR/devices/SBDF/reset.  0, or -errno with a sentence in err
 * naming the file. */
int hostpci_reset(const struct hostpci *hp, char *err, size_t errlen);

/* The same for a function by address under sysfs (NULL = /sys/bus/pci);
 * *method (optional, >= 32 bytes) receives the method used ("" when the
 * function has none: nothing is written, 0 returned). */
int hostpci_reset_addr(const char *sysfs, const struct sbdf *addr, char *method, char *err,
                       size_t errlen);

#endif
