/* Capabilities: the filtered list, bounded walks over broken host chains,
 * hidden extended capabilities, PM with PME off, MSI, MSI-X and PCIe (FLR). */
#include <errno.h>
#include <string.h>

#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

/* Walk the guest's list as a driver would (bounded); return the IDs seen. */
static unsigned guest_caps(struct fix *f, uint8_t slot, uint8_t ids[], unsigned max)
{
    unsigned n = 0;
    if (!(cfg_rd(f, slot, 0, 0x06, 2) & 0x10))
        return 0;
    for (unsigned ptr = cfg_rd(f, slot, 0, 0x34, 1), guard = 0; ptr && guard < 64; guard++) {
        ck_assert_msg(ptr >= 0x40 && !(ptr & 3), "guest sees pointer 0x%x", ptr);
        ck_assert_uint_lt(n, max);
        ids[n++] = (uint8_t)cfg_rd(f, slot, 0, ptr, 1);
        ptr = cfg_rd(f, slot, 0, ptr + 1, 1);
        ck_assert_uint_lt(guard, 48);
    }
    return n;
}

static bool allowed(uint8_t id)
{
    return id == 0x01 || id == 0x05 || id == 0x10 || id == 0x11;
}

START_TEST(endpoint_list_is_filtered)
{
    struct fix f;
    struct memdev m;
    uint8_t ids[64];
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, NULL);
    ck_assert_uint_eq(guest_caps(&f, 1, ids, 64), 4);
    ck_assert_uint_eq(ids[0], 0x01);
    ck_assert_uint_eq(ids[1], 0x05);
    ck_assert_uint_eq(ids[2], 0x11);
    ck_assert_uint_eq(ids[3], 0x10);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x68, 4), 0);        /* vendor cap body hidden */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x100, 4), 0);       /* extended caps hidden */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x140, 4), 0);
    cfg_wr(&f, 1, 0, 0x51, 1, 0x00);                        /* next pointers are RO */
    cfg_wr(&f, 1, 0, 0x34, 1, 0x68);
    ck_assert_uint_eq(guest_caps(&f, 1, ids, 64), 4);
    fix_fini(&f);
}
END_TEST

/* Broken host chains: loops, pointers below 0x40, misaligned, and caps that
 * repeat.  The walk ends and the guest sees only allowed, unique caps. */
START_TEST(broken_chains_are_cut)
{
    static const uint8_t chains[][8][2] = {   /* {offset, id} ... next = following entry */
        { { 0x40, 0x01 }, { 0x50, 0x05 }, { 0x40, 0 } },               /* loop back */
        { { 0x40, 0x09 }, { 0x40, 0 } },                                /* self loop */
        { { 0x40, 0x05 }, { 0x10, 0 } },                                /* below 0x40 */
        { { 0x40, 0x05 }, { 0x4b, 0x01 }, { 0x60, 0x11 } },             /* misaligned 0x4b */
        { { 0x40, 0x05 }, { 0x50, 0x05 }, { 0x60, 0x05 }, { 0x70, 0x13 } },  /* repeats */
        { { 0xfc, 0x10 } },                                             /* PCIe won't fit */
    };
    static const unsigned expect[] = { 2, 0, 1, 1, 1, 0 };
    for (unsigned c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
        struct fix f;
        struct memdev m;
        uint8_t ids[64];
        memdev_init(&m, 0x1234, 0x5678, 256);
        memdev_set_bar(&m, 0, BAR_MEM32, false, 0xe0000000, 0x1000);
        m.cfg[0x34] = chains[c][0][0];
        for (unsigned i = 0; i < 8 && chains[c][i][0]; i++) {
            uint8_t off = chains[c][i][0];
            if (i && !chains[c][i][1])
                break;                  /* a pointer back to an earlier entry */
            m.cfg[off] = chains[c][i][1];
            m.cfg[off + 1] = i + 1 < 8 ? chains[c][i + 1][0] : 0;
        }
        fix_init(&f);
        fix_add(&f, &m, 1, 0, NULL);
        unsigned n = guest_caps(&f, 1, ids, 64);
        ck_assert_msg(n == expect[c], "chain %u: %u caps kept", c, n);
        for (unsigned i = 0; i < n; i++) {
            ck_assert_msg(allowed(ids[i]), "chain %u: id 0x%x exposed", c, ids[i]);
            for (unsigned j = 0; j < i; j++)
                ck_assert_msg(ids[i] != ids[j], "chain %u: id 0x%x twice", c, ids[i]);
        }
        ck_assert_uint_eq(!!(cfg_rd(&f, 1, 0, 0x06, 2) & 0x10), n > 0);
        fix_fini(&f);
    }
}
END_TEST

START_TEST(extended_chain_loops_and_bounds)
{
    static const uint32_t heads[][2] = {
        { 0x10010001, 0 },             /* next = 0x100: loop onto itself */
        { 0x04010001, 0 },             /* next = 0x040: out of range */
        { 0xffe10001, 0 },             /* next = 0xffe: beyond 0xffc */
        { 0x14010001, 0x10010002 },    /* 0x140 -> 0x100 -> 0x140 ... */
    };
    for (unsigned c = 0; c < 4; c++) {
        struct fix f;
        struct memdev m;
        memdev_init(&m, 0x1234, 0x5678, 4096);
        m.cfg[0x06] = 0;                           /* no legacy caps */
        memdev_set(&m, 0x100, 4, heads[c][0]);
        memdev_set(&m, 0x140, 4, heads[c][1]);
        fix_init(&f);
        fix_add(&f, &m, 1, 0, NULL);
        ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x100, 4), 0);
        ck_assert_uint_le(m.reads, 2 + 960 + 16);  /* the walk is bounded */
        fix_fini(&f);
    }
}
END_TEST

START_TEST(pm_pcie_and_flr)
{
    struct fix f;
    struct memdev m;
    uint64_t gb[PCI_NUM_RES] = { 0x200000000ull, 0, 0x23000000 };
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, 1, 0, gb);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x42, 2), 0x0003);    /* PME_Support reads 0 */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x44, 2), 0x0008);    /* PME_En off, NSR from host */
    cfg_wr(&f, 1, 0, 0x44, 2, 0x8103);                       /* PME_En / PME_Status stay 0 */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x44, 2), 0x000b);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x88, 2), 0x2810);    /* DevCtl from host */
    cfg_wr(&f, 1, 0, 0x88, 2, 0x201f);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x88, 2), 0x201f);
    cfg_wr(&f, 1, 0, 0x90, 2, 0x0043);                       /* LnkCtl emulated */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x90, 2), 0x0043);
    cfg_wr(&f, 1, 0, 0xa8, 2, 0x0400);                       /* DevCtl2 emulated */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0xa8, 2), 0x0400);
    ck_assert_uint_eq(memdev_get(&m, 0x88, 2), 0x2810);      /* host untouched */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x84, 4), 0x10008fc0);
    /* decode on: 2 maps (Bus Master's FLR event: test_bus_master.c) */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    cfg_wr(&f, 1, 0, 0x3c, 1, 0x44);
    f.log.n = 0;
    cfg_wr(&f, 1, 0, 0x89, 1, 0x80 | 0x20);                  /* Initiate FLR */
    ck_assert_uint_eq(f.log.n, 3);
    ck_assert_int_eq(f.log.ev[0].type, VDEV_EV_BAR_UNMAP);
    ck_assert_int_eq(f.log.ev[1].type, VDEV_EV_BAR_UNMAP);
    ck_assert_int_eq(f.log.ev[2].type, VDEV_EV_FLR);
    ck_assert_ptr_eq(f.log.ev[2].vdev, v);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x88, 2), 0x2810);    /* power-on values */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x3c, 1), 5);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x44, 2), 0x0008);
    /* vdev_reset: same power-on result, unmaps, but no FLR event. */
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    cfg_wr(&f, 1, 0, 0x90, 2, 0x0003);
    f.log.n = 0;
    vdev_reset(v);
    ck_assert_uint_eq(f.log.n, 2);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BAR_UNMAP), 2);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x90, 2), 0x0040);
    fix_fini(&f);
}
END_TEST

START_TEST(msi_state_and_limits)
{
    struct fix f;
    struct memdev m;
    struct msi_info mi;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, 1, 0, NULL);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x52, 2), 0x0186);
    cfg_wr(&f, 1, 0, 0x52, 2, 0x0051);                       /* MME 32 > MMC 8: clamped */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x52, 2), 0x01b7);
    cfg_wr(&f, 1, 0, 0x54, 4, 0x08020043);                   /* low 2 bits reserved */
    cfg_wr(&f, 1, 0, 0x58, 4, 0x1);
    cfg_wr(&f, 1, 0, 0x5c, 2, 0x0021);
    cfg_wr(&f, 1, 0, 0x60, 4, 0xffffffff);                   /* only 8 mask bits exist */
    cfg_wr(&f, 1, 0, 0x64, 4, 0xffffffff);                   /* pending is read-only */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x60, 8), 0xff);
    vdev_msi_info(v, &mi);
    ck_assert(mi.present && mi.enabled && mi.is64 && mi.maskable);
    ck_assert_uint_eq(mi.max_vectors, 8);
    ck_assert_uint_eq(mi.vectors, 8);
    ck_assert_uint_eq(mi.address, 0x108020040ull);
    ck_assert_uint_eq(mi.data, 0x21);
    ck_assert_uint_eq(mi.mask, 0xff);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_MSI), 5);
    cfg_wr(&f, 1, 0, 0x5c, 2, 0x0021);                       /* unchanged: no event */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_MSI), 5);
    ck_assert_uint_eq(memdev_get(&m, 0x54, 4), 0);           /* never reached the host */
    ck_assert_int_eq(vdev_msi_set_pending(v, 0xffff0102), 0);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x64, 4), 0x02);
    fix_fini(&f);

    /* A 32-bit, single-vector MSI without masking. */
    memdev_init(&m, 0x1234, 0x1, 256);
    memdev_add_cap(&m, 0x40, 0x05);
    fix_init(&f);
    v = fix_add(&f, &m, 1, 0, NULL);
    cfg_wr(&f, 1, 0, 0x42, 2, 0x0071);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x42, 2), 0x0001);
    cfg_wr(&f, 1, 0, 0x48, 2, 0xbeef);
    cfg_wr(&f, 1, 0, 0x4c, 4, 0xffffffff);                   /* no mask register */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x4c, 4), 0);
    vdev_msi_info(v, &mi);
    ck_assert(mi.present && !mi.is64 && !mi.maskable && mi.max_vectors == 1 && mi.data == 0xbeef);
    ck_assert_int_eq(vdev_msi_set_pending(v, 1), -ENODEV);
    fix_fini(&f);
}
END_TEST

START_TEST(msix_info_and_control)
{
    struct fix f;
    struct memdev m;
    struct msix_info xi;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, 1, 0, NULL);
    vdev_msix_info(v, &xi);
    ck_assert(xi.present && !xi.enabled && !xi.masked);
    ck_assert_uint_eq(xi.nr_entries, 16);
    ck_assert_int_eq(xi.table_bar, 2);
    ck_assert_uint_eq(xi.table_offset, 0);
    ck_assert_uint_eq(xi.table_size, 256);
    ck_assert_int_eq(xi.pba_bar, 2);
    ck_assert_uint_eq(xi.pba_offset, 0x800);
    ck_assert_uint_eq(xi.pba_size, 8);
    cfg_wr(&f, 1, 0, 0x72, 2, 0xffff);                       /* size RO, 13:11 reserved */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x72, 2), 0xc00f);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_MSIX), 1);
    vdev_msix_info(v, &xi);
    ck_assert(xi.enabled && xi.masked);
    cfg_wr(&f, 1, 0, 0x73, 1, 0x80);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_MSIX), 2);
    cfg_wr(&f, 1, 0, 0x74, 4, 0);                            /* location RO */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x74, 4), 2);
    fix_fini(&f);

    memset(&m, 0, sizeof(m));
    memdev_endpoint(&m);
    memdev_set(&m, 0x74, 4, 0x00000004);                     /* BIR 4: no such BAR */
    fix_init(&f);
    v = fix_add(&f, &m, 1, 0, NULL);
    vdev_msix_info(v, &xi);
    ck_assert(!xi.present);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x71, 1), 0);         /* hidden: not in the list */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x51, 1), 0x80);
    fix_fini(&f);
}
END_TEST

static Suite *engine_caps_suite(void)
{
    Suite *s = suite_create("engine_caps");
    TCase *tc = tcase_create("caps");
    tcase_add_test(tc, endpoint_list_is_filtered);
    tcase_add_test(tc, broken_chains_are_cut);
    tcase_add_test(tc, extended_chain_loops_and_bounds);
    tcase_add_test(tc, pm_pcie_and_flr);
    tcase_add_test(tc, msi_state_and_limits);
    tcase_add_test(tc, msix_info_and_control);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_caps_suite)
