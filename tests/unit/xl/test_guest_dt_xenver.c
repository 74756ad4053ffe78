/* `pcipt dtb` without --xen-version follows the running hypervisor: the
 * prefetchable window's phys.hi is 0x42000000 before Xen 4.19 and
 * 0x43000000 from 4.19 (pcipt/xl/guest_dt.h).  The sim backend reports
 * $PCIPT_SIM_XEN_VERSION (default 4.17); an unanswerable question is a
 * failure that names --xen-version, never a guess. */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/attach_fx.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

static char blob[128];

static void setup(void)
{
    afx_setup();
    snprintf(blob, sizeof(blob), "%s/guest.dtb", simfx_dir);
}

/* env pcipt [--hv HV] --sysfs TREE dtb -o BLOB ARGS: exit status, stderr. */
static int dtb_cli(const char *env, const char *hv, const char *args, char **err)
{
    char *out = NULL;
    int rc;

    unlink(blob);
    rc = run_pcipt(RUN_ENV(env), &out, err, "%s --sysfs %s dtb -o %s %s", hv, afx_tree, blob,
                   args);
    free(out);
    return rc;
}

/* phys.hi of the second range (the prefetchable window) of the one bridge. */
static uint32_t pref_phys_hi(void)
{
    void *fdt = dtbt_load(blob);
    int n = dtbt_node(fdt, "/passthrough/pcie@10000000"), len = -1;
    const fdt32_t *r = fdt_getprop(fdt, n, "ranges", &len);
    uint32_t hi;

    ck_assert_int_eq(len, 14 * 4);            /* two ranges of 3+2+2 cells */
    ck_assert_uint_eq(fdt32_to_cpu(r[0]), 0x02000000);
    hi = fdt32_to_cpu(r[7]);
    free(fdt);
    return hi;
}

START_TEST(follows_the_sim_hypervisor)
{
    static const struct { const char *env; uint32_t hi; } c[] = {
        { "PCIPT_SIM_XEN_VERSION=4.18", 0x42000000 },
        { "PCIPT_SIM_XEN_VERSION=4.19", 0x43000000 },
        { "PCIPT_SIM_XEN_VERSION=4.20", 0x43000000 },
        { "PCIPT_SIM_XEN_VERSION=5.0", 0x43000000 },
        { "-u PCIPT_SIM_XEN_VERSION", 0x42000000 },     /* the sim is 4.17 by default */
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *err = NULL;
        ck_assert_msg(dtb_cli(c[i].env, "--hv sim", AFX_NIC "@2", &err) == 0, "%s: %s",
                      c[i].env, err);
        ck_assert_msg(pref_phys_hi() == c[i].hi, "%s: phys.hi %#x", c[i].env, pref_phys_hi());
        free(err);
    }
}
END_TEST

START_TEST(given_version_wins_and_verbose_says_which)
{
    char *err = NULL;

    ck_assert_int_eq(dtb_cli("PCIPT_SIM_XEN_VERSION=4.19", "--hv sim",
                             "--xen-version 4.17 " AFX_NIC, &err), 0);
    ck_assert_uint_eq(pref_phys_hi(), 0x42000000);
    free(err);
    ck_assert_int_eq(dtb_cli("PCIPT_SIM_XEN_VERSION=4.17", "--hv sim",
                             "--xen-version=4.19 " AFX_NIC, &err), 0);
    ck_assert_uint_eq(pref_phys_hi(), 0x43000000);
    free(err);
    ck_assert_int_eq(dtb_cli("PCIPT_SIM_XEN_VERSION=4.19", "-v --hv sim", AFX_NIC, &err), 0);
    ck_assert_msg(strstr(err, "pcipt: dtb: the sim hypervisor is Xen 4.19"), "%s", err);
    free(err);
}
END_TEST

/* No answer: exit 1, one line naming --xen-version, no file. */
START_TEST(unknown_version_fails_and_names_the_option)
{
    static const struct { const char *env, *hv, *msg; } c[] = {
        { "PCIPT_SIM_FAIL=xen_version:1:5", "--hv sim",
          "pcipt: dtb: cannot tell the Xen version (the sim backend cannot tell: Input/output "
          "error); give the target Xen with --xen-version X.Y\n" },
        { "PCIPT_SIM_XEN_VERSION=four", "--hv sim",
          "pcipt: dtb: cannot tell the Xen version (PCIPT_SIM_XEN_VERSION='four': expected "
          "the simulated Xen's version as X.Y (e.g. 4.19)); give the target Xen with "
          "--xen-version X.Y\n" },
        /* the default backend on a machine without Xen (as test_hv_p2m assumes) */
        { "", "", "pcipt: dtb: cannot tell the Xen version (cannot use the Xen hypervisor: "
          "/dev/xen/privcmd" },
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *err = NULL;
        size_t n;
        ck_assert_int_eq(dtb_cli(c[i].env, c[i].hv, AFX_NIC "@2", &err), 1);
        ck_assert_msg(strstr(err, c[i].msg), "case %u: %s", i, err);
        /* one line: "pcipt: dtb: ... --xen-version X.Y" */
        n = strlen(err);
        ck_assert_msg(!strncmp(err, "pcipt: dtb: ", 12) && strchr(err, '\n') == err + n - 1 &&
                      n > 18 && !strcmp(err + n - 18, "--xen-version X.Y\n"),
                      "case %u: not one line: %s", i, err);
        ck_assert_int_ne(access(blob, F_OK), 0);
        free(err);
    }
    /* ...and with --xen-version the same command works without a hypervisor */
    char *err = NULL;
    ck_assert_int_eq(dtb_cli("", "", "--xen-version 4.19 " AFX_NIC "@2", &err), 0);
    ck_assert_uint_eq(pref_phys_hi(), 0x43000000);
    free(err);
}
END_TEST

static Suite *dtb_xenver_suite(void)
{
    Suite *s = suite_create("dtb_xenver");
    TCase *tc = tcase_create("version");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, afx_teardown);
    tcase_add_test(tc, follows_the_sim_hypervisor);
    tcase_add_test(tc, given_version_wins_and_verbose_says_which);
    tcase_add_test(tc, unknown_version_fails_and_names_the_option);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(dtb_xenver_suite)
