/* The simulator's rangeset (Xen rangeset semantics): merging of adjacent
 * ranges, splitting on removal, the limit. */
#include <errno.h>

#include "pcipt/sim/sim_state.h"
#include "tests/support/testreg.h"

static struct sim_rangeset rs;

static void expect_ranges(const uint64_t (*want)[2], unsigned n)
{
    ck_assert_uint_eq(rs.nr, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(rs.r[i].start, want[i][0]);
        ck_assert_uint_eq(rs.r[i].end, want[i][1]);
    }
}

START_TEST(add_merges_adjacent_and_overlapping)
{
    rs_init(&rs, 4);
    ck_assert_int_eq(rs_add(&rs, 10, 19), 0);
    ck_assert_int_eq(rs_add(&rs, 30, 39), 0);
    ck_assert_int_eq(rs_add(&rs, 0, 4), 0);
    expect_ranges((const uint64_t[][2]){ { 0, 4 }, { 10, 19 }, { 30, 39 } }, 3);
    ck_assert_int_eq(rs_add(&rs, 20, 29), 0);          /* bridges two */
    expect_ranges((const uint64_t[][2]){ { 0, 4 }, { 10, 39 } }, 2);
    ck_assert_int_eq(rs_add(&rs, 3, 12), 0);           /* overlaps two */
    expect_ranges((const uint64_t[][2]){ { 0, 39 } }, 1);
    ck_assert(rs_contains(&rs, 0, 39));
    ck_assert(!rs_contains(&rs, 0, 40));
    ck_assert(rs_overlaps(&rs, 39, 100));
    ck_assert(!rs_overlaps(&rs, 40, 100));
    ck_assert_int_eq(rs_add(&rs, UINT64_MAX - 1, UINT64_MAX), 0);
    ck_assert_int_eq(rs_add(&rs, 41, 41), 0);
    expect_ranges((const uint64_t[][2]){ { 0, 39 }, { 41, 41 }, { UINT64_MAX - 1, UINT64_MAX } },
                  3);
}
END_TEST

START_TEST(remove_splits_and_limit)
{
    rs_init(&rs, 2);
    ck_assert_int_eq(rs_add(&rs, 0, 99), 0);
    ck_assert_int_eq(rs_remove(&rs, 10, 19), 0);
    expect_ranges((const uint64_t[][2]){ { 0, 9 }, { 20, 99 } }, 2);
    ck_assert_int_eq(rs_remove(&rs, 50, 59), -ENOMEM);     /* a third range: over the limit */
    expect_ranges((const uint64_t[][2]){ { 0, 9 }, { 20, 99 } }, 2);
    ck_assert_int_eq(rs_add(&rs, 200, 300), -ENOMEM);
    ck_assert_int_eq(rs_remove(&rs, 5, 25), 0);            /* clips both */
    expect_ranges((const uint64_t[][2]){ { 0, 4 }, { 26, 99 } }, 2);
    ck_assert_int_eq(rs_remove(&rs, 0, 1000), 0);
    ck_assert_uint_eq(rs.nr, 0);
    ck_assert_int_eq(rs_remove(&rs, 0, 1000), 0);          /* nothing there */
}
END_TEST

static Suite *hv_rangeset_suite(void)
{
    Suite *s = suite_create("hv_rangeset");
    TCase *tc = tcase_create("rangeset");
    tcase_add_test(tc, add_merges_adjacent_and_overlapping);
    tcase_add_test(tc, remove_splits_and_limit);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_rangeset_suite)
