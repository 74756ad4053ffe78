/* The xen backend's domain_exists rule (pcipt/hv/hv_xen.c).  Found on real
 * Xen: after `xl destroy` the domain stays listed as dying ("(null)
 * --p--d") while a foreign mapping of its memory exists, and the daemon's
 * ioreq page is one; a daemon that took "dying" for alive never cleaned up,
 * so the domain and the daemon both stayed forever. */
#include <errno.h>

#include "pcipt/hv/hv_backends.h"
#include "tests/support/testreg.h"

START_TEST(dying_is_gone)
{
    ck_assert_int_eq(hv_xen_dominfo_alive(1, 7, 7, false), 1);
    ck_assert_int_eq(hv_xen_dominfo_alive(1, 7, 7, true), 0);
}
END_TEST

START_TEST(next_domain_or_none_is_gone)
{
    ck_assert_int_eq(hv_xen_dominfo_alive(1, 7, 9, false), 0);   /* 4.17: the next one */
    ck_assert_int_eq(hv_xen_dominfo_alive(0, 7, 7, false), 0);
}
END_TEST

/* `pcipt attach 999 ...` on real Xen: xc_domain_getinfo finds no domain at
 * or after 999 and fails with ESRCH.  That is "no such domain" (so attach
 * says "domain 999 does not exist"), not a failure to ask; other errors stay
 * errors. */
START_TEST(no_domain_at_or_after_is_gone)
{
    ck_assert_int_eq(hv_xen_getinfo_failed(ESRCH), 0);
    ck_assert_int_eq(hv_xen_getinfo_failed(EACCES), -EACCES);
    ck_assert_int_eq(hv_xen_getinfo_failed(EIO), -EIO);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hv_xen_alive");
    TCase *tc = tcase_create("domain_exists");

    tcase_add_test(tc, dying_is_gone);
    tcase_add_test(tc, next_domain_or_none_is_gone);
    tcase_add_test(tc, no_domain_at_or_after_is_gone);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(suite)
