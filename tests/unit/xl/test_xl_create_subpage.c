/* `pcipt create` and sub-page BARs (pcipt/host/subpage.h): the devices of
 * one config are one request, so two functions whose small BARs share a
 * host page may go to the new domain together; one of them alone is
 * refused, naming both and the page, and the domain is not left behind.
 * The tree as tests/unit/assign/test_attach_subpage.c makes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"

#define NEIGHBOUR "0000:01:00.1"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

static void setup(void)
{
    xlfx_setup();
    afx_add_subpage_neighbour(NEIGHBOUR);
}

START_TEST(both_in_one_config_are_allowed)
{
    char args[512], *out, *err;

    xlfx_write("g.cfg", "name = \"guest1\"\n"
                        "pcipt = [ \"" AFX_NIC "\", \"" NEIGHBOUR "\" ]\n");
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "attached " AFX_NIC " as "), "%s", out);
    ck_assert_msg(strstr(out, "attached " NEIGHBOUR " as "), "%s", out);
    free(out); free(err);
}
END_TEST

START_TEST(one_alone_is_refused)
{
    char args[512], *out, *err;

    xlfx_write("g.cfg", "name = \"guest1\"\n"
                        "pcipt = [ \"" AFX_NIC "\", \"0000:09:00.0\" ]\n");
    snprintf(args, sizeof(args), "create --force %s", path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args), 1);
    ck_assert_msg(strstr(err, AFX_NIC " BAR 0 (256 bytes) shares host page 0xe0900000 with "
                              NEIGHBOUR " BAR 0"), "%s", err);
    ck_assert(!xlfx_domain_exists(7));
    free(out); free(err);
}
END_TEST

static Suite *xl_create_subpage_suite(void)
{
    Suite *s = suite_create("xl_create_subpage");
    TCase *tc = tcase_create("create");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, xlfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, both_in_one_config_are_allowed);
    tcase_add_test(tc, one_alone_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_create_subpage_suite)
