/* text_first_diff (tests/support/text_util.h): the line a snapshot
 * comparison names when it fails. */
#include <string.h>

#include "tests/support/testreg.h"
#include "tests/support/text_util.h"

START_TEST(names_first_changed_line)
{
    char msg[128];

    ck_assert_uint_eq(text_first_diff("a\nb\n", "a\nb\n", msg, sizeof(msg)), 0);
    ck_assert_str_eq(msg, "");
    ck_assert_uint_eq(text_first_diff("a\nb\nc\n", "a\nB\nc\n", msg, sizeof(msg)), 2);
    ck_assert_str_eq(msg, "line 2: before \"b\", after \"B\"");
    /* one text ends first */
    ck_assert_uint_eq(text_first_diff("a\n", "a\nx\n", msg, sizeof(msg)), 2);
    ck_assert_str_eq(msg, "line 2: before (end), after \"x\"");
    ck_assert_uint_eq(text_first_diff("a\nx\n", "a\n", msg, sizeof(msg)), 2);
    ck_assert_str_eq(msg, "line 2: before \"x\", after (end)");
    ck_assert_uint_eq(text_first_diff("a", "a\n", msg, sizeof(msg)), 1);
    ck_assert_str_eq(msg, "line 1: before \"a\", after \"a\" (only one ends in a newline)");
    /* a line longer than the message keeps the message a line */
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_uint_eq(text_first_diff(big, "y", msg, sizeof(msg)), 1);
    ck_assert_uint_lt(strlen(msg), sizeof(msg));
    ck_assert_ptr_null(strchr(msg, '\n'));
}
END_TEST

/* The assertion passes on equal texts ... */
START_TEST(assert_passes_on_same_text)
{
    const char *before = "x\ny\n", *after = "x\ny\n";

    ck_assert_text_unchanged(after, before);
}
END_TEST

/* ... and fails on others: a failed assertion ends Check's forked child
 * with exit status 1, which this case expects. */
START_TEST(assert_fails_on_changed_text)
{
    const char *before = "x\ny\n", *after = "x\nz\n";

    ck_assert_text_unchanged(after, before);
}
END_TEST

static Suite *text_util_suite(void)
{
    Suite *s = suite_create("text_util");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, names_first_changed_line);
    tcase_add_test(tc, assert_passes_on_same_text);
    tcase_add_exit_test(tc, assert_fails_on_changed_text, 1);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(text_util_suite)
