/* attach under failure: every hypervisor call and every xenstore operation
 * of an attach made to fail in turn; each failure must return an error that
 * names what failed and leave the p2m, the permissions and xenstore exactly
 * as before (docs/design.md "Targets": "Any failure during attach leaves no mapping,
 * permission, xenstore node or server behind"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

static char err[512];

static void assert_same(const char *before, const char *what, unsigned n)
{
    char *now = afx_snapshot();
    ck_assert_msg(!strcmp(now, before), "%s #%u failing left residue:\n%s\n--- vs before\n%s",
                  what, n, now, before);
    free(now);
}

/* How many calls of op one clean attach of dev makes (then detached). */
static unsigned calls_of(const char *op, const char *dev)
{
    struct hv_counters c0 = afx_ctx.hv->counters;
    unsigned n;

    ck_assert_msg(afx_attach(5, dev, -1, 0, err, sizeof(err)) == 0, "%s", err);
    if (!strcmp(op, "memory_mapping"))
        n = (unsigned)(afx_ctx.hv->counters.memory_mapping_calls - c0.memory_mapping_calls);
    else if (!strcmp(op, "iomem_permission"))
        n = (unsigned)(afx_ctx.hv->counters.iomem_permission_calls - c0.iomem_permission_calls);
    else
        n = 1;      /* domain_exists: once, before anything else */
    ck_assert_msg(afx_detach(5, dev, err, sizeof(err)) == 0, "%s", err);
    return n;
}

/* Make the n-th call of op fail for n = 1 .. all of them; then attach
 * succeeds again. */
static void each_call_fails(const char *op, const char *dev, const char *needle)
{
    char *before = afx_snapshot();
    unsigned total = calls_of(op, dev);

    ck_assert_uint_gt(total, 0);
    for (unsigned n = 1; n <= total; n++) {
        ck_assert_int_eq(sim_inject_fail(simfx_hv, op, n, EIO), 0);
        ck_assert_int_eq(afx_attach(5, dev, -1, 0, err, sizeof(err)), -EIO);
        ck_assert_msg(strstr(err, needle) && strstr(err, "domain 5"), "%s #%u: '%s'", op, n, err);
        assert_same(before, op, n);
    }
    ck_assert_msg(afx_attach(5, dev, -1, 0, err, sizeof(err)) == 0, "%s", err);
    free(before);
}

START_TEST(each_domain_exists_fails)
{
    each_call_fails("domain_exists", AFX_NIC, "cannot check whether domain 5 exists");
}
END_TEST

START_TEST(each_iomem_permission_fails)
{
    each_call_fails("iomem_permission", AFX_NIC, "iomem_permission failed");
    ck_assert_uint_eq(calls_of("iomem_permission", AFX_GPU), 4);   /* BAR0, 2, 5, ROM */
}
END_TEST

START_TEST(each_memory_mapping_fails)
{
    /* NIC: BAR0 1 call, BAR1 16, BAR3 2 (around the MSI-X pages) */
    ck_assert_uint_eq(calls_of("memory_mapping", AFX_NIC), 19);
    each_call_fails("memory_mapping", AFX_NIC, "memory_mapping failed");
}
END_TEST

START_TEST(failing_map_names_the_bar)
{
    char *before = afx_snapshot();

    /* 17th call: the first chunk of BAR1 after BAR0 (1) and BAR1's first 15 */
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 17, EPERM), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EPERM);
    ck_assert_str_eq(err, "cannot map BAR 1 of 0000:01:00.0 at guest 0x23000000 in domain 5: "
                          "memory_mapping failed: Operation not permitted");
    assert_same(before, "memory_mapping", 17);
    free(before);
}
END_TEST

/* Every xenstore operation of an attach failing in turn, with and without
 * a device already published for the domain. */
static void each_xs_op_fails(void)
{
    char *before = afx_snapshot();
    unsigned n;

    for (n = 1; n < 500; n++) {
        int rc;

        xsw_inject_fail(n, EIO);
        rc = afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err));
        xsw_inject_fail(0, 0);
        if (rc == 0)
            break;
        ck_assert_msg(rc == -EIO, "xenstore op %u: rc %d (%s)", n, rc, err);
        ck_assert_msg(strstr(err, "xenstore"), "xenstore op %u: '%s'", n, err);
        assert_same(before, "xenstore op", n);
    }
    ck_assert_uint_gt(n, 10);       /* the scan, the read and the publish */
    ck_assert_uint_lt(n, 500);
    free(before);
}

START_TEST(each_xenstore_op_fails_first_device)
{
    each_xs_op_fails();
}
END_TEST

START_TEST(each_xenstore_op_fails_second_device)
{
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(3, AFX_NIC, 4, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(3, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    each_xs_op_fails();
}
END_TEST


/* Undo is complete even when one of its own steps fails: the 4th grant
 * (the ROM) fails, then the first revoke of the undo fails too; the other
 * two grants are still revoked. */
START_TEST(undo_goes_on_after_its_own_failure)
{
    struct sim_range r[8];
    int n;

    ck_assert_int_eq(sim_inject_fail(simfx_hv, "iomem_permission", 4, EIO), 0);
    /* an entry counts only the calls no earlier entry took: 4 here is the
     * 5th call, the first revoke of the undo (BAR3, last granted first) */
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "iomem_permission", 4, EIO), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EIO);
    ck_assert_msg(strstr(err, "access to ROM of 0000:01:00.0"), "%s", err);
    ck_assert_uint_eq(afx_ctx.hv->counters.iomem_permission_calls, 7);   /* 4 + 3 revokes */
    n = sim_list_permissions(simfx_hv, 5, r, 8);
    ck_assert_int_eq(n, 1);                 /* only the revoke that failed: BAR3 */
    ck_assert(r[0].start == 0xe0840 && r[0].end == 0xe0843);
}
END_TEST

/* A detach whose unmap fails keeps the device published (its p2m records
 * say what is still mapped); running detach again finishes the job. */
START_TEST(failed_detach_can_be_run_again)
{
    char *before = afx_snapshot(), *now;

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 2, EIO), 0);
    ck_assert_int_eq(afx_detach(5, AFX_NIC, err, sizeof(err)), -EIO);
    /* BARs are unmapped last first: call 2 is BAR3's second chunk */
    ck_assert_msg(strstr(err, "cannot unmap BAR 3 of 0000:01:00.0 at guest 0x23820000 in "
                              "domain 5: Input/output error; 0000:01:00.0 stays published"),
                  "%s", err);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    free(now);
    free(before);
}
END_TEST

static Suite *attach_faults_suite(void)
{
    Suite *s = suite_create("attach_faults");
    TCase *tc = tcase_create("injection");

    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_add_test(tc, each_domain_exists_fails);
    tcase_add_test(tc, each_iomem_permission_fails);
    tcase_add_test(tc, each_memory_mapping_fails);
    tcase_add_test(tc, failing_map_names_the_bar);
    tcase_add_test(tc, undo_goes_on_after_its_own_failure);
    tcase_add_test(tc, failed_detach_can_be_run_again);
    tcase_add_test(tc, each_xenstore_op_fails_first_device);
    tcase_add_test(tc, each_xenstore_op_fails_second_device);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_faults_suite)
