/* BARs: size probes at every width, 64-bit pairs, the ROM, I/O BARs, and the
 * exact move/map/unmap event sequences.  The host is never written. */
#include <errno.h>
#include <string.h>

#include "tests/support/engine_fix.h"
#include "tests/support/testreg.h"

static const uint64_t gbar[PCI_NUM_RES] = { 0x123450000ull, 0, 0x23001000, 0, 0, 0, 0x23100000 };

static struct fix f;
static struct memdev m;
static struct vdev *v;

static void setup(void)
{
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    v = fix_add(&f, &m, 1, 0, gbar);
}

static void teardown(void)
{
    fix_fini(&f);
}

static void probe(unsigned off, unsigned width)
{
    for (unsigned b = 0; b < 4; b += width)
        cfg_wr(&f, 1, 0, off + b, width, 0xffffffff);
}

START_TEST(probe_at_width)
{
    unsigned width = 1u << _i;         /* 1, 2 and 4 bytes */
    probe(0x18, width);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x18, 4), 0xfffff000);
    cfg_wr(&f, 1, 0, 0x18, 4, 0x23001000);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x18, 4), 0x23001000);
    probe(0x10, width);
    probe(0x14, width);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x10, 8), 0xffffffffffffc00cull);
    cfg_wr(&f, 1, 0, 0x10, 4, 0x23450000);
    cfg_wr(&f, 1, 0, 0x14, 4, 0x1);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x10, 8), 0x12345000cull);
    probe(0x30, width);                    /* ROM: all-ones also sets Enable (MEM is off) */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x30, 4), 0xffff0001);
    cfg_wr(&f, 1, 0, 0x30, 4, 0x23100000);
    probe(0x1c, width);                                    /* I/O BAR: always 0 */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x1c, 4), 0);
    probe(0x20, width);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x20, 4), 0);
    /* A probe is never a move; restoring the address is no move either. */
    ck_assert_uint_eq(f.log.n, 0);
    struct vdev_bar_info bi;
    vdev_bar_info(v, 0, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0x123450000ull);
    ck_assert_uint_eq(bi.host_addr, 0x4000000000ull);
    ck_assert_uint_eq(bi.size, 0x4000);
    ck_assert(bi.prefetchable && bi.type == BAR_MEM64 && !bi.mapped);
}
END_TEST

START_TEST(large_64bit_bar_probe)
{
    struct fix g;
    struct memdev big;
    memdev_init(&big, 0x10de, 0x2204, 4096);
    memdev_set_bar(&big, 0, BAR_MEM64, true, 0x8000000000ull, 0x200000000ull);   /* 8 GiB */
    fix_init(&g);
    uint64_t gb[PCI_NUM_RES] = { 0x400000000ull };
    fix_add(&g, &big, 3, 0, gb);
    cfg_wr(&g, 3, 0, 0x10, 4, 0xffffffff);
    cfg_wr(&g, 3, 0, 0x14, 4, 0xffffffff);
    ck_assert_uint_eq(cfg_rd(&g, 3, 0, 0x10, 4), 0x0000000c);
    ck_assert_uint_eq(cfg_rd(&g, 3, 0, 0x14, 4), 0xfffffffe);
    fix_fini(&g);
}
END_TEST

START_TEST(moves_need_the_high_half)
{
    cfg_wr(&f, 1, 0, 0x10, 4, 0x00000000);         /* low half only: no move yet */
    ck_assert_uint_eq(f.log.n, 0);
    cfg_wr(&f, 1, 0, 0x14, 4, 0x2);                /* high half completes it */
    ck_assert_uint_eq(f.log.n, 1);
    ck_assert_int_eq(f.log.ev[0].type, VDEV_EV_BAR_MOVE);
    ck_assert_int_eq(f.log.ev[0].bar, 0);
    ck_assert_uint_eq(f.log.ev[0].old_addr, 0x123450000ull);
    ck_assert_uint_eq(f.log.ev[0].new_addr, 0x200000000ull);
    ck_assert(!f.log.ev[0].mapped);
    cfg_wr(&f, 1, 0, 0x18, 2, 0x2000);             /* 32-bit: low bytes, no move */
    ck_assert_uint_eq(f.log.n, 1);
    cfg_wr(&f, 1, 0, 0x1a, 2, 0x2300);             /* top byte covered: move */
    ck_assert_uint_eq(f.log.n, 2);
    ck_assert_uint_eq(f.log.ev[1].new_addr, 0x23002000);
    cfg_wr(&f, 1, 0, 0x18, 4, 0x23002000);         /* same address: nothing */
    ck_assert_uint_eq(f.log.n, 2);
    cfg_wr(&f, 1, 0, 0x18, 4, 0x23002abc);         /* low bits below the size are 0 */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x18, 4), 0x23002000);
    /* Low half written, then decode on: the pending move completes first. */
    cfg_wr(&f, 1, 0, 0x10, 4, 0x00010000);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    ck_assert_uint_eq(f.log.n, 5);
    ck_assert_int_eq(f.log.ev[2].type, VDEV_EV_BAR_MOVE);
    ck_assert_uint_eq(f.log.ev[2].new_addr, 0x200010000ull);
    ck_assert_int_eq(f.log.ev[3].type, VDEV_EV_BAR_MAP);
    ck_assert_int_eq(f.log.ev[3].bar, 0);
    ck_assert_uint_eq(f.log.ev[3].new_addr, 0x200010000ull);
    ck_assert_int_eq(f.log.ev[4].type, VDEV_EV_BAR_MAP);
    ck_assert_int_eq(f.log.ev[4].bar, 2);
}
END_TEST

START_TEST(map_unmap_and_rom_sequences)
{
    struct vdev_bar_info bi;
    /* Memory only: Bus Master has its own events (test_bus_master.c). */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_MAP), 2);  /* BAR0, BAR2; ROM off */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);                        /* no change: no event */
    ck_assert_uint_eq(f.log.n, 2);
    cfg_wr(&f, 1, 0, 0x30, 1, 0x01);                          /* ROM enable with MEM on */
    ck_assert_uint_eq(f.log.n, 3);
    ck_assert_int_eq(f.log.ev[2].type, VDEV_EV_BAR_MAP);
    ck_assert_int_eq(f.log.ev[2].bar, PCI_ROM_SLOT);
    ck_assert_uint_eq(f.log.ev[2].new_addr, 0x23100000);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x30, 4), 0x23100001);
    /* Moving a mapped BAR: one MOVE with mapped = true. */
    cfg_wr(&f, 1, 0, 0x18, 4, 0x23004000);
    ck_assert_int_eq(f.log.ev[3].type, VDEV_EV_BAR_MOVE);
    ck_assert(f.log.ev[3].mapped);
    vdev_bar_info(v, 2, &bi);
    ck_assert(bi.mapped && bi.guest_addr == 0x23004000);
    /* A probe while mapped is not a move. */
    cfg_wr(&f, 1, 0, 0x18, 4, 0xffffffff);
    ck_assert_uint_eq(f.log.n, 4);
    cfg_wr(&f, 1, 0, 0x18, 4, 0x23004000);
    ck_assert_uint_eq(f.log.n, 4);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0000);                        /* decode off: 3 unmaps */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_UNMAP), 3);
    ck_assert_uint_eq(f.log.n, 7);
    cfg_wr(&f, 1, 0, 0x30, 4, 0x23100000);                    /* ROM off with MEM off */
    ck_assert_uint_eq(f.log.n, 7);
    ck_assert_uint_eq(vdev_command(v), 0x0000);
}
END_TEST

START_TEST(refused_map_leaves_bar_unmapped)
{
    struct vdev_bar_info bi;
    f.log.refuse_map = -EPERM;
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_MAP), 2);
    vdev_bar_info(v, 2, &bi);
    ck_assert(!bi.mapped);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x18, 4), 0x23001000);  /* address reads back */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0x0002);      /* MEM reads back set */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0000);                         /* nothing mapped: no unmap */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_UNMAP), 0);
    f.log.refuse_map = 0;                                      /* retry by toggling */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    vdev_bar_info(v, 2, &bi);
    ck_assert(bi.mapped);
    f.log.refuse_map = -EINVAL;                                /* refused move while mapped */
    cfg_wr(&f, 1, 0, 0x18, 4, 0x90000000);
    vdev_bar_info(v, 2, &bi);
    ck_assert(!bi.mapped);
    ck_assert_uint_eq(bi.guest_addr, 0x90000000);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0000);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_UNMAP), 1); /* only BAR0 was mapped */
}
END_TEST

static Suite *engine_bar_suite(void)
{
    Suite *s = suite_create("engine_bar");
    TCase *tc = tcase_create("bar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, probe_at_width, 0, 3);
    tcase_add_test(tc, large_64bit_bar_probe);
    tcase_add_test(tc, moves_need_the_high_half);
    tcase_add_test(tc, map_unmap_and_rom_sequences);
    tcase_add_test(tc, refused_map_leaves_bar_unmapped);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_bar_suite)
