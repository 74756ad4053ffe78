/* The daemon and DMA isolation (docs/design/dma.md): the guest's Bus
 * Master reaches the host function only when the device's published DMA
 * mode lets it; the simulated SMMU lets the assigned function reach the
 * domain's RAM and p2m and nothing else; on domain death the function,
 * quarantined by the hypervisor, goes back to dom0 with Bus Master off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/sim_fixture.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored.h"

#define DOM 5

static uint32_t msbdf(unsigned n) { return hv_machine_sbdf(0, (uint8_t)n, 0, 0); }

static int host_bus_master(unsigned n)
{
    char path[256];
    FILE *f;
    int c;

    snprintf(path, sizeof(path), "%s/devices/0000:%02x:00.0/config", dfx_tree, n);
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    ck_assert_int_eq(fseek(f, 0x04, SEEK_SET), 0);
    c = fgetc(f);
    fclose(f);
    ck_assert_int_ge(c, 0);
    return (c & 0x04) != 0;
}

static void publish_dma(unsigned index, const char *mode)
{
    char path[128];
    struct xs_handle *xs = xsw_open();

    ck_assert_ptr_nonnull(xs);
    snprintf(path, sizeof(path), "/local/domain/0/backend/pci/%u/0/pcipt/dev-%u/dma", DOM, index);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, path, mode), 0);
    xsw_close(xs);
}

START_TEST(bus_master_follows_the_dma_mode_and_death_deassigns)
{
    struct dev_assign a, b;
    struct dfx_daemon dm;
    uint32_t owner = 99;
    uint64_t faults = 0;

    dfx_domain(DOM, 2);
    dfx_assign(DOM, 1, &a);                   /* dev-0: assigned to the SMMU context */
    dfx_assign(DOM, 2, &b);                   /* dev-1: dma off */
    ck_assert_int_eq(simfx_hv->ops->assign_device(simfx_hv, DOM, msbdf(1)), 0);
    publish_dma(0, "iommu");
    char *v = dfx_be_read(DOM, "pcipt/dev-1/dma");
    ck_assert_str_eq(v, "off");
    free(v);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    dfx_cfg_write(g, DOM, 0, a.guest.dev, 0x04, 2, 0x0006);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x04, 2) & 0x7, 0x6);
    ck_assert_int_eq(host_bus_master(1), 1);
    dfx_cfg_write(g, DOM, 0, b.guest.dev, 0x04, 2, 0x0006);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, b.guest.dev, 0x04, 2) & 0x7, 0x2);
    ck_assert_int_eq(host_bus_master(2), 0);
    hv_close(g);

    /* The SMMU: the domain's RAM and its mapped BAR, nothing else. */
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(1), 0x40000000 + 0x1000), SIM_DMA_OK);
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(1), a.bars[1].guest), SIM_DMA_OK);
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(1), 0x1000), -EFAULT);
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(1), a.bars[1].host), -EFAULT);
    ck_assert_int_eq(sim_smmu_faults(simfx_hv, &faults), 0);
    ck_assert_uint_eq(faults, 2);
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(2), 0x40000000), SIM_DMA_OK);  /* dom0's */

    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(sim_device_owner(simfx_hv, msbdf(1), &owner), 0);
    ck_assert_uint_eq(owner, HV_DOMID_IO);    /* quarantined: DMA faults */
    ck_assert_int_eq(sim_device_dma(simfx_hv, msbdf(1), 0x40001000), -EFAULT);
    ck_assert_int_eq(dfx_wait_exit(&dm), 0);
    ck_assert_int_eq(sim_device_owner(simfx_hv, msbdf(1), &owner), 0);
    ck_assert_uint_eq(owner, 0);               /* the daemon gave it back to dom0 */
    ck_assert_int_eq(host_bus_master(1), 0);
    char *log = dfx_log(&dm);
    ck_assert_msg(strstr(log, "error:") == NULL, "%s", log);
    free(log);
}
END_TEST

static Suite *daemon_dma_suite(void)
{
    Suite *s = suite_create("daemon_dma");
    TCase *tc = tcase_create("dma");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bus_master_follows_the_dma_mode_and_death_deassigns);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_dma_suite)
