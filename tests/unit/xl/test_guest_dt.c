/* pcipt/xl/guest_dt: the partial FDT read back with libfdt, property by
 * property, for one device and for several (two slots, a multi-function
 * slot, two segments). */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/guest_dt.h"
#include "tests/support/dtb_util.h"
#include "tests/support/testreg.h"

static char blob[DTB_MAX_SIZE];

static int build(const struct domain_assign *da, const struct dtb_options *o, char *err)
{
    struct guest_layout lay;
    dtbt_layout(&lay);
    return dtb_build(da, &lay, o, blob, sizeof(blob), err, 256);
}

static void assert_common_bridge(const char *path, uint32_t pref_hi)
{
    const uint32_t ranges[] = { 0x02000000, 0, 0x23000000, 0, 0x23000000, 0, 0x10000000,
                                pref_hi, 1, 0, 1, 0, 1, 0 };
    const uint32_t three[] = { 3 }, two[] = { 2 }, one[] = { 1 };
    int n = dtbt_node(blob, path);

    dtbt_assert_str(blob, n, "compatible", "pci-host-ecam-generic");
    dtbt_assert_str(blob, n, "device_type", "pci");
    dtbt_assert_str(blob, n, "status", "okay");
    dtbt_assert_cells(blob, n, "#address-cells", three, 1);
    dtbt_assert_cells(blob, n, "#size-cells", two, 1);
    dtbt_assert_cells(blob, n, "#interrupt-cells", one, 1);
    dtbt_assert_cells(blob, n, "ranges", ranges, 14);
    dtbt_assert_cells(blob, n, "dma-coherent", NULL, 0);
}

START_TEST(root_and_passthrough)
{
    struct domain_assign da = { .domid = 3 };
    struct dtb_options o;
    const uint32_t two[] = { 2 };
    char err[256];
    int n;

    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    ck_assert_int_eq(fdt_check_header(blob), 0);
    n = dtbt_node(blob, "/");
    dtbt_assert_cells(blob, n, "#address-cells", two, 1);
    dtbt_assert_cells(blob, n, "#size-cells", two, 1);
    n = dtbt_node(blob, "/passthrough");
    dtbt_assert_str(blob, n, "compatible", "simple-bus");
    dtbt_assert_cells(blob, n, "ranges", NULL, 0);
    dtbt_assert_cells(blob, n, "#address-cells", two, 1);
    dtbt_assert_cells(blob, n, "#size-cells", two, 1);
    /* exactly one child: the host bridge */
    ck_assert_int_ge(fdt_first_subnode(blob, n), 0);
    ck_assert_int_lt(fdt_next_subnode(blob, fdt_first_subnode(blob, n)), 0);
}
END_TEST

START_TEST(one_device)
{
    struct domain_assign da = { .domid = 3 };
    struct dtb_options o;
    const uint32_t reg[] = { 0, 0x10000000, 0, 0x100000 }, busr[] = { 0, 0 }, dom[] = { 0 };
    const uint32_t imap0[] = { 1 << 11, 0, 0, 1, 65000, 0, 12, 4 };   /* slot 1 INTA: 44 */
    const uint32_t mask[] = { 0xf800, 0, 0, 7 };
    const fdt32_t *imap;
    char err[256];
    int n;

    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    assert_common_bridge("/passthrough/pcie@10000000", 0x42000000);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_cells(blob, n, "reg", reg, 4);
    dtbt_assert_cells(blob, n, "bus-range", busr, 2);
    dtbt_assert_cells(blob, n, "linux,pci-domain", dom, 1);
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 0);
    imap = fdt_getprop(blob, n, "interrupt-map", NULL);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(fdt32_to_cpu(imap[i]), imap0[i]);
    dtbt_assert_cells(blob, n, "interrupt-map-mask", mask, 4);
    ck_assert_ptr_null(fdt_getprop(blob, n, "msi-map", NULL));
}
END_TEST

START_TEST(xen_version_selects_prefetch_type)
{
    struct domain_assign da = { .domid = 3 };
    static const struct { unsigned ma, mi; uint32_t hi; } v[] = {
        { 4, 16, 0x42000000 }, { 4, 17, 0x42000000 }, { 4, 18, 0x42000000 },
        { 4, 19, 0x43000000 }, { 4, 22, 0x43000000 }, { 5, 0, 0x43000000 } };
    struct dtb_options o;
    char err[256];

    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        dtb_options_default(&o);
        o.xen_major = v[i].ma;
        o.xen_minor = v[i].mi;
        ck_assert_int_gt(build(&da, &o, err), 0);
        assert_common_bridge("/passthrough/pcie@10000000", v[i].hi);
    }
    dtb_options_default(&o);
    o.xen_minor = 15;
    ck_assert_int_eq(build(&da, &o, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "4.15"));
}
END_TEST

START_TEST(msi_map_with_vits)
{
    struct domain_assign da = { .domid = 3 };
    struct dtb_options o;
    const uint32_t mm[] = { 0, 64999, 0, 0x10000 }, mm7[] = { 0, 7, 0, 0x10000 };
    char err[256];
    int n;

    dtb_options_default(&o);
    o.vits = true;
    o.its_base = 0x04020000;
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_cells(blob, n, "msi-map", mm, 4);
    o.its_phandle = 7;
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_cells(blob, n, "msi-map", mm7, 4);
    o.its_phandle = PCIPT_PHANDLE_GIC;
    ck_assert_int_eq(build(&da, &o, err), -EINVAL);
}
END_TEST

/* With a vITS: /passthrough/its@4020000 as the arm,gic-v3-its binding wants
 * it, and the bridge's msi-map phandle resolves to exactly that node. */
START_TEST(its_node_with_vits)
{
    struct domain_assign da = { .domid = 3 };
    struct dtb_options o;
    const uint32_t reg[] = { 0, 0x04020000, 0, 0x20000 }, one[] = { 1 }, ph[] = { 64999 };
    char err[256];
    const fdt32_t *mm;
    int n, its, len = -1;

    dtb_options_default(&o);
    o.vits = true;
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    ck_assert_int_eq(fdt_check_full(blob, sizeof(blob)), 0);
    its = dtbt_node(blob, "/passthrough/its@4020000");
    dtbt_assert_str(blob, its, "compatible", "arm,gic-v3-its");
    dtbt_assert_cells(blob, its, "msi-controller", NULL, 0);
    dtbt_assert_cells(blob, its, "#msi-cells", one, 1);
    dtbt_assert_cells(blob, its, "reg", reg, 4);
    dtbt_assert_cells(blob, its, "phandle", ph, 1);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    mm = fdt_getprop(blob, n, "msi-map", &len);
    ck_assert_int_eq(len, 16);
    ck_assert_int_eq(fdt_node_offset_by_phandle(blob, fdt32_to_cpu(mm[1])), its);
    /* a changed phandle moves with it */
    o.its_phandle = 7;
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    mm = fdt_getprop(blob, n, "msi-map", &len);
    ck_assert_int_eq(fdt_node_offset_by_phandle(blob, fdt32_to_cpu(mm[1])),
                     dtbt_node(blob, "/passthrough/its@4020000"));
    /* an unaligned base is refused */
    o.its_base = 0x04021000;
    ck_assert_int_eq(build(&da, &o, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0x4021000"));
    /* without a vITS: neither the node nor msi-map */
    dtb_options_default(&o);
    ck_assert_int_gt(build(&da, &o, err), 0);
    ck_assert_int_lt(fdt_path_offset(blob, "/passthrough/its@4020000"), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(blob, -1, "arm,gic-v3-its"), 0);
    ck_assert_ptr_null(fdt_getprop(blob, dtbt_node(blob, "/passthrough/pcie@10000000"),
                                   "msi-map", NULL));
}
END_TEST

START_TEST(several_devices)
{
    struct domain_assign da = { .domid = 9 };
    struct dtb_options o;
    const uint32_t reg0[] = { 0, 0x10000000, 0, 0x100000 }, bus0[] = { 0, 0 }, dom0[] = { 0 };
    const uint32_t reg1[] = { 0, 0x10100000, 0, 0x100000 }, bus1[] = { 1, 1 }, dom1[] = { 1 };
    const uint32_t mm0[] = { 0, 64999, 0, 0x10000 }, mm1[] = { 0, 64999, 0x10000, 0x10000 };
    char err[256];
    int n;

    dtb_options_default(&o);
    o.vits = true;
    o.xen_minor = 19;
    dtbt_add(&da, 0, 0x03, 0, 1, 0, 2, 1, 2, 46);   /* added out of order on purpose */
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    dtbt_add(&da, 0, 0x02, 0, 0, 0, 2, 0, 1, 45);
    dtbt_add(&da, 0, 0x04, 0, 0, 0, 3, 0, 1, 46);   /* slot 3 INTA: 44 + 2 */
    dtbt_add(&da, 0, 0x04, 0, 1, 0, 3, 1, 1, 46);   /* its two functions share the entry */
    dtbt_add(&da, 0, 0x04, 0, 2, 0, 3, 2, 0, 0);   /* no INTx at all */
    dtbt_add(&da, 1, 0x05, 0, 0, 1, 5, 0, 4, 51);   /* segment 1, bus 1, slot 5 INTD: 44 + 7 */
    ck_assert_int_gt(build(&da, &o, err), 0);
    assert_common_bridge("/passthrough/pcie@10000000", 0x43000000);
    assert_common_bridge("/passthrough/pcie@10100000", 0x43000000);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_cells(blob, n, "reg", reg0, 4);
    dtbt_assert_cells(blob, n, "bus-range", bus0, 2);
    dtbt_assert_cells(blob, n, "linux,pci-domain", dom0, 1);
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 0);
    dtbt_assert_cells(blob, n, "msi-map", mm0, 4);
    n = dtbt_node(blob, "/passthrough/pcie@10100000");
    dtbt_assert_cells(blob, n, "reg", reg1, 4);
    dtbt_assert_cells(blob, n, "bus-range", bus1, 2);
    dtbt_assert_cells(blob, n, "linux,pci-domain", dom1, 1);
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 0);
    dtbt_assert_cells(blob, n, "msi-map", mm1, 4);
    dtbt_assert_fits(blob, &da);
}
END_TEST

START_TEST(bus_range_trimmed_to_buses_used)
{
    struct domain_assign da = { .domid = 9 };
    struct dtb_options o;
    const uint32_t reg[] = { 0, 0x10200000, 0, 0x300000 }, busr[] = { 2, 4 };
    const fdt32_t *imap;
    char err[256];
    int n;

    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 4, 2, 0, 1, 45);
    dtbt_add(&da, 0, 0x02, 0, 0, 2, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10200000");
    dtbt_assert_cells(blob, n, "reg", reg, 4);
    dtbt_assert_cells(blob, n, "bus-range", busr, 2);
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 0);
    imap = fdt_getprop(blob, n, "interrupt-map", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(imap[0]), (2 << 16) | (1 << 11));   /* the first bus's */
    dtbt_assert_fits(blob, &da);
    /* and no node at the untrimmed libxl address */
    ck_assert_int_lt(fdt_path_offset(blob, "/passthrough/pcie@10000000"), 0);
}
END_TEST

/* Every slot is routed even when no device uses INTx: a function
 * hot-plugged later finds its route (pcipt/assign/intx_route.h).  Only a
 * layout without INTx SPIs routes nothing. */
START_TEST(every_slot_routed_without_intx_devices)
{
    struct domain_assign da = { .domid = 9 };
    struct guest_layout lay;
    struct dtb_options o;
    char err[256];
    int n;

    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 0, 0);   /* no pin, no SPI */
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 0);
    /* four SPIs only: routes wrap (slot 5 INTA shares slot 1's SPI) */
    dtbt_layout(&lay);
    lay.spi_base = 60;
    lay.spi_count = 4;
    ck_assert_int_gt(dtb_build(&da, &lay, &o, blob, sizeof(blob), err, sizeof(err)), 0);
    dtbt_assert_every_slot_routed(blob, dtbt_node(blob, "/passthrough/pcie@10000000"), 60, 4, 0);
    lay.spi_count = 0;
    ck_assert_int_gt(dtb_build(&da, &lay, &o, blob, sizeof(blob), err, sizeof(err)), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    ck_assert_ptr_null(fdt_getprop(blob, n, "interrupt-map", NULL));
    ck_assert_ptr_null(fdt_getprop(blob, n, "interrupt-map-mask", NULL));
}
END_TEST

/* A device whose published SPI is not its slot and pin's route is refused:
 * the guest would wait on another SPI than the relay raises. */
START_TEST(spi_off_the_route_is_refused)
{
    struct domain_assign da = { .domid = 9 };
    struct dtb_options o;
    char err[256];

    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 3, 0, 2, 48);   /* slot 3 INTB routes to 47 */
    ck_assert_int_eq(build(&da, &o, err), -EINVAL);
    ck_assert_str_eq(err, "device 0000:01:00.0: INTB of guest slot 3 uses SPI 48, but the "
                          "guest's interrupt-map routes that slot and pin to SPI 47 (detach "
                          "and attach it again to get the route)");
    da.devs[0].spi = 47;
    ck_assert_int_gt(build(&da, &o, err), 0);
}
END_TEST

START_TEST(gic_address_cells_follow_option)
{
    struct domain_assign da = { .domid = 3 };
    struct dtb_options o;
    const uint32_t imap0[] = { 1 << 11, 0, 0, 1, 65000, 0, 0, 0, 12, 4 };
    const fdt32_t *imap;
    char err[256];
    int n;

    dtb_options_default(&o);
    o.gic_address_cells = 2;   /* a GIC node with ITS children (downstream) */
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_gt(build(&da, &o, err), 0);
    n = dtbt_node(blob, "/passthrough/pcie@10000000");
    dtbt_assert_every_slot_routed(blob, n, 44, 56, 2);
    imap = fdt_getprop(blob, n, "interrupt-map", NULL);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_uint_eq(fdt32_to_cpu(imap[i]), imap0[i]);
}
END_TEST

static Suite *dtb_suite(void)
{
    Suite *s = suite_create("dtb");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, root_and_passthrough);
    tcase_add_test(tc, one_device);
    tcase_add_test(tc, xen_version_selects_prefetch_type);
    tcase_add_test(tc, msi_map_with_vits);
    tcase_add_test(tc, its_node_with_vits);
    tcase_add_test(tc, several_devices);
    tcase_add_test(tc, bus_range_trimmed_to_buses_used);
    tcase_add_test(tc, every_slot_routed_without_intx_devices);
    tcase_add_test(tc, spi_off_the_route_is_refused);
    tcase_add_test(tc, gic_address_cells_follow_option);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(dtb_suite)
