/* The libxl-node watcher (pcipt/xl/xlwatch.c, `pcipt watch --no-daemon`)
 * against the real xenstored: the test writes exactly what libxl writes for
 * `xl pci-attach` and `xl pci-detach` (tests/support/libxl_fx.h).  The
 * watcher starting the daemon is tests/unit/xl/test_xl_watch_daemon.c.  Checked: adoption (slot from vdevfn-N, libxl's nodes untouched, pcipt's
 * nodes beside them, BARs mapped), release on close and on removal,
 * renumbering, the last device vanishing under a running watcher, an
 * adoption that fails leaving libxl's nodes alone, pcipt's own devices
 * untouched. */
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
#include "tests/support/libxl_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

#define BE LXFX_BE
#define OPTS LXFX_OPTS

static int watch_once(char **out, char **err)
{
    return run_pcipt(xlfx_opts(NULL), out, err, "%s watch --once --no-daemon 5", afx_args());
}

START_TEST(adopt_renumber_release)
{
    char *before = afx_snapshot(), *after, *out, *err, e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    struct sim_mapping m[8];
    uint64_t nic_bar0, gpu_bar0;

    /* xl pci-attach 5 0000:01:00.0,vslot=3 (vdevfn 0x18) */
    lxfx_add(0, "0000:01:00.0", "18");
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:03.0\n");
    ck_assert_str_eq(err, "");
    free(out); free(err);
    /* libxl's nodes as libxl wrote them; pcipt's beside them. */
    lxfx_expect(BE "/key-0", "0000:01:00.0");
    lxfx_expect(BE "/dev-0", "0000:01:00.0");
    lxfx_expect(BE "/vdevfn-0", "18");
    lxfx_expect(BE "/opts-0", OPTS);
    lxfx_expect(BE "/state-0", "1");
    lxfx_expect(BE "/num_devs", "1");
    lxfx_expect(BE "/state", "1");
    lxfx_expect(BE "/vdev-0", "0000:00:03.00");
    lxfx_expect(BE "/pcipt/dev-0/adopted", "1");
    lxfx_expect(BE "/pcipt/dev-0/host", "0000:01:00.0");
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    ck_assert(lxfx_maps_host(nic_bar0, 4096));
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 5);          /* assigned before mapping */
    /* announced to the vITS as its guest DeviceID (slot 3: 0x18) */
    struct sim_its_binding b[2];
    ck_assert_int_eq(sim_list_its_bindings(simfx_hv, 5, b, 2), 1);
    ck_assert_uint_eq(b[0].guest_devid, 0x18);
    ck_assert_uint_eq(b[0].machine_sbdf, 0x0100);
    lxfx_expect(BE "/pcipt/dev-0/msi", "vits");
    lxfx_expect(BE "/pcipt/dev-0/its-guest-devid", "0x18");
    /* A scan with nothing new does nothing. */
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);

    /* xl pci-attach 5 0000:09:00.0 (a hot-add: be/state = 7) */
    lxfx_add(1, "0000:09:00.0", NULL);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "adopted 0000:09:00.0 (dev-1 of domain 5) as 0000:00:01.0\n");
    free(out); free(err);
    gpu_bar0 = lxfx_bar_host("dev-1", 0);
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));

    /* xl pci-detach 5 0000:01:00.0: both of libxl's steps before we look. */
    lxfx_close(0);
    lxfx_remove(0, 2);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "released 0000:01:00.0 from domain 5 (libxl removed it)\n");
    free(out); free(err);
    ck_assert(!lxfx_maps_host(nic_bar0, 4096));
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);          /* deassigned on release */
    ck_assert_int_eq(sim_list_its_bindings(simfx_hv, 5, b, 2), 1);   /* the GPU's only */
    ck_assert_uint_eq(b[0].machine_sbdf, 0x0900);
    ck_assert_uint_eq(afx_smmu_owner(AFX_GPU), 5);
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));
    /* pcipt's numbering follows libxl's again. */
    lxfx_expect(BE "/dev-0", "0000:09:00.0");
    lxfx_expect(BE "/pcipt/dev-0/host", "0000:09:00.0");
    lxfx_expect(BE "/pcipt/dev-1", "(absent)");
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    ck_assert_uint_eq(da->devs[0].guest.dev, 1);

    /* xl pci-detach 5 0000:09:00.0: seen at state 5, then removed. */
    lxfx_close(0);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "released 0000:09:00.0 from domain 5 (libxl closed it)\n");
    free(out); free(err);
    lxfx_expect(BE "/pcipt/dev-0/released", "1");
    lxfx_expect(BE "/pcipt/dev-0/bar-0/mapped", "none");
    ck_assert_int_eq(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    lxfx_remove(0, 1);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);          /* no mapping, permission or node left */
    free(before); free(after); free(da);
}
END_TEST

START_TEST(failed_adoption_leaves_libxl_nodes)
{
    char *before, *after, *out, *err;

    lxfx_add(0, "0000:77:00.0", NULL);
    before = afx_snapshot();
    ck_assert_int_eq(watch_once(&out, &err), 1);
    ck_assert_msg(strstr(out, "cannot adopt 0000:77:00.0 (dev-0 of domain 5): 0000:77:00.0: no "
                          "such device"), "%s", out);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(own_devices_are_not_touched)
{
    char *before, *after, *out, *err, e[512];

    ck_assert_msg(afx_attach(5, AFX_NIC, 2, 0, e, sizeof(e)) == 0, "%s", e);
    before = afx_snapshot();
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);
    /* pcipt detach's own hand-over (pcipt/dev-N/detach) is the daemon's. */
    ck_assert_int_eq(xsp_write_dev_detach(afx_ctx.xs, 5, &(struct sbdf){ 0, 1, 0, 0 },
                                          XSP_DETACH_ASKED), 0);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(xsw_rm(afx_ctx.xs, XBT_NULL, BE "/pcipt/dev-0/detach"), 0);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(running_watcher_releases_a_vanished_last_device)
{
    char p[256], *before = afx_snapshot(), *after, *log;
    int pid;
    struct sim_mapping m[8];

    pid = run_pcipt_bg(NULL, xlfx_path("watch.log", p, sizeof(p)), "%s watch --no-daemon 5",
                       afx_args());
    ck_assert_int_gt(pid, 0);
    lxfx_add(0, "0000:01:00.0", NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-0/adopted", "1"));
    ck_assert_int_gt(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    /* Close, remove, destroy the backend: one shell, no pause between. */
    lxfx_close(0);
    lxfx_remove(0, 1);
    for (int i = 0; i < 100 && sim_list_mappings(simfx_hv, 5, m, 8) > 0; i++)
        usleep(100 * 1000);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && xlfx_alive(pid); i++)
        usleep(50 * 1000);
    ck_assert_msg(!xlfx_alive(pid), "watcher still running");
    log = xlfx_slurp(p);
    ck_assert_msg(strstr(log, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n") &&
                  strstr(log, "released 0000:01:00.0 from domain 5"), "%s", log);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(log); free(before); free(after);
}
END_TEST

/* The real daemon (started by pcipt pci-attach) runs the same scan from its
 * own watch: it adopts what libxl adds and releases what libxl removes. */
START_TEST(daemon_follows_libxl)
{
    char *before = afx_snapshot(), *after, *out, *err, e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    uint64_t gpu_bar0;
    int pid;

    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-attach 5 0000:01:00.0@2",
                               afx_args()), 0);
    free(out); free(err);
    pid = xlfx_daemon_pid(5);
    ck_assert(xlfx_alive(pid));
    lxfx_add(1, "0000:09:00.0", NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    lxfx_expect(BE "/vdev-1", "0000:00:01.00");
    gpu_bar0 = lxfx_bar_host("dev-1", 0);
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    lxfx_close(1);
    lxfx_remove(1, 2);
    for (int i = 0; i < 100 && lxfx_maps_host(gpu_bar0, 4096); i++)
        usleep(100 * 1000);
    ck_assert(!lxfx_maps_host(gpu_bar0, 4096));
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-detach 5 0000:01:00.0",
                               afx_args()), 0);
    free(out); free(err);
    kill(pid, SIGTERM);
    (void)xlfx_wait_gone(pid);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(da);
}
END_TEST

static Suite *xl_watch_suite(void)
{
    Suite *s = suite_create("xl_watch");
    TCase *tc = tcase_create("watch");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, adopt_renumber_release);
    tcase_add_test(tc, failed_adoption_leaves_libxl_nodes);
    tcase_add_test(tc, own_devices_are_not_touched);
    tcase_add_test(tc, running_watcher_releases_a_vanished_last_device);
    tcase_add_test(tc, daemon_follows_libxl);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_watch_suite)
