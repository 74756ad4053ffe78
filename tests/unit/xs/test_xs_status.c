/* `pcipt status` against a real xenstored, run as a separate process. */
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

static void setup(void)
{
    struct xsp_server srv = { .id = 3, .pid = 4242, .nr_vcpus = 2, .ports = { 17, 18 } };
    struct dev_assign d;

    xs = xst_fresh();
    for (int i = 0; i < 2; i++) {
        xst_sample(i, &d);
        ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
    }
    ck_assert_int_eq(xsp_write_server(xs, XST_DOMID, &srv), 0);
}

static void teardown(void)
{
    xs_close(xs);
}

static const char text5[] =
    "domain 5: ioreq server 3, daemon pid 4242, ports 17,18\n"
    "  0000:03:00.0 -> 0000:00:01.0  spi 40 (INTA)  dma off  msi off\n"
    "    BAR0 mem64 pref guest 0x100000000 host 0x8000100000 size 0x100000\n"
    "    BAR2 mem32      guest 0x23000000 host 0x10004000 size 0x4000\n"
    "    BAR3 mem32      guest 0x23004300 host 0x10008300 size 0x100\n"
    "    ROM  rom        guest 0x23010000 host 0x10010000 size 0x10000\n"
    "  0001:0a:1f.7 -> 0000:00:02.0  spi 0 (none)  dma off  msi off  forced\n"
    "    BAR0 io         guest 0x0 host 0x1020 size 0x20\n"
    "    BAR1 mem32      guest 0x23020000 host 0x20001000 size 0x1000\n";

/* `pcipt status 5` exits 0 and prints exactly text5. */
static void expect_text5(void)
{
    char *out, *err;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status 5"), 0);
    ck_assert_str_eq(out, text5);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
}

START_TEST(status_text)
{
    expect_text5();
}
END_TEST

/* xl pci-attach listed a third function that pcipt does not serve (not
 * adopted yet, or refused): status shows pcipt's two and exits 0. */
START_TEST(status_beside_a_libxl_only_device)
{
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/key-2", "0000:05:00.0", 12));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/dev-2", "0000:05:00.0", 12));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/state-2", "1", 1));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/num_devs", "3", 1));
    expect_text5();
}
END_TEST

START_TEST(status_all_domains)
{
    struct dev_assign d;
    char *out, *err, want[2048];

    xst_sample(2, &d);
    ck_assert_int_eq(xsp_publish_device(xs, 12, &d), 0);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status"), 0);
    snprintf(want, sizeof(want), "%s%s", text5,
             "domain 12: no daemon recorded\n"
             "  0000:04:00.0 -> 0000:00:03.0  spi 41 (INTB)  dma off  msi off\n"
             "    BAR0 mem32      guest 0x23030000 host 0x30000000 size 0x10000\n");
    ck_assert_str_eq(out, want);
    free(out);
    free(err);
}
END_TEST

START_TEST(status_json)
{
    char *out, *err;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status --json 5"), 0);
    ck_assert_str_eq(out,
        "{\"domains\": [{\"domid\": 5, \"server\": {\"id\": 3, \"pid\": 4242, \"ports\": [17, 18]}, "
        "\"devices\": [{\"host\": \"0000:03:00.0\", \"guest\": \"0000:00:01.0\", \"spi\": 40, "
        "\"intx_pin\": 1, \"force\": false, \"dma\": \"off\", \"msi\": \"off\", \"reset\": null, \"bars\": ["
        "{\"index\": 0, \"type\": \"mem64\", \"prefetchable\": true, \"guest\": \"0x100000000\", "
        "\"host\": \"0x8000100000\", \"size\": \"0x100000\"}, "
        "{\"index\": 2, \"type\": \"mem32\", \"prefetchable\": false, \"guest\": \"0x23000000\", "
        "\"host\": \"0x10004000\", \"size\": \"0x4000\"}, "
        "{\"index\": 3, \"type\": \"mem32\", \"prefetchable\": false, \"guest\": \"0x23004300\", "
        "\"host\": \"0x10008300\", \"size\": \"0x100\"}, "
        "{\"index\": 6, \"type\": \"rom\", \"prefetchable\": false, \"guest\": \"0x23010000\", "
        "\"host\": \"0x10010000\", \"size\": \"0x10000\"}]}, "
        "{\"host\": \"0001:0a:1f.7\", \"guest\": \"0000:00:02.0\", \"spi\": 0, "
        "\"intx_pin\": 0, \"force\": true, \"dma\": \"off\", \"msi\": \"off\", \"reset\": null, \"bars\": ["
        "{\"index\": 0, \"type\": \"io\", \"prefetchable\": false, \"guest\": \"0x0\", "
        "\"host\": \"0x1020\", \"size\": \"0x20\"}, "
        "{\"index\": 1, \"type\": \"mem32\", \"prefetchable\": false, \"guest\": \"0x23020000\", "
        "\"host\": \"0x20001000\", \"size\": \"0x1000\"}]}]}]}\n");
    free(out);
    free(err);
}
END_TEST

START_TEST(status_errors)
{
    char *out, *err;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status 7"), 3);   /* nothing published */
    ck_assert_str_eq(err, "pcipt: no devices are published for domain 7\n");
    free(out);
    free(err);

    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-1/bar-1/size", "0x1001", 6));
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status 5"), 1);
    ck_assert_str_eq(err, "pcipt: domain 5: " XST_BE "/pcipt/dev-1/bar-1: size 0x1001 is not a "
                          "power of two\n");
    free(out);
    free(err);

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "status 5x"), 2);
    ck_assert_ptr_nonnull(strstr(err, "'5x' is not a domain id"));
    free(out);
    free(err);
}
END_TEST

START_TEST(status_unreachable)
{
    char *out, *err;

    ck_assert_int_eq(run_pcipt(RUN_ENV("XENSTORED_PATH=/nonexistent/xs.sock"), &out, &err,
                               "status"), 1);
    ck_assert_str_eq(err, "pcipt: cannot reach xenstore at /nonexistent/xs.sock: "
                          "No such file or directory\n");
    free(out);
    free(err);
    /* PCIPT_XS_FAIL: the first operation (the open) fails with EIO */
    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_XS_FAIL=1:5"), &out, &err, "status"), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot reach xenstore at "));
    ck_assert_ptr_nonnull(strstr(err, "Input/output error"));
    free(out);
    free(err);
    /* ... or a read in the middle */
    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_XS_FAIL=6:5"), &out, &err, "status 5"), 1);
    ck_assert_ptr_nonnull(strstr(err, "pcipt: domain 5: "));
    ck_assert_ptr_nonnull(strstr(err, "Input/output error"));
    free(out);
    free(err);
}
END_TEST

static Suite *xs_status_suite(void)
{
    Suite *s = suite_create("xs_status");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, status_text);
    tcase_add_test(tc, status_beside_a_libxl_only_device);
    tcase_add_test(tc, status_all_domains);
    tcase_add_test(tc, status_json);
    tcase_add_test(tc, status_errors);
    tcase_add_test(tc, status_unreachable);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xs_status_suite)
