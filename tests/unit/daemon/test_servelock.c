/* The serve lock as the one test of a daemon's life (servelock_held,
 * pcipt/assign/domlock.h): held by a live holder only (not by one that exited and
 * is not reaped yet), with the holder's pid; a prober never makes a daemon's
 * servelock_acquire fail; the daemon test double takes the lock too. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/xs/xs.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 41

/* A child that takes DOM's serve lock, says so on the pipe, then runs
 * until killed (exit_at_once: exits at once instead). */
static pid_t fork_holder(bool exit_at_once)
{
    int p[2];
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pid_t h;
        char e[256];
        close(p[0]);
        if (servelock_acquire(DOM, &h, e, sizeof(e)) < 0 || write(p[1], "L", 1) != 1)
            _exit(20);
        if (exit_at_once)
            _exit(0);
        for (;;)
            pause();
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

START_TEST(held_by_a_live_holder_only)
{
    siginfo_t si;
    pid_t pid, got;

    ck_assert(!servelock_held(DOM, &got));
    ck_assert_int_eq(got, 0);
    pid = fork_holder(false);
    ck_assert(servelock_held(DOM, &got));
    ck_assert_int_eq(got, pid);
    ck_assert_int_eq(servelock_holder(DOM), pid);
    ck_assert(servelock_held(DOM, NULL));
    /* a second daemon is refused, told the first one's pid */
    char e[256];
    pid_t h;
    ck_assert_int_eq(servelock_acquire(DOM, &h, e, sizeof(e)), -EBUSY);
    ck_assert_int_eq(h, pid);

    /* killed, not reaped: kill(pid, 0) still succeeds, the lock is gone */
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    memset(&si, 0, sizeof(si));
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    ck_assert_int_eq(kill(pid, 0), 0);
    ck_assert(!servelock_held(DOM, &got));
    ck_assert_int_eq(servelock_holder(DOM), 0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);

    /* one that exits on its own right after taking it: likewise */
    pid = fork_holder(true);
    memset(&si, 0, sizeof(si));
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    ck_assert(!servelock_held(DOM, NULL));
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);

    /* this process as the daemon: the file still names the dead one */
    int fd = servelock_acquire(DOM, &h, e, sizeof(e));
    ck_assert_msg(fd >= 0, "%s", e);
    ck_assert_int_eq(servelock_holder(DOM), getpid());
    close(fd);
    ck_assert(!servelock_held(DOM, NULL));
}
END_TEST

/* A prober's instant shared lock must not make a starting daemon think the
 * domain is served: acquire while another process probes without pause. */
START_TEST(probing_never_refuses_a_daemon)
{
    pid_t prober;

    fflush(NULL);
    prober = fork();
    ck_assert_int_ge(prober, 0);
    if (prober == 0) {
        for (;;)
            (void)servelock_held(DOM, NULL);
    }
    for (int i = 0; i < 300; i++) {
        char e[256];
        pid_t h;
        int fd = servelock_acquire(DOM, &h, e, sizeof(e));
        ck_assert_msg(fd >= 0, "round %d: %s (holder %d)", i, e, (int)h);
        close(fd);
    }
    kill(prober, SIGKILL);
    waitpid(prober, NULL, 0);
}
END_TEST

/* tests/support/fakebin/pcipt-serve-double holds the lock with its pid in it
 * while it runs, refuses a second start, and lets go when stopped. */
START_TEST(serve_double_takes_the_lock)
{
    char dbl[512], *out = NULL, *err = NULL, *v = NULL;
    struct xs_handle *xs = xsw_open();
    const struct run_opts o = { .bin = dbl };
    struct run_proc p;

    ck_assert_ptr_nonnull(xs);
    test_src_path("tests/support/fakebin/pcipt-serve-double", dbl, sizeof(dbl));
    ck_assert_int_eq(run_start(&p, &o, "serve 41"), 0);
    for (int i = 0; i < 2000 && !(v && !strcmp(v, "ready")); i++) {
        free(v);
        usleep(10 * 1000);
        v = xsw_read(xs, XBT_NULL, "/local/domain/0/backend/pci/41/0/pcipt/server/state");
    }
    ck_assert_str_eq(v, "ready");
    free(v);
    ck_assert_int_eq(servelock_holder(DOM), p.pid);
    ck_assert_int_eq(run_pcipt(&o, &out, &err, "serve 41"), 1);
    ck_assert_msg(strstr(err, "domain 41 is already served"), "%s", err);
    free(out); free(err);
    ck_assert_int_eq(kill(p.pid, SIGTERM), 0);
    ck_assert_int_eq(run_wait(&p, NULL, NULL), 0);
    ck_assert(!servelock_held(DOM, NULL));
    ck_assert_ptr_null(xsw_read(xs, XBT_NULL, "/local/domain/0/backend/pci/41/0/pcipt/server"));
    xsw_rm(xs, XBT_NULL, "/local/domain/0/backend/pci/41");
    xsw_close(xs);
}
END_TEST

static Suite *servelock_suite(void)
{
    Suite *s = suite_create("servelock");
    TCase *tc = tcase_create("servelock");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_test(tc, held_by_a_live_holder_only);
    tcase_add_test(tc, probing_never_refuses_a_daemon);
    tcase_add_test(tc, serve_double_takes_the_lock);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(servelock_suite)
