/* The hostile-guest world: the attach fixture's tree and sim (cap-pcie-2 at
 * 0000:01:00.0, cap-rebar at 0000:09:00.0), both attached to one domain with
 * attach_device, the real daemon serving it, one hostile guest per vCPU,
 * and the invariants checked after each phase (Check assertions: call from
 * the test's own thread only). */
#ifndef TESTS_HOSTILE_FX_H
#define TESTS_HOSTILE_FX_H

#include <stdint.h>

#include "pcipt/assign/assign.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/hostile_guest.h"

#define HW_MAX_VCPUS 4
#define HW_NDEVS 2

struct hostile_world {
    uint32_t domid;
    unsigned vcpus;
    struct dfx_daemon dm;
    uint16_t server;
    struct domain_assign dom;               /* as published */
    unsigned char *config[HW_NDEVS];        /* host config files at start */
    size_t config_len[HW_NDEVS];
    struct hostile_guest *guests[HW_MAX_VCPUS];
    /* counts of guests already replaced */
    uint64_t aborts_outside, malformed_sent, unknown_type_sent, accesses;
    uint64_t flr_sent[HG_MAX_DEVS];
    uint64_t malformed_base, unknown_base;   /* sent before the last restart */
    long long start_ms;                     /* for the progress lines */
};

/* PCIPT_HOSTILE_SEED or a fixed default; printed to stderr. */
uint64_t hw_seed(void);

/* After afx_setup: the domain (re)created with vcpus, both devices
 * attached, the daemon started. */
void hw_setup(struct hostile_world *w, uint32_t domid, unsigned vcpus);
void hw_teardown(struct hostile_world *w);
/* A fresh guest on vCPU v (its predecessor's counts are kept). */
struct hostile_guest *hw_guest(struct hostile_world *w, unsigned v, uint64_t seed);

/* Every invariant (fails the test naming the phase). */
void hw_check(struct hostile_world *w, const char *phase);
/* Every memory BAR (and the enabled ROM) mapped at its planned address. */
void hw_check_home(struct hostile_world *w);
/* Each device the guest reset has "1" in its sysfs reset file. */
void hw_check_flr_reset(struct hostile_world *w);
/* A counter of the daemon's stats line, fresh (SIGUSR1). */
long long hw_stat(struct hostile_world *w, const char *key);
/* SIGKILL the (idle) daemon and start a new one: it must take over the
 * server and rebuild the guest's state from xenstore. */
void hw_restart(struct hostile_world *w);
/* Stop the daemon (SIGTERM, exit 0) and check its final stats. */
void hw_finish(struct hostile_world *w);

#endif
