/* The simulator delivers SPIs as Xen 4.17's vGIC does
 * (xen-arm-dma-msi.md section 6): a raise is delivered once, level 0 is
 * ignored, a raise while one is in flight queues one more, and nothing
 * re-samples the line after the guest's EOI. */
#include <errno.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/sim_fixture.h"
#include "tests/support/testreg.h"

#define DOM 7
#define SPI 40

static struct hv *H;

static void setup(void)
{
    simfx_setup();
    H = simfx_hv;
    ck_assert_int_eq(sim_domain_create(H, DOM, 1, 0x40000000, 0x10000000, 40), 0);
}

START_TEST(a_raise_is_delivered_once)
{
    uint64_t n = 99;

    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 0);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, SPI, 1), 0);
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 1);
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 0);       /* the level is not re-sampled */
    ck_assert_int_eq(sim_irq_level(H, DOM, SPI), 1);      /* though the DM left it high */
    ck_assert_int_eq(sim_irq_delivered(H, DOM, SPI, &n), 0);
    ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(level_zero_is_ignored)
{
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, SPI, 1), 0);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, SPI, 0), 0);
    ck_assert_int_eq(sim_irq_level(H, DOM, SPI), 0);
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 1);       /* still delivered */
}
END_TEST

START_TEST(raises_in_flight_queue_one_more)
{
    uint64_t n = 0;

    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(H->ops->set_irq_level(H, DOM, SPI, 1), 0);
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 1);
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 1);       /* the queued one */
    ck_assert_int_eq(sim_irq_take(H, DOM, SPI), 0);
    ck_assert_int_eq(sim_irq_delivered(H, DOM, SPI, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(sim_irq_take(H, DOM, 31), -EINVAL);
    ck_assert_int_eq(sim_irq_take(H, 99, SPI), -ESRCH);
}
END_TEST

static Suite *sim_vgic_suite(void)
{
    Suite *s = suite_create("sim_vgic");
    TCase *tc = tcase_create("vgic");

    tcase_add_checked_fixture(tc, setup, simfx_teardown);
    tcase_add_test(tc, a_raise_is_delivered_once);
    tcase_add_test(tc, level_zero_is_ignored);
    tcase_add_test(tc, raises_in_flight_queue_one_more);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(sim_vgic_suite)
