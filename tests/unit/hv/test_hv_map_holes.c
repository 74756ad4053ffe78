/* hv_map_mmio / hv_unmap_mmio with many holes (unsorted, overlapping,
 * touching, empty, reaching past the end): the calls made are exactly the
 * chunks of a page-by-page reference model, including the undo after a
 * failed call.  A recording backend stands in for the hypercall. */
#include <errno.h>
#include <string.h>

#include "pcipt/hv/map.h"
#include "tests/support/testreg.h"

#define NPAGES  20000u
#define NHOLES  600u
#define MAXREC  4096u

struct rec { uint64_t gfn, mfn, nr; bool add; };
static struct rec calls[MAXREC];
static unsigned ncalls, fail_at;        /* fail_at: 1-based call that fails, 0 none */

static int rec_mapping(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn,
                       uint64_t nr, bool add)
{
    ck_assert_uint_lt(ncalls, MAXREC);
    ck_assert_uint_le(nr, HV_MAX_PAGES_PER_MAPPING);
    calls[ncalls++] = (struct rec){ gfn, mfn, nr, add };
    return ncalls == fail_at ? -EIO : 0;
}

static const struct hv_ops rec_ops = { .name = "record", .memory_mapping = rec_mapping };

/* Reference: a page is a hole if any hole covers it; chunks are maximal
 * runs of non-hole pages cut every 64 pages from the run's start. */
static bool ref_in_hole(uint64_t p, const struct page_range *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p >= h[i].first && p - h[i].first < h[i].nr)
            return true;
    return false;
}

static unsigned ref_chunks(uint64_t total, const struct page_range *h, size_t n,
                           struct rec out[], unsigned max)
{
    unsigned k = 0;
    for (uint64_t p = 0; p < total;) {
        if (ref_in_hole(p, h, n)) {
            p++;
            continue;
        }
        uint64_t e = p;
        while (e < total && e - p < HV_MAX_PAGES_PER_MAPPING && !ref_in_hole(e, h, n))
            e++;
        ck_assert_uint_lt(k, max);
        out[k++] = (struct rec){ p, p, e - p, true };
        p = e;
    }
    return k;
}

static uint32_t lcg = 12345;
static uint32_t rnd(uint32_t mod)
{
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 8) % mod;
}

static void make_holes(struct page_range h[])
{
    for (unsigned i = 0; i < NHOLES; i++)
        h[i] = (struct page_range){ rnd(NPAGES + 100), rnd(8) };    /* nr 0..7 */
    h[0] = (struct page_range){ 0, 3 };                     /* at the start */
    h[1] = (struct page_range){ 3, 2 };                     /* touching h[0] */
    h[2] = (struct page_range){ 4, 5 };                     /* overlapping h[1] */
    h[3] = (struct page_range){ NPAGES - 10, UINT64_MAX };  /* to the end and past 2^64 */
    h[4] = (struct page_range){ 500, 0 };                   /* empty */
}

static void assert_calls(const struct rec want[], unsigned n, bool add, uint64_t gfn, uint64_t mfn)
{
    ck_assert_uint_eq(ncalls, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(calls[i].gfn, gfn + want[i].gfn);
        ck_assert_uint_eq(calls[i].mfn, mfn + want[i].mfn);
        ck_assert_uint_eq(calls[i].nr, want[i].nr);
        ck_assert(calls[i].add == add);
    }
}

START_TEST(many_holes_match_reference)
{
    static struct page_range holes[NHOLES];
    static struct rec want[MAXREC];
    struct hv hv = { .ops = &rec_ops };
    uint64_t n_made, gfn = 0x100000, mfn = 0x4000000;

    make_holes(holes);
    unsigned n = ref_chunks(NPAGES, holes, NHOLES, want, MAXREC);
    ck_assert_uint_gt(n, 300);                  /* the holes really cut the range */

    ncalls = 0, fail_at = 0;
    ck_assert_int_eq(hv_map_mmio(&hv, 1, gfn, mfn, NPAGES, holes, NHOLES, &n_made), 0);
    ck_assert_uint_eq(n_made, n);
    assert_calls(want, n, true, gfn, mfn);

    ncalls = 0;
    ck_assert_int_eq(hv_unmap_mmio(&hv, 1, gfn, mfn, NPAGES, holes, NHOLES, &n_made), 0);
    ck_assert_uint_eq(n_made, n);
    assert_calls(want, n, false, gfn, mfn);

    /* Call k fails: chunks 1..k-1 are undone, last first. */
    unsigned k = n / 2;
    ncalls = 0, fail_at = k;
    ck_assert_int_eq(hv_map_mmio(&hv, 1, gfn, mfn, NPAGES, holes, NHOLES, &n_made), -EIO);
    ck_assert_uint_eq(n_made, 2 * k - 1);
    ck_assert_uint_eq(ncalls, 2 * k - 1);
    for (unsigned i = 0; i < k - 1; i++) {
        const struct rec *u = &calls[k + i], *w = &want[k - 2 - i];
        ck_assert(!u->add);
        ck_assert_uint_eq(u->gfn, gfn + w->gfn);
        ck_assert_uint_eq(u->nr, w->nr);
    }
}
END_TEST

static Suite *hv_map_holes_suite(void)
{
    Suite *s = suite_create("hv_map_holes");
    TCase *tc = tcase_create("holes");
    tcase_add_test(tc, many_holes_match_reference);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_map_holes_suite)
