/* `pcipt list` and `pcipt plan` as a user runs them: on the machine's own
 * /sys/bus/pci and on trees from every dump; plan's JSON is read back and
 * every guest BAR checked (inside its hole, naturally aligned, no overlap). */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/assign.h"
#include "tests/support/json_util.h"
#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static const struct tree_opts with_drivers = { .driver = TREE_DRIVER_FROM_DUMP,
                                               .reset_method = "flr bus" };

START_TEST(list_own_sysfs)
{
    char *out = NULL, *err = NULL;
    struct dirent *de;
    struct jv *doc;
    unsigned n = 0;
    DIR *d;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "list"), 0);
    d = opendir("/sys/bus/pci/devices");
    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        ck_assert_msg(strstr(out, de->d_name) != NULL, "%s missing from pcipt list", de->d_name);
        n++;
    }
    closedir(d);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "list --json"), 0);
    doc = jv_parse(out);
    ck_assert_msg(doc != NULL, "not JSON: %s", out);
    ck_assert_uint_eq(jv_get(doc, "devices")->n, n);
    jv_free(doc);
    free(out);
    free(err);
}
END_TEST

START_TEST(list_every_tree)
{
    const char *name = dump_files[_i];
    char dir[64], args[256], *out = NULL, *err = NULL, a[SBDF_STR_LEN];
    const struct jv *devs;
    struct jv *doc;
    struct dump d;

    testdata_dump(name, &d);
    testdata_tree(name, &with_drivers, dir, sizeof(dir));
    snprintf(args, sizeof(args), "--sysfs %s list", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 0);
    for (unsigned i = 0; i < d.n; i++)
        ck_assert_msg(strstr(out, sbdf_format(&d.f[i].addr, a)), "%s: %s not listed", name, a);
    free(out);
    free(err);
    snprintf(args, sizeof(args), "--sysfs %s list --json", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 0);
    doc = jv_parse(out);
    ck_assert_msg(doc != NULL, "%s: not JSON: %s", name, out);
    devs = jv_get(doc, "devices");
    ck_assert_uint_eq(devs->n, d.n);
    for (unsigned i = 0; i < d.n; i++) {
        const struct jv *dev = NULL;
        struct host_bar bars[PCI_NUM_RES];
        unsigned nb = 0;
        char vid[8];
        sbdf_format(&d.f[i].addr, a);
        for (unsigned k = 0; k < devs->n; k++)
            if (!strcmp(jv_get_str(&devs->kids[k], "sbdf"), a))
                dev = &devs->kids[k];
        ck_assert_ptr_nonnull(dev);
        snprintf(vid, sizeof(vid), "0x%04x", dump_cfg16(&d.f[i], 0));
        ck_assert_str_eq(jv_get_str(dev, "vendor"), vid);
        tree_bars(&d.f[i], bars);
        for (unsigned b = 0; b < PCI_NUM_RES; b++)
            nb += bars[b].type != BAR_NONE;
        ck_assert_uint_eq(jv_get(dev, "bars")->n, nb);
        if (d.f[i].driver[0])
            ck_assert_str_eq(jv_get_str(dev, "driver"), d.f[i].driver);
        ck_assert_str_eq(jv_get_str(dev, "reset_method"), "flr bus");
    }
    jv_free(doc);
    free(out);
    free(err);
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

START_TEST(list_errors)
{
    char *out = NULL, *err = NULL;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "--sysfs /nonexistent list"), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/devices"));
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "list --bogus"), 2);
    free(out);
    free(err);
}
END_TEST

struct span {
    uint64_t start, end;
    char what[48];
};

/* One device of plan's JSON: every BAR in its hole, aligned, host as in the tree. */
static unsigned check_plan_dev(const struct jv *dev, const struct dump_func *f,
                               struct span *spans, unsigned nspans)
{
    const struct jv *bars = jv_get(dev, "bars");
    struct host_bar want[PCI_NUM_RES];
    const struct jv *spi = jv_get(dev, "spi");
    const char *vs = jv_get_str(dev, "vsbdf");

    ck_assert_ptr_nonnull(bars);
    ck_assert_ptr_nonnull(vs);
    ck_assert_int_eq(strncmp(vs, "0000:00:", 8), 0);
    ck_assert_ptr_nonnull(spi);
    ck_assert(spi->num == 0 || (spi->num >= 48 && spi->num < 64));
    ck_assert_int_eq(spi->num != 0, dump_cfg8(f, 0x3d) != 0);
    tree_bars(f, want);
    for (unsigned k = 0; k < bars->n; k++) {
        const struct jv *b = &bars->kids[k];
        const char *type = jv_get_str(b, "type");
        uint64_t host, guest, size;
        bool pref = jv_get(b, "prefetchable")->b;
        unsigned idx = (unsigned)jv_get(b, "index")->num;

        ck_assert(jv_get_u64(b, "host", &host) && jv_get_u64(b, "guest", &guest) &&
                  jv_get_u64(b, "size", &size));
        ck_assert_uint_lt(idx, PCI_NUM_RES);
        ck_assert_uint_eq(host, want[idx].addr);
        ck_assert_uint_eq(size, want[idx].size);
        if (!strcmp(type, "io")) {
            ck_assert_uint_eq(guest, 0);
            continue;
        }
        ck_assert_uint_eq(guest % size, 0);                          /* naturally aligned */
        if (size < 4096)
            ck_assert_uint_eq(guest & 0xfff, host & 0xfff);          /* in-page offset kept */
        if (!strcmp(type, "mem32") || !strcmp(type, "rom") ||
            (!strcmp(type, "mem64") && !pref && guest < PCIPT_VPCI_PREFETCH_MEM_ADDR)) {
            ck_assert_uint_ge(guest, PCIPT_VPCI_MEM_ADDR);
            ck_assert_uint_le(guest + size, PCIPT_VPCI_MEM_ADDR + PCIPT_VPCI_MEM_SIZE);
        } else {
            ck_assert_str_eq(type, "mem64");
            ck_assert_uint_ge(guest, PCIPT_VPCI_PREFETCH_MEM_ADDR);
            ck_assert_uint_le(guest + size,
                              PCIPT_VPCI_PREFETCH_MEM_ADDR + PCIPT_VPCI_PREFETCH_MEM_SIZE);
        }
        /* pages taken: none may be shared with another BAR */
        spans[nspans].start = guest & ~0xfffull;
        spans[nspans].end = (guest + size + 0xfff) & ~0xfffull;
        snprintf(spans[nspans].what, sizeof(spans[nspans].what), "%s BAR %u",
                 jv_get_str(dev, "sbdf"), idx);
        for (unsigned s = 0; s < nspans; s++)
            ck_assert_msg(spans[s].end <= spans[nspans].start ||
                          spans[nspans].end <= spans[s].start, "%s overlaps %s",
                          spans[nspans].what, spans[s].what);
        nspans++;
    }
    return nspans;
}

START_TEST(plan_every_endpoint)
{
    const char *name = dump_files[_i];
    char dir[64], args[1024], *out = NULL, *err = NULL, a[SBDF_STR_LEN];
    struct span spans[64];
    unsigned nspans = 0, neps = 0;
    const struct jv *devs;
    struct jv *doc;
    struct dump d;
    int off;

    testdata_dump(name, &d);
    testdata_tree(name, &with_drivers, dir, sizeof(dir));
    off = snprintf(args, sizeof(args), "--sysfs %s plan --json", dir);
    for (unsigned i = 0; i < d.n; i++)
        if ((dump_cfg8(&d.f[i], 0x0e) & 0x7f) == 0) {
            off += snprintf(args + off, sizeof(args) - (size_t)off, " %s",
                            sbdf_format(&d.f[i].addr, a));
            neps++;
        }
    ck_assert_uint_ge(neps, 1);   /* even broken-ecaps' RS690 has a type-0 header */
    ck_assert_msg(run_pcipt(NULL, &out, &err, "%s", args) == 0, "%s: %s", name, err);
    doc = jv_parse(out);
    ck_assert_msg(doc != NULL, "%s: not JSON: %s", name, out);
    ck_assert_uint_eq(doc->n, 1);                                 /* exactly one object */
    devs = jv_get(doc, "devices");
    ck_assert_uint_eq(devs->n, neps);
    for (unsigned k = 0; k < devs->n; k++) {
        const struct dump_func *f = NULL;
        for (unsigned i = 0; i < d.n; i++)
            if (!strcmp(sbdf_format(&d.f[i].addr, a), jv_get_str(&devs->kids[k], "sbdf")))
                f = &d.f[i];
        ck_assert_ptr_nonnull(f);
        for (unsigned j = 0; j < k; j++)
            ck_assert_str_ne(jv_get_str(&devs->kids[j], "vsbdf"),
                             jv_get_str(&devs->kids[k], "vsbdf"));
        nspans = check_plan_dev(&devs->kids[k], f, spans, nspans);
    }
    jv_free(doc);
    free(out);
    free(err);
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

/* cap-rebar with BAR 0 moved to 16 GiB: its alignment makes it 16 GiB. */
static void tree_16g(char *dir, size_t len)
{
    struct dump d;
    char e[512];

    testdata_dump("cap-rebar", &d);
    memcpy(&d.f[0].cfg[0x10], (uint8_t[8]){ 0x0c, 0, 0, 0, 0x04, 0, 0, 0 }, 8);
    ck_assert_int_eq(sysfs_tree_mkdtemp(dir, len), 0);
    ck_assert_msg(sysfs_tree_add(dir, &d.f[0], &with_drivers, e, sizeof(e)) == 0, "%s", e);
    dump_free(&d);
}

START_TEST(plan_16g_does_not_fit)
{
    char dir[64], args[512], *out = NULL, *err = NULL;

    tree_16g(dir, sizeof(dir));
    snprintf(args, sizeof(args), "--sysfs %s plan --json 0000:09:00.0", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "pcipt: 0000:09:00.0 BAR 0 (64-bit prefetchable, 16 GiB) does not "
                          "fit: the prefetchable hole has 4 GiB free\n");
    free(out);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

START_TEST(plan_config_file)
{
    char dir[64], args[600], conf[] = "/tmp/pcipt-conf.XXXXXX", *out = NULL, *err = NULL;
    struct jv *doc;
    uint64_t guest;
    FILE *fp;

    tree_16g(dir, sizeof(dir));
    ck_assert_int_ge(mkstemp(conf), 0);
    fp = fopen(conf, "w");
    fputs("vpci_prefetch_base = 0x800000000  # 32 GiB\nvpci_prefetch_size = 32G\n"
          "intx_spi_base = 200\n", fp);
    fclose(fp);
    snprintf(args, sizeof(args), "--sysfs %s --config %s plan --json 09:00.0@7", dir, conf);
    ck_assert_msg(run_pcipt(NULL, &out, &err, "%s", args) == 0, "%s", err);
    doc = jv_parse(out);
    ck_assert_ptr_nonnull(doc);
    {
        const struct jv *dev = &jv_get(doc, "devices")->kids[0];
        ck_assert_str_eq(jv_get_str(dev, "vsbdf"), "0000:00:07.0");
        /* slot 7's INTA route: intx_spi_base + (7 - 1) (pcipt/assign/intx_route.h) */
        ck_assert_uint_eq((unsigned)jv_get(dev, "spi")->num, 206);
        ck_assert(jv_get_u64(&jv_get(dev, "bars")->kids[0], "guest", &guest));
        ck_assert_uint_eq(guest, 0x800000000ull);
    }
    jv_free(doc);
    free(out);
    free(err);
    fp = fopen(conf, "w");
    fputs("vpci_mem_base = 0x23000000\nvpci_mem_sise = 1\n", fp);
    fclose(fp);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown key 'vpci_mem_sise'"));
    free(out);
    free(err);
    remove(conf);
    snprintf(args, sizeof(args), "--sysfs %s --config %s plan 09:00.0", dir, conf);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args),
                     1);                /* --config must exist */
    ck_assert_ptr_nonnull(strstr(err, conf));
    free(out);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

START_TEST(plan_errors)
{
    char dir[64], args[512], *out = NULL, *err = NULL;

    testdata_tree("tree-fsl-p2020", &with_drivers, dir, sizeof(dir));
    snprintf(args, sizeof(args), "--sysfs %s plan 0001:02:00.0", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, "0001:02:00.0 is a bridge"));
    free(out);
    free(err);
    snprintf(args, sizeof(args), "--sysfs %s plan 0001:03:00.0@4 0002:01:00.0@4", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, "virtual slot 4 is already taken by 0001:03:00.0"));
    free(out);
    free(err);
    snprintf(args, sizeof(args), "--sysfs %s plan 0003:00:00.0", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, "0003:00:00.0: no such device under"));
    free(out);
    free(err);
    snprintf(args, sizeof(args), "--sysfs %s plan 0001:03:00.0@40", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "plan"), 2);
    free(out);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

/* A tree with one unreadable function: a message and exit 1, never a crash. */
START_TEST(list_broken_tree)
{
    char dir[64], args[256], path[300], *out = NULL, *err = NULL;

    testdata_tree("tree-fsl-p2020", &with_drivers, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/devices/0001:03:00.0/resource", dir);
    {
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        fputs("not a resource line\n", fp);
        fclose(fp);
    }
    snprintf(args, sizeof(args), "--sysfs %s list", dir);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s", args), 1);
    ck_assert_ptr_nonnull(strstr(err, "0001:03:00.0"));
    free(out);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

/* The mksysfs tool (build/tests/mksysfs) makes trees pcipt and lspci read. */
START_TEST(mksysfs_tool)
{
    char tool[512], dir[64], cmd[1400], dump[512], *out = NULL, *err = NULL;
    const char *bin = test_pcipt_bin();
    const char *slash = strrchr(bin, '/');

    snprintf(tool, sizeof(tool), "%.*s/tests/mksysfs", slash ? (int)(slash - bin) : 1,
             slash ? bin : ".");
    ck_assert_int_eq(sysfs_tree_mkdtemp(dir, sizeof(dir)), 0);
    testdata_dump_path("tree-fsl-p2020", dump, sizeof(dump));
    snprintf(cmd, sizeof(cmd), "%s %s %s && lspci -O sysfs.path=%s -D", tool, dir, dump, dir);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 0);
    ck_assert_ptr_nonnull(strstr(out, "0002:01:00.0 USB controller"));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "%s %s /nonexistent/dump", tool, dir);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dump"));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "%s", tool);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 2);
    free(out);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

/* Every command's --help prints its usage line once, first (status printed
 * it twice: its help text began with it too). */
START_TEST(help_has_one_usage_line)
{
    static const char *const cmds[] = { "check", "list", "guest-view", "plan", "attach",
                                        "detach", "status", "serve", "simulate", "dtb",
                                        "create", "pci-attach", "pci-detach", "sim", "watch" };

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *out = NULL, *err = NULL, want[64];
        const char *at;
        int n = 0;

        ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s --help", cmds[i]), 0);
        snprintf(want, sizeof(want), "usage: pcipt %s", cmds[i]);
        ck_assert_msg(!strncmp(out, want, strlen(want)), "%s --help starts: %.60s", cmds[i], out);
        for (at = out; (at = strstr(at, "usage:")); at++)
            n++;
        ck_assert_msg(n == 1, "pcipt %s --help: %d usage lines", cmds[i], n);
        free(out);
        free(err);
    }
}
END_TEST

static Suite *cli_host_suite(void)
{
    Suite *s = suite_create("cli_host");
    TCase *tc = tcase_create("list_plan");
    unsigned n = 0;

    while (dump_files[n])
        n++;
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, list_own_sysfs);
    tcase_add_test(tc, help_has_one_usage_line);
    tcase_add_loop_test(tc, list_every_tree, 0, (int)n);
    tcase_add_test(tc, list_errors);
    tcase_add_test(tc, list_broken_tree);
    tcase_add_test(tc, mksysfs_tool);
    tcase_add_loop_test(tc, plan_every_endpoint, 0, (int)n);
    tcase_add_test(tc, plan_16g_does_not_fit);
    tcase_add_test(tc, plan_config_file);
    tcase_add_test(tc, plan_errors);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(cli_host_suite)
