/* `pcipt watch` makes sure the domain's daemon serves what it adopted, and
 * the daemon then follows libxl's nodes itself (the real binary, --hv sim,
 * the real xenstored, libxl's nodes written as libxl writes them:
 * tests/support/libxl_fx.h).  Checked: after an adoption a daemon is
 * started and the guest reads the adopted function's own IDs through it;
 * a running daemon (found by its record, or by its serve lock when the
 * record went with the backend dir) is not started twice; the daemon
 * adopts and releases later devices itself, without an error line (no
 * second unmap after the release revoked the access); a running watcher
 * hands over to the daemon and takes over again when it stops; a daemon
 * that cannot start is reported (exit 1) and the adoption kept; nothing
 * adopted starts nothing; `pcipt serve` adopts libxl's devices at start. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/libxl_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

#define BE LXFX_BE

/* Vendor and device ID of a host function: its sysfs config, bytes 0-3. */
static uint32_t host_id(const char *dev)
{
    char p[256];
    unsigned char b[4];
    FILE *f;

    snprintf(p, sizeof(p), "%s/devices/%s/config", afx_tree, dev);
    ck_assert_ptr_nonnull(f = fopen(p, "rb"));
    ck_assert_uint_eq(fread(b, 1, 4, f), 4);
    fclose(f);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void stop_pid(int pid)
{
    kill(pid, SIGTERM);
    (void)xlfx_wait_gone(pid);
    ck_assert_msg(!xlfx_alive(pid), "pid %d still running", pid);
}

static char *daemon_log(void)
{
    char p[256];
    return xlfx_slurp(xlfx_path("pcipt-serve-5.log", p, sizeof(p)));
}

static void expect_no_error(void)
{
    char *log = daemon_log();
    ck_assert_msg(!strstr(log, "error"), "daemon log: %s", log);
    free(log);
}

START_TEST(once_adopts_then_starts_the_daemon_which_follows)
{
    char *before = afx_snapshot(), *after, *out, *err, want[512];
    struct sim_server_info srv[4];
    uint64_t gpu_bar0, nic_bar0;
    int pid;

    /* xl pci-attach 5 0000:01:00.0,vslot=3 */
    lxfx_add(0, AFX_NIC, "18");
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once 5", afx_args()), 0);
    pid = xlfx_daemon_pid(5);
    ck_assert(xlfx_alive(pid));
    snprintf(want, sizeof(want), "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:03.0\n"
             "started domain 5's daemon (pid %d); it follows libxl's nodes from now on\n", pid);
    ck_assert_str_eq(out, want);
    ck_assert_str_eq(err, "");
    free(out); free(err);
    /* The guest finds the adopted function through the daemon. */
    ck_assert_int_eq(sim_list_servers(simfx_hv, 5, srv, 4), 1);
    ck_assert_uint_eq(lxfx_guest_id(3), host_id(AFX_NIC));
    ck_assert_uint_eq(lxfx_guest_id(1), 0xffffffffu);
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    ck_assert(lxfx_maps_host(nic_bar0, 4096));

    /* Found by its record: nothing started, nothing scanned. */
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once 5", afx_args()), 0);
    snprintf(want, sizeof(want), "domain 5's daemon (pid %d) follows libxl's nodes\n", pid);
    ck_assert_str_eq(out, want);
    free(out); free(err);

    /* xl pci-attach 5 0000:09:00.0: the daemon adopts and serves it. */
    lxfx_add(1, AFX_GPU, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    ck_assert(lxfx_guest_id_becomes(1, host_id(AFX_GPU)));
    gpu_bar0 = lxfx_bar_host("dev-1", 0);
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));

    /* xl pci-detach 5 0000:09:00.0: off the bus, unmapped, no error. */
    lxfx_close(1);
    lxfx_remove(1, 2);
    ck_assert(lxfx_guest_id_becomes(1, 0xffffffffu));
    ck_assert(lxfx_unmapped_soon(gpu_bar0));
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    ck_assert(lxfx_maps_host(nic_bar0, 4096));

    /* The last one: the whole backend dir goes, the daemon's record too. */
    lxfx_close(0);
    lxfx_remove(0, 1);
    ck_assert(lxfx_guest_id_becomes(3, 0xffffffffu));
    ck_assert(lxfx_unmapped_soon(nic_bar0));
    ck_assert(xlfx_alive(pid));
    ck_assert_int_eq(xlfx_daemon_pid(5), 0);
    /* Found by its serve lock. */
    ck_assert_int_eq(servelock_holder(5), pid);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once 5", afx_args()), 0);
    snprintf(want, sizeof(want), "domain 5's daemon (pid %d) follows libxl's nodes\n", pid);
    ck_assert_str_eq(out, want);
    free(out); free(err);
    /* ... and it takes the device back when libxl adds it again. */
    lxfx_add(0, AFX_NIC, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-0/adopted", "1"));
    ck_assert(lxfx_guest_id_becomes(1, host_id(AFX_NIC)));
    snprintf(want, sizeof(want), "%d", pid);
    ck_assert(lxfx_wait_node(BE "/pcipt/server/pid", want));
    lxfx_close(0);
    lxfx_remove(0, 1);
    ck_assert(lxfx_guest_id_becomes(1, 0xffffffffu));
    ck_assert(lxfx_unmapped_soon(nic_bar0));
    expect_no_error();
    stop_pid(pid);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);      /* no mapping, permission or node left */
    free(before); free(after);
}
END_TEST

static int bg_pids[8];
static unsigned nbg;

/* Processes a failed test left behind (the sim's state outlives its
 * directory, so a daemon would not notice the end of the test). */
static void teardown(void)
{
    for (unsigned i = 0; i < nbg; i++)
        kill(bg_pids[i], SIGKILL);
    nbg = 0;
    xlfx_teardown();
}

/* Start `pcipt --hv sim --sysfs TREE ARGS` in the background with the
 * fixture's daemon environment, output to DIR/log; its pid. */
static int start_bg(const char *args, const char *log)
{
    char env[256], p[256];
    int pid;

    snprintf(env, sizeof(env), "PCIPT_NO_SYSTEMD=1 PCIPT_LOG_DIR=%s", simfx_dir);
    pid = run_pcipt_bg(RUN_ENV(env), xlfx_path(log, p, sizeof(p)), "%s %s", afx_args(), args);
    ck_assert_int_gt(pid, 0);
    if (nbg < 8)
        bg_pids[nbg++] = pid;
    return pid;
}

/* Wait (bounded) for a live daemon recorded for domain 5 other than not. */
static int wait_daemon(int not)
{
    for (int i = 0; i < 100; i++) {
        int pid = xlfx_daemon_pid(5);
        if (pid > 0 && pid != not && xlfx_alive(pid))
            return pid;
        usleep(100 * 1000);
    }
    ck_abort_msg("no daemon for domain 5");
    return 0;
}

/* Each of the lines, in this order, somewhere in text. */
static void expect_in_order(const char *text, const char *const *lines, unsigned n)
{
    const char *at = text;
    for (unsigned i = 0; i < n; i++) {
        const char *hit = strstr(at, lines[i]);
        ck_assert_msg(hit, "'%s' not found (in order) in:\n%s", lines[i], text);
        at = hit + strlen(lines[i]);
    }
}

START_TEST(running_watcher_hands_over_and_takes_over)
{
    char *before = afx_snapshot(), *after, p[256], l1[128], l2[128], l3[128], *log;
    uint64_t nic_bar0, gpu_bar0;
    int watcher, d1, d2;

    watcher = start_bg("watch 5", "watch.log");
    lxfx_add(0, AFX_NIC, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-0/adopted", "1"));
    d1 = wait_daemon(0);
    ck_assert(lxfx_guest_id_becomes(1, host_id(AFX_NIC)));
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    /* The daemon adopts the second one (the watcher only keeps track). */
    lxfx_add(1, AFX_GPU, NULL);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    ck_assert(lxfx_guest_id_becomes(2, host_id(AFX_GPU)));
    gpu_bar0 = lxfx_bar_host("dev-1", 0);

    /* The daemon stops (cleanly: devices, mappings and its IOREQ server
     * stay); libxl removes the second device: the watcher releases it. */
    stop_pid(d1);
    lxfx_close(1);
    lxfx_remove(1, 2);
    ck_assert(lxfx_unmapped_soon(gpu_bar0));
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    ck_assert(lxfx_maps_host(nic_bar0, 4096));

    /* libxl adds it again: adopted here, and a new daemon started, which
     * takes over the server and serves both. */
    lxfx_add(1, AFX_GPU, NULL);
    d2 = wait_daemon(d1);
    ck_assert(lxfx_guest_id_becomes(2, host_id(AFX_GPU)));
    ck_assert_uint_eq(lxfx_guest_id(1), host_id(AFX_NIC));
    stop_pid(watcher);
    log = xlfx_slurp(xlfx_path("watch.log", p, sizeof(p)));
    snprintf(l1, sizeof(l1), "started domain 5's daemon (pid %d); it follows libxl's nodes from "
             "now on\n", d1);
    snprintf(l2, sizeof(l2), "domain 5's daemon (pid %d) is gone; following libxl's nodes here\n",
             d1);
    snprintf(l3, sizeof(l3), "started domain 5's daemon (pid %d); it follows libxl's nodes from "
             "now on\n", d2);
    const char *const lines[] = { "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n",
                                  l1, l2, "released 0000:09:00.0 from domain 5 (libxl ",
                                  "adopted 0000:09:00.0 (dev-1 of domain 5) as 0000:00:02.0\n",
                                  l3 };
    expect_in_order(log, lines, 6);
    free(log);

    /* Without the watcher, the daemon releases what libxl removes. */
    lxfx_close(1);
    lxfx_remove(1, 2);
    ck_assert(lxfx_unmapped_soon(gpu_bar0));
    ck_assert(lxfx_guest_id_becomes(2, 0xffffffffu));
    lxfx_close(0);
    lxfx_remove(0, 1);
    ck_assert(lxfx_unmapped_soon(nic_bar0));
    ck_assert(lxfx_guest_id_becomes(1, 0xffffffffu));
    expect_no_error();
    stop_pid(d2);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after);
}
END_TEST

START_TEST(daemon_that_cannot_start_is_reported)
{
    char *out, *err, want[512], p[256];

    lxfx_add(0, AFX_NIC, NULL);
    ck_assert_int_eq(run_pcipt(xlfx_opts("FAKE_SERVE_MODE=exit"), &out, &err, "%s watch --once 5",
                               afx_args()), 1);
    snprintf(want, sizeof(want), "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n"
             "cannot start domain 5's daemon: domain 5's daemon exited with status 3 before it "
             "was ready; see %s\n", xlfx_path("pcipt-serve-5.log", p, sizeof(p)));
    ck_assert_str_eq(out, want);
    free(out); free(err);
    /* The adoption stays (libxl assigned the device); the next watcher's
     * first round tries to start a daemon again. */
    lxfx_expect(BE "/pcipt/dev-0/adopted", "1");
    ck_assert(lxfx_maps_host(lxfx_bar_host("dev-0", 0), 4096));
    ck_assert_int_eq(run_pcipt(xlfx_opts("FAKE_SERVE_MODE=exit"), &out, &err, "%s watch --once 5",
                               afx_args()), 1);
    ck_assert_msg(!strncmp(out, "cannot start domain 5's daemon: ", 32), "%s", out);
    free(out); free(err);
    ck_assert_int_eq(xlfx_daemon_pid(5), 0);
    ck_assert_int_eq(servelock_holder(5), 0);
}
END_TEST

START_TEST(nothing_adopted_starts_nothing)
{
    char *out, *err, e[512];

    ck_assert_msg(afx_attach(5, AFX_NIC, 2, 0, e, sizeof(e)) == 0, "%s", e);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once 5", afx_args()), 0);
    ck_assert_str_eq(out, "");                        /* pcipt's own device: not ours */
    free(out); free(err);
    lxfx_add(1, "0000:77:00.0", NULL);                /* no such host device */
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s watch --once 5", afx_args()), 1);
    ck_assert_msg(!strncmp(out, "cannot adopt 0000:77:00.0 (dev-1 of domain 5): ", 47), "%s", out);
    ck_assert(!strstr(out, "daemon"));
    free(out); free(err);
    ck_assert_int_eq(xlfx_daemon_pid(5), 0);
    ck_assert_int_eq(servelock_holder(5), 0);
}
END_TEST

/* `pcipt serve` on a domain that has only libxl's nodes (xl create with a
 * pci= line on Xen 4.21+) adopts them at start and serves them. */
START_TEST(serve_adopts_libxl_devices_at_start)
{
    char *before = afx_snapshot(), *after;
    uint64_t nic_bar0;
    int pid;

    lxfx_add(0, AFX_NIC, "18");
    pid = start_bg("serve 5", "pcipt-serve-5.log");
    ck_assert(lxfx_wait_node(BE "/pcipt/server/state", "ready"));
    ck_assert_int_eq(xlfx_daemon_pid(5), pid);
    lxfx_expect(BE "/pcipt/dev-0/adopted", "1");
    lxfx_expect(BE "/vdev-0", "0000:00:03.00");
    ck_assert_uint_eq(lxfx_guest_id(3), host_id(AFX_NIC));
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    ck_assert(lxfx_maps_host(nic_bar0, 4096));
    lxfx_close(0);
    lxfx_remove(0, 1);
    ck_assert(lxfx_unmapped_soon(nic_bar0));
    ck_assert(lxfx_guest_id_becomes(3, 0xffffffffu));
    expect_no_error();
    stop_pid(pid);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after);
}
END_TEST

static Suite *xl_watch_daemon_suite(void)
{
    Suite *s = suite_create("xl_watch_daemon");
    TCase *tc = tcase_create("watch_daemon");

    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, teardown);
    tcase_add_test(tc, once_adopts_then_starts_the_daemon_which_follows);
    tcase_add_test(tc, running_watcher_hands_over_and_takes_over);
    tcase_add_test(tc, daemon_that_cannot_start_is_reported);
    tcase_add_test(tc, nothing_adopted_starts_nothing);
    tcase_add_test(tc, serve_adopts_libxl_devices_at_start);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_watch_daemon_suite)
