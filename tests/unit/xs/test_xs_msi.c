/* The MSI nodes (pcipt/xs/xs_msi.c, docs/design/msi-announce.md
 * "xenstore") against a real xenstored: published with the device, read
 * back by xsp_read_domain and xsp_read_dev_msi, absent = off, bad values
 * named by path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xs_util.h"

static struct xs_handle *xs;
static struct domain_assign a;
static char err[512];

static void setup(void)
{
    struct dev_assign d;

    xs = xst_fresh();
    xst_sample(0, &d);
    d.msi = DEV_MSI_VITS;
    d.its_guest_devid = 0x8;
    d.its_host_devid = 0x20300;
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
    xst_sample(1, &d);                     /* msi off */
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
}

static void teardown(void)
{
    xs_close(xs);
}

static void set(const char *leaf, const char *val)
{
    char p[256];

    snprintf(p, sizeof(p), XST_BE "/pcipt/dev-0/%s", leaf);
    if (val)
        ck_assert(xs_write(xs, XBT_NULL, p, val, strlen(val)));
    else
        ck_assert(xs_rm(xs, XBT_NULL, p));
}

START_TEST(published_and_read_back)
{
    struct sbdf h0 = { 0, 3, 0, 0 }, h1 = { 1, 0x0a, 0x1f, 7 };
    enum dev_msi msi;
    uint32_t g = 1, h = 1;
    char *v;
    unsigned len;

    v = xs_read(xs, XBT_NULL, XST_BE "/pcipt/dev-0/msi", &len);
    ck_assert_str_eq(v, "vits");
    free(v);
    v = xs_read(xs, XBT_NULL, XST_BE "/pcipt/dev-0/its-host-devid", &len);
    ck_assert_str_eq(v, "0x20300");
    free(v);
    v = xs_read(xs, XBT_NULL, XST_BE "/pcipt/dev-1/msi", &len);
    ck_assert_str_eq(v, "off");
    free(v);
    ck_assert_ptr_null(xs_read(xs, XBT_NULL, XST_BE "/pcipt/dev-1/its-guest-devid", &len));
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err)), 0);
    ck_assert_int_eq(a.devs[0].msi, DEV_MSI_VITS);
    ck_assert_uint_eq(a.devs[0].its_guest_devid, 0x8);
    ck_assert_uint_eq(a.devs[0].its_host_devid, 0x20300);
    ck_assert_int_eq(a.devs[1].msi, DEV_MSI_OFF);
    ck_assert_int_eq(xsp_read_dev_msi(xs, XST_DOMID, &h0, &msi, &g, &h), 0);
    ck_assert_int_eq(msi, DEV_MSI_VITS);
    ck_assert_uint_eq(g, 0x8);
    ck_assert_uint_eq(h, 0x20300);
    ck_assert_int_eq(xsp_read_dev_msi(xs, XST_DOMID, &h1, &msi, &g, &h), 0);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    ck_assert_uint_eq(g, 0);
    h1.fn = 6;
    ck_assert_int_eq(xsp_read_dev_msi(xs, XST_DOMID, &h1, &msi, &g, &h), -ENOENT);
    /* published before MSI came: off */
    set("msi", NULL);
    ck_assert_int_eq(xsp_read_dev_msi(xs, XST_DOMID, &h0, &msi, &g, &h), 0);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
}
END_TEST

START_TEST(bad_values_named)
{
    static const char *const cases[][3] = {
        { "msi", "on", "/pcipt/dev-0/msi" },
        { "msi", "", "/pcipt/dev-0/msi" },
        { "its-guest-devid", "8", "/pcipt/dev-0/its-guest-devid" },
        { "its-guest-devid", NULL, "/pcipt/dev-0/its-guest-devid" },
        { "its-host-devid", "0x100000000", "/pcipt/dev-0/its-host-devid" },
    };
    struct sbdf h0 = { 0, 3, 0, 0 };
    enum dev_msi msi;
    uint32_t g, h;

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        set(cases[i][0], cases[i][1]);
        ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, cases[i][2]), "case %u: '%s'", i, err);
        ck_assert_int_eq(xsp_read_dev_msi(xs, XST_DOMID, &h0, &msi, &g, &h), -EINVAL);
        ck_assert_int_eq(msi, DEV_MSI_OFF);
        teardown();
    }
    setup();
}
END_TEST

static Suite *xs_msi_suite(void)
{
    Suite *s = suite_create("xs_msi");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, published_and_read_back);
    tcase_add_test(tc, bad_values_named);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xs_msi_suite)
