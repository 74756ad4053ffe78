/* The guest's device-tree description of its emulated PCI host bridge(s): a
 * partial FDT for xl's `device_tree=` option.
 *
 * libxl copies only /passthrough and /aliases from a partial FDT
 * (tools/libs/light/libxl_arm.c copy_partial_fdt; docs/misc/arm/passthrough.txt),
 * so everything lives under /passthrough (a "simple-bus" with identity
 * `ranges`).  One pcie@<ecam> node per guest PCI segment, shaped like
 * libxl's make_vpci_node but trimmed to the buses in use and carrying what
 * libxl leaves out: INTx (interrupt-map to guest SPIs through the GIC,
 * phandle 65000) and, when a vITS is offered, msi-map and the ITS node
 * its@4020000 beside the bridges (docs/xen-facts.md "Guest device tree",
 * "vITS"; docs/design/guest-dt-its.md). */
#ifndef HOSTBRIDGE_DTB_H
#define HOSTBRIDGE_DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"

/* xen/include/public/device_tree_defs.h */
#define PCIPT_PHANDLE_GIC         65000u
/* Proposed with the domU vITS patches on xen-devel (not upstream). */
#define GUEST_PHANDLE_ITS_DEFAULT 64999u
/* libxl make_gicv3_node: #address-cells = <0>, #interrupt-cells = <3>. */
#define GUEST_GIC_ADDRESS_CELLS   0u
#define GUEST_GIC_INTERRUPT_CELLS 3u

/* OF PCI phys.hi (IEEE 1275 PCI binding: npt000ss bbbbbbbb dddddfff rrrrrrrr) */
#define OF_PCI_MEM32        0x02000000u
#define OF_PCI_PREF_MEM32   0x42000000u   /* GUEST_VPCI_ADDR_TYPE_PREFETCH_MEM, Xen 4.16-4.18 */
#define OF_PCI_PREF_MEM64   0x43000000u   /* Xen 4.19+ (232ee07c23) */

#define DTB_ECAM_BUS_SIZE   (1ull << 20)  /* ECAM: bus<<20 | dev<<15 | fn<<12 | reg */
#define DTB_MAX_SIZE        (256u * 1024u) /* 32 bridges of 124 routes need < 200 KiB */

struct dtb_options {
    unsigned xen_major, xen_minor;    /* selects the prefetchable phys.hi */
    bool vits;                        /* emit the ITS node and msi-map to it */
    uint64_t its_base;                /* guest address of the vITS (ITS_GUEST_VITS_BASE) */
    uint32_t its_phandle;             /* phandle of the guest's ITS node */
    uint32_t gic_phandle;             /* PCIPT_PHANDLE_GIC */
    unsigned gic_address_cells;       /* the GIC node's #address-cells (0 upstream) */
    bool empty_bridge;                /* no device: still segment 0 bus 0's bridge, every
                                         slot routed (pcipt create's empty guest) */
};

/* Xen 4.17, no vITS, upstream GIC phandle and cells. */
void dtb_options_default(struct dtb_options *o);

/* phys.hi of the prefetchable (high) window for a Xen version. */
uint32_t dtb_prefetch_phys_hi(unsigned xen_major, unsigned xen_minor);

/* Build the partial FDT into buf (bufsize bytes).  Returns the FDT's total
 * size, or -errno with a sentence in err: -EINVAL for an assignment the
 * tree cannot describe (no devices, bus range outside the ECAM window,
 * overlapping segments, conflicting INTx routes), -ENOSPC if buf is small. */
int dtb_build(const struct domain_assign *da, const struct guest_layout *lay,
              const struct dtb_options *o, void *buf, size_t bufsize,
              char *err, size_t errlen);

/* Build and write to path atomically (path.tmpXXXXXX then rename); nothing
 * is left at path or beside it on failure.  0 or -errno (+ err). */
int dtb_write_file(const char *path, const struct domain_assign *da,
                   const struct guest_layout *lay, const struct dtb_options *o,
                   char *err, size_t errlen);

#endif
