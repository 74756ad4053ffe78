/* its/: host DeviceIDs from a fake /proc/device-tree (big-endian property
 * files) and fake sysfs of_node links. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "tests/support/fake_dt.h"
#include "tests/support/testreg.h"

#define ITS_PH 0x8

static char tmp[] = "/tmp/pcipt-its-XXXXXX";
static char dt[512], sysfs[512];

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(dt, sizeof(dt), "%s/firmware/devicetree/base", tmp);
    snprintf(sysfs, sizeof(sysfs), "%s/sys/bus/pci", tmp);
    fakedt_node(tmp, "firmware/devicetree/base");
    fakedt_node(tmp, "sys/bus/pci/devices");
}

static void teardown(void)
{
    fakedt_remove(tmp);
    strcpy(tmp, "/tmp/pcipt-its-XXXXXX");
}

/* A host bridge node: device_type "pci", optional linux,pci-domain. */
static const char *bridge(const char *root, const char *rel, int domain)
{
    const char *n = fakedt_node(root, rel);
    fakedt_str(n, "device_type", "pci");
    fakedt_str(n, "compatible", "pci-host-ecam-generic");
    if (domain >= 0) {
        uint32_t d = (uint32_t)domain;
        fakedt_cells(n, "linux,pci-domain", &d, 1);
    }
    return n;
}

static struct sbdf dev(uint16_t seg, uint8_t bus, uint8_t d, uint8_t fn)
{
    return (struct sbdf){ seg, bus, d, fn };
}

START_TEST(translate_tuples)
{
    struct its_msi_map m = { .n = 3, .mask = 0xffffffff, .e = {
        { 0x0000, 5, 0x0000, 0x100 },
        { 0x0100, 6, 0x8000, 0x080 },
        { 0x0200, 5, 0x0010, 0x001 } } };
    uint32_t id, ctl;

    ck_assert_int_eq(its_msi_map_translate(&m, 0x0000, &id, &ctl), 0);
    ck_assert_uint_eq(id, 0);
    ck_assert_uint_eq(ctl, 5);
    ck_assert_int_eq(its_msi_map_translate(&m, 0x00ff, &id, &ctl), 0);
    ck_assert_uint_eq(id, 0xff);
    ck_assert_int_eq(its_msi_map_translate(&m, 0x0100, &id, &ctl), 0);
    ck_assert_uint_eq(id, 0x8000);
    ck_assert_uint_eq(ctl, 6);
    ck_assert_int_eq(its_msi_map_translate(&m, 0x017f, &id, NULL), 0);
    ck_assert_uint_eq(id, 0x807f);
    ck_assert_int_eq(its_msi_map_translate(&m, 0x0180, &id, NULL), -ENOENT);  /* gap */
    ck_assert_int_eq(its_msi_map_translate(&m, 0x0200, &id, NULL), 0);
    ck_assert_uint_eq(id, 0x10);
    ck_assert_int_eq(its_msi_map_translate(&m, 0x0201, &id, NULL), -ENOENT);
    m.mask = 0xff;                     /* bus bits dropped */
    ck_assert_int_eq(its_msi_map_translate(&m, 0x0342, &id, NULL), 0);
    ck_assert_uint_eq(id, 0x42);
}
END_TEST

START_TEST(devid_by_pci_domain_multiple_tuples)
{
    const uint32_t map[] = { 0x0000, ITS_PH, 0x0000, 0x100,
                             0x0100, ITS_PH, 0x1000, 0x100 };
    char err[512];
    uint32_t id;
    struct sbdf d;

    fakedt_cells(bridge(dt, "soc/pcie@40000000", 0), "msi-map", map, 8);
    bridge(dt, "soc/pcie@50000000", 1);   /* another segment: must not be picked */
    d = dev(0, 1, 0, 0);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x1000);
    d = dev(0, 0, 2, 1);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x11);
    d = dev(0, 1, 31, 7);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x10ff);
    /* RID 0x200 is in neither tuple */
    d = dev(0, 2, 0, 0);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "device 0000:02:00.0: RID 0x0200"));
    ck_assert_ptr_nonnull(strstr(err, "soc/pcie@40000000"));
}
END_TEST

START_TEST(devid_with_mask)
{
    const uint32_t map[] = { 0x0, ITS_PH, 0x20, 0x8 }, mask[] = { 0x7 };
    const char *n = bridge(dt, "pcie@0", 2);
    char err[512];
    uint32_t id;
    struct sbdf d = dev(2, 3, 0, 5);   /* RID 0x305 -> masked 5 */

    fakedt_cells(n, "msi-map", map, 4);
    fakedt_cells(n, "msi-map-mask", mask, 1);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x25);
}
END_TEST

START_TEST(msi_parent_is_identity)
{
    const uint32_t parent[] = { ITS_PH };
    const char *n = bridge(dt, "pcie@0", 0);
    char err[512];
    uint32_t id;
    struct sbdf d = dev(0, 1, 4, 3);

    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "neither msi-map nor msi-parent"));
    fakedt_cells(n, "msi-parent", parent, 1);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x123);
}
END_TEST

START_TEST(malformed_maps_refused)
{
    const uint32_t short_map[] = { 0, ITS_PH, 0 };
    const uint32_t map[] = { 0x100, ITS_PH, 0, 0x100 }, mask[] = { 0xff };
    const uint32_t two[] = { 1, 2 };
    const char *n = bridge(dt, "pcie@0", 0);
    struct its_msi_map m;
    char err[512];

    fakedt_cells(n, "msi-map", short_map, 3);
    ck_assert_int_eq(its_msi_map_load(n, &m, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "msi-map has 12 bytes"));
    fakedt_cells(n, "msi-map", map, 4);
    fakedt_cells(n, "msi-map-mask", mask, 1);
    ck_assert_int_eq(its_msi_map_load(n, &m, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "ignores bits of rid-base 0x100"));
    fakedt_cells(n, "msi-map-mask", two, 2);
    ck_assert_int_eq(its_msi_map_load(n, &m, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "msi-map-mask is not one cell"));
}
END_TEST

START_TEST(missing_tree_and_bridge)
{
    char err[512], nodir[600], path[1024];
    struct sbdf d = dev(0, 1, 0, 0);
    uint32_t id;

    snprintf(nodir, sizeof(nodir), "%s/no-such-tree", tmp);
    ck_assert_int_eq(its_host_devid(sysfs, nodir, &d, &id, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "no device tree at"));
    ck_assert_int_eq(its_find_host_bridge(sysfs, dt, &d, path, sizeof(path), err, sizeof(err)),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "no host bridge node of segment 0000"));
    bridge(dt, "a/pcie@1", 0);
    bridge(dt, "b/pcie@2", 0);
    ck_assert_int_eq(its_find_host_bridge(sysfs, dt, &d, path, sizeof(path), err, sizeof(err)),
                     -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "2 host bridge nodes"));
}
END_TEST

START_TEST(found_through_sysfs_of_node)
{
    /* The sysfs host bridge links into .../devicetree/base; the node is
     * then read from dt_root (here a separate "proc" tree with its own
     * msi-map, proving the re-rooting), and it needs no linux,pci-domain. */
    const uint32_t fw_map[] = { 0, ITS_PH, 0x9000, 0x10000 };
    const uint32_t proc_map[] = { 0, ITS_PH, 0x5000, 0x10000 };
    char target[1024], proc[600], path[1024], err[512];
    struct sbdf d = dev(1, 3, 0, 0);
    uint32_t id;

    fakedt_cells(bridge(dt, "soc/pcie@50000000", -1), "msi-map", fw_map, 4);
    snprintf(proc, sizeof(proc), "%s/proc-device-tree", tmp);
    fakedt_cells(bridge(proc, "soc/pcie@50000000", -1), "msi-map", proc_map, 4);
    fakedt_node(tmp, "sys/devices/platform/soc/pci0001:00/0001:00:00.0/0001:03:00.0");
    snprintf(target, sizeof(target), "%s/sys/devices/platform/soc/pci0001:00/0001:00:00.0/"
             "0001:03:00.0", tmp);
    fakedt_link(sysfs, "devices/0001:03:00.0", target);
    snprintf(target, sizeof(target), "%s/soc/pcie@50000000", dt);
    fakedt_link(tmp, "sys/devices/platform/soc/pci0001:00/of_node", target);

    ck_assert_int_eq(its_find_host_bridge(sysfs, proc, &d, path, sizeof(path), err, sizeof(err)), 0);
    ck_assert_str_eq(path + strlen(proc), "/soc/pcie@50000000");
    ck_assert_int_eq(its_host_devid(sysfs, proc, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x5300);
    ck_assert_int_eq(its_host_devid(sysfs, dt, &d, &id, err, sizeof(err)), 0);
    ck_assert_uint_eq(id, 0x9300);
}
END_TEST

static Suite *its_host_suite(void)
{
    Suite *s = suite_create("its_host");
    TCase *tc = tcase_create("devid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, translate_tuples);
    tcase_add_test(tc, devid_by_pci_domain_multiple_tuples);
    tcase_add_test(tc, devid_with_mask);
    tcase_add_test(tc, msi_parent_is_identity);
    tcase_add_test(tc, malformed_maps_refused);
    tcase_add_test(tc, missing_tree_and_bridge);
    tcase_add_test(tc, found_through_sysfs_of_node);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(its_host_suite)
