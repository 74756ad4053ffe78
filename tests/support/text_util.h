/* Comparing two multi-line texts (afx_snapshot(), xenstore dumps) so that
 * a failure says which line changed, not only both texts whole: CI shows
 * the tail of a failed run, and two dumps of a hundred lines each bury
 * the one line that differs. */
#ifndef TESTS_TEXT_UTIL_H
#define TESTS_TEXT_UTIL_H

#include <stddef.h>

#include <check.h>

/* 0 if a and b are equal; otherwise the 1-based number of the first line
 * that differs, with "line N: before \"..\", after \"..\"" in msg (each
 * side cut to fit; "(end)" for a text that ended first). */
unsigned text_first_diff(const char *before, const char *after, char *msg, size_t len);

/* Fail unless AFTER is BEFORE, naming the first changed line last in
 * the message. */
#define ck_assert_text_unchanged(after, before)                                    \
    do {                                                                           \
        char text_diff_msg_[512];                                                  \
        ck_assert_msg(text_first_diff((before), (after), text_diff_msg_,          \
                                      sizeof(text_diff_msg_)) == 0,                \
                      "%s is not %s; %s:\n%s\nfirst change: %s", #after, #before,  \
                      #after, (after), text_diff_msg_);                            \
    } while (0)

#endif
