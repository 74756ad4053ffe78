/* Internals of the simulated guest enumerator (pcipt/simulate/guest_enum*.c). */
#ifndef PCIPT_GUEST_ENUM_INT_H
#define PCIPT_GUEST_ENUM_INT_H

#include "pcipt/simulate/guest_enum.h"

/* Config-space offsets and bits (PCI Local Bus 3.0 ch. 6, PCIe 5.0 ch. 7). */
#define PCI_VENDOR_ID      0x00
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_CLASS_REV      0x08
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS         0x2c
#define PCI_ROM_T0         0x30
#define PCI_ROM_T1         0x38
#define PCI_CAP_PTR        0x34
#define PCI_INT_LINE       0x3c
#define PCI_INT_PIN        0x3d
#define PCI_EXT_CAP_START  0x100

#define CMD_IO             0x0001
#define CMD_MEM            0x0002
#define CMD_MASTER         0x0004
#define CMD_INTX_DISABLE   0x0400
#define STATUS_CAP_LIST    0x0010
#define HDR_MULTIFN        0x80

#define BAR_IO_SPACE       0x1u
#define BAR_MEM_TYPE_MASK  0x6u
#define BAR_MEM_TYPE_64    0x4u
#define BAR_MEM_PREFETCH   0x8u
#define BAR_MEM_ADDR_MASK  0xfffffff0u
#define BAR_IO_ADDR_MASK   0xfffffffcu
#define ROM_ENABLE         0x1u
#define ROM_ADDR_MASK      0xfffff800u

#define CAP_ID_PM          0x01
#define CAP_ID_MSI         0x05
#define CAP_ID_PCIE        0x10
#define CAP_ID_MSIX        0x11

/* One enumeration's state: the vCPU's accessor and where results go. */
struct genum {
    const struct guest_bus_ops *ops;
    void *ctx;
    const struct guest_enum_config *cfg;
    struct guest_enum_result *res;   /* counts go here (NULL: not counted) */
    int first_err;                   /* first abort's -errno */
};

/* Counted config loads/stores of size 1, 2 or 4 at reg of bdf.  A load
 * that aborts returns all-ones of its size; an aborted store is dropped. */
uint32_t ge_read(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size);
void ge_write(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size,
              uint32_t val);

/* guest_enum_probe.c */
void ge_size_bars(struct genum *g, struct guest_func *fn);
/* guest_enum_caps.c */
void ge_walk_caps(struct genum *g, struct guest_func *fn);
void ge_enable_msi(struct genum *g, struct guest_func *fn, uint32_t data);
/* guest_enum_assign.c */
void ge_assign_all(struct genum *g);
void ge_enable_all(struct genum *g);

#endif
