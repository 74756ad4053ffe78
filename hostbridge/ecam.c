/* Decoding both guest encodings of a config access into struct cfg_req
 * (docs/xen-facts.md "ECAM accesses arrive as IOREQ_TYPE_COPY"):
 * an ECAM window offset (PCIe Base §7.2.2:
 * bus<<20 | dev<<15 | fn<<12 | reg) and IOREQ_TYPE_PCI_CONFIG's
 * addr = SBDF<<32 | reg.  A request that cannot be valid gets reg 0xffff,
 * which the access validation treats as a bad access. */
#include "hostbridge/cfg.h"

#define CFG_BAD_REG 0xffff

void ecam_decode(uint64_t offset, uint16_t seg, uint8_t bus_base, struct cfg_req *r)
{
    uint64_t bus = (offset >> 20) + bus_base;
    r->seg = seg;
    r->bus = (uint8_t)bus;
    r->dev = (offset >> 15) & 0x1f;
    r->fn = (offset >> 12) & 0x7;
    r->reg = offset & 0xfff;
    if (bus > 0xff)     /* beyond the 256 buses an ECAM window can hold */
        r->reg = CFG_BAD_REG;
}

void pci_config_decode(uint64_t addr, uint32_t size, struct cfg_req *r)
{
    uint32_t sbdf = (uint32_t)(addr >> 32), reg = (uint32_t)addr;
    r->seg = (uint16_t)(sbdf >> 16);
    r->bus = (uint8_t)(sbdf >> 8);
    r->dev = (sbdf >> 3) & 0x1f;
    r->fn = sbdf & 0x7;
    r->reg = reg >= 4096 ? CFG_BAD_REG : (uint16_t)reg;
    r->size = size > 0xff ? 0 : (uint8_t)size;
}
