/* The tests' process runner (tests/support/run_util.h): what every other
 * test relies on when it runs pcipt or a tool. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

/* stdout and stderr apart, the exit status, the environment words, the
 * directory and stdin as given. */
START_TEST(captures_status_env_cwd_stdin)
{
    const struct run_opts o = { .env = "RUN_UTIL_X='a b'", .cwd = "/tmp", .in = "line 1\n" };
    char *out = NULL, *err = NULL;

    ck_assert_int_eq(run_sh(NULL, &out, &err, "echo out; echo err >&2; exit 3"), 3);
    ck_assert_str_eq(out, "out\n");
    ck_assert_str_eq(err, "err\n");
    free(out);
    free(err);
    ck_assert_int_eq(run_sh(&o, &out, NULL, "pwd; read l; echo \"$l\""), 0);
    ck_assert_str_eq(out, "/tmp\nline 1\n");
    free(out);
    /* run_pcipt's env words reach the program (here a shell) */
    ck_assert_int_eq(run_pcipt(&(struct run_opts){ .env = o.env, .bin = "/bin/sh" }, &out, NULL,
                               "-c 'echo \"$RUN_UTIL_X\"'"), 0);
    ck_assert_str_eq(out, "a b\n");
    free(out);
}
END_TEST

/* A signal is 128 + its number; the pid run_start knows is the program's. */
START_TEST(signal_status_and_ready_fd)
{
    const struct run_opts o = { .bin = "/bin/sh", .ready_fd = 3 };
    struct run_proc p;
    char buf[16];

    ck_assert_int_eq(run_start(&p, &o, "-c 'echo READY >&3; exec sleep 30'"), 0);
    ck_assert_int_eq(run_ready(&p, buf, sizeof(buf), 10000), 6);
    ck_assert_str_eq(buf, "READY\n");
    ck_assert_int_eq(kill(p.pid, SIGTERM), 0);
    ck_assert_int_eq(run_wait(&p, NULL, NULL), 128 + SIGTERM);
}
END_TEST

/* Gone, or a zombie left to an init that does not reap. */
static int running(int pid)
{
    char path[64], buf[256];
    FILE *f;
    int run = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((f = fopen(path, "r"))) {
        if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')'))
            run = strrchr(buf, ')')[2] != 'Z';
        fclose(f);
    }
    return run;
}

/* Past the timeout the whole process group is killed, and err says so. */
START_TEST(timeout_kills_the_group)
{
    const struct run_opts o = { .timeout_ms = 300 };
    char *out = NULL, *err = NULL;
    int pid;

    ck_assert_int_eq(run_sh(&o, &out, &err, "sleep 30 & echo $!; wait"), -1);
    ck_assert_ptr_nonnull(strstr(err, "killed after 300 ms"));
    pid = atoi(out);
    ck_assert_int_gt(pid, 0);
    for (int i = 0; i < 200 && running(pid); i++)
        usleep(10000);
    ck_assert_msg(!running(pid), "the timed-out command's child %d still runs", pid);
    free(out);
    free(err);
}
END_TEST

/* run_pcipt_bg: detached (not our child), output in the log. */
START_TEST(background_is_detached)
{
    char log[] = "/tmp/pcipt-run-bg.XXXXXX", *text = NULL;
    int fd = mkstemp(log), pid;

    ck_assert_int_ge(fd, 0);
    close(fd);
    pid = run_pcipt_bg(&(struct run_opts){ .bin = "/bin/sh" }, log, "-c 'echo bg; exec sleep 30'");
    ck_assert_int_gt(pid, 0);
    for (int i = 0; i < 500; i++) {
        free(text);
        ck_assert_int_eq(run_sh(NULL, &text, NULL, "cat '%s'", log), 0);
        if (!strcmp(text, "bg\n"))
            break;
        usleep(10000);
    }
    ck_assert_str_eq(text, "bg\n");
    ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), -1);      /* not ours to reap */
    ck_assert_int_eq(errno, ECHILD);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    free(text);
    unlink(log);
}
END_TEST

static Suite *run_util_suite(void)
{
    Suite *s = suite_create("run_util");
    TCase *tc = tcase_create("run");

    tcase_add_test(tc, captures_status_env_cwd_stdin);
    tcase_add_test(tc, signal_status_and_ready_fd);
    tcase_add_test(tc, timeout_kills_the_group);
    tcase_add_test(tc, background_is_detached);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(run_util_suite)
