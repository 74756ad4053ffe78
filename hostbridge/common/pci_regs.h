/* PCI configuration-space registers and bits: the one home for every layer
 * (hostbridge/ engine, its/, the daemon, the simulated guest, host
 * discovery, tests).  Sections are of the PCI Local Bus Specification 3.0
 * ("PCI 3.0") and the PCI Express Base Specification 4.0 ("PCIe 4.0").
 * Names avoid libpci's <pci/header.h> ones so both headers can meet in one
 * file. */
#ifndef HOSTBRIDGE_PCI_REGS_H
#define HOSTBRIDGE_PCI_REGS_H

/* Type-0 header offsets (PCI 3.0 §6.1, Figure 6-1; type 1: PCI-to-PCI Bridge
 * Architecture 1.2 §3.2, only the ROM offset differs). */
#define PCI_CFG_VENDOR_ID     0x00
#define PCI_CFG_COMMAND       0x04
#define PCI_CFG_STATUS        0x06
#define PCI_CFG_CLASS_REV     0x08
#define PCI_CFG_HEADER_TYPE   0x0e
#define PCI_CFG_BAR0          0x10
#define PCI_CFG_SUBSYS        0x2c
#define PCI_CFG_ROM_T0        0x30     /* Expansion ROM BAR, type 0 header */
#define PCI_CFG_CAP_PTR       0x34
#define PCI_CFG_ROM_T1        0x38     /* Expansion ROM BAR, type 1 header */
#define PCI_CFG_INT_LINE      0x3c
#define PCI_CFG_INT_PIN       0x3d
#define PCI_CFG_EXT_CAP_START 0x100    /* PCIe 4.0 §7.6: extended capabilities start */
#define PCI_CFG_SIZE          4096     /* PCIe 4.0 §7.2.2: 4 KiB per function */

/* Command register (PCI 3.0 §6.2.2). */
#define PCI_CMD_IO            0x0001   /* bit 0: I/O Space */
#define PCI_CMD_MEMORY        0x0002   /* bit 1: Memory Space */
#define PCI_CMD_MASTER        0x0004   /* bit 2: Bus Master */
#define PCI_CMD_INTX_DISABLE  0x0400   /* bit 10: Interrupt Disable */

/* Status register (PCI 3.0 §6.2.3). */
#define PCI_STS_INTERRUPT     0x0008   /* bit 3: Interrupt Status */
#define PCI_STS_CAP_LIST      0x0010   /* bit 4: Capabilities List */

/* Header Type (PCI 3.0 §6.2.1): bit 7 = multi-function device. */
#define PCI_HDR_MULTIFN       0x80
#define PCI_HDR_LAYOUT_MASK   0x7f

/* Base Address Registers (PCI 3.0 §6.2.5.1) and the Expansion ROM BAR
 * (§6.2.5.2). */
#define PCI_BAR_IO_SPACE      0x1u          /* bit 0: I/O (1) or memory (0) */
#define PCI_BAR_MEM_TYPE_MASK 0x6u          /* bits 2:1: 00 32-bit, 10 64-bit */
#define PCI_BAR_MEM_TYPE_64   0x4u
#define PCI_BAR_MEM_PREFETCH  0x8u          /* bit 3: Prefetchable */
#define PCI_BAR_MEM_ADDR_MASK 0xfffffff0u
#define PCI_BAR_IO_ADDR_MASK  0xfffffffcu
#define PCI_ROM_ENABLE        0x1u          /* bit 0: Expansion ROM Enable */
#define PCI_ROM_ADDR_MASK     0xfffff800u   /* bits 31:11: ROM base address */

/* Capability IDs (PCI Code and ID Assignment Specification 1.11 §2; PCI 3.0
 * §6.7 for the list itself: it starts at PCI_CFG_CAP_PTR when Status bit 4 is
 * set, entries are dword aligned at 0x40..0xff, so a walk sees at most
 * (256 - 64) / 4 entries). */
#define PCI_CAPID_PM          0x01
#define PCI_CAPID_MSI         0x05
#define PCI_CAPID_PCIE        0x10
#define PCI_CAPID_MSIX        0x11
#define PCI_MAX_LEGACY_CAPS   48
/* Extended capabilities (PCIe 4.0 §7.6): dword aligned in 0x100..0xfff. */
#define PCI_MAX_EXT_CAPS      960      /* (4096 - 256) / 4 */

/* MSI Message Control (PCI 3.0 §6.8.1.3). */
#define PCI_MSI_CTRL_ENABLE   0x0001   /* bit 0: MSI Enable */
#define PCI_MSI_CTRL_MMC      0x000e   /* bits 3:1: Multiple Message Capable */
#define PCI_MSI_CTRL_MME      0x0070   /* bits 6:4: Multiple Message Enable */
#define PCI_MSI_CTRL_64       0x0080   /* bit 7: 64-bit address capable */
#define PCI_MSI_CTRL_PVM      0x0100   /* bit 8: per-vector masking capable */
#define PCI_MSI_MMC(ctl)      (((ctl) >> 1) & 7u)    /* log2 of vectors offered */

/* MSI-X (PCI 3.0 §6.8.2.3 Message Control; §6.8.2.4/5 Table and PBA
 * Offset/BIR). */
#define PCI_MSIX_CTRL_ENABLE  0x8000   /* bit 15: MSI-X Enable */
#define PCI_MSIX_CTRL_MASK    0x4000   /* bit 14: Function Mask */
#define PCI_MSIX_CTRL_SIZE    0x07ff   /* bits 10:0: Table Size, N - 1 */
#define PCI_MSIX_QSIZE(ctl)   (((ctl) & PCI_MSIX_CTRL_SIZE) + 1u)
#define PCI_MSIX_LOC_BIR(reg) ((reg) & 7u)           /* bits 2:0: BAR indicator */
#define PCI_MSIX_LOC_OFF(reg) ((reg) & ~7u)
#define PCI_MSIX_ENTRY_SIZE   16u                    /* §6.8.2.6 */

/* PCI Express Capabilities register, Device/Port Type (PCIe 4.0 §7.5.3.2). */
#define PCIE_TYPE_ENDPOINT    0x0
#define PCIE_TYPE_LEGACY      0x1
#define PCIE_TYPE_RCIEP       0x9
/* Device Control (PCIe 4.0 §7.5.3.4): bit 15 Initiate Function Level Reset. */
#define PCIE_DEVCTL_FLR       0x8000

#endif
