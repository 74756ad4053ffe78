/* `pcipt simulate`: what a guest sees of host PCI functions, without Xen.
 * The real daemon (`pcipt --hv sim serve DOMID`, this very binary, as a
 * child process) serves a simulated domain whose vCPU threads enumerate
 * the bus as Linux's pci-host-generic does (pcipt/simulate/guest_enum.h).
 *
 * simulate_run(), in order (every step undone on failure or interrupt):
 *   1. a private throwaway directory (mkdtemp under $TMPDIR or /tmp) with
 *      the simulator's state (PCIPT_SIM_DIR), the lock directory
 *      (PCIPT_RUN_DIR) and a private real xenstored (pcipt/xs/xsd_launch.h);
 *   2. the sim domain (SIMULATE_DOMID, N vCPUs, RAM at GUEST_RAM0);
 *   3. attach_device() of each function on the --sysfs tree (or /sys),
 *      exactly as `pcipt attach` does;
 *   4. the daemon as a child, until it reports READY on a pipe;
 *   5. N vCPU threads, each with its own hv handle and vCPU index: each
 *      enumerates (one after the other, vCPU 0 first: see below), then all
 *      at the same time read every function's 4 KiB config space and the
 *      first dword of every assigned memory BAR and ROM (direct or trapped);
 *   6. the daemon stopped with SIGTERM: its final stats line is kept;
 *   7. the simulator's counters and the domain's p2m;
 *   8. teardown: daemon, xenstored, domain, the directory (unless keep).
 *
 * Rescans on one vCPU at a time: a guest never sizes one BAR from two
 * CPUs at once (Linux holds pci_rescan_remove_lock around a scan); two
 * interleaved sizings of one BAR would read each other's all-ones probe,
 * on hardware too.  The concurrent part is the read-only config dump. */
#ifndef PCIPT_SIMULATE_H
#define PCIPT_SIMULATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"
#include "pcipt/simulate/guest_enum.h"
#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/sbdf.h"

#define SIMULATE_DOMID      1
#define SIMULATE_MAX_VCPUS  128           /* Xen's GUEST_MAX_VCPUS on Arm */
#define SIMULATE_RAM_BASE   0x40000000ull /* PCIPT_RAM0_BASE */
#define SIMULATE_RAM_SIZE   0x8000000ull  /* 128 MiB: only its place matters */
#define SIMULATE_ITS_BASE   0x04020000ull /* GUEST_GICV3_ITS_BASE (vITS proposal) */
#define SIMULATE_WAIT_MS    30000         /* failsafe bound on any one wait */
#define SIMULATE_MAX_MAPS   512

struct simulate_dev {
    struct sbdf host;
    int slot;                   /* 1..31, -1: the lowest free one */
    int fn;                     /* 0..7 at that slot */
};

struct simulate_opts {
    const char *sysfs;          /* NULL: /sys/bus/pci */
    const char *config;         /* --config FILE, NULL: the default */
    unsigned vcpus;             /* 1..SIMULATE_MAX_VCPUS */
    unsigned attach_flags;      /* ATTACH_FORCE */
    int verbose;                /* passed on to the daemon (-v, -vv) */
    bool keep;                  /* leave the directory behind */
    const struct simulate_dev *devs;
    unsigned ndevs;             /* 1..PCIPT_MAX_DEVS */
};

/* A driver's first load from each assigned memory BAR (its first dword):
 * does it reach the device directly, or trap? */
enum simulate_touch {
    TOUCH_NONE = 0,         /* no assigned memory BAR / ROM here */
    TOUCH_DIRECT,           /* stage-2 mapped: no trap (value = host address) */
    TOUCH_TRAPPED,          /* not mapped: the daemon's BAR window answered */
    TOUCH_ABORT,            /* the guest took a data abort */
};
struct simulate_touch_result {
    enum simulate_touch kind;
    uint32_t value;
};

struct simulate_vcpu {
    struct guest_enum_result *res;  /* this vCPU's enumeration */
    uint8_t *cfg;                   /* nfuncs x 4096: its concurrent dump */
    struct simulate_touch_result (*touch)[GUEST_ENUM_NBARS + 1];   /* nfuncs of them */
    int rc;
};

struct simulate_report {
    char dir[256];                  /* the private directory (gone unless keep) */
    uint32_t domid;
    struct guest_layout layout;
    unsigned ndevs;
    struct sbdf host[PCIPT_MAX_DEVS], guest[PCIPT_MAX_DEVS];
    unsigned nvcpus;
    struct simulate_vcpu *vcpu;     /* nvcpus of them */
    char stats[1024];               /* the daemon's final "pciptd: stats" line */
    struct sim_domain_info dom;     /* the simulator's counters */
    struct sim_mapping maps[SIMULATE_MAX_MAPS];
    unsigned nmaps;
};

/* Set by the caller's SIGINT/SIGTERM/SIGHUP handler: the run stops at the
 * next guest access or wait, tears down and returns -EINTR. */
extern volatile sig_atomic_t simulate_interrupted;

/* 0, or -errno with one sentence in err naming the device, vCPU, file or
 * program at fault.  r is filled on success; free it with
 * simulate_report_free() in every case. */
int simulate_run(const struct simulate_opts *o, struct simulate_report *r, char *err,
                 size_t errlen);
void simulate_report_free(struct simulate_report *r);

/* Output (pcipt/simulate/simulate_print.c). */
void simulate_print_text(FILE *f, const struct simulate_report *r);
void simulate_print_json(FILE *f, const struct simulate_report *r);
/* The guest's config spaces in `lspci -xxxx` form (for `lspci -F`). */
int simulate_write_lspci_dump(FILE *f, const struct simulate_report *r);
/* value of key in the stats line; -1 if absent. */
long long simulate_stat(const char *stats, const char *key);

#endif
