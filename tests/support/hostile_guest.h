/* A hostile guest for the daemon tests: a scripted, deterministic
 * pseudo-random vCPU that hammers the ECAM window, the BAR holes, the BARs,
 * MSI/MSI-X and FLR of the devices it finds, through the sim hypervisor's
 * guest side (sim_guest_mmio, sim_guest_raw_ioreq).  Everything it does
 * follows from its seed (print it: a failure is then reproducible with
 * PCIPT_HOSTILE_SEED).  It never asserts: it counts what went wrong, so it
 * may run in several threads at once (one struct hostile_guest, one struct
 * hv per vCPU) and the test asserts on the counts. */
#ifndef TESTS_HOSTILE_GUEST_H
#define TESTS_HOSTILE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"
#include "pcipt/hv/hv.h"

#define HG_MAX_DEVS 4
#define HG_WAIT_MS 20000          /* failsafe only */

/* What the guest knows about one virtual function (filled by hg_discover
 * from its own config reads, sizes from the assignment). */
struct hg_dev {
    unsigned slot;                /* device number on bus 0 */
    uint32_t id;                  /* vendor | device << 16 as first read */
    struct dev_assign as;         /* BAR kinds and sizes */
    unsigned msi, msix, pcie;     /* capability offsets, 0 = none */
    uint32_t msix_loc[2];         /* the host's MSI-X Table and PBA registers (BIR |
                                     offset; the pages stay trapped even when the
                                     capability is hidden), 0 = no MSI-X */
    unsigned msix_n;              /* its table size */
};

struct hostile_guest {
    struct hv *g;                 /* this vCPU's own hv */
    uint32_t domid;
    uint16_t server;              /* IOREQ server id (raw requests) */
    unsigned vcpu;
    uint64_t rng;
    struct guest_layout lay;
    unsigned ndevs;
    struct hg_dev devs[HG_MAX_DEVS];
    /* counts */
    uint64_t accesses;            /* MMIO accesses issued */
    uint64_t aborts_outside;      /* data aborts outside every claimed range (fine) */
    uint64_t aborts_claimed;      /* data aborts inside ECAM bus window or a hole (bad) */
    uint64_t errors;              /* timeouts, protocol errors, wrong answers (bad) */
    uint64_t raw_sent, malformed_sent, unknown_type_sent;
    uint64_t flr_sent[HG_MAX_DEVS];   /* by hg_phase_flr, per device */
    char first_error[160];
    /* Other vCPUs move the same BARs meanwhile: this vCPU's idea of where a
     * BAR (and its MSI-X pages) sits may be stale, so a hole's answer is not
     * checked (anything may have moved there); aborts still are. */
    bool concurrent_moves;
};

void hg_init(struct hostile_guest *h, struct hv *g, uint32_t domid, uint16_t server,
             unsigned vcpu, uint64_t seed);
/* Add a device (its assignment); returns -ENOSPC when full. */
int hg_add_dev(struct hostile_guest *h, const struct dev_assign *as);
/* Read IDs and walk the capability lists of the added devices. */
void hg_discover(struct hostile_guest *h);
uint64_t hg_rand(struct hostile_guest *h);

/* Phases (iterations bound the work; each is deterministic for a seed). */
void hg_phase_ecam(struct hostile_guest *h, unsigned per_func);
void hg_phase_raw(struct hostile_guest *h, unsigned n);
void hg_phase_windows(struct hostile_guest *h, unsigned n);
void hg_phase_bar_games(struct hostile_guest *h, unsigned n);
void hg_phase_msi(struct hostile_guest *h, unsigned n);
void hg_phase_flr(struct hostile_guest *h, unsigned n);
/* Decode off, every BAR back at its planned address, decode on. */
void hg_restore(struct hostile_guest *h);
/* n operations, each picked at random from all of the above. */
void hg_phase_mixed(struct hostile_guest *h, unsigned n);

/* One config read through ECAM (all-ones on failure; counted). */
uint32_t hg_cfg_read(struct hostile_guest *h, unsigned slot, unsigned reg, unsigned size);
void hg_cfg_write(struct hostile_guest *h, unsigned slot, unsigned reg, unsigned size,
                  uint64_t val);

#endif
