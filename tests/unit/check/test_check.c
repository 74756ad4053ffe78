/* pcipt check: every OK / WARN / MISSING line, on the sim backend (its
 * build configuration is $PCIPT_SIM_DIR/buildinfo-config), a sysfs tree
 * from real dumps (tests/data/dumps/cap-vendor-virtio), host device trees
 * compiled by the real dtc, the real xenstored, and the modprobe double. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/support/fake_dt.h"
#include "tests/support/json_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/sysfs_tree.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define CFG_READY "CONFIG_EXPERT=y\nCONFIG_IOREQ_SERVER=y\nCONFIG_ARM_SMMU_V3=y\n" \
                  "CONFIG_HAS_PCI=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\nCONFIG_HAS_ITS=y\n"

/* QEMU virt as Xen gives it to dom0 with iommu=smmuv3: the SMMU, an ITS,
 * one host bridge with iommu-map and msi-map. */
static const char dts_ready[] =
    "/dts-v1/;\n/ {\n #address-cells = <2>; #size-cells = <2>;\n"
    " gic: interrupt-controller@8000000 { compatible = \"arm,gic-v3\"; #address-cells = <2>;\n"
    "  #size-cells = <2>; ranges; interrupt-controller; #interrupt-cells = <3>;\n"
    "  reg = <0 0x8000000 0 0x10000>, <0 0x80a0000 0 0xf60000>;\n"
    "  its: msi-controller@8080000 { compatible = \"arm,gic-v3-its\"; msi-controller;\n"
    "   #msi-cells = <1>; reg = <0 0x8080000 0 0x20000>; };\n };\n"
    " smmu: iommu@9050000 { compatible = \"arm,smmu-v3\"; reg = <0 0x9050000 0 0x20000>;\n"
    "  #iommu-cells = <1>; };\n"
    " pcie@10000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
    "  reg = <0x40 0x10000000 0 0x10000000>; linux,pci-domain = <0>;\n"
    "  #address-cells = <3>; #size-cells = <2>;\n"
    "  iommu-map = <0 &smmu 0 0x10000>; msi-map = <0 &its 0 0x10000>; };\n};\n";

static char tmp[] = "/tmp/pcipt-check-XXXXXX";
static char sysfs[600], dtb_ready[600], dtb_noits[600];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void dtc(const char *dts, const char *dtb)
{
    char cmd[1600], *err = NULL;
    snprintf(cmd, sizeof(cmd), "dtc -I dts -O dtb -o %s %s", dtb, dts);
    ck_assert_int_eq(run_sh(NULL, NULL, &err, "%s", cmd), 0);
    free(err);
}

static void sim_config(const char *text)
{
    char path[200];
    snprintf(path, sizeof(path), "%s/buildinfo-config", simfx_dir);
    if (text)
        write_file(path, text);
    else
        remove(path);
}

/* One function's `resource` line i rewritten to [start, start + size). */
static void set_resource(const char *fn, unsigned i, unsigned long long start,
                         unsigned long long size)
{
    char path[700], lines[16][80], buf[2048] = "";
    unsigned n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/devices/%s/resource", sysfs, fn);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (n < 16 && fgets(lines[n], sizeof(lines[n]), f))
        n++;
    fclose(f);
    ck_assert_uint_gt(n, i);
    unsigned long long s, e, flags;
    ck_assert_int_eq(sscanf(lines[i], "%llx %llx %llx", &s, &e, &flags), 3);
    snprintf(lines[i], sizeof(lines[i]), "0x%016llx 0x%016llx 0x%016llx\n", start,
             start + size - 1, flags);
    for (unsigned k = 0; k < n; k++)
        strcat(buf, lines[k]);
    write_file(path, buf);
}

static void setup(void)
{
    char src[512], err[256], dts[700], cmd[1400];
    struct tree_opts o = { .reset_method = "flr" };

    simfx_setup();
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(sysfs, sizeof(sysfs), "%s/pci", tmp);
    ck_assert_msg(sysfs_tree_from_dump(sysfs, test_src_path("tests/data/dumps/cap-vendor-virtio",
                                                            src, sizeof(src)), &o, err,
                                       sizeof(err)) == 0, "%s", err);
    snprintf(dts, sizeof(dts), "%s/ready.dts", tmp);
    write_file(dts, dts_ready);
    snprintf(dtb_ready, sizeof(dtb_ready), "%s/ready.dtb", tmp);
    dtc(dts, dtb_ready);
    snprintf(dtb_noits, sizeof(dtb_noits), "%s/noits.dtb", tmp);
    dtc(test_src_path("tests/data/host-dt/virt-gicv3-noits.dts", src, sizeof(src)), dtb_noits);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/drivers/uio_pci_generic", sysfs);
    ck_assert_int_eq(system(cmd), 0);
    sim_config(CFG_READY);
}

static void teardown(void)
{
    fakedt_remove(tmp);
    strcpy(tmp, "/tmp/pcipt-check-XXXXXX");
    simfx_teardown();
}

struct res { int status; char *out, *err; };

static void run(const char *env, const char *args, struct res *r)
{
    char words[1200], src[512];
    snprintf(words, sizeof(words), "PCIPT_SIM_DIR=%s PCIPT_MODPROBE=%s %s", simfx_dir,
             test_src_path("tests/support/fakebin/modprobe", src, sizeof(src)), env ? env : "");
    r->out = r->err = NULL;
    r->status = run_pcipt(RUN_ENV(words), &r->out, &r->err, "--sysfs %s %s", sysfs, args);
}

static void has(const struct res *r, const char *line)
{
    ck_assert_msg(r->out && strstr(r->out, line), "no '%s' in:\n%s\nstderr: %s", line,
                  r->out ? r->out : "", r->err ? r->err : "");
}

static void hasnt(const struct res *r, const char *text)
{
    ck_assert_msg(!r->out || !strstr(r->out, text), "'%s' in:\n%s", text, r->out);
}

static void done(struct res *r)
{
    free(r->out);
    free(r->err);
}

static void check_ready(const char *extra, struct res *r)
{
    char args[900];
    snprintf(args, sizeof(args), "--hv sim --host-dt %s check %s", dtb_ready, extra);
    run(NULL, args, r);
}

START_TEST(ready_host_all_ok)
{
    struct res r;

    check_ready("0000:00:04.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s%s", r.status, r.out, r.err);
    has(&r, "OK       dom0                      the simulated hypervisor (--hv sim)\n");
    has(&r, "OK       xen-version               Xen 4.");
    has(&r, "OK       ioreq                     Xen has IOREQ servers (CONFIG_IOREQ_SERVER)\n");
    has(&r, "OK       smmu                      an SMMU driver and PCI assignment through pcipt's "
            "patch series (CONFIG_ARM_PCI_PASSTHROUGH_PCIPT)");
    has(&r, "OK       iommu-map                 every PCI host bridge (1) maps its functions to "
            "the SMMU (iommu-map)\n");
    has(&r, "OK       its                       a GICv3 ITS, and msi-map on every PCI host bridge "
            "(1)\n");
    has(&r, "OK       holder                    uio_pci_generic is loaded");
    has(&r, "OK       xenstored                 xenstored answers");
    has(&r, "OK       0000:00:04.0              ready for passthrough (reset: flr)\n");
    hasnt(&r, "0000:00:09.0");                 /* only the function asked for */
    has(&r, "OK       vits                      Xen's domU vITS at 0x4020000 and a host ITS: "
            "domains created with passthrough get MSI and MSI-X through it\n");
    has(&r, "pcipt check: 10 OK, 0 WARN, 0 MISSING\n");
    done(&r);
}
END_TEST

START_TEST(xen_build_config_lines)
{
    struct res r;

    sim_config("CONFIG_ARM_SMMU_V3=y\nCONFIG_IOREQ_SERVER=n\n");
    check_ready("", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  ioreq                     Xen was built without CONFIG_IOREQ_SERVER");
    has(&r, "-> rebuild Xen with CONFIG_EXPERT=y CONFIG_IOREQ_SERVER=y");
    has(&r, "MISSING  smmu                      Xen has an SMMU driver but cannot assign PCI "
            "functions to it: passed-through devices get DMA off\n");
    has(&r, "-> apply pcipt's Xen patch series (toolstack-hooks/xen-patches/");
    done(&r);

    sim_config("CONFIG_IOREQ_SERVER=y\n# CONFIG_ARM_SMMU_V3 is not set\n");
    check_ready("", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "OK       ioreq ");
    has(&r, "MISSING  smmu                      Xen has no SMMU driver (CONFIG_ARM_SMMU_V3)");
    done(&r);

    sim_config("CONFIG_IOREQ_SERVER=y\nCONFIG_ARM_SMMU_V3=y\nCONFIG_PCI_PASSTHROUGH=y\n");
    check_ready("", &r);
    has(&r, "OK       smmu                      an SMMU driver and PCI assignment through Xen's "
            "own PCI passthrough (CONFIG_PCI_PASSTHROUGH)");
    done(&r);

    sim_config(NULL);                           /* no hypfs /buildinfo/config */
    check_ready("", &r);
    has(&r, "WARN     ioreq                     cannot tell whether Xen has IOREQ servers "
            "(hypfs /buildinfo/config: the hypervisor publishes no build configuration)\n");
    has(&r, "WARN     smmu                      cannot tell whether Xen assigns PCI functions");
    done(&r);

    run("PCIPT_SIM_XEN_VERSION=4.16", "--hv sim check", &r);
    has(&r, "WARN     xen-version               Xen 4.16 is older than 4.17");
    done(&r);
}
END_TEST

START_TEST(host_dt_lines)
{
    struct res r;
    char args[900];

    snprintf(args, sizeof(args), "--hv sim --host-dt %s check", dtb_noits);
    run(NULL, args, &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  iommu-map                 host bridge /pcie@");
    has(&r, " has no iommu-map: Xen cannot isolate its functions' DMA\n");
    has(&r, "WARN     its                       no GICv3 ITS in the host device tree: MSIs cannot "
            "reach guests\n");
    done(&r);

    snprintf(args, sizeof(args), "--hv sim --host-dt %s/nope.dtb check", tmp);
    run(NULL, args, &r);
    has(&r, "WARN     iommu-map                 cannot tell: ");
    has(&r, "nope.dtb");
    has(&r, "-> give the host's DTB with --host-dt FILE");
    done(&r);
}
END_TEST

/* The domU vITS line: each missing fact is a WARN naming it (guests keep
 * INTx), with what to do. */
START_TEST(vits_lines)
{
    struct res r;
    char args[900];

    sim_config("CONFIG_IOREQ_SERVER=y\nCONFIG_ARM_SMMU_V3=y\nCONFIG_HAS_ITS=y\n");
    check_ready("", &r);
    has(&r, "WARN     vits                      no domU vITS: Xen lacks pcipt's patch series "
            "(no CONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y), which adds the domU vITS\n");
    has(&r, "-> apply pcipt's Xen patch series (toolstack-hooks/xen-patches/4.17/");
    done(&r);

    sim_config("CONFIG_IOREQ_SERVER=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\n");
    check_ready("", &r);
    has(&r, "WARN     vits                      no domU vITS: Xen was built without an ITS "
            "driver (no CONFIG_HAS_ITS=y)\n");
    has(&r, "-> rebuild Xen with CONFIG_UNSUPPORTED=y CONFIG_HAS_ITS=y");
    done(&r);

    sim_config(NULL);
    check_ready("", &r);
    has(&r, "WARN     vits                      no domU vITS: cannot tell whether Xen has the "
            "domU vITS (its build configuration: hypfs /buildinfo/config: the hypervisor "
            "publishes no build configuration)\n");
    done(&r);

    sim_config(CFG_READY);
    snprintf(args, sizeof(args), "--hv sim --host-dt %s check", dtb_noits);
    run(NULL, args, &r);
    has(&r, "WARN     vits                      no domU vITS: the host has no GICv3 ITS (no "
            "\"arm,gic-v3-its\" node in its device tree)\n");
    has(&r, "-> MSI in domUs needs a GICv3 ITS on the host; guests use INTx\n");
    done(&r);

    snprintf(args, sizeof(args), "--hv sim --host-dt %s/nope.dtb check", tmp);
    run(NULL, args, &r);
    has(&r, "WARN     vits                      no domU vITS: the host has no GICv3 ITS (cannot "
            "read the host device tree: ");
    done(&r);
}
END_TEST

START_TEST(holder_and_xenstored_lines)
{
    struct res r;
    char cmd[700];

    snprintf(cmd, sizeof(cmd), "rmdir %s/drivers/uio_pci_generic", sysfs);
    ck_assert_int_eq(system(cmd), 0);
    run("FAKE_MODPROBE=noop", "--hv sim check", &r);
    has(&r, "OK       holder                    uio_pci_generic is not loaded but available "
            "(attach --bind loads it)\n");
    done(&r);
    run("FAKE_MODPROBE=missing", "--hv sim check", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  holder                    dom0 has no uio_pci_generic module");
    done(&r);

    run("XENSTORED_PATH=/nonexistent/socket", "--hv sim check", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  xenstored                 xenstored does not answer (/nonexistent/socket: ");
    has(&r, "-> start it: systemctl start xenstored\n");
    done(&r);
}
END_TEST

START_TEST(device_lines)
{
    struct res r;
    char path[1400];

    /* 00:09.0 has an I/O BAR; a second function in slot 4 whose BAR 0
     * shares a host page with 00:04.0's; 00:04.0 without reset method */
    snprintf(path, sizeof(path), "%s/devices/0000:00:04.0/reset_method", sysfs);
    write_file(path, "");
    snprintf(path, sizeof(path), "cp -r %s/devices/0000:00:04.0 %s/devices/0000:00:04.1", sysfs,
             sysfs);
    ck_assert_int_eq(system(path), 0);
    set_resource("0000:00:04.0", 0, 0xa0008000ull, 0x100);
    set_resource("0000:00:04.1", 0, 0xa0008100ull, 0x100);
    set_resource("0000:00:04.1", 2, 0x300000000ull, 0x40000000ull);
    check_ready("", &r);
    ck_assert_int_eq(r.status, 0);             /* warnings only */
    has(&r, "WARN     0000:00:04.0 reset        no reset method (sysfs reset_method is empty)");
    has(&r, "-> attach needs --force; prefer a device with FLR\n");
    has(&r, "WARN     0000:00:04.0 page         0000:00:04.0 BAR 0 (256 bytes) shares host page "
            "0xa0008000 with 0000:00:04.1 BAR 0: a guest given one reaches the other\n");
    has(&r, "-> give both to the same guest (attach refuses otherwise), or align them: "
            "pci=resource_alignment=4096");
    has(&r, "WARN     0000:00:04.1 page         0000:00:04.1 BAR 0 (256 bytes) shares host page "
            "0xa0008000 with 0000:00:04.0 BAR 0");
    has(&r, "WARN     0000:00:04.0 slot         shares its slot with 0000:00:04.1: without ACS "
            "the functions can reach each other\n");
    has(&r, "WARN     0000:00:09.0 io           BAR 0 is an I/O BAR: Arm guests have no I/O "
            "space, the guest sees it unassigned\n");
    hasnt(&r, "OK       0000:00:04.0");
    done(&r);

    check_ready("0000:00:1f.0", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  0000:00:1f.0              no such PCI function\n");
    done(&r);
}
END_TEST

START_TEST(not_dom0)
{
    struct res r;
    char caps[700], env[800];

    run("PCIPT_XEN_CAPS=/nonexistent/capabilities", "--hv xen check", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "MISSING  dom0                      not running on Xen: /nonexistent/capabilities: "
            "No such file or directory\n");
    has(&r, "(this machine is not a Xen dom0)\n");
    hasnt(&r, "xen-version");
    done(&r);

    snprintf(caps, sizeof(caps), "%s/caps", tmp);
    write_file(caps, "\n");
    snprintf(env, sizeof(env), "PCIPT_XEN_CAPS=%s", caps);
    run(env, "--hv xen check", &r);
    ck_assert_int_eq(r.status, 1);
    has(&r, "a Xen guest, not dom0");
    done(&r);
}
END_TEST

START_TEST(json_and_usage)
{
    struct res r;
    struct jv *v;

    sim_config("CONFIG_IOREQ_SERVER=y\n");
    check_ready("--json 0000:00:04.0", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(v = jv_parse(r.out));
    ck_assert_ptr_nonnull(jv_get(v, "missing"));
    ck_assert(jv_get(v, "missing")->type == JV_NUM && jv_get(v, "missing")->num == 1);
    ck_assert(jv_get(v, "ok")->type == JV_NUM && jv_get(v, "ok")->num == 8);
    ck_assert(jv_get(v, "checks")->type == JV_ARR && jv_get(v, "checks")->n == 10);
    ck_assert_ptr_nonnull(strstr(r.out, "{\"name\":\"vits\",\"status\":\"WARN\""));
    ck_assert_ptr_nonnull(strstr(r.out, "{\"name\":\"smmu\",\"status\":\"MISSING\",\"found\":"
                                        "\"Xen has no SMMU driver"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"dom0\":true"));
    ck_assert_ptr_nonnull(strstr(r.out, "{\"name\":\"dom0\",\"status\":\"OK\",\"found\":\"the "
                                        "simulated hypervisor (--hv sim)\",\"todo\":null}"));
    jv_free(v);
    done(&r);

    run(NULL, "--hv sim check --bogus", &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "'--bogus' is neither --json nor a PCI address"));
    done(&r);
    run(NULL, "check --help", &r);
    ck_assert_int_eq(r.status, 0);
    has(&r, "usage: pcipt check [--json] [SBDF...]");
    has(&r, "Exit status: 0 when nothing is MISSING");
    done(&r);
}
END_TEST

static Suite *check_suite(void)
{
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("check");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ready_host_all_ok);
    tcase_add_test(tc, xen_build_config_lines);
    tcase_add_test(tc, host_dt_lines);
    tcase_add_test(tc, vits_lines);
    tcase_add_test(tc, holder_and_xenstored_lines);
    tcase_add_test(tc, device_lines);
    tcase_add_test(tc, not_dom0);
    tcase_add_test(tc, json_and_usage);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(check_suite)
