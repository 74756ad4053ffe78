/* its/its_vits: the domU vITS decision, one test per fact (the patched Xen,
 * its ITS driver, the host's ITS, the domain's IOMMU), and the two readers
 * it rests on (a .config line, an arm,gic-v3-its node in a blob). */
#include <libfdt.h>
#include <string.h>

#include "its/its_vits.h"
#include "tests/support/testreg.h"

#define CFG_BOTH "CONFIG_ARM=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\nCONFIG_HAS_ITS=y\n"

static struct its_vits_facts ready(void)
{
    return (struct its_vits_facts){ .build_config = CFG_BOTH, .host_its = true,
                                    .domain_iommu = true };
}

START_TEST(all_facts_give_a_vits)
{
    struct its_vits_facts f = ready();
    char why[256];

    ck_assert(its_vits_decide(&f, why, sizeof(why)));
    ck_assert_str_eq(why, "Xen's domU vITS at 0x4020000");
}
END_TEST

START_TEST(unknown_build_config_is_off)
{
    struct its_vits_facts f = ready();
    char why[256];

    f.build_config = NULL;
    f.config_why = "the hypervisor publishes none";
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_str_eq(why, "cannot tell whether Xen has the domU vITS (its build configuration: "
                          "the hypervisor publishes none)");
}
END_TEST

START_TEST(upstream_xen_is_off)
{
    struct its_vits_facts f = ready();
    char why[256];

    f.build_config = "CONFIG_HAS_ITS=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=n\n";
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_ptr_nonnull(strstr(why, "no CONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y"));
}
END_TEST

START_TEST(xen_without_its_driver_is_off)
{
    struct its_vits_facts f = ready();
    char why[256];

    f.build_config = "CONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\n# CONFIG_HAS_ITS is not set\n";
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_ptr_nonnull(strstr(why, "no CONFIG_HAS_ITS=y"));
}
END_TEST

START_TEST(host_without_its_is_off)
{
    struct its_vits_facts f = ready();
    char why[256];

    f.host_its = false;
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_str_eq(why, "the host has no GICv3 ITS (no \"arm,gic-v3-its\" node in its "
                          "device tree)");
    f.host_dt_why = "cannot read the host device tree: /x: No such file or directory";
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_ptr_nonnull(strstr(why, "(cannot read the host device tree: /x:"));
}
END_TEST

START_TEST(domain_without_iommu_is_off)
{
    struct its_vits_facts f = ready();
    char why[256];

    f.domain_iommu = false;
    ck_assert(!its_vits_decide(&f, why, sizeof(why)));
    ck_assert_ptr_nonnull(strstr(why, "without passthrough=\"enabled\""));
}
END_TEST

START_TEST(config_lines_must_match_whole)
{
    ck_assert(its_config_has(CFG_BOTH, "CONFIG_HAS_ITS"));
    ck_assert(its_config_has("CONFIG_HAS_ITS=y", "CONFIG_HAS_ITS"));
    ck_assert(!its_config_has("CONFIG_HAS_ITS=m\n", "CONFIG_HAS_ITS"));
    ck_assert(!its_config_has("CONFIG_HAS_ITSX=y\n", "CONFIG_HAS_ITS"));
    ck_assert(!its_config_has("XCONFIG_HAS_ITS=y\n", "CONFIG_HAS_ITS"));
    ck_assert(!its_config_has("CONFIG_HAS_ITS=yes\n", "CONFIG_HAS_ITS"));
    ck_assert(!its_config_has(NULL, "CONFIG_HAS_ITS"));
}
END_TEST

static void blob_with(char *buf, int size, const char *compatible)
{
    ck_assert_int_eq(fdt_create(buf, size), 0);
    ck_assert_int_eq(fdt_finish_reservemap(buf), 0);
    ck_assert_int_eq(fdt_begin_node(buf, ""), 0);
    ck_assert_int_eq(fdt_begin_node(buf, "interrupt-controller@8000000"), 0);
    ck_assert_int_eq(fdt_property_string(buf, "compatible", "arm,gic-v3"), 0);
    ck_assert_int_eq(fdt_begin_node(buf, "msi-controller@8080000"), 0);
    ck_assert_int_eq(fdt_property_string(buf, "compatible", compatible), 0);
    ck_assert_int_eq(fdt_end_node(buf), 0);
    ck_assert_int_eq(fdt_end_node(buf), 0);
    ck_assert_int_eq(fdt_end_node(buf), 0);
    ck_assert_int_eq(fdt_finish(buf), 0);
}

START_TEST(host_its_is_found_by_compatible)
{
    static char buf[4096];

    blob_with(buf, sizeof(buf), "arm,gic-v3-its");
    ck_assert(its_fdt_has_its(buf));
    blob_with(buf, sizeof(buf), "arm,gic-v2m-frame");
    ck_assert(!its_fdt_has_its(buf));
    ck_assert(!its_fdt_has_its(NULL));
}
END_TEST

static Suite *its_vits_suite(void)
{
    Suite *s = suite_create("its_vits");
    TCase *tc = tcase_create("decide");

    tcase_add_test(tc, all_facts_give_a_vits);
    tcase_add_test(tc, unknown_build_config_is_off);
    tcase_add_test(tc, upstream_xen_is_off);
    tcase_add_test(tc, xen_without_its_driver_is_off);
    tcase_add_test(tc, host_without_its_is_off);
    tcase_add_test(tc, domain_without_iommu_is_off);
    tcase_add_test(tc, config_lines_must_match_whole);
    tcase_add_test(tc, host_its_is_found_by_compatible);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(its_vits_suite)
