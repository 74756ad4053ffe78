/* The engine's save/restore (hostbridge/state.c): a round trip reproduces
 * every register and BAR, and a hostile saved state cannot set read-only
 * bits or an impossible MSI vector count. */
#include <string.h>

#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

static const uint64_t gbar[PCI_NUM_RES] = { 0x123450000ull, 0, 0x23001000, 0, 0, 0, 0x23100000 };

static void program_guest_state(struct fix *f)
{
    cfg_wr(f, 1, 0, 0x10, 4, 0x00000000);
    cfg_wr(f, 1, 0, 0x14, 4, 0x3);
    cfg_wr(f, 1, 0, 0x18, 4, 0x23008000);
    cfg_wr(f, 1, 0, 0x30, 4, 0x23200001);
    cfg_wr(f, 1, 0, 0x04, 2, 0x0406);
    cfg_wr(f, 1, 0, 0x3c, 1, 0x21);
    cfg_wr(f, 1, 0, 0x44, 2, 0x0003);
    cfg_wr(f, 1, 0, 0x52, 2, 0x0021);
    cfg_wr(f, 1, 0, 0x54, 8, 0x0000000108020040ull);
    cfg_wr(f, 1, 0, 0x5c, 2, 0x1234);
    cfg_wr(f, 1, 0, 0x60, 4, 0x5);
    cfg_wr(f, 1, 0, 0x72, 2, 0x8000);
    cfg_wr(f, 1, 0, 0x88, 2, 0x2017);
    cfg_wr(f, 1, 0, 0x90, 2, 0x0041);
    cfg_wr(f, 1, 0, 0xa8, 2, 0x0006 | 0x0400);
}

START_TEST(save_restore_round_trip)
{
    struct fix a, b;
    struct memdev m;
    struct vdev_state st, st2;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&a);
    fix_init(&b);
    struct vdev *va = fix_add(&a, &m, 1, 0, gbar);
    struct vdev *vb = fix_add(&b, &m, 1, 0, gbar);
    program_guest_state(&a);
    vdev_save_state(va, &st);
    ck_assert_uint_eq(st.command, 0x0406);
    ck_assert_uint_eq(st.guest_bar[0], 0x300000000ull);
    vdev_restore_state(vb, &st);
    ck_assert_uint_eq(b.log.n, 0);                     /* restore emits nothing */
    for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4)
        ck_assert_msg(cfg_rd(&a, 1, 0, off, 4) == cfg_rd(&b, 1, 0, off, 4), "differs at 0x%x", off);
    for (int i = 0; i < PCI_NUM_RES; i++) {
        struct vdev_bar_info x, y;
        vdev_bar_info(va, i, &x);
        vdev_bar_info(vb, i, &y);
        ck_assert(x.guest_addr == y.guest_addr && x.mapped == y.mapped && x.size == y.size);
    }
    vdev_save_state(vb, &st2);
    ck_assert_int_eq(memcmp(&st, &st2, sizeof(st)), 0);
    /* Hostile state: read-only bits and impossible MME are not restored. */
    memset(&st, 0xff, sizeof(st));
    vdev_restore_state(vb, &st);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x04, 2), 0x0407);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x52, 2), 0x01b7);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x60, 4), 0xff);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x88, 2), 0x7fff);
    fix_fini(&a);
    fix_fini(&b);
}
END_TEST

static Suite *engine_state_suite(void)
{
    Suite *s = suite_create("engine_state");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, save_restore_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_state_suite)
