/* Regression tests for what the fuzz harnesses (tests/fuzz/, DESIGN-fuzz.md)
 * found in production code. */
#include <string.h>

#include "tests/support/engine_fix.h"
#include "tests/support/testreg.h"

/* F2 (fuzz_cfg): a config read of a size the engine refuses answered 0xff
 * on an existing segment but 32 ones on a segment without a bridge.  Both
 * paths now answer as the engine always did for a bad size: 0xff, except
 * 16/32/64 ones for sizes 2/4/8 and 64 ones above 8. */
START_TEST(bad_size_all_ones_same_on_every_path)
{
    struct fix f;
    struct memdev m;
    static const struct { unsigned size; uint64_t want; } cases[] = {
        { 0, 0xff }, { 3, 0xff }, { 5, 0xff }, { 6, 0xff }, { 7, 0xff },
        { 9, ~0ull }, { 16, ~0ull }, { 255, ~0ull },
    };

    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, NULL);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned seg = 0; seg < 2; seg++) {          /* seg 1 has no bridge */
            for (unsigned dev = 0; dev < 3; dev++) {      /* root, device, absent */
                struct cfg_req r = { .seg = (uint16_t)seg, .bus = 0, .dev = (uint8_t)dev,
                                     .reg = 0, .size = (uint8_t)cases[i].size };
                ck_assert_msg(vpci_cfg_read(f.t, &r) == cases[i].want,
                              "size %u seg %u dev %u: 0x%llx", cases[i].size, seg, dev,
                              (unsigned long long)vpci_cfg_read(f.t, &r));
            }
        }
    }
    /* valid sizes are unchanged: all-ones of an absent function */
    struct cfg_req r = { .seg = 1, .dev = 2, .size = 2 };
    ck_assert_uint_eq(vpci_cfg_read(f.t, &r), 0xffff);
    r.seg = 0;
    ck_assert_uint_eq(vpci_cfg_read(f.t, &r), 0xffff);
    fix_fini(&f);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("found");
    tcase_add_test(tc, bad_size_all_ones_same_on_every_path);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(fuzz_regress_suite)
