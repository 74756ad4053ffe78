/* The simulated guest on the fake ECAM bus: what it finds (functions,
 * multi-function slots, absent slots), BAR sizes, capability walks (also
 * looping ones), and the access counts. */
#include <errno.h>
#include <stdlib.h>

#include "tests/support/guest_enum_util.h"
#include "tests/support/testreg.h"

START_TEST(finds_functions_in_order)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    static const uint8_t want[][2] = { { 0, 0 }, { 2, 0 }, { 2, 1 }, { 2, 3 }, { 5, 0 }, { 7, 0 } };

    ck_assert_uint_eq(r->nfuncs, 6);
    ck_assert(!r->funcs_truncated);
    for (unsigned i = 0; i < 6; i++) {
        ck_assert_uint_eq(r->funcs[i].bdf.bus, 0);
        ck_assert_uint_eq(r->funcs[i].bdf.dev, want[i][0]);
        ck_assert_uint_eq(r->funcs[i].bdf.fn, want[i][1]);
    }
    ck_assert_uint_eq(r->funcs[0].vendor, 0x1234);
    ck_assert_uint_eq(r->funcs[0].device, 0x11e8);
    ck_assert_uint_eq(r->funcs[0].class_code, 0x00ff00);
    ck_assert_uint_eq(r->funcs[0].rev, 0x10);
    ck_assert_uint_eq(r->funcs[0].subsys_vendor, 0x1af4);
    ck_assert_uint_eq(r->funcs[0].subsys_id, 0x1100);
    ck_assert_uint_eq(r->funcs[0].irq_pin, 1);
    ck_assert_uint_eq(r->funcs[3].class_code, 0x010802);
    ck_assert_uint_eq(r->funcs[3].device, 0x10d5);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(multifunction_and_absent)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);

    ck_assert(get_func(r, 0, 2, 0)->multifunction);
    ck_assert(!get_func(r, 0, 0, 0)->multifunction);
    ck_assert_ptr_null(get_func(r, 0, 2, 2));    /* hole in a multi-function slot */
    ck_assert_ptr_nonnull(get_func(r, 0, 2, 3)); /* found past the hole */
    ck_assert_ptr_null(get_func(r, 0, 5, 1));    /* single-function slot: never scanned */
    ck_assert_ptr_null(get_func(r, 0, 1, 0));
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(bar_sizes_32_64_io_rom)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    const struct guest_func *d0 = get_func(r, 0, 0, 0), *d2 = get_func(r, 0, 2, 0);
    const struct guest_func *d21 = get_func(r, 0, 2, 1);

    ck_assert_int_eq(d0->res[0].kind, GUEST_BAR_MEM);
    ck_assert_uint_eq(d0->res[0].size, 1 << 20);
    ck_assert(!d0->res[0].is64 && !d0->res[0].prefetch);
    ck_assert_int_eq(d0->res[1].kind, GUEST_BAR_NONE);
    ck_assert_int_eq(d0->res[2].kind, GUEST_BAR_MEM);
    ck_assert_uint_eq(d0->res[2].size, 16 << 20);
    ck_assert(d0->res[2].is64 && d0->res[2].prefetch);
    ck_assert_int_eq(d0->res[3].kind, GUEST_BAR_NONE); /* upper half of the pair */
    ck_assert_int_eq(d0->res[GUEST_ENUM_ROM].kind, GUEST_BAR_ROM);
    ck_assert_uint_eq(d0->res[GUEST_ENUM_ROM].size, 64 << 10);
    ck_assert_int_eq(d2->res[1].kind, GUEST_BAR_IO);
    ck_assert_uint_eq(d2->res[1].size, 32);
    ck_assert(!d2->res[1].assigned);                    /* no I/O window on Arm */
    ck_assert(d2->res[2].is64 && !d2->res[2].prefetch);
    ck_assert_uint_eq(d2->res[2].size, 16 << 10);
    ck_assert_int_eq(d2->res[GUEST_ENUM_ROM].kind, GUEST_BAR_NONE);
    ck_assert(!d21->res[1].is64 && d21->res[1].prefetch);
    ck_assert_uint_eq(d21->res[1].size, 8 << 10);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(bar_over_4g_size)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct fake_fn *f = fake_fn_add(fe, 0, 3, 0, 0x1234, 0x5678, 0x030000, 0);
    struct guest_enum_result *r;

    fake_fn_bar(f, 0, 8ull << 30, FAKE_BAR_64 | FAKE_BAR_PREF, 0);
    cfg.pref64.size = 16ull << 30;
    r = get_run(fe, &cfg);
    ck_assert_uint_eq(r->funcs[0].res[0].size, 8ull << 30);
    ck_assert(r->funcs[0].res[0].assigned);
    ck_assert_uint_eq(r->funcs[0].res[0].addr, 8ull << 30);  /* aligned inside 4G..20G */
    ck_assert_uint_eq(fake_fn_get(f, 0x14, 4), 2);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(capabilities_walked)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    const struct guest_func *d0 = get_func(r, 0, 0, 0);
    static const uint16_t ids[] = { 0x01, 0x05, 0x10, 0x11 }, offs[] = { 0x40, 0x50, 0x70, 0xb0 };

    ck_assert_uint_eq(d0->ncaps, 4);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_uint_eq(d0->caps[i].id, ids[i]);
        ck_assert_uint_eq(d0->caps[i].off, offs[i]);
    }
    ck_assert_uint_eq(d0->next, 2);
    ck_assert_uint_eq(d0->ext[0].id, 0x0001);
    ck_assert_uint_eq(d0->ext[0].version, 2);
    ck_assert_uint_eq(d0->ext[1].id, 0x0003);
    ck_assert_uint_eq(d0->ext[1].off, 0x148);
    ck_assert_uint_eq(d0->pm_version, 3);
    ck_assert_uint_eq(d0->pcie_type, 0);
    ck_assert(d0->msi_64 && d0->msi_maskable);
    ck_assert_uint_eq(d0->msi_vectors, 4);
    ck_assert_uint_eq(d0->msix_table_size, 8);
    ck_assert_uint_eq(d0->msix_pba_off, 0x81000);
    ck_assert(!d0->caps_truncated && !d0->ext_truncated);
    /* 02.0 is not PCIe: no extended walk; 02.1 has no list at all. */
    ck_assert_uint_eq(get_func(r, 0, 2, 0)->next, 0);
    ck_assert_uint_eq(get_func(r, 0, 2, 0)->pcie_type, 0xff);
    ck_assert_uint_eq(get_func(r, 0, 2, 1)->ncaps, 0);
    ck_assert_uint_eq(get_func(r, 0, 2, 3)->ext[0].id, 0x000e);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(looping_lists_terminate)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    const struct guest_func *d7 = get_func(r, 0, 7, 0);

    ck_assert_ptr_nonnull(d7);
    ck_assert(d7->caps_truncated);
    ck_assert_uint_eq(d7->ncaps, GUEST_ENUM_MAX_CAPS);
    ck_assert_uint_eq(d7->caps[2].off, 0x40);
    ck_assert(d7->ext_truncated);
    ck_assert_uint_eq(d7->next, GUEST_ENUM_MAX_EXT);
    ck_assert_uint_eq(d7->ext[1].off, 0x200);
    ck_assert_uint_eq(d7->ext[2].off, 0x100);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(accesses_counted)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);

    ck_assert_uint_gt(r->cfg_reads, 32);
    ck_assert_uint_gt(r->cfg_writes, 0);
    ck_assert_uint_eq(r->cfg_reads, fe->reads);
    ck_assert_uint_eq(r->cfg_writes, fe->writes);
    ck_assert_uint_eq(r->aborts, 0);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(aborts_counted_not_fatal)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 1);  /* bus 1: nothing decodes */
    struct guest_enum_result *r;

    fake_ecam_standard(fe);
    r = get_run(fe, &cfg);
    ck_assert_uint_eq(r->nfuncs, 6);
    ck_assert_uint_eq(r->aborts, 32);
    ck_assert_uint_eq(r->aborts, fe->aborts);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(bad_config_refused)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(1, 0);
    struct guest_enum_result *r = malloc(sizeof(*r));
    struct guest_bus_ops half = { .read = fake_ecam_ops.read };

    ck_assert_int_eq(guest_enumerate(&fake_ecam_ops, fe, &cfg, r), -EINVAL);
    cfg = fake_ecam_config(0, 0);
    cfg.pref64 = (struct guest_window){ 0x2f000000, 0x2000000 };  /* overlaps MEM */
    ck_assert_int_eq(guest_enumerate(&fake_ecam_ops, fe, &cfg, r), -EINVAL);
    cfg = fake_ecam_config(0, 0);
    cfg.mem32 = (struct guest_window){ 0xff000000, 0x2000000 };   /* crosses 4G */
    ck_assert_int_eq(guest_enumerate(&fake_ecam_ops, fe, &cfg, r), -EINVAL);
    cfg = fake_ecam_config(0, 0);
    ck_assert_int_eq(guest_enumerate(&half, fe, &cfg, r), -EINVAL);
    ck_assert_int_eq(guest_enumerate(NULL, fe, &cfg, r), -EINVAL);
    ck_assert_int_eq(guest_enumerate(&fake_ecam_ops, fe, &cfg, NULL), -EINVAL);
    ck_assert_uint_eq(fe->reads + fe->writes, 0);
    free(r);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(dump_config_reads_whole_space)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    struct sbdf d0 = { 0, 0, 0, 0 }, absent = { 0, 0, 9, 0 }, beyond = { 0, 1, 0, 0 };
    uint8_t *img = malloc(4096);

    fake_ecam_standard(fe);
    ck_assert_int_eq(guest_enum_dump_config(&fake_ecam_ops, fe, &cfg, &d0, img), 0);
    ck_assert_mem_eq(img, fake_ecam_find(fe, 0, 0, 0)->cfg, 4096);
    ck_assert_uint_eq(fe->reads, 1024);
    ck_assert_int_eq(guest_enum_dump_config(&fake_ecam_ops, fe, &cfg, &absent, img), 0);
    for (unsigned i = 0; i < 4096; i++)
        ck_assert_uint_eq(img[i], 0xff);
    ck_assert_int_eq(guest_enum_dump_config(&fake_ecam_ops, fe, &cfg, &beyond, img), -EINVAL);
    free(img);
    fake_ecam_free(fe);
}
END_TEST

/* A bus answering every load with noise and aborting every store: the
 * enumeration still ends (bounded walks, bounded table) without a crash. */
static int noise_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    uint64_t *state = ctx;

    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    *val = (*state >> 33) ^ gpa;
    return 0;
}

static int abort_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    return -EIO;
}

START_TEST(noise_bus_terminates)
{
    const struct guest_bus_ops noise = { .read = noise_read, .write = abort_write };
    struct guest_enum_config cfg = fake_ecam_config(0, 1);
    struct guest_enum_result *r = malloc(sizeof(*r));
    uint64_t state = 1;

    cfg.flags &= ~(unsigned)GUEST_ENUM_REASSIGN;
    ck_assert_int_eq(guest_enumerate(&noise, &state, &cfg, r), 0);
    ck_assert_uint_eq(r->nfuncs, GUEST_ENUM_MAX_FUNCS);
    ck_assert(r->funcs_truncated);
    ck_assert_uint_eq(r->aborts, r->cfg_writes);
    ck_assert_uint_gt(r->cfg_writes, 0);
    for (unsigned i = 0; i < r->nfuncs; i++) {
        ck_assert_uint_le(r->funcs[i].ncaps, GUEST_ENUM_MAX_CAPS);
        ck_assert_uint_le(r->funcs[i].next, GUEST_ENUM_MAX_EXT);
    }
    free(r);
}
END_TEST

static Suite *guest_enum_suite(void)
{
    Suite *s = suite_create("guest_enum");
    TCase *tc = tcase_create("scan");

    tcase_add_test(tc, finds_functions_in_order);
    tcase_add_test(tc, multifunction_and_absent);
    tcase_add_test(tc, bar_sizes_32_64_io_rom);
    tcase_add_test(tc, bar_over_4g_size);
    tcase_add_test(tc, capabilities_walked);
    tcase_add_test(tc, looping_lists_terminate);
    tcase_add_test(tc, accesses_counted);
    tcase_add_test(tc, aborts_counted_not_fatal);
    tcase_add_test(tc, bad_config_refused);
    tcase_add_test(tc, dump_config_reads_whole_space);
    tcase_add_test(tc, noise_bus_terminates);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_enum_suite)
