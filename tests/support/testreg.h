/* Test registration: each tests/unit/<part>/test_*.c registers its Check
 * suites with TEST_SUITE(fn); tests/support/runner.c runs them all in one
 * SRunner so that `make check` ends with Check's summary line.  What the
 * other support files are and how they are named (*_fx fixtures, *_util
 * helpers, fake_* doubles): tests/support/README.md.
 *
 * Environment (set by the Makefile): PCIPT_BIN = built pcipt binary,
 * PCIPT_SRC = source tree root (for tests/data).  Helpers below. */
#ifndef TESTS_TESTREG_H
#define TESTS_TESTREG_H

#include <check.h>

typedef Suite *(*suite_fn)(void);
void test_register_suite(suite_fn fn);

#define TEST_SUITE(fn)                                                        \
    static void __attribute__((constructor)) register_##fn(void)              \
    {                                                                         \
        test_register_suite(fn);                                              \
    }

/* Paths: $PCIPT_SRC/<rel> and the pcipt binary.  Running it (or any
 * command): tests/support/run_util.h. */
const char *test_src_path(const char *rel, char *buf, unsigned len);
const char *test_pcipt_bin(void);

#endif
