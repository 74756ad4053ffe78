/* The generic register engine: table validation, registration errors, the
 * split/merge path, mask semantics, and "emulated registers never read the
 * host". */
#include <errno.h>
#include <string.h>

#include "hostbridge/vdev.h"
#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

START_TEST(every_engine_table_is_valid)
{
    ck_assert_uint_ge(engine_tables_count, 12);
    for (unsigned i = 0; i < engine_tables_count; i++) {
        const struct reg_table *t = engine_tables[i];
        ck_assert_msg(reg_table_check(t) == 0, "table '%s' invalid", t->name);
        for (unsigned j = 0; j < t->n; j++)
            ck_assert_msg(t->regs[j].name, "table '%s' entry %u unnamed", t->name, j);
    }
}
END_TEST

static int add1(struct regset *s, struct reg_desc d, uint16_t base)
{
    static struct reg_desc keep[32];
    static unsigned nkeep;
    keep[nkeep % 32] = d;
    return regset_add(s, &keep[nkeep++ % 32], base, -1);
}

START_TEST(registration_rejects_bad_descriptors)
{
    struct regset s = { 0 };
    struct reg_desc ok = { .name = "ok", .offset = 0x40, .size = 4, .src = REG_EMULATED };
    ck_assert_int_eq(add1(&s, ok, 0), 0);
    ck_assert_int_eq(add1(&s, ok, 0), -EEXIST);                                     /* same */
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x42, .size = 2 }, 0), -EEXIST);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x3c, .size = 4 }, 4), -EEXIST);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x51, .size = 2 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x52, .size = 4 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 3 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 8 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 0 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0xffc, .size = 4 }, 4), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 2, .ro = 3, .rw1c = 2 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 2, .rsvdp = 1, .rsvdz = 1 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 2, .ro = 0x10000 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 1, .init = 0x100 }, 0), -EINVAL);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x50, .size = 1, .host_mask = 1 }, 0), -EINVAL);
    ck_assert_uint_eq(s.n, 1);
    /* Sorted after out-of-order insertion, found by binary search. */
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x10, .size = 1 }, 0), 0);
    ck_assert_int_eq(add1(&s, (struct reg_desc){ .offset = 0x80, .size = 2 }, 0), 0);
    ck_assert_uint_eq(s.r[0].off, 0x10);
    ck_assert_uint_eq(s.r[2].off, 0x80);
    ck_assert_ptr_nonnull(regset_find(&s, 0x40));
    ck_assert_ptr_null(regset_find(&s, 0x42));
    regset_free(&s);
}
END_TEST

static const struct reg_desc bad_overlap[] = {
    { .name = "a", .offset = 0, .size = 4 }, { .name = "b", .offset = 2, .size = 2 },
};
static const struct reg_desc masks_demo[] = {
    { .name = "ro/rw1c/rsvd", .offset = 0, .size = 2, .src = REG_EMULATED, .init = 0x00f0,
      .ro = 0x00f0, .rw1c = 0x0f00, .rsvdp = 0x1000, .rsvdz = 0x2000 },
    { .name = "rw", .offset = 4, .size = 4, .src = REG_EMULATED },
    { .name = "zero", .offset = 8, .size = 1, .src = REG_ZERO, .ro = 0xff },
};

START_TEST(table_checks_and_all_or_nothing)
{
    struct regset s = { 0 };
    struct reg_table t = REG_TABLE("overlap", bad_overlap, 8);
    struct reg_table m = REG_TABLE("masks", masks_demo, 8);
    ck_assert_int_eq(reg_table_check(&t), -EEXIST);
    ck_assert_int_eq(regset_add_table(&s, &t, 0x40, 8, -1), -EEXIST);
    ck_assert_int_eq(reg_table_check(&m), -EINVAL);          /* entry beyond span */
    m.span = 12;
    ck_assert_int_eq(regset_add_table(&s, &m, 0x40, 12, -1), 0);
    ck_assert_int_eq(regset_add_table(&s, &m, 0x44, 12, -1), -EEXIST);
    ck_assert_uint_eq(s.n, 3);                               /* nothing half-added */
    regset_free(&s);
}
END_TEST

START_TEST(mask_semantics_and_split_merge)
{
    struct regset s = { 0 };
    struct vdev v;
    struct reg_table m = REG_TABLE("masks", masks_demo, 12);
    memset(&v, 0, sizeof(v));
    ck_assert_int_eq(regset_add_table(&s, &m, 0x40, 12, -1), 0);
    struct vreg *r = regset_find(&s, 0x40);
    r->val = 0x3ff0;                              /* reserved bits set internally */
    ck_assert_uint_eq(regs_read(&v, &s, 0x40, 2), 0x0ff0);   /* RsvdP/RsvdZ read 0 */
    regs_write(&v, &s, 0x40, 2, 0xff0f);          /* RO keeps f0, RW bits 0..3, RW1C clears */
    ck_assert_uint_eq(regs_read(&v, &s, 0x40, 2), 0xc0ff);   /* 15:14 are RW */
    r->val = 0x0f00;
    regs_write(&v, &s, 0x40, 1, 0xff);            /* byte 0 only: RW1C byte 1 untouched */
    ck_assert_uint_eq(regs_read(&v, &s, 0x41, 1), 0x0f);
    regs_write(&v, &s, 0x41, 1, 0x05);            /* clear bits 8 and 10 only */
    ck_assert_uint_eq(regs_read(&v, &s, 0x40, 2), 0x0a0f);
    /* A dword spanning register, gap (0x42-0x43) reads 0, writes vanish. */
    regs_write(&v, &s, 0x44, 4, 0x11223344);
    regs_write(&v, &s, 0x45, 1, 0xaa);
    ck_assert_uint_eq(regs_read(&v, &s, 0x44, 4), 0x1122aa44);
    ck_assert_uint_eq(regs_read(&v, &s, 0x46, 2), 0x1122);
    regs_write(&v, &s, 0x40, 4, 0xffff0000);
    ck_assert_uint_eq(regs_read(&v, &s, 0x40, 4), 0x00000a00);
    regs_write(&v, &s, 0x48, 4, 0xffffffff);      /* ZERO register + gap */
    ck_assert_uint_eq(regs_read(&v, &s, 0x48, 4), 0);
    ck_assert_uint_eq(regs_read(&v, &s, 0x80, 4), 0);
    regset_free(&s);
}
END_TEST

/* Every emulated register of a realistic endpoint, at every width: the host
 * is never read, and nothing is ever written to it. */
START_TEST(emulated_registers_never_read_the_host)
{
    static const struct { unsigned off, size; } emulated[] = {
        { 0x04, 2 }, { 0x0c, 2 }, { 0x0e, 1 }, { 0x10, 4 }, { 0x14, 4 }, { 0x18, 4 }, { 0x1c, 4 },
        { 0x20, 4 }, { 0x24, 4 }, { 0x28, 4 }, { 0x30, 4 }, { 0x34, 4 }, { 0x38, 4 }, { 0x3c, 1 },
        { 0x41, 1 }, { 0x44, 4 }, { 0x51, 1 }, { 0x52, 2 }, { 0x54, 4 }, { 0x58, 4 }, { 0x5c, 4 },
        { 0x60, 4 }, { 0x64, 4 }, { 0x68, 4 }, { 0x71, 1 }, { 0x72, 2 }, { 0x81, 1 }, { 0x88, 2 },
        { 0x90, 2 }, { 0x94, 4 }, { 0xa8, 2 }, { 0xc0, 4 }, { 0x100, 4 }, { 0x200, 4 }, { 0xffc, 4 },
    };
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, NULL);
    m.reads = 0;
    for (unsigned i = 0; i < sizeof(emulated) / sizeof(emulated[0]); i++)
        for (unsigned sz = 1; sz <= emulated[i].size; sz *= 2)
            for (unsigned off = emulated[i].off; off < emulated[i].off + emulated[i].size; off += sz) {
                cfg_rd(&f, 1, 0, off, sz);
                cfg_wr(&f, 1, 0, off, sz, 0);
                ck_assert_msg(m.reads == 0, "reg 0x%x size %u read the host", off, sz);
            }
    cfg_rd(&f, 1, 0, 0x00, 4);          /* host registers do read it: vendor + device */
    ck_assert_uint_eq(m.reads, 2);
    fix_fini(&f);
}
END_TEST

static Suite *engine_regs_suite(void)
{
    Suite *s = suite_create("engine_regs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_engine_table_is_valid);
    tcase_add_test(tc, registration_rejects_bad_descriptors);
    tcase_add_test(tc, table_checks_and_all_or_nothing);
    tcase_add_test(tc, mask_semantics_and_split_merge);
    tcase_add_test(tc, emulated_registers_never_read_the_host);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_regs_suite)
