/* proc_spawn_detached's log: appended to, never through a symbolic link
 * (the file's or its directory's), never anything but a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/util/proc.h"
#include "tests/support/testreg.h"

static char dir[] = "/tmp/pcipt-proclog-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/pcipt-proclog-XXXXXX");
}

static int spawn_echo(const char *log, char *err, size_t len)
{
    char *argv[] = { "echo", "hello", NULL };
    pid_t pid = proc_spawn_detached(argv, log, err, len);
    int st;

    if (pid < 0)
        return (int)pid;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

START_TEST(appends_to_a_regular_file)
{
    char log[128], err[256], text[64];

    snprintf(log, sizeof(log), "%s/d.log", dir);
    ck_assert_int_eq(spawn_echo(log, err, sizeof(err)), 0);
    ck_assert_int_eq(spawn_echo(log, err, sizeof(err)), 0);
    slurp(log, text, sizeof(text));
    ck_assert_str_eq(text, "hello\nhello\n");
}
END_TEST

START_TEST(refuses_a_link_as_the_log)
{
    char log[128], target[128], err[256];
    struct stat st;

    snprintf(target, sizeof(target), "%s/victim", dir);
    snprintf(log, sizeof(log), "%s/d.log", dir);
    ck_assert_int_eq(symlink(target, log), 0);
    ck_assert_int_eq(spawn_echo(log, err, sizeof(err)), -ELOOP);
    ck_assert_msg(strstr(err, "refusing log ") && strstr(err, "d.log: it or its directory is a "
                  "symbolic link"), "%s", err);
    ck_assert_int_eq(stat(target, &st), -1);           /* nothing created through it */
}
END_TEST

START_TEST(refuses_a_linked_directory)
{
    char real[128], link[128], log[160], err[256];

    snprintf(real, sizeof(real), "%s/real", dir);
    snprintf(link, sizeof(link), "%s/logs", dir);
    ck_assert_int_eq(mkdir(real, 0700), 0);
    ck_assert_int_eq(symlink(real, link), 0);
    snprintf(log, sizeof(log), "%s/d.log", link);
    ck_assert_int_lt(spawn_echo(log, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "refusing log "), "%s", err);
}
END_TEST

START_TEST(refuses_a_fifo)
{
    char log[128], err[256];

    snprintf(log, sizeof(log), "%s/d.log", dir);
    ck_assert_int_eq(mkfifo(log, 0600), 0);
    ck_assert_int_lt(spawn_echo(log, err, sizeof(err)), 0);   /* and does not block */
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
}
END_TEST

static Suite *proc_log_suite(void)
{
    Suite *s = suite_create("proc_log");
    TCase *tc = tcase_create("log");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, appends_to_a_regular_file);
    tcase_add_test(tc, refuses_a_link_as_the_log);
    tcase_add_test(tc, refuses_a_linked_directory);
    tcase_add_test(tc, refuses_a_fifo);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(proc_log_suite)
