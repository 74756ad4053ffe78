/* Helpers for the dtb tests: build assignments, read an FDT back. */
#ifndef TESTS_DTB_UTIL_H
#define TESTS_DTB_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"

/* Xen's default holes, SPIs 44..99 for INTx. */
void dtbt_layout(struct guest_layout *lay);
/* Append a device: host seg:hbus:hdev.hfn at guest seg:gbus:gslot.gfn. */
void dtbt_add(struct domain_assign *da, uint16_t seg, uint8_t hbus, uint8_t hdev, uint8_t hfn,
              uint8_t gbus, uint8_t gslot, uint8_t gfn, uint8_t pin, uint32_t spi);
/* Offset of the node at path (asserts it exists). */
int dtbt_node(const void *fdt, const char *path);
/* Assert a property holds exactly these cells (n = 0: present and empty). */
void dtbt_assert_cells(const void *fdt, int node, const char *prop, const uint32_t *cells,
                       unsigned n);
void dtbt_assert_str(const void *fdt, int node, const char *prop, const char *val);
/* Every bridge's bus-range and reg cover exactly the buses its devices use. */
void dtbt_assert_fits(const void *fdt, const struct domain_assign *da);

/* Read a blob file (malloc'd; asserts it exists and has a valid header). */
void *dtbt_load(const char *path);

/* What the guest's interrupt-map says for (bus, slot, pin): the lookup an
 * OS does (IEEE 1275 PCI binding / Linux of_irq_parse_raw): the child unit
 * address <bus<<16 | slot<<11, 0, 0> and pin, ANDed with
 * interrupt-map-mask, matched against each entry; the parent is the GIC
 * as libxl's make_gicv3_node writes it (#address-cells 0, #interrupt-cells
 * 3).  Returns the entry's GIC cells (type, number, flags) through gic[3]
 * and true, or false if no entry matches. */
bool dtbt_intx_lookup(const void *fdt, int node, uint8_t bus, uint8_t slot, uint8_t pin,
                      uint32_t gic[3]);
/* The bridge node routes every slot 1..31 and pin INTA..INTD, one entry
 * each (entry = 4 + 1 + gic_address_cells + 3 cells), and each resolves
 * (dtbt_intx_lookup, on any bus: the mask ignores it) to a level-high GIC
 * SPI spi_base + (slot - 1 + pin - 1) mod spi_count: the swizzle
 * docs/design/xl.md states, written out here independently of
 * pcipt/assign/intx_route.c.  Lookups use GIC #address-cells 0 only. */
void dtbt_assert_every_slot_routed(const void *fdt, int node, uint32_t spi_base,
                                   uint32_t spi_count, unsigned gic_address_cells);

#endif
