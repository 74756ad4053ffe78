/* The per-domain attach/detach lock (pcipt/assign/domlock.h): two `pcipt attach`
 * processes for one domain, started together, both succeed with disjoint
 * guest BARs and slots; attach and detach racing end consistently; every
 * failure path releases the lock (a second attach in the same process would
 * block forever otherwise); an unusable lock directory gives a clear
 * message and touches nothing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

#define ROUNDS 4

/* Run `pcipt ARGS_A` and `pcipt ARGS_B` at the same time; both statuses,
 * and the output of both (stdout then stderr of A, then of B). */
static void run_pair_env(const struct run_opts *o, const char *a, const char *b, int *ra,
                         int *rb, char **out)
{
    struct run_proc pa, pb;
    char *oa = NULL, *ea = NULL, *ob = NULL, *eb = NULL;

    ck_assert_int_eq(run_start(&pa, o, "%s %s", afx_args(), a), 0);
    ck_assert_int_eq(run_start(&pb, o, "%s %s", afx_args(), b), 0);
    *ra = run_wait(&pa, &oa, &ea);
    *rb = run_wait(&pb, &ob, &eb);
    ck_assert_int_ge(asprintf(out, "%s%s%s%s", oa, ea, ob, eb), 0);
    free(oa); free(ea); free(ob); free(eb);
}

static void run_pair(const char *a, const char *b, int *ra, int *rb, char **out)
{
    run_pair_env(NULL, a, b, ra, rb, out);
}

struct span { uint64_t start, size; };

/* Every memory BAR of domain 5 from `pcipt status 5` ("guest 0x.. host 0x..
 * size 0x.."), ROMs included; returns how many. */
static unsigned guest_bars(struct span s[], unsigned max)
{
    char *out = NULL, *err = NULL;
    unsigned n = 0;
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s status 5", afx_args()), 0);
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *p = strstr(line, " guest 0x");
        uint64_t g, h, sz;
        if (!p || strstr(line, " io "))         /* I/O BARs are not given to the guest */
            continue;
        ck_assert_msg(sscanf(p, " guest 0x%" SCNx64 " host 0x%" SCNx64 " size 0x%" SCNx64,
                             &g, &h, &sz) == 3, "%s", p);
        ck_assert_uint_lt(n, max);
        s[n++] = (struct span){ g, sz };
    }
    free(out);
    free(err);
    return n;
}

static void assert_disjoint(const struct span s[], unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            ck_assert_msg(s[i].start + s[i].size <= s[j].start ||
                          s[j].start + s[j].size <= s[i].start,
                          "guest BARs overlap: 0x%" PRIx64 "+0x%" PRIx64 " and 0x%" PRIx64
                          "+0x%" PRIx64, s[i].start, s[i].size, s[j].start, s[j].size);
}

START_TEST(concurrent_attach_is_serialised)
{
    char *before = afx_snapshot(), *out = NULL;
    struct span s[32];
    int ra, rb;

    for (unsigned round = 0; round < ROUNDS; round++) {
        run_pair("attach 5 " AFX_NIC, "attach 5 " AFX_GPU, &ra, &rb, &out);
        ck_assert_msg(ra == 0 && rb == 0, "round %u: %s", round, out);
        /* Two different slots were given. */
        ck_assert_msg(strstr(out, "as 0000:00:01.0") && strstr(out, "as 0000:00:02.0"),
                      "round %u: %s", round, out);
        free(out);
        /* NIC: BAR0, BAR1, BAR3, ROM; GPU: BAR0, BAR2, BAR5, ROM. */
        ck_assert_uint_eq(guest_bars(s, 32), 8);
        assert_disjoint(s, 8);

        /* Both detached at once. */
        run_pair("detach 5 " AFX_NIC, "detach 5 " AFX_GPU, &ra, &rb, &out);
        ck_assert_msg(ra == 0 && rb == 0, "round %u: %s", round, out);
        free(out);
        char *after = afx_snapshot();
        ck_assert_text_unchanged(after, before);
        free(after);
    }

    /* An attach racing a detach of another device of the domain. */
    char err[512];
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    run_pair("detach 5 " AFX_NIC, "attach 5 " AFX_GPU, &ra, &rb, &out);
    ck_assert_msg(ra == 0 && rb == 0, "%s", out);
    free(out);
    ck_assert_uint_eq(guest_bars(s, 32), 4);
    assert_disjoint(s, 4);
    free(before);
}
END_TEST

/* One owner per host function, whatever races: two `pcipt attach` of one
 * function to two domains, started together, 30 times: exactly one wins
 * each time, the other names the owner.  Without an IOMMU (the SMMU would
 * refuse the second assignment, which alone would only turn its DMA off),
 * so only pcipt's own bookkeeping stands between them. */
START_TEST(one_owner_per_function)
{
    char *out = NULL, err[512];
    int ra, rb, winners = 0;

    for (unsigned round = 0; round < 30; round++) {
        run_pair_env(RUN_ENV("PCIPT_SIM_IOMMU=off"), "attach 3 " AFX_NIC, "attach 5 " AFX_NIC,
                     &ra, &rb, &out);
        ck_assert_msg((ra == 0) != (rb == 0), "round %u: %d and %d: %s", round, ra, rb, out);
        ck_assert_msg(strstr(out, AFX_NIC " is already attached to domain"), "round %u: %s",
                      round, out);
        free(out);
        winners++;
        ck_assert_msg(afx_detach(ra == 0 ? 3 : 5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    }
    ck_assert_int_eq(winners, 30);
}
END_TEST

START_TEST(failures_release_the_lock)
{
    char err[512];

    /* Fails in the checks: the NIC belongs to a host driver. */
    afx_set_driver(AFX_NIC, "igb");
    ck_assert_int_ne(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), 0);
    afx_set_driver(AFX_NIC, NULL);
    /* Fails at publish (after grant and map, undone). */
    xsw_inject_fail(1, EIO);
    ck_assert_int_ne(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), 0);
    xsw_inject_fail(0, 0);
    /* Detach of a device that is not attached. */
    ck_assert_int_ne(afx_detach(5, AFX_GPU, err, sizeof(err)), 0);
    /* Each would have left the lock held: these would block forever. */
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);

    /* The lock directory and file, private to root. */
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/run/lock", afx_tree);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/run/lock/dom5", afx_tree);
    ck_assert_int_eq(stat(path, &st), 0);
}
END_TEST

START_TEST(unusable_lock_dir_is_reported)
{
    char *before = afx_snapshot(), *after, err[512], run[128], *out = NULL, *cerr = NULL;
    FILE *f;

    /* PCIPT_RUN_DIR names a regular file: no lock directory can be made. */
    snprintf(run, sizeof(run), "%s/notadir", afx_tree);
    ck_assert_ptr_nonnull(f = fopen(run, "w"));
    fclose(f);
    ck_assert_int_eq(setenv("PCIPT_RUN_DIR", run, 1), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -ENOTDIR);
    ck_assert_msg(strstr(err, "cannot create the lock directory") && strstr(err, run), "%s", err);
    ck_assert_int_eq(afx_detach(5, AFX_NIC, err, sizeof(err)), -ENOTDIR);
    ck_assert_int_ne(run_pcipt(NULL, &out, &cerr, "%s attach 5 " AFX_NIC, afx_args()), 0);
    ck_assert_msg(strstr(cerr, "cannot create the lock directory"), "%s", cerr);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(out);
    free(cerr);
    free(before);
    free(after);
}
END_TEST

static Suite *attach_lock_suite(void)
{
    Suite *s = suite_create("attach_lock");
    TCase *tc = tcase_create("lock");
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, concurrent_attach_is_serialised);
    tcase_add_test(tc, one_owner_per_function);
    tcase_add_test(tc, failures_release_the_lock);
    tcase_add_test(tc, unusable_lock_dir_is_reported);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(attach_lock_suite)
