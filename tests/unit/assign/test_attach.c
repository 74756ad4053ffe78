/* attach_device / detach_device against the simulator and a real
 * xenstored: full cycles leave everything as before, layout of two
 * devices, MSI-X holes, the 64-page limit, refusals before any hypercall. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/host/hostpci.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/host/msix_holes.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xs_util.h"
#include "tests/support/text_util.h"

#define IORESOURCE_MEM      0x200ull
#define IORESOURCE_PREFETCH 0x2000ull
#define IORESOURCE_MEM_64   0x100000ull

static char err[512];

static void assert_same(const char *before)
{
    char *now = afx_snapshot();
    ck_assert_msg(!strcmp(now, before), "state changed:\n--- before\n%s\n--- after\n%s", before, now);
    free(now);
}

START_TEST(cycle_leaves_everything_as_before)
{
    char *before = afx_snapshot(), *during;

    for (int round = 0; round < 2; round++) {
        ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
        ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
        during = afx_snapshot();
        ck_assert_str_ne(during, before);
        ck_assert_ptr_nonnull(strstr(during, "dom5 map 23000 e0000 1024"));  /* NIC BAR1 */
        ck_assert_ptr_nonnull(strstr(during, "dom5 iomem 4000000-400ffff"));  /* GPU BAR0 */
        ck_assert_ptr_nonnull(strstr(during, "/local/domain/0/backend/pci/5/0/num_devs = \"2\""));
        free(during);
        /* detach in the other order in the second round */
        ck_assert_msg(afx_detach(5, round ? AFX_GPU : AFX_NIC, err, sizeof(err)) == 0, "%s", err);
        ck_assert_msg(afx_detach(5, round ? AFX_NIC : AFX_GPU, err, sizeof(err)) == 0, "%s", err);
        assert_same(before);
    }
    free(before);
}
END_TEST

/* Guest ranges [guest, guest + size) of every memory BAR of the domain. */
START_TEST(two_devices_share_the_holes)
{
    static struct domain_assign a;
    struct { uint64_t lo, hi; } r[16];
    unsigned n = 0;

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, &a, err, sizeof(err)), 0);
    ck_assert_uint_eq(a.ndevs, 2);
    ck_assert_uint_ne(a.devs[0].guest.dev, a.devs[1].guest.dev);
    for (unsigned d = 0; d < 2; d++)
        for (unsigned i = 0; i < PCI_NUM_RES; i++) {
            const struct bar_assign *b = &a.devs[d].bars[i];
            if (b->type == BAR_NONE || b->type == BAR_IO)
                continue;
            bool low = b->guest >= afx_ctx.layout.mem_base &&
                       b->guest + b->size <= afx_ctx.layout.mem_base + afx_ctx.layout.mem_size;
            bool high = b->guest >= afx_ctx.layout.pref_base &&
                        b->guest + b->size <= afx_ctx.layout.pref_base + afx_ctx.layout.pref_size;
            ck_assert_msg(low || high, "dev %u BAR %u at 0x%" PRIx64 " outside the holes", d, i,
                          b->guest);
            r[n].lo = b->guest;
            r[n++].hi = b->guest + b->size;
        }
    ck_assert_uint_eq(n, 8);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            ck_assert_msg(r[i].hi <= r[j].lo || r[j].hi <= r[i].lo, "ranges %u and %u overlap", i, j);
}
END_TEST

START_TEST(slot_collision_is_refused_before_any_call)
{
    char *before;
    struct hv_counters c0;

    ck_assert_msg(afx_attach(5, AFX_NIC, 2, 0, err, sizeof(err)) == 0, "%s", err);
    before = afx_snapshot();
    c0 = afx_ctx.hv->counters;
    ck_assert_int_eq(afx_attach(5, AFX_GPU, 2, 0, err, sizeof(err)), -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "virtual slot 2 is already taken by 0000:01:00.0"));
    ck_assert_uint_eq(afx_ctx.hv->counters.iomem_permission_calls, c0.iomem_permission_calls);
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_calls, c0.memory_mapping_calls);
    assert_same(before);
    /* another domain has its own slots */
    ck_assert_msg(afx_attach(3, AFX_GPU, 2, 0, err, sizeof(err)) == 0, "%s", err);
    free(before);
}
END_TEST

START_TEST(msix_table_and_pba_pages_stay_unmapped)
{
    struct sim_mapping m[16];
    char *text = NULL;
    size_t len = 0;
    FILE *saved = afx_ctx.out;
    int n;

    afx_ctx.out = open_memstream(&text, &len);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_VERBOSE, err, sizeof(err)) == 0, "%s", err);
    fclose(afx_ctx.out);
    afx_ctx.out = saved;
    ck_assert_msg(strstr(text, "mapped BAR 3: 0x23820000 <- 0xe0840000, 2 pages (2 MSI-X "
                               "table/PBA pages left unmapped), 2 hypercalls\n"), "%s", text);
    free(text);
    n = sim_list_mappings(simfx_hv, 5, m, 16);
    /* BAR1 4 MiB @0x23000000, BAR0 128 KiB @0x23800000, BAR3 16 KiB @0x23820000:
     * table in page 0 (10 vectors * 16 bytes), PBA at 0x2000 (page 2) */
    ck_assert_int_eq(n, 4);
    ck_assert(m[0].gfn == 0x23000 && m[0].mfn == 0xe0000 && m[0].nr == 1024);
    ck_assert(m[1].gfn == 0x23800 && m[1].mfn == 0xe0800 && m[1].nr == 32);
    ck_assert(m[2].gfn == 0x23821 && m[2].mfn == 0xe0841 && m[2].nr == 1);
    ck_assert(m[3].gfn == 0x23823 && m[3].mfn == 0xe0843 && m[3].nr == 1);
    /* but the whole BAR is granted, for the daemon's later moves */
    struct sim_range r[8];
    n = sim_list_permissions(simfx_hv, 5, r, 8);
    ck_assert_int_eq(n, 4);
    ck_assert(r[3].start == 0xe0840 && r[3].end == 0xe0843);
}
END_TEST

START_TEST(bar_of_256mib_takes_1024_calls)
{
    struct hv_counters c0 = afx_ctx.hv->counters;
    uint64_t sim0 = afx_sim_mapping_calls(5);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len), *saved = afx_ctx.out;

    afx_ctx.out = out;
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, ATTACH_VERBOSE, err, sizeof(err)) == 0, "%s", err);
    afx_ctx.out = saved;
    fclose(out);
    /* BAR0 256 MiB = 65536 pages / 64 = 1024; BAR2 2 MiB = 8; BAR5 256 KiB = 1 */
    ck_assert_ptr_nonnull(strstr(text, "mapped BAR 0: 0x100000000 <- 0x4000000000, 65536 pages, "
                                       "1024 hypercalls\n"));
    ck_assert_ptr_nonnull(strstr(text, "mapped BAR 2: 0x110000000 <- 0xf0000000, 512 pages, "
                                       "8 hypercalls\n"));
    ck_assert_ptr_nonnull(strstr(text, "mapped BAR 5: 0x23000000 <- 0xfe800000, 64 pages, "
                                       "1 hypercall\n"));
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_calls - c0.memory_mapping_calls, 1033);
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_e2big, c0.memory_mapping_e2big);
    ck_assert_uint_eq(afx_sim_mapping_calls(5) - sim0, 1033);
    free(text);
}
END_TEST

START_TEST(bars_too_big_fail_before_any_hypercall)
{
    char *before;

    /* a 16 GiB 64-bit prefetchable BAR: the high hole is 4 GiB */
    afx_set_resource(AFX_GPU, 0, 0x400000000ull, 16ull << 30,
                     IORESOURCE_MEM | IORESOURCE_PREFETCH | IORESOURCE_MEM_64);
    before = afx_snapshot();
    ck_assert_int_eq(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)), -ENOSPC);
    ck_assert_msg(strstr(err, "0000:09:00.0 BAR 0") && strstr(err, "16 GiB") &&
                  strstr(err, "does not fit"), "%s", err);
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_calls, 0);
    ck_assert_uint_eq(afx_ctx.hv->counters.iomem_permission_calls, 0);
    ck_assert_uint_eq(afx_sim_mapping_calls(5), 0);
    assert_same(before);
    free(before);
}
END_TEST

START_TEST(refusals_name_the_fault_and_touch_nothing)
{
    char *before;

    afx_set_driver(AFX_NIC, "igb");
    before = afx_snapshot();

    ck_assert_int_eq(afx_attach(7, AFX_NIC, -1, 0, err, sizeof(err)), -ESRCH);
    ck_assert_str_eq(err, "domain 7 does not exist");
    ck_assert_int_lt(afx_attach(5, "0000:05:00.0", -1, 0, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "0000:05:00.0: no such device"), "%s", err);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, ATTACH_FORCE, err, sizeof(err)), -EBUSY);
    ck_assert_msg(strstr(err, "0000:01:00.0") && strstr(err, "'igb'"), "%s", err);
    ck_assert_int_eq(afx_detach(5, AFX_NIC, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "0000:01:00.0 is not attached to domain 5");
    ck_assert_uint_eq(afx_ctx.hv->counters.iomem_permission_calls, 0);
    assert_same(before);
    free(before);
}
END_TEST

START_TEST(double_attach_is_refused_for_any_domain)
{
    char *before;

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    before = afx_snapshot();
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EBUSY);
    ck_assert_str_eq(err, "0000:01:00.0 is already attached to domain 5");
    ck_assert_int_eq(afx_attach(3, AFX_NIC, -1, 0, err, sizeof(err)), -EBUSY);
    ck_assert_str_eq(err, "0000:01:00.0 is already attached to domain 5");
    assert_same(before);
    free(before);
}
END_TEST

static char *read_file(const char *dev, const char *name)
{
    char path[256], *buf = calloc(1, 256);
    FILE *f;

    snprintf(path, sizeof(path), "%s/devices/%s/%s", afx_tree, dev, name);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    if (!fgets(buf, 256, f))
        buf[0] = '\0';
    fclose(f);
    return buf;
}

/* On a tree with no kernel behind it (tests/unit/assign/test_attach_bind.c plays one) the
 * driver link only moves when the modprobe double (FAKE_MODPROBE=load,
 * tests/support/fakebin/modprobe; PCIPT_DRIVER_CORE names the tree for it)
 * registers the holder, which then takes the function as Linux's
 * driver_attach does. */
START_TEST(bind_hands_the_device_to_uio_pci_generic)
{
    char dir[256], *v;

    /* the holder is loaded but the link does not follow (as when its probe
     * refuses the device): refused, the override cleared again (a lone
     * newline; the kernel reads it back as "(null)") */
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, ATTACH_BIND, err, sizeof(err)), -ENODEV);
    ck_assert_str_eq(err, "0000:01:00.0: uio_pci_generic is loaded but did not take it (its "
                     "probe refused the device; see the kernel log)");
    v = read_file(AFX_NIC, "driver_override");
    ck_assert_str_eq(v, "\n");
    free(v);
    /* not loaded: modprobe loads it, it takes the function, attach goes on */
    snprintf(dir, sizeof(dir), "%s/drivers/uio_pci_generic", afx_tree);
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(setenv("FAKE_MODPROBE", "load", 1), 0);
    ck_assert_int_eq(setenv("PCIPT_DRIVER_CORE", afx_tree, 1), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_BIND, err, sizeof(err)) == 0, "%s", err);
    v = read_file(AFX_NIC, "driver_override");
    ck_assert_str_eq(v, "uio_pci_generic");
    free(v);
    /* bound to amdgpu: --bind writes unbind, but no kernel lets go of it,
     * so the probe leaves it with amdgpu: refused by name, undone */
    afx_set_driver(AFX_GPU, "amdgpu");
    ck_assert_int_eq(afx_attach(5, AFX_GPU, -1, ATTACH_BIND, err, sizeof(err)), -EBUSY);
    ck_assert_str_eq(err, "0000:09:00.0: uio_pci_generic did not take it: the probe left it "
                     "with 'amdgpu'");
    v = read_file(AFX_GPU, "driver_override");
    ck_assert_str_eq(v, "\n");
    free(v);
    unsetenv("FAKE_MODPROBE");
    unsetenv("PCIPT_DRIVER_CORE");
}
END_TEST

START_TEST(detach_of_a_dead_domain_removes_the_nodes)
{
    char *before = xst_dump(), *after;
    struct sim_mapping m[4];

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    /* no hypercall for a dead domain: attach's 19 mapping calls only */
    ck_assert_uint_eq(afx_ctx.hv->counters.memory_mapping_calls, 19);
    ck_assert_int_lt(sim_list_mappings(simfx_hv, 5, m, 4), 0);
    after = xst_dump();
    ck_assert_text_unchanged(after, before);
    free(before);
    free(after);
}
END_TEST

/* msix_bar_holes on real config spaces: table and PBA in one page
 * (cap-dev3: BAR0 16 KiB, table 0x2000 x16 vectors, PBA 0x2100), in two
 * pages of one BAR (cap-pcie-2 BAR3), and BARs that hold neither. */
START_TEST(msix_holes_from_real_capabilities)
{
    static const struct tree_opts o = { .driver = NULL, .reset_method = "flr bus" };
    struct page_range h[2];
    struct hostpci *hp;
    struct sbdf s = { 0, 1, 0, 0 };
    char dir[64], e[256];

    testdata_tree("cap-dev3", &o, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, e, sizeof(e)), 0);
    ck_assert_int_eq(msix_bar_holes(hostpci_host_dev(hp), 0, h), 2);
    ck_assert(h[0].first == 2 && h[0].nr == 1 && h[1].first == 2 && h[1].nr == 1);
    ck_assert_int_eq(msix_bar_holes(hostpci_host_dev(hp), 1, h), 0);
    hostpci_close(hp);
    sysfs_tree_remove(dir);

    testdata_tree("cap-pcie-2", &o, dir, sizeof(dir));
    ck_assert_int_eq(hostpci_open(dir, &s, &hp, e, sizeof(e)), 0);
    ck_assert_int_eq(msix_bar_holes(hostpci_host_dev(hp), 3, h), 2);
    ck_assert(h[0].first == 0 && h[0].nr == 1 && h[1].first == 2 && h[1].nr == 1);
    ck_assert_int_eq(msix_bar_holes(hostpci_host_dev(hp), 0, h), 0);
    ck_assert_int_eq(msix_bar_holes(hostpci_host_dev(hp), 6, h), 0);
    hostpci_close(hp);
    sysfs_tree_remove(dir);
}
END_TEST

static Suite *attach_suite(void)
{
    Suite *s = suite_create("attach");
    TCase *tc = tcase_create("sim+xenstored");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_add_test(tc, cycle_leaves_everything_as_before);
    tcase_add_test(tc, two_devices_share_the_holes);
    tcase_add_test(tc, slot_collision_is_refused_before_any_call);
    tcase_add_test(tc, msix_table_and_pba_pages_stay_unmapped);
    tcase_add_test(tc, bar_of_256mib_takes_1024_calls);
    tcase_add_test(tc, bars_too_big_fail_before_any_hypercall);
    tcase_add_test(tc, refusals_name_the_fault_and_touch_nothing);
    tcase_add_test(tc, double_attach_is_refused_for_any_domain);
    tcase_add_test(tc, bind_hands_the_device_to_uio_pci_generic);
    tcase_add_test(tc, detach_of_a_dead_domain_removes_the_nodes);
    suite_add_tcase(s, tc);
    tc = tcase_create("msix");
    tcase_add_test(tc, msix_holes_from_real_capabilities);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_suite)
