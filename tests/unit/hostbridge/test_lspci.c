/* An independent parser: the guest view of an endpoint, written out in
 * `lspci -xxxx` form, must parse cleanly with the real `lspci -F`: the
 * allowed capabilities only, no extended capabilities, no complaints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/engine_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

static void dump_guest_view(struct fix *f, uint8_t slot, const char *path)
{
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    fprintf(out, "00:%02x.0 Device: Device\n", slot);
    for (unsigned row = 0; row < PCI_CFG_SIZE; row += 16) {
        fprintf(out, "%02x:", row);
        for (unsigned b = 0; b < 16; b++)
            fprintf(out, " %02x", (unsigned)cfg_rd(f, slot, 0, row + b, 1));
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
    fclose(out);
}

START_TEST(lspci_parses_the_guest_view)
{
    struct fix f;
    struct memdev m;
    char path[] = "/tmp/pcipt-engine-XXXXXX", cmd[256], *out = NULL, *err = NULL;
    uint64_t gb[PCI_NUM_RES] = { 0x200000000ull, 0, 0x23000000, 0, 0, 0, 0x23100000 };
    memdev_endpoint(&m);
    fix_init(&f);
    fix_add(&f, &m, 3, 0, gb);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    dump_guest_view(&f, 3, path);
    snprintf(cmd, sizeof(cmd), "lspci -F %s -vvv -nn", path);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 0);
    unlink(path);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(strstr(out, "Power Management version 3"), "%s", out);
    ck_assert_msg(strstr(out, "PME(D0-,D1-,D2-,D3hot-,D3cold-)"), "%s", out);
    ck_assert_msg(strstr(out, "MSI: Enable- Count=1/8 Maskable+ 64bit+"), "%s", out);
    ck_assert_msg(strstr(out, "MSI-X: Enable- Count=16 Masked-"), "%s", out);
    ck_assert_msg(strstr(out, "Express (v2) Endpoint"), "%s", out);
    ck_assert_msg(strstr(out, "Region 0: Memory at 200000000 (64-bit, prefetchable)"), "%s", out);
    ck_assert_msg(strstr(out, "Region 2: Memory at 23000000 (32-bit, non-prefetchable)"), "%s", out);
    ck_assert_msg(!strstr(out, "Vendor Specific"), "%s", out);
    ck_assert_msg(!strstr(out, "Capabilities: [1"), "%s", out);     /* no extended caps */
    ck_assert_msg(!strstr(out, "chain broken") && !strstr(out, "<?>"), "%s", out);
    /* The only stderr line allowed: libkmod missing in a container (-vvv). */
    for (char *line = err ? strtok(err, "\n") : NULL; line; line = strtok(NULL, "\n"))
        ck_assert_msg(strstr(line, "libkmod"), "lspci complained: %s", line);
    free(out);
    free(err);
    fix_fini(&f);
}
END_TEST

static Suite *engine_lspci_suite(void)
{
    Suite *s = suite_create("engine_lspci");
    TCase *tc = tcase_create("lspci");
    tcase_add_test(tc, lspci_parses_the_guest_view);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_lspci_suite)
