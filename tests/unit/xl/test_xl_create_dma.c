/* `pcipt create` and DMA isolation (docs/design/dma.md): with an IOMMU the
 * domain gets passthrough="enabled" and every device is assigned to it;
 * without one (PCIPT_SIM_IOMMU=off, which the fake xl honours as libxl
 * does) no passthrough is asked for, each device warns once and its DMA is
 * off, or unsafe where `unsafe_dma=1` (per device) or --unsafe-dma asks;
 * the per-device options (force=1, unsafe_dma=1) and their refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"

#define CFG_UNSAFE_NIC \
    "name = \"guest1\"\n" \
    "pcipt = [ \"0000:01:00.0@2,unsafe_dma=1\", \"0000:09:00.0\" ]\n"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

static void published(enum dev_dma nic, enum dev_dma gpu)
{
    struct domain_assign *da = calloc(1, sizeof(*da));
    char e[256];

    ck_assert_ptr_nonnull(da);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 7, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    for (unsigned i = 0; i < 2; i++)
        ck_assert_int_eq(da->devs[i].dma, da->devs[i].host.bus == 1 ? nic : gpu);
    free(da);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(with_iommu_every_device_is_assigned)
{
    char args[512], *out, *err, *log;

    xlfx_write("g.cfg", CFG_UNSAFE_NIC);
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    log = xlfx_slurp(path("xl.log"));
    ck_assert_msg(strstr(log, "\tpassthrough=\"enabled\""), "%s", log);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 7);
    ck_assert_uint_eq(afx_smmu_owner(AFX_GPU), 7);
    published(DEV_DMA_IOMMU, DEV_DMA_IOMMU);
    ck_assert_msg(!strstr(err, "DMA"), "%s", err);     /* isolated: no warning */
    /* both announced to the vITS (attach runs while the domain is paused) */
    ck_assert_int_eq(sim_list_its_bindings(simfx_hv, 7, NULL, 0), 2);
    free(out); free(err); free(log);
}
END_TEST

START_TEST(without_iommu_off_or_unsafe_per_device)
{
    char args[512], *out, *err, *log;

    xlfx_write("g.cfg", CFG_UNSAFE_NIC);
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts("PCIPT_SIM_IOMMU=off"), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    log = xlfx_slurp(path("xl.log"));
    ck_assert_msg(!strstr(log, "passthrough"), "%s", log);   /* libxl would refuse it */
    ck_assert_msg(count(err, ": DMA ") == 2, "%s", err);     /* one warning per device */
    ck_assert_msg(strstr(err, "pcipt: warning: 0000:01:00.0: DMA NOT ISOLATED (--unsafe-dma)"),
                  "%s", err);
    ck_assert_msg(strstr(err, "pcipt: warning: 0000:09:00.0: DMA off: the hypervisor runs no "
                              "IOMMU (xc_test_assign_device: Operation not supported)"), "%s",
                  err);
    published(DEV_DMA_UNSAFE, DEV_DMA_OFF);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    /* no IOMMU context, no vITS binding (an MSI is a DMA write), nothing said */
    ck_assert_int_eq(sim_list_its_bindings(simfx_hv, 7, NULL, 0), 0);
    ck_assert_msg(!strstr(err, "virtual ITS"), "%s", err);
    free(out); free(err); free(log);
}
END_TEST

START_TEST(unsafe_dma_option_covers_every_device)
{
    char args[512], *out, *err;

    xlfx_write("g.cfg", CFG_UNSAFE_NIC);
    snprintf(args, sizeof(args), "create --unsafe-dma %s", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts("PCIPT_SIM_IOMMU=off"), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    ck_assert_uint_eq(count(err, "DMA NOT ISOLATED"), 2);
    published(DEV_DMA_UNSAFE, DEV_DMA_UNSAFE);
    free(out); free(err);
}
END_TEST

/* The config's own passthrough setting wins; a domain without it cannot
 * take the functions: DMA off. */
START_TEST(config_passthrough_disabled_is_kept)
{
    char args[512], *out, *err, *log;

    xlfx_write("g.cfg", "name = \"guest1\"\npassthrough = \"disabled\"\n"
                        "pcipt = [ \"0000:01:00.0\", \"0000:09:00.0\" ]\n");
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    log = xlfx_slurp(path("xl.log"));
    ck_assert_msg(!strstr(log, "passthrough=\"enabled\""), "%s", log);
    ck_assert_uint_eq(count(err, "DMA off: the hypervisor cannot assign it to an IOMMU "
                                 "context (xc_test_assign_device: Operation not supported)"), 2);
    published(DEV_DMA_OFF, DEV_DMA_OFF);
    free(out); free(err); free(log);
}
END_TEST

/* xl.cfg's PCI_SPEC_STRING convention: KEY=0|1 after the device; any
 * other key or value refuses the create before a domain exists. */
static const struct { const char *entry, *msg; } bad_opts[] = {
    { "0000:01:00.0,unsafe_dma=2",
      "'0000:01:00.0,unsafe_dma=2': option 'unsafe_dma=2' must be unsafe_dma=0 or unsafe_dma=1" },
    { "0000:01:00.0@2,force=yes", "'0000:01:00.0@2,force=yes': option 'force=yes' must be "
      "force=0 or force=1" },
    { "0000:01:00.0,force", "'0000:01:00.0,force': option 'force' must be force=0 or force=1" },
    { "0000:01:00.0,force=1,seize=1", "'0000:01:00.0,force=1,seize=1': unknown option 'seize' "
      "(per-device options: force=0|1, unsafe_dma=0|1)" },
};

START_TEST(unknown_device_option_is_refused)
{
    char args[512], cfg[256], *out, *err;

    snprintf(cfg, sizeof(cfg), "name = \"guest1\"\npcipt = [ \"%s\" ]\n", bad_opts[_i].entry);
    xlfx_write("g.cfg", cfg);
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args), 1);
    ck_assert_msg(strstr(err, bad_opts[_i].msg), "%s", err);
    ck_assert(!xlfx_domain_exists(7));
    free(out); free(err);
}
END_TEST

/* The NIC has no usable reset method (reset_method empty). */
static void nic_without_reset(void)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof(p), "%s/devices/%s/reset_method", afx_tree, AFX_NIC);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fclose(f);
}

/* force=1 on one entry covers that device only (--force would cover all). */
START_TEST(force_option_is_per_device)
{
    char args[512], *out, *err;

    nic_without_reset();
    xlfx_write("g.cfg", "name = \"guest1\"\n"
                        "pcipt = [ \"0000:01:00.0\", \"0000:09:00.0,force=1\" ]\n");
    snprintf(args, sizeof(args), "create %s", path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args), 1);
    ck_assert_msg(strstr(err, "0000:01:00.0 has no usable reset method"), "%s", err);
    ck_assert(!xlfx_domain_exists(7));
    free(out); free(err);
    xlfx_write("g.cfg", "name = \"guest1\"\n"
                        "pcipt = [ \"0000:01:00.0,force=1\", \"0000:09:00.0\" ]\n");
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "attached 0000:01:00.0 as "), "%s", out);
    ck_assert_msg(strstr(out, "attached 0000:09:00.0 as "), "%s", out);
    free(out); free(err);
}
END_TEST

static Suite *xl_create_dma_suite(void)
{
    Suite *s = suite_create("xl_create_dma");
    TCase *tc = tcase_create("create");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, with_iommu_every_device_is_assigned);
    tcase_add_test(tc, without_iommu_off_or_unsafe_per_device);
    tcase_add_test(tc, unsafe_dma_option_covers_every_device);
    tcase_add_test(tc, config_passthrough_disabled_is_kept);
    tcase_add_loop_test(tc, unknown_device_option_is_refused, 0,
                        (int)(sizeof(bad_opts) / sizeof(bad_opts[0])));
    tcase_add_test(tc, force_option_is_per_device);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_create_dma_suite)
