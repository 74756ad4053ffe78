/* detach and the domain's daemon (docs/design/attach.md "Hand-over: detach
 * takes a device back"): no daemon,
 * a daemon that answers (simulated by a child process that holds the serve
 * lock, watches pcipt/dev-N/detach, unmaps, updates the p2m records and
 * answers 2), and
 * a daemon that is alive but silent (warn, go on).  Alive means holding the
 * serve lock: a recorded pid of a zombie or of an unrelated live process
 * (a recycled pid) is no daemon, and detach does not wait for it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/log.h"
#include "pcipt/hv/map.h"
#include "hostbridge/common/sbdf.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/warn_fx.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

static char err[512];


static void setup(void)
{
    afx_setup();
    warn_fx_start();
}

static void teardown(void)
{
    warn_fx_stop();
    afx_teardown();
}

static void record_daemon(pid_t pid)
{
    struct xsp_server srv = { .id = 1, .pid = pid, .nr_vcpus = 1, .ports = { 7 } };
    ck_assert_int_eq(xsp_write_server(afx_ctx.xs, 5, &srv), 0);
}

/* The daemon's side: wait for detach = 1, unmap every mapped BAR, record
 * "none", answer 2.  Exit 0 only if all of that happened. */
static int fake_daemon(const struct sbdf *host)
{
    static struct domain_assign a;
    struct xs_handle *xs = xsw_open();
    struct hv *hv = simfx_open();
    char be[XSW_PATH_MAX];
    unsigned st = 0;

    if (!xs || xsw_watch(xs, xsp_backend_path(5, be), "daemon"))
        return 10;
    int r;
    while (((r = xsp_read_dev_detach(xs, 5, host, &st)) == 0 || r == -ENOENT) &&
           st != XSP_DETACH_ASKED)
        if (xsw_wait_watch(xs, 20000) <= 0)
            return 11;
    if (st != XSP_DETACH_ASKED || xsp_read_domain(xs, 5, &a, NULL, 0))
        return 12;
    for (unsigned d = 0; d < a.ndevs; d++) {
        if (!sbdf_equal(&a.devs[d].host, host))
            continue;
        for (unsigned i = 0; i < PCI_NUM_RES; i++) {
            const struct bar_assign *b = &a.devs[d].bars[i];
            uint64_t gaddr, mfn, nr;
            if (xsp_read_bar_mapped(xs, 5, host, i, &gaddr) || !gaddr)
                continue;
            hv_bar_pages(b->host, b->size, &mfn, &nr);
            if (hv_unmap_mmio(hv, 5, gaddr >> 12, mfn, nr, NULL, 0, NULL) ||
                xsp_write_bar_mapped(xs, 5, host, i, 0))
                return 13;
        }
    }
    if (xsp_write_dev_detach(xs, 5, host, XSP_DETACH_RELEASED))
        return 14;
    hv_close(hv);
    xsw_close(xs);
    return 0;
}

/* Fork a stand-in daemon: it takes domain 5's serve lock (as `pcipt serve`
 * does), tells the parent, then runs body (NULL: waits to be killed). */
static pid_t fork_locked_daemon(const struct sbdf *host)
{
    int p[2], rc;
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pid_t holder;
        char e[256];
        close(p[0]);
        if (servelock_acquire(5, &holder, e, sizeof(e)) < 0)
            _exit(20);
        if (write(p[1], "L", 1) != 1)
            _exit(21);
        close(p[1]);
        if (!host) {
            pause();
            _exit(0);
        }
        _exit(fake_daemon(host));
    }
    close(p[1]);
    rc = (int)read(p[0], &c, 1);
    close(p[0]);
    ck_assert_msg(rc == 1, "the stand-in daemon could not take the serve lock");
    ck_assert_int_eq(servelock_holder(5), pid);
    return pid;
}

START_TEST(detach_waits_for_a_daemon_that_answers)
{
    char *before = afx_snapshot(), *now;
    struct sbdf host;
    uint64_t calls;
    pid_t pid;
    int status;

    ck_assert_int_eq(sbdf_parse(AFX_NIC, &host), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    pid = fork_locked_daemon(&host);
    record_daemon(pid);
    calls = afx_ctx.hv->counters.memory_mapping_calls;
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon: %d", status);
    /* the daemon unmapped everything; detach found nothing left to unmap */
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_calls, calls);
    ck_assert_str_eq(warn_fx_text, "");
    ck_assert_msg(afx_detach(5, AFX_GPU, err, sizeof(err)) == 0, "%s", err);  /* daemon gone */
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    free(now);
    free(before);
}
END_TEST

START_TEST(detach_warns_about_a_silent_daemon_and_goes_on)
{
    char *before = afx_snapshot(), *now;
    pid_t pid;

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    pid = fork_locked_daemon(NULL);
    record_daemon(pid);
    afx_ctx.detach_timeout_ms = 200;
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_assert_msg(strstr(warn_fx_text, "did not release 0000:01:00.0 within 200 ms; detaching anyway"),
                  "%s", warn_fx_text);
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    free(now);
    free(before);
}
END_TEST

/* detach with pid recorded as domain 5's daemon but no serve lock held:
 * no hand-over is tried (a hand-over to nobody would wait 200 ms and warn
 * "did not release"), and everything is undone as without a daemon. */
static void detach_without_a_lock_holder(pid_t pid)
{
    char *before = afx_snapshot(), *now;

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    record_daemon(pid);
    ck_assert_int_eq(servelock_holder(5), 0);
    afx_ctx.detach_timeout_ms = 200;
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(warn_fx_text, "");
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    free(now);
    free(before);
}

START_TEST(detach_with_a_dead_daemon_does_not_wait)
{
    pid_t pid;

    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    detach_without_a_lock_holder(pid);      /* recorded, but its process is gone */
}
END_TEST

/* Exited but not reaped: kill(pid, 0) still succeeds on a zombie. */
START_TEST(detach_with_a_zombie_daemon_does_not_wait)
{
    siginfo_t si;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    memset(&si, 0, sizeof(si));
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    ck_assert_int_eq(kill(pid, 0), 0);           /* a zombie: "alive" to kill() */
    detach_without_a_lock_holder(pid);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);  /* reaped only now */
}
END_TEST

/* A recycled pid: the recorded one now belongs to an unrelated live
 * process (here the test itself, and a sleeping child). */
START_TEST(detach_with_a_recycled_daemon_pid_does_not_wait)
{
    pid_t pid;

    detach_without_a_lock_holder(getpid());
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    detach_without_a_lock_holder(pid);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(detach_unmaps_where_the_record_says)
{
    char *before = afx_snapshot(), *now;
    struct sbdf host;
    uint64_t mfn, nr, g;

    /* the daemon moved BAR0 (guest BAR write) and recorded the new place */
    ck_assert_int_eq(sbdf_parse(AFX_NIC, &host), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(xsp_read_bar_mapped(afx_ctx.xs, 5, &host, 0, &g), 0);
    ck_assert_uint_eq(g, 0x23800000);
    hv_bar_pages(0xe0800000, 0x20000, &mfn, &nr);
    ck_assert_int_eq(hv_unmap_mmio(simfx_hv, 5, g >> 12, mfn, nr, NULL, 0, NULL), 0);
    ck_assert_int_eq(hv_map_mmio(simfx_hv, 5, 0x23a00, mfn, nr, NULL, 0, NULL), 0);
    ck_assert_int_eq(xsp_write_bar_mapped(afx_ctx.xs, 5, &host, 0, 0x23a00000), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    free(now);
    free(before);
}
END_TEST

static Suite *attach_detach_suite(void)
{
    Suite *s = suite_create("attach_detach");
    TCase *tc = tcase_create("daemon");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, detach_waits_for_a_daemon_that_answers);
    tcase_add_test(tc, detach_warns_about_a_silent_daemon_and_goes_on);
    tcase_add_test(tc, detach_with_a_dead_daemon_does_not_wait);
    tcase_add_test(tc, detach_with_a_zombie_daemon_does_not_wait);
    tcase_add_test(tc, detach_with_a_recycled_daemon_pid_does_not_wait);
    tcase_add_test(tc, detach_unmaps_where_the_record_says);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_detach_suite)
