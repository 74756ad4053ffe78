/* `pcipt dtb` with a DOMID (the assignment read back from xenstore) and
 * with SBDF[@SLOT] arguments (planned as `pcipt plan` does); the blobs are
 * decompiled by the real dtc, and both paths must describe the same guest
 * identically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/attach_fx.h"
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

/* pcipt dtb -o BLOB ARGS, then dtc -I dtb -O dts: exit 0, no warning. */
static char *dtb_dts(const char *args)
{
    char cmd[512], *out = NULL, *err = NULL;
    int rc;

    unlink(blob);
    snprintf(cmd, sizeof(cmd), "dtb -o %s %s", blob, args);
    rc = run_pcipt(NULL, &out, &err, "%s %s", afx_args(), cmd);
    ck_assert_msg(rc == 0, "pcipt %s: %d %s", cmd, rc, err);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s", blob);
    rc = run_sh(NULL, &out, &err, "%s", cmd);
    ck_assert_msg(rc == 0 && err && !err[0], "dtc: %d %s", rc, err ? err : "");
    free(err);
    return out;
}

START_TEST(planned_devices_decompile)
{
    char *dts = dtb_dts(AFX_NIC "@2");

    ck_assert_ptr_nonnull(strstr(dts, "pcie@10000000 {"));
    /* every slot is routed (pcipt/assign/intx_route.h): slot 1 INTA first,
     * -> SPI 48 (GIC SPI 16); slot 2 (devfn 0x10 << 8) INTA -> SPI 49 */
    ck_assert_msg(strstr(dts, "interrupt-map = <0x800 0x00 0x00 0x01 0xfde8 0x00 0x10 0x04 "),
                  "slot 1 INTA is not the first entry");
    ck_assert_msg(strstr(dts, " 0x1000 0x00 0x00 0x01 0xfde8 0x00 0x11 0x04 "),
                  "slot 2 INTA does not go to SPI 49");
    free(dts);
}
END_TEST

START_TEST(domid_reads_what_attach_published)
{
    char err[512], *from_xs, *from_plan;

    ck_assert_msg(afx_attach(5, AFX_NIC, 2, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, AFX_GPU, 5, 0, err, sizeof(err)) == 0, "%s", err);
    from_xs = dtb_dts("5");
    from_plan = dtb_dts(AFX_NIC "@2 " AFX_GPU "@5");
    ck_assert_str_eq(from_xs, from_plan);
    /* slot 5 INTA -> its route, SPI 52 (GIC SPI 20), whatever the attach order */
    ck_assert_msg(strstr(from_xs, "0x2800 0x00 0x00 0x01 0xfde8 0x00 0x14 0x04"),
                  "slot 5 INTA does not go to SPI 52");
    free(from_xs);
    free(from_plan);
}
END_TEST

START_TEST(bad_arguments_are_named)
{
    static const struct { const char *env, *args, *msg; } c[] = {
        { "", "7", "pcipt: dtb: no devices are published for domain 7" },
        { "", "5 " AFX_NIC, "pcipt: dtb: give either one DOMID or devices, not both" },
        { "", "0000:05:00.0", "pcipt: dtb: 0000:05:00.0: no such device" },
        { "", "0000:01:00", "pcipt: dtb: '0000:01:00' is not SSSS:BB:DD.F[@SLOT[.FN]]" },
        { "XENSTORED_PATH=/nonexistent/socket", "5",
          "pcipt: dtb: cannot reach xenstore at /nonexistent/socket" },
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *out = NULL, *err = NULL;
        ck_assert_int_eq(run_pcipt(RUN_ENV(c[i].env), &out, &err, "%s dtb -o %s %s", afx_args(),
                                   blob, c[i].args), 1);
        ck_assert_msg(strstr(err, c[i].msg), "'%s': %s", c[i].args, err);
        ck_assert_int_ne(access(blob, F_OK), 0);
        free(out);
        free(err);
    }
}
END_TEST

static Suite *dtb_args_suite(void)
{
    Suite *s = suite_create("dtb_args");
    TCase *tc = tcase_create("dtc");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, afx_teardown);
    tcase_add_test(tc, planned_devices_decompile);
    tcase_add_test(tc, domid_reads_what_attach_published);
    tcase_add_test(tc, bad_arguments_are_named);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(dtb_args_suite)
