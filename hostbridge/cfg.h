/* One internal config request: what both guest encodings become.
 *   ECAM (IOREQ_TYPE_COPY in the ECAM window): offset = bus<<20 | dev<<15 | fn<<12 | reg
 *   IOREQ_TYPE_PCI_CONFIG (x86 Xen):            addr = SBDF<<32 | reg
 * (docs/xen-facts.md "ECAM accesses arrive as IOREQ_TYPE_COPY"). */
#ifndef HOSTBRIDGE_CFG_H
#define HOSTBRIDGE_CFG_H

#include <stdbool.h>
#include <stdint.h>

struct cfg_req {
    uint16_t seg;
    uint8_t bus;
    uint8_t dev;       /* 0..31 */
    uint8_t fn;        /* 0..7 */
    uint16_t reg;      /* byte offset in the function's config space */
    uint8_t size;      /* as the guest issued it: anything; validated later */
};

/* Decode an offset into an ECAM window that starts at bus `bus_base`.
 * r->size is not touched: the caller sets it from the access.  A bus beyond
 * 255 makes reg 0xffff (a bad access). */
void ecam_decode(uint64_t offset, uint16_t seg, uint8_t bus_base, struct cfg_req *r);
/* Decode IOREQ_TYPE_PCI_CONFIG's addr.  reg keeps bits 31:0 (truncated to
 * 16 bits after a range check: anything >= 4096 becomes 0xffff, a bad access). */
void pci_config_decode(uint64_t addr, uint32_t size, struct cfg_req *r);

#endif
