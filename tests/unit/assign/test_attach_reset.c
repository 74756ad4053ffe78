/* Reset between owners (pcipt/host/host_reset.h, issue 15 item 3): attach
 * resets the function through sysfs `reset` before anything of it is
 * assigned or mapped, detach after the last unmap and the deassign; the
 * choice is recorded (pcipt/dev-N/reset) and shown by status.  A function
 * without a method, or whose reset fails, needs --force ("none-forced").
 * The fixture's tree has a plain `reset` file per function that keeps what
 * was written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbridge/common/log.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/rec_hv_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/warn_fx.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

static char err[1024];


static void setup(void)
{
    afx_setup();
    warn_fx_start();
}

static void teardown(void)
{
    warn_fx_stop();
    afx_teardown();
}

static void reset_path(const char *dev, char *path, size_t len)
{
    snprintf(path, len, "%s/devices/%s/reset", afx_tree, dev);
}

/* What was written to dev's `reset` since the last call ("" = nothing);
 * the file is emptied. */
static const char *take_reset(const char *dev)
{
    static char buf[16];
    char path[256];
    FILE *f;

    reset_path(dev, path, sizeof(path));
    buf[0] = '\0';
    if ((f = fopen(path, "r"))) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
        ck_assert_int_eq(truncate(path, 0), 0);
    }
    return buf;
}

static char *be_read(uint32_t domid, const char *rel)
{
    char path[256];

    snprintf(path, sizeof(path), "/local/domain/0/backend/pci/%u/0/%s", domid, rel);
    return xsw_read(afx_ctx.xs, XBT_NULL, path);
}

/* ---- the order (rec_hv_fx): reset, assign, map ... unmap, deassign, reset ---- */
static void note_reset(void)
{
    if (!strcmp(take_reset(AFX_NIC), "1"))
        strcat(rec_hv_order, "reset ");
}

START_TEST(reset_before_the_first_map_and_after_the_last_unmap)
{
    afx_ctx.hv = rec_hv_start(note_reset);
    ck_assert_str_eq(take_reset(AFX_NIC), "");
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    note_reset();
    ck_assert_str_eq(rec_hv_order, "reset assign map ");
    char *v = be_read(5, "pcipt/dev-0/reset");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "flr");                     /* the first of "flr bus" */
    free(v);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    note_reset();
    ck_assert_str_eq(rec_hv_order, "reset assign map unmap deassign reset ");
    afx_ctx.hv = simfx_hv;
    ck_assert_str_eq(warn_fx_text, "");
}
END_TEST

/* A dead domain's function: detach (no daemon) resets it too. */
START_TEST(detach_of_a_dead_domain_resets)
{
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(take_reset(AFX_NIC), "1");
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(take_reset(AFX_NIC), "1");
}
END_TEST

/* No method: refused without --force (the rule as before), recorded as
 * none-forced with it, and nothing written. */
START_TEST(no_method_needs_force_and_is_recorded)
{
    char path[256], *v;
    FILE *f;

    snprintf(path, sizeof(path), "%s/devices/%s/reset_method", afx_tree, AFX_NIC);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
    reset_path(AFX_NIC, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);              /* Linux shows no `reset` then */
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EOPNOTSUPP);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_FORCE, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(v = be_read(5, "pcipt/dev-0/reset"));
    ck_assert_str_eq(v, "none-forced");
    free(v);
    ck_assert_int_ne(access(path, F_OK), 0);        /* nothing written, nothing created */
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* A method whose reset fails: refused (nothing touched) unless --force. */
START_TEST(failed_reset_refuses_unless_forced)
{
    char path[256], *before = afx_snapshot(), *after, *v;

    reset_path(AFX_NIC, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mkdir(path, 0755), 0);         /* writing it fails (EISDIR) */
    ck_assert_int_lt(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "cannot reset " AFX_NIC ": writing 1 to ") &&
                  strstr(err, "refusing to pass state between owners (--force accepts it)"),
                  "%s", err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(after);
    free(before);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_FORCE, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(warn_fx_text, "attaching anyway (--force)"), "%s", warn_fx_text);
    ck_assert_ptr_nonnull(v = be_read(5, "pcipt/dev-0/reset"));
    ck_assert_str_eq(v, "none-forced");
    free(v);
    ck_assert_int_eq(rmdir(path), 0);
}
END_TEST

START_TEST(status_shows_the_reset)
{
    char *out = NULL, *e = NULL;

    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s attach 5 " AFX_NIC, afx_args()), 0);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s status 5", afx_args()), 0);
    ck_assert_msg(strstr(out, "0000:01:00.0 -> 0000:00:01.0  spi 48 (INTA)  dma iommu  msi ") &&
                  strstr(out, ")  reset flr\n"), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s status --json 5", afx_args()), 0);
    ck_assert_msg(strstr(out, "\"reset\": \"flr\", \"bars\": ["), "%s", out);
    free(out);
    free(e);
    ck_assert_str_eq(take_reset(AFX_NIC), "1");
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s detach 5 " AFX_NIC, afx_args()), 0);
    free(out);
    free(e);
    ck_assert_str_eq(take_reset(AFX_NIC), "1");
}
END_TEST

static Suite *attach_reset_suite(void)
{
    Suite *s = suite_create("attach_reset");
    TCase *tc = tcase_create("reset");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reset_before_the_first_map_and_after_the_last_unmap);
    tcase_add_test(tc, detach_of_a_dead_domain_resets);
    tcase_add_test(tc, no_method_needs_force_and_is_recorded);
    tcase_add_test(tc, failed_reset_refuses_unless_forced);
    tcase_add_test(tc, status_shows_the_reset);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_reset_suite)
