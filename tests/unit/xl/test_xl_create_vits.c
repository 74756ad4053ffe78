/* `pcipt create` and the domU vITS (its/its_vits.h): the guest DT gets
 * /passthrough/its@4020000 and msi-map only when the sim's hypervisor is the
 * patched one (buildinfo-config with CONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y and
 * CONFIG_HAS_ITS=y), the host DT (--host-dt, compiled by the real dtc) has an
 * ITS and the domain gets passthrough; otherwise neither, and create says
 * once why MSI is off. */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/create.h"
#include "tests/support/attach_fx.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"

#define CFG "name = \"guest1\"\npcipt = [ \"0000:01:00.0@2\" ]\n"
#define PATCHED "CONFIG_IOREQ_SERVER=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\nCONFIG_HAS_ITS=y\n"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

static void sim_config(const char *text)
{
    char p[200];
    FILE *f;

    snprintf(p, sizeof(p), "%s/buildinfo-config", simfx_dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fputs(text, f);
    fclose(f);
}

static void host_dt(const char *dts_rel, const char *dtb)
{
    char src[512], *err = NULL;

    ck_assert_int_eq(run_sh(NULL, NULL, &err, "dtc -I dts -O dtb -o %s %s", dtb,
                            test_src_path(dts_rel, src, sizeof(src))), 0);
    free(err);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* create --dry-run; returns stderr, blob in *fdt (free both). */
static char *create(const char *env, const char *dts_rel, void **fdt)
{
    char *out = NULL, *err = NULL;

    host_dt(dts_rel, path("host.dtb"));
    xlfx_write("g.cfg", CFG);
    ck_assert_msg(run_pcipt(xlfx_opts(env), &out, &err, "%s --host-dt %s create --dry-run "
                            "--dtb %s %s", afx_args(), path("host.dtb"), path("g.dtb"),
                            path("g.cfg")) == 0, "%s", err);
    free(out);
    *fdt = dtbt_load(path("g.dtb"));
    return err;
}

static void assert_msi(const void *fdt, bool on)
{
    int its = fdt_path_offset(fdt, "/passthrough/its@4020000");
    int br = dtbt_node(fdt, "/passthrough/pcie@10000000");
    const fdt32_t *mm = fdt_getprop(fdt, br, "msi-map", NULL);

    if (!on) {
        ck_assert_int_lt(its, 0);
        ck_assert_ptr_null(mm);
        return;
    }
    ck_assert_int_ge(its, 0);
    ck_assert_ptr_nonnull(mm);
    ck_assert_int_eq(fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(mm[1])), its);
}

START_TEST(patched_xen_with_host_its_gets_the_node)
{
    void *fdt;
    char *err;

    sim_config(PATCHED);
    err = create("", "tests/data/host-dt/virt-gicv3-its.dts", &fdt);
    assert_msi(fdt, true);
    ck_assert_msg(!strstr(err, "MSI off"), "%s", err);
    free(err);
    free(fdt);
}
END_TEST

START_TEST(upstream_xen_says_once_why)
{
    void *fdt;
    char *err;

    sim_config("CONFIG_IOREQ_SERVER=y\nCONFIG_HAS_ITS=y\n");
    err = create("", "tests/data/host-dt/virt-gicv3-its.dts", &fdt);
    assert_msi(fdt, false);
    ck_assert_uint_eq(count(err, "MSI off"), 1);
    ck_assert_msg(strstr(err, "pcipt: warning: domain guest1: MSI off, its devices use INTx: "
                              "Xen lacks pcipt's patch series"), "%s", err);
    free(err);
    free(fdt);
}
END_TEST

START_TEST(host_without_its_is_off)
{
    void *fdt;
    char *err;

    sim_config(PATCHED);
    err = create("", "tests/data/host-dt/virt-gicv3-noits.dts", &fdt);
    assert_msi(fdt, false);
    ck_assert_uint_eq(count(err, "MSI off"), 1);
    ck_assert_msg(strstr(err, "the host has no GICv3 ITS"), "%s", err);
    free(err);
    free(fdt);
}
END_TEST

START_TEST(no_iommu_is_off)
{
    void *fdt;
    char *err;

    sim_config(PATCHED);
    err = create("PCIPT_SIM_IOMMU=off", "tests/data/host-dt/virt-gicv3-its.dts", &fdt);
    assert_msi(fdt, false);
    ck_assert_uint_eq(count(err, "MSI off"), 1);
    ck_assert_msg(strstr(err, "without passthrough=\"enabled\""), "%s", err);
    free(err);
    free(fdt);
}
END_TEST

START_TEST(domain_iommu_follows_the_config)
{
    struct xlcfg cfg;
    char e[256];
    static const struct { const char *text; int iommu; bool on; } c[] = {
        { "name = \"g\"\n", 1, true },
        { "name = \"g\"\n", 0, false },
        { "name = \"g\"\n", -19, false },
        { "name = \"g\"\npassthrough = \"enabled\"\n", 1, true },
        { "name = \"g\"\npassthrough = \"share_pt\"\n", 1, true },
        { "name = \"g\"\npassthrough = \"disabled\"\n", 1, false },
        { "name = \"g\"\npassthrough = \"enabled\"\n", 0, false },
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        memset(&cfg, 0, sizeof(cfg));
        ck_assert_int_eq(xlcfg_parse_text(&cfg, c[i].text, "d.cfg", e, sizeof(e)), 0);
        ck_assert_msg(create_domain_iommu(&cfg, c[i].iommu) == c[i].on, "case %u", i);
        xlcfg_free(&cfg);
    }
}
END_TEST

static Suite *xl_create_vits_suite(void)
{
    Suite *s = suite_create("xl_create_vits");
    TCase *tc = tcase_create("create");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, patched_xen_with_host_its_gets_the_node);
    tcase_add_test(tc, upstream_xen_says_once_why);
    tcase_add_test(tc, host_without_its_is_off);
    tcase_add_test(tc, no_iommu_is_off);
    tcase_add_test(tc, domain_iommu_follows_the_config);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xl_create_vits_suite)
