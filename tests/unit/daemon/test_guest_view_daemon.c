/* `pcipt guest-view` prints what the guest reads: for the same function at
 * the same slot, its 4 KiB dump equals, byte for byte, what a guest reads
 * through ECAM from the real daemon (`pcipt --hv sim serve`), with INTx
 * (Interrupt Line = SPI - 32) and without (Interrupt Pin cleared on the
 * host: the Interrupt Line the daemon and guest-view both present), and
 * for two functions of one virtual slot. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define CFG_SIZE 4096

/* The 4 KiB of each function of `pcipt guest-view ARGS` on the tree, in
 * the order printed ("00:SS.F ..." then 256 lines); returns how many. */
static unsigned guest_view_fns(const char *args, uint8_t cfg[][CFG_SIZE], unsigned max,
                               char (*line)[16])
{
    char *out = NULL, *err = NULL;
    const char *p;
    unsigned n = 0;

    ck_assert_msg(run_pcipt(NULL, &out, &err, "--sysfs %s guest-view %s", dfx_tree, args) == 0,
                  "guest-view: %s", err ? err : "");
    for (p = out; *p && n < max; n++) {
        snprintf(line[n], sizeof(line[n]), "%.7s", p);
        ck_assert_ptr_nonnull(p = strchr(p, '\n'));
        for (unsigned off = 0; off < CFG_SIZE; off += 16) {
            unsigned at;
            int used;
            ck_assert_msg(sscanf(p + 1, "%x: %n", &at, &used) == 1 && at == off,
                          "guest-view line for 0x%03x: %.60s", off, p + 1);
            p += 1 + used;
            for (unsigned i = 0; i < 16; i++, p += 3)
                cfg[n][off + i] = (uint8_t)strtoul(p, NULL, 16);
            p = strchr(p - 1, '\n');
            ck_assert_ptr_nonnull(p);
        }
        ck_assert_msg(p[1] == '\n', "no empty line after function %u", n);
        p += 2;
    }
    ck_assert_msg(!*p, "more than %u functions: %.40s", max, p);
    free(out);
    free(err);
    return n;
}

/* The 4 KiB of `pcipt guest-view --slot SLOT 0000:0n:00.0` on the tree. */
static void guest_view_bytes(unsigned n, unsigned slot, uint8_t cfg[CFG_SIZE])
{
    char args[64], line[1][16];

    snprintf(args, sizeof(args), "--slot %u 0000:%02x:00.0", slot, n);
    ck_assert_uint_eq(guest_view_fns(args, (uint8_t (*)[CFG_SIZE])cfg, 1, line), 1);
}

/* Every dword function fn of slot serves in the daemon equals view. */
static void same_as_daemon(struct hv *g, uint32_t domid, unsigned slot, unsigned fn,
                           const uint8_t view[CFG_SIZE], const char *who)
{
    for (unsigned reg = 0; reg < CFG_SIZE; reg += 4) {
        uint32_t v = dfx_cfg_read(g, domid, 0, slot, (fn << 12) + reg, 4);
        for (unsigned i = 0; i < 4; i++)
            ck_assert_msg((uint8_t)(v >> (8 * i)) == view[reg + i],
                          "%s offset 0x%03x: the daemon serves 0x%02x, guest-view shows 0x%02x",
                          who, reg + i, (uint8_t)(v >> (8 * i)), view[reg + i]);
    }
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
    char who[32];
    snprintf(who, sizeof(who), "0000:%02x:00.0", n);
    same_as_daemon(g, domid, a.guest.dev, 0, view, who);
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

static void set_pin(unsigned n, uint8_t pin)
{
    char path[200];
    int fd;

    snprintf(path, sizeof(path), "%s/devices/0000:%02x:00.0/config", dfx_tree, n);
    ck_assert_int_ge(fd = open(path, O_WRONLY), 0);
    ck_assert_int_eq(pwrite(fd, &pin, 1, 0x3d), 1);
    close(fd);
}

/* Two host functions in one virtual slot (00:03.0 and 00:03.1, the second
 * on INTB), planned together: guest-view prints both, in that order, and
 * each equals what the daemon serves, function 0 with the multi-function
 * bit and function 1 without; functions 2..7 of the slot are absent in
 * both (all-ones from the daemon, not printed).  The order of the
 * arguments does not matter. */
START_TEST(two_functions_of_a_slot)
{
    const struct dfx_fn fns[] = { { 1, 3, 0 }, { 2, 3, 1 } };
    static uint8_t view[3][CFG_SIZE], again[3][CFG_SIZE];
    char line[3][16] = { "" }, line2[3][16] = { "" };
    struct dev_assign a[2];
    struct dfx_daemon dm;

    set_pin(2, 2);
    dfx_domain(7, 1);
    dfx_assign_fns(7, fns, 2, a);
    ck_assert(a[0].guest.dev == 3 && a[0].guest.fn == 0 && a[1].guest.dev == 3 &&
              a[1].guest.fn == 1);
    ck_assert_uint_eq(guest_view_fns("0000:01:00.0@3 0000:02:00.0@3.1", view, 3, line), 2);
    ck_assert_str_eq(line[0], "00:03.0");
    ck_assert_str_eq(line[1], "00:03.1");
    ck_assert_uint_eq(view[0][0x0e], 0x80);               /* Header Type: multi-function */
    ck_assert_uint_eq(view[1][0x0e], 0x00);
    ck_assert_uint_eq(view[1][0x3d], 2);                  /* INTB, its own SPI */
    ck_assert_uint_ne(view[0][0x3c], view[1][0x3c]);
    ck_assert_uint_eq(guest_view_fns("0000:02:00.0@3.1 0000:01:00.0@3", again, 3, line2), 2);
    ck_assert(!memcmp(line, line2, sizeof(line)) && !memcmp(view, again, sizeof(view)));
    dfx_start(&dm, 7);
    struct hv *g = simfx_open();
    same_as_daemon(g, 7, 3, 0, view[0], "00:03.0 (0000:01:00.0)");
    same_as_daemon(g, 7, 3, 1, view[1], "00:03.1 (0000:02:00.0)");
    for (unsigned fn = 2; fn < 8; fn++)
        ck_assert_uint_eq(dfx_cfg_read(g, 7, 0, 3, fn << 12, 4), 0xffffffffu);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
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
    tcase_add_test(tc, two_functions_of_a_slot);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(guest_view_daemon_suite)
