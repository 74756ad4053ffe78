/* The last step of a hand-over to a holder driver (hostpci_hand_to_holder):
 * after driver_override and drivers_probe, the function must be on the
 * holder.  When it is unbound and no driver of the holder's name is
 * registered (DIR/drivers/HOLDER absent: its module is not loaded), the
 * module is loaded (`modprobe MODULE`, a child process without a shell;
 * $PCIPT_MODPROBE names another program, for tests) and the function
 * probed again. */
#ifndef PCIPT_HOSTPCI_TAKE_H
#define PCIPT_HOSTPCI_TAKE_H

#include <stddef.h>

/* root: the sysfs root (DIR with devices/, drivers/, drivers_probe); name:
 * the SBDF.  0 when the driver link names holder; otherwise -errno with why
 * = the reason, for "SBDF: WHY":
 *   -ENODEV "uio_pci_generic did not take it (is the module available?
 *           `modprobe uio_pci_generic` failed: <its last line on stderr,
 *           or exit status N>)", or "... `modprobe uio_pci_generic`
 *           succeeded but no driver 'uio_pci_generic' appeared in DIR/drivers)";
 *   -ENODEV "uio_pci_generic is loaded[ now] but did not take it (its probe
 *           refused the device; see the kernel log)";
 *   -EBUSY  "uio_pci_generic did not take it: the probe left it with 'igb'";
 *   or the failed write to DIR/drivers_probe (sysfs_write_attr's sentence). */
int hostpci_holder_take(const char *root, const char *name, const char *holder, char *why,
                        size_t whylen);

#endif
