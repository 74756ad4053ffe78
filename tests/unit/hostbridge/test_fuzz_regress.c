/* Regression tests for what the fuzz harnesses (tests/fuzz/,
 * docs/testing/fuzz.md "Found and fixed") found in production code. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/host/hostpci.h"
#include "tests/support/sysfs_tree.h"

#include "tests/support/engine_fx.h"
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

/* F1 (fuzz_cfg): a BAR whose move the service refused (left unmapped) came
 * back mapped after save/restore, because restore counted every BAR with
 * decode on as mapped.  The state now records which BARs are mapped. */
START_TEST(refused_bar_stays_unmapped_across_restore)
{
    static const uint64_t gbar[PCI_NUM_RES] = { 0x100000000ull, 0, 0x23001000, 0, 0, 0, 0 };
    struct fix a, b;
    struct memdev m;
    struct vdev_state st;
    struct vdev_bar_info bi;

    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&a);
    fix_init(&b);
    struct vdev *va = fix_add(&a, &m, 1, 0, gbar);
    struct vdev *vb = fix_add(&b, &m, 1, 0, gbar);
    cfg_wr(&a, 1, 0, 0x04, 2, 0x0002);                 /* decode on: both BARs mapped */
    a.log.refuse_map = -EPERM;
    cfg_wr(&a, 1, 0, 0x18, 4, 0x40000000);             /* move BAR 2: refused */
    vdev_bar_info(va, 2, &bi);
    ck_assert(!bi.mapped);
    vdev_bar_info(va, 0, &bi);
    ck_assert(bi.mapped);
    vdev_save_state(va, &st);
    ck_assert_uint_eq(st.bars_mapped, 1u << 0);
    vdev_restore_state(vb, &st);
    vdev_bar_info(vb, 2, &bi);
    ck_assert_msg(!bi.mapped, "refused BAR 2 restored as mapped");
    ck_assert_uint_eq(bi.guest_addr, 0x40000000);
    vdev_bar_info(vb, 0, &bi);
    ck_assert(bi.mapped);
    fix_fini(&a);
    fix_fini(&b);
}
END_TEST

/* F3 (fuzz_cfg): Cache Line Size and Latency Timer (emulated RW) were not
 * in struct vdev_state, so a restarted daemon reset them under the guest. */
START_TEST(cache_line_and_latency_survive_restore)
{
    struct fix a, b;
    struct memdev m;
    struct vdev_state st;

    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&a);
    fix_init(&b);
    struct vdev *va = fix_add(&a, &m, 1, 0, NULL);
    struct vdev *vb = fix_add(&b, &m, 1, 0, NULL);
    cfg_wr(&a, 1, 0, 0x0c, 2, 0x1610);
    vdev_save_state(va, &st);
    ck_assert_uint_eq(st.cache_line, 0x10);
    ck_assert_uint_eq(st.latency_timer, 0x16);
    vdev_restore_state(vb, &st);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x0c, 4), cfg_rd(&a, 1, 0, 0x0c, 4));
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x0c, 2), 0x1610);
    fix_fini(&a);
    fix_fini(&b);
}
END_TEST

/* F6: MSI Pending bits the service set were not in struct vdev_state, so
 * a restarted daemon forgot vectors that fired while masked. */
START_TEST(msi_pending_survives_restore)
{
    struct fix a, b;
    struct memdev m;
    struct vdev_state st;

    memdev_endpoint(&m);                     /* MSI64 + per-vector mask at 0x50, 8 vectors */
    m.forbid_writes = true;
    fix_init(&a);
    fix_init(&b);
    struct vdev *va = fix_add(&a, &m, 1, 0, NULL);
    struct vdev *vb = fix_add(&b, &m, 1, 0, NULL);
    ck_assert_int_eq(vdev_msi_set_pending(va, 0xffffff05), 0);
    ck_assert_uint_eq(cfg_rd(&a, 1, 0, 0x64, 4), 0x05);   /* only the 8 vectors */
    vdev_save_state(va, &st);
    ck_assert_uint_eq(st.msi_pending, 0x05);
    vdev_restore_state(vb, &st);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x64, 4), 0x05);
    st.msi_pending = 0xffffffff;             /* bits of vectors it lacks are dropped */
    vdev_restore_state(vb, &st);
    ck_assert_uint_eq(cfg_rd(&b, 1, 0, 0x64, 4), 0xff);
    fix_fini(&a);
    fix_fini(&b);
}
END_TEST

/* F9 (fuzz_cfg): a mapped 64-bit BAR whose low dword alone was rewritten
 * was saved at the half-written address; restore then called it mapped
 * there, while the p2m still held the old address. */
START_TEST(half_written_move_of_mapped_bar_restores_where_mapped)
{
    static const uint64_t gbar[PCI_NUM_RES] = { 0x100000000ull, 0, 0x23001000, 0, 0, 0, 0 };
    struct fix a, b;
    struct memdev m;
    struct vdev_state st;
    struct vdev_bar_info bi;

    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&a);
    fix_init(&b);
    struct vdev *va = fix_add(&a, &m, 1, 0, gbar);
    struct vdev *vb = fix_add(&b, &m, 1, 0, gbar);
    cfg_wr(&a, 1, 0, 0x04, 2, 0x0002);                 /* BAR 0 mapped at 4 GiB */
    cfg_wr(&a, 1, 0, 0x10, 4, 0x40000000);             /* low dword only: no move yet */
    vdev_bar_info(va, 0, &bi);
    ck_assert(bi.mapped && bi.guest_addr == 0x100000000ull);
    vdev_save_state(va, &st);
    ck_assert_uint_eq(st.guest_bar[0], 0x100000000ull);
    vdev_restore_state(vb, &st);
    vdev_bar_info(vb, 0, &bi);
    ck_assert(bi.mapped);
    ck_assert_uint_eq(bi.guest_addr, 0x100000000ull);
    fix_fini(&a);
    fix_fini(&b);
}
END_TEST

static unsigned open_fds(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* F8 (fuzz_sysfs): a malformed `resource` line is a fatal error inside
 * libpci, raised while libpci holds the file open; the longjmp out of it
 * leaked a FILE and a descriptor per hostpci_open.  Now the file is
 * checked first: a clean error naming the line, nothing leaked. */
START_TEST(bad_resource_file_leaks_nothing)
{
    static const char *const bad[] = {
        "garbage\n", "0x0 0x0\n", "0x1 0x2 0x3\n0x1 zz 0x3\n",
        /* a bad 15th line: libpci reads every line */
        "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
        "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
        "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0?0x0\n",
        "0x0000000000000000 0x0000000000000000 0x0000000000000000 and then a very long tail "
        "................................................................................"
        "................................................................................\n",
    };
    struct tree_opts o = { .driver = NULL, .reset_method = "flr" };
    struct sbdf s = { 0, 1, 0, 0 };
    char dir[64], src[300], err[512], path[400];

    ck_assert_int_eq(sysfs_tree_mkdtemp(dir, sizeof(dir)), 0);
    ck_assert_int_eq(sysfs_tree_from_dump(dir, test_src_path("tests/data/dumps/cap-pcie-2", src,
                                                             sizeof(src)), &o, err, sizeof(err)),
                     0);
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/resource", dir);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        fputs(bad[i], fp);
        fclose(fp);
        unsigned before = open_fds();
        for (int k = 0; k < 20; k++) {
            struct hostpci *hp;
            ck_assert_int_eq(hostpci_open(dir, &s, &hp, err, sizeof(err)), -EINVAL);
            ck_assert_ptr_null(hp);
        }
        ck_assert_msg(strstr(err, "resource line") && strstr(err, "0000:01:00.0: cannot read it"),
                      "%s", err);
        ck_assert_uint_eq(open_fds(), before);
    }
    sysfs_tree_remove(dir);
}
END_TEST

/* F10 (fuzz_cfg, found by CI's fuzz-smoke): a restored state (xenstore, so
 * hostile) or a plan could give a 32-bit BAR or the ROM an address above
 * 4 GiB; the upper bits stayed, and the next move of that BAR asked the
 * service to map a 32-bit BAR above 4 GiB.  Such addresses are cut to the 32
 * bits the BAR decodes. */
START_TEST(narrow_bar_never_above_4g)
{
    static const uint64_t gbar[PCI_NUM_RES] = { 0x100000000ull, 0, 0x523001000ull, 0, 0, 0,
                                                0x7fff23100000ull };
    struct fix f;
    struct memdev m;
    struct vdev_state st;
    struct vdev_bar_info bi;

    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, 1, 0, gbar);
    vdev_bar_info(v, 2, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0x23001000);
    vdev_bar_info(v, PCI_ROM_SLOT, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0x23100000);
    vdev_save_state(v, &st);
    st.guest_bar[0] = 0xabc00000000ull;          /* a 64-bit BAR keeps its upper half */
    st.guest_bar[2] = 0xffffffff23002000ull;
    st.guest_bar[PCI_ROM_SLOT] = 0x100000000ull | 0x23200000;
    vdev_restore_state(v, &st);
    vdev_bar_info(v, 0, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0xabc00000000ull);
    vdev_bar_info(v, 2, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0x23002000);
    vdev_bar_info(v, PCI_ROM_SLOT, &bi);
    ck_assert_uint_eq(bi.guest_addr, 0x23200000);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);           /* decode on, then move BAR 2 and the ROM */
    cfg_wr(&f, 1, 0, 0x18, 4, 0x40000000);
    cfg_wr(&f, 1, 0, 0x30, 4, 0x40100001);
    ck_assert_uint_ge(f.log.n, 4);
    for (unsigned i = 0; i < f.log.n; i++) {
        const struct vdev_event *ev = &f.log.ev[i];
        if (ev->bar == 2 || ev->bar == PCI_ROM_SLOT)
            ck_assert_msg(!((ev->old_addr | ev->new_addr) >> 32),
                          "event %u: BAR %d 0x%llx -> 0x%llx", i, ev->bar,
                          (unsigned long long)ev->old_addr, (unsigned long long)ev->new_addr);
    }
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x18, 4), 0x40000000);
    fix_fini(&f);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("found");
    tcase_add_test(tc, bad_size_all_ones_same_on_every_path);
    tcase_add_test(tc, refused_bar_stays_unmapped_across_restore);
    tcase_add_test(tc, cache_line_and_latency_survive_restore);
    tcase_add_test(tc, msi_pending_survives_restore);
    tcase_add_test(tc, bad_resource_file_leaks_nothing);
    tcase_add_test(tc, half_written_move_of_mapped_bar_restores_where_mapped);
    tcase_add_test(tc, narrow_bar_never_above_4g);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(fuzz_regress_suite)
