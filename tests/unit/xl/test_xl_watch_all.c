/* `pcipt watch --all` (pcipt/cli/cmd_watch_all.c): one watcher for every
 * domain, as toolstack-hooks/pcipt-watch.service runs it from boot.  The
 * real binary, --hv sim, the real xenstored, libxl's nodes as libxl writes
 * them (tests/support/libxl_fx.h).  Checked: a device libxl lists for a
 * domain with no daemon is adopted and the daemon started, with no command
 * for that domain; the guest reads the function through it; one the
 * watcher cannot take is reported once however often xenstore changes,
 * and tried again when libxl's list changes; the watcher says when the
 * domain is gone and stops on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/hv/hv.h"
#include "pcipt/sim/hv_sim.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/libxl_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"

#define BE LXFX_BE

static int watcher_pid;

static void teardown(void)
{
    if (watcher_pid > 0)
        kill(watcher_pid, SIGKILL);
    watcher_pid = 0;
    xlfx_teardown();
}

static int start_watcher(void)
{
    char env[256], p[256];

    snprintf(env, sizeof(env), "PCIPT_NO_SYSTEMD=1 PCIPT_LOG_DIR=%s", simfx_dir);
    watcher_pid = run_pcipt_bg(RUN_ENV(env), xlfx_path("watch-all.log", p, sizeof(p)),
                               "%s watch --all", afx_args());
    ck_assert_int_gt(watcher_pid, 0);
    return watcher_pid;
}

static char *watch_log(void)
{
    char p[256];
    return xlfx_slurp(xlfx_path("watch-all.log", p, sizeof(p)));
}

/* Wait (bounded) until the watcher's output holds text n times. */
static bool log_count_reaches(const char *text, unsigned n)
{
    for (int i = 0; i < 100; i++) {
        char *log = watch_log();
        unsigned k = 0;
        for (const char *at = log; (at = strstr(at, text)); at += strlen(text))
            k++;
        free(log);
        if (k >= n)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static unsigned log_count(const char *text)
{
    char *log = watch_log();
    unsigned k = 0;
    for (const char *at = log; (at = strstr(at, text)); at += strlen(text))
        k++;
    free(log);
    return k;
}

static void stop_watcher(void)
{
    kill(watcher_pid, SIGTERM);
    ck_assert(xlfx_wait_gone(watcher_pid));
    watcher_pid = 0;
}

START_TEST(adopts_and_starts_the_daemon_with_no_command_for_the_domain)
{
    char want[256];
    int d;

    start_watcher();
    ck_assert(log_count_reaches("following xl pci-attach and pci-detach of every domain", 1));
    /* xl pci-attach 5 0000:01:00.0@3 */
    lxfx_add(0, AFX_NIC, "18");
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-0/adopted", "1"));
    ck_assert(log_count_reaches("it follows libxl's nodes from now on", 1));
    d = xlfx_daemon_pid(5);
    ck_assert(xlfx_alive(d));
    ck_assert_uint_ne(dfx_cfg_read(simfx_hv, 5, 0, 3, 0, 4), 0xffffffffu);
    snprintf(want, sizeof(want), "started domain 5's daemon (pid %d)", d);
    ck_assert_uint_eq(log_count(want), 1);
    ck_assert_uint_eq(log_count("adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:03.0\n"), 1);
    /* The daemon follows from now on: the watcher adopts nothing more. */
    lxfx_add(1, AFX_GPU, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    ck_assert_uint_eq(log_count("adopted 0000:09:00.0"), 0);
    /* The domain dies: the daemon cleans up, the watcher says so. */
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert(log_count_reaches("domain 5 is gone\n", 1));
    ck_assert(xlfx_wait_gone(d));
    stop_watcher();
}
END_TEST

START_TEST(a_device_it_cannot_take_is_reported_once)
{
    start_watcher();
    lxfx_add(0, "0000:77:00.0", NULL);                 /* no such host device */
    ck_assert(log_count_reaches("cannot adopt 0000:77:00.0 (dev-0 of domain 5): ", 1));
    /* xenstore keeps changing under the backend: no second report */
    for (int i = 0; i < 5; i++) {
        lxfx_sh("xenstore-write " BE "/unrelated-node x");
        usleep(200 * 1000);
    }
    ck_assert_uint_eq(log_count("cannot adopt 0000:77:00.0"), 1);
    ck_assert_int_eq(xlfx_daemon_pid(5), 0);
    /* libxl's list changes: tried again (the new device is adopted) */
    lxfx_add(1, AFX_NIC, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    ck_assert(log_count_reaches("cannot adopt 0000:77:00.0", 2));
    stop_watcher();
}
END_TEST

/* libxl assigned a function that has no reset method (libxl goes on
 * without one): adopted all the same, recorded as none-forced, so it is
 * not left in the guest's IOMMU context but absent from its bus. */
START_TEST(adopts_a_function_without_reset_method)
{
    char p[512], *out, *err;

    snprintf(p, sizeof(p), "%s/devices/%s/reset_method", afx_tree, AFX_NIC);
    ck_assert_int_eq(unlink(p), 0);
    lxfx_add(0, AFX_NIC, NULL);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once --no-daemon 5",
                               afx_args()), 0);
    ck_assert_str_eq(out, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n");
    free(out); free(err);
    lxfx_expect(BE "/pcipt/dev-0/reset", "none-forced");
    ck_assert(lxfx_maps_host(lxfx_bar_host("dev-0", 0), 4096));
}
END_TEST

/* xl pci-attach assigned the function to the domain's IOMMU context before
 * it wrote its nodes (libxl_pci.c pci_add_dm_done): the hypervisor then
 * refuses it as assigned to a guest, and the adoption records DMA through
 * the IOMMU (and announces it for MSI), instead of DMA off. */
START_TEST(adopts_what_libxl_assigned_with_dma_iommu)
{
    char *out, *err;
    uint32_t sbdf = hv_machine_sbdf(0, 1, 0, 0);

    ck_assert_int_eq(simfx_hv->ops->assign_device(simfx_hv, 5, sbdf), 0);
    lxfx_add(0, AFX_NIC, NULL);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once --no-daemon 5",
                               afx_args()), 0);
    ck_assert_str_eq(out, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n");
    ck_assert_ptr_null(strstr(err, "DMA off"));
    free(out); free(err);
    lxfx_expect(BE "/pcipt/dev-0/dma", "iommu");
    /* libxl's assignment stays libxl's: still the domain's */
    ck_assert_int_eq(simfx_hv->ops->test_assign_device(simfx_hv, 5, sbdf), -EBUSY);
}
END_TEST

START_TEST(all_takes_no_domain)
{
    char *out, *err;

    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --all 5", afx_args()), 2);
    ck_assert_ptr_nonnull(strstr(err, "--all takes no DOMID and no --once"));
    free(out); free(err);
}
END_TEST

static Suite *xl_watch_all_suite(void)
{
    Suite *s = suite_create("xl_watch_all");
    TCase *tc = tcase_create("watch_all");

    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, teardown);
    tcase_add_test(tc, adopts_and_starts_the_daemon_with_no_command_for_the_domain);
    tcase_add_test(tc, a_device_it_cannot_take_is_reported_once);
    tcase_add_test(tc, adopts_a_function_without_reset_method);
    tcase_add_test(tc, adopts_what_libxl_assigned_with_dma_iommu);
    tcase_add_test(tc, all_takes_no_domain);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_watch_all_suite)
