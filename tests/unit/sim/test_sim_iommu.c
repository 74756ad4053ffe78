/* The simulated SMMU (pcipt/sim/sim_iommu.c; xen-arm-dma-msi.md sections
 * 1-2): one owner per function, assignment only to a domain created with
 * passthrough and only from dom0 or quarantine, deassignment only by the
 * owner, quarantine when the owner dies, DMA faults outside the owner's
 * RAM and p2m, and no IOMMU at all with PCIPT_SIM_IOMMU=off. */
#include <errno.h>
#include <stdlib.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/sim_fixture.h"
#include "tests/support/testreg.h"

#define DOM 7
#define RAM 0x40000000ull
#define SBDF 0x0100u          /* 0000:01:00.0 */

static struct hv *H;

static void setup(void)
{
    simfx_setup();
    H = simfx_hv;
    ck_assert_int_eq(sim_domain_create(H, DOM, 1, RAM, 0x100000, 32), 0);
    ck_assert_int_eq(sim_domain_create(H, 8, 1, RAM, 0x100000, 32), 0);
    ck_assert_int_eq(sim_domain_create_flags(H, 9, 1, RAM, 0x100000, 32, 0), 0);
}

static uint32_t owner(void)
{
    uint32_t o = 0xdead;
    ck_assert_int_eq(sim_device_owner(H, SBDF, &o), 0);
    return o;
}

START_TEST(one_owner_at_a_time)
{
    ck_assert_int_eq(H->ops->iommu_enabled(H), 1);
    ck_assert_uint_eq(owner(), 0);
    ck_assert_int_eq(H->ops->test_assign_device(H, DOM, SBDF), 0);
    ck_assert_int_eq(H->ops->assign_device(H, DOM, SBDF), 0);
    ck_assert_uint_eq(owner(), DOM);
    ck_assert_int_eq(H->ops->test_assign_device(H, 8, SBDF), -EBUSY);
    ck_assert_int_eq(H->ops->assign_device(H, 8, SBDF), -EBUSY);
    ck_assert_int_eq(H->ops->deassign_device(H, 8, SBDF), -ENODEV);
    ck_assert_int_eq(H->ops->deassign_device(H, DOM, SBDF), 0);
    ck_assert_uint_eq(owner(), 0);
    ck_assert_int_eq(H->ops->deassign_device(H, DOM, SBDF), -ENODEV);
    ck_assert_int_eq(H->ops->assign_device(H, 8, SBDF), 0);
    ck_assert_uint_eq(owner(), 8);
}
END_TEST

START_TEST(target_needs_passthrough)
{
    ck_assert_int_eq(H->ops->test_assign_device(H, 9, SBDF), -EOPNOTSUPP);
    ck_assert_int_eq(H->ops->assign_device(H, 9, SBDF), -EOPNOTSUPP);
    ck_assert_int_eq(H->ops->assign_device(H, 99, SBDF), -ESRCH);
    ck_assert_uint_eq(owner(), 0);
}
END_TEST

START_TEST(death_quarantines_and_deassign_returns_to_dom0)
{
    ck_assert_int_eq(H->ops->assign_device(H, DOM, SBDF), 0);
    ck_assert_int_eq(sim_domain_destroy(H, DOM), 0);
    ck_assert_uint_eq(owner(), HV_DOMID_IO);
    ck_assert_int_eq(sim_device_dma(H, SBDF, RAM), -EFAULT);    /* quarantine: nothing */
    ck_assert_int_eq(H->ops->assign_device(H, 8, SBDF), 0);    /* from quarantine: fine */
    ck_assert_int_eq(H->ops->deassign_device(H, 8, SBDF), 0);
    ck_assert_int_eq(H->ops->assign_device(H, 8, SBDF), 0);
    ck_assert_int_eq(sim_domain_destroy(H, 8), 0);
    ck_assert_int_eq(H->ops->deassign_device(H, HV_DOMID_IO, SBDF), 0);
    ck_assert_uint_eq(owner(), 0);
}
END_TEST

START_TEST(dma_outside_the_p2m_faults)
{
    uint64_t faults = 0;

    ck_assert_int_eq(H->ops->assign_device(H, DOM, SBDF), 0);
    ck_assert_int_eq(sim_device_dma(H, SBDF, RAM), SIM_DMA_OK);
    ck_assert_int_eq(sim_device_dma(H, SBDF, RAM + 0xfffff), SIM_DMA_OK);
    ck_assert_int_eq(sim_device_dma(H, SBDF, RAM + 0x100000), -EFAULT);
    ck_assert_int_eq(sim_device_dma(H, SBDF, 0x23000000), -EFAULT);
    ck_assert_int_eq(H->ops->iomem_permission(H, DOM, 0x10000, 1, true), 0);
    ck_assert_int_eq(H->ops->memory_mapping(H, DOM, 0x23000, 0x10000, 1, true), 0);
    ck_assert_int_eq(sim_device_dma(H, SBDF, 0x23000010), SIM_DMA_OK);  /* its own BAR */
    ck_assert_int_eq(sim_smmu_faults(H, &faults), 0);
    ck_assert_uint_eq(faults, 2);
}
END_TEST

START_TEST(no_iommu)
{
    ck_assert_int_eq(setenv(SIM_IOMMU_ENV, "off", 1), 0);
    struct hv *n = simfx_open();
    unsetenv(SIM_IOMMU_ENV);
    ck_assert_int_eq(n->ops->iommu_enabled(n), 0);
    ck_assert_int_eq(n->ops->test_assign_device(n, DOM, SBDF), -EOPNOTSUPP);
    ck_assert_int_eq(n->ops->assign_device(n, DOM, SBDF), -EOPNOTSUPP);
    ck_assert_int_eq(n->ops->deassign_device(n, DOM, SBDF), -EOPNOTSUPP);
    /* untranslated: the bus address is a host physical address */
    ck_assert_int_eq(sim_device_dma(n, SBDF, 0x1000), SIM_DMA_UNTRANSLATED);
    hv_close(n);
    ck_assert_int_eq(hv_query_iommu("sim"), 1);
}
END_TEST

static Suite *sim_iommu_suite(void)
{
    Suite *s = suite_create("sim_iommu");
    TCase *tc = tcase_create("smmu");

    tcase_add_checked_fixture(tc, setup, simfx_teardown);
    tcase_add_test(tc, one_owner_at_a_time);
    tcase_add_test(tc, target_needs_passthrough);
    tcase_add_test(tc, death_quarantines_and_deassign_returns_to_dom0);
    tcase_add_test(tc, dma_outside_the_p2m_faults);
    tcase_add_test(tc, no_iommu);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(sim_iommu_suite)
