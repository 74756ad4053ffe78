/* hv_map_mmio / hv_unmap_mmio / hv_grant_iomem on the simulator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/warn_fx.h"

#define DOM 3
#define BAR_ADDR 0x4000000000ull          /* host BAR */
#define GUEST_BAR 0x100000000ull          /* GUEST_VPCI_PREFETCH_MEM */
#define MFN (BAR_ADDR >> 12)
#define GFN (GUEST_BAR >> 12)

static void mkdom(void)
{
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0x40000000, 0x8000000, 64), 0);
}

/* Total pages mapped and whether every mapping's gfn->mfn is the identity
 * offset GFN->MFN. */
static uint64_t mapped_pages(bool *linear)
{
    struct sim_mapping m[64];
    int n = sim_list_mappings(simfx_hv, DOM, m, 64);
    ck_assert_int_ge(n, 0);
    ck_assert_int_le(n, 64);
    uint64_t total = 0;
    *linear = true;
    for (int i = 0; i < n; i++) {
        total += m[i].nr;
        if (m[i].gfn - GFN != m[i].mfn - MFN)
            *linear = false;
    }
    return total;
}

START_TEST(bar_256m_takes_1024_calls)
{
    mkdom();
    uint64_t size = 256ull << 20, calls = 0;
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, DOM, BAR_ADDR, size), 0);
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, GFN, MFN, size >> 12, NULL, 0, &calls), 0);
    ck_assert_uint_eq(calls, 1024);
    ck_assert_uint_eq(simfx_hv->counters.memory_mapping_calls, 1024);
    ck_assert_uint_eq(simfx_hv->counters.memory_mapping_e2big, 0);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &info), 0);
    ck_assert_uint_eq(info.memory_mapping_calls, 1024);
    bool linear;
    ck_assert_uint_eq(mapped_pages(&linear), 65536);
    ck_assert(linear);
    ck_assert_int_eq(hv_unmap_mmio(simfx_hv, DOM, GFN, MFN, size >> 12, NULL, 0, &calls), 0);
    ck_assert_uint_eq(calls, 1024);
    ck_assert_uint_eq(mapped_pages(&linear), 0);
    ck_assert_int_eq(hv_revoke_iomem(simfx_hv, DOM, BAR_ADDR, size), 0);
    ck_assert_int_eq(sim_list_permissions(simfx_hv, DOM, NULL, 0), 0);
}
END_TEST

START_TEST(holes_are_skipped)
{
    mkdom();
    /* 1 MiB BAR = 256 pages; MSI-X table at page 100, PBA at pages 200-201 */
    struct page_range holes[] = { { 200, 2 }, { 100, 1 } };
    uint64_t calls;
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, DOM, BAR_ADDR, 1 << 20), 0);
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, GFN, MFN, 256, holes, 2, &calls), 0);
    /* [0,100): 64+36, [101,200): 64+35, [202,256): 54 -> 5 calls */
    ck_assert_uint_eq(calls, 5);
    uint64_t data;
    ck_assert_int_eq(sim_guest_mmio(simfx_hv, DOM, 0, GUEST_BAR + 100 * 4096, 4, false, &data,
                                    1000), -EFAULT);       /* hole: traps, unclaimed */
    ck_assert_int_eq(sim_guest_mmio(simfx_hv, DOM, 0, GUEST_BAR + 201 * 4096, 4, false, &data,
                                    1000), -EFAULT);
    ck_assert_int_eq(sim_guest_mmio(simfx_hv, DOM, 0, GUEST_BAR + 99 * 4096 + 8, 4, false,
                                    &data, 1000), SIM_ACCESS_DIRECT);
    ck_assert_uint_eq(data, (SIM_DIRECT_READ_VALUE(MFN + 99, 8)) & 0xffffffff);
    bool linear;
    ck_assert_uint_eq(mapped_pages(&linear), 253);
    ck_assert(linear);
    ck_assert_int_eq(hv_unmap_mmio(simfx_hv, DOM, GFN, MFN, 256, holes, 2, &calls), 0);
    ck_assert_uint_eq(mapped_pages(&linear), 0);
}
END_TEST

static void check_undo_at(unsigned nth)
{
    struct sim_mapping before[8], after[8];
    /* an unrelated mapping that must survive */
    ck_assert_int_eq(simfx_hv->ops->memory_mapping(simfx_hv, DOM, GFN - 16, MFN - 16, 4, true), 0);
    int nb = sim_list_mappings(simfx_hv, DOM, before, 8);
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", nth, EIO), 0);
    struct page_range hole = { 70, 3 };
    uint64_t calls;
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, GFN, MFN, 300, &hole, 1, &calls), -EIO);
    ck_assert_uint_eq(calls, nth + (nth - 1));   /* nth calls, then nth-1 undone */
    int na = sim_list_mappings(simfx_hv, DOM, after, 8);
    ck_assert_int_eq(na, nb);
    ck_assert_mem_eq(after, before, sizeof(before[0]) * (size_t)nb);
}

START_TEST(undo_on_failure)
{
    mkdom();
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, DOM, BAR_ADDR - 16 * 4096, 2 << 20), 0);
    check_undo_at((unsigned)_i);
}
END_TEST

START_TEST(permission_failure_undoes)
{
    mkdom();
    /* permission for only the first 100 pages: the chunk crossing it fails */
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, DOM, BAR_ADDR, 100 * 4096), 0);
    uint64_t calls;
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, GFN, MFN, 256, NULL, 0, &calls), -EPERM);
    ck_assert_uint_eq(calls, 3);   /* [0,64) ok, [64,128) EPERM, undo [0,64) */
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, NULL, 0), 0);
}
END_TEST

START_TEST(env_failure_injection)
{
    mkdom();
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, DOM, BAR_ADDR, 1 << 20), 0);
    setenv(SIM_FAIL_ENV, "memory_mapping:2:28", 1);
    struct hv *hv = simfx_open();
    uint64_t calls;
    ck_assert_int_eq(hv_map_mmio(hv, DOM, GFN, MFN, 256, NULL, 0, &calls), -ENOSPC);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, DOM, NULL, 0), 0);
    hv_close(hv);
    setenv(SIM_FAIL_ENV, "memory_mapping:x:28", 1);
    char err[200];
    ck_assert_int_eq(hv_open("sim", &hv, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "PCIPT_SIM_FAIL"));
    unsetenv(SIM_FAIL_ENV);
}
END_TEST

START_TEST(bar_pages_rounding)
{
    uint64_t mfn, nr;
    hv_bar_pages(0x10000800, 0x100, &mfn, &nr);       /* sub-page BAR */
    ck_assert_uint_eq(mfn, 0x10000);
    ck_assert_uint_eq(nr, 1);
    hv_bar_pages(0x10000ff0, 0x20, &mfn, &nr);        /* straddles a page */
    ck_assert_uint_eq(nr, 2);
    ck_assert_int_eq(hv_grant_iomem(simfx_hv, 0, 0x1000, 0), -EINVAL);
}
END_TEST

/* After a revoke (libxl's pci-detach revokes first): on stock Xen <= 4.21
 * (PCIPT_SIM_UNMAP_NEEDS_PERMISSION=1) hv_unmap_mmio is refused, and
 * hv_unmap_mmio_revoked grants, removes and revokes again, saying so once;
 * on the patched Xen the plain remove works and nothing is granted.  A
 * grant that fails (dom0 itself lost the range) is returned and the
 * mapping stays, as it must: nothing else could remove it. */
START_TEST(unmap_after_revoke)
{
    struct page_range hole = { 2, 1 };
    struct sim_range r[4];
    struct hv *h;
    bool linear;

    if (_i)
        ck_assert_int_eq(setenv(SIM_UNMAP_PERM_ENV, "1", 1), 0);
    h = simfx_open();
    unsetenv(SIM_UNMAP_PERM_ENV);
    mkdom();
    warn_fx_start();
    ck_assert_int_eq(hv_grant_iomem(h, DOM, BAR_ADDR, 0x10000), 0);
    ck_assert_int_eq(hv_map_mmio(h, DOM, GFN, MFN, 16, &hole, 1, NULL), 0);
    ck_assert_int_eq(hv_revoke_iomem(h, DOM, BAR_ADDR, 0x10000), 0);
    ck_assert_int_eq(hv_unmap_mmio(h, DOM, GFN, MFN, 16, &hole, 1, NULL), _i ? -EPERM : 0);
    ck_assert_uint_eq(mapped_pages(&linear), _i ? 15 : 0);
    ck_assert_int_eq(hv_unmap_mmio_revoked(h, DOM, "0000:01:00.0 BAR 0", GFN, MFN, 16, &hole,
                                           1, NULL), 0);
    ck_assert_uint_eq(mapped_pages(&linear), 0);
    ck_assert_int_eq(sim_list_permissions(simfx_hv, DOM, r, 4), 0);
    ck_assert_uint_eq(warn_fx_count, _i ? 1 : 0);
    if (_i)
        ck_assert_str_eq(warn_fx_text,
                         "domain 3: 0000:01:00.0 BAR 0: its iomem permission was already revoked "
                         "and this Xen needs it to unmap (stock Xen <= 4.21): granted host pages "
                         "0x4000000-0x400000f back to remove the mapping, then revoked them\n");
    /* the grant itself fails: dom0 lost the range */
    ck_assert_int_eq(hv_grant_iomem(h, DOM, BAR_ADDR, 0x10000), 0);
    ck_assert_int_eq(hv_map_mmio(h, DOM, GFN, MFN, 16, NULL, 0, NULL), 0);
    ck_assert_int_eq(hv_revoke_iomem(h, DOM, BAR_ADDR, 0x10000), 0);
    ck_assert_int_eq(h->ops->iomem_permission(h, 0, MFN, 16, false), 0);
    ck_assert_int_eq(hv_unmap_mmio_revoked(h, DOM, "0000:01:00.0 BAR 0", GFN, MFN, 16, NULL, 0,
                                           NULL), -EPERM);
    ck_assert_uint_eq(mapped_pages(&linear), 16);
    warn_fx_stop();
    hv_close(h);
}
END_TEST

static Suite *hv_map_suite(void)
{
    Suite *s = suite_create("hv_map");
    TCase *tc = tcase_create("map");
    tcase_add_checked_fixture(tc, simfx_setup, simfx_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, bar_256m_takes_1024_calls);
    tcase_add_test(tc, holes_are_skipped);
    tcase_add_loop_test(tc, undo_on_failure, 1, 6);
    tcase_add_test(tc, permission_failure_undoes);
    tcase_add_test(tc, env_failure_injection);
    tcase_add_test(tc, bar_pages_rounding);
    tcase_add_loop_test(tc, unmap_after_revoke, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_map_suite)
