/* xsw_transact_read against the real xenstored: a read-only body that
 * fails because another connection's commit removed what it was reading
 * (seen on real Xen: the daemon read the assignment while detach removed
 * it, "node is missing") is run again instead of reporting the half-seen
 * state; xsw_transact, for bodies that write, still aborts and reports.
 * And an rm in a transaction of a subtree another connection changed
 * meanwhile: xenstored answers EIO, xsw_rm says EAGAIN, the body reruns
 * (seen under load: the daemon tidying pcipt/dev-N while xl destroy
 * removed the backend). */
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

/* Reads /t/d (the transaction keeps its copy, child x listed), then the
 * first time the other connection removes /t/d/x, then removes /t/d. */
static int rm_body(struct xs_handle *h, xs_transaction_t t, void *arg)
{
    char *v;

    (void)arg;
    calls++;
    if (!(v = xsw_read(h, t, "/t/d")))
        return errno == ENOENT ? 0 : -EIO;
    free(v);
    if (calls == 1)
        ck_assert_int_eq(xsw_rm(other, XBT_NULL, "/t/d/x"), 0);
    return xsw_rm(h, t, "/t/d");
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

/* What xenstored 4.17 itself answers (the reason for xsw_rm's EAGAIN). */
START_TEST(xenstored_answers_eio_to_a_stale_rm_in_a_transaction)
{
    xs_transaction_t t;
    char *v;
    unsigned len;

    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/t/d/x", "1"), 0);
    t = xs_transaction_start(xs);
    ck_assert(t != XBT_NULL);
    ck_assert_ptr_nonnull(v = xs_read(xs, t, "/t/d", &len));
    free(v);
    ck_assert_int_eq(xsw_rm(other, XBT_NULL, "/t/d/x"), 0);
    errno = 0;
    ck_assert(!xs_rm(xs, t, "/t/d"));
    ck_assert_int_eq(errno, EIO);
    xs_transaction_end(xs, t, true);
}
END_TEST

START_TEST(stale_rm_in_a_transaction_reruns_the_body)
{
    char *v;
    unsigned len;

    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/t/d/x", "1"), 0);
    ck_assert_int_eq(xsw_transact(xs, rm_body, NULL), 0);
    ck_assert_uint_eq(calls, 2);
    ck_assert_ptr_null(xs_read(xs, XBT_NULL, "/t/d", &len));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_nonnull(v = xs_read(xs, XBT_NULL, "/t/a", &len));   /* the rest stays */
    free(v);
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
    tcase_add_test(tc, xenstored_answers_eio_to_a_stale_rm_in_a_transaction);
    tcase_add_test(tc, stale_rm_in_a_transaction_reruns_the_body);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(suite)
