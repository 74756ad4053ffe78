/* The simulated guest on several vCPUs at once (one fake bus each), the
 * comparison of results, and what a wider bus range costs in accesses. */
#include <pthread.h>
#include <stdlib.h>

#include "tests/support/guest_enum_util.h"
#include "tests/support/testreg.h"

#define NVCPUS 4

struct vcpu {
    pthread_barrier_t *start;
    struct fake_ecam *fe;
    struct guest_enum_result res;
    int rc;
};

static void *vcpu_main(void *arg)
{
    struct vcpu *v = arg;
    struct guest_enum_config cfg = fake_ecam_config(0, 0);

    pthread_barrier_wait(v->start);
    v->rc = guest_enumerate(&fake_ecam_ops, v->fe, &cfg, &v->res);
    return NULL;
}

START_TEST(four_vcpus_agree)
{
    struct vcpu *v = calloc(NVCPUS, sizeof(*v));
    pthread_t tid[NVCPUS];
    pthread_barrier_t start;
    struct fake_ecam *fe;
    struct guest_enum_result *alone = get_standard(&fe);

    ck_assert_int_eq(pthread_barrier_init(&start, NULL, NVCPUS), 0);
    for (unsigned i = 0; i < NVCPUS; i++) {
        v[i].start = &start;
        v[i].fe = fake_ecam_new(0x10000000, 0, 1);
        fake_ecam_standard(v[i].fe);
        ck_assert_int_eq(pthread_create(&tid[i], NULL, vcpu_main, &v[i]), 0);
    }
    for (unsigned i = 0; i < NVCPUS; i++)
        ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
    for (unsigned i = 0; i < NVCPUS; i++) {
        ck_assert_int_eq(v[i].rc, 0);
        ck_assert_uint_eq(v[i].res.nfuncs, 6);
        ck_assert(guest_enum_result_equal(&v[i].res, alone));
        ck_assert_uint_eq(v[i].res.cfg_reads, alone->cfg_reads);
        ck_assert_uint_eq(v[i].res.cfg_reads, v[i].fe->reads);   /* nothing crossed over */
        ck_assert_uint_eq(v[i].res.cfg_writes, v[i].fe->writes);
        fake_ecam_free(v[i].fe);
    }
    pthread_barrier_destroy(&start);
    free(v);
    free(alone);
    fake_ecam_free(fe);
}
END_TEST

START_TEST(equal_compares_findings_not_counts)
{
    struct guest_enum_config cfg = fake_ecam_config(0, 0), wide = fake_ecam_config(0, 3);
    struct fake_ecam *fa = fake_ecam_new(0x10000000, 0, 1);
    struct fake_ecam *fb = fake_ecam_new(0x10000000, 0, 4);
    struct fake_ecam *fc = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_result *a, *b, *c;

    fake_ecam_standard(fa);
    fake_ecam_standard(fb);
    fake_ecam_standard(fc);
    fake_fn_bar(fake_ecam_find(fc, 0, 5, 0), 0, 8 << 10, 0, 0);   /* 4K -> 8K */
    a = get_run(fa, &cfg);
    b = get_run(fb, &wide);      /* same devices, 3 more (empty) buses scanned */
    c = get_run(fc, &cfg);
    ck_assert_uint_ne(a->cfg_reads, b->cfg_reads);
    ck_assert(guest_enum_result_equal(a, b));
    ck_assert(!guest_enum_result_equal(a, c));
    c->funcs[4] = a->funcs[4];
    ck_assert(!guest_enum_result_equal(a, c));   /* the 8K BAR also moved others */
    *c = *a;
    c->funcs[5].caps[3].off ^= 4;
    ck_assert(!guest_enum_result_equal(a, c));
    *c = *a;
    c->funcs[0].msi_data++;
    ck_assert(!guest_enum_result_equal(a, c));
    c->funcs[0].msi_data--;
    c->cfg_writes++;
    ck_assert(guest_enum_result_equal(a, c));
    free(a);
    free(b);
    free(c);
    fake_ecam_free(fa);
    fake_ecam_free(fb);
    fake_ecam_free(fc);
}
END_TEST

/* Every empty bus costs one vendor-ID read per device number (32), and
 * nothing else; the root-bus-only (Linux) scan does not pay it. */
static struct guest_enum_result *fresh_run(struct guest_enum_config cfg)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 256);   /* 256 MiB ECAM */
    struct guest_enum_result *r;

    fake_ecam_typical(fe);
    r = get_run(fe, &cfg);
    ck_assert_uint_eq(r->nfuncs, 5);
    fake_ecam_free(fe);
    return r;
}

START_TEST(bus_range_cost)
{
    struct guest_enum_config all = fake_ecam_config(0, 255);
    struct guest_enum_result *r1 = fresh_run(fake_ecam_config(0, 0)), *r256 = fresh_run(all);
    struct guest_enum_result *rroot;

    all.flags |= GUEST_ENUM_ROOT_BUS_ONLY;
    rroot = fresh_run(all);
    ck_assert(guest_enum_result_equal(r1, r256));
    ck_assert(guest_enum_result_equal(r1, rroot));
    ck_assert_uint_eq(r256->cfg_reads - r1->cfg_reads, 255 * 32);
    ck_assert_uint_eq(r256->cfg_writes, r1->cfg_writes);
    ck_assert_uint_eq(rroot->cfg_reads, r1->cfg_reads);
    ck_assert_uint_eq(rroot->cfg_writes, r1->cfg_writes);
    ck_assert_uint_gt(r256->cfg_reads + r256->cfg_writes, 10 * (r1->cfg_reads + r1->cfg_writes));
    free(r1);
    free(r256);
    free(rroot);
}
END_TEST

static Suite *guest_enum_mt_suite(void)
{
    Suite *s = suite_create("guest_enum_mt");
    TCase *tc = tcase_create("vcpus");

    tcase_add_test(tc, four_vcpus_agree);
    tcase_add_test(tc, equal_compares_findings_not_counts);
    tcase_add_test(tc, bus_range_cost);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_enum_mt_suite)
