/* An assignment: which host function sits where in which guest, and where
 * each of its BARs lives in guest physical memory.  Produced by the planner
 * (pcipt/assign/plan.c), applied by attach (pcipt/assign/attach.c), published to and read
 * back from xenstore (pcipt/xs/xs_publish.c), served by the daemon. */
#ifndef PCIPT_ASSIGN_H
#define PCIPT_ASSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "hostbridge/common/sbdf.h"

struct bar_assign {
    enum bar_type type;          /* BAR_NONE: nothing to map */
    bool prefetchable;
    uint64_t host;               /* host physical address */
    uint64_t guest;              /* guest physical address (same in-page offset) */
    uint64_t size;               /* bytes, as the device decodes */
};

/* How the function's DMA is handled (docs/design/dma.md). */
enum dev_dma {
    DEV_DMA_OFF = 0,     /* no IOMMU context: the guest's Bus Master reads 0, host's off */
    DEV_DMA_IOMMU,       /* assigned to the domain's SMMU context: Bus Master reaches
                            the host, DMA stays inside the domain's p2m */
    DEV_DMA_UNSAFE,      /* --unsafe-dma without an IOMMU context: Bus Master reaches
                            the host, DMA reaches all host memory */
};

/* "off", "iommu", "unsafe" (the xenstore and status spelling). */
const char *dev_dma_name(enum dev_dma m);
/* 0, or -EINVAL for anything but those three words. */
int dev_dma_parse(const char *s, enum dev_dma *out);

/* Whether the function's MSI/MSI-X reaches the guest through Xen's virtual
 * ITS (docs/design/msi-announce.md): attach announced its DeviceID, or not
 * (the guest sees no MSI/MSI-X capability and uses INTx). */
enum dev_msi {
    DEV_MSI_OFF = 0,
    DEV_MSI_VITS,
};

/* "off", "vits" (the xenstore and status spelling). */
const char *dev_msi_name(enum dev_msi m);
/* 0, or -EINVAL for anything but those two words. */
int dev_msi_parse(const char *s, enum dev_msi *out);

struct dev_assign {
    struct sbdf host;            /* physical SBDF */
    struct sbdf guest;           /* virtual SBDF: seg, bus (bridge's first bus), slot, fn */
    struct bar_assign bars[PCI_NUM_RES];
    uint32_t spi;                /* guest SPI for INTx (0 = none) */
    uint8_t intx_pin;            /* 1..4, 0 = none */
    bool force;                  /* assigned with --force (no reset method) */
    bool unsafe_dma;             /* asked for --unsafe-dma (input to attach) */
    enum dev_dma dma;            /* what attach settled on */
    enum dev_msi msi;            /* what attach settled on */
    uint32_t its_guest_devid;    /* with msi vits: the DeviceID bound in Xen's vITS */
    uint32_t its_host_devid;     /* with msi vits: the host ITS DeviceID Xen derived */
    char reset[16];              /* how attach reset it (pcipt/host/host_reset.h): "flr",
                                    "pm", "bus", ... or "none-forced"; "" = not recorded */
};

#define PCIPT_MAX_DEVS 32

struct domain_assign {
    uint32_t domid;
    unsigned ndevs;
    struct dev_assign devs[PCIPT_MAX_DEVS];
};

/* Guest physical holes (Xen public/arch-arm.h); /etc/xen/pcipt.conf may
 * override them for hypervisors built with other holes. */
struct guest_layout {
    uint64_t ecam_base, ecam_size;        /* 0x10000000, 0x10000000 */
    uint64_t mem_base, mem_size;          /* 0x23000000, 0x10000000 (32-bit, non-prefetchable) */
    uint64_t pref_base, pref_size;        /* 0x100000000, 0x100000000 (64-bit prefetchable) */
    uint32_t spi_base, spi_count;         /* guest SPIs the INTx relay may raise */
};

#define PCIPT_VPCI_ECAM_BASE           0x10000000ull
#define PCIPT_VPCI_ECAM_SIZE           0x10000000ull
#define PCIPT_VPCI_MEM_ADDR            0x23000000ull
#define PCIPT_VPCI_MEM_SIZE            0x10000000ull
#define PCIPT_VPCI_PREFETCH_MEM_ADDR   0x100000000ull
#define PCIPT_VPCI_PREFETCH_MEM_SIZE   0x100000000ull
/* Guest RAM banks (GUEST_RAM0/1 in Xen's public arch-arm.h): never BAR space. */
#define PCIPT_RAM0_BASE                0x40000000ull
#define PCIPT_RAM0_SIZE                0xc0000000ull
#define PCIPT_RAM1_BASE                0x200000000ull
#define PCIPT_RAM1_SIZE                0xfe00000000ull

#endif
