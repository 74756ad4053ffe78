/* DMA isolation at attach and detach (pcipt/assign/dma.h): the function is
 * assigned to the domain's IOMMU context (the simulated SMMU) before its
 * BARs are mapped, deassigned with the host's Bus Master cleared on detach
 * and on every failed attach; where it cannot be assigned the attach goes
 * on with DMA off and one warning, or with --unsafe-dma. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/rec_hv_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/warn_fx.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

static char err[512];


static void setup(void)
{
    afx_setup();
    warn_fx_start();
}

static void teardown(void)
{
    warn_fx_stop();
    afx_teardown();
}

static enum dev_dma published_dma(uint32_t domid, const char *dev)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    enum dev_dma m = (enum dev_dma)-1;
    struct sbdf s;

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(sbdf_parse(dev, &s), 0);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, domid, a, err, sizeof(err)), 0);
    for (unsigned i = 0; i < a->ndevs; i++)
        if (sbdf_equal(&a->devs[i].host, &s))
            m = a->devs[i].dma;
    free(a);
    return m;
}

/* ---- the order of the calls (rec_hv_fx): assign before any mapping ---- */

START_TEST(assigned_before_the_bars_are_mapped_and_deassigned_last)
{
    afx_ctx.hv = rec_hv_start(NULL);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(rec_hv_order, "assign map ");
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 5);
    ck_assert_int_eq(published_dma(5, AFX_NIC), DEV_DMA_IOMMU);
    ck_assert_uint_eq(warn_fx_count, 0);                  /* isolated: nothing to say */
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(rec_hv_order, "assign map unmap deassign ");
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    afx_ctx.hv = simfx_hv;
}
END_TEST

/* Bus Master left on by firmware or a dom0 driver goes off before the
 * function is assigned; detach turns off what the guest turned on. */
START_TEST(detach_clears_bus_master_then_deassigns)
{
    afx_set_config_byte(AFX_NIC, 0x04, (uint8_t)(afx_config_byte(AFX_NIC, 0x04) | 0x04));
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);
    afx_set_config_byte(AFX_NIC, 0x04, (uint8_t)(afx_config_byte(AFX_NIC, 0x04) | 0x04));
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
}
END_TEST

/* Another domain owns the StreamID: the second attach falls back to off. */
START_TEST(one_owner_at_a_time)
{
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 5);
    struct sbdf s;
    ck_assert_int_eq(sbdf_parse(AFX_NIC, &s), 0);
    uint32_t msbdf = hv_machine_sbdf(s.seg, s.bus, s.dev, s.fn);
    ck_assert_uint_eq(msbdf, 0x0100);
    ck_assert_int_eq(simfx_hv->ops->test_assign_device(simfx_hv, 3, msbdf), -EBUSY);
    ck_assert_int_eq(simfx_hv->ops->assign_device(simfx_hv, 3, msbdf), -EBUSY);
    ck_assert_int_eq(simfx_hv->ops->deassign_device(simfx_hv, 3, msbdf), -ENODEV);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 5);
}
END_TEST

/* xc_assign_device refused (a Xen whose SMMU driver cannot take PCI
 * functions): DMA off, one warning naming the device and the reason. */
START_TEST(refused_assign_fails_closed_with_one_warning)
{
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "assign_device", 1, EOPNOTSUPP), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(warn_fx_count, 1);
    ck_assert_str_eq(warn_fx_text, "0000:01:00.0: DMA off: the hypervisor cannot assign it to an "
                               "IOMMU context (xc_assign_device: Operation not supported); the "
                               "guest's Bus Master stays off (use --unsafe-dma to allow DMA "
                               "without isolation)\n");
    ck_assert_int_eq(published_dma(5, AFX_NIC), DEV_DMA_OFF);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(warn_fx_count, 1);
}
END_TEST

/* A domain created without passthrough="enabled" cannot take a function
 * (Xen: -EOPNOTSUPP from the IOMMU domctl for it). */
START_TEST(domain_without_passthrough_gets_dma_off)
{
    ck_assert_int_eq(sim_domain_create_flags(simfx_hv, 9, 1, 0x40000000, 0x20000000, 64, 0), 0);
    ck_assert_msg(afx_attach(9, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(warn_fx_text, "0000:09:00.0: DMA off: "));
    ck_assert_ptr_nonnull(strstr(warn_fx_text, "(xc_test_assign_device: Operation not supported)"));
    ck_assert_int_eq(published_dma(9, AFX_GPU), DEV_DMA_OFF);
    ck_assert_uint_eq(afx_smmu_owner(AFX_GPU), 0);
    ck_assert_msg(afx_detach(9, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

START_TEST(unsafe_dma_without_iommu_context_warns)
{
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "test_assign_device", 1, EOPNOTSUPP), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_UNSAFE_DMA, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_uint_eq(warn_fx_count, 1);
    ck_assert_ptr_nonnull(strstr(warn_fx_text, "0000:01:00.0: DMA NOT ISOLATED (--unsafe-dma): "));
    ck_assert_ptr_nonnull(strstr(warn_fx_text, "the guest can read and write all host memory"));
    ck_assert_int_eq(published_dma(5, AFX_NIC), DEV_DMA_UNSAFE);
    ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);     /* until the guest sets it */
}
END_TEST

/* With an IOMMU context --unsafe-dma changes nothing. */
START_TEST(unsafe_dma_with_iommu_is_isolated)
{
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_UNSAFE_DMA, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_uint_eq(warn_fx_count, 0);
    ck_assert_int_eq(published_dma(5, AFX_NIC), DEV_DMA_IOMMU);
}
END_TEST

/* Every failure after the assignment undoes it: each mapping call, each
 * xenstore operation failing in turn leaves the function with dom0 and its
 * Bus Master off (afx_snapshot covers both), as test_attach_faults checks
 * for the rest. */
START_TEST(failed_attach_deassigns)
{
    char *before = afx_snapshot();

    for (unsigned n = 1; n <= 19; n += 6) {
        ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", n, EIO), 0);
        ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EIO);
        char *now = afx_snapshot();
        ck_assert_text_unchanged(now, before);
        free(now);
        ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    }
    for (unsigned n = 1; n < 500; n++) {
        xsw_inject_fail(n, EIO);
        int rc = afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err));
        xsw_inject_fail(0, 0);
        if (rc == 0)
            break;
        ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
        ck_assert_int_eq(afx_host_bus_master(AFX_NIC), 0);
    }
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 5);
    ck_assert_uint_eq(warn_fx_count, 0);          /* a failed attach warns about nothing */
    free(before);
}
END_TEST

/* The domain died: Xen moved its functions to quarantine; detach (or the
 * daemon) gives them back to dom0. */
START_TEST(dead_domain_function_leaves_quarantine)
{
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), HV_DOMID_IO);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
}
END_TEST

START_TEST(cli_unsafe_dma_and_status)
{
    char *out = NULL, *e = NULL;

    ck_assert_int_eq(setenv("PCIPT_SIM_FAIL", "test_assign_device:1:95", 1), 0);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "attach --unsafe-dma 5 " AFX_NIC), 0);
    unsetenv("PCIPT_SIM_FAIL");
    ck_assert_msg(strstr(e, "pcipt: warning: 0000:01:00.0: DMA NOT ISOLATED (--unsafe-dma)"),
                  "%s", e);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "attach 5 " AFX_GPU), 0);
    ck_assert_msg(!strstr(e, "DMA"), "%s", e);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "status 5"), 0);
    ck_assert_msg(strstr(out, "0000:01:00.0 -> 0000:00:01.0  spi 48 (INTA)  dma unsafe "
                              "(NOT isolated)"), "%s", out);
    ck_assert_msg(strstr(out, "dma iommu"), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "status --json 5"), 0);
    ck_assert_msg(strstr(out, "\"dma\": \"unsafe\""), "%s", out);
    ck_assert_msg(strstr(out, "\"dma\": \"iommu\""), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "detach 5 " AFX_NIC), 0);
    free(out);
    free(e);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
}
END_TEST

static Suite *attach_dma_suite(void)
{
    Suite *s = suite_create("attach_dma");
    TCase *tc = tcase_create("dma");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, assigned_before_the_bars_are_mapped_and_deassigned_last);
    tcase_add_test(tc, detach_clears_bus_master_then_deassigns);
    tcase_add_test(tc, one_owner_at_a_time);
    tcase_add_test(tc, refused_assign_fails_closed_with_one_warning);
    tcase_add_test(tc, domain_without_passthrough_gets_dma_off);
    tcase_add_test(tc, unsafe_dma_without_iommu_context_warns);
    tcase_add_test(tc, unsafe_dma_with_iommu_is_isolated);
    tcase_add_test(tc, failed_attach_deassigns);
    tcase_add_test(tc, dead_domain_function_leaves_quarantine);
    tcase_add_test(tc, cli_unsafe_dma_and_status);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_dma_suite)
