/* Trees built from the dumps, read back by the real `lspci -O sysfs.path=`:
 * IDs and every BAR (address, type, size) must agree with what the tree
 * builder meant; sizes stated in the dumps' own lspci text must match. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

struct seen_bar {
    bool present, io, mem64, pref;
    uint64_t addr, size;
};

struct seen_fn {
    char addr[16];
    unsigned vendor, device;
    struct seen_bar bars[PCI_NUM_RES];
};

/* One "\tRegion N: ..." or "\tExpansion ROM at ..." line of lspci -vv. */
static void parse_region(const char *line, struct seen_fn *fn)
{
    const char *at = strstr(line, " at "), *sz = strstr(line, "[size=");
    unsigned idx;
    struct seen_bar *b;

    if (sscanf(line, "\tRegion %u:", &idx) == 1 && idx < 6)
        b = &fn->bars[idx];
    else if (!strncmp(line, "\tExpansion ROM at ", 18))
        b = &fn->bars[PCI_ROM_SLOT];
    else
        return;
    ck_assert_ptr_nonnull(at);
    b->present = true;
    b->addr = strtoull(at + 4, NULL, 16);
    b->io = strstr(line, "I/O ports") != NULL;
    b->mem64 = strstr(line, "64-bit") != NULL;
    b->pref = strstr(line, " prefetchable") != NULL;
    b->size = sz ? testdata_parse_size(sz + 6) : 0;
}

static unsigned lspci_tree(const char *dir, struct seen_fn *fns, unsigned max)
{
    char cmd[600], *out = NULL, *save = NULL;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "lspci -O sysfs.path=%s -D -vv -nn", dir);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '\t') {
            const char *ids = strrchr(line, '[');
            char *lb;
            ck_assert_int_lt(n + 1, (int)max);
            n++;
            memset(&fns[n], 0, sizeof(fns[n]));
            sscanf(line, "%15s", fns[n].addr);
            /* "... [vvvv:dddd]" possibly followed by " (rev xx)" */
            for (lb = strstr(line, " ["); lb; lb = strstr(lb + 1, " ["))
                if (sscanf(lb, " [%4x:%4x]", &fns[n].vendor, &fns[n].device) == 2)
                    ids = lb;
            ck_assert_ptr_nonnull(ids);
        } else if (n >= 0 && line[1] != '\t') {
            parse_region(line, &fns[n]);
        }
    }
    free(out);
    return (unsigned)(n + 1);
}

START_TEST(lspci_reads_every_tree)
{
    const char *name = dump_files[_i];
    struct tree_opts o = { .driver = TREE_DRIVER_FROM_DUMP, .reset_method = "flr" };
    struct seen_fn fns[16];
    char dir[64], a[SBDF_STR_LEN];
    struct dump d;
    unsigned n;

    testdata_dump(name, &d);
    testdata_tree(name, &o, dir, sizeof(dir));
    n = lspci_tree(dir, fns, 16);
    ck_assert_uint_eq(n, d.n);
    for (unsigned i = 0; i < d.n; i++) {
        const struct dump_func *f = &d.f[i];
        struct host_bar bars[PCI_NUM_RES];
        const struct seen_fn *s = NULL;
        sbdf_format(&f->addr, a);
        for (unsigned k = 0; k < n; k++)
            if (!strcmp(fns[k].addr, a))
                s = &fns[k];
        ck_assert_msg(s != NULL, "%s: lspci does not list %s", name, a);
        ck_assert_uint_eq(s->vendor, dump_cfg16(f, 0));
        ck_assert_uint_eq(s->device, dump_cfg16(f, 2));
        tree_bars(f, bars);
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            if (bars[b].type == BAR_NONE) {
                ck_assert_msg(!s->bars[b].present || !s->bars[b].size,
                              "%s %s BAR %u: lspci shows a sized region the tree lacks", name, a, b);
                continue;
            }
            ck_assert_msg(s->bars[b].present, "%s %s BAR %u missing in lspci", name, a, b);
            ck_assert_uint_eq(s->bars[b].addr, bars[b].addr);
            ck_assert_msg(s->bars[b].size == bars[b].size, "%s %s BAR %u: lspci size %" PRIu64
                          ", tree %" PRIu64, name, a, b, s->bars[b].size, bars[b].size);
            ck_assert_int_eq(s->bars[b].io, bars[b].type == BAR_IO);
            if (b < PCI_ROM_SLOT && bars[b].type != BAR_IO) {
                ck_assert_int_eq(s->bars[b].mem64, bars[b].type == BAR_MEM64);
                ck_assert_int_eq(s->bars[b].pref, bars[b].prefetchable);
            }
        }
    }
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

/* Where a dump's text states a size, the tree has exactly that size. */
START_TEST(sizes_stated_in_dumps)
{
    const char *name = dump_files[_i];
    struct dump d;
    char a[SBDF_STR_LEN];

    testdata_dump(name, &d);
    for (unsigned i = 0; i < d.n; i++) {
        struct host_bar bars[PCI_NUM_RES];
        tree_bars(&d.f[i], bars);
        for (unsigned b = 0; b < PCI_NUM_RES; b++)
            if (d.f[i].text_size[b])
                ck_assert_msg(bars[b].size == d.f[i].text_size[b], "%s %s BAR %u: %" PRIu64
                              " stated, tree has %" PRIu64, name, sbdf_format(&d.f[i].addr, a),
                              b, d.f[i].text_size[b], bars[b].size);
    }
    dump_free(&d);
}
END_TEST

/* The alignment derivation itself, checked against cap-pcie-2's and
 * virtio-net's stated sizes where it is right, and where it is not. */
START_TEST(alignment_derivation)
{
    struct dump d;

    testdata_dump("cap-pcie-2", &d);
    ck_assert_uint_eq(tree_derive_size(&d.f[0], 2, 0x1020, true), d.f[0].text_size[2]);   /* 32 */
    /* e0000000 is 512 MiB aligned, capped at 8 MiB by BAR 0 at e0800000, but the
     * NIC decodes 4 MiB: hence the override */
    ck_assert_uint_eq(tree_derive_size(&d.f[0], 1, 0xe0000000, false), 8u << 20);
    ck_assert_uint_ne(tree_derive_size(&d.f[0], 1, 0xe0000000, false), d.f[0].text_size[1]);
    /* BAR 0 at e0800000 (8 MiB aligned) is capped by BAR 3 at e0840000 */
    ck_assert_uint_eq(tree_derive_size(&d.f[0], 0, 0xe0800000, false), 256u << 10);
    dump_free(&d);

    testdata_dump("cap-vendor-virtio", &d);
    ck_assert_uint_eq(tree_derive_size(&d.f[0], PCI_ROM_SLOT, 0xfeb80000, false),
                      d.f[0].text_size[PCI_ROM_SLOT]);                                 /* 256K */
    ck_assert_uint_eq(tree_derive_size(&d.f[0], 0, 0xc060, true), d.f[0].text_size[0]); /* 32 */
    dump_free(&d);
}
END_TEST

START_TEST(tree_files)
{
    struct tree_opts o = { .driver = "igb", .reset_method = NULL };
    char dir[64], path[256], buf[256];
    FILE *fp;

    testdata_tree("cap-pcie-2", &o, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/vendor", dir);
    fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
    fclose(fp);
    ck_assert_str_eq(buf, "0x8086\n");
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/reset_method", dir);
    ck_assert_ptr_null(fopen(path, "r"));
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/driver", dir);
    ck_assert_int_gt(readlink(path, buf, sizeof(buf)), 0);
    sysfs_tree_remove(dir);
}
END_TEST

static Suite *tree_suite(void)
{
    Suite *s = suite_create("sysfs_tree");
    TCase *tc = tcase_create("lspci");
    unsigned n = 0;

    while (dump_files[n])
        n++;
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, lspci_reads_every_tree, 0, (int)n);
    tcase_add_loop_test(tc, sizes_stated_in_dumps, 0, (int)n);
    tcase_add_test(tc, alignment_derivation);
    tcase_add_test(tc, tree_files);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(tree_suite)
