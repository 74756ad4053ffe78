/* Two host functions as functions 0 and 1 of one virtual slot, end to end
 * with the simulator and a real xenstored: `pcipt plan --json`, attach
 * (published vdev 0000:00:02.1), function 0 leaves last, and `pcipt
 * simulate`, whose guest scans functions 1..7 only behind a function 0
 * whose Header Type has bit 7 (multi-function) set, as Linux does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/simulate_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

static char err[512];

/* The Fiji (cap-rebar) raises INTA like the 82576: give it INTB, so the
 * two may share a slot (one SPI per pin of a slot, pcipt/assign/plan.c). */
static void gpu_on_intb(void)
{
    afx_set_config_byte(AFX_GPU, PCI_CFG_INT_PIN, 2);
}

START_TEST(plan_json_names_function_1)
{
    char *out = NULL, *e = NULL;

    gpu_on_intb();
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s plan --json 0000:09:00.0@1.1 0000:01:00.0@1",
                               afx_args()), 0);
    ck_assert_msg(strstr(out, "{\"sbdf\":\"0000:01:00.0\",\"vsbdf\":\"0000:00:01.0\",\"spi\":48,"),
                  "%s", out);
    ck_assert_msg(strstr(out, "{\"sbdf\":\"0000:09:00.0\",\"vsbdf\":\"0000:00:01.1\",\"spi\":49,"),
                  "%s", out);
    free(out);
    free(e);
}
END_TEST

START_TEST(attach_two_functions_of_one_slot)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    char *before = afx_snapshot(), *after, *out = NULL, *e = NULL;

    ck_assert_ptr_nonnull(a);
    gpu_on_intb();
    ck_assert_msg(afx_attach_fn(5, AFX_NIC, 2, 0, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s attach 5 0000:09:00.0@2.1", afx_args()), 0);
    ck_assert_str_eq(out, "attached 0000:09:00.0 to domain 5 as 0000:00:02.1\n");
    free(out);
    free(e);
    ck_assert_msg(xsp_read_domain(afx_ctx.xs, 5, a, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(a->ndevs, 2);
    ck_assert_uint_eq(a->devs[1].guest.dev, 2);
    ck_assert_uint_eq(a->devs[1].guest.fn, 1);
    ck_assert_uint_eq(a->devs[1].intx_pin, 2);
    ck_assert_uint_ne(a->devs[1].spi, a->devs[0].spi);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s status 5", afx_args()), 0);
    ck_assert_msg(strstr(out, "0000:09:00.0 -> 0000:00:02.1"), "%s", out);
    free(out);
    free(e);

    /* function 0 leaves last */
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s detach 5 0000:01:00.0", afx_args()), 1);
    ck_assert_str_eq(e, "pcipt: 0000:01:00.0 is function 0 of virtual slot 2 and 0000:09:00.0 "
                        "is still there: detach the slot's other functions first\n");
    free(out);
    free(e);
    ck_assert_int_eq(afx_detach(5, AFX_GPU, err, sizeof(err)), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(after);
    free(before);
    free(a);
}
END_TEST

static char tree[64];

static void tree_setup(void)
{
    static const char *const dumps[] = { "cap-pcie-2", "cap-rebar" };
    char path[128];
    FILE *f;

    smx_tree(tree, sizeof(tree), dumps, 2);
    snprintf(path, sizeof(path), "%s/devices/0000:09:00.0/config", tree);
    ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
    ck_assert_int_eq(fseek(f, PCI_CFG_INT_PIN, SEEK_SET), 0);
    ck_assert_int_eq(fputc(2, f), 2);                   /* INTB */
    ck_assert_int_eq(fclose(f), 0);
}

static void tree_teardown(void)
{
    sysfs_tree_remove(tree);
}

START_TEST(guest_scans_function_1_behind_function_0)
{
    struct smx_result r;
    char *f0, *f1;

    /* function 1 named first: attached after function 0 all the same */
    smx_run(tree, "", "0000:09:00.0@3.1 01:00.0@3", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "Attached 0000:01:00.0 as 0000:00:03.0\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "Attached 0000:09:00.0 as 0000:00:03.1\n"));
    f0 = smx_func_block(r.out, "00:03.0");
    f1 = smx_func_block(r.out, "00:03.1");
    ck_assert_msg(f0 != NULL, "%s", r.out);
    ck_assert_msg(f1 != NULL, "function 1 not enumerated:\n%s", r.out);
    ck_assert_ptr_nonnull(strstr(f1, "Device 1002:7300"));
    free(f0);
    free(f1);
    smx_free(&r);
}
END_TEST

static Suite *attach_mfn_suite(void)
{
    Suite *s = suite_create("attach_mfn");
    TCase *tc = tcase_create("sim+xenstored");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_add_test(tc, plan_json_names_function_1);
    tcase_add_test(tc, attach_two_functions_of_one_slot);
    suite_add_tcase(s, tc);
    tc = tcase_create("simulate");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
    tcase_add_test(tc, guest_scans_function_1_behind_function_0);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_mfn_suite)
