/* Which guest SPI carries a slot's INTx pin: the one place the route is
 * defined.  The guest device tree's interrupt-map (pcipt/xl/guest_dt*.c)
 * routes every slot 1..31 and every pin at create time with it, and the
 * planner (pcipt/assign/plan.c) gives every function the same SPI, so a
 * device hot-plugged later into any slot gets the SPI the guest already
 * routes (issue: INTx for hot-plugged devices).
 *
 *   spi = spi_base + ((slot - 1) + (pin - 1)) mod spi_count
 *
 * the PCI-to-PCI bridge swizzle (PCI-to-PCI Bridge Architecture spec 1.2,
 * table 9-1: INTx of device D appears as INT((D + x) mod 4)) widened from 4
 * lines to the domain's spi_count: INTA of slots 1..spi_count get distinct
 * SPIs (most functions use INTA only), and neighbouring slots spread their
 * INTB..INTD.  The bus is not an input: interrupt-map-mask is
 * <0xf800 0 0 7> (device and pin; bus and function masked out), so the
 * guest looks up only (slot, pin), whatever the bus.  The SPIs stay inside
 * the layout's INTx range, which `pcipt create` makes the domain have
 * (nr_spis / vuart, pcipt/xl/create_cfg.c).  With more than spi_count slot
 * pins in use SPIs are shared; the INTx relay ORs the lines that share one
 * (pcipt/daemon/daemon_intx.c). */
#ifndef PCIPT_INTX_ROUTE_H
#define PCIPT_INTX_ROUTE_H

#include <stdint.h>

#include "pcipt/assign/assign.h"

#define INTX_ROUTE_FIRST_SLOT 1u
#define INTX_ROUTE_LAST_SLOT  31u     /* PLAN_MAX_SLOT: slot 0 is the bridge's own */
#define INTX_ROUTE_PINS       4u      /* INTA..INTD = 1..4 */

/* The guest SPI of (slot, pin), or 0 for a slot outside 1..31, a pin outside
 * 1..4 or an empty SPI range. */
uint32_t intx_route_spi(const struct guest_layout *lay, uint8_t slot, uint8_t pin);

#endif
