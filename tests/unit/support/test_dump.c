/* The lspci dump parser, on every real dump in tests/data/dumps, checked
 * against the real `lspci -F` reading the same files; and on bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

/* "SSSS:BB:DD.F vvvv:dddd" per function, as `lspci -F FILE -D -n` prints them. */
static unsigned lspci_ids(const char *file, char ids[][32], unsigned max)
{
    char cmd[700], *out = NULL, *save = NULL;
    unsigned n = 0;

    snprintf(cmd, sizeof(cmd), "lspci -F '%s' -D -n", file);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char addr[16], cls[16], id[16];
        if (sscanf(line, "%15s %15s %15s", addr, cls, id) == 3 && n < max)
            snprintf(ids[n++], 32, "%s %s", addr, id);
    }
    free(out);
    return n;
}

START_TEST(every_dump_matches_lspci)
{
    const char *name = dump_files[_i];
    char path[512], ids[16][32];
    struct dump d;
    unsigned n;

    testdata_dump(name, &d);
    testdata_dump_path(name, path, sizeof(path));
    n = lspci_ids(path, ids, 16);
    ck_assert_msg(n == d.n, "%s: lspci sees %u functions, the parser %u", name, n, d.n);
    for (unsigned i = 0; i < d.n; i++) {
        char mine[32], a[SBDF_STR_LEN];
        bool found = false;
        snprintf(mine, sizeof(mine), "%s %04x:%04x", sbdf_format(&d.f[i].addr, a),
                 dump_cfg16(&d.f[i], 0), dump_cfg16(&d.f[i], 2));
        for (unsigned k = 0; k < n; k++)
            found |= !strcmp(ids[k], mine);
        ck_assert_msg(found, "%s: '%s' not in lspci -F's output", name, mine);
        ck_assert(d.f[i].cfg_size == 256 || d.f[i].cfg_size == 4096);
        ck_assert_uint_ne(dump_cfg16(&d.f[i], 0), 0xffff);
    }
    dump_free(&d);
}
END_TEST

START_TEST(known_shapes)
{
    struct dump d;
    char a[SBDF_STR_LEN];

    testdata_dump("tree-fsl-p2020", &d);
    ck_assert_uint_eq(d.n, 6);
    ck_assert_str_eq(sbdf_format(&d.f[2].addr, a), "0001:02:00.0");
    ck_assert_uint_eq(dump_cfg8(&d.f[2], 0x0e) & 0x7f, 1);        /* a bridge */
    ck_assert_str_eq(sbdf_format(&d.f[5].addr, a), "0002:01:00.0");
    dump_free(&d);

    testdata_dump("cap-pcie-2", &d);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_uint_eq(d.f[0].cfg_size, 4096);
    ck_assert_uint_eq(dump_cfg32(&d.f[0], 0x10), 0xe0800000);
    ck_assert_uint_eq(d.f[0].text_size[0], 128 * 1024);
    ck_assert_uint_eq(d.f[0].text_size[2], 32);
    ck_assert_uint_eq(d.f[0].text_size[PCI_ROM_SLOT], 4u << 20);
    ck_assert_str_eq(d.f[0].driver, "igb");
    dump_free(&d);

    testdata_dump("cap-vendor-virtio", &d);
    ck_assert_uint_eq(d.n, 2);
    ck_assert_uint_eq(d.f[0].cfg_size, 256);
    ck_assert_str_eq(sbdf_format(&d.f[1].addr, a), "0000:00:04.0");
    ck_assert_uint_eq(d.f[1].text_size[2], 1ull << 30);
    dump_free(&d);
}
END_TEST

static int load_text(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/pcipt-dump.XXXXXX";
    int fd = mkstemp(path);
    struct dump d;
    int rc;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    rc = dump_load(path, &d, err, errlen);
    if (!rc)
        dump_free(&d);
    unlink(path);
    return rc;
}

START_TEST(bad_input)
{
    char err[512];

    ck_assert_int_ne(load_text("", err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "no devices"));
    ck_assert_int_ne(load_text("01:00.0 x\n00: 86 80 zz\n", err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, ":2: malformed"));
    ck_assert_int_ne(load_text("hello world\n", err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, ":1: expected a device line"));
    ck_assert_int_ne(load_text("01:00.0 x\n\tRegion 0: Memory\n", err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "no config space"));
    ck_assert_int_ne(load_text("01:00.0 x\n1000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
                               err, sizeof(err)), 0);
    ck_assert_int_ne(load_text("01:00.0 x\n00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80\n",
                               err, sizeof(err)), 0);
    ck_assert_int_eq(load_text("01:00.0 x\n00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00\n",
                               err, sizeof(err)), 0);
    {
        struct dump d;
        ck_assert_int_ne(dump_load("/nonexistent/dump", &d, err, sizeof(err)), 0);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dump"));
    }
}
END_TEST

static Suite *dump_suite(void)
{
    Suite *s = suite_create("dump");
    TCase *tc = tcase_create("parse");
    unsigned n = 0;

    while (dump_files[n])
        n++;
    tcase_add_loop_test(tc, every_dump_matches_lspci, 0, (int)n);
    tcase_add_test(tc, known_shapes);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(dump_suite)
