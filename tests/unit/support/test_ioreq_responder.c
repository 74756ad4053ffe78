/* The device-model loop that `make bench` uses as a stand-in for the
 * daemon (tests/support/ioreq_responder.c): it answers guest vCPUs through
 * the sim's ioreq page and event channels, with pcipt/daemon/ioreq.c's dispatcher
 * or any handler, and leaves nothing behind. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/daemon/ioreq.h"
#include "tests/support/engine_fx.h"
#include "tests/support/ioreq_responder.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 6
#define ECAM 0x10000000ull
#define WAIT_MS 20000        /* failsafe only */

static struct hv *H, *G;

static void setup(void)
{
    simfx_setup();
    H = simfx_hv;
    G = simfx_open();
    ck_assert_int_eq(sim_domain_create(H, DOM, 2, 0x40000000, 0x10000000, 32), 0);
}

static void teardown(void)
{
    hv_close(G);
    simfx_teardown();
}

struct seen { _Atomic uint64_t writes, last_write; };

static void answer(void *opaque, ioreq_t *req)
{
    struct seen *s = opaque;
    if (req->dir == IOREQ_READ) {
        req->data = (req->addr - ECAM) * 3 + req->size;
    } else {
        atomic_fetch_add(&s->writes, 1);
        atomic_store(&s->last_write, req->data);
    }
}

static uint64_t guest_rw(unsigned vcpu, uint64_t gpa, unsigned size, bool write, uint64_t v)
{
    ck_assert_int_eq(sim_guest_mmio(G, DOM, vcpu, gpa, size, write, &v, WAIT_MS),
                     SIM_ACCESS_IOREQ);
    return v;
}

START_TEST(answers_every_vcpu)
{
    struct responder r;
    struct seen s = { 0 };
    ck_assert_int_eq(responder_open(&r, H, DOM, ECAM, ECAM + 0xfffff), 0);
    ck_assert_uint_eq(r.nr_vcpus, 2);
    ck_assert_int_eq(responder_start(&r, answer, &s), 0);
    ck_assert_int_eq(responder_start(&r, answer, &s), -EINVAL);      /* already running */
    for (unsigned i = 0; i < 50; i++) {
        unsigned vcpu = i % 2, off = i * 4;
        ck_assert_uint_eq(guest_rw(vcpu, ECAM + off, 4, false, 0), off * 3 + 4);
        guest_rw(vcpu, ECAM + off, 2, true, 0x1234 + i);
    }
    ck_assert_uint_eq(atomic_load(&s.writes), 50);
    ck_assert_uint_eq(atomic_load(&s.last_write), 0x1234 + 49);
    responder_stop(&r);
    ck_assert_uint_eq(atomic_load(&r.answered), 100);
    /* outside the claimed range nothing answers: the guest takes an abort */
    uint64_t v = 0;
    ck_assert_int_eq(sim_guest_mmio(G, DOM, 0, ECAM + 0x100000, 4, false, &v, 100), -EFAULT);
    responder_close(&r);
    ck_assert_int_eq(sim_list_servers(H, DOM, NULL, 0), 0);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(H, DOM, &info), 0);
    ck_assert_uint_eq(info.bad_state, 0);
    ck_assert(!info.crashed);
}
END_TEST

static void dispatch(void *opaque, ioreq_t *req)
{
    ioreq_dispatch(opaque, req, NULL);
}

/* The daemon's dispatcher behind the loop: the guest reads the emulated
 * function and sizes a BAR through ECAM. */
START_TEST(serves_the_engine)
{
    struct fix f;
    struct memdev m;
    struct ioreq_router router;
    struct responder r;
    uint64_t gbar[PCI_NUM_RES] = { 0x100000000ull, 0, 0x23000000 };
    fix_init(&f);
    memdev_endpoint(&m);
    fix_add(&f, &m, 1, 0, gbar);
    ioreq_router_init(&router, f.t, 0, 0, ECAM, 4u << 20);
    ck_assert_int_eq(responder_open(&r, H, DOM, ECAM, ECAM + (4u << 20) - 1), 0);
    ck_assert_int_eq(responder_start(&r, dispatch, &router), 0);
    uint64_t fn = ECAM + (1u << 15);
    ck_assert_uint_eq(guest_rw(0, fn, 4, false, 0), 0x10d38086);
    ck_assert_uint_eq(guest_rw(1, ECAM, 2, false, 0), 0x5853);      /* root complex */
    ck_assert_uint_eq(guest_rw(0, fn + 0x18, 4, false, 0), 0x23000000);
    guest_rw(0, fn + 0x18, 4, true, 0xffffffff);
    ck_assert_uint_eq(guest_rw(0, fn + 0x18, 4, false, 0), 0xfffff000);   /* 4 KiB */
    ck_assert_uint_eq(guest_rw(1, ECAM + (1u << 20), 4, false, 0), 0xffffffff);  /* bus 1 */
    responder_close(&r);
    ck_assert_uint_eq(router.stats.ecam_reads, 5);
    ck_assert_uint_eq(router.stats.ecam_writes, 1);
    fix_fini(&f);
}
END_TEST

static struct ioreq_decoded dispatch_one(struct ioreq_router *router, uint8_t type, uint64_t addr,
                                        unsigned size, bool write, uint64_t *data)
{
    ioreq_t req = { .addr = addr, .data = *data, .count = 1, .size = size, .type = type,
                    .dir = write ? IOREQ_WRITE : IOREQ_READ };
    struct ioreq_decoded dec;

    memset(&dec, 0xa5, sizeof(dec));
    ioreq_dispatch(router, &req, &dec);
    *data = req.data;
    return dec;
}

/* ioreq_dispatch says what it decoded (the daemon's loop accounts from it):
 * the SBDF, register and size of a config access through ECAM and through
 * IOREQ_TYPE_PCI_CONFIG, MMIO for a COPY outside ECAM, and the target of a
 * malformed request without a config access. */
START_TEST(dispatch_reports_what_it_decoded)
{
    struct fix f;
    struct memdev m;
    struct ioreq_router router;
    uint64_t gbar[PCI_NUM_RES] = { 0x100000000ull, 0, 0x23000000 }, v = 0;
    struct ioreq_decoded d;

    fix_init(&f);
    memdev_endpoint(&m);
    fix_add(&f, &m, 1, 0, gbar);
    ioreq_router_init(&router, f.t, 0, 0, ECAM, 4u << 20);

    d = dispatch_one(&router, IOREQ_TYPE_COPY, ECAM + (1u << 15) + 0x18, 4, false, &v);
    ck_assert_uint_eq(v, 0x23000000);
    ck_assert_int_eq(d.target, IOREQ_TARGET_CONFIG);
    ck_assert(d.cfg_valid && !d.write);
    ck_assert_uint_eq(d.cfg.seg, 0);
    ck_assert_uint_eq(d.cfg.bus, 0);
    ck_assert_uint_eq(d.cfg.dev, 1);
    ck_assert_uint_eq(d.cfg.fn, 0);
    ck_assert_uint_eq(d.cfg.reg, 0x18);
    ck_assert_uint_eq(d.cfg.size, 4);

    v = 0x5;
    d = dispatch_one(&router, IOREQ_TYPE_PCI_CONFIG, (uint64_t)((1u << 3) | 2) << 32 | 0x04, 2,
                     true, &v);
    ck_assert_int_eq(d.target, IOREQ_TARGET_CONFIG);
    ck_assert(d.cfg_valid && d.write);
    ck_assert_uint_eq(d.cfg.bus, 0);
    ck_assert_uint_eq(d.cfg.dev, 1);
    ck_assert_uint_eq(d.cfg.fn, 2);
    ck_assert_uint_eq(d.cfg.reg, 0x04);
    ck_assert_uint_eq(d.cfg.size, 2);

    d = dispatch_one(&router, IOREQ_TYPE_COPY, 0x23000000, 4, false, &v);
    ck_assert_int_eq(d.target, IOREQ_TARGET_MMIO);
    ck_assert(!d.cfg_valid);
    ck_assert_uint_eq(v, 0xffffffff);

    d = dispatch_one(&router, IOREQ_TYPE_COPY, ECAM, 3, false, &v);     /* bad size */
    ck_assert_int_eq(d.target, IOREQ_TARGET_CONFIG);
    ck_assert(!d.cfg_valid);

    d = dispatch_one(&router, IOREQ_TYPE_INVALIDATE, 0, 0, false, &v);
    ck_assert_int_eq(d.target, IOREQ_TARGET_OTHER);
    ck_assert(!d.cfg_valid);
    ck_assert_uint_eq(router.stats.ecam_reads, 1);
    ck_assert_uint_eq(router.stats.pci_config_writes, 1);
    ck_assert_uint_eq(router.stats.unclaimed, 1);
    ck_assert_uint_eq(router.stats.malformed, 1);
    ck_assert_uint_eq(router.stats.invalidate, 1);
    fix_fini(&f);
}
END_TEST

START_TEST(open_failures_leave_nothing)
{
    struct responder r;
    ck_assert_int_eq(responder_open(&r, H, 42, ECAM, ECAM + 0xfff), -ESRCH);
    ck_assert_int_eq(sim_inject_fail(H, "ioreq_map_page", 1, ENOMEM), 0);
    ck_assert_int_eq(responder_open(&r, H, DOM, ECAM, ECAM + 0xfff), -ENOMEM);
    ck_assert_int_eq(sim_list_servers(H, DOM, NULL, 0), 0);
    ck_assert_int_eq(sim_inject_fail(H, "evtchn_bind", 2, EBUSY), 0);
    ck_assert_int_eq(responder_open(&r, H, DOM, ECAM, ECAM + 0xfff), -EBUSY);
    ck_assert_int_eq(sim_list_servers(H, DOM, NULL, 0), 0);
    /* and a clean open afterwards still works */
    ck_assert_int_eq(responder_open(&r, H, DOM, ECAM, ECAM + 0xfff), 0);
    ck_assert_int_eq(responder_start(&r, NULL, NULL), -EINVAL);
    responder_close(&r);
    responder_close(&r);                                   /* idempotent */
    ck_assert_int_eq(sim_list_servers(H, DOM, NULL, 0), 0);
}
END_TEST

static Suite *ioreq_responder_suite(void)
{
    Suite *s = suite_create("ioreq_responder");
    TCase *tc = tcase_create("responder");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, answers_every_vcpu);
    tcase_add_test(tc, serves_the_engine);
    tcase_add_test(tc, open_failures_leave_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("dispatch");
    tcase_add_test(tc, dispatch_reports_what_it_decoded);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(ioreq_responder_suite)
