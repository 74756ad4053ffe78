/* The xenstore layer under failure: every operation failing in turn
 * (injection) and hostile contents written with the xenstore-* tools. */
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
    xs = xst_fresh();
}

static void teardown(void)
{
    xs_close(xs);
}

static int publish(int which)
{
    struct dev_assign d;

    xst_sample(which, &d);
    return xsp_publish_device(xs, XST_DOMID, &d);
}

/* Make op n fail for n = 1, 2, ... until the call succeeds; each failure
 * must return the injected error and leave the store exactly as before. */
static unsigned fail_each_op(int (*call)(int), int arg)
{
    unsigned n;

    for (n = 1; n < 1000; n++) {
        char *before = xst_dump(), *after;
        int rc;

        xsw_inject_fail(n, EIO);
        rc = call(arg);
        xsw_inject_fail(0, 0);
        after = xst_dump();
        if (rc == 0) {
            ck_assert_str_ne(after, before);
            free(before);
            free(after);
            return n;
        }
        ck_assert_msg(rc == -EIO, "op %u: rc %d", n, rc);
        ck_assert_msg(!strcmp(after, before), "op %u failing left residue", n);
        free(before);
        free(after);
    }
    ck_abort_msg("never succeeded");
    return 0;
}

START_TEST(publish_first_device_each_op_fails)
{
    static struct domain_assign a;

    ck_assert_uint_gt(fail_each_op(publish, 0), 20);
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
    ck_assert_uint_eq(a.ndevs, 1);
}
END_TEST

START_TEST(publish_second_device_each_op_fails)
{
    static struct domain_assign a;

    ck_assert_int_eq(publish(0), 0);
    ck_assert_uint_gt(fail_each_op(publish, 1), 15);
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
    ck_assert_uint_eq(a.ndevs, 2);
}
END_TEST

static int remove_sample(int which)
{
    struct dev_assign d;

    xst_sample(which, &d);
    return xsp_remove_device(xs, XST_DOMID, &d.host);
}

START_TEST(remove_each_op_fails)
{
    static struct domain_assign a;
    struct dev_assign d1;

    ck_assert_int_eq(publish(0), 0);
    ck_assert_int_eq(publish(1), 0);
    ck_assert_int_eq(publish(2), 0);
    ck_assert_uint_gt(fail_each_op(remove_sample, 0), 10);
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
    ck_assert_uint_eq(a.ndevs, 2);
    xst_sample(1, &d1);
    ck_assert(xst_dev_equal(&a.devs[0], &d1));
}
END_TEST

/* EAGAIN anywhere (a conflicting commit) reruns the transaction. */
START_TEST(eagain_is_retried)
{
    static struct domain_assign a;
    struct dev_assign d;
    char *clean;
    unsigned long ops;

    xsw_inject_fail(0, 0);
    ck_assert_int_eq(publish(0), 0);
    ops = xsw_ops();
    clean = xst_dump();
    ck_assert_uint_gt(ops, 20);
    xst_sample(0, &d);
    for (unsigned n = 1; n <= ops; n++) {
        char *after;
        ck_assert_int_eq(xsp_remove_domain(xs, XST_DOMID), 0);
        xsw_inject_fail(n, EAGAIN);
        ck_assert_msg(publish(0) == 0, "EAGAIN at op %u not retried", n);
        ck_assert_uint_gt(xsw_ops(), ops);      /* it did run again */
        xsw_inject_fail(0, 0);
        after = xst_dump();
        ck_assert_str_eq(after, clean);
        free(after);
    }
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
    ck_assert(xst_dev_equal(&a.devs[0], &d));
    free(clean);
}
END_TEST

/* Read must fail with -EINVAL and name the path (no crash: Check forks). */
static void expect_invalid(const char *changed, const char *want_path)
{
    static struct domain_assign a;
    char err[512];
    int rc = xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err));

    ck_assert_msg(rc == -EINVAL, "%s: rc %d (%s)", changed, rc, err);
    ck_assert_msg(strstr(err, want_path) != NULL, "%s: error '%s' does not name %s", changed,
                  err, want_path);
    ck_assert_uint_eq(a.ndevs, 0);
}

static void cli(const char *fmt, const char *path, const char *val)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), fmt, path, val);
    ck_assert_msg(run_sh(NULL, NULL, NULL, "%s", cmd) == 0, "%s failed", cmd);
}

/* Each node in turn: garbage, then removed; then restored. */
/* BE/pcipt/dev-N/host (not a BAR's host). */
static bool is_dev_host(const char *p)
{
    const char *d = strstr(p, "/pcipt/dev-");
    const char *slash = d ? strchr(d + 11, '/') : NULL;

    return slash && !strcmp(slash, "/host");
}

START_TEST(garbage_in_every_node)
{
    char **leaves;
    unsigned tried = 0;

    ck_assert_int_eq(publish(0), 0);
    ck_assert_int_eq(publish(1), 0);
    leaves = xst_leaves(xs, XST_BE);
    for (char **p = leaves; *p; p++) {
        unsigned len;
        char *saved = xs_read(xs, XBT_NULL, *p, &len);

        ck_assert_ptr_nonnull(saved);
        if (strcmp(strrchr(*p, '/'), "/domain")) {       /* the name is free-form */
            cli("xenstore-write -- '%s' '%s'", *p, "zz-garbage");
            expect_invalid(*p, *p);
        }
        cli("xenstore-rm '%s'%s", *p, "");
        if (!strcmp(strrchr(*p, '/'), "/dma")) {
            /* records from before DMA isolation have none: DMA off */
            static struct domain_assign a;
            ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
            ck_assert_uint_eq(a.ndevs, 2);
            ck_assert_int_eq(a.devs[0].dma, DEV_DMA_OFF);
            ck_assert_int_eq(a.devs[1].dma, DEV_DMA_OFF);
        } else if (!strcmp(strrchr(*p, '/'), "/msi")) {
            /* records from before the vITS have none: MSI off */
            static struct domain_assign a;
            ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
            ck_assert_uint_eq(a.ndevs, 2);
            ck_assert_int_eq(a.devs[0].msi, DEV_MSI_OFF);
            ck_assert_int_eq(a.devs[1].msi, DEV_MSI_OFF);
        } else if (is_dev_host(*p) || !strncmp(strrchr(*p, '/'), "/vdevfn-", 8)) {
            /* records from before issue 16 have neither: accepted */
            static struct domain_assign a;
            ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
            ck_assert_uint_eq(a.ndevs, 2);
        } else if (!strcmp(*p, XST_BE "/pcipt/vm")) {
            /* records from before the owner was recorded have none: accepted */
            static struct domain_assign a;
            ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);
            ck_assert_uint_eq(a.ndevs, 2);
        } else if (!strcmp(*p, XST_BE "/num_devs")) {
            /* no count: as libxl, nothing is published */
            ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &(struct domain_assign){ 0 }, NULL,
                                             0), -ENOENT);
        } else {
            expect_invalid(*p, *p);
        }
        ck_assert(xs_write(xs, XBT_NULL, *p, saved, len));
        free(saved);
        tried++;
    }
    xst_free_list(leaves);
    ck_assert_uint_gt(tried, 40);
    {
        static struct domain_assign a;
        ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), 0);  /* all restored */
    }
}
END_TEST

/* Values of the right syntax but wrong meaning. */
START_TEST(wrong_values_named)
{
    static const char *const cases[][3] = {
        /* node (under be), value, path the error must name (under be) */
        { "num_devs", "33", "num_devs" },
        { "num_devs", "01", "num_devs" },
        { "num_devs", "3", "dev-2" },
        { "vdevfn-0", "0", "vdevfn-0" },
        { "pcipt/dev-0/host", "0000:77:00.0", "pcipt/dev-0/host" },
        { "dev-0", "0000:03:00.8", "dev-0" },
        { "dev-0", "0000:03:20.0", "dev-0" },
        { "dev-0", "0000:03:00.0 ", "dev-0" },
        { "dev-0", "0000:3:00.0", "dev-0" },
        { "dev-0", "0000:0A:00.0", "dev-0" },
        { "key-0", "0000:03:00.1", "key-0" },
        { "vdev-0", "0000:00:01.0", "vdev-0" },
        { "vdev-1", "0000:00:01.00", "vdev-1" },
        { "dev-1", "0000:03:00.0", "key-1" },
        { "opts-0", "msitranslate=2,power_mgmt=0,permissive=0,rdm_policy=strict", "opts-0" },
        { "opts-0", "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=loose", "opts-0" },
        { "state-0", "9", "state-0" },
        { "state", "-1", "state" },
        { "online", "2", "online" },
        { "frontend-id", "6", "frontend-id" },
        { "frontend", "/local/domain/6/device/pci/0", "frontend" },
        { "pcipt/dev-0/spi", "31", "pcipt/dev-0/spi" },
        { "pcipt/dev-0/spi", "1020", "pcipt/dev-0/spi" },
        { "pcipt/dev-0/spi", "4294967296", "pcipt/dev-0/spi" },
        { "pcipt/dev-0/intx-pin", "5", "pcipt/dev-0/intx-pin" },
        { "pcipt/dev-0/force", "2", "pcipt/dev-0/force" },
        { "pcipt/dev-0/bar-0/type", "mem16", "pcipt/dev-0/bar-0/type" },
        { "pcipt/dev-0/bar-0/type", "rom", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-6/type", "mem32", "pcipt/dev-0/bar-6" },
        { "pcipt/dev-0/bar-0/prefetchable", "yes", "pcipt/dev-0/bar-0/prefetchable" },
        { "pcipt/dev-0/bar-0/size", "0x3000", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-0/size", "0x0", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-0/size", "0x", "pcipt/dev-0/bar-0/size" },
        { "pcipt/dev-0/bar-0/size", "0x10000000000000000", "pcipt/dev-0/bar-0/size" },
        { "pcipt/dev-0/bar-0/size", "1048576", "pcipt/dev-0/bar-0/size" },
        { "pcipt/dev-0/bar-0/guest", "0x100080000", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-0/host", "0x8000180000", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-0/guest", "0xfffffffffff80000", "pcipt/dev-0/bar-0" },
        { "pcipt/dev-0/bar-3/guest", "0x23004400", "pcipt/dev-0/bar-3" },
        { "pcipt/dev-0/bar-1/type", "mem32", "pcipt/dev-0/bar-1" },
    };
    char node[300], want[300];

    ck_assert_int_eq(publish(0), 0);
    ck_assert_int_eq(publish(1), 0);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned len;
        char *saved;

        snprintf(node, sizeof(node), "%s/%s", XST_BE, cases[i][0]);
        snprintf(want, sizeof(want), "%s/%s", XST_BE, cases[i][2]);
        saved = xs_read(xs, XBT_NULL, node, &len);
        cli("xenstore-write -- '%s' '%s'", node, cases[i][1]);
        expect_invalid(node, want);
        if (saved)
            ck_assert(xs_write(xs, XBT_NULL, node, saved, len));
        else
            ck_assert(xs_rm(xs, XBT_NULL, node));
        free(saved);
    }
}
END_TEST

/* libxl removing the last device writes num_devs = 0 before it destroys the
 * backend (libxl_pci.c libxl__device_pci_remove_xenstore): a reader in
 * between finds no device, which is not an error in the tree. */
START_TEST(num_devs_zero_is_no_device)
{
    static struct domain_assign a;
    char err[512];

    ck_assert_int_eq(publish(0), 0);
    cli("xenstore-write -- '%s' '%s'", XST_BE "/num_devs", "0");
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, XST_BE "/num_devs"));
    ck_assert_uint_eq(a.ndevs, 0);
}
END_TEST

START_TEST(upper_half_and_odd_bytes)
{
    char big[3000];   /* xenstored's limit is 4096 per message */

    ck_assert_int_eq(publish(0), 0);
    /* a complete BAR where the upper half of 64-bit BAR 0 sits */
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1/type", "mem32", 5));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1/prefetchable", "0", 1));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1/host", "0x1000", 6));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1/guest", "0x1000", 6));
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1/size", "0x1000", 6));
    expect_invalid("bar-1", XST_BE "/pcipt/dev-0/bar-1");
    ck_assert(xs_rm(xs, XBT_NULL, XST_BE "/pcipt/dev-0/bar-1"));
    /* an embedded NUL byte */
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/spi", "40\0" "1", 4));
    expect_invalid("spi NUL", XST_BE "/pcipt/dev-0/spi");
    /* control characters are not echoed into the one-line message */
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/spi", "4\n\x1b[2J", 6));
    {
        static struct domain_assign a;
        char err[512];
        ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, err, sizeof(err)), -EINVAL);
        ck_assert_ptr_null(strchr(err, '\n'));
        ck_assert_ptr_null(strchr(err, '\x1b'));
        ck_assert_ptr_nonnull(strstr(err, "'4??[2J'"));
    }
    /* a very long value */
    memset(big, '7', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/spi", big, sizeof(big) - 1));
    expect_invalid("spi long", XST_BE "/pcipt/dev-0/spi");
}
END_TEST

static Suite *xs_faults_suite(void)
{
    Suite *s = suite_create("xs_faults");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, publish_first_device_each_op_fails);
    tcase_add_test(tc, publish_second_device_each_op_fails);
    tcase_add_test(tc, remove_each_op_fails);
    tcase_add_test(tc, eagain_is_retried);
    tcase_add_test(tc, garbage_in_every_node);
    tcase_add_test(tc, wrong_values_named);
    tcase_add_test(tc, num_devs_zero_is_no_device);
    tcase_add_test(tc, upper_half_and_odd_bytes);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xs_faults_suite)
