/* 2. IOREQ round trip under `sim`: a guest vCPU thread reads config space
 * through the ECAM window (sim_guest_mmio: the request goes into the shared
 * ioreq page, the server's port is notified, the vCPU waits for
 * IORESP_READY), and a device model answers with pcipt/daemon/ioreq.c's dispatcher
 * in a responder loop that follows Xen's state machine
 * (tests/support/ioreq_responder.c).  Baseline: the very same ping-pong
 * (same page, ports, state machine, two threads) with a device model that
 * answers without doing any work.
 *
 * The device model side is one seam (struct dm_side): the responder thread
 * calling ioreq_dispatch, the dispatch path of the daemon's loop
 * (pcipt/daemon/daemon_loop.c); the rest of that loop is not measured. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_sim.h"
#include "tests/support/ioreq_responder.h"

#define BARE_ANSWER 0x5a5a5a5au

/* ---- the device model under test ---- */
struct dm_side {
    struct responder resp;
    struct bench_dev *dev;
    double *dispatch_ns;          /* time inside ioreq_dispatch, per request */
    size_t ndispatch, cap;
};

static void handle_pcipt(void *opaque, ioreq_t *req)
{
    struct dm_side *dm = opaque;
    uint64_t t0 = bench_now_ns();
    ioreq_dispatch(&dm->dev->router, req, NULL);
    uint64_t t1 = bench_now_ns();
    if (dm->ndispatch < dm->cap)
        dm->dispatch_ns[dm->ndispatch++] = (double)(t1 - t0);
}

static void handle_bare(void *opaque, ioreq_t *req)
{
    (void)opaque;
    if (req->dir == IOREQ_READ)
        req->data = BARE_ANSWER;
}

static void dm_open(struct dm_side *dm, struct bench_sim *s, struct bench_dev *dev, size_t n)
{
    memset(dm, 0, sizeof(*dm));
    dm->dev = dev;
    dm->cap = n;
    dm->dispatch_ns = calloc(n, sizeof(double));
    int rc = responder_open(&dm->resp, s->dm, BENCH_DOM, BENCH_ECAM_BASE,
                            BENCH_ECAM_BASE + (1u << 20) - 1);
    if (!dm->dispatch_ns || rc)
        bench_fail("sim: cannot set up an IOREQ server for dom%d (%d)", BENCH_DOM, rc);
}

static void dm_serve(struct dm_side *dm, bool bare)
{
    if (responder_start(&dm->resp, bare ? handle_bare : handle_pcipt, dm))
        bench_fail("cannot start the responder thread");
}

static void dm_pause(struct dm_side *dm)
{
    responder_stop(&dm->resp);
}

static void dm_close(struct dm_side *dm)
{
    responder_close(&dm->resp);
    free(dm->dispatch_ns);
}

/* ---- the guest vCPU thread ---- */
struct vcpu_run {
    struct hv *hv;
    bool bare;
    uint32_t id_dword;            /* what config 0x00 must read */
    size_t n;
    double *rtt_ns;
    const char *error;
};

/* Reads cycle through the 16 dwords of the type-0 header, as an
 * enumeration does: some emulated, some read from the host. */
static void *vcpu_main(void *arg)
{
    struct vcpu_run *v = arg;
    for (size_t i = 0; i < v->n; i++) {
        unsigned reg = (unsigned)(i % 16) * 4;
        uint64_t data = 0;
        uint64_t t0 = bench_now_ns();
        int rc = sim_guest_mmio(v->hv, BENCH_DOM, 0,
                                BENCH_ECAM_BASE + ((uint64_t)BENCH_SLOT << 15) + reg, 4, false,
                                &data, 5000);
        uint64_t t1 = bench_now_ns();
        if (rc != SIM_ACCESS_IOREQ) {
            v->error = "a guest read was not answered through the IOREQ server";
            return NULL;
        }
        if (v->bare ? data != BARE_ANSWER : (reg == 0 && data != v->id_dword)) {
            v->error = "a guest read got a wrong answer";
            return NULL;
        }
        v->rtt_ns[i] = (double)(t1 - t0);
    }
    return NULL;
}

static void run_vcpu(struct vcpu_run *v)
{
    pthread_t t;
    if (pthread_create(&t, NULL, vcpu_main, v))
        bench_fail("cannot start the guest vCPU thread");
    pthread_join(t, NULL);
    if (v->error)
        bench_fail("ioreq round trip: %s", v->error);
}

/* Rounds alternate bare / pcipt so slow drift of the machine hits both. */
static void measure(struct bench_sim *s, struct dm_side *dm, uint32_t id, size_t n,
                    double *bare, double *full)
{
    const unsigned rounds = 10;
    size_t per = n / rounds;
    for (unsigned r = 0; r < rounds; r++) {
        for (int b = 1; b >= 0; b--) {
            struct vcpu_run v = { .hv = s->guest, .bare = b, .id_dword = id, .n = per,
                                  .rtt_ns = (b ? bare : full) + r * per };
            dm_serve(dm, b);
            run_vcpu(&v);
            dm_pause(dm);
        }
    }
}

void bench_ioreq(const struct bench_opts *o)
{
    size_t n = o->quick ? 2000 : 40000, warm = n / 10;
    struct bench_sim s;
    struct bench_dev dev;
    struct dm_side dm;
    uint32_t id = 0;

    bench_dev_open(&dev, o, 0);
    host_cfg_read(dev.hd, 0, 4, &id);
    bench_sim_open(&s, 1);
    dm_open(&dm, &s, &dev, n + warm);

    double *bare = calloc(n + warm, sizeof(double)), *full = calloc(n + warm, sizeof(double));
    if (!bare || !full)
        bench_fail("out of memory");
    measure(&s, &dm, id, warm, bare, full);          /* warm-up, discarded */
    dm.ndispatch = 0;
    measure(&s, &dm, id, n, bare, full);
    size_t got = (n / 10) * 10;

    double fm = bench_quantile(full, got, 0.5), bm = bench_quantile(bare, got, 0.5);
    double fp = bench_quantile(full, got, 0.99), bp = bench_quantile(bare, got, 0.99);
    double dmed = bench_quantile(dm.dispatch_ns, dm.ndispatch, 0.5);
    bench_metric("ioreq_roundtrip_median", fm / 1000, bm / 1000, "us",
                 "bare notify/answer ping-pong");
    bench_metric("ioreq_roundtrip_p99", fp / 1000, bp / 1000, "us",
                 "bare notify/answer ping-pong");
    bench_metric("ioreq_dispatch_share", dmed / 1000, bm / 1000, "us",
                 "bare round trip (median): ratio = daemon's share");
    bench_note("ioreq: time inside ioreq_dispatch: median %.0f ns, p99 %.0f ns", dmed,
               bench_quantile(dm.dispatch_ns, dm.ndispatch, 0.99));
    bench_note("ioreq: %zu guest reads of header dwords 0x00..0x3c per side, 1 vCPU thread, "
               "device model = tests/support/ioreq_responder.c + ioreq_dispatch (stand-in "
               "for `pcipt serve`)", got);
    struct sim_domain_info info;
    if (!sim_domain_info(s.dm, BENCH_DOM, &info) && (info.bad_state || info.crashed))
        bench_fail("ioreq round trip: the simulator saw a protocol error (bad_state %" PRIu64
                   ")", info.bad_state);
    free(bare);
    free(full);
    dm_close(&dm);
    bench_sim_close(&s);
    bench_dev_close(&dev);
}
