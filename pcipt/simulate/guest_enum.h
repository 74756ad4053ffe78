/* The simulated guest: a Linux-like PCI enumerator that drives an ECAM host
 * bridge only through a vCPU's MMIO loads and stores (struct guest_bus_ops).
 * It scans, sizes BARs, walks capability lists, assigns addresses from the
 * device-tree windows, enables decode/bus master and MSI, and counts every
 * access.  No global state: several threads may enumerate at once, each
 * with its own ctx (one vCPU each). */
#ifndef PCIPT_GUEST_ENUM_H
#define PCIPT_GUEST_ENUM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hostbridge/common/sbdf.h"

/* A guest vCPU's MMIO access at guest-physical address gpa, size 1/2/4(/8).
 * Return 0, or -errno when the guest would take a (data) abort. */
struct guest_bus_ops {
    int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
    int (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
};

enum guest_enum_flags {
    GUEST_ENUM_ENABLE_MSI    = 1u << 0, /* program + enable MSI (1 vector) */
    GUEST_ENUM_BUS_MASTER    = 1u << 1, /* set Command.BusMaster */
    GUEST_ENUM_REASSIGN      = 1u << 2, /* ignore firmware's BAR addresses */
    GUEST_ENUM_ROOT_BUS_ONLY = 1u << 3, /* scan bus_first only, as Linux does
                                           (it descends through bridges; every
                                           bus in range otherwise) */
    GUEST_ENUM_PER_BAR_DECODE = 1u << 4, /* Linux before 6.14: read Command and
                                            turn decode off around each BAR
                                            (default: once per function) */
};

struct guest_window {
    uint64_t base;
    uint64_t size;      /* 0: no such window */
};

struct guest_enum_config {
    uint64_t ecam_base;          /* ECAM of bus bus_first (DT "reg") */
    uint8_t bus_first, bus_last; /* DT "bus-range" */
    struct guest_window mem32;   /* 32-bit non-prefetchable MEM window */
    struct guest_window pref64;  /* 64-bit prefetchable window */
    uint64_t msi_doorbell;       /* e.g. GITS_TRANSLATER of the vITS */
    uint32_t msi_event_base;     /* MSI data of the n-th function found = base + n */
    unsigned flags;              /* enum guest_enum_flags */
};

#define GUEST_ENUM_MAX_FUNCS 128
#define GUEST_ENUM_MAX_CAPS  48   /* Linux's PCI_FIND_CAP_TTL */
#define GUEST_ENUM_MAX_EXT   32
#define GUEST_ENUM_NBARS     6
#define GUEST_ENUM_ROM       GUEST_ENUM_NBARS /* index of the ROM in res[] */

enum guest_bar_kind { GUEST_BAR_NONE = 0, GUEST_BAR_MEM, GUEST_BAR_IO, GUEST_BAR_ROM };

struct guest_bar {
    enum guest_bar_kind kind;
    bool is64;          /* 64-bit memory BAR (occupies this index and the next) */
    bool prefetch;
    bool assigned;      /* addr is valid (given by us or kept from firmware) */
    bool readback_bad;  /* address written did not read back */
    uint64_t size;
    uint64_t addr;
};

struct guest_cap {
    uint16_t id;
    uint16_t off;
    uint8_t version;    /* extended capabilities only */
};

struct guest_func {
    struct sbdf bdf;
    uint16_t vendor, device;
    uint32_t class_code;      /* base << 16 | sub << 8 | prog-if */
    uint8_t rev;
    uint8_t hdr_type;         /* without the multi-function bit */
    bool multifunction;
    uint16_t subsys_vendor, subsys_id;
    uint16_t command;         /* as left at the end */
    uint16_t status;
    uint8_t irq_pin, irq_line;
    struct guest_bar res[GUEST_ENUM_NBARS + 1]; /* BARs 0..5, then the ROM */

    unsigned ncaps;
    struct guest_cap caps[GUEST_ENUM_MAX_CAPS];
    bool caps_truncated;      /* walk stopped by the bound (looping list) */
    unsigned next;
    struct guest_cap ext[GUEST_ENUM_MAX_EXT];
    bool ext_truncated;

    uint8_t pm_version;       /* 0: no PM capability */
    uint8_t pcie_type;        /* device/port type; 0xff: no PCIe capability */
    bool msi_present, msi_64, msi_maskable, msi_enabled;
    uint8_t msi_vectors;      /* multiple message capable, as a count */
    uint64_t msi_addr;        /* read back after programming */
    uint16_t msi_data;
    bool msix_present, msix_enabled;
    uint16_t msix_table_size; /* entries */
    uint8_t msix_table_bir, msix_pba_bir;
    uint32_t msix_table_off, msix_pba_off;
};

struct guest_enum_result {
    unsigned nfuncs;
    bool funcs_truncated;     /* more than GUEST_ENUM_MAX_FUNCS present */
    struct guest_func funcs[GUEST_ENUM_MAX_FUNCS];
    unsigned unassigned;      /* memory BARs/ROMs that did not fit a window */
    /* Access counts: every MMIO load/store issued, and the aborts taken. */
    uint64_t cfg_reads, cfg_writes, aborts;
};

/* Enumerate as Linux's pci-host-generic + PCI core do at boot.  Returns 0,
 * -EINVAL for a bad config (bus range, overlapping windows, NULL ops).
 * Guest aborts are counted, never fatal (the read yields all-ones). */
int guest_enumerate(const struct guest_bus_ops *ops, void *ctx,
                    const struct guest_enum_config *cfg, struct guest_enum_result *out);

/* Same topology, IDs, BARs (sizes, types, addresses), capabilities, MSI
 * state?  Access counts are not compared. */
bool guest_enum_result_equal(const struct guest_enum_result *a,
                             const struct guest_enum_result *b);

/* An `lspci -vv`-like listing of everything found, then the access counts. */
void guest_enum_print(FILE *f, const struct guest_enum_result *r);

/* Read a function's whole config space with 4-byte loads (aborted ones
 * leave ff).  Returns 0, -EINVAL (bus outside the range), or the first
 * abort's -errno after filling all of out. */
int guest_enum_dump_config(const struct guest_bus_ops *ops, void *ctx,
                           const struct guest_enum_config *cfg, const struct sbdf *bdf,
                           uint8_t out[4096]);

/* Names for the listing. */
const char *guest_cap_name(uint16_t id);
const char *guest_ext_cap_name(uint16_t id);

#endif
