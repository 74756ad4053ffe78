/* The simulated vITS (pcipt/sim/sim_its.c): the rules of
 * XEN_DMOP_pcipt_its_device as toolstack-hooks/xen-patches/4.17/
 * 0006-arm-vits-domu-pcipt.patch states them, one by one; the guest's MAPD;
 * release on deassign and domain destroy; PCIPT_SIM_VITS=off; sim show. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 7
#define RAM 0x40000000ull
#define SBDF  0x0100u          /* 0000:01:00.0 */
#define SBDF2 0x0900u          /* 0000:09:00.0 */
#define GDEV  0x0008u          /* guest 0000:00:01.0 */

static struct hv *H;

static void setup(void)
{
    simfx_setup();
    H = simfx_hv;
    ck_assert_int_eq(sim_domain_create(H, DOM, 1, RAM, 0x100000, 32), 0);
    ck_assert_int_eq(sim_domain_create(H, 8, 1, RAM, 0x100000, 32), 0);
    ck_assert_int_eq(sim_domain_create_flags(H, 9, 1, RAM, 0x100000, 32, 0), 0);
    ck_assert_int_eq(H->ops->assign_device(H, DOM, SBDF), 0);
    ck_assert_int_eq(H->ops->assign_device(H, DOM, SBDF2), 0);
}

static int bind(uint32_t dom, uint32_t gdev, uint32_t sbdf, uint32_t events, uint32_t *hdev)
{
    return H->ops->its_device(H, dom, gdev, sbdf, events, true, hdev);
}

static int unbind(uint32_t dom, uint32_t gdev, uint32_t sbdf)
{
    return H->ops->its_device(H, dom, gdev, sbdf, 0, false, NULL);
}

static int nbound(uint32_t dom)
{
    return sim_list_its_bindings(H, dom, NULL, 0);
}

START_TEST(bind_returns_the_rid_and_lists_it)
{
    struct sim_its_binding b[4];
    uint32_t hdev = 0xdead;

    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 64, &hdev), 0);
    ck_assert_uint_eq(hdev, 0x0100);              /* the RID: the sim's identity msi-map */
    ck_assert_int_eq(sim_list_its_bindings(H, DOM, b, 4), 1);
    ck_assert_uint_eq(b[0].guest_devid, GDEV);
    ck_assert_uint_eq(b[0].machine_sbdf, SBDF);
    ck_assert_uint_eq(b[0].host_devid, 0x0100);
    ck_assert_uint_eq(b[0].nr_events, 64);
    ck_assert_int_eq(nbound(8), 0);
    ck_assert_int_eq(unbind(DOM, GDEV, SBDF), 0);
    ck_assert_int_eq(nbound(DOM), 0);
}
END_TEST

START_TEST(bad_arguments_einval)
{
    uint32_t hdev;
    static const uint32_t bad_events[] = { 0, 1, 16, 31, 48, 96, 0xffffffffu };

    for (unsigned i = 0; i < sizeof(bad_events) / sizeof(bad_events[0]); i++)
        ck_assert_int_eq(bind(DOM, GDEV, SBDF, bad_events[i], &hdev), -EINVAL);
    ck_assert_int_eq(bind(DOM, SIM_ITS_DEVID_LIMIT, SBDF, 32, &hdev), -EINVAL);
    ck_assert_int_eq(bind(DOM, 0x1ffff, SBDF, 32, &hdev), -EINVAL);
    ck_assert_int_eq(bind(DOM, 0xffff, SBDF, 32, &hdev), 0);   /* the last DeviceID */
    ck_assert_int_eq(nbound(DOM), 1);
}
END_TEST

START_TEST(function_must_be_assigned_to_the_domain_eperm)
{
    uint32_t hdev;

    ck_assert_int_eq(bind(8, GDEV, SBDF, 32, &hdev), -EPERM);      /* DOM owns it */
    ck_assert_int_eq(bind(DOM, GDEV, 0x0200, 32, &hdev), -EPERM);  /* dom0 owns it */
    ck_assert_int_eq(nbound(8) + nbound(DOM), 0);
}
END_TEST

START_TEST(guest_devid_or_function_bound_ebusy)
{
    uint32_t hdev;

    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 32, &hdev), 0);
    ck_assert_int_eq(bind(DOM, GDEV, SBDF2, 32, &hdev), -EBUSY);       /* DeviceID taken */
    ck_assert_int_eq(bind(DOM, GDEV + 8, SBDF, 32, &hdev), -EBUSY);    /* function bound */
    ck_assert_int_eq(bind(DOM, GDEV + 8, SBDF2, 32, &hdev), 0);
    ck_assert_int_eq(nbound(DOM), 2);
}
END_TEST

START_TEST(unbind_of_something_not_bound_enoent)
{
    uint32_t hdev;

    ck_assert_int_eq(unbind(DOM, GDEV, SBDF), -ENOENT);
    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 32, &hdev), 0);
    ck_assert_int_eq(unbind(DOM, GDEV, SBDF2), -ENOENT);   /* bound to another function */
    ck_assert_int_eq(unbind(DOM, GDEV + 8, SBDF), -ENOENT);
    ck_assert_int_eq(unbind(8, GDEV, SBDF), -ENOENT);
    ck_assert_int_eq(unbind(DOM, GDEV, SBDF), 0);
    ck_assert_int_eq(unbind(DOM, GDEV, SBDF), -ENOENT);
}
END_TEST

START_TEST(no_vits_eopnotsupp)
{
    uint32_t hdev;

    /* a domain created without passthrough has no vITS */
    ck_assert_int_eq(bind(9, GDEV, SBDF, 32, &hdev), -EOPNOTSUPP);
    ck_assert_int_eq(sim_guest_its_mapd(H, 9, GDEV, 32), -EOPNOTSUPP);
    /* an unpatched Xen */
    ck_assert_int_eq(setenv(SIM_VITS_ENV, "off", 1), 0);
    struct hv *n = simfx_open();
    unsetenv(SIM_VITS_ENV);
    ck_assert_int_eq(n->ops->its_device(n, DOM, GDEV, SBDF, 32, true, &hdev), -EOPNOTSUPP);
    ck_assert_int_eq(n->ops->its_device(n, DOM, GDEV, SBDF, 0, false, NULL), -EOPNOTSUPP);
    hv_close(n);
    /* a dm_op: an unknown domain, dom0 */
    ck_assert_int_eq(bind(99, GDEV, SBDF, 32, &hdev), -ESRCH);
    ck_assert_int_eq(bind(0, GDEV, SBDF, 32, &hdev), -EPERM);
    ck_assert_int_eq(nbound(DOM), 0);
}
END_TEST

START_TEST(mapd_only_for_a_bound_devid_within_its_events)
{
    uint64_t acc = 9, ref = 9;
    uint32_t hdev;

    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV, 32), -EPERM);    /* unannounced */
    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 64, &hdev), 0);
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV, 64), 0);
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV, 32), 0);
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV, 128), -EPERM);   /* too many events */
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV + 8, 32), -EPERM);
    ck_assert_int_eq(sim_guest_its_mapd(H, 8, GDEV, 32), -EPERM);      /* another domain's */
    ck_assert_int_eq(sim_its_mapd_counts(H, DOM, &acc, &ref), 0);
    ck_assert_uint_eq(acc, 2);
    ck_assert_uint_eq(ref, 3);
}
END_TEST

START_TEST(deassign_and_destroy_release)
{
    uint32_t hdev;

    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 32, &hdev), 0);
    ck_assert_int_eq(bind(DOM, GDEV + 8, SBDF2, 32, &hdev), 0);
    ck_assert_int_eq(H->ops->deassign_device(H, DOM, SBDF), 0);
    ck_assert_int_eq(nbound(DOM), 1);
    ck_assert_int_eq(unbind(DOM, GDEV, SBDF), -ENOENT);          /* already gone */
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV, 32), -EPERM);
    ck_assert_int_eq(sim_domain_destroy(H, DOM), 0);
    /* the function went to quarantine unbound; a new domain binds it afresh */
    ck_assert_int_eq(H->ops->assign_device(H, 8, SBDF2), 0);
    ck_assert_int_eq(bind(8, GDEV + 8, SBDF2, 32, &hdev), 0);
    ck_assert_int_eq(nbound(8), 1);
}
END_TEST

START_TEST(fail_injection_and_show)
{
    uint32_t hdev;
    char *out = NULL, *err = NULL, env[128];

    ck_assert_int_eq(sim_inject_fail(H, "its_device", 1, EIO), 0);
    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 32, &hdev), -EIO);
    ck_assert_int_eq(bind(DOM, GDEV, SBDF, 32, &hdev), 0);
    ck_assert_int_eq(sim_guest_its_mapd(H, DOM, GDEV + 8, 32), -EPERM);
    snprintf(env, sizeof(env), "PCIPT_SIM_DIR=%s", simfx_dir);
    ck_assert_int_eq(run_pcipt(RUN_ENV(env), &out, &err, "sim show %u", DOM), 0);
    ck_assert_msg(strstr(out, "dom7 its guest-devid=0x8 sbdf=0000:01:00.0 host-devid=0x100 "
                              "events=32\n"), "%s", out);
    ck_assert_msg(strstr(out, "dom7 its-mapd accepted=0 refused=1\n"), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(RUN_ENV(env), &out, &err, "sim show %u --json", DOM), 0);
    ck_assert_msg(strstr(out, "\"its\":[{\"guest_devid\":8,\"sbdf\":\"0000:01:00.0\","
                              "\"host_devid\":256,\"events\":32}],\"its_mapd\":{\"accepted\":0,"
                              "\"refused\":1}"), "%s", out);
    free(out);
    free(err);
    /* the guest's MAPD from the command line: accepted, then refused */
    ck_assert_int_eq(run_pcipt(RUN_ENV(env), &out, &err, "sim its-mapd %u 8 32", DOM), 0);
    ck_assert_ptr_nonnull(strstr(out, "accepted"));
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(RUN_ENV(env), &out, &err, "sim its-mapd %u 16 32", DOM), 1);
    ck_assert_msg(strstr(err, "MAPD of DeviceID 0x10 (32 events) refused"), "%s", err);
    free(out);
    free(err);
}
END_TEST

static Suite *sim_its_suite(void)
{
    Suite *s = suite_create("sim_its");
    TCase *tc = tcase_create("vits");

    tcase_add_checked_fixture(tc, setup, simfx_teardown);
    tcase_set_timeout(tc, 60);          /* fail_injection_and_show runs pcipt 4 times */
    tcase_add_test(tc, bind_returns_the_rid_and_lists_it);
    tcase_add_test(tc, bad_arguments_einval);
    tcase_add_test(tc, function_must_be_assigned_to_the_domain_eperm);
    tcase_add_test(tc, guest_devid_or_function_bound_ebusy);
    tcase_add_test(tc, unbind_of_something_not_bound_enoent);
    tcase_add_test(tc, no_vits_eopnotsupp);
    tcase_add_test(tc, mapd_only_for_a_bound_devid_within_its_events);
    tcase_add_test(tc, deassign_and_destroy_release);
    tcase_add_test(tc, fail_injection_and_show);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(sim_its_suite)
