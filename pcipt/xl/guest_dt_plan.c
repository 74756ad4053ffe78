/* Which pcie@ nodes a guest needs, checked before anything is written.
 *
 * One node per guest PCI segment.  All segments share Xen's single guest
 * ECAM window (PCIPT_VPCI_ECAM_BASE, 256 buses of 1 MiB), so each node's
 * `reg` is the slice of that window for its own buses: segments must use
 * disjoint bus numbers.  Every bridge routes every slot 1..31 and pin
 * INTA..INTD to its fixed SPI (pcipt/assign/intx_route.h), so a function
 * hot-plugged after create finds its route; routes are keyed by (slot, pin)
 * only, because interrupt-map-mask is <0xf800 0 0 7> (device number and
 * pin; PCI Firmware spec / IEEE 1275 PCI binding).  A device whose SPI is
 * not its slot and pin's route is refused: the tree would lie. */
#include "pcipt/xl/guest_dt_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/intx_route.h"
#include "pcipt/xl/guest_dt.h"

static struct dtb_bridge *bridge_for(struct dtb_plan *p, uint16_t seg, uint8_t bus)
{
    struct dtb_bridge *b;

    for (unsigned i = 0; i < p->nbridges; i++) {
        b = &p->bridges[i];
        if (b->seg == seg) {
            if (bus < b->bus_first)
                b->bus_first = bus;
            if (bus > b->bus_last)
                b->bus_last = bus;
            return b;
        }
    }
    b = &p->bridges[p->nbridges++];
    memset(b, 0, sizeof(*b));
    b->seg = seg;
    b->bus_first = b->bus_last = bus;
    return b;
}

static int check_device(const struct domain_assign *da, unsigned i,
                        const struct guest_layout *lay, char *err, size_t errlen)
{
    const struct dev_assign *d = &da->devs[i];
    char g[SBDF_STR_LEN], h[SBDF_STR_LEN];

    sbdf_format(&d->guest, g);
    sbdf_format(&d->host, h);
    if (d->guest.dev < 1 || d->guest.dev > 31 || d->guest.fn > 7) {
        snprintf(err, errlen, "device %s: guest address %s is not a slot 1..31 function 0..7 "
                 "(slot 0 is the host bridge's own)", h, g);
        return -EINVAL;
    }
    for (unsigned j = 0; j < i; j++) {
        if (sbdf_equal(&da->devs[j].guest, &d->guest)) {
            char other[SBDF_STR_LEN];
            snprintf(err, errlen, "devices %s and %s both sit at guest address %s",
                     sbdf_format(&da->devs[j].host, other), h, g);
            return -EINVAL;
        }
    }
    if (d->intx_pin > 4) {
        snprintf(err, errlen, "device %s: interrupt pin %u is not INTA..INTD", h, d->intx_pin);
        return -EINVAL;
    }
    if (d->spi && d->intx_pin && d->spi != intx_route_spi(lay, d->guest.dev, d->intx_pin)) {
        snprintf(err, errlen, "device %s: INT%c of guest slot %u uses SPI %u, but the guest's "
                 "interrupt-map routes that slot and pin to SPI %u (detach and attach it "
                 "again to get the route)", h, 'A' + d->intx_pin - 1, d->guest.dev, d->spi,
                 intx_route_spi(lay, d->guest.dev, d->intx_pin));
        return -EINVAL;
    }
    return 0;
}

/* Every slot's every pin, in slot then pin order (an empty SPI range
 * routes nothing). */
static void add_routes(struct dtb_bridge *b, const struct guest_layout *lay)
{
    for (unsigned slot = INTX_ROUTE_FIRST_SLOT; slot <= INTX_ROUTE_LAST_SLOT; slot++)
        for (unsigned pin = 1; pin <= INTX_ROUTE_PINS; pin++) {
            uint32_t spi = intx_route_spi(lay, (uint8_t)slot, (uint8_t)pin);
            if (spi)
                b->routes[b->nroutes++] = (struct dtb_intx_route){
                    .bus = b->bus_first, .slot = (uint8_t)slot, .pin = (uint8_t)pin,
                    .spi = spi };
        }
}

static int cmp_bridge(const void *a, const void *b)
{
    const struct dtb_bridge *x = a, *y = b;
    return (x->bus_first > y->bus_first) - (x->bus_first < y->bus_first);
}

static int check_ecam(const struct dtb_plan *p, const struct guest_layout *lay,
                      char *err, size_t errlen)
{
    for (unsigned i = 0; i < p->nbridges; i++) {
        const struct dtb_bridge *b = &p->bridges[i];
        uint64_t end = ((uint64_t)b->bus_last + 1) * DTB_ECAM_BUS_SIZE;
        if (end > lay->ecam_size) {
            snprintf(err, errlen, "segment %04x: bus %02x lies outside the guest ECAM window "
                     "(%#llx bytes at %#llx)", b->seg, b->bus_last,
                     (unsigned long long)lay->ecam_size, (unsigned long long)lay->ecam_base);
            return -EINVAL;
        }
        if (i > 0 && p->bridges[i - 1].bus_last >= b->bus_first) {
            snprintf(err, errlen, "segments %04x and %04x both use guest bus %02x, but they "
                     "share one ECAM window: give them disjoint buses",
                     p->bridges[i - 1].seg, b->seg, b->bus_first);
            return -EINVAL;
        }
    }
    return 0;
}

int dtb_plan_make(const struct domain_assign *da, const struct guest_layout *lay,
                  bool empty_bridge, struct dtb_plan *plan, char *err, size_t errlen)
{
    int rc;

    memset(plan, 0, sizeof(*plan));
    if (!da || !lay || (da->ndevs == 0 && !empty_bridge)) {
        snprintf(err, errlen, "domain %u has no devices to describe", da ? da->domid : 0);
        return -EINVAL;
    }
    if (da->ndevs > PCIPT_MAX_DEVS) {
        snprintf(err, errlen, "domain %u has %u devices; at most %u are supported",
                 da->domid, da->ndevs, PCIPT_MAX_DEVS);
        return -EINVAL;
    }
    if (lay->ecam_size < DTB_ECAM_BUS_SIZE || lay->mem_size == 0) {
        snprintf(err, errlen, "the guest layout has no ECAM window or no 32-bit memory window");
        return -EINVAL;
    }
    for (unsigned i = 0; i < da->ndevs; i++) {
        const struct dev_assign *d = &da->devs[i];
        rc = check_device(da, i, lay, err, errlen);
        if (rc)
            return rc;
        bridge_for(plan, d->guest.seg, d->guest.bus);
    }
    /* an empty guest: the bridge plan_domain puts every device behind
     * (segment 0, bus 0: pcipt/assign/plan.c), so a hot-plugged one finds
     * its route */
    if (!plan->nbridges)
        bridge_for(plan, 0, 0);
    for (unsigned i = 0; i < plan->nbridges; i++)
        add_routes(&plan->bridges[i], lay);
    qsort(plan->bridges, plan->nbridges, sizeof(plan->bridges[0]), cmp_bridge);
    return check_ecam(plan, lay, err, errlen);
}
