/* pcipt simulate, end to end: the built binary on sysfs trees from the real
 * dumps, with its own xenstored, simulator and daemon.  What the guest
 * found (IDs, BARs inside the windows, sizes as the host's), several vCPUs
 * agreeing, the counters, the real lspci on the guest's config spaces,
 * --keep; nothing left behind after any run (simulate_fx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/assign/assign.h"
#include "tests/support/json_util.h"
#include "tests/support/simulate_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static char tree[64];

static void tree_setup(void)
{
    static const char *const dumps[] = { "cap-pcie-2", "cap-rebar" };
    smx_tree(tree, sizeof(tree), dumps, 2);
}

static void tree_teardown(void)
{
    sysfs_tree_remove(tree);
}

static bool in_window(uint64_t a, uint64_t size, uint64_t base, uint64_t wsize)
{
    return a >= base && a + size <= base + wsize;
}

/* Every memory BAR and the ROM of host function `name`'s dump shows in the
 * guest's block with the host's size, naturally aligned, inside a window. */
static void check_bars(const char *block, const char *dump, unsigned nbars_expected)
{
    struct dump d;
    struct host_bar bars[PCI_NUM_RES];
    unsigned seen = 0;

    testdata_dump(dump, &d);
    tree_bars(&d.f[0], bars);
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        uint64_t a = 0, sz = 0;
        bool found;

        if (bars[i].type == BAR_NONE || bars[i].type == BAR_IO)
            continue;
        found = i == 6 ? smx_rom(block, &a, &sz) : smx_region(block, i, &a, &sz);
        ck_assert_msg(found, "%s: BAR %u missing in\n%s", dump, i, block);
        ck_assert_uint_eq(sz, bars[i].size);
        ck_assert_uint_eq(a % sz, 0);
        ck_assert_msg(in_window(a, sz, PCIPT_VPCI_MEM_ADDR, PCIPT_VPCI_MEM_SIZE) ||
                          in_window(a, sz, PCIPT_VPCI_PREFETCH_MEM_ADDR,
                                    PCIPT_VPCI_PREFETCH_MEM_SIZE),
                      "%s BAR %u at 0x%llx outside the windows", dump, i, (unsigned long long)a);
        if (bars[i].type == BAR_MEM64 && bars[i].prefetchable)
            ck_assert(in_window(a, sz, PCIPT_VPCI_PREFETCH_MEM_ADDR,
                                PCIPT_VPCI_PREFETCH_MEM_SIZE));
        seen++;
    }
    ck_assert_uint_eq(seen, nbars_expected);
    dump_free(&d);
}

START_TEST(one_device)
{
    struct smx_result r;
    char *b;

    smx_run(tree, "", "0000:01:00.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert_ptr_nonnull(strstr(r.out, "Attached 0000:01:00.0 as 0000:00:01.0\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n00:00.0 Class 0600: Device 5853:c0de"));
    b = smx_func_block(r.out, "00:01.0");
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(strstr(b, "Class 0200: Device 8086:10c9 (rev 01)"));
    ck_assert_ptr_nonnull(strstr(b, "Control: I/O- Mem+ BusMaster+ DisINTx+"));
    ck_assert_ptr_nonnull(strstr(b, "MSI: Enable+ Count=1/1"));
    ck_assert_ptr_null(strstr(b, "Region 2:"));    /* I/O BARs read 0 on Arm */
    check_bars(b, "cap-pcie-2", 4);         /* BAR0, BAR1, BAR3, ROM */
    ck_assert_ptr_null(smx_func_block(r.out, "00:02.0"));
    free(b);
    smx_free(&r);
}
END_TEST

START_TEST(two_devices)
{
    struct smx_result r;
    char *a, *b;
    uint64_t fa, fs, ra, rs;

    smx_run(tree, "", "01:00.0 0000:09:00.0@5", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "Attached 0000:09:00.0 as 0000:00:05.0\n"));
    a = smx_func_block(r.out, "00:01.0");
    b = smx_func_block(r.out, "00:05.0");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(strstr(b, "Device 1002:7300"));
    check_bars(a, "cap-pcie-2", 4);
    check_bars(b, "cap-rebar", 4);           /* BAR0 256M, BAR2, BAR5, ROM */
    /* the Fiji's 256 MiB prefetchable BAR and the 82576's 4 MiB BAR do not overlap */
    ck_assert(smx_region(b, 0, &fa, &fs));
    ck_assert(smx_region(a, 1, &ra, &rs));
    ck_assert(fa + fs <= ra || ra + rs <= fa);
    ck_assert_uint_eq(fs, 256ull << 20);
    free(a);
    free(b);
    smx_free(&r);
}
END_TEST

START_TEST(four_vcpus_equal_one)
{
    struct smx_result one, four;
    char *s1, *s4;

    smx_run(tree, "", "01:00.0 09:00.0", &one);
    smx_run(tree, "", "--vcpus 4 01:00.0 09:00.0", &four);
    ck_assert_msg(one.status == 0 && four.status == 0, "%s%s", one.err, four.err);
    s1 = smx_device_section(one.out);
    s4 = smx_device_section(four.out);
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(s4);
    ck_assert_str_eq(s4, s1);
    ck_assert_ptr_nonnull(strstr(s1, "00:02.0 Class 0300"));   /* both devices in it */
    ck_assert_ptr_nonnull(strstr(four.out, "Enumerations: 4, one per vCPU, all equal"));
    ck_assert_ptr_nonnull(strstr(four.out, "\n  vCPU 3: "));
    ck_assert_ptr_null(strstr(four.out, "\n  vCPU 4: "));
    ck_assert_ptr_nonnull(strstr(four.out, "Simulated domain 1: 4 vCPUs"));
    free(s1);
    free(s4);
    smx_free(&one);
    smx_free(&four);
}
END_TEST

static double num(const struct jv *o, const char *k)
{
    const struct jv *v = jv_get(o, k);

    ck_assert_msg(v && v->type == JV_NUM, "no number %s", k);
    return v->num;
}

/* The first load of BAR i of function f (JSON). */
static const char *first_load(const struct jv *fn, unsigned i)
{
    const struct jv *bars = jv_get(fn, "bars");

    for (unsigned k = 0; bars && k < bars->n; k++)
        if (num(&bars->kids[k], "index") == i)
            return jv_get_str(&bars->kids[k], "first_load");
    return NULL;
}

START_TEST(counters)
{
    struct smx_result r;
    struct jv *j;
    const struct jv *dm, *sim, *fns;

    smx_run(tree, "", "--json --vcpus 2 01:00.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(j = jv_parse(r.out));
    dm = jv_get(j, "daemon");
    sim = jv_get(j, "sim");
    ck_assert_ptr_nonnull(dm);
    ck_assert_ptr_nonnull(sim);
    ck_assert(num(dm, "ioreqs") > 0);
    ck_assert(num(dm, "ecam_reads") > 0);
    ck_assert(num(dm, "ecam_writes") > 0);
    ck_assert(num(dm, "maps") > 0);
    ck_assert(num(dm, "first_access_ms") >= 0);
    ck_assert(num(dm, "refused") == 0);
    /* every ioreq the simulator forwarded, the daemon served, and no more */
    ck_assert(num(sim, "ioreqs") == num(dm, "ioreqs"));
    ck_assert(num(sim, "direct_accesses") > 0);
    ck_assert(num(sim, "memory_mappings") > 0);
    ck_assert(num(sim, "bad_state") == 0);
    ck_assert(num(sim, "emulator_gone") == 0);
    ck_assert_uint_gt(jv_get(sim, "p2m")->n, 0);
    /* 82576: BAR0 mapped; BAR3 starts with the MSI-X table page: it traps and
     * the daemon's BAR window answers (counted) */
    fns = jv_get(j, "functions");
    ck_assert_uint_eq(fns->n, 2);
    ck_assert_str_eq(first_load(&fns->kids[1], 0), "direct");
    ck_assert_str_eq(first_load(&fns->kids[1], 3), "trapped");
    ck_assert(num(dm, "bar_window") >= 2);           /* at least once per vCPU */
    ck_assert_uint_eq(jv_get(j, "enumerations")->n, 2);
    ck_assert_ptr_null(jv_get(j, "kept_dir"));
    jv_free(j);
    smx_free(&r);
}
END_TEST

START_TEST(text_counters_present)
{
    struct smx_result r;
    const char *p;

    smx_run(tree, "", "09:00.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(p = strstr(r.out, "Daemon counters (pcipt serve 1):\n  ioreqs "));
    ck_assert_int_gt(atoi(p + strlen("Daemon counters (pcipt serve 1):\n  ioreqs ")), 0);
    ck_assert_ptr_nonnull(p = strstr(r.out, "Simulator counters (domain 1):\n  ioreqs "));
    ck_assert_ptr_nonnull(p = strstr(r.out, "  direct_accesses "));
    ck_assert_int_gt(atoi(p + 18), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\n  remaps             0\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n  refused            0\n"));
    smx_free(&r);
}
END_TEST

START_TEST(lspci_decodes_guest_view)
{
    struct smx_result r;
    uint64_t a, s;
    char *b, want[64];
    const char *l;

    smx_run(tree, "", "--lspci 01:00.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    b = smx_func_block(r.out, "00:01.0");
    ck_assert(smx_region(b, 0, &a, &s));
    ck_assert_ptr_nonnull(l = strstr(r.out, "lspci -F (the guest's config spaces"));
    ck_assert_ptr_nonnull(strstr(l, "00:01.0 Ethernet controller: Intel Corporation 82576"));
    snprintf(want, sizeof(want), "Region 0: Memory at %llx (32-bit, non-prefetchable)",
             (unsigned long long)a);
    ck_assert_msg(strstr(l, want) != NULL, "lspci lacks '%s'", want);
    ck_assert_ptr_nonnull(strstr(l, "MSI: Enable+ Count=1/1"));
    ck_assert_ptr_null(strstr(l, "<chain broken>"));
    ck_assert_ptr_null(strstr(l, "!!!"));
    free(b);
    smx_free(&r);
}
END_TEST

START_TEST(keep_leaves_directory)
{
    struct smx_result r;
    char p[400];

    smx_run(tree, "", "--keep 01:00.0", &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_ne(r.kept, "");
    snprintf(p, sizeof(p), "%s/serve.log", r.kept);
    ck_assert_int_eq(access(p, R_OK), 0);
    snprintf(p, sizeof(p), "%s/sim/state", r.kept);
    ck_assert_int_eq(access(p, R_OK), 0);
    smx_free(&r);                                 /* removes it */
}
END_TEST

static Suite *simulate_suite(void)
{
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("run");

    tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_device);
    tcase_add_test(tc, two_devices);
    tcase_add_test(tc, four_vcpus_equal_one);
    tcase_add_test(tc, counters);
    tcase_add_test(tc, text_counters_present);
    tcase_add_test(tc, lspci_decodes_guest_view);
    tcase_add_test(tc, keep_leaves_directory);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(simulate_suite)
