/* 3. Guest enumeration: how many config accesses trap when a Linux-like
 * guest enumerates (pcipt/simulate/guest_enum.h, the simulated guest) through the
 * sim's vCPU MMIO path to the IOREQ server (responder + ioreq_dispatch),
 * with pcipt's device tree (bus-range trimmed to the buses in use: 0-0,
 * ECAM window 1 MiB) against libxl's default vPCI node (bus-range 0-255,
 * ECAM window 256 MiB).  The count is the simulator's own (ioreqs it
 * sent), cross-checked with the enumerator's.
 * Two scanners: one that probes every bus of the range (what the target in
 * docs/design.md "Targets" is about: firmware-style scans), and Linux's own, which scans the
 * root bus and descends only through bridges, so the bus range does not
 * change its count. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "pcipt/simulate/guest_enum.h"
#include "pcipt/sim/hv_sim.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_sim.h"
#include "tests/support/ioreq_responder.h"

struct scan_result {
    uint64_t trapped;          /* the simulator's ioreq count */
    uint64_t enum_accesses;    /* the enumerator's own count */
    unsigned nfuncs;
    double ms;
};

static int vcpu_access(void *ctx, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
    int rc = sim_guest_mmio(ctx, BENCH_DOM, 0, gpa, size, write, val, 5000);
    return rc == SIM_ACCESS_IOREQ ? 0 : rc < 0 ? rc : -EFAULT;
}

static int vcpu_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    return vcpu_access(ctx, gpa, size, false, val);
}

static int vcpu_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    return vcpu_access(ctx, gpa, size, true, &val);
}

static const struct guest_bus_ops vcpu_ops = { .read = vcpu_read, .write = vcpu_write };

static void dispatch(void *opaque, ioreq_t *req)
{
    ioreq_dispatch(opaque, req, NULL);
}

static uint64_t sim_ioreqs(struct bench_sim *s)
{
    struct sim_domain_info info;
    if (sim_domain_info(s->dm, BENCH_DOM, &info))
        bench_fail("sim: dom%d vanished", BENCH_DOM);
    if (info.crashed)
        bench_fail("enumeration: the simulator crashed dom%d (ioreq protocol error)",
                   BENCH_DOM);
    return info.ioreqs;
}

/* One guest boot's enumeration with the node's bus range 0..bus_last. */
static struct scan_result scan(const struct bench_opts *o, struct bench_sim *s, uint8_t bus_last,
                               unsigned flags)
{
    struct bench_dev dev;
    struct responder r;
    struct scan_result out = { 0 };
    struct guest_enum_result *res = calloc(1, sizeof(*res));
    struct guest_enum_config cfg = {
        .ecam_base = BENCH_ECAM_BASE, .bus_first = 0, .bus_last = bus_last,
        .mem32 = { 0x23000000, 0x10000000 },        /* GUEST_VPCI_MEM */
        .pref64 = { 0x100000000ull, 0x100000000ull }, /* GUEST_VPCI_PREFETCH_MEM */
        .flags = flags | GUEST_ENUM_BUS_MASTER,
    };

    bench_dev_open(&dev, o, bus_last);
    int rc = responder_open(&r, s->dm, BENCH_DOM, BENCH_ECAM_BASE,
                            BENCH_ECAM_BASE + (((uint64_t)bus_last + 1) << 20) - 1);
    if (!res || rc || responder_start(&r, dispatch, &dev.router))
        bench_fail("enumeration: cannot set up the IOREQ server (%d)", rc);
    uint64_t before = sim_ioreqs(s), t0 = bench_now_ns();
    rc = guest_enumerate(&vcpu_ops, s->guest, &cfg, res);
    out.ms = (double)(bench_now_ns() - t0) / 1e6;
    out.trapped = sim_ioreqs(s) - before;
    out.enum_accesses = res->cfg_reads + res->cfg_writes;
    out.nfuncs = res->nfuncs;
    if (rc || res->aborts || out.nfuncs != 2 || out.trapped != out.enum_accesses)
        bench_fail("enumeration over buses 0-%u went wrong: rc %d, %" PRIu64 " aborts, %u "
                   "functions (want the root complex and the device), %" PRIu64 " trapped vs "
                   "%" PRIu64 " issued", bus_last, rc, res->aborts, out.nfuncs, out.trapped,
                   out.enum_accesses);
    responder_close(&r);
    bench_dev_close(&dev);
    free(res);
    return out;
}

/* The scan `reps` times: the access counts must not change; the time is
 * the median. */
static struct scan_result scan_reps(const struct bench_opts *o, struct bench_sim *s,
                                    uint8_t bus_last, unsigned flags, unsigned reps)
{
    double ms[16];
    struct scan_result first = scan(o, s, bus_last, flags);
    ms[0] = first.ms;
    for (unsigned i = 1; i < reps && i < 16; i++) {
        struct scan_result r = scan(o, s, bus_last, flags);
        if (r.trapped != first.trapped)
            bench_fail("enumeration over buses 0-%u trapped %" PRIu64 " then %" PRIu64
                       " times", bus_last, first.trapped, r.trapped);
        ms[i] = r.ms;
    }
    first.ms = bench_quantile(ms, reps < 16 ? reps : 16, 0.5);
    return first;
}

void bench_enum(const struct bench_opts *o)
{
    struct bench_sim s;
    bench_sim_open(&s, 1);
    unsigned reps = o->quick ? 1 : 5;
    struct scan_result trim = scan_reps(o, &s, 0, 0, reps * 3);
    struct scan_result wide = scan_reps(o, &s, 255, 0, reps);
    struct scan_result ltrim = scan(o, &s, 0, GUEST_ENUM_ROOT_BUS_ONLY);
    struct scan_result lwide = scan(o, &s, 255, GUEST_ENUM_ROOT_BUS_ONLY);
    bench_sim_close(&s);

    bench_metric("enumeration_accesses", (double)trim.trapped, (double)wide.trapped, "traps",
                 "libxl node, bus-range 0-255");
    bench_metric("enumeration_time", trim.ms, wide.ms, "ms", "libxl node, bus-range 0-255");
    bench_metric("enumeration_accesses_linux", (double)ltrim.trapped, (double)lwide.trapped,
                 "traps", "libxl node, bus-range 0-255");
    bench_note("enumeration: pcipt/simulate/guest_enum_*.c through sim vCPU MMIO -> IOREQ server -> "
               "ioreq_dispatch; 2 functions found (root complex 00:00.0, 82576 at 00:01.0); "
               "_accesses probes every bus in bus-range, _linux scans the root bus only "
               "(Linux: no bridges, so no other bus)");
}
