/* `pcipt create` speaks xl (issue 16 item 4), with the fake xl, the sim,
 * the real xenstored and the real daemon (tests/support/xl_fx.h):
 *   - xl's `pci = [ "BDF[@VSLOT],KEY=VALUE" ]` is pcipt's device list, VSLOT
 *     hex as xl reads it; `pci=[]` goes last on xl's command line, so xl
 *     (re-read here with xl's own parser, as xl would) sees no device and
 *     libxl adds no second `pcie@` node: the DTB has exactly one;
 *   - seize=1 / pci_seize=1 take the function from its dom0 driver;
 *   - the keys that do not apply, and one function in both lists, are
 *     refused before any domain exists, naming the entry and the key;
 *   - a guest with no device gets the host bridge with every slot routed,
 *     passthrough="enabled" and a ready daemon, and `pcipt pci-attach`
 *     into it shows the device to the guest at the planned slot with the
 *     SPI the create-time DT routes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/assign/plan.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xl/xlcfg.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_mapped.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

/* How many nodes named pcie@... the blob has (dtc, the real compiler). */
static int pcie_nodes(const char *blob)
{
    char *out = NULL, *err = NULL;
    int n = 0;

    ck_assert_int_eq(run_sh(NULL, &out, &err, "dtc -I dtb -O dts %s", blob), 0);
    ck_assert_msg(err && !err[0], "dtc: %s", err);
    for (const char *p = out; (p = strstr(p, "pcie@")); p++)
        n++;
    free(out);
    free(err);
    return n;
}

static void same_file(const char *a, const char *b)
{
    ck_assert_msg(run_sh(NULL, NULL, NULL, "cmp -s %s %s", a, b) == 0, "%s and %s differ", a, b);
}

START_TEST(pci_list_is_the_device_list_and_xl_sees_none)
{
    char args[512], want[1024], dt[300], *out, *err;
    char *extra[] = { dt, "vuart=\"sbsa_uart\"", "passthrough=\"enabled\"", "pci=[]" };
    struct xlcfg c;

    xlfx_write("g.cfg", "name = \"guest1\"\n"
                        "pci = [ \"01:00.0@10\", \"bdf=0000:09:00.0,vslot=3\" ]\n");
    snprintf(args, sizeof(args), "create -n --xen-version 4.17 --dtb %s %s", path("g.dtb"),
             path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s",
                  err);
    snprintf(want, sizeof(want), "xl create -p %s 'device_tree=\"%s\"' 'vuart=\"sbsa_uart\"' "
             "'passthrough=\"enabled\"' 'pci=[]'\n", path("g.cfg"), path("g.dtb"));
    ck_assert_str_eq(out, want);
    free(out); free(err);
    /* @10 is slot 16 and vslot=3 slot 3, as xl reads them: the tree pcipt
     * dtb plans for those slots, with one pcie@ node */
    snprintf(args, sizeof(args), "dtb --xen-version 4.17 -o %s 0000:01:00.0@16 0000:09:00.0@3",
             path("ref.dtb"));
    ck_assert_int_eq(run_pcipt(NULL, NULL, NULL, "%s %s", afx_args(), args), 0);
    same_file(path("g.dtb"), path("ref.dtb"));
    ck_assert_int_eq(pcie_nodes(path("g.dtb")), 1);
    /* what xl itself reads from that command line: no pci device for libxl
     * (no assignment, no make_vpci_node) */
    snprintf(dt, sizeof(dt), "device_tree=\"%s\"", path("g.dtb"));
    ck_assert_int_eq(xlcfg_read_file(&c, path("g.cfg"), extra, 4, want, sizeof(want)), 0);
    ck_assert_int_eq(xlcfg_list_len(&c, "pci"), 0);
    xlcfg_free(&c);
}
END_TEST

/* The user's own pci=... after the file is read (it wins, as in xl), and
 * pci=[] still comes after it; both lists together. */
START_TEST(pci_on_the_command_line_and_both_lists)
{
    char args[512], want[1024], *out, *err;

    xlfx_write("g.cfg", "name = \"guest1\"\npcipt = [ \"0000:01:00.0@2\" ]\n"
                        "pci = [ \"01:00.0\" ]\n");
    snprintf(args, sizeof(args), "create -n --xen-version 4.17 --dtb %s %s "
             "'pci=[\"09:00.0@1f\"]'", path("g.dtb"), path("g.cfg"));
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s %s", afx_args(), args) == 0, "%s",
                  err);
    snprintf(want, sizeof(want), "xl create -p %s 'device_tree=\"%s\"' 'vuart=\"sbsa_uart\"' "
             "'passthrough=\"enabled\"' 'pci=[\"09:00.0@1f\"]' 'pci=[]'\n", path("g.cfg"),
             path("g.dtb"));
    ck_assert_str_eq(out, want);
    free(out); free(err);
    snprintf(args, sizeof(args), "dtb --xen-version 4.17 -o %s 0000:01:00.0@2 0000:09:00.0@31",
             path("ref.dtb"));
    ck_assert_int_eq(run_pcipt(NULL, NULL, NULL, "%s %s", afx_args(), args), 0);
    same_file(path("g.dtb"), path("ref.dtb"));
}
END_TEST

/* What the run prints, status 0; the NIC's driver afterwards. */
static void create_ok(const char *cfg, char *drv, size_t len)
{
    char env[1200], *out, *err;
    int dpid;

    xlfx_write("g.cfg", cfg);
    snprintf(env, sizeof(env), "%s", afx_driver_core_env());
    ck_assert_msg(run_pcipt(xlfx_opts(env), &out, &err, "%s create %s", afx_args(),
                            path("g.cfg")) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "attached 0000:01:00.0 as 0000:00:01.0"));
    afx_driver_state(AFX_NIC, drv, len);
    dpid = xlfx_daemon_pid(7);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 7), 0);
    (void)xlfx_wait_gone(dpid);
    free(out); free(err);
}

/* seize=1 (or pci_seize=1, and seize=1 over pci_seize=0) hands the function
 * from igb to the holder as attach --bind does; seize=0 over pci_seize=1
 * leaves it with igb, and attach refuses it. */
START_TEST(seize_takes_the_function_from_its_driver)
{
    static const char *const cfgs[] = {
        "name = \"guest1\"\npci = [ \"01:00.0,seize=1\" ]\n",
        "name = \"guest1\"\npci_seize = 1\npci = [ \"01:00.0\" ]\n",
        "name = \"guest1\"\npci_seize = 0\npci = [ \"01:00.0,seize=1\" ]\n",
    };
    char drv[256], env[1200], *out, *err;

    for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        afx_set_driver(AFX_NIC, "igb");
        create_ok(cfgs[i], drv, sizeof(drv));
        ck_assert_msg(strstr(drv, "driver uio_pci_generic "), "case %u: %s", i, drv);
    }
    afx_set_driver(AFX_NIC, "igb");
    xlfx_write("g.cfg", "name = \"guest1\"\npci_seize = 1\npci = [ \"01:00.0,seize=0\" ]\n");
    snprintf(env, sizeof(env), "%s", afx_driver_core_env());
    ck_assert_int_eq(run_pcipt(xlfx_opts(env), &out, &err, "%s create %s", afx_args(),
                               path("g.cfg")), 1);
    ck_assert_msg(strstr(err, "igb"), "%s", err);
    afx_driver_state(AFX_NIC, drv, sizeof(drv));
    ck_assert_msg(strstr(drv, "driver igb "), "%s", drv);
    ck_assert(!xlfx_domain_exists(7));
    free(out); free(err);
}
END_TEST

struct refusal {
    const char *cfg, *msg;
};

#define NAME "name = \"guest1\"\n"
static const struct refusal refusals[] = {
    { NAME "pci = [ \"01:00.0,permissive=1\" ]\n",
      "g.cfg: pci entry 1 '01:00.0,permissive=1': key 'permissive' does not apply to pcipt on "
      "Arm (it lets a guest write config registers pciback does not know" },
    { NAME "pci = [ \"09:00.0\", \"01:00.0,msitranslate=0\" ]\n",
      "pci entry 2 '01:00.0,msitranslate=0': key 'msitranslate' does not apply" },
    { NAME "pci = [ \"01:00.0,power_mgmt=1\" ]\n", "key 'power_mgmt' does not apply" },
    { NAME "pci = [ \"01:00.0,rdm_policy=strict\" ]\n", "key 'rdm_policy' does not apply" },
    { NAME "pci = [ \"name=nic0\" ]\n", "key 'name' does not apply" },
    { NAME "pci_permissive = 1\npci = [ \"01:00.0\" ]\n",
      "g.cfg: pci_permissive does not apply to pcipt on Arm (it lets a guest write" },
    { NAME "pci_msitranslate = 1\n", "pci_msitranslate does not apply" },
    { NAME "pci_power_mgmt = 0\npci = [ \"01:00.0\" ]\n", "pci_power_mgmt does not apply" },
    { NAME "pci_seize = \"yes\"\npci = [ \"01:00.0\" ]\n", "pci_seize must be a number" },
    { NAME "pci = [ \"01:00.*\" ]\n", "pcipt takes one function per entry, not '.*'" },
    { NAME "pci = [ \"01:00.0@20\" ]\n",
      "g.cfg: pci entry 1: '01:00.0@20' is not xl's PCI_SPEC_STRING" },
    { NAME "pci = [ \"01:00.0,bogus=1\" ]\n", "(Unknown PCI_SPEC_STRING option: bogus)" },
    { NAME "pci = \"01:00.0\"\n", "g.cfg: pci must be a list of" },
    { NAME "pci = [ \"01:00.0\" ]\npcipt = [ \"0000:01:00.0@3\" ]\n",
      "g.cfg: 0000:01:00.0 is in pcipt = [...] entry 1 and in pci = [...] entry 1: list it "
      "once" },
    { NAME "pci = [ \"09:00.0\", \"0000:09:00.0@4\" ]\n", "entry 1 and in pci = [...] entry 2" },
    { NAME "pci = [ \"77:00.0\" ]\n", "pci entry 1 '77:00.0': 0000:77:00.0: no such device" },
    { NAME "pci = [ \"01:00.0@2\", \"09:00.0@2\" ]\n", "virtual slot 2" },
};

/* Refused before any domain exists: xl is not called, nothing is left. */
START_TEST(keys_that_do_not_apply_are_refused)
{
    const struct refusal *c = &refusals[_i];
    char *out, *err, *before, *after, *log;

    xlfx_write("g.cfg", c->cfg);
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(xlfx_opts(""), &out, &err, "%s create %s", afx_args(),
                               path("g.cfg")), 1);
    ck_assert_msg(strstr(err, "pcipt: create: ") && strstr(err, c->msg), "case %d: %s", _i,
                  err);
    ck_assert_msg(!strchr(err, '\n') || strchr(err, '\n') == err + strlen(err) - 1,
                  "not one line: %s", err);
    log = xlfx_slurp(path("xl.log"));
    ck_assert_str_eq(log, "");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    ck_assert_int_ne(access(path("guest1.dtb"), F_OK), 0);
    free(log); free(before); free(after); free(out); free(err);
}
END_TEST

/* The host function's vendor and device ids (its sysfs config file). */
static uint32_t host_ids(const char *dev)
{
    char p[256];
    uint32_t v = 0;
    FILE *f;

    snprintf(p, sizeof(p), "%s/devices/%s/config", afx_tree, dev);
    ck_assert_ptr_nonnull(f = fopen(p, "rb"));
    ck_assert_int_eq(fread(&v, 4, 1, f), 1);
    fclose(f);
    return v;
}

/* A 32-bit read of the guest's config space through vCPU 0 (ECAM at
 * 0x10000000, bus 0). */
static uint32_t guest_cfg(unsigned slot, unsigned reg)
{
    uint64_t v = 0;

    ck_assert_int_eq(sim_guest_mmio(simfx_hv, 7, 0, 0x10000000ull + (slot << 15) + reg, 4,
                                    false, &v, 5000), SIM_ACCESS_IOREQ);
    return (uint32_t)v;
}

START_TEST(empty_guest_takes_a_hot_plugged_device)
{
    static const char *const cfgs[] = { NAME, NAME "pcipt = [ ]\npci = [ ]\n" };
    const char *cfg = cfgs[_i];
    struct domain_assign *da = calloc(1, sizeof(*da));
    char *out, *err, *log, want[1024], e[256];
    struct guest_layout lay;
    uint32_t gic[3];
    void *fdt;
    int node, dpid;

    ck_assert_ptr_nonnull(da);
    xlfx_write("g.cfg", cfg);
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s create %s", afx_args(),
                            path("g.cfg")) == 0, "%s; daemon: %s", err,
                  xlfx_slurp(path("pcipt-serve-7.log")));
    ck_assert_msg(strstr(out, "domain guest1 (7) is running with 0 pcipt devices"), "%s", out);
    free(out); free(err);
    /* created with passthrough (a later xl pci-attach can assign); pci=[]
     * only when the config has a pci list */
    log = xlfx_slurp(path("xl.log"));
    snprintf(want, sizeof(want), "create\t-p\t%s\tdevice_tree=\"%s/guest1.dtb\"\t"
             "vuart=\"sbsa_uart\"\tpassthrough=\"enabled\"%s\ndomid\tguest1\nunpause\t7\n",
             path("g.cfg"), simfx_dir, _i ? "\tpci=[]" : "");
    ck_assert_str_eq(log, want);
    free(log);
    /* the host bridge, every slot routed; the daemon ready (it serves) */
    fdt = dtbt_load(path("guest1.dtb"));
    node = dtbt_node(fdt, "/passthrough/pcie@10000000");
    guest_layout_defaults(&lay);            /* no pcipt.conf in the fixture */
    dtbt_assert_every_slot_routed(fdt, node, lay.spi_base, lay.spi_count, 0);
    ck_assert_int_eq(pcie_nodes(path("guest1.dtb")), 1);
    dpid = xlfx_daemon_pid(7);
    ck_assert(xlfx_alive(dpid));
    ck_assert_uint_eq(guest_cfg(5, 0), 0xffffffffu);    /* nothing at slot 5 yet */

    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s pci-attach 7 " AFX_GPU "@5",
                            afx_args()) == 0, "%s", err);
    free(out); free(err);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 7, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    ck_assert_uint_eq(da->devs[0].guest.dev, 5);
    /* the guest sees the device at slot 5, and its pin's SPI is the one the
     * create-time interrupt-map gives slot 5 */
    ck_assert_uint_eq(guest_cfg(5, 0), host_ids(AFX_GPU));
    ck_assert_uint_ne(da->devs[0].intx_pin, 0);
    ck_assert_uint_eq((guest_cfg(5, 0x3c) >> 8) & 0xff, da->devs[0].intx_pin);
    ck_assert(dtbt_intx_lookup(fdt, node, 0, 5, da->devs[0].intx_pin, gic));
    ck_assert_uint_eq(da->devs[0].spi, gic[1] + 32);

    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 7), 0);
    (void)xlfx_wait_gone(dpid);
    free(fdt);
    free(da);
}
END_TEST

/* The daemon's record of a domain with no device: written only on purpose
 * (xsp_write_server_empty), its nodes then writable; once the backend dir
 * goes (destroy, last detach) a node write recreates nothing. */
START_TEST(an_empty_guest_has_a_record_and_nothing_recreates_it)
{
    struct xsp_server srv = { .id = 2, .pid = getpid(), .nr_vcpus = 1, .ports = { 9 } }, got;
    const char *be = "/local/domain/0/backend/pci/9/0";
    char p[128], e[256], *v;

    snprintf(p, sizeof(p), "%s/pcipt/server/state", be);
    ck_assert_int_eq(xsp_write_server_node(afx_ctx.xs, 9, "state", "ready"), -ENOENT);
    ck_assert_int_eq(xsp_write_server(afx_ctx.xs, 9, &srv), -ENOENT);
    ck_assert_int_eq(xsp_write_server_empty(afx_ctx.xs, 9, &srv), 0);
    ck_assert_int_eq(xsp_write_server_node(afx_ctx.xs, 9, "state", "ready"), 0);
    ck_assert_int_eq(xsp_read_server(afx_ctx.xs, 9, &got, e, sizeof(e)), 0);
    ck_assert_int_eq(got.pid, srv.pid);
    ck_assert_str_eq(v = xsw_read(afx_ctx.xs, XBT_NULL, p), "ready");
    free(v);
    ck_assert_int_eq(xsw_rm(afx_ctx.xs, XBT_NULL, be), 0);
    ck_assert_int_eq(xsp_write_server_node(afx_ctx.xs, 9, "state", "stopped"), -ENOENT);
    ck_assert_ptr_null(xsw_read(afx_ctx.xs, XBT_NULL, be));
}
END_TEST

static Suite *xl_create_pci_suite(void)
{
    Suite *s = suite_create("xl_create_pci");
    TCase *tc = tcase_create("create_pci");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, pci_list_is_the_device_list_and_xl_sees_none);
    tcase_add_test(tc, pci_on_the_command_line_and_both_lists);
    tcase_add_test(tc, seize_takes_the_function_from_its_driver);
    tcase_add_loop_test(tc, keys_that_do_not_apply_are_refused, 0,
                        (int)(sizeof(refusals) / sizeof(refusals[0])));
    tcase_add_loop_test(tc, empty_guest_takes_a_hot_plugged_device, 0, 2);
    tcase_add_test(tc, an_empty_guest_has_a_record_and_nothing_recreates_it);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_create_pci_suite)
