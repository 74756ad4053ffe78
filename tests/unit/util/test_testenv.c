/* Test-only environment switches (pcipt/util/testenv.h): honoured by the
 * build the tests run, ignored with one notice per name by a production
 * build (TEST_HOOKS=0: the same file compiled again as test_env_off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/util/testenv.h"
#include "tests/support/testreg.h"

const char *test_env_off(const char *name);
bool test_env_enabled_off(void);

/* Run f(name) with stderr in a file; what it wrote goes to out. */
static const char *with_stderr(const char *(*f)(const char *), const char *name, char *out,
                               size_t len)
{
    char path[] = "/tmp/pcipt-testenv-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    const char *r;
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, 2);
    r = f(name);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, out, len - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return r;
}

START_TEST(test_hooks_on_honours)
{
    char err[256];

    ck_assert(test_env_enabled());
    setenv("PCIPT_XS_FAIL", "write:1:5", 1);
    ck_assert_str_eq(with_stderr(test_env, "PCIPT_XS_FAIL", err, sizeof(err)), "write:1:5");
    ck_assert_str_eq(err, "");
    unsetenv("PCIPT_XS_FAIL");
}
END_TEST

START_TEST(test_hooks_off_ignores_once)
{
    char err[256];

    ck_assert(!test_env_enabled_off());
    /* unset: nothing to say */
    unsetenv("PCIPT_SERVE_BIN");
    ck_assert_ptr_null(with_stderr(test_env_off, "PCIPT_SERVE_BIN", err, sizeof(err)));
    ck_assert_str_eq(err, "");
    /* set: ignored, said once per name */
    setenv("PCIPT_SERVE_BIN", "/bin/false", 1);
    ck_assert_ptr_null(with_stderr(test_env_off, "PCIPT_SERVE_BIN", err, sizeof(err)));
    ck_assert_str_eq(err, "pcipt: PCIPT_SERVE_BIN is ignored: this build does not honour "
                          "test switches\n");
    ck_assert_ptr_null(with_stderr(test_env_off, "PCIPT_SERVE_BIN", err, sizeof(err)));
    ck_assert_str_eq(err, "");
    setenv("PCIPT_FAKEXEN", "/tmp/evil.so", 1);
    ck_assert_ptr_null(with_stderr(test_env_off, "PCIPT_FAKEXEN", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "PCIPT_FAKEXEN is ignored"));
    unsetenv("PCIPT_SERVE_BIN");
    unsetenv("PCIPT_FAKEXEN");
}
END_TEST

static Suite *testenv_suite(void)
{
    Suite *s = suite_create("testenv");
    TCase *tc = tcase_create("switches");

    tcase_add_test(tc, test_hooks_on_honours);
    tcase_add_test(tc, test_hooks_off_ignores_once);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(testenv_suite)
