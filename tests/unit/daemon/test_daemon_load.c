/* pcipt serve: one guest must not load the host (issue 15 item 8).  A storm
 * of guest writes to emulated state costs at most one xenstore write per
 * STATE_FLUSH_MS, not one per access, and the state still reaches xenstore
 * within that bound; a daemon SIGKILLed right after the storm, before
 * xenstore caught up, hands the newest state to the next one through the
 * run-dir journal (docs/design/daemon.md "Guest state"). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/daemon/daemon.h"
#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 7
#define STORM 3000
#define CACHE_LINE 0x0c           /* an emulated RW byte saved in the state */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* pcipt/dev-0/state/cache-line, or -1. */
static long saved_cache_line(void)
{
    char *v = dfx_be_read(DOM, "pcipt/dev-0/state/cache-line");
    long x = v ? strtol(v, NULL, 0) : -1;
    free(v);
    return x;
}

/* Write the cache line STORM times, ending with last; returns the time of the last write. */
static uint64_t storm(struct hv *g, unsigned slot, unsigned last)
{
    for (unsigned i = 0; i < STORM; i++)
        dfx_cfg_write(g, DOM, 0, slot, CACHE_LINE, 1, i + 1 == STORM ? last : (i & 0x7f) + 1);
    return now_ms();
}

START_TEST(write_storm_is_coalesced_and_saved_within_the_bound)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_verbosity = "";
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    uint64_t t0 = now_ms();
    uint64_t last = storm(g, a.guest.dev, 0xa5);
    uint64_t seen = 0;
    while (now_ms() < last + DFX_WAIT_MS) {
        if (saved_cache_line() == 0xa5) {
            seen = now_ms();
            break;
        }
        usleep(2000);
    }
    ck_assert_msg(seen, "the storm's last value never reached xenstore");
    /* STATE_FLUSH_MS, and slack for a loaded test machine (well within the 1 s tick) */
    ck_assert_msg(seen - last <= STATE_FLUSH_MS + 800, "saved %llu ms after the access",
                  (unsigned long long)(seen - last));
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    long long changes = dfx_stat(log, "state_changes"), writes = dfx_stat(log, "state_writes");
    free(log);
    /* Writes at least STATE_FLUSH_MS apart from the storm's first change,
     * which an idle daemon writes at once: floor(D / STATE_FLUSH_MS) + 1 in
     * the storm's D ms, +1: the tail after it, +1: the one at start.  Most
     * runs write one fewer (the first flush lands a little after t0); a
     * loaded machine showed the full count: 12 for 983 ms. */
    long long bound = (long long)((last - t0) / STATE_FLUSH_MS) + 3;
    fprintf(stderr, "write storm: %d accesses in %llu ms, %lld state changes, %lld xenstore "
            "writes\n", STORM, (unsigned long long)(last - t0), changes, writes);
    ck_assert_int_ge(changes, STORM);
    ck_assert_msg(writes <= bound, "%lld xenstore state writes for %d accesses (bound %lld)",
                  writes, STORM, bound);
    ck_assert_msg(writes * 100 <= STORM, "%lld xenstore state writes for %d accesses", writes,
                  STORM);
}
END_TEST

START_TEST(sigkill_after_a_storm_loses_nothing)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_verbosity = "";
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    /* settle, then one change right before the kill: xenstore is behind */
    storm(g, a.guest.dev, 0x11);
    usleep((STATE_FLUSH_MS + 50) * 1000);
    dfx_cfg_write(g, DOM, 0, a.guest.dev, CACHE_LINE, 1, 0x11);   /* a flush: starts the window */
    dfx_cfg_write(g, DOM, 0, a.guest.dev, CACHE_LINE, 1, 0x5a);   /* inside the window */
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);
    /* xenstore lags, as designed (0x5a only if this machine stalled > STATE_FLUSH_MS
     * between the write and the kill; without the journal the next check then fails) */
    long before = saved_cache_line();
    ck_assert_msg(before == 0x11 || before == 0x5a, "xenstore has 0x%lx", before);
    if (before != 0x11)
        fprintf(stderr, "sigkill_after_a_storm: xenstore caught up before the kill\n");
    dfx_start(&dm, DOM);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, CACHE_LINE, 1), 0x5a);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(saved_cache_line(), 0x5a);     /* a clean stop writes it out */
}
END_TEST

static Suite *daemon_load_suite(void)
{
    Suite *s = suite_create("daemon_load");
    TCase *tc = tcase_create("load");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, write_storm_is_coalesced_and_saved_within_the_bound);
    tcase_add_test(tc, sigkill_after_a_storm_loses_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_load_suite)
