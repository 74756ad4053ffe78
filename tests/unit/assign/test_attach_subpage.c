/* Sub-page BARs (pcipt/host/subpage.h, issue 15 item 1): a BAR smaller
 * than a page is mapped as its whole host page, so attach refuses a
 * function whose small BAR shares that page with another function's
 * resource, naming both and the page, unless the other function goes to
 * the same domain (in the same request, or already attached there);
 * --force does not override it.  The tree: the fixture's 82576 (01:00.0)
 * with BAR 0 cut to 256 bytes at 0xe0900000, and a copy of it as 01:00.1
 * whose 256-byte BAR 0 sits at 0xe0900100, in the same 4 KiB page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

#define IORESOURCE_MEM      0x200ull       /* include/linux/ioport.h */
#define NEIGHBOUR "0000:01:00.1"

static char err[1024];

static void setup(void)
{
    afx_setup();
    afx_add_subpage_neighbour(NEIGHBOUR);
}

static void teardown(void)
{
    afx_teardown();
}

static unsigned ndevs(uint32_t domid)
{
    static struct domain_assign a;
    int rc = xsp_read_domain(afx_ctx.xs, domid, &a, err, sizeof(err));

    if (rc == -ENOENT)
        return 0;
    ck_assert_msg(rc == 0, "%s", err);
    return a.ndevs;
}

START_TEST(refused_naming_both_and_the_page_even_with_force)
{
    char *before = afx_snapshot(), *after;

    for (int force = 0; force < 2; force++) {
        err[0] = '\0';
        ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, force ? ATTACH_FORCE : 0, err, sizeof(err)),
                         -EPERM);
        ck_assert_msg(strstr(err, AFX_NIC " BAR 0 (256 bytes) shares host page 0xe0900000 with "
                                  NEIGHBOUR " BAR 0, which domain 5 is not given"), "%s", err);
        ck_assert_msg(strstr(err, "pci=resource_alignment=4096"), "%s", err);
    }
    /* and the other way round */
    ck_assert_int_eq(afx_attach(3, NEIGHBOUR, -1, 0, err, sizeof(err)), -EPERM);
    ck_assert_msg(strstr(err, NEIGHBOUR " BAR 0 (256 bytes) shares host page 0xe0900000 with "
                              AFX_NIC " BAR 0"), "%s", err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);                    /* refused before anything */
    free(before);
    free(after);
}
END_TEST

/* pcipt create gives the request's functions as ctx.group. */
START_TEST(allowed_when_both_go_to_the_same_domain_in_one_request)
{
    struct sbdf group[2];
    char *before = afx_snapshot(), *after;

    ck_assert_int_eq(sbdf_parse(AFX_NIC, &group[0]), 0);
    ck_assert_int_eq(sbdf_parse(NEIGHBOUR, &group[1]), 0);
    afx_ctx.group = group;
    afx_ctx.ngroup = 2;
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, NEIGHBOUR, -1, 0, err, sizeof(err)) == 0, "%s", err);
    afx_ctx.group = NULL;
    afx_ctx.ngroup = 0;
    ck_assert_uint_eq(ndevs(5), 2);
    /* the shared page's iomem permission stays until the last of the two
     * leaves (else the NIC's BAR 0 could no longer be unmapped: Xen needs
     * the permission to remove a mapping) */
    ck_assert_msg(afx_detach(5, NEIGHBOUR, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before);
    free(after);
}
END_TEST

START_TEST(allowed_when_the_neighbour_is_attached_to_the_same_domain)
{
    struct sbdf group[1];

    /* the neighbour goes to domain 5 first (in a request that gives it the NIC) */
    ck_assert_int_eq(sbdf_parse(AFX_NIC, &group[0]), 0);
    afx_ctx.group = group;
    afx_ctx.ngroup = 1;
    ck_assert_msg(afx_attach(5, NEIGHBOUR, -1, 0, err, sizeof(err)) == 0, "%s", err);
    afx_ctx.group = NULL;
    afx_ctx.ngroup = 0;
    /* a later, separate attach of the NIC to domain 5: its neighbour is there */
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(ndevs(5), 2);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    /* ... but not to another domain */
    ck_assert_int_eq(afx_attach(3, AFX_NIC, -1, ATTACH_FORCE, err, sizeof(err)), -EPERM);
    ck_assert_msg(strstr(err, "with " NEIGHBOUR " BAR 0, which domain 3 is not given"), "%s",
                  err);
    ck_assert_uint_eq(ndevs(3), 0);
}
END_TEST

/* A BAR of a page or more, or a small BAR alone in its page, is not
 * affected. */
START_TEST(a_small_bar_alone_in_its_page_is_fine)
{
    afx_set_resource(NEIGHBOUR, 0, 0xe0901000ull, 0x100, IORESOURCE_MEM);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(3, NEIGHBOUR, -1, 0, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* The CLI: refused, exit 1, the message on stderr. */
START_TEST(cli_refuses_with_force)
{
    char *out = NULL, *e = NULL;

    ck_assert_int_ne(run_pcipt(NULL, &out, &e, "%s attach --force 5 " AFX_NIC, afx_args()), 0);
    ck_assert_msg(strstr(e, "shares host page 0xe0900000 with " NEIGHBOUR " BAR 0"), "%s", e);
    free(out);
    free(e);
}
END_TEST

static Suite *attach_subpage_suite(void)
{
    Suite *s = suite_create("attach_subpage");
    TCase *tc = tcase_create("subpage");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, refused_naming_both_and_the_page_even_with_force);
    tcase_add_test(tc, allowed_when_both_go_to_the_same_domain_in_one_request);
    tcase_add_test(tc, allowed_when_the_neighbour_is_attached_to_the_same_domain);
    tcase_add_test(tc, a_small_bar_alone_in_its_page_is_fine);
    tcase_add_test(tc, cli_refuses_with_force);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_subpage_suite)
