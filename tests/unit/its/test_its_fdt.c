/* its/its_fdt.c: host DeviceIDs from a flattened device tree, as the
 * daemon reads /sys/firmware/fdt.  The blobs are built by the real dtc from
 * the .dts files in tests/data/host-dt/ (and from a few lines written
 * here for trees that must be wrong). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "tests/support/fake_dt.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

static char tmp[] = "/tmp/pcipt-itsfdt-XXXXXX";
static char its_dtb[600], noits_dtb[600], sysfs[600];
static void *its_fdt;

/* dtc -I dts -O dtb: exit 0 and not a word on stderr. */
static void dtc(const char *dts, const char *dtb)
{
    char cmd[1600], *err = NULL;
    snprintf(cmd, sizeof(cmd), "dtc -I dts -O dtb -o %s %s", dtb, dts);
    ck_assert_int_eq(run_sh(NULL, NULL, &err, "%s", cmd), 0);
    ck_assert_msg(err && !err[0], "dtc %s: %s", dts, err);
    free(err);
}

static void dtc_src(const char *name, const char *dtb)
{
    char src[512];
    dtc(test_src_path(name, src, sizeof(src)), dtb);
}

/* A .dts written here, compiled to tmp/name.dtb; returns the blob. */
static void *dtc_text(const char *name, const char *text)
{
    char dts[700], dtb[700], err[256];
    void *fdt;
    FILE *f;

    snprintf(dts, sizeof(dts), "%s/%s.dts", tmp, name);
    snprintf(dtb, sizeof(dtb), "%s/%s.dtb", tmp, name);
    ck_assert_ptr_nonnull(f = fopen(dts, "w"));
    fputs(text, f);
    fclose(f);
    dtc(dts, dtb);
    ck_assert_msg(its_fdt_read(dtb, &fdt, err, sizeof(err)) == 0, "%s", err);
    return fdt;
}

static void setup(void)
{
    char err[256];

    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(its_dtb, sizeof(its_dtb), "%s/its.dtb", tmp);
    snprintf(noits_dtb, sizeof(noits_dtb), "%s/noits.dtb", tmp);
    snprintf(sysfs, sizeof(sysfs), "%s/sys/bus/pci", tmp);
    fakedt_node(tmp, "sys/bus/pci/devices");
    dtc_src("tests/data/host-dt/virt-gicv3-its.dts", its_dtb);
    dtc_src("tests/data/host-dt/virt-gicv3-noits.dts", noits_dtb);
    ck_assert_msg(its_fdt_read(its_dtb, &its_fdt, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
    free(its_fdt);
    its_fdt = NULL;
    fakedt_remove(tmp);
    strcpy(tmp, "/tmp/pcipt-itsfdt-XXXXXX");
}

static int devid(const void *fdt, uint16_t seg, uint8_t bus, uint8_t d, uint8_t fn,
                 uint32_t *id, char *err)
{
    struct sbdf s = { seg, bus, d, fn };
    *id = 0xdeadbeef;
    return its_host_devid_fdt(fdt, sysfs, &s, id, err, 512);
}

START_TEST(msi_map_tuples)
{
    char err[512];
    uint32_t id;

    ck_assert_int_eq(devid(its_fdt, 0, 0, 2, 1, &id, err), 0);     /* RID 0x011 */
    ck_assert_uint_eq(id, 0x20011);
    ck_assert_int_eq(devid(its_fdt, 0, 1, 0, 0, &id, err), 0);     /* RID 0x100 */
    ck_assert_uint_eq(id, 0x20100);
    ck_assert_int_eq(devid(its_fdt, 0, 1, 31, 7, &id, err), 0);    /* RID 0x1ff */
    ck_assert_uint_eq(id, 0x201ff);
    ck_assert_int_eq(devid(its_fdt, 0, 2, 3, 0, &id, err), 0);     /* RID 0x218: 2nd tuple */
    ck_assert_uint_eq(id, 0x40018);
    ck_assert_int_eq(devid(its_fdt, 0, 3, 0, 0, &id, err), -ENOENT);
    ck_assert_msg(strstr(err, "device 0000:03:00.0: RID 0x0300 (masked 0x300) is in no "
                              "msi-map range of /pcie@4010000000"), "%s", err);
}
END_TEST

START_TEST(mask_parent_and_none)
{
    char err[512];
    uint32_t id;

    ck_assert_int_eq(devid(its_fdt, 1, 5, 1, 2, &id, err), 0);     /* RID 0x50a & 0xff */
    ck_assert_uint_eq(id, 0x8000a);
    ck_assert_int_eq(devid(its_fdt, 2, 7, 0, 0, &id, err), 0);     /* msi-parent: RID */
    ck_assert_uint_eq(id, 0x700);
    ck_assert_int_eq(devid(its_fdt, 3, 0, 1, 0, &id, err), -ENOENT);
    ck_assert_msg(strstr(err, "/pcie@7000000000 has neither msi-map nor msi-parent"), "%s", err);
    ck_assert_int_eq(devid(its_fdt, 4, 0, 1, 0, &id, err), -ENOENT);
    ck_assert_msg(strstr(err, "device 0004:00:01.0: the host device tree has no host bridge "
                              "node of segment 0004"), "%s", err);
    ck_assert_uint_eq(id, 0xdeadbeef);              /* untouched on failure */
}
END_TEST

START_TEST(host_without_its)
{
    char err[512];
    uint32_t id;
    void *fdt;

    ck_assert_int_eq(its_fdt_read(noits_dtb, &fdt, err, sizeof(err)), 0);
    ck_assert_int_eq(devid(fdt, 0, 1, 0, 0, &id, err), -ENOENT);
    ck_assert_msg(strstr(err, "/pcie@4010000000 has neither msi-map nor msi-parent"), "%s", err);
    free(fdt);
}
END_TEST

#define TWO_BRIDGES_SEG0                                                                    \
    "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n"                             \
    "  its: msi-controller@8080000 { msi-controller; #msi-cells = <1>;\n"                   \
    "    reg = <0 0x8080000 0 0x20000>; };\n"                                               \
    "  soc { #address-cells = <2>; #size-cells = <2>; ranges;\n"                            \
    "    pcie@40000000 { device_type = \"pci\"; linux,pci-domain = <0>;\n"                  \
    "      reg = <0 0x40000000 0 0x1000000>; bus-range = <0 15>;\n"                         \
    "      ranges = <0x02000000 0 0x60000000 0 0x60000000 0 0x1000000>;\n"                  \
    "      #address-cells = <3>; #size-cells = <2>; msi-map = <0 &its 0x1000 0x1000>; };\n" \
    "    pcie@50000000 { device_type = \"pci\"; linux,pci-domain = <0>;\n"                  \
    "      reg = <0 0x50000000 0 0x1000000>; bus-range = <16 31>;\n"                        \
    "      ranges = <0x02000000 0 0x70000000 0 0x70000000 0 0x1000000>;\n"                  \
    "      #address-cells = <3>; #size-cells = <2>; msi-map = <0 &its 0x9000 0x10000>; };\n" \
    "  }; };\n"

/* Two nodes claim segment 0: refused by the scan, but the sysfs of_node
 * link (into /sys/firmware/devicetree/base) names the right one. */
START_TEST(of_node_link_decides)
{
    void *fdt = dtc_text("two", TWO_BRIDGES_SEG0);
    char target[1024], err[512], path[256];
    struct sbdf d = { 0, 0x13, 0, 0 };
    uint32_t id;
    int node;

    ck_assert_int_eq(its_host_devid_fdt(fdt, sysfs, &d, &id, err, sizeof(err)), -EEXIST);
    ck_assert_msg(strstr(err, "2 host bridge nodes of the host device tree claim segment 0000"),
                  "%s", err);
    fakedt_node(tmp, "sys/devices/platform/50000000.pcie/pci0000:10/0000:10:00.0/0000:13:00.0");
    fakedt_node(tmp, "firmware/devicetree/base/soc/pcie@50000000");
    snprintf(target, sizeof(target), "%s/sys/devices/platform/50000000.pcie/pci0000:10/"
             "0000:10:00.0/0000:13:00.0", tmp);
    fakedt_link(sysfs, "devices/0000:13:00.0", target);
    snprintf(target, sizeof(target), "%s/firmware/devicetree/base/soc/pcie@50000000", tmp);
    fakedt_link(tmp, "sys/devices/platform/50000000.pcie/pci0000:10/of_node", target);
    ck_assert_int_eq(its_fdt_find_host_bridge(fdt, sysfs, &d, &node, path, sizeof(path), err,
                                              sizeof(err)), 0);
    ck_assert_str_eq(path, "/soc/pcie@50000000");
    ck_assert_int_eq(its_host_devid_fdt(fdt, sysfs, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x9000 + 0x1300);
    free(fdt);
}
END_TEST

START_TEST(bad_blobs_refused)
{
    char path[700], err[512];
    void *fdt = (void *)1;
    FILE *f;

    snprintf(path, sizeof(path), "%s/missing.dtb", tmp);
    ck_assert_int_eq(its_fdt_read(path, &fdt, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_null(fdt);
    ck_assert_msg(strstr(err, "cannot read the host device tree ") && strstr(err, "missing.dtb"),
                  "%s", err);
    /* not a blob at all, and a real blob cut short */
    snprintf(path, sizeof(path), "%s/junk.dtb", tmp);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("this is not a device tree, it is a sentence long enough for a header", f);
    fclose(f);
    ck_assert_int_eq(its_fdt_read(path, &fdt, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "junk.dtb is not a valid flattened device tree"), "%s", err);
    snprintf(path, sizeof(path), "%s/short.dtb", tmp);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fwrite(its_fdt, 1, 200, f);
    fclose(f);
    ck_assert_int_eq(its_fdt_read(path, &fdt, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "short.dtb is not a valid flattened device tree"), "%s", err);
    ck_assert_int_eq(its_fdt_read("/dev/null", &fdt, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "too short"), "%s", err);
}
END_TEST

static Suite *its_fdt_suite(void)
{
    Suite *s = suite_create("its_fdt");
    TCase *tc = tcase_create("devid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, msi_map_tuples);
    tcase_add_test(tc, mask_parent_and_none);
    tcase_add_test(tc, host_without_its);
    tcase_add_test(tc, of_node_link_decides);
    tcase_add_test(tc, bad_blobs_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(its_fdt_suite)
