/* pcipt serve against a hostile guest (tests/support/hostile_guest.h): the
 * real daemon binary serving two real devices (cap-pcie-2: Intel 82576 with
 * the MSI-X table and PBA in BAR3; cap-rebar: AMD Fiji with 64-bit
 * prefetchable BARs) attached with attach_device.  After every phase the
 * invariants of tests/support/hostile_fx.h hold: the daemon lives and
 * answers, the p2m is exactly what the p2m records say and inside the
 * holes, no MSI-X page is mapped, host config space is unchanged, nothing
 * inside a claimed range aborted, malformed requests are counted. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/hostile_fx.h"
#include "tests/support/hostile_guest.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define VCPUS 4

static struct hostile_world w;

static void setup(void)
{
    afx_setup();
    hw_setup(&w, DOM, VCPUS);
}

static void teardown(void)
{
    hw_teardown(&w);
    afx_teardown();
}

START_TEST(one_vcpu_every_phase)
{
    struct hostile_guest *h = hw_guest(&w, 0, hw_seed());

    hg_phase_ecam(h, 16);
    hw_check(&w, "ecam");
    hg_phase_raw(h, 2000);
    hw_check(&w, "raw ioreqs");
    hg_restore(h);
    hg_phase_windows(h, 2000);
    hw_check(&w, "BAR windows");
    hg_phase_bar_games(h, 600);
    ck_assert_int_gt(hw_stat(&w, "refused"), 0);
    ck_assert_int_gt(hw_stat(&w, "remaps"), 0);
    hw_check(&w, "BAR games");
    hw_restart(&w);                         /* BARs wherever the games left them */
    hw_check(&w, "restart after BAR games");
    hg_restore(h);
    hw_check(&w, "BARs restored");
    hw_check_home(&w);
    hg_phase_msi(h, 500);
    hw_check(&w, "MSI");
    hg_phase_flr(h, 20);
    hw_check(&w, "FLR");
    ck_assert_int_ge(hw_stat(&w, "flr"), 20);
    hw_check_flr_reset(&w);
    hg_phase_windows(h, 500);
    hw_check(&w, "BAR windows after FLR");
    hw_finish(&w);
}
END_TEST

struct vcpu_run {
    struct hostile_guest *h;
    unsigned iters;
};

static void *vcpu_main(void *arg)
{
    struct vcpu_run *r = arg;

    hg_phase_mixed(r->h, r->iters);
    hg_phase_bar_games(r->h, r->iters / 4);
    hg_phase_raw(r->h, r->iters / 8);
    return NULL;
}

START_TEST(four_vcpus_at_once)
{
    uint64_t seed = hw_seed();
    pthread_t t[VCPUS];
    struct vcpu_run r[VCPUS];

    for (unsigned round = 0; round < 2; round++) {
        for (unsigned v = 0; v < VCPUS; v++) {
            r[v] = (struct vcpu_run){ hw_guest(&w, v, seed + 0x1000 * round + v), 800 };
            /* the others move the same BARs: holes are checked single-vCPU */
            r[v].h->concurrent_moves = true;
            ck_assert_int_eq(pthread_create(&t[v], NULL, vcpu_main, &r[v]), 0);
        }
        for (unsigned v = 0; v < VCPUS; v++)
            ck_assert_int_eq(pthread_join(t[v], NULL), 0);
        hw_check(&w, "4 vCPUs");
        hg_restore(hw_guest(&w, 0, seed + round));
        hw_check(&w, "4 vCPUs, BARs restored");
        hw_check_home(&w);
    }
    hw_finish(&w);
}
END_TEST

static long long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A vCPU writing Interrupt Line (guest-visible state the daemon saves) of
 * every device as fast as it is answered, until the daemon stops answering. */
struct writer_run {
    unsigned vcpu;
    unsigned done;
};

static void *state_writer(void *arg)
{
    struct writer_run *r = arg;
    struct hv *g = simfx_open();

    long long until = now_ms() + 5000;            /* the daemon leaves well before */

    for (unsigned i = 0; now_ms() < until; i++, r->done++) {
        const struct dev_assign *a = &w.dom.devs[i % w.dom.ndevs];
        uint64_t v = i & 0xff, gpa = PCIPT_VPCI_ECAM_BASE | (uint64_t)a->guest.dev << 15 | 0x3c;
        if (sim_guest_mmio(g, DOM, r->vcpu, gpa, 1, true, &v, 2000) < 0)
            break;                          /* the daemon is gone: nobody answers */
    }
    hv_close(g);
    return NULL;
}

static unsigned count_lines(const char *log, const char *what)
{
    unsigned n = 0;

    for (const char *p = log; (p = strstr(p, what)); p++)
        n++;
    return n;
}

static long long now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec;
}

/* Regression: every refused map used to log a warning, so a guest toggling
 * decode with a BAR outside the holes could write the daemon's log (dom0's
 * disk or syslog) as fast as it traps.  The warnings now share a token
 * bucket (10 burst, one per second); the stats still count every refusal. */
START_TEST(refusal_warnings_are_rate_limited)
{
    struct hostile_guest *h = hw_guest(&w, 0, hw_seed());
    unsigned slot = w.dom.devs[0].guest.dev;
    uint32_t cmd = hg_cfg_read(h, slot, 0x04, 2);
    long long t0 = now_s(), refused0 = hw_stat(&w, "refused");

    hg_cfg_write(h, slot, 0x04, 2, cmd & ~2u);
    hg_cfg_write(h, slot, 0x10, 4, 0x38000000u);         /* BAR0 outside the holes */
    for (unsigned i = 0; i < 300; i++) {
        hg_cfg_write(h, slot, 0x04, 2, cmd | 2u);
        hg_cfg_write(h, slot, 0x04, 2, cmd & ~2u);
    }
    long long secs = now_s() - t0;
    ck_assert_int_eq(hw_stat(&w, "refused") - refused0, 300);
    char *log = dfx_log(&w.dm);
    unsigned lines = count_lines(log, "not mapped: outside the guest's vPCI holes");
    free(log);
    ck_assert_uint_ge(lines, 1);
    ck_assert_msg(lines <= 10 + secs + 1, "%u refusal warnings in %lld s", lines, secs);
    hw_check(&w, "refusal storm");
    hw_finish(&w);
}
END_TEST

/* xenstored goes away under a serving daemon while four vCPUs keep writing
 * state: the daemon says so once, logs at most one save error, exits 1 for
 * its supervisor (pciptd@.service restarts it), and nothing crashed. */
START_TEST(xenstored_gone_under_four_vcpus)
{
    pthread_t t[VCPUS];
    struct writer_run r[VCPUS];

    for (unsigned v = 0; v < VCPUS; v++) {
        r[v] = (struct writer_run){ .vcpu = v };
        ck_assert_int_eq(pthread_create(&t[v], NULL, state_writer, &r[v]), 0);
    }
    usleep(100 * 1000);
    xsd_stop();                                     /* xenstored dies */
    unsigned written = 0;
    for (unsigned v = 0; v < VCPUS; v++) {
        ck_assert_int_eq(pthread_join(t[v], NULL), 0);
        written += r[v].done;
    }
    ck_assert_uint_gt(written, 0);
    int st = dfx_wait_exit(&w.dm);
    w.dm.pid = 0;
    char *log = dfx_log(&w.dm);
    ck_assert_msg(st == 1, "exit status %d: %s", st, log);
    ck_assert_msg(count_lines(log, "lost the xenstore connection") == 1, "%s", log);
    ck_assert_msg(count_lines(log, "cannot save the guest state") <= 1, "%s", log);
    ck_assert_msg(strstr(log, "Sanitizer") == NULL && strstr(log, "runtime error") == NULL,
                  "%s", log);
    free(log);
    ck_assert_int_eq(xsd_start(), 0);               /* for the fixtures' teardown */
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, one_vcpu_every_phase);
    tcase_add_test(tc, four_vcpus_at_once);
    tcase_add_test(tc, refusal_warnings_are_rate_limited);
    tcase_add_test(tc, xenstored_gone_under_four_vcpus);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(hostile_suite)
