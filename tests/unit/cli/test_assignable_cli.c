/* `pcipt pci-assignable-add / -list / -remove` (the real binary, --hv sim,
 * a real xenstored, Linux's driver core played on the sysfs tree by the
 * shim of afx_driver_core_env): a function bound to a "real" driver goes to
 * the holder and back to that driver; without -r it is left unbound;
 * without a record (attach --bind, then detach) -r lets the kernel probe
 * it; a quarantined function is taken out of quarantine; and the errors
 * (unknown SBDF, not assignable, still attached, a bridge). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

#define NIC_MACHINE_SBDF 0x0100u      /* 0000:01:00.0 as Xen numbers it */

/* Run `pcipt ARGS` with the driver-core shim; its exit status, out/err kept. */
static int pcipt_dc(char **out, char **err, const char *args)
{
    free(*out);
    free(*err);
    *out = *err = NULL;
    return run_pcipt(RUN_ENV(afx_driver_core_env()), out, err, "%s %s", afx_args(), args);
}

static void assert_driver(const char *dev, const char *want)
{
    char state[256];

    afx_driver_state(dev, state, sizeof(state));
    ck_assert_msg(strstr(state, want), "%s: '%s' lacks '%s'", dev, state, want);
}

START_TEST(add_list_remove_r_gives_it_back)
{
    char *out = NULL, *err = NULL;

    afx_set_driver(AFX_NIC, "igb");
    ck_assert_msg(pcipt_dc(&out, &err, "pci-assignable-add " AFX_NIC) == 0, "%s", err);
    ck_assert_str_eq(out, AFX_NIC " is assignable: held by uio_pci_generic (it had 'igb')\n");
    assert_driver(AFX_NIC, "driver uio_pci_generic ");
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-list"), 0);
    ck_assert_str_eq(out, AFX_NIC "\n");
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-list --json"), 0);
    ck_assert_str_eq(out, "[{\"sbdf\":\"" AFX_NIC "\",\"holder\":\"uio_pci_generic\","
                          "\"previous_driver\":\"igb\"}]\n");
    /* a second add changes nothing and keeps the record of igb */
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-add " AFX_NIC), 0);
    ck_assert_str_eq(out, AFX_NIC " was already held by uio_pci_generic\n");
    ck_assert_msg(pcipt_dc(&out, &err, "pci-assignable-remove -r " AFX_NIC) == 0, "%s", err);
    ck_assert_str_eq(out, AFX_NIC " is back with 'igb'\n");
    ck_assert_str_eq(err, "");
    assert_driver(AFX_NIC, "driver igb ");
    assert_driver(AFX_NIC, "override (null)");
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-list"), 0);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(remove_without_r_leaves_it_unbound)
{
    char *out = NULL, *err = NULL;

    afx_set_driver(AFX_NIC, "igb");
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-add " AFX_NIC), 0);
    ck_assert_msg(pcipt_dc(&out, &err, "pci-assignable-remove " AFX_NIC) == 0, "%s", err);
    ck_assert_str_eq(out, AFX_NIC " is no longer assignable (left without a driver)\n");
    assert_driver(AFX_NIC, "driver none ");
    /* the record went with it: a later -r has nothing to give back */
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-remove -r " AFX_NIC), 1);
    ck_assert_msg(strstr(err, AFX_NIC " is not assignable: no driver holds it"), "%s", err);
    free(out);
    free(err);
}
END_TEST

/* attach --bind keeps no record: -r asks the kernel, which finds igb */
START_TEST(remove_r_without_record_probes)
{
    char *out = NULL, *err = NULL;

    afx_set_driver(AFX_NIC, "igb");
    ck_assert_msg(pcipt_dc(&out, &err, "attach --bind 5 " AFX_NIC) == 0, "%s", err);
    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-remove -r " AFX_NIC), 1);
    ck_assert_str_eq(err, "pcipt: pci-assignable-remove: " AFX_NIC " is still attached to "
                          "domain 5; detach it first (pcipt pci-detach 5 " AFX_NIC ")\n");
    assert_driver(AFX_NIC, "driver uio_pci_generic ");
    ck_assert_int_eq(pcipt_dc(&out, &err, "detach 5 " AFX_NIC), 0);
    ck_assert_msg(pcipt_dc(&out, &err, "pci-assignable-remove -r " AFX_NIC) == 0, "%s", err);
    ck_assert_str_eq(out, AFX_NIC " is back with 'igb'\n");
    ck_assert_str_eq(err, "pcipt: warning: " AFX_NIC ": pcipt has no record of its earlier "
                          "driver: the kernel was asked to probe it\n");
    assert_driver(AFX_NIC, "driver igb ");
    free(out);
    free(err);
}
END_TEST

/* its domain died while it was assigned: Xen keeps it in quarantine */
START_TEST(remove_takes_it_out_of_quarantine)
{
    char *out = NULL, *err = NULL;
    uint32_t owner = 0;

    ck_assert_int_eq(pcipt_dc(&out, &err, "pci-assignable-add " AFX_NIC), 0);
    ck_assert_str_eq(out, AFX_NIC " is assignable: held by uio_pci_generic (it had no driver)\n");
    ck_assert_int_eq(simfx_hv->ops->assign_device(simfx_hv, 3, NIC_MACHINE_SBDF), 0);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 3), 0);
    ck_assert_int_eq(sim_device_owner(simfx_hv, NIC_MACHINE_SBDF, &owner), 0);
    ck_assert_uint_eq(owner, HV_DOMID_IO);
    ck_assert_msg(pcipt_dc(&out, &err, "pci-assignable-remove -r " AFX_NIC) == 0, "%s", err);
    ck_assert_str_eq(out, AFX_NIC " is no longer assignable (left without a driver)\n");
    ck_assert_int_eq(sim_device_owner(simfx_hv, NIC_MACHINE_SBDF, &owner), 0);
    ck_assert_uint_eq(owner, 0);
    free(out);
    free(err);
}
END_TEST

struct bad_case {
    void (*pre)(void);
    const char *args;
    int status;
    const char *msg;
};

static void nic_igb(void)
{
    afx_set_driver(AFX_NIC, "igb");
}

static const struct bad_case bad[] = {
    { NULL, "pci-assignable-add 0000:05:00.0", 1, "0000:05:00.0: no such device under" },
    { NULL, "pci-assignable-remove 0000:05:00.0", 1, "0000:05:00.0: no such device under" },
    { nic_igb, "pci-assignable-remove -r " AFX_NIC, 1,
      AFX_NIC " is not assignable: it is bound to the dom0 driver 'igb' (pcipt "
      "pci-assignable-add makes it assignable)" },
    { NULL, "pci-assignable-add", 2, "give a device (SSSS:BB:DD.F)" },
    { NULL, "pci-assignable-add 01:00", 2, "'01:00' is not SSSS:BB:DD.F" },
    { NULL, "pci-assignable-remove -x " AFX_NIC, 2, "unknown option '-x'" },
    { NULL, "pci-assignable-list " AFX_NIC, 2, "unexpected argument '" AFX_NIC "'" },
};

START_TEST(bad_input)
{
    const struct bad_case *c = &bad[_i];
    char *out = NULL, *err = NULL, *before, *after;

    if (c->pre)
        c->pre();
    before = afx_snapshot();
    ck_assert_int_eq(pcipt_dc(&out, &err, c->args), c->status);
    ck_assert_msg(strstr(err, c->msg), "'%s': '%s' lacks '%s'", c->args, err, c->msg);
    ck_assert_str_eq(out, "");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before);
    free(after);
    free(out);
    free(err);
}
END_TEST

static Suite *assignable_cli_suite(void)
{
    Suite *s = suite_create("assignable_cli");
    TCase *tc = tcase_create("cli");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_add_test(tc, add_list_remove_r_gives_it_back);
    tcase_add_test(tc, remove_without_r_leaves_it_unbound);
    tcase_add_test(tc, remove_r_without_record_probes);
    tcase_add_test(tc, remove_takes_it_out_of_quarantine);
    tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(assignable_cli_suite)
