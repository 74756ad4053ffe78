/* pcipt serve when xenstored goes away under it (restarted or killed):
 * libxenstore does not reconnect, so the daemon must not go on serving with
 * every state save failing (seen: 599 error lines in 250 accesses).  It
 * says once that it lost the connection and exits with status 1 for its
 * supervisor (pciptd@.service Restart=on-failure) to start a new one. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5

static unsigned count(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++)
        n++;
    return n;
}

START_TEST(exits_once_xenstored_is_gone)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    unsigned slot = a.guest.dev;
    uint32_t cmd = dfx_cfg_read(g, DOM, 0, slot, 0x04, 2);

    xsd_stop();                                     /* xenstored dies */
    /* guest-visible state changes, each saved to xenstore after its access */
    for (unsigned i = 0; i < 50; i++) {
        uint64_t v = 0;
        if (sim_guest_mmio(g, DOM, 0, 0x10000000u | (slot << 15) | 0x3c, 1, true, &v,
                           2000) < 0)
            break;                                  /* the daemon is gone: no answer */
        (void)cmd;
    }
    hv_close(g);
    int st = dfx_wait_exit(&dm);
    char *log = dfx_log(&dm);
    ck_assert_msg(st == 1, "exit status %d: %s", st, log);
    ck_assert_msg(count(log, "lost the xenstore connection") == 1, "%s", log);
    ck_assert_msg(count(log, "cannot save the guest state") <= 1, "%s", log);
    free(log);
    ck_assert_int_eq(xsd_start(), 0);               /* for the fixture's teardown */
}
END_TEST

static Suite *daemon_xs_lost_suite(void)
{
    Suite *s = suite_create("daemon_xs_lost");
    TCase *tc = tcase_create("xs_lost");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_add_test(tc, exits_once_xenstored_is_gone);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_xs_lost_suite)
