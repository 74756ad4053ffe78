/* The simulated guest's assignment and enabling on the fake ECAM bus:
 * addresses in the right window, naturally aligned, non-overlapping and
 * written to the BARs; decode off while sizing and around 64-bit writes;
 * decode + bus master + MSI at the end; firmware addresses kept when asked;
 * the lspci -vv-like listing. */
#include <stdlib.h>
#include <string.h>

#include "tests/support/guest_enum_util.h"
#include "tests/support/testreg.h"

static bool in_window(const struct guest_window *w, const struct guest_bar *b)
{
    return b->addr >= w->base && b->addr + b->size <= w->base + w->size;
}

static uint64_t bar_reg_addr(const struct fake_fn *f, unsigned i, const struct guest_bar *b)
{
    if (b->kind == GUEST_BAR_ROM)
        return fake_fn_get(f, 0x30, 4) & 0xfffff800u;
    return (fake_fn_get(f, 0x10 + 4 * i, 4) & 0xfffffff0u) |
           (b->is64 ? (uint64_t)fake_fn_get(f, 0x14 + 4 * i, 4) << 32 : 0);
}

START_TEST(addresses_windowed_aligned_disjoint_written)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    const struct guest_bar *all[64];
    unsigned n = 0;

    ck_assert_uint_eq(r->unassigned, 0);
    for (unsigned f = 0; f < r->nfuncs; f++) {
        const struct guest_func *fn = &r->funcs[f];
        struct fake_fn *ff = fake_ecam_find(fe, fn->bdf.bus, fn->bdf.dev, fn->bdf.fn);
        for (unsigned i = 0; i <= GUEST_ENUM_ROM; i++) {
            const struct guest_bar *b = &fn->res[i];
            if (b->kind != GUEST_BAR_MEM && b->kind != GUEST_BAR_ROM)
                continue;
            ck_assert(b->assigned);
            ck_assert(!b->readback_bad);
            ck_assert_uint_eq(b->addr % b->size, 0);
            if (b->is64 && b->prefetch)
                ck_assert(in_window(&cfg.pref64, b));
            else
                ck_assert(in_window(&cfg.mem32, b));
            ck_assert_uint_eq(bar_reg_addr(ff, i, b), b->addr);
            all[n++] = b;
        }
    }
    ck_assert_uint_eq(n, 9);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            ck_assert(all[i]->addr + all[i]->size <= all[j]->addr ||
                      all[j]->addr + all[j]->size <= all[i]->addr);
    /* Largest alignment first, bottom-up: the 1 MiB BAR opens the MEM window. */
    ck_assert_uint_eq(get_func(r, 0, 0, 0)->res[0].addr, 0x23000000);
    ck_assert_uint_eq(get_func(r, 0, 0, 0)->res[2].addr, 0x100000000ull);
    /* The ROM's enable bit stays clear. */
    ck_assert_uint_eq(fake_fn_get(fake_ecam_find(fe, 0, 0, 0), 0x30, 4) & 1, 0);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(decode_off_while_sizing_and_64bit_writes)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);   /* 00.0 starts with Mem on */

    ck_assert_uint_eq(fe->probes_decoding, 0);
    ck_assert_uint_eq(fe->bar64_writes_decoding, 0);
    free(r);
    /* The fake does notice such writes. */
    ck_assert_int_eq(fake_ecam_ops.write(fe, 0x10000010, 4, 0xffffffffu), 0);
    ck_assert_int_eq(fake_ecam_ops.write(fe, 0x10000018, 4, 0), 0);
    ck_assert_uint_eq(fe->probes_decoding, 1);
    ck_assert_uint_eq(fe->bar64_writes_decoding, 1);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(decode_master_msi_enabled)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    struct fake_fn *d0 = fake_ecam_find(fe, 0, 0, 0), *d2 = fake_ecam_find(fe, 0, 2, 0);
    struct fake_fn *d7 = fake_ecam_find(fe, 0, 7, 0);

    for (unsigned f = 0; f < r->nfuncs; f++) {
        const struct guest_func *fn = &r->funcs[f];
        uint16_t cmd = fake_fn_get(fake_ecam_find(fe, fn->bdf.bus, fn->bdf.dev, fn->bdf.fn), 4, 2);
        ck_assert_uint_eq(cmd, fn->command);
        ck_assert(cmd & 0x4);
    }
    ck_assert_uint_eq(fake_fn_get(d0, 4, 2), 0x0406);   /* Mem, Master, INTx off */
    ck_assert_uint_eq(fake_fn_get(d7, 4, 2), 0x0004);   /* no BARs: no Mem */
    /* 64-bit MSI at 0x50: address, upper address, data, enable, 1 vector. */
    ck_assert_uint_eq(fake_fn_get(d0, 0x54, 4), 0x08090040);
    ck_assert_uint_eq(fake_fn_get(d0, 0x58, 4), 0);
    ck_assert_uint_eq(fake_fn_get(d0, 0x5c, 2), 0x20);
    ck_assert_uint_eq(fake_fn_get(d0, 0x52, 2) & 0x71, 0x01);
    ck_assert_uint_eq(fake_fn_get(d0, 0x60, 4), 0);     /* vector 0 unmasked */
    /* 32-bit MSI at 0x60 of 02.0: data right after the address. */
    ck_assert_uint_eq(fake_fn_get(d2, 0x64, 4), 0x08090040);
    ck_assert_uint_eq(fake_fn_get(d2, 0x68, 2), 0x21);
    ck_assert_uint_eq(fake_fn_get(d2, 0x62, 2) & 1, 1);
    ck_assert(get_func(r, 0, 0, 0)->msi_enabled && get_func(r, 0, 2, 0)->msi_enabled);
    ck_assert_uint_eq(get_func(r, 0, 0, 0)->msi_addr, 0x08090040);
    ck_assert(!get_func(r, 0, 0, 0)->msix_enabled);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(flags_off_leave_msi_and_master)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct guest_enum_result *r;

    fake_ecam_typical(fe);
    cfg.flags = GUEST_ENUM_REASSIGN;
    r = get_run(fe, &cfg);
    ck_assert_uint_eq(fake_fn_get(fake_ecam_find(fe, 0, 0, 0), 4, 2), 0x0002);
    ck_assert_uint_eq(fake_fn_get(fake_ecam_find(fe, 0, 0, 0), 0x52, 2) & 1, 0);
    ck_assert(!r->funcs[0].msi_enabled);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(firmware_addresses_kept)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct guest_enum_result *r;

    fake_ecam_typical(fe);
    /* 05.0's firmware address lies outside every window: moved. */
    fake_fn_bar(fake_ecam_find(fe, 0, 5, 0), 0, 4 << 10, 0, 0x40000000);
    cfg.flags &= ~(unsigned)GUEST_ENUM_REASSIGN;
    r = get_run(fe, &cfg);
    ck_assert_uint_eq(get_func(r, 0, 0, 0)->res[0].addr, 0x23400000);
    ck_assert_uint_ne(get_func(r, 0, 2, 0)->res[0].addr, 0x23400000);
    ck_assert_uint_ge(get_func(r, 0, 5, 0)->res[0].addr, 0x23000000);
    ck_assert_uint_lt(get_func(r, 0, 5, 0)->res[0].addr, 0x33000000);
    ck_assert_uint_eq(fake_fn_get(fake_ecam_find(fe, 0, 5, 0), 0x10, 4),
                      get_func(r, 0, 5, 0)->res[0].addr);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(small_window_leaves_decode_off)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct guest_enum_result *r;

    fake_ecam_typical(fe);
    cfg.mem32.size = 1 << 20;      /* room for 00.0's BAR0 only */
    cfg.pref64.size = 0;           /* the 16M prefetchable BAR has nowhere to go */
    r = get_run(fe, &cfg);
    ck_assert_uint_gt(r->unassigned, 0);
    ck_assert(!get_func(r, 0, 0, 0)->res[2].assigned);
    /* 02.0's BARs found no room: its decode stays off (as Linux's
     * pci_enable_resources refuses), while bus master is still set. */
    ck_assert(!get_func(r, 0, 2, 0)->res[0].assigned);
    ck_assert_uint_eq(fake_fn_get(fake_ecam_find(fe, 0, 2, 0), 4, 2) & 6, 4);
    ck_assert_uint_eq(get_func(r, 0, 2, 0)->command & 2, 0);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(listing_reads_like_lspci)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    guest_enum_print(f, r);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "00:00.0 Class 00ff: Device 1234:11e8 (rev 10)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tRegion 0: Memory at 23000000 (32-bit, non-prefetchable) [size=1M]\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tRegion 2: Memory at 100000000 (64-bit, prefetchable) [size=16M]\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tCapabilities: [50] MSI: Enable+ Count=1/4 Maskable+ 64bit+\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tCapabilities: [b0] MSI-X: Enable- Count=8 Masked-\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tCapabilities: [100 v2] Advanced Error Reporting\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tRegion 1: I/O ports at <unassigned> [size=32]\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\tCapabilities: <chain looped or too long>\n"));
    ck_assert_ptr_nonnull(strstr(buf, "Config accesses: "));
    free(buf);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

/* Linux before 6.14 reads Command and toggles decode around each BAR: same
 * findings, decode still off for every probe, one more Command read per
 * BAR slot sized (and two more writes where firmware left decode on). */
START_TEST(per_bar_decode_mode)
{
    struct fake_ecam *fa = fake_ecam_new(0x10000000, 0, 1), *fb = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct guest_enum_result *a, *b;
    uint64_t extra_reads = 0, extra_writes = 0;
    uint16_t fw_cmd[FAKE_ECAM_MAX_FNS];

    fake_ecam_typical(fa);
    fake_ecam_typical(fb);
    for (unsigned i = 0; i < fa->nfns; i++)
        fw_cmd[i] = fake_fn_get(&fa->fns[i], 4, 2);   /* as firmware left it */
    a = get_run(fa, &cfg);
    cfg.flags |= GUEST_ENUM_PER_BAR_DECODE;
    b = get_run(fb, &cfg);
    ck_assert(guest_enum_result_equal(a, b));
    ck_assert_uint_eq(fb->probes_decoding, 0);
    for (unsigned f = 0; f < a->nfuncs; f++) {
        unsigned sized = 6 + 1;                        /* six BAR slots and the ROM */
        for (unsigned i = 0; i < GUEST_ENUM_NBARS; i++)
            sized -= a->funcs[f].res[i].is64;          /* a pair is sized at once */
        extra_reads += sized - 1;
        if (fw_cmd[fake_ecam_find(fa, 0, a->funcs[f].bdf.dev, a->funcs[f].bdf.fn) - fa->fns] & 2)
            extra_writes += 2 * (sized - 1);
    }
    ck_assert_uint_gt(extra_writes, 0);
    ck_assert_uint_eq(b->cfg_reads - a->cfg_reads, extra_reads);
    ck_assert_uint_eq(b->cfg_writes - a->cfg_writes, extra_writes);
    free(a);
    free(b);
    fake_ecam_free(fa);
    fake_ecam_free(fb);
}
END_TEST

static Suite *guest_enum_assign_suite(void)
{
    Suite *s = suite_create("guest_enum_assign");
    TCase *tc = tcase_create("assign");

    tcase_add_test(tc, addresses_windowed_aligned_disjoint_written);
    tcase_add_test(tc, decode_off_while_sizing_and_64bit_writes);
    tcase_add_test(tc, decode_master_msi_enabled);
    tcase_add_test(tc, flags_off_leave_msi_and_master);
    tcase_add_test(tc, firmware_addresses_kept);
    tcase_add_test(tc, small_window_leaves_decode_off);
    tcase_add_test(tc, listing_reads_like_lspci);
    tcase_add_test(tc, per_bar_decode_mode);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_enum_assign_suite)
