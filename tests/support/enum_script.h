/* A guest's PCI enumeration as a script of ECAM accesses (what Linux does
 * at boot, condensed): vendor IDs of the root complex and slots 1..6,
 * header/class/command/status, BAR sizing (all-ones, read, restore) with
 * decode off, BAR assignment (BAR1 at 0x28000000 + slot * 16 MiB, BAR0 at
 * +4 MiB, BAR3 at +4.25 MiB), decode on, read-back, capability walk.
 * Every value read is recorded, so two runs can be compared. */
#ifndef TESTS_ENUM_SCRIPT_H
#define TESTS_ENUM_SCRIPT_H

#include <stdint.h>

#include "pcipt/hv/hv.h"

#define ENUM_MAX 256

struct enum_result {
    unsigned n;
    uint32_t v[ENUM_MAX];
    const char *what[ENUM_MAX];
};

uint64_t enum_bar1_addr(unsigned slot);
uint64_t enum_bar0_addr(unsigned slot);
uint64_t enum_bar3_addr(unsigned slot);

/* Steps [from, to) of the script (step = one recorded value or write); the
 * whole script is enum_script_run. */
void enum_script_run(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot,
                     struct enum_result *r);
/* What a cap-pcie-2 copy must show (daemon_fx.h). */
void enum_script_check(const struct enum_result *r, unsigned slot, unsigned ndev);
/* The p2m after the script on slots 1..ndev (host 0000:0n:00.0 at slot n). */
void enum_expect_p2m(uint64_t (*pages)[2], unsigned n, unsigned ndev);
/* Host address of BAR bar (0, 1, 3) of fixture device n. */
uint64_t enum_host_bar(unsigned n, int bar);

#endif
