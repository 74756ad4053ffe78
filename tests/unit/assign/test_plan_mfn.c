/* The planner with several host functions in one virtual slot
 * (SBDF@SLOT.FN): function 0 required, slot.fn collisions refused, two
 * functions on one INTx pin (one guest SPI) refused, functions 0 planned
 * first so one-at-a-time attaches in plan order agree with the plan. */
#include <errno.h>
#include <string.h>

#include "pcipt/assign/plan.h"
#include "tests/support/testreg.h"

static struct guest_layout lay;
static struct domain_assign dom;
static char err[512];

static void setup(void)
{
    guest_layout_defaults(&lay);
    memset(&dom, 0, sizeof(dom));
    err[0] = '\0';
}

static struct plan_request req(uint8_t bus, uint8_t hostfn, int slot, int fn, uint8_t pin)
{
    struct plan_request r;

    memset(&r, 0, sizeof(r));
    r.host = (struct sbdf){ 0, bus, 0, hostfn };
    r.slot = slot;
    r.fn = fn;
    r.intx_pin = pin;
    r.bars[0] = (struct host_bar){ BAR_MEM32, false,
                                   0xe0000000u + bus * 0x100000u + hostfn * 0x10000u, 0x10000 };
    return r;
}

START_TEST(two_functions_share_a_slot)
{
    /* function 1 first in the request: still planned after function 0 */
    struct plan_request r[3] = { req(1, 1, 1, 1, 2), req(1, 0, 1, 0, 1), req(2, 0, -1, 0, 1) };

    ck_assert_msg(plan_domain(&lay, &dom, r, 3, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(dom.ndevs, 3);
    ck_assert_uint_eq(dom.devs[0].host.fn, 0);          /* 01:00.0 -> 00:01.0 */
    ck_assert_uint_eq(dom.devs[0].guest.dev, 1);
    ck_assert_uint_eq(dom.devs[0].guest.fn, 0);
    ck_assert_uint_eq(dom.devs[0].spi, 48);
    ck_assert_uint_eq(dom.devs[1].host.bus, 2);          /* the auto one: a slot of its own */
    ck_assert_uint_eq(dom.devs[1].guest.dev, 2);
    ck_assert_uint_eq(dom.devs[1].guest.fn, 0);
    ck_assert_uint_eq(dom.devs[1].spi, 49);
    ck_assert_uint_eq(dom.devs[2].host.fn, 1);           /* 01:00.1 -> 00:01.1, INTB */
    ck_assert_uint_eq(dom.devs[2].guest.dev, 1);
    ck_assert_uint_eq(dom.devs[2].guest.fn, 1);
    ck_assert_uint_eq(dom.devs[2].spi, 49);              /* slot 1 INTB: route 48 + 1, */
                                                         /* shared with slot 2's INTA */
    /* the BARs of both functions are laid out like any other */
    ck_assert_uint_ne(dom.devs[0].bars[0].guest, dom.devs[2].bars[0].guest);

    /* a later function of that slot may join; a taken slot.fn may not */
    {
        struct plan_request more = req(3, 0, 1, 3, 0);
        ck_assert_msg(plan_domain(&lay, &dom, &more, 1, err, sizeof(err)) == 0, "%s", err);
        ck_assert_uint_eq(dom.devs[3].guest.dev, 1);
        ck_assert_uint_eq(dom.devs[3].guest.fn, 3);
        ck_assert_uint_eq(dom.devs[3].spi, 0);
    }
    {
        struct plan_request dup = req(4, 0, 1, 1, 0);
        ck_assert_int_eq(plan_domain(&lay, &dom, &dup, 1, err, sizeof(err)), -EEXIST);
        ck_assert_str_eq(err, "0000:04:00.0: virtual slot 1.1 is already taken by 0000:01:00.1");
        ck_assert_uint_eq(dom.ndevs, 4);
    }
}
END_TEST

START_TEST(function_0_is_required)
{
    struct plan_request r[2] = { req(1, 1, 4, 1, 0), req(2, 0, -1, 0, 0) };

    ck_assert_int_eq(plan_domain(&lay, &dom, r, 2, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "0000:01:00.1: virtual slot 4 has no function 0 (a guest scans "
                          "functions 1..7 of a slot only behind function 0): place a function "
                          "at @4 or @4.0 too");
    ck_assert_uint_eq(dom.ndevs, 0);
    /* an automatic slot never lands in a slot that holds functions */
    {
        struct plan_request two[2] = { req(1, 1, 1, 1, 0), req(1, 0, 1, 0, 0) };
        struct plan_request a = req(5, 0, -1, 0, 0);
        ck_assert_int_eq(plan_domain(&lay, &dom, two, 2, err, sizeof(err)), 0);
        ck_assert_int_eq(plan_domain(&lay, &dom, &a, 1, err, sizeof(err)), 0);
        ck_assert_uint_eq(dom.devs[2].guest.dev, 2);
    }
}
END_TEST

START_TEST(two_functions_on_one_pin_are_refused)
{
    struct plan_request r[2] = { req(1, 0, 1, 0, 1), req(1, 1, 1, 1, 1) };

    ck_assert_int_eq(plan_domain(&lay, &dom, r, 2, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "0000:01:00.0 and 0000:01:00.1 would share INTA of virtual slot 1: "
                          "two host functions on one pin of a slot are not supported; put one "
                          "in another slot");
    ck_assert_uint_eq(dom.ndevs, 0);
    r[1].intx_pin = 0;                    /* a function without INTx may join */
    ck_assert_int_eq(plan_domain(&lay, &dom, r, 2, err, sizeof(err)), 0);
}
END_TEST

static Suite *plan_mfn_suite(void)
{
    Suite *s = suite_create("plan_mfn");
    TCase *tc = tcase_create("planner");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, two_functions_share_a_slot);
    tcase_add_test(tc, function_0_is_required);
    tcase_add_test(tc, two_functions_on_one_pin_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(plan_mfn_suite)
