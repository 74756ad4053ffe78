/* Simulated iomem_permission / memory_mapping follow Xen's rules
 * (docs/xen-facts.md "64 pages per call", "iomem permission"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 5
#define MFN 0x80000ull
#define GFN 0x23000ull

static void mkdom(void)
{
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 2, 0x40000000, 0x10000000, 32), 0);
}

static int map(uint64_t gfn, uint64_t mfn, uint64_t nr, bool add)
{
    return simfx_hv->ops->memory_mapping(simfx_hv, DOM, gfn, mfn, nr, add);
}

static int perm(uint32_t dom, uint64_t mfn, uint64_t nr, bool allow)
{
    return simfx_hv->ops->iomem_permission(simfx_hv, dom, mfn, nr, allow);
}

START_TEST(limit_64_pages)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 1024, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 65, true), -E2BIG);
    ck_assert_int_eq(map(GFN, MFN, 64, true), 0);
    ck_assert_uint_eq(simfx_hv->counters.memory_mapping_calls, 2);
    ck_assert_uint_eq(simfx_hv->counters.memory_mapping_e2big, 1);
    struct sim_mapping m[4];
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, m, 4), 1);
    ck_assert_uint_eq(m[0].gfn, GFN);
    ck_assert_uint_eq(m[0].mfn, MFN);
    ck_assert_uint_eq(m[0].nr, 64);
}
END_TEST

START_TEST(target_permission_needed)
{
    mkdom();
    ck_assert_int_eq(map(GFN, MFN, 1, true), -EPERM);
    ck_assert_int_eq(perm(DOM, MFN, 4, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 5, true), -EPERM);   /* last page not permitted */
    ck_assert_int_eq(map(GFN, MFN, 4, true), 0);
    ck_assert_uint_eq(simfx_hv->counters.iomem_permission_calls, 1);
}
END_TEST

START_TEST(dom0_permission_needed)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 16, true), 0);
    /* restrict dom0 itself: now neither grant nor map may touch MFN+8.. */
    ck_assert_int_eq(perm(0, MFN + 8, 8, false), 0);
    ck_assert_int_eq(map(GFN, MFN, 16, true), -EPERM);
    ck_assert_int_eq(perm(DOM, MFN + 8, 1, true), -EPERM);
    ck_assert_int_eq(map(GFN, MFN, 8, true), 0);
    /* removal needs the caller's permission only (docs/xen-facts.md
     * "iomem permission") */
    ck_assert_int_eq(map(GFN + 8, MFN + 8, 1, false), -EPERM);
    ck_assert_int_eq(map(GFN, MFN, 8, false), 0);
}
END_TEST

START_TEST(overlap_refused)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 256, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 8, true), 0);
    ck_assert_int_eq(map(GFN + 7, MFN + 100, 2, true), -EEXIST);
    ck_assert_int_eq(map(GFN - 1, MFN + 100, 2, true), -EEXIST);
    ck_assert_int_eq(map(GFN + 8, MFN + 8, 8, true), 0);  /* adjacent is fine */
    struct sim_mapping m[4];
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, m, 4), 1);   /* merged */
    ck_assert_uint_eq(m[0].nr, 16);
}
END_TEST

/* Xen 4.17 (common/domctl.c) checks the target's permission for remove
 * as well: once revoked, a mapping can no longer be removed (seen on real
 * Xen when libxl revoked a domain's permission before pcipt unmapped). */
/* _i = 0: the project's patched Xen (patch 0004) and 4.22: a remove needs
 * only the caller's permission.  _i = 1: stock Xen <= 4.21
 * (PCIPT_SIM_UNMAP_NEEDS_PERMISSION=1): the target's too. */
START_TEST(remove_needs_the_target_permission)
{
    struct hv *h;
    struct sim_mapping m[2];

    if (_i)
        ck_assert_int_eq(setenv(SIM_UNMAP_PERM_ENV, "1", 1), 0);
    h = simfx_open();
    unsetenv(SIM_UNMAP_PERM_ENV);
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 8, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 8, true), 0);
    ck_assert_int_eq(perm(DOM, MFN, 8, false), 0);
    ck_assert_int_eq(map(GFN, MFN, 8, true), -EPERM);          /* an add: always */
    ck_assert_int_eq(h->ops->memory_mapping(h, DOM, GFN, MFN, 8, false), _i ? -EPERM : 0);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, m, 2), _i ? 1 : 0);
    ck_assert_int_eq(perm(DOM, MFN, 8, true), 0);
    ck_assert_int_eq(h->ops->memory_mapping(h, DOM, GFN, MFN, 8, false), 0);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, m, 2), 0);
    hv_close(h);
}
END_TEST

START_TEST(remove_unmapped_and_split)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 64, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 4, false), 0);      /* nothing there: fine */
    ck_assert_int_eq(map(GFN, MFN, 64, true), 0);
    ck_assert_int_eq(map(GFN + 10, MFN + 10, 4, false), 0);
    struct sim_mapping m[4];
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, m, 4), 2);
    ck_assert_uint_eq(m[0].nr, 10);
    ck_assert_uint_eq(m[1].gfn, GFN + 14);
    ck_assert_uint_eq(m[1].mfn, MFN + 14);
    ck_assert_uint_eq(m[1].nr, 50);
}
END_TEST

START_TEST(bad_arguments_and_domains)
{
    mkdom();
    ck_assert_int_eq(map(GFN, MFN, 0, true), -EINVAL);
    ck_assert_int_eq(perm(DOM, MFN, 0, true), -EINVAL);
    ck_assert_int_eq(perm(DOM, UINT64_MAX, 2, true), -EINVAL);     /* wraps */
    ck_assert_int_eq(map(GFN, 1ull << 40, 1, true), -EINVAL);     /* beyond paddr bits */
    /* no such domain: libxc's own check gives -EINVAL; the domctl -ESRCH */
    ck_assert_int_eq(simfx_hv->ops->memory_mapping(simfx_hv, 77, GFN, MFN, 1, true), -EINVAL);
    ck_assert_int_eq(perm(77, MFN, 1, true), -ESRCH);
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, 77), 0);
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, DOM), 1);
}
END_TEST

START_TEST(destroy_clears_everything)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 64, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 64, true), 0);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, NULL, 0), -ESRCH);
    mkdom();
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, NULL, 0), 0);
    ck_assert_int_eq(sim_list_permissions(simfx_hv, DOM, NULL, 0), 0);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 99), -ESRCH);
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0, 0, 0), -EEXIST);
}
END_TEST

START_TEST(state_shared_between_handles)
{
    mkdom();
    struct hv *other = simfx_open();
    ck_assert_int_eq(other->ops->domain_exists(other, DOM), 1);
    ck_assert_int_eq(other->ops->iomem_permission(other, DOM, MFN, 1, true), 0);
    ck_assert_int_eq(map(GFN, MFN, 1, true), 0);
    hv_close(other);
    ck_assert_int_eq(sim_reset(simfx_hv), 0);
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, DOM), 0);
}
END_TEST

START_TEST(injected_failure)
{
    mkdom();
    ck_assert_int_eq(perm(DOM, MFN, 64, true), 0);
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 2, EIO), 0);
    ck_assert_int_eq(map(GFN, MFN, 1, true), 0);
    ck_assert_int_eq(map(GFN + 1, MFN + 1, 1, true), -EIO);
    ck_assert_int_eq(map(GFN + 1, MFN + 1, 1, true), 0);     /* one-shot */
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 0, EIO), -EINVAL);
}
END_TEST

START_TEST(xen_backend_without_hypervisor)
{
    struct hv *hv = NULL;
    char err[256] = "";
    int rc = hv_open("xen", &hv, err, sizeof(err));
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(hv);
    ck_assert_msg(strstr(err, "/dev/xen/privcmd") && strstr(err, "--hv sim"), "got: %s", err);
    ck_assert_int_eq(hv_open("kvm", &hv, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown hypervisor backend 'kvm'"));
}
END_TEST

static Suite *hv_p2m_suite(void)
{
    Suite *s = suite_create("hv_p2m");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, simfx_setup, simfx_teardown);
    tcase_add_test(tc, limit_64_pages);
    tcase_add_test(tc, target_permission_needed);
    tcase_add_test(tc, dom0_permission_needed);
    tcase_add_test(tc, overlap_refused);
    tcase_add_test(tc, remove_unmapped_and_split);
    tcase_add_loop_test(tc, remove_needs_the_target_permission, 0, 2);
    tcase_add_test(tc, bad_arguments_and_domains);
    tcase_add_test(tc, destroy_clears_everything);
    tcase_add_test(tc, state_shared_between_handles);
    tcase_add_test(tc, injected_failure);
    tcase_add_test(tc, xen_backend_without_hypervisor);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_p2m_suite)
