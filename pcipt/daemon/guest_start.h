/* What a guest first reads of a passed-through function.  The daemon
 * (pcipt/daemon/daemon_devs.c) presents it and `pcipt guest-view` prints it, both
 * through these helpers, so the two cannot drift apart
 * (tests/unit/daemon/test_guest_view_daemon.c compares them byte for byte). */
#ifndef PCIPT_GUEST_START_H
#define PCIPT_GUEST_START_H

#include <stdint.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign/assign.h"

/* Interrupt Line (config 0x3c): the INTx SPI's offset from 32, the first
 * SPI's INTID (GICv3); 0 for a function without INTx.  The value is
 * "system architecture specific" (PCI 3.0 §6.2.4); 0xFF for "no connection"
 * is the x86 PC convention, and pciutils shows a non-zero line without an
 * Interrupt Pin as "pin ?". */
uint8_t guest_intx_line(const struct dev_assign *as);

/* The engine's presentation of as: slot, fn, planned guest BARs, Interrupt
 * Line. */
void guest_vdev_config(const struct dev_assign *as, struct vdev_config *cfg);

/* The state firmware leaves, a device's first guest view (unless the
 * daemon saved one): the vdev's current state with Command.Memory set and
 * every memory BAR mapped at its planned address (attach mapped them).
 * Apply with vdev_restore_state. */
void guest_firmware_state(const struct vdev *v, struct vdev_state *st);

#endif
