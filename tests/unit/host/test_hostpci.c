/* hostpci on trees from every dump: identity, BARs and config space through
 * libpci; ownership refusals; handing a function to a holder driver. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/host/hostpci.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static const struct tree_opts plain = { .driver = NULL, .reset_method = "flr bus" };

static void check_function(const char *dir, const struct dump_func *f, const char *name)
{
    struct host_bar want[PCI_NUM_RES];
    const struct hostpci_info *in;
    struct host_dev *hd;
    struct hostpci *hp;
    char err[512];

    ck_assert_msg(hostpci_open(dir, &f->addr, &hp, err, sizeof(err)) == 0, "%s: %s", name, err);
    in = hostpci_info(hp);
    hd = hostpci_host_dev(hp);
    ck_assert(sbdf_equal(&hd->addr, &f->addr));
    ck_assert_uint_eq(in->vendor, dump_cfg16(f, 0));
    ck_assert_uint_eq(in->device, dump_cfg16(f, 2));
    ck_assert_uint_eq(in->class_code, dump_cfg32(f, 8) >> 8);
    ck_assert_uint_eq(in->revision, dump_cfg8(f, 8));
    ck_assert_uint_eq(in->header_type, dump_cfg8(f, 0x0e) & 0x7f);
    ck_assert_str_eq(in->reset_method, "flr bus");
    ck_assert_str_eq(in->driver, "");
    ck_assert_uint_eq(hd->cfg_size, f->cfg_size);
    tree_bars(f, want);
    for (unsigned b = 0; b < PCI_NUM_RES; b++) {
        enum bar_type t = want[b].type;
        /* a memory resource above 4 GiB is 64-bit whatever the flags say (EA) */
        if (t == BAR_MEM32 && want[b].addr + want[b].size > 0x100000000ull)
            t = BAR_MEM64;
        ck_assert_msg(hd->bars[b].type == t, "%s BAR %u: type %d, want %d", name, b,
                      hd->bars[b].type, t);
        ck_assert_uint_eq(hd->bars[b].addr, want[b].addr);
        ck_assert_uint_eq(hd->bars[b].size, want[b].size);
        ck_assert_int_eq(hd->bars[b].prefetchable, want[b].prefetchable);
    }
    /* every dword, word and byte of config space through libpci */
    for (unsigned off = 0; off < f->cfg_size; off += 4) {
        uint32_t v;
        ck_assert_int_eq(host_cfg_read(hd, off, 4, &v), 0);
        ck_assert_uint_eq(v, dump_cfg32(f, off));
        ck_assert_int_eq(host_cfg_read(hd, off + 2, 2, &v), 0);
        ck_assert_uint_eq(v, dump_cfg16(f, off + 2));
        ck_assert_int_eq(host_cfg_read(hd, off + 1, 1, &v), 0);
        ck_assert_uint_eq(v, dump_cfg8(f, off + 1));
    }
    {
        uint32_t v;
        ck_assert_int_eq(host_cfg_read(hd, 1, 2, &v), -EINVAL);       /* misaligned */
        ck_assert_int_eq(host_cfg_read(hd, 0, 3, &v), -EINVAL);       /* bad size */
        ck_assert_int_eq(host_cfg_read(hd, f->cfg_size, 4, &v), -EINVAL);
    }
    hostpci_close(hp);
}

START_TEST(every_function_of_every_dump)
{
    const char *name = dump_files[_i];
    char dir[64];
    struct dump d;

    testdata_dump(name, &d);
    testdata_tree(name, &plain, dir, sizeof(dir));
    for (unsigned i = 0; i < d.n; i++)
        check_function(dir, &d.f[i], name);
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

START_TEST(config_write_reaches_the_file)
{
    struct sbdf s = { 0, 1, 0, 0 };
    struct hostpci *hp;
    char dir[64], err[512], path[256];
    unsigned char cfg[0x40];
    uint32_t v;
    FILE *fp;

    testdata_tree("cap-pcie-2", &plain, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    ck_assert_int_eq(host_cfg_write(hostpci_host_dev(hp), 0x3c, 1, 0x5a), 0);
    ck_assert_int_eq(host_cfg_read(hostpci_host_dev(hp), 0x3c, 1, &v), 0);
    ck_assert_uint_eq(v, 0x5a);
    hostpci_close(hp);
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/config", dir);
    fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fread(cfg, 1, sizeof(cfg), fp), sizeof(cfg));
    fclose(fp);
    ck_assert_uint_eq(cfg[0x3c], 0x5a);
    ck_assert_uint_eq(cfg[0x00], 0x86);
    sysfs_tree_remove(dir);
}
END_TEST

/* The BAR through resourceN (pcipt/host/hostpci_bar.c): every size reaches
 * the file at its offset; an access past the file, a misaligned one, an I/O
 * BAR are refused; a missing resourceN fails (and is not retried). */
START_TEST(bar_access_through_resource_files)
{
    struct sbdf s = { 0, 1, 0, 0 };
    struct hostpci *hp;
    char dir[64], err[512], path[256];
    uint64_t v;

    testdata_tree("cap-pcie-2", &plain, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    struct host_dev *hd = hostpci_host_dev(hp);
    ck_assert_int_eq(host_bar_write(hd, 3, 0x100, 8, 0x1122334455667788ull), 0);
    ck_assert_int_eq(host_bar_write(hd, 3, 0x102, 2, 0xabcd), 0);
    ck_assert_int_eq(host_bar_write(hd, 3, 0x107, 1, 0x99), 0);
    ck_assert_int_eq(host_bar_read(hd, 3, 0x100, 8, &v), 0);
    ck_assert_uint_eq(v, 0x99223344abcd7788ull);
    ck_assert_int_eq(host_bar_read(hd, 3, 0x104, 4, &v), 0);
    ck_assert_uint_eq(v, 0x99223344u);
    ck_assert_int_eq(host_bar_read(hd, 3, 0x3ffc, 4, &v), 0);          /* last dword */
    ck_assert_int_eq(host_bar_read(hd, 3, 0x4000, 4, &v), -EINVAL);    /* past 16 KiB */
    ck_assert_int_eq(host_bar_read(hd, 3, 0x102, 4, &v), -EINVAL);     /* misaligned */
    ck_assert_int_eq(host_bar_read(hd, 3, 0x100, 3, &v), -EINVAL);
    ck_assert_int_eq(host_bar_read(hd, 2, 0, 4, &v), -EINVAL);         /* I/O BAR */
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/resource0", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(host_bar_read(hd, 0, 0, 4, &v), -ENOENT);
    ck_assert_int_eq(host_bar_read(hd, 0, 0, 4, &v), -ENOENT);
    hostpci_close(hp);
    FILE *fp;
    unsigned char b[8];
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/resource3", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
    ck_assert_int_eq(fseek(fp, 0x100, SEEK_SET), 0);
    ck_assert_uint_eq(fread(b, 1, 8, fp), 8);
    fclose(fp);
    ck_assert_uint_eq(b[0], 0x88);
    ck_assert_uint_eq(b[2], 0xcd);
    ck_assert_uint_eq(b[7], 0x99);
    sysfs_tree_remove(dir);
}
END_TEST

static int count_cb(struct hostpci *hp, void *opaque)
{
    (void)hp;
    (*(unsigned *)opaque)++;
    return 0;
}

START_TEST(foreach_and_errors)
{
    struct sbdf s = { 0, 7, 0, 0 };
    struct hostpci *hp;
    char dir[64], err[512];
    unsigned n = 0;

    testdata_tree("tree-fsl-p2020", &plain, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_foreach(dir, count_cb, &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), -ENODEV);
    ck_assert_ptr_null(hp);
    ck_assert_ptr_nonnull(strstr(err, "0000:07:00.0: no such device under"));
    ck_assert_ptr_nonnull(strstr(err, dir));
    ck_assert_int_ne(hostpci_foreach("/nonexistent", count_cb, &n, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/devices"));
    sysfs_tree_remove(dir);
}
END_TEST

/* Open 0000:01:00.0 of cap-pcie-2 in a tree built with o; run the check. */
static int check_with(const struct tree_opts *o, const char *dump, const char *sbdf, bool force,
                      char *err, size_t errlen)
{
    struct sbdf s;
    struct hostpci *hp;
    char dir[64];
    int rc;

    ck_assert_int_eq(sbdf_parse(sbdf, &s), 0);
    testdata_tree(dump, o, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, errlen), 0);
    rc = hostpci_check_assignable(hp, force, err, errlen);
    hostpci_close(hp);
    sysfs_tree_remove(dir);
    return rc;
}

START_TEST(ownership)
{
    struct tree_opts o = { .driver = "igb", .reset_method = "flr bus" };
    char err[512];

    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)), -EBUSY);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0"));
    ck_assert_ptr_nonnull(strstr(err, "'igb'"));
    /* the way out is --bind (uio_pci_generic, the INTx relay's holder), not pciback */
    ck_assert_ptr_nonnull(strstr(err, "use --bind to rebind it to uio_pci_generic"));
    ck_assert_ptr_null(strstr(err, "pciback first"));
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", true, err, sizeof(err)), -EBUSY);
    o.driver = "pciback";
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)), 0);
    o.driver = "vfio-pci";
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)), 0);
    o.driver = NULL;
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)), 0);

    /* bridges: header type 1 */
    ck_assert_int_eq(check_with(&o, "tree-fsl-p2020", "0001:02:00.0", true, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0001:02:00.0 is a PCI bridge"));
    ck_assert_int_eq(check_with(&o, "tree-fsl-p2020", "0001:03:00.0", false, err, sizeof(err)), 0);

    /* no reset method: absent file, empty file; --force overrides */
    o.reset_method = NULL;
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)),
                     -EOPNOTSUPP);
    ck_assert_ptr_nonnull(strstr(err, "no usable reset method"));
    ck_assert_ptr_nonnull(strstr(err, "--force"));
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", true, err, sizeof(err)), 0);
    o.reset_method = "";
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", false, err, sizeof(err)),
                     -EOPNOTSUPP);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    ck_assert_int_eq(check_with(&o, "cap-pcie-2", "01:00.0", true, err, sizeof(err)), 0);
}
END_TEST

static void read_file(const char *dir, const char *rel, char *buf, size_t len)
{
    char path[300];
    FILE *fp;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s missing", path);
    n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

/* A tree has no kernel behind it (tests/unit/assign/test_attach_bind.c plays one): the
 * driver link moves only when the modprobe double (tests/support/fakebin,
 * FAKE_MODPROBE=load; PCIPT_DRIVER_CORE names the tree for it) registers
 * the holder, which takes the unbound function as Linux's driver_attach
 * does.  Otherwise the hand-over is refused and undone. */
START_TEST(bind_holder_on_tree)
{
    struct tree_opts o = { .driver = "igb", .reset_method = "flr" };
    struct sbdf s = { 0, 1, 0, 0 };
    struct hostpci *hp;
    char dir[64], err[512], buf[128];

    testdata_tree("cap-pcie-2", &o, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    ck_assert_str_eq(hostpci_info(hp)->driver, "igb");
    ck_assert_int_eq(hostpci_bind_holder(hp, "igb", err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a passthrough holder"));
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "(null)\n");                     /* refused: nothing written */
    /* igb does not let go (no kernel): the probe leaves it there */
    ck_assert_int_eq(hostpci_bind_holder(hp, "pciback", err, sizeof(err)), -EBUSY);
    ck_assert_str_eq(err, "0000:01:00.0: pciback did not take it: the probe left it with 'igb'");
    read_file(dir, "drivers/igb/unbind", buf, sizeof(buf));
    ck_assert_str_eq(buf, "0000:01:00.0");
    read_file(dir, "drivers_probe", buf, sizeof(buf));
    ck_assert_str_eq(buf, "0000:01:00.0");
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "\n");                           /* put back: cleared */
    hostpci_close(hp);
    sysfs_tree_remove(dir);

    /* an unbound function, no vfio-pci or pciback driver registered: the
     * module is not there (the double's default), refused, undone */
    o.driver = NULL;
    testdata_tree("cap-pcie-2", &o, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    ck_assert_int_eq(hostpci_bind_holder(hp, "vfio-pci", err, sizeof(err)), -ENODEV);
    ck_assert_str_eq(err, "0000:01:00.0: vfio-pci did not take it (is the module available? "
                     "`modprobe vfio-pci` failed: modprobe: FATAL: Module vfio-pci not found in "
                     "directory /lib/modules/fake)");
    ck_assert_int_eq(hostpci_bind_holder(hp, "pciback", err, sizeof(err)), -ENODEV);
    ck_assert_msg(strstr(err, "pciback did not take it (is the module available? `modprobe "
                         "xen-pciback` failed: "), "%s", err);
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "\n");
    /* the module loads and its driver takes the function: override + probe,
     * modprobe, probe again */
    ck_assert_int_eq(setenv("FAKE_MODPROBE", "load", 1), 0);
    ck_assert_int_eq(setenv("PCIPT_DRIVER_CORE", dir, 1), 0);
    ck_assert_msg(hostpci_bind_holder(hp, "vfio-pci", err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(hostpci_info(hp)->driver, "vfio-pci");
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "vfio-pci");
    read_file(dir, "driver-core.log", buf, sizeof(buf));
    ck_assert_str_eq(buf, "modprobe - vfio-pci 0\n");     /* the double's log (from now on) */
    unsetenv("FAKE_MODPROBE");
    unsetenv("PCIPT_DRIVER_CORE");
    hostpci_close(hp);
    sysfs_tree_remove(dir);
}
END_TEST

static void put(const char *dir, const char *rel, const char *text)
{
    char path[300];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The record of a hand-over and the writes of a give-back, on a tree with
 * no kernel behind it (tests/unit/assign/test_attach_bind.c plays one): what is written
 * where, and a driver link that did not follow is noticed. */
START_TEST(hand_over_record_and_give_back_writes)
{
    struct tree_opts o = { .driver = "igb", .reset_method = "flr" };
    struct sbdf s = { 0, 1, 0, 0 };
    struct hostpci_handover ho;
    struct hostpci *hp;
    char dir[64], err[512], buf[128], why[400], want[400];

    testdata_tree("cap-pcie-2", &o, dir, sizeof(dir));
    put(dir, "devices/0000:01:00.0/driver_override", "vfio-pci\n");   /* a stale one */
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    /* no kernel: igb keeps it, so the hand-over is refused and undone at
     * once, the stale override put back; the record says what it had */
    ck_assert_int_eq(hostpci_hand_to_holder(hp, "uio_pci_generic", &ho, err, sizeof(err)),
                     -EBUSY);
    ck_assert(!ho.changed && sbdf_equal(&ho.addr, &s));
    ck_assert_str_eq(ho.holder, "uio_pci_generic");
    ck_assert_str_eq(ho.driver, "igb");
    ck_assert_str_eq(ho.override, "vfio-pci");
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "vfio-pci");
    hostpci_close(hp);
    ho.changed = true;              /* as a hand-over that worked leaves it */

    /* the kernel would have moved the link to the holder: do it by hand */
    put(dir, "drivers/igb/unbind", "");
    put(dir, "drivers_probe", "");
    ck_assert_int_eq(unlink(strcat(strcpy(buf, dir), "/devices/0000:01:00.0/driver")), 0);
    ck_assert_int_eq(mkdir(strcat(strcpy(buf, dir), "/drivers/uio_pci_generic"), 0755), 0);
    ck_assert_int_eq(symlink("../../drivers/uio_pci_generic",
                             strcat(strcpy(buf, dir), "/devices/0000:01:00.0/driver")), 0);
    ck_assert_int_eq(hostpci_give_back(dir, &ho, why, sizeof(why)), -EIO);
    read_file(dir, "drivers/uio_pci_generic/unbind", buf, sizeof(buf));
    ck_assert_str_eq(buf, "0000:01:00.0");
    read_file(dir, "devices/0000:01:00.0/driver_override", buf, sizeof(buf));
    ck_assert_str_eq(buf, "vfio-pci");                      /* put back as it was */
    /* no kernel: the link still names the holder, so igb is not asked */
    read_file(dir, "drivers/igb/bind", buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    ck_assert_str_eq(why, "it is bound to 'uio_pci_generic' instead");
    /* once the holder has let go, igb is asked to bind */
    ck_assert_int_eq(unlink(strcat(strcpy(buf, dir), "/devices/0000:01:00.0/driver")), 0);
    ck_assert_int_eq(hostpci_give_back(dir, &ho, why, sizeof(why)), -EIO);
    read_file(dir, "drivers/igb/bind", buf, sizeof(buf));
    ck_assert_str_eq(buf, "0000:01:00.0");
    snprintf(want, sizeof(want), "it has no driver after the write to %s/drivers/igb/bind", dir);
    ck_assert_str_eq(why, want);
    /* nothing changed: nothing to give back, nothing written */
    ho.changed = false;
    put(dir, "drivers/igb/bind", "");
    ck_assert_int_eq(hostpci_give_back(dir, &ho, why, sizeof(why)), 0);
    read_file(dir, "drivers/igb/bind", buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    sysfs_tree_remove(dir);
}
END_TEST

/* Broken sysfs content: a defined error naming the device, never a crash or exit. */
START_TEST(broken_sysfs_files)
{
    struct sbdf s = { 0, 1, 0, 0 };
    struct hostpci *hp;
    char dir[64], err[512], path[300];

    testdata_tree("cap-pcie-2", &plain, dir, sizeof(dir));
    put(dir, "devices/0000:01:00.0/resource", "garbage\n");
    ck_assert_int_lt(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    ck_assert_ptr_null(hp);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0: cannot read it under"));
    sysfs_tree_remove(dir);

    testdata_tree("cap-pcie-2", &plain, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/vendor", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_lt(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0"));
    sysfs_tree_remove(dir);

    /* config file cut short: reads beyond it fail, the rest works */
    testdata_tree("cap-pcie-2", &plain, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/config", dir);
    ck_assert_int_eq(truncate(path, 64), 0);
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), 0);
    {
        uint32_t v;
        ck_assert_int_eq(host_cfg_read(hostpci_host_dev(hp), 0, 4, &v), 0);
        ck_assert_uint_eq(v, 0x10c98086);
        ck_assert_int_eq(host_cfg_read(hostpci_host_dev(hp), 0x80, 4, &v), -EIO);
    }
    hostpci_close(hp);
    sysfs_tree_remove(dir);
}
END_TEST

static Suite *hostpci_suite(void)
{
    Suite *s = suite_create("hostpci");
    TCase *tc = tcase_create("trees");
    unsigned n = 0;

    while (dump_files[n])
        n++;
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_function_of_every_dump, 0, (int)n);
    tcase_add_test(tc, config_write_reaches_the_file);
    tcase_add_test(tc, bar_access_through_resource_files);
    tcase_add_test(tc, foreach_and_errors);
    tcase_add_test(tc, ownership);
    tcase_add_test(tc, bind_holder_on_tree);
    tcase_add_test(tc, hand_over_record_and_give_back_writes);
    tcase_add_test(tc, broken_sysfs_files);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hostpci_suite)
