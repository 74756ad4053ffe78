/* A small fake ECAM bus for the simulated guest's tests: functions are a
 * 4 KiB config image plus a per-byte write mask, so BARs size the way real
 * ones do (the writable bits are the address bits above the size), 64-bit
 * pairs included; absent functions read all-ones.  It counts accesses and
 * BAR writes made while memory decode was on. */
#ifndef TESTS_FAKE_ECAM_H
#define TESTS_FAKE_ECAM_H

#include <stdbool.h>
#include <stdint.h>

#include "pcipt/simulate/guest_enum.h"

#define FAKE_ECAM_MAX_FNS 16

struct fake_fn {
    uint8_t bus, dev, fn;
    uint8_t cfg[4096];
    uint8_t wmask[4096];
    uint16_t last_cap, last_ext;   /* chain builders */
    uint8_t bar64_dwords;          /* bit i: BAR dword i belongs to a 64-bit pair */
};

struct fake_ecam {
    uint64_t base;
    uint8_t first_bus;
    unsigned nbuses;
    unsigned nfns;
    struct fake_fn fns[FAKE_ECAM_MAX_FNS];
    uint64_t reads, writes, aborts;
    /* Writes while Command.Mem was set: a sizing probe (all writable bits
     * of a BAR/ROM set), and any write to a 64-bit BAR's dword. */
    uint64_t probes_decoding, bar64_writes_decoding;
};

extern const struct guest_bus_ops fake_ecam_ops;   /* ctx = struct fake_ecam * */

struct fake_ecam *fake_ecam_new(uint64_t base, uint8_t first_bus, unsigned nbuses);
void fake_ecam_free(struct fake_ecam *fe);
struct fake_fn *fake_ecam_find(struct fake_ecam *fe, uint8_t bus, uint8_t dev, uint8_t fn);

/* A type-0 function with Command (I/O, Mem, Master, INTx-disable) and
 * Interrupt Line writable, no BARs, no capabilities. */
struct fake_fn *fake_fn_add(struct fake_ecam *fe, uint8_t bus, uint8_t dev, uint8_t fn,
                            uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t rev);

enum { FAKE_BAR_64 = 1, FAKE_BAR_PREF = 2, FAKE_BAR_IO = 4 };
void fake_fn_bar(struct fake_fn *f, unsigned idx, uint64_t size, unsigned flags, uint64_t addr);
void fake_fn_rom(struct fake_fn *f, uint32_t size);

/* Capabilities appended to the chain (Status bit 4 and 0x34 set). */
void fake_fn_cap(struct fake_fn *f, uint16_t off, uint8_t id);
void fake_fn_pm(struct fake_fn *f, uint16_t off);
void fake_fn_pcie(struct fake_fn *f, uint16_t off, uint8_t port_type);
void fake_fn_msi(struct fake_fn *f, uint16_t off, bool is64, bool maskable, unsigned mmc_log2);
void fake_fn_msix(struct fake_fn *f, uint16_t off, uint16_t entries, uint8_t bir,
                  uint32_t table_off, uint32_t pba_off);
void fake_fn_ext_cap(struct fake_fn *f, uint16_t off, uint16_t id, uint8_t ver);

void fake_fn_set(struct fake_fn *f, unsigned off, unsigned size, uint32_t val);
uint32_t fake_fn_get(const struct fake_fn *f, unsigned off, unsigned size);

/* The tests' standard bus (on fe's first bus): 6 functions found
 * (00.0, 02.0, 02.1, 02.3, 05.0, 07.0), 02.2 absent, 05.1 hidden behind a
 * single-function 05.0, 07.0 with looping capability lists. */
void fake_ecam_standard(struct fake_ecam *fe);
/* The same without 07.0: a bus a sane guest meets. */
void fake_ecam_typical(struct fake_ecam *fe);

/* The tests' guest configuration: ECAM 0x10000000, bus-range first..last,
 * MEM window 256 MiB at 0x23000000, prefetchable 4 GiB at 4 GiB,
 * doorbell 0x08090040, MSI + bus master + reassign. */
struct guest_enum_config fake_ecam_config(uint8_t first, uint8_t last);

#endif
