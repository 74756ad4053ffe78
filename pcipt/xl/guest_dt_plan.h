/* Internal to pcipt/xl/guest_dt*.c: the host bridge nodes a domain_assign
 * needs, validated before a single FDT byte is written. */
#ifndef HOSTBRIDGE_DTB_PLAN_H
#define HOSTBRIDGE_DTB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"
#include "pcipt/assign/intx_route.h"

#define DTB_MAX_ROUTES (INTX_ROUTE_LAST_SLOT * INTX_ROUTE_PINS)

struct dtb_intx_route {
    uint8_t bus, slot, pin;      /* pin 1..4 = INTA..INTD */
    uint32_t spi;                /* guest SPI (INTID, >= 32) */
};

struct dtb_bridge {
    uint16_t seg;
    uint8_t bus_first, bus_last;            /* buses with devices on them */
    unsigned nroutes;
    struct dtb_intx_route routes[DTB_MAX_ROUTES];  /* every slot and pin, sorted */
};

struct dtb_plan {
    unsigned nbridges;
    struct dtb_bridge bridges[PCIPT_MAX_DEVS];     /* sorted by ECAM address */
};

/* Group the devices by guest segment and check that every node can be
 * written: 0 or -EINVAL with a sentence naming the device at fault.  No
 * device is refused unless empty_bridge: then segment 0 bus 0's bridge. */
int dtb_plan_make(const struct domain_assign *da, const struct guest_layout *lay,
                  bool empty_bridge, struct dtb_plan *plan, char *err, size_t errlen);

#endif
