/* The single Check runner for unit and integration tests. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/testreg.h"

#define MAX_SUITES 128
static suite_fn suites[MAX_SUITES];
static int nsuites;

void test_register_suite(suite_fn fn)
{
    if (nsuites < MAX_SUITES)
        suites[nsuites++] = fn;
}

const char *test_src_path(const char *rel, char *buf, unsigned len)
{
    const char *src = getenv("PCIPT_SRC");
    snprintf(buf, len, "%s/%s", src ? src : ".", rel);
    return buf;
}

const char *test_pcipt_bin(void)
{
    const char *b = getenv("PCIPT_BIN");
    return b ? b : "./build/pcipt";
}

/* Daemons and attach take locks under $PCIPT_RUN_DIR (default /run/pcipt).
 * Tests get a private one, so two runs on one machine (a developer's and
 * CI's, or several worktrees) never see each other's daemons. */
static char private_run_dir[] = "/tmp/pcipt-test-run.XXXXXX";
static pid_t runner_pid;

/* atexit also runs in Check's forked test children: only the runner removes. */
static void private_run_dir_remove(void)
{
    char cmd[sizeof(private_run_dir) + 16];

    if (getpid() != runner_pid)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", private_run_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", private_run_dir);
}

static void private_run_dir_setup(void)
{
    const char *d = getenv("PCIPT_RUN_DIR");

    if (d && d[0])
        return;
    if (!mkdtemp(private_run_dir)) {
        perror("mkdtemp /tmp/pcipt-test-run.XXXXXX");
        exit(1);
    }
    setenv("PCIPT_RUN_DIR", private_run_dir, 1);
    runner_pid = getpid();
    atexit(private_run_dir_remove);
}

/* No test may load a module on the build machine: a --bind whose holder
 * did not take the function runs $PCIPT_MODPROBE, the double in
 * tests/support/fakebin (FAKE_MODPROBE says what it does). */
static void modprobe_double_setup(void)
{
    char rel[512], abs[PATH_MAX];

    test_src_path("tests/support/fakebin/modprobe", rel, sizeof(rel));
    if (!realpath(rel, abs)) {
        perror(rel);
        exit(1);
    }
    setenv("PCIPT_MODPROBE", abs, 1);
}

int main(int argc, char **argv)
{
    SRunner *sr;
    int failed;

    if (nsuites == 0) {
        fprintf(stderr, "no test suites registered\n");
        return 1;
    }
    private_run_dir_setup();
    modprobe_double_setup();
    sr = srunner_create(NULL);
    for (int i = 0; i < nsuites; i++) {
        Suite *s = suites[i]();
        /* CK_RUN_SUITE=name runs one suite (Check's own variable). */
        srunner_add_suite(sr, s);
    }
    (void)argc;
    (void)argv;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
