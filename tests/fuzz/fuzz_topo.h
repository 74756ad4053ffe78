/* The world the config-space harnesses (fuzz_cfg, fuzz_ioreq) run against:
 * one emulated host bridge (segment 0, buses 0..3) populated from ONE real
 * dump of tests/data/dumps, every type-0 function the engine accepts, at
 * the host's function number in one virtual slot per host device, BAR
 * sizes as the sysfs trees state them (tree_bars) and guest addresses from
 * the real planner (plan_domain) in Xen's default holes.
 *
 * Host functions are "snapshot devices": a 4 KiB array per function that a
 * host config write never reaches (fz_fail: the engine has no REG_HOST_RW
 * register, so any host write is a broken invariant), with a read counter.
 *
 * The event handler plays the daemon: its policy (fz_policy_accepts) maps a
 * BAR only inside the holes, and it keeps a model of the stage-2 mappings
 * that every event and every access is checked against (docs/testing/fuzz.md "Invariants"). */
#ifndef TESTS_FUZZ_TOPO_H
#define TESTS_FUZZ_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign/assign.h"

#define FZ_MAX_FNS   48
#define FZ_BUS_START 0
#define FZ_BUS_END   3

struct fz_hostdev {
    struct host_dev hd;
    uint8_t cfg[PCI_CFG_SIZE];
    unsigned long reads;
};

struct fz_map {                 /* the daemon's model of one BAR's stage-2 mapping */
    bool on;
    uint64_t addr, size;
};

struct fz_fn {
    struct vdev *v;             /* NULL only for the root complex entry */
    struct fz_hostdev *hd;      /* NULL for the root complex */
    uint8_t slot, fn;
    struct fz_map map[PCI_NUM_RES];
    bool touched;               /* written to since the world was built */
};

struct fz_world {
    struct vpci_topology *t;
    struct hostbridge *hb;
    unsigned dump;              /* which dump */
    unsigned nfn;               /* fn[0] is the root complex at 00.0 */
    struct fz_fn fn[FZ_MAX_FNS];
    struct guest_layout lay;
    unsigned long events, refused;
};

/* Load the dumps once (PCIPT_SRC or the build's source dir); aborts if none. */
void fz_init(void);
unsigned fz_ndumps(void);
/* A fresh world for dump d (0..fz_ndumps()-1). */
void fz_world_build(struct fz_world *w, unsigned d);
void fz_world_free(struct fz_world *w);

/* Index of the present function at slot.fn, or -1. */
int fz_find(const struct fz_world *w, uint8_t slot, uint8_t fn);
/* Invariants of one read/write of any shape (fuzz_cfg.c documents them).
 * fz_checked_read returns what the engine returned. */
uint64_t fz_checked_read(struct fz_world *w, const struct cfg_req *r);
void fz_checked_write(struct fz_world *w, const struct cfg_req *r, uint64_t data);
/* Whole-world invariants: read-only bits of every touched function equal
 * their power-on value; the mapping model equals the engine's view; host
 * config bytes unchanged. */
void fz_check_world(struct fz_world *w);
/* The mapping model only (after every request). */
void fz_check_world_light(struct fz_world *w);
/* Daemon restart: save every function's state, build the world again,
 * restore, and check the guest sees the same config space. */
void fz_restart(struct fz_world *w);
/* Apply a state as a restarted daemon would read it from xenstore. */
void fz_restore_raw(struct fz_world *w, unsigned k, const struct vdev_state *st);

/* The daemon's policy for BAR_MAP / BAR_MOVE of a mapped BAR. */
bool fz_policy_accepts(const struct fz_world *w, unsigned k, int bar, uint64_t addr,
                       uint64_t size);

void fz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* A sysfs tree (a fresh temporary directory, its path in tree) holding
 * one function, cap-pcie-2's first, bound to pciback with reset method
 * flr; its address in addr.  The host of fuzz_sysfs and fuzz_xlcfg.
 * Aborts if it cannot be built. */
void fz_pciback_tree(char *tree, size_t len, struct sbdf *addr);

/* A little-endian byte reader over the fuzzer's input. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);

#endif
