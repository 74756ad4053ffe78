/* Running the real `pcipt --hv sim serve DOMID` for tests: a private
 * simulator (PCIPT_SIM_DIR) and a private real xenstored (XENSTORED_PATH,
 * started by the suite's unchecked fixture), a sysfs-shaped tree with
 * DFX_NDEVS copies of the cap-pcie-2 dump (Intel 82576: BAR0 128 KiB,
 * BAR1 4 MiB, BAR2 I/O, BAR3 16 KiB with the MSI-X table at 0 and the PBA
 * at 0x2000, ROM 4 MiB) at 0000:0N:00.0, each BAR moved down by
 * N * 128 MiB so no two devices share host pages. */
#ifndef TESTS_DAEMON_FX_H
#define TESTS_DAEMON_FX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pcipt/assign/assign.h"
#include "pcipt/hv/hv.h"
#include "tests/support/run_util.h"

#define DFX_NDEVS 5
#define DFX_VCPUS 4
#define DFX_WAIT_MS 20000     /* failsafe only */

extern char dfx_tree[64];

/* Checked fixture: sim + tree + a clean store. */
void dfx_setup(void);
void dfx_teardown(void);

/* A domain with vcpus vCPUs and RAM at GUEST_RAM0. */
void dfx_domain(uint32_t domid, unsigned vcpus);
/* Plan + grant + publish host device 0000:0n:00.0 (n = 1..DFX_NDEVS) at the
 * lowest free slot, as attach does (without mapping: the daemon maps what
 * the p2m records do not say is mapped). */
/* Called by dfx_assign after planning, just before publishing (tests that
 * break the host device only once it is planned). */
extern void (*dfx_pre_publish)(void);
/* pcipt/dev-N/msi that dfx_assign writes after publishing ("vits" after
 * dfx_setup, as attach writes it where Xen has the vITS; NULL: none). */
extern const char *dfx_msi;
void dfx_assign(uint32_t domid, unsigned n, struct dev_assign *out);
/* The same at guest slot `slot` (-1: the lowest free). */
void dfx_assign_at(uint32_t domid, unsigned n, int slot, struct dev_assign *out);
/* Several of them planned together (as `pcipt create` and `guest-view`
 * plan), host device 0000:0n:00.0 at virtual slot (-1: lowest free) and
 * function fn each; out[k] is fns[k]'s assignment. */
struct dfx_fn {
    unsigned n;
    int slot, fn;
};
void dfx_assign_fns(uint32_t domid, const struct dfx_fn *fns, unsigned count,
                    struct dev_assign *out);

struct dfx_daemon {
    struct run_proc proc;     /* started by run_start (tests/support/run_util.h) */
    pid_t pid;
    uint32_t domid;
    char log[96];             /* its stderr */
};
/* The daemon's --host-dt; empty (reset by dfx_setup/dfx_teardown) means
 * TREE/no-host-fdt, a file that does not exist, so that no test reads the
 * build machine's /sys/firmware/fdt (MSI stays off). */
extern char dfx_host_dt[128];
/* Compile tests/data/host-dt/NAME with the real dtc into the tree and make
 * it the daemon's host device tree. */
void dfx_use_host_dt(const char *name);

/* "-v" (info and a trace of every access) unless a test sets it; "" = none. */
extern const char *dfx_verbosity;
/* An option after `serve` when a test sets it (e.g. "--verbose"). */
extern const char *dfx_serve_opt;
/* Start `pcipt -v --hv sim --sysfs TREE serve [OPT] DOMID --ready-fd 3` and
 * wait until it reports ready (fails the test if it exits first). */
void dfx_start(struct dfx_daemon *dm, uint32_t domid);
/* Send sig and reap: returns the exit status (or 128+signal). */
int dfx_stop(struct dfx_daemon *dm, int sig);
/* Wait for the daemon to exit on its own: exit status. */
int dfx_wait_exit(struct dfx_daemon *dm);
/* The daemon's stderr so far (malloc'd). */
char *dfx_log(const struct dfx_daemon *dm);
/* value of key=... in the last "pciptd: stats" line of text; -1 if absent. */
long long dfx_stat(const char *text, const char *key);

/* Called before every dfx_cfg_read/write when set (tests that stop the
 * daemon at a chosen access). */
extern void (*dfx_access_hook)(void);
/* Guest config access through the ECAM window (vCPU vcpu, own hv g). */
uint32_t dfx_cfg_read(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot, unsigned reg,
                      unsigned size);
void dfx_cfg_write(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot, unsigned reg,
                   unsigned size, uint32_t val);

/* The p2m as a sorted list of (gfn, mfn) pages; returns how many. */
unsigned dfx_p2m_pages(uint32_t domid, uint64_t (*pages)[2], unsigned max);
/* xenstore read of be/<rel> of the domain (malloc'd, NULL if absent). */
char *dfx_be_read(uint32_t domid, const char *rel);

#endif
