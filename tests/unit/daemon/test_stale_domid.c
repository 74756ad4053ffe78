/* Issue 15 item 4, a stale assignment and a reused domid
 * (docs/design/attach.md "Hand-over: a stale assignment"): domain 5
 * (vm /vm/OLD) is given 0000:01:00.0, then destroyed while no daemon runs
 * and a new domain 5 (vm /vm/NEW) is created.  `pcipt serve 5` must not
 * serve the device to it (before the fix it did: the new domain's FLR
 * reached the host's reset); serve, attach and detach take the old
 * domain's device back from Xen's quarantine and remove its records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/hv/hv.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define OLD_VM "/vm/11111111-2222-3333-4444-000000000old"
#define NEW_VM "/vm/11111111-2222-3333-4444-000000000new"

static struct xs_handle *xs;

static void setup(void)
{
    afx_setup();
    ck_assert_ptr_nonnull(xs = xsw_open());
}

static void teardown(void)
{
    xsw_close(xs);
    afx_teardown();
}

static char *be_read(const char *rel)
{
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX + 64];

    snprintf(p, sizeof(p), "%s/%s", xsp_backend_path(DOM, be), rel);
    return xsw_read(xs, XBT_NULL, p);
}

/* Domain 5 as vm, given the NIC. */
static void old_domain_with_nic(void)
{
    char err[512];

    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/5/vm", OLD_VM), 0);
    ck_assert_msg(afx_attach(DOM, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), DOM);
}

/* xl destroy while no daemon runs, then a new domain gets domid 5. */
static void destroy_and_reuse(void)
{
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(xsw_rm(xs, XBT_NULL, "/local/domain/5"), 0);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), HV_DOMID_IO);      /* quarantined */
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0x40000000, 0x20000000, 64), 0);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/5/vm", NEW_VM), 0);
}

static void check_cleaned_up(void)
{
    char *v = be_read("num_devs");

    ck_assert_msg(v == NULL, "the stale assignment is still in xenstore (num_devs %s)", v);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);                /* back with dom0 */
    ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);
}

START_TEST(serve_refuses_a_reused_domid)
{
    struct run_opts o = { .timeout_ms = 5000 };
    struct sim_server_info si[4];
    char *out = NULL, *err = NULL;
    int st;

    old_domain_with_nic();
    destroy_and_reuse();
    st = run_pcipt(&o, &out, &err, "%s --host-dt %s/no-host-fdt serve %u", afx_args(),
                   afx_tree, DOM);
    /* before the fix: served (and killed by the time bound, -1) */
    ck_assert_msg(st == 1, "serve of a reused domid: status %d, stderr: %s", st, err);
    ck_assert_msg(strstr(err, OLD_VM) && strstr(err, NEW_VM) && strstr(err, "nothing served"),
                  "%s", err);
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, si, 4), 0);
    check_cleaned_up();
    free(out);
    free(err);
}
END_TEST

START_TEST(detach_cleans_a_reused_domid)
{
    char err[512];

    old_domain_with_nic();
    destroy_and_reuse();
    ck_assert_msg(afx_detach(DOM, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    check_cleaned_up();
}
END_TEST

START_TEST(attach_to_a_reused_domid_starts_afresh)
{
    char err[512], *v;

    old_domain_with_nic();
    destroy_and_reuse();
    /* the GPU to the new domain 5: the old one's NIC must not come with it */
    ck_assert_msg(afx_attach(DOM, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(v = be_read("num_devs"));
    ck_assert_str_eq(v, "1");
    free(v);
    ck_assert_ptr_nonnull(v = be_read("pcipt/vm"));
    ck_assert_str_eq(v, NEW_VM);
    free(v);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    ck_assert_uint_eq(afx_smmu_owner(AFX_GPU), DOM);
    ck_assert_msg(afx_detach(DOM, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* The same domain (same vm) is never taken for a stale one. */
START_TEST(own_assignment_is_not_stale)
{
    char err[512], *v;

    old_domain_with_nic();
    ck_assert_ptr_nonnull(v = be_read("pcipt/vm"));       /* the assignment names its domain */
    ck_assert_str_eq(v, OLD_VM);
    free(v);
    ck_assert_msg(afx_attach(DOM, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), DOM);
    ck_assert_msg(afx_detach(DOM, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(DOM, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

static Suite *stale_domid_suite(void)
{
    Suite *s = suite_create("stale_domid");
    TCase *tc = tcase_create("stale_domid");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, serve_refuses_a_reused_domid);
    tcase_add_test(tc, detach_cleans_a_reused_domid);
    tcase_add_test(tc, attach_to_a_reused_domid_starts_afresh);
    tcase_add_test(tc, own_assignment_is_not_stale);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(stale_domid_suite)
