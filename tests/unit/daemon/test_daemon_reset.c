/* Reset between owners at domain death (pcipt/host/host_reset.h, issue 15
 * item 3): the daemon that cleans up after a dead domain resets each of
 * its functions through sysfs `reset`, after their mappings went with the
 * domain and they left quarantine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5

static void reset_file(unsigned n, char *path, size_t len)
{
    snprintf(path, len, "%s/devices/0000:%02x:00.0/reset", dfx_tree, n);
}

static void empty(unsigned n)
{
    char path[256];
    FILE *f;

    reset_file(n, path, sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
}

static int written(unsigned n)
{
    char path[256], buf[8] = "";
    FILE *f;

    reset_file(n, path, sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    return !strcmp(buf, "1");
}

START_TEST(domain_death_resets_every_function)
{
    struct dev_assign a, b;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_assign(DOM, 2, &b);
    empty(1);
    empty(2);
    dfx_start(&dm, DOM);
    ck_assert_int_eq(written(1), 0);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(dfx_wait_exit(&dm), 0);
    ck_assert_int_eq(written(1), 1);
    ck_assert_int_eq(written(2), 1);
    char *log = dfx_log(&dm);
    ck_assert_msg(strstr(log, "error:") == NULL, "%s", log);
    free(log);
}
END_TEST

static Suite *daemon_reset_suite(void)
{
    Suite *s = suite_create("daemon_reset");
    TCase *tc = tcase_create("reset");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, domain_death_resets_every_function);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_reset_suite)
