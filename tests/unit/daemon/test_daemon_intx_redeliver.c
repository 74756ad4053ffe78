/* The INTx relay on Xen 4.17's vGIC (xen-arm-dma-msi.md section 6): a raise
 * is delivered once and never re-sampled, so while the device still
 * asserts after the guest handled an interrupt the relay must raise again.
 * The simulator delivers as that vGIC does (sim_irq_take = the guest
 * acknowledges and EOIs one delivery); a memdev's Status says whether the
 * device asserts; an eventfd is the "line fired" fd. */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/daemon/intx.h"
#include "tests/support/fake_memdev.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 3
#define SPI 40

static int ack(void *ctx, int fd)
{
    uint64_t v;
    (void)ctx;
    if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
        return 1;
    return errno == EAGAIN ? 0 : -errno;
}

static int unmask(void *ctx, int fd)
{
    (void)fd;
    (*(unsigned *)ctx)++;
    return 0;
}

static const struct intx_src_ops ops = { .ack = ack, .unmask = unmask };

static struct memdev md;
static struct intx_line line;
static unsigned unmasks;
static int efd;

static void device_asserts(bool on)
{
    uint32_t st = memdev_get(&md, 0x06, 2);
    memdev_set(&md, 0x06, 2, on ? st | PCI_STS_INTERRUPT : st & ~PCI_STS_INTERRUPT);
}

static void fire(void)
{
    uint64_t one = 1;
    ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
    intx_fired(&line);
}

/* The guest takes what the vGIC delivers: 1 if an interrupt came. */
static int guest_takes(void) { return sim_irq_take(simfx_hv, DOM, SPI); }

static void setup(void)
{
    simfx_setup();
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0x40000000, 0x100000, 64), 0);
    memdev_init(&md, 0x1b36, 0x0010, 256);
    device_asserts(false);
    unmasks = 0;
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ck_assert_int_ge(efd, 0);
    ck_assert_int_eq(intx_line_start(&line, simfx_hv, DOM, SPI, &md.hd, efd, &ops, &unmasks), 0);
}

static void teardown(void)
{
    intx_line_stop(&line);
    close(efd);
    simfx_teardown();
}

/* NVMe-like: the guest handles the first interrupt, but a new completion
 * arrived meanwhile, so the device still asserts; the relay never sees the
 * line fall.  The old relay raised only on a fire and the guest waited
 * forever. */
START_TEST(still_asserting_after_the_guest_handled_it_is_delivered_again)
{
    uint64_t t;

    device_asserts(true);
    fire();
    ck_assert_int_eq(guest_takes(), 1);
    ck_assert_int_eq(guest_takes(), 0);
    t = intx_now_ms();
    ck_assert_int_le(intx_timeout_ms(&line, t), INTX_REARM_MS);   /* the loop wakes soon */
    intx_check_at(&line, t + INTX_REARM_MS);                        /* still asserting */
    ck_assert_int_eq(guest_takes(), 1);                             /* delivered again */
    intx_check_at(&line, t + 2 * INTX_REARM_MS);
    ck_assert_int_eq(guest_takes(), 1);                             /* and again */
    ck_assert_uint_eq(line.raised, 1);
    ck_assert_uint_eq(line.reraised, 2);
    ck_assert_uint_eq(unmasks, 1);                                  /* host stays masked */
    device_asserts(false);                                          /* queue drained */
    intx_check_at(&line, t + 3 * INTX_REARM_MS);
    ck_assert_int_eq(guest_takes(), 0);
    ck_assert_uint_eq(unmasks, 2);
    ck_assert_int_eq(intx_timeout_ms(&line, t), -1);
}
END_TEST

/* Deasserts and reasserts between two relay checks: the guest handled the
 * first, the device asserted again before the relay looked. */
START_TEST(reassert_between_two_checks_is_delivered)
{
    uint64_t t;

    device_asserts(true);
    fire();
    t = intx_now_ms();
    ck_assert_int_eq(guest_takes(), 1);
    device_asserts(false);
    device_asserts(true);
    intx_check_at(&line, t + INTX_REARM_MS);
    ck_assert_int_eq(guest_takes(), 1);
}
END_TEST

START_TEST(no_reraise_before_it_is_due_and_backoff)
{
    uint64_t t, now;
    unsigned n = 0;

    device_asserts(true);
    fire();
    t = intx_now_ms();
    ck_assert_int_eq(guest_takes(), 1);
    intx_check_at(&line, t);                   /* not due yet */
    ck_assert_uint_eq(line.reraised, 0);
    ck_assert_int_eq(guest_takes(), 0);
    /* A guest that never clears the cause: after INTX_REARM_FAST re-raises
     * the period grows to INTX_REARM_MAX_MS, never beyond. */
    for (now = t + INTX_REARM_MS; n < INTX_REARM_FAST + 8; n++) {
        intx_check_at(&line, now);
        now += (uint64_t)intx_timeout_ms(&line, now);
    }
    ck_assert_uint_eq(line.reraised, n);
    ck_assert_uint_eq(line.rearm_ms, INTX_REARM_MAX_MS);
    ck_assert_int_eq(intx_timeout_ms(&line, now - INTX_REARM_MAX_MS), INTX_REARM_MAX_MS);
    device_asserts(false);                     /* deassert resets the period */
    intx_check_at(&line, now);
    device_asserts(true);
    fire();
    ck_assert_uint_eq(line.rearm_ms, INTX_REARM_MS);
}
END_TEST

START_TEST(guest_disabled_gets_no_reraise)
{
    uint64_t t;

    device_asserts(true);
    fire();
    ck_assert_int_eq(guest_takes(), 1);
    intx_guest_disable(&line, true);
    t = intx_now_ms();
    intx_check_at(&line, t + INTX_REARM_MAX_MS);
    ck_assert_int_eq(guest_takes(), 0);
    ck_assert_uint_eq(line.reraised, 0);
    intx_guest_disable(&line, false);          /* still asserting: raised at once */
    ck_assert_int_eq(guest_takes(), 1);
}
END_TEST

static Suite *daemon_intx_redeliver_suite(void)
{
    Suite *s = suite_create("daemon_intx_redeliver");
    TCase *tc = tcase_create("vgic");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, still_asserting_after_the_guest_handled_it_is_delivered_again);
    tcase_add_test(tc, reassert_between_two_checks_is_delivered);
    tcase_add_test(tc, no_reraise_before_it_is_due_and_backoff);
    tcase_add_test(tc, guest_disabled_gets_no_reraise);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_intx_redeliver_suite)
