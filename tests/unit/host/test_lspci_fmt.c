/* lspci_fmt: the guest's view of each function, read through the fake
 * ECAM bus and written in `lspci -xxxx` form, parsed by the real
 * `lspci -F` (pciutils) as an independent check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/host/lspci_fmt.h"
#include "tests/support/guest_enum_util.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

/* Enumerate the standard bus, then dump every function found to a file. */
static void write_guest_view(const char *path)
{
    struct fake_ecam *fe;
    struct guest_enum_result *r = get_standard(&fe);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);
    uint8_t *img = malloc(4096);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    for (unsigned i = 0; i < r->nfuncs; i++) {
        ck_assert_int_eq(guest_enum_dump_config(&fake_ecam_ops, fe, &cfg, &r->funcs[i].bdf, img), 0);
        ck_assert_int_eq(lspci_fmt_write(f, &r->funcs[i].bdf, "guest view", img, 4096), 0);
    }
    ck_assert_int_eq(fclose(f), 0);
    free(img);
    free(r);
    fake_ecam_free(fe);
}

static char *lspci(const char *path, const char *args)
{
    char cmd[512], *out = NULL;

    snprintf(cmd, sizeof(cmd), "lspci -F %s %s", path, args);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    ck_assert_ptr_nonnull(out);
    return out;
}

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(lspci_reads_ids)
{
    char path[] = "/tmp/pcipt-lspcifmt.XXXXXX";
    int fd = mkstemp(path);
    char *out;

    ck_assert_int_ge(fd, 0);
    close(fd);
    write_guest_view(path);
    out = lspci(path, "-n");
    ck_assert_uint_eq(count_lines(out), 6);
    ck_assert_ptr_nonnull(strstr(out, "00:00.0 00ff: 1234:11e8 (rev 10)\n"));
    ck_assert_ptr_nonnull(strstr(out, "00:02.0 0200: 8086:10d3\n"));
    ck_assert_ptr_nonnull(strstr(out, "00:02.1 0c03: 8086:10d4 (rev 01)\n"));
    ck_assert_ptr_nonnull(strstr(out, "00:02.3 0108: 8086:10d5 (rev 02)\n"));
    ck_assert_ptr_nonnull(strstr(out, "00:05.0 00ff: 1b36:0005\n"));
    ck_assert_ptr_nonnull(strstr(out, "00:07.0 00ff: 1b36:0099\n"));
    free(out);
    unlink(path);
}
END_TEST

START_TEST(lspci_reads_bars_and_caps)
{
    char path[] = "/tmp/pcipt-lspcifmt.XXXXXX";
    int fd = mkstemp(path);
    char *out;

    ck_assert_int_ge(fd, 0);
    close(fd);
    write_guest_view(path);
    out = lspci(path, "-vv -s 00:00.0");
    ck_assert_ptr_nonnull(strstr(out, "\tSubsystem: "));
    ck_assert_ptr_nonnull(strstr(out, "Control: I/O- Mem+ BusMaster+"));
    ck_assert_ptr_nonnull(strstr(out, "\tRegion 0: Memory at 23000000 (32-bit, non-prefetchable)\n"));
    ck_assert_ptr_nonnull(strstr(out, "\tRegion 2: Memory at 100000000 (64-bit, prefetchable)\n"));
    ck_assert_ptr_nonnull(strstr(out, "\tExpansion ROM at 23120000 [disabled]\n"));
    ck_assert_ptr_nonnull(strstr(out, "Capabilities: [50] MSI: Enable+ Count=1/4 Maskable+ 64bit+\n"));
    ck_assert_ptr_nonnull(strstr(out, "Address: 0000000008090040  Data: 0020\n"));
    ck_assert_ptr_nonnull(strstr(out, "Capabilities: [b0] MSI-X: Enable- Count=8 Masked-\n"));
    ck_assert_ptr_nonnull(strstr(out, "Capabilities: [100 v2] Advanced Error Reporting\n"));
    ck_assert_ptr_nonnull(strstr(out, "Capabilities: [148 v1] Device Serial Number"));
    free(out);
    unlink(path);
}
END_TEST

/* The check can fail: a changed image reads back changed, and the segment
 * is printed when non-zero. */
START_TEST(lspci_sees_changes_and_segment)
{
    char path[] = "/tmp/pcipt-lspcifmt.XXXXXX";
    int fd = mkstemp(path);
    uint8_t img[256];
    struct sbdf bdf = { .seg = 1, .bus = 0x3, .dev = 0x1f, .fn = 7 };
    FILE *f;
    char *out;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    memset(img, 0, sizeof(img));
    img[0] = 0xad; img[1] = 0xde; img[2] = 0xef; img[3] = 0xbe;
    img[0x0b] = 0x02;
    ck_assert_int_eq(lspci_fmt_write(f, &bdf, "one\nline", img, sizeof(img)), 0);
    fclose(f);
    out = lspci(path, "-n");
    ck_assert_str_eq(out, "0001:03:1f.7 0200: dead:beef\n");
    free(out);
    unlink(path);
}
END_TEST

START_TEST(format_lines_and_bad_args)
{
    uint8_t img[4096];
    struct sbdf bdf = { 0, 0, 1, 0 }, bad = { 0, 0, 32, 0 };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    for (unsigned i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)i;
    ck_assert_int_eq(lspci_fmt_write(f, &bdf, NULL, img, 4096), 0);
    ck_assert_int_eq(lspci_fmt_write(f, &bdf, NULL, img, 100), -EINVAL);
    ck_assert_int_eq(lspci_fmt_write(f, &bad, NULL, img, 256), -EINVAL);
    ck_assert_int_eq(lspci_fmt_write(f, &bdf, NULL, NULL, 256), -EINVAL);
    fclose(f);
    ck_assert_uint_eq(count_lines(buf), 1 + 256 + 1);
    ck_assert(strncmp(buf, "00:01.0\n000: 00 01 02 03", 24) == 0);
    ck_assert_ptr_nonnull(strstr(buf, "\nff0: f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff\n"));
    free(buf);
}
END_TEST

static Suite *lspci_fmt_suite(void)
{
    Suite *s = suite_create("lspci_fmt");
    TCase *tc = tcase_create("lspci");

    tcase_add_test(tc, lspci_reads_ids);
    tcase_add_test(tc, lspci_reads_bars_and_caps);
    tcase_add_test(tc, lspci_sees_changes_and_segment);
    tcase_add_test(tc, format_lines_and_bad_args);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(lspci_fmt_suite)
