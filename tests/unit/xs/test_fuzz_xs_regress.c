/* Regression tests, with the real xenstored, for what fuzz_xs found
 * (docs/testing/fuzz.md "Found and fixed" F4, F7). */
#include <errno.h>
#include <string.h>

#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xs_util.h"

static struct xs_handle *xs;

static void setup(void)
{
    xs = xst_fresh();
}

static void teardown(void)
{
    xs_close(xs);
}

/* F4: a NUL byte in num_devs or dev-N made the readers return -EILSEQ
 * ("cannot read it from xenstore") instead of -EINVAL with "value contains
 * a NUL byte", as for every other node. */
START_TEST(nul_in_num_devs_is_invalid)
{
    static struct domain_assign a;
    struct dev_assign d;
    struct vdev_state st;
    struct xsp_server srv;
    char err[512];

    xst_sample(0, &d);
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/num_devs", "1\0", 2));
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, XST_BE "/num_devs: value contains a NUL byte"), "%s", err);
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d.host, &st, err, sizeof(err)),
                     -EINVAL);
    ck_assert_msg(strstr(err, "num_devs: value contains a NUL byte"), "%s", err);
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &srv, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(nul_in_dev_n_is_invalid_for_state)
{
    struct dev_assign d;
    struct vdev_state st;
    char err[512];

    xst_sample(0, &d);
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(xsp_write_vdev_state(xs, XST_DOMID, &d.host, &st), 0);
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/dev-0", "0000:03:00.0\0", 13));
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d.host, &st, err, sizeof(err)),
                     -EINVAL);
    ck_assert_msg(strstr(err, XST_BE "/dev-0: value contains a NUL byte"), "%s", err);
}
END_TEST

/* F7: xsp_read_server accepted nr-vcpus 0, which xsp_write_server refuses. */
START_TEST(server_with_no_vcpus_is_invalid)
{
    struct dev_assign d;
    struct xsp_server srv = { .id = 1, .pid = 42, .nr_vcpus = 1, .ports = { 7 } };
    char err[512];

    xst_sample(0, &d);
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
    ck_assert_int_eq(xsp_write_server(xs, XST_DOMID, &srv), 0);
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &srv, err, sizeof(err)), 0);
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/server/nr-vcpus", "0", 1));
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &srv, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, XST_BE "/pcipt/server/nr-vcpus: "), "%s", err);
}
END_TEST

static Suite *fuzz_xs_regress_suite(void)
{
    Suite *s = suite_create("fuzz_xs_regress");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nul_in_num_devs_is_invalid);
    tcase_add_test(tc, nul_in_dev_n_is_invalid_for_state);
    tcase_add_test(tc, server_with_no_vcpus_is_invalid);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(fuzz_xs_regress_suite)
