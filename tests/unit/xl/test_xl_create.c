/* `pcipt create` with a fake xl first on PATH (tests/support/fakebin/xl)
 * that creates/destroys domain 7 in the simulator and names it in the real
 * xenstored, and the daemon test double (the real `pcipt serve` is not in
 * this branch).  Checked: the xl command line and the DTB (dry run, one and
 * two devices, decompiled by dtc and identical to `pcipt dtb`'s); the whole
 * flow (domain, devices, daemon, unpause); a failure at each step leaves no
 * domain, mapping, permission, xenstore node, daemon or DTB behind. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

#define CFG_ONE \
    "# a guest with one device\n" \
    "name = \"guest1\"\n" \
    "type = \"pvh\"\n" \
    "kernel = \"/boot/vmlinuz\"\n" \
    "memory = 512; vcpus = 2\n" \
    "pcipt = [ \"0000:01:00.0@2\" ]\n"

#define CFG_TWO \
    "name = 'guest1'\n" \
    "kernel = \"/boot/vmlinuz\"\n" \
    "pcipt = [ \"0000:01:00.0@2\",\n" \
    "          \"0000:09:00.0\",   # the GPU\n" \
    "        ]\n"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

/* Both blobs decompile without a word on stderr and are byte-identical. */
static char *dts_of(const char *blob)
{
    char cmd[512], *out = NULL, *err = NULL;

    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s", blob);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 0);
    ck_assert_msg(err && !err[0], "dtc: %s", err);
    free(err);
    return out;
}

static void same_file(const char *a, const char *b)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
    ck_assert_msg(run_sh(NULL, NULL, NULL, "%s", cmd) == 0, "%s and %s differ", a, b);
}

START_TEST(dry_run_one_device)
{
    char args[512], want[1024], *out, *err, *dts, *log;

    xlfx_write("g.cfg", CFG_ONE);
    snprintf(args, sizeof(args), "create --dry-run --xen-version 4.17 --dtb %s %s memory=1024",
             path("g.dtb"), path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args), 0);
    snprintf(want, sizeof(want), "xl create -p %s 'device_tree=\"%s\"' 'vuart=\"sbsa_uart\"' "
             "'passthrough=\"enabled\"' memory=1024\n", path("g.cfg"), path("g.dtb"));
    ck_assert_str_eq(out, want);
    /* the sim publishes no build configuration: no vITS, said once */
    ck_assert_str_eq(err, "pcipt: warning: domain guest1: MSI off, its devices use INTx: cannot "
                          "tell whether Xen has the domU vITS (its build configuration: the "
                          "hypervisor publishes none)\n");
    /* The same tree `pcipt dtb` plans for the same devices. */
    snprintf(args, sizeof(args), "dtb -o %s 0000:01:00.0@2", path("ref.dtb"));
    ck_assert_int_eq(run_pcipt(NULL, NULL, NULL, "%s %s", afx_args(), args), 0);
    same_file(path("g.dtb"), path("ref.dtb"));
    dts = dts_of(path("g.dtb"));
    ck_assert_ptr_nonnull(strstr(dts, "pci-host-ecam-generic"));
    ck_assert_ptr_nonnull(strstr(dts, "0x42000000"));      /* 4.17's prefetch phys.hi */
    /* slot 2 INTA's fixed route: SPI 49 = GIC SPI 0x11 (pcipt/assign/intx_route.h) */
    ck_assert_ptr_nonnull(strstr(dts, " 0x1000 0x00 0x00 0x01 0xfde8 0x00 0x11 0x04 "));
    /* A dry run asks xl nothing (version given) and creates nothing. */
    log = xlfx_slurp(path("xl.log"));
    ck_assert_str_eq(log, "");
    ck_assert(!xlfx_domain_exists(7));
    free(log); free(dts); free(out); free(err);
}
END_TEST

START_TEST(dry_run_two_devices_asks_the_hypervisor)
{
    char args[512], want[1024], *out, *err, *dts, *log;

    xlfx_write("g.cfg", CFG_TWO);
    snprintf(args, sizeof(args), "create -n --dtb %s %s", path("g.dtb"), path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts("PCIPT_SIM_XEN_VERSION=4.19"), &out, &err, "%s %s",
                               afx_args(), args), 0);
    snprintf(want, sizeof(want), "xl create -p %s 'device_tree=\"%s\"' 'vuart=\"sbsa_uart\"' "
             "'passthrough=\"enabled\"'\n",
             path("g.cfg"), path("g.dtb"));
    ck_assert_str_eq(out, want);
    snprintf(args, sizeof(args), "dtb --xen-version 4.19 -o %s 0000:01:00.0@2 0000:09:00.0",
             path("ref.dtb"));
    ck_assert_int_eq(run_pcipt(NULL, NULL, NULL, "%s %s", afx_args(), args), 0);
    same_file(path("g.dtb"), path("ref.dtb"));
    dts = dts_of(path("g.dtb"));
    ck_assert_ptr_nonnull(strstr(dts, "0x43000000"));      /* 4.19+: 64-bit prefetch */
    /* the version came from the (simulated) hypervisor, not from xl */
    log = xlfx_slurp(path("xl.log"));
    ck_assert_str_eq(log, "");
    free(log); free(dts); free(out); free(err);
}
END_TEST

/* The SPI argument follows the config and pcipt.conf. */
START_TEST(dry_run_spi_argument)
{
    static const struct { const char *extra, *conf, *xen; const char *want; } c[] = {
        { "vuart = \"sbsa_uart\"\n", NULL, "4.17", "" },
        { "nr_spis = 64\n", NULL, "4.19", "" },
        { NULL, "intx_spi_base = 80\nintx_spi_count = 16\n", "4.19", " nr_spis=64" },
        { NULL, "intx_spi_base = 40\nintx_spi_count = 8\n", "4.17", " 'vuart=\"sbsa_uart\"'" },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char body[512], args[768], want[1024], env[64], *out, *err;
        snprintf(body, sizeof(body), "%s%s", CFG_ONE, c[i].extra ? c[i].extra : "");
        xlfx_write("g.cfg", body);
        xlfx_write("pcipt.conf", c[i].conf ? c[i].conf : "");
        snprintf(env, sizeof(env), "PCIPT_SIM_XEN_VERSION=%s", c[i].xen);
        snprintf(args, sizeof(args), "--config %s create -n --dtb %s %s", path("pcipt.conf"),
                 path("g.dtb"), path("g.cfg"));
        ck_assert_msg(run_pcipt(xlfx_opts(env), &out, &err, "%s %s", afx_args(), args) == 0,
                      "case %u: %s", i, err);
        snprintf(want, sizeof(want), "xl create -p %s 'device_tree=\"%s\"'%s "
                 "'passthrough=\"enabled\"'\n", path("g.cfg"),
                 path("g.dtb"), c[i].want);
        ck_assert_str_eq(out, want);
        free(out); free(err);
    }
}
END_TEST

START_TEST(create_runs_the_whole_flow)
{
    char args[512], *out, *err, *log, *st, e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    struct sim_mapping m[64];
    int pids[4];

    xlfx_write("g.cfg", CFG_TWO);
    snprintf(args, sizeof(args), "create %s vcpus=2", path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "attached 0000:01:00.0 as 0000:00:02.0"));
    ck_assert_ptr_nonnull(strstr(out, "domain guest1 (7) is running with 2 pcipt devices"));
    /* The domain exists, was unpaused, and has its devices mapped. */
    ck_assert(xlfx_domain_exists(7));
    st = xlfx_slurp(path("fake-xl/dom-7"));
    ck_assert_str_eq(st, "running\n");
    ck_assert_int_gt(sim_list_mappings(simfx_hv, 7, m, 64), 0);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 7, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    ck_assert_uint_eq(da->devs[0].guest.dev, 2);
    /* xl was called in order: create -p with the DT, domid, unpause. */
    log = xlfx_slurp(path("xl.log"));
    char want[1024];
    snprintf(want, sizeof(want), "create\t-p\t%s\tdevice_tree=\"%s/guest1.dtb\"\t"
             "vuart=\"sbsa_uart\"\tpassthrough=\"enabled\"\tvcpus=2\ndomid\tguest1\nunpause\t7\n",
             path("g.cfg"),
             simfx_dir);
    ck_assert_str_eq(log, want);
    ck_assert_int_eq(access(path("guest1.dtb"), R_OK), 0);
    /* The real daemon serves the domain: its IOREQ server exists, it said
     * ready, and it logs where create said. */
    struct sim_server_info srv[4];
    int dpid = xlfx_daemon_pid(7);
    ck_assert(xlfx_alive(dpid));
    ck_assert_int_eq(sim_list_servers(simfx_hv, 7, srv, 4), 1);
    ck_assert_int_eq(xlfx_serve_pids(pids, 4), 0);              /* not the double */
    char *slog = xlfx_slurp(path("pcipt-serve-7.log"));
    ck_assert_int_eq(access(path("pcipt-serve-7.log"), R_OK), 0);
    /* create said the daemon's pid, then where it logs */
    snprintf(want, sizeof(want), "is running with 2 pcipt devices; daemon pid %d (log %s)\n",
             dpid, path("pcipt-serve-7.log"));
    ck_assert_msg(strstr(out, want), "'%s' not in: %s", want, out);
    /* The domain dies: the daemon cleans up and exits. */
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 7), 0);
    ck_assert(xlfx_wait_gone(dpid));
    free(slog); free(log); free(st); free(out); free(err); free(da);
}
END_TEST

struct fail_case {
    const char *env, *cfg;
    const char *opts;       /* before CFG; "CFG xl-options" puts them after it */
    const char *msg;
    bool destroyed;         /* xl destroy must have been called */
};

#define NIC_CFG "name = \"guest1\"\npcipt = [ \"0000:01:00.0\" ]\n"
static const struct fail_case fails[] = {
    { "PCIPT_SIM_FAIL=xen_version:1:5", NIC_CFG, "", "cannot tell the Xen version (the sim "
      "backend cannot tell: Input/output error); give the target Xen with --xen-version X.Y",
      false },
    { "FAKE_XL_FAIL=create", NIC_CFG, "", "`xl create -p", false },
    { "FAKE_XL_FAIL=create FAKE_XL_FAIL_LATE=1", NIC_CFG, "", "`xl create -p", true },
    { "FAKE_XL_FAIL=domid", NIC_CFG, "", "`xl domid guest1` failed", true },
    { "PCIPT_SIM_FAIL=memory_mapping:2:5", NIC_CFG, "", "attach: ", true },
    { "PCIPT_SIM_FAIL=iomem_permission:1:1", NIC_CFG, "", "attach: cannot give domain 7", true },
    { "PCIPT_XS_FAIL=3:5", NIC_CFG, "", "attach: ", true },
    { "FAKE_SERVE_MODE=exit", NIC_CFG, "", "domain 7's daemon exited with status 3", true },
    { "FAKE_SERVE_MODE=silent", NIC_CFG, "--timeout 1", "did not write", true },
    { "FAKE_XL_FAIL=unpause", NIC_CFG, "", "`xl unpause 7` failed", true },
    { "FAKE_XL_FAIL=unpause FAKE_SERVE_MODE=ready", NIC_CFG, "", "`xl unpause 7` failed", true },
    { "", "name = \"guest1\"\npcipt = [ \"0000:01:00.0@3\", \"0000:09:00.0@3\" ]\n", "",
      "virtual slot 3", false },
    { "", "name = \"guest1\"\ndevice_tree = \"/x.dtb\"\npcipt = [ \"0000:01:00.0\" ]\n", "",
      "already sets device_tree=", false },
    { "", "name = \"guest1\"\nnr_spis = 20\npcipt = [ \"0000:01:00.0\" ]\n",
      "--config spi80.conf", "nr_spis = 20 gives the guest SPIs 32..63, but pcipt's INTx SPIs "
      "reach 95: set nr_spis to at least 64", false },
    { "PCIPT_SIM_XEN_VERSION=4.18", NIC_CFG, "--config spi80.conf",
      "xl's nr_spis needs Xen 4.19 (this is 4.18)", false },
    { "", "name = \"guest1\"\nirqs = [ 50 ]\npcipt = [ \"0000:01:00.0\" ]\n", "",
      "irqs = [...] passes SPI 50 through", false },
    { "", NIC_CFG, "CFG -c", "xl option -c cannot be used", false },
    { "", "name = \"guest1\"\npcipt = \"0000:01:00.0\"\n", "", "g.cfg: pcipt must be a list of", false },
    { "", "pcipt = [ \"0000:01:00.0\" ]\n", "", "has no name = ", false },
    { "", "name = \"guest1\"\npcipt = [ \"0000:01:00.0\" \n", "", "g.cfg:2: config parsing error near", false },
    { "", "name = \"guest1\"\npcipt = [ \"0000:77:00.0\" ]\n", "", "0000:77:00.0: no such device", false },
};

START_TEST(create_failure_undoes_everything)
{
    const struct fail_case *c = &fails[_i];
    char args[512], *out, *err, *before, *after, *log;
    int pids[4], n;

    xlfx_write("g.cfg", c->cfg);
    xlfx_write("spi80.conf", "intx_spi_base = 80\n");
    before = afx_snapshot();
    if (!strncmp(c->opts, "CFG ", 4))       /* xl options after CFG */
        snprintf(args, sizeof(args), "create %s %s", path("g.cfg"), c->opts + 4);
    else
        snprintf(args, sizeof(args), "create %s %s", c->opts, path("g.cfg"));
    ck_assert_int_eq(run_pcipt(xlfx_opts(c->env), &out, &err, "%s %s", afx_args(), args), 1);
    ck_assert_msg(strstr(err, "pcipt: create: ") && strstr(err, c->msg),
                  "case %d: %s", _i, err);
    ck_assert(!xlfx_domain_exists(7));
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);      /* no xenstore node, no mapping elsewhere */
    ck_assert_int_ne(access(path("guest1.dtb"), F_OK), 0);
    n = xlfx_serve_pids(pids, 4);
    for (int i = 0; i < n; i++)
        ck_assert_msg(!xlfx_alive(pids[i]), "daemon %d still runs", pids[i]);
    char pg[256];
    snprintf(pg, sizeof(pg), "pgrep -f -- '--sysfs %s serve 7$' >/dev/null", afx_tree);
    ck_assert_msg(system(pg) == 256, "a daemon for domain 7 still runs");
    log = xlfx_slurp(path("xl.log"));
    ck_assert_msg((strstr(log, "destroy\t") != NULL) == c->destroyed, "case %d: %s", _i, log);
    if (c->destroyed)
        ck_assert_msg(strstr(err, "everything done so far was undone"), "%s", err);
    free(log); free(before); free(after); free(out); free(err);
}
END_TEST

static Suite *xl_create_suite(void)
{
    Suite *s = suite_create("xl_create");
    TCase *tc = tcase_create("create");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, dry_run_one_device);
    tcase_add_test(tc, dry_run_two_devices_asks_the_hypervisor);
    tcase_add_test(tc, dry_run_spi_argument);
    tcase_add_test(tc, create_runs_the_whole_flow);
    tcase_add_loop_test(tc, create_failure_undoes_everything, 0,
                        (int)(sizeof(fails) / sizeof(fails[0])));
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_create_suite)
