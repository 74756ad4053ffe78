/* xsw_transact_read against the real xenstored: a read-only body that
 * fails because another connection's commit removed what it was reading
 * (seen on real Xen: the daemon read the assignment while detach removed
 * it, "node is missing") is run again instead of reporting the half-seen
 * state; xsw_transact, for bodies that write, still aborts and reports. */
#include <errno.h>
#include <stdlib.h>

#include "pcipt/xs/xs.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

static struct xs_handle *xs, *other;
static unsigned calls;

/* Reads /t/a; the first time it is there, the other connection removes
 * /t (committed at once), then /t/b is read: missing.  0 once /t is gone. */
static int body(struct xs_handle *h, xs_transaction_t t, void *arg)
{
    char *v;

    (void)arg;
    calls++;
    if (!(v = xsw_read(h, t, "/t/a")))
        return errno == ENOENT ? 0 : -EIO;
    free(v);
    if (calls == 1)
        ck_assert_int_eq(xsw_rm(other, XBT_NULL, "/t"), 0);
    if (!(v = xsw_read(h, t, "/t/b")))
        return errno == ENOENT ? -ENOENT : -EIO;
    free(v);
    return 0;
}

static void setup(void)
{
    xs = xs_open(0);
    other = xs_open(0);
    ck_assert_ptr_nonnull(xs);
    ck_assert_ptr_nonnull(other);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/t/a", "1"), 0);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/t/b", "2"), 0);
    calls = 0;
}

static void teardown(void)
{
    xs_rm(xs, XBT_NULL, "/t");
    xs_close(other);
    xs_close(xs);
}

START_TEST(read_body_reruns_after_a_conflicting_commit)
{
    ck_assert_int_eq(xsw_transact_read(xs, body, NULL), 0);
    ck_assert_uint_eq(calls, 2);
}
END_TEST

START_TEST(plain_transact_reports_the_half_seen_state)
{
    ck_assert_int_eq(xsw_transact(xs, body, NULL), -ENOENT);
    ck_assert_uint_eq(calls, 1);
}
END_TEST

START_TEST(a_consistent_failure_is_reported_once)
{
    ck_assert_int_eq(xsw_rm(xs, XBT_NULL, "/t/b"), 0);
    calls = 1;                      /* the body removes nothing this time */
    ck_assert_int_eq(xsw_transact_read(xs, body, NULL), -ENOENT);
    ck_assert_uint_eq(calls, 2);    /* one run */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xs_transact_read");
    TCase *tc = tcase_create("transact_read");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_body_reruns_after_a_conflicting_commit);
    tcase_add_test(tc, plain_transact_reports_the_half_seen_state);
    tcase_add_test(tc, a_consistent_failure_is_reported_once);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(suite)
