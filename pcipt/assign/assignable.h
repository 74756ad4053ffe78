/* xl's pci-assignable-add / -list / -remove for pcipt (docs/design/attach.md
 * "Assignable functions"): a function is made assignable by handing it to
 * the holder driver attach needs (ATTACH_HOLDER, hostpci_hand_to_holder),
 * and the driver it had is remembered so that -remove -r gives it back.
 *
 * The record is a file $PCIPT_RUN_DIR/assignable/SSSS:BB:DD.F (default
 * /run/pcipt), "holder=H\ndriver=D\noverride=O\n", not a xenstore node as
 * libxl keeps (/libxl/pci/...): the run dir is a tmpfs that lives exactly as
 * long as the driver binding it describes (both are gone after a reboot),
 * and making a function assignable needs neither xenstored nor Xen. */
#ifndef PCIPT_ASSIGNABLE_H
#define PCIPT_ASSIGNABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/attach.h"
#include "pcipt/host/hostpci.h"

/* The record of host, when one exists.  0, -ENOENT, -EINVAL (unreadable). */
int assignable_record_read(const struct sbdf *host, struct hostpci_handover *ho);

/* The domain host is published for in xenstore (*domid), 0; -ENOENT when
 * none; another -errno with a sentence in err. */
int assignable_attached_to(struct xs_handle *xs, const struct sbdf *host, uint32_t *domid,
                           char *err, size_t errlen);

/* Make host assignable: refuse a bridge, hand it to ATTACH_HOLDER, write
 * the record (kept when one exists: the earliest driver is the one to give
 * back).  *already: it was on the holder before (nothing changed).  0 or
 * -errno with "SBDF: WHY" in err. */
int assignable_add(const char *sysfs, const struct sbdf *host, bool *already, char *err,
                   size_t errlen);

/* Give host back: refuse (-EBUSY) while it is attached to a domain
 * (ctx->xs), and (-EINVAL) when it is neither on a holder nor recorded;
 * take it out of Xen's quarantine (deassign from DOMID_IO through ctx->hv;
 * "not quarantined" is fine); let the holder go and put driver_override
 * back; with rebind, bind the recorded driver (no record: let the kernel
 * probe it).  *now receives the driver it ends on ("" = none).  note (may
 * be empty) says what was not exact ("no record of its earlier driver ...",
 * a failed deassign).  0 or -errno with a sentence in err. */
int assignable_remove(struct attach_ctx *ctx, const struct sbdf *host, bool rebind, char *now,
                      size_t nowlen, char *note, size_t notelen, char *err, size_t errlen);

#endif
