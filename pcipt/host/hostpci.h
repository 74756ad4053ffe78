/* Host PCI functions through libpci's sysfs backend (/sys/bus/pci, or a
 * sysfs-shaped tree given with --sysfs): identity, BARs (sysfs `resource`,
 * which libpci reads), driver, IRQ, reset method, config access as a
 * struct host_dev for the register engine; the ownership checks and the
 * hand-over to a holder driver that attach needs (docs/design/attach.md
 * "attach, in order" step 1). */
#ifndef PCIPT_HOSTPCI_H
#define PCIPT_HOSTPCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "hostbridge/common/sbdf.h"

#define HOSTPCI_DEFAULT_SYSFS "/sys/bus/pci"

struct hostpci_info {
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys_device;
    uint32_t class_code;          /* base << 16 | sub << 8 | prog-if */
    uint8_t revision;
    uint8_t header_type;          /* low 7 bits: 0 endpoint, 1 PCI bridge, 2 CardBus */
    bool multifunction;           /* header type bit 7 */
    uint8_t intx_pin;             /* config 0x3d: 1..4 = INTA..INTD, 0 none */
    char driver[64];              /* bound driver, "" when none */
    bool reset_known;             /* false when sysfs has no reset_method file */
    char reset_method[128];       /* e.g. "flr bus"; "" = no usable method */
    int numa_node;                /* -1 when unknown */
};

struct hostpci;

/* Open SBDF under sysfs (NULL = /sys/bus/pci).  Returns 0 or -errno with a
 * one-line sentence in err ("0000:01:00.0: no such device under DIR/devices"). */
int hostpci_open(const char *sysfs, const struct sbdf *addr, struct hostpci **out,
                 char *err, size_t errlen);
void hostpci_close(struct hostpci *hp);

const struct hostpci_info *hostpci_info(const struct hostpci *hp);
/* The function as the register engine sees it: config reads/writes go
 * through libpci; bars[] and irq are filled.  Valid until hostpci_close(). */
struct host_dev *hostpci_host_dev(struct hostpci *hp);
const char *hostpci_sysfs_dir(const struct hostpci *hp);

/* Every function under sysfs, in SBDF order.  cb's non-zero return stops
 * the walk and is returned.  The hostpci passed to cb is closed after. */
typedef int (*hostpci_cb)(struct hostpci *hp, void *opaque);
int hostpci_foreach(const char *sysfs, hostpci_cb cb, void *opaque, char *err, size_t errlen);

/* Drivers that only hold a device for passthrough. */
bool hostpci_is_holder(const char *driver);

/* May this function be given to a guest?  Refuses (-EBUSY) a function
 * bound to a dom0 driver other than a holder, (-EINVAL) a bridge (header
 * type != 0), and (-EOPNOTSUPP) one with no usable reset method unless
 * force.  err names the device and the reason. */
int hostpci_check_assignable(const struct hostpci *hp, bool force, char *err, size_t errlen);
/* The same for a preview that changes nothing on the host (pcipt simulate):
 * a bridge or BARs it cannot present are still refused, but a dom0 driver
 * and a missing reset method are only warned about (log_warn, one line
 * each), so that a driver author sees the device as it is. */
int hostpci_check_preview(const struct hostpci *hp, char *err, size_t errlen);

/* Hand the function to holder (e.g. "pciback", "vfio-pci") as
 * `xl pci-assignable-add` does: write the SBDF to driver/unbind when bound
 * to another driver, holder to driver_override, the SBDF to drivers_probe.
 * Same as hostpci_hand_to_holder without keeping the record. */
int hostpci_bind_holder(struct hostpci *hp, const char *holder, char *err, size_t errlen);

/* What hostpci_hand_to_holder changed, so that it can be given back. */
struct hostpci_handover {
    bool changed;               /* false: already held, nothing was written */
    struct sbdf addr;
    char holder[32];
    char driver[64];            /* the driver it had before, "" = none */
    char override[128];         /* driver_override before, "" = unset ("(null)") */
};

/* hostpci_bind_holder, recording in *ho what it changes (ho->changed false
 * when the function already is on holder).  The driver link is re-read and
 * must then name holder: when the function is unbound and no such driver
 * is registered, the holder's module is loaded and the function probed
 * again (hostpci_take.h); a function the holder did not take is a failed
 * hand-over ("0000:01:00.0: uio_pci_generic did not take it (is the module
 * available? ...)").
 * A write that fails after an earlier one took effect is undone at once
 * (hostpci_give_back); err then says whether that worked too. */
int hostpci_hand_to_holder(struct hostpci *hp, const char *holder, struct hostpci_handover *ho,
                           char *err, size_t errlen);

/* Undo a hand-over, as `xl pci-assignable-remove -r` does: write the SBDF
 * to driver/unbind while holder has it, put driver_override back (cleared
 * with "\n" when it was unset), and write the SBDF to DIR/drivers/DRIVER/bind
 * for the driver it had; a function that had no driver stays unbound.
 * Then the driver link must name that driver (or none).  Nothing to do
 * when !ho->changed.  sysfs: NULL = /sys/bus/pci.  0, or -errno with why =
 * the reason alone ("cannot write '0000:01:00.0' to DIR/drivers/igb/bind:
 * No such device"). */
int hostpci_give_back(const char *sysfs, const struct hostpci_handover *ho, char *why,
                      size_t whylen);

/* Append to err: sep + "could not give it back to 'igb': WHY" (the SBDF
 * instead of "it" when name_dev), or "... take it back from
 * uio_pci_generic: WHY" for a function that had no driver. */
void hostpci_note_not_given_back(char *err, size_t errlen, const char *sep,
                                 const struct hostpci_handover *ho, bool name_dev,
                                 const char *why);

/* Re-read the driver link into hostpci_info()->driver. */
void hostpci_refresh_driver(struct hostpci *hp);
/* The sysfs root (the DIR with devices/ and drivers/). */
const char *hostpci_sysfs_root(const struct hostpci *hp);

/* "mem32", "mem64", "io", "rom", "none". */
const char *bar_type_name(enum bar_type t);

#endif
