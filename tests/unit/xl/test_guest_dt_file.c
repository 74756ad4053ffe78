/* pcipt/xl/guest_dt: the blob checked by the real dtc (warnings are errors),
 * refusals with their messages, atomic writing, and `pcipt dtb`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "pcipt/xl/guest_dt.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

static char dir[] = "/tmp/pcipt-dtb-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/pcipt-dtb-XXXXXX");
}

static const char *path_in(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static unsigned count_files(void)
{
    char cmd[128], *out = NULL;
    unsigned n;
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    n = (unsigned)strtoul(out, NULL, 10);
    free(out);
    return n;
}

/* dtc -I dtb -O dts: exit 0, nothing on stderr (dtc's warnings go there). */
static char *decompile(const char *file)
{
    char cmd[512], *out = NULL, *err = NULL;
    int rc;

    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s", file);
    rc = run_sh(NULL, &out, &err, "%s", cmd);
    ck_assert_msg(rc == 0, "dtc failed (%d): %s", rc, err ? err : "");
    ck_assert_msg(err && err[0] == '\0', "dtc warned: %s", err ? err : "");
    free(err);
    return out;
}

static void several(struct domain_assign *da)
{
    memset(da, 0, sizeof(*da));
    da->domid = 4;
    dtbt_add(da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    dtbt_add(da, 0, 0x02, 0, 0, 0, 2, 0, 1, 45);
    dtbt_add(da, 0, 0x02, 0, 1, 0, 2, 1, 2, 46);
    dtbt_add(da, 1, 0x03, 0, 0, 2, 1, 0, 1, 44);   /* slot 1 INTA's route on every bridge */
}

START_TEST(dtc_accepts_one_device)
{
    struct domain_assign da = { .domid = 3 };
    struct guest_layout lay;
    struct dtb_options o;
    char p[256], err[256], *dts;

    dtbt_layout(&lay);
    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    ck_assert_int_eq(dtb_write_file(path_in("one.dtb", p, sizeof(p)), &da, &lay, &o,
                                    err, sizeof(err)), 0);
    dts = decompile(p);
    ck_assert_ptr_nonnull(strstr(dts, "pcie@10000000 {"));
    ck_assert_ptr_nonnull(strstr(dts, "compatible = \"pci-host-ecam-generic\";"));
    ck_assert_ptr_nonnull(strstr(dts, "bus-range = <0x00 0x00>;"));
    ck_assert_ptr_null(strstr(dts, "msi-map"));
    free(dts);
    ck_assert_uint_eq(count_files(), 1);
}
END_TEST

START_TEST(dtc_accepts_several_with_vits)
{
    struct domain_assign da;
    struct guest_layout lay;
    struct dtb_options o;
    char p[256], err[256], *dts;

    several(&da);
    dtbt_layout(&lay);
    dtb_options_default(&o);
    o.vits = true;
    o.xen_minor = 19;
    ck_assert_int_eq(dtb_write_file(path_in("several.dtb", p, sizeof(p)), &da, &lay, &o,
                                    err, sizeof(err)), 0);
    dts = decompile(p);
    ck_assert_ptr_nonnull(strstr(dts, "pcie@10000000 {"));
    ck_assert_ptr_nonnull(strstr(dts, "pcie@10200000 {"));
    ck_assert_ptr_nonnull(strstr(dts, "msi-map = <0x00 0xfde7 0x10000 0x10000>;"));
    ck_assert_ptr_nonnull(strstr(dts, "0x43000000"));
    /* the ITS node the msi-map names, as dtc prints it */
    ck_assert_ptr_nonnull(strstr(dts, "its@4020000 {"));
    ck_assert_ptr_nonnull(strstr(dts, "compatible = \"arm,gic-v3-its\";"));
    ck_assert_ptr_nonnull(strstr(dts, "reg = <0x00 0x4020000 0x00 0x20000>;"));
    ck_assert_ptr_nonnull(strstr(dts, "phandle = <0xfde7>;"));
    free(dts);
}
END_TEST

START_TEST(dtc_accepts_a_full_bus)
{
    struct domain_assign da = { .domid = 6 };
    struct guest_layout lay;
    struct dtb_options o;
    char p[256], err[256], *dts;

    dtbt_layout(&lay);
    dtb_options_default(&o);
    o.vits = true;
    for (uint8_t slot = 1; slot <= 31; slot++)
        dtbt_add(&da, 0, slot, 0, 0, 0, slot, 0, (uint8_t)(1 + slot % 4),
                 44u + slot - 1u + slot % 4u);        /* the route of (slot, pin) */
    dtbt_add(&da, 0, 0x20, 0, 1, 0, 31, 1, 0, 0);
    ck_assert_uint_eq(da.ndevs, PCIPT_MAX_DEVS);
    ck_assert_int_eq(dtb_write_file(path_in("full.dtb", p, sizeof(p)), &da, &lay, &o,
                                    err, sizeof(err)), 0);
    dts = decompile(p);
    /* the last entry: slot 31 INTD, 44 + 30 + 3 = 77 = GIC SPI 45 */
    ck_assert_ptr_nonnull(strstr(dts, "0xf800 0x00 0x00 0x04 0xfde8 0x00 0x2d 0x04>;"));
    free(dts);
}
END_TEST

/* The dtc check can fail: a node whose unit address disagrees with its reg
 * makes dtc warn on stderr. */
START_TEST(dtc_check_catches_a_bad_unit_address)
{
    struct domain_assign da = { .domid = 3 };
    struct guest_layout lay;
    struct dtb_options o;
    static char buf[DTB_MAX_SIZE];
    char p[256], cmd[512], err[256], *derr = NULL;
    FILE *f;
    int n, node;

    dtbt_layout(&lay);
    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    n = dtb_build(&da, &lay, &o, buf, sizeof(buf), err, sizeof(err));
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(fdt_open_into(buf, buf, sizeof(buf)), 0);
    node = fdt_path_offset(buf, "/passthrough/pcie@10000000");
    ck_assert_int_ge(node, 0);
    ck_assert_int_eq(fdt_set_name(buf, node, "pcie@20000000"), 0);
    ck_assert_int_eq(fdt_pack(buf), 0);
    f = fopen(path_in("bad.dtb", p, sizeof(p)), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, fdt_totalsize(buf), f), fdt_totalsize(buf));
    fclose(f);
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s", p);
    run_sh(NULL, NULL, &derr, "%s", cmd);
    ck_assert_ptr_nonnull(derr);
    ck_assert_ptr_nonnull(strstr(derr, "unit address"));
    free(derr);
}
END_TEST

static int try_build(const struct domain_assign *da, struct guest_layout *lay, char *err)
{
    static char blob[DTB_MAX_SIZE];
    struct dtb_options o;
    dtb_options_default(&o);
    return dtb_build(da, lay, &o, blob, sizeof(blob), err, 256);
}

START_TEST(refusals_name_the_fault)
{
    struct domain_assign da = { .domid = 5 };
    struct guest_layout lay;
    char err[256];

    dtbt_layout(&lay);
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "domain 5 has no devices"));

    dtbt_add(&da, 0, 0x01, 0, 0, 0, 0, 0, 1, 44);      /* slot 0 */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0"));

    da.ndevs = 0;
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    dtbt_add(&da, 0, 0x02, 0, 0, 0, 1, 0, 1, 44);      /* same guest address */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "both sit at guest address 0000:00:01.0"));

    da.ndevs = 1;
    dtbt_add(&da, 0, 0x02, 0, 0, 0, 1, 1, 1, 45);      /* fn1 INTA to another SPI */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "INTA of guest slot 1"));

    da.ndevs = 1;
    dtbt_add(&da, 1, 0x02, 0, 0, 0, 1, 0, 1, 44);      /* seg 1 also on bus 0 */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "disjoint buses"));

    da.ndevs = 1;
    dtbt_add(&da, 1, 0x02, 0, 0, 16, 1, 0, 1, 44);
    lay.ecam_size = 16ull << 20;                        /* 16 buses only */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bus 10 lies outside the guest ECAM window"));
    dtbt_layout(&lay);

    da.ndevs = 0;
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 31);      /* a PPI, not an SPI */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "SPI 31"));
    da.devs[0].spi = 200;                              /* not slot 1 INTA's route */
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "routes that slot and pin to SPI 44"));
    da.devs[0].spi = 44;
    da.devs[0].intx_pin = 5;
    ck_assert_int_eq(try_build(&da, &lay, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "pin 5"));
}
END_TEST

START_TEST(small_buffer_is_enospc)
{
    struct domain_assign da;
    struct guest_layout lay;
    struct dtb_options o;
    char buf[128], err[256];

    several(&da);
    dtbt_layout(&lay);
    dtb_options_default(&o);
    ck_assert_int_eq(dtb_build(&da, &lay, &o, buf, sizeof(buf), err, sizeof(err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(err, "does not fit in 128 bytes"));
}
END_TEST

START_TEST(failed_write_leaves_nothing)
{
    struct domain_assign da = { .domid = 3 }, empty = { .domid = 3 };
    struct guest_layout lay;
    struct dtb_options o;
    struct stat st1, st2;
    char p[256], err[256];

    dtbt_layout(&lay);
    dtb_options_default(&o);
    dtbt_add(&da, 0, 0x01, 0, 0, 0, 1, 0, 1, 44);
    /* a directory that does not exist: error names the file, nothing made */
    snprintf(p, sizeof(p), "%s/no/such.dtb", dir);
    ck_assert_int_eq(dtb_write_file(p, &da, &lay, &o, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "no/such.dtb"));
    ck_assert_uint_eq(count_files(), 0);
    /* a refused assignment does not clobber an existing good file */
    ck_assert_int_eq(dtb_write_file(path_in("g.dtb", p, sizeof(p)), &da, &lay, &o,
                                    err, sizeof(err)), 0);
    ck_assert_int_eq(stat(p, &st1), 0);
    ck_assert_int_eq(dtb_write_file(p, &empty, &lay, &o, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(stat(p, &st2), 0);
    ck_assert_int_eq(st1.st_size, st2.st_size);
    ck_assert_int_eq(st1.st_ino, st2.st_ino);
    ck_assert_uint_eq(count_files(), 1);
    /* path is a directory: rename fails, the temporary file is removed */
    ck_assert_int_eq(mkdir(path_in("d.dtb", p, sizeof(p)), 0755), 0);
    ck_assert_int_eq(dtb_write_file(p, &da, &lay, &o, err, sizeof(err)), -EISDIR);
    ck_assert_uint_eq(count_files(), 2);
}
END_TEST

START_TEST(cli_usage_and_errors)
{
    char args[512], p[256], *err = NULL;

    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb 0000:01:00.0"), 2);
    ck_assert_ptr_nonnull(strstr(err, "-o FILE"));
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb -o /tmp/x.dtb"), 2);
    ck_assert_ptr_nonnull(strstr(err, "name a domain or at least one device"));
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb --xen-version 4 -o x 1"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--xen-version needs X.Y"));
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb --vits 0x4020001 -o x 1"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--vits"));
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb --bogus -o x 1"), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown option '--bogus'"));
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, NULL, NULL, "dtb --help"), 0);
    /* complete command line naming a device that does not exist: no file */
    snprintf(args, sizeof(args), "--sysfs /nonexistent --xen-version=4.19 --vits 0x4020000 "
             "-o %s 0000:01:00.0@2",
             path_in("cli.dtb", p, sizeof(p)));
    ck_assert_int_eq(run_pcipt(NULL, NULL, &err, "dtb %s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, "pcipt: dtb: 0000:01:00.0: no such device under /nonexistent"));
    free(err);
    ck_assert_uint_eq(count_files(), 0);
}
END_TEST

static Suite *dtb_file_suite(void)
{
    Suite *s = suite_create("dtb_file");
    TCase *tc = tcase_create("dtc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dtc_accepts_one_device);
    tcase_add_test(tc, dtc_accepts_several_with_vits);
    tcase_add_test(tc, dtc_accepts_a_full_bus);
    tcase_add_test(tc, dtc_check_catches_a_bad_unit_address);
    tcase_add_test(tc, refusals_name_the_fault);
    tcase_add_test(tc, small_buffer_is_enospc);
    tcase_add_test(tc, failed_write_leaves_nothing);
    tcase_add_test(tc, cli_usage_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(dtb_file_suite)
