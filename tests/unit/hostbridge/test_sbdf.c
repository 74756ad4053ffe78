/* SBDF parsing and formatting. */
#include <errno.h>

#include "hostbridge/common/sbdf.h"
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

START_TEST(parse_vslot)
{
    static const struct { const char *s; int slot, fn; } good[] = {
        { "0000:01:00.1@1.1", 1, 1 }, { "01:00.0@1", 1, 0 }, { "01:00.0", -1, 0 },
        { "01:00.0@31.7", 31, 7 }, { "01:00.0@0x1f.0", 31, 0 }, { "01:00.2@5.0", 5, 0 },
        /* decimal means decimal, not octal (fuzz_xlcfg P4) */
        { "01:00.0@010", 10, 0 }, { "01:00.0@09.1", 9, 1 }, { "01:00.0@0X0a", 10, 0 },
    };
    static const char *const bad[] = { "01:00.0@1.8", "01:00.0@1.", "01:00.0@1.1.1",
                                       "01:00.0@.1", "01:00.0@0.1", "01:00.0@32.0",
                                       "01:00.0@1.x", "01:00.0@1.10", "01:00.0@-1.1",
                                       "01:00.0@ 1", "01:00.0@1 .1", "01:00@1.1",
                                       "01:00.0@\t5", "01:00.0@\n5", "01:00.0@0x",
                                       "01:00.0@0x 1", "01:00.0@0x-1", "01:00.0@+1" };
    struct sbdf s;
    int slot, fn;

    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(sbdf_parse_vslot(good[i].s, &s, &slot, &fn) == 0, "refused '%s'",
                      good[i].s);
        ck_assert_msg(slot == good[i].slot && fn == good[i].fn, "'%s': slot %d fn %d",
                      good[i].s, slot, fn);
    }
    ck_assert_int_eq(sbdf_parse_vslot("0000:01:00.1@1.1", &s, &slot, &fn), 0);
    ck_assert_uint_eq(s.bus, 1);
    ck_assert_uint_eq(s.fn, 1);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(sbdf_parse_vslot(bad[i], &s, &slot, &fn) != 0, "accepted '%s'", bad[i]);
        ck_assert_msg(slot == -1 && fn == 0, "'%s' left slot %d fn %d", bad[i], slot, fn);
    }
    /* the slot-only parser takes no function part */
    ck_assert_int_ne(sbdf_parse_slot("01:00.0@1.1", &s, &slot), 0);
    ck_assert_int_eq(sbdf_parse_slot("01:00.1@1", &s, &slot), 0);
    ck_assert_int_eq(slot, 1);
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
    tcase_add_test(tc, parse_vslot);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(sbdf_suite)
