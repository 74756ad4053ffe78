/* `pcipt guest-view` prints what the guest reads: for the same function at
 * the same slot, its 4 KiB dump equals, byte for byte, what a guest reads
 * through ECAM from the real daemon (`pcipt --hv sim serve`), with INTx
 * (Interrupt Line = SPI - 32) and without (Interrupt Pin cleared on the
 * host: the Interrupt Line the daemon and guest-view both present). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/hv_sim.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/sim_fixture.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored.h"

#define CFG_SIZE 4096

/* The 4 KiB of `pcipt guest-view --slot SLOT 0000:0n:00.0` on the tree. */
static void guest_view_bytes(unsigned n, unsigned slot, uint8_t cfg[CFG_SIZE])
{
    char cmd[512], *out = NULL, *err = NULL;
    const char *p;

    snprintf(cmd, sizeof(cmd), "%s --sysfs %s guest-view --slot %u 0000:%02x:00.0",
             test_pcipt_bin(), dfx_tree, slot, n);
    ck_assert_msg(test_run(cmd, &out, &err) == 0, "guest-view: %s", err ? err : "");
    ck_assert_ptr_nonnull(p = strchr(out, '\n'));
    for (unsigned off = 0; off < CFG_SIZE; off += 16) {
        unsigned at;
        int used;
        ck_assert_msg(sscanf(p + 1, "%x: %n", &at, &used) == 1 && at == off,
                      "guest-view line for 0x%03x: %.60s", off, p + 1);
        p += 1 + used;
        for (unsigned i = 0; i < 16; i++, p += 3)
            cfg[off + i] = (uint8_t)strtoul(p, NULL, 16);
        p = strchr(p - 1, '\n');
        ck_assert_ptr_nonnull(p);
    }
    free(out);
    free(err);
}

/* Host device n alone in domain domid (slot 1), served by the daemon; the
 * guest's first read of every dword equals guest-view's dump. */
static void compare(uint32_t domid, unsigned n, uint8_t want_line)
{
    uint8_t view[CFG_SIZE];
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(domid, 1);
    dfx_assign(domid, n, &a);
    ck_assert_uint_eq(a.guest.dev, 1);
    guest_view_bytes(n, a.guest.dev, view);
    ck_assert_msg(view[0x3c] == want_line, "guest-view Interrupt Line 0x%02x, want 0x%02x",
                  view[0x3c], want_line);
    dfx_start(&dm, domid);
    struct hv *g = simfx_open();
    for (unsigned reg = 0; reg < CFG_SIZE; reg += 4) {
        uint32_t v = dfx_cfg_read(g, domid, 0, a.guest.dev, reg, 4);
        for (unsigned i = 0; i < 4; i++)
            ck_assert_msg((uint8_t)(v >> (8 * i)) == view[reg + i],
                          "0000:%02x:00.0 offset 0x%03x: the daemon serves 0x%02x, guest-view "
                          "shows 0x%02x", n, reg + i, (uint8_t)(v >> (8 * i)), view[reg + i]);
    }
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}

START_TEST(with_intx)
{
    /* 82576: pin A; the first SPI of the INTx range (48) minus 32 */
    compare(5, 1, 48 - 32);
}
END_TEST

static void clear_pin(unsigned n)
{
    char path[200];
    uint8_t zero = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/devices/0000:%02x:00.0/config", dfx_tree, n);
    ck_assert_int_ge(fd = open(path, O_WRONLY), 0);
    ck_assert_int_eq(pwrite(fd, &zero, 1, 0x3d), 1);
    close(fd);
}

START_TEST(without_intx)
{
    clear_pin(2);
    compare(6, 2, 0);
}
END_TEST

static Suite *guest_view_daemon_suite(void)
{
    Suite *s = suite_create("guest_view_daemon");
    TCase *tc = tcase_create("same_bytes");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, with_intx);
    tcase_add_test(tc, without_intx);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(guest_view_daemon_suite)
