/* make bench: pcipt's hot paths measured against baselines taken in the same
 * run, reported as ratios (value / baseline; for a cost, lower is better) so
 * a regression or a win shows on any machine.  See docs/testing/bench.md and
 * docs/performance.md. */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/daemon/ioreq.h"

struct bench_opts {
    const char *src;          /* source tree (tests/data/dumps lives there) */
    const char *self;         /* this binary, for valgrind re-runs */
    bool quick;               /* fewer iterations (smoke runs) */
    bool no_instr;            /* skip the callgrind runs */
};

/* ---- report (bench_report.c) ---- */
/* One metric: value and baseline in `unit`; ratio = value / baseline. */
void bench_metric(const char *name, double value, double baseline, const char *unit,
                  const char *what);
/* A line of context printed under the table (how a metric was measured). */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The table, then one `metric=... value=... baseline=... ratio=... unit=...`
 * line per metric, then the notes.  Returns the number of metrics. */
unsigned bench_print(void);
/* `# machine: nproc, CPU model, memory, kernel` on stdout. */
void bench_machine(void);
/* Fail the run: print the sentence to stderr and exit(1). */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- time and statistics (bench_report.c) ---- */
uint64_t bench_now_ns(void);
/* q-quantile (0..1) of v[0..n) (sorts v in place; nearest rank). */
double bench_quantile(double *v, size_t n, double q);

/* ---- the measured device (bench_dev.c) ----
 * A real function (from a real dump, cap-pcie-2: Intel 82576, PM, MSI,
 * MSI-X, PCIe, extended capabilities) in a sysfs-shaped tree, opened through
 * libpci (hostpci) and presented at 00:01.0 of an emulated host bridge, with
 * the daemon's ioreq dispatcher in front of it. */
#define BENCH_ECAM_BASE 0x10000000ull   /* PCIPT_VPCI_ECAM_BASE */
#define BENCH_SLOT      1

struct bench_dev {
    char tree[64];
    struct hostpci *hp;
    struct host_dev *hd;
    struct vpci_topology *topo;
    struct ioreq_router router;
};

/* bus_last: the bridge's bus range is 0..bus_last (and the ECAM window the
 * router decodes covers exactly those buses). */
void bench_dev_open(struct bench_dev *d, const struct bench_opts *o, uint8_t bus_last);
void bench_dev_close(struct bench_dev *d);
/* One config access as the daemon handles it: an IOREQ_TYPE_COPY ioreq into
 * the ECAM window, through ioreq_dispatch (decode, engine, answer). */
uint32_t bench_dev_ecam_read(struct bench_dev *d, unsigned reg, unsigned size);
void bench_dev_ecam_write(struct bench_dev *d, unsigned reg, unsigned size, uint32_t val);

/* ---- the real-sysfs baseline (bench_real.c) ----
 * A real PCI function of this machine (a virtio one first; or
 * $PCIPT_BENCH_REAL_DEV=SBDF, "none" for no real function), through libpci
 * on /sys/bus/pci: what pciback and QEMU's xen_pt pay per config access.
 * Only read, never written. */
struct bench_real {
    char name[32];            /* its SBDF */
    struct hostpci *hp;
    struct host_dev *hd;
    bool extended;            /* its config beyond 64 bytes reads (root, PCIe) */
};
/* true when one was opened; else false with why (for the printed note). */
bool bench_real_open(struct bench_real *r, char *why, size_t whylen);
void bench_real_close(struct bench_real *r);

/* ---- the groups ---- */
void bench_cfg(const struct bench_opts *o);
void bench_ioreq(const struct bench_opts *o);
void bench_enum(const struct bench_opts *o);
void bench_map(const struct bench_opts *o);
void bench_msix(const struct bench_opts *o);
/* the real daemon under a write storm and decode toggles (bench_daemon.c) */
void bench_daemon(const struct bench_opts *o);
/* `pcipt-bench --ir-kernel NAME --iters N`: run one config kernel once
 * (what callgrind counts) and print `accesses=<n>`. */
int bench_cfg_ir_child(const struct bench_opts *o, const char *kernel, unsigned iters);

#endif
