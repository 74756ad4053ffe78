/* SBDF parsing and formatting. */
#include <errno.h>

#include "pcipt/sbdf.h"
#include "tests/support/testreg.h"

START_TEST(parse_full)
{
    struct sbdf s;
    char buf[SBDF_STR_LEN];
    ck_assert_int_eq(sbdf_parse("0002:1f:03.7", &s), 0);
    ck_assert_uint_eq(s.seg, 2);
    ck_assert_uint_eq(s.bus, 0x1f);
    ck_assert_uint_eq(s.dev, 3);
    ck_assert_uint_eq(s.fn, 7);
    ck_assert_str_eq(sbdf_format(&s, buf), "0002:1f:03.7");
    ck_assert_uint_eq(sbdf_encode(&s), 0x21f1f);
}
END_TEST

START_TEST(parse_short)
{
    struct sbdf s;
    ck_assert_int_eq(sbdf_parse("01:00.0", &s), 0);
    ck_assert_uint_eq(s.seg, 0);
    ck_assert_uint_eq(s.bus, 1);
}
END_TEST

START_TEST(parse_bad)
{
    static const char *bad[] = { "", "1:2", "0000:00:20.0", "0000:00:00.8", "0000:100:00.0",
                                 "00000:00:00.0", "zz:00.0", "0000:00:00.0x", "0000:00:00.",
                                 ":00:00.0", "0000::00.0", "0000:00:00:00.0" };
    struct sbdf s;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(sbdf_parse(bad[i], &s) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(parse_slot)
{
    struct sbdf s;
    int slot;
    ck_assert_int_eq(sbdf_parse_slot("0000:01:00.0@5", &s, &slot), 0);
    ck_assert_int_eq(slot, 5);
    ck_assert_int_eq(sbdf_parse_slot("0000:01:00.0", &s, &slot), 0);
    ck_assert_int_eq(slot, -1);
    ck_assert_int_ne(sbdf_parse_slot("0000:01:00.0@0", &s, &slot), 0);
    ck_assert_int_ne(sbdf_parse_slot("0000:01:00.0@32", &s, &slot), 0);
    ck_assert_int_ne(sbdf_parse_slot("0000:01:00.0@", &s, &slot), 0);
    ck_assert_int_ne(sbdf_parse_slot("0000:01:00.0@x", &s, &slot), 0);
}
END_TEST

static Suite *sbdf_suite(void)
{
    Suite *s = suite_create("sbdf");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, parse_full);
    tcase_add_test(tc, parse_short);
    tcase_add_test(tc, parse_bad);
    tcase_add_test(tc, parse_slot);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(sbdf_suite)
