/* The watcher's own writes into pciback's directory
 * (pcipt/xl/xlwatch_int.h) against Debian's xenstored: marking a released
 * device never makes a backend directory again that libxl removed with
 * its last device (xl pci-detach of the last device, xl destroy). */
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/xlwatch_int.h"
#include "pcipt/xs/xs.h"
#include "hostbridge/common/sbdf.h"
#include "tests/support/testreg.h"
#include "tests/support/text_util.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xs_util.h"

#define BE "/local/domain/0/backend/pci/5/0"

static struct xs_handle *xs;
static const struct sbdf nic = { .seg = 0, .bus = 1, .dev = 0, .fn = 0 };

static void setup(void)
{
    xs = xst_fresh();
}

static void teardown(void)
{
    xs_close(xs);
}

static void put(const char *path, const char *val)
{
    ck_assert(xs_write(xs, XBT_NULL, path, val, strlen(val)));
}

static char *get(const char *path)
{
    unsigned len;
    char *v = xs_read(xs, XBT_NULL, path, &len);

    return v ? v : strdup("(absent)");
}

/* pcipt/dev-0 of the NIC with BAR0 mapped and BAR2 a record. */
static void put_entry(const char *host)
{
    put(BE "/pcipt/dev-0/host", host);
    put(BE "/pcipt/dev-0/bar-0/mapped", "0x23000000");
    put(BE "/pcipt/dev-0/bar-2/type", "mem32");
}

START_TEST(marks_the_entry_it_read)
{
    char *v;

    put_entry("0000:01:00.0");
    ck_assert_int_eq(xlw_mark_released(xs, 5, 0, &nic), 0);
    ck_assert_str_eq(v = get(BE "/pcipt/dev-0/released"), "1");
    free(v);
    ck_assert_str_eq(v = get(BE "/pcipt/dev-0/bar-0/mapped"), "none");
    free(v);
    ck_assert_str_eq(v = get(BE "/pcipt/dev-0/bar-2/mapped"), "none");
    free(v);
    ck_assert_str_eq(v = get(BE "/pcipt/dev-0/bar-1/mapped"), "(absent)");
    free(v);
}
END_TEST

/* Marking the NIC's entry dev-0 returns 0 and writes nothing. */
static void mark_writes_nothing(void)
{
    char *before = xst_dump(), *after;

    ck_assert_int_eq(xlw_mark_released(xs, 5, 0, &nic), 0);
    after = xst_dump();
    ck_assert_text_unchanged(after, before);
    free(before);
    free(after);
}

/* libxl removed the backend (its last device went) before the mark:
 * the store stays as libxl left it. */
START_TEST(gone_backend_is_not_made_again)
{
    mark_writes_nothing();
}
END_TEST

/* dev-0 names another function now (renumbered): not marked. */
START_TEST(other_device_is_not_marked)
{
    put_entry("0000:09:00.0");
    mark_writes_nothing();
}
END_TEST

static Suite *xlwatch_nodes_suite(void)
{
    Suite *s = suite_create("xlwatch_nodes");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, marks_the_entry_it_read);
    tcase_add_test(tc, gone_backend_is_not_made_again);
    tcase_add_test(tc, other_device_is_not_marked);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xlwatch_nodes_suite)
