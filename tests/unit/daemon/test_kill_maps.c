/* Issue 15 item 5, crash-atomic mappings (docs/design/attach.md "Hand-over:
 * crash-atomic mappings").  Four hostile vCPUs move and toggle BARs of the
 * two devices of tests/support/hostile_fx.h without pause while daemon after
 * daemon is killed (SIGKILL) right after one of its mapping hypercalls
 * (PCIPT_SIM_FAIL=memory_mapping:N:kill, N random: the instant between
 * mapping and recording that used to leave mappings no record named), at
 * least KILLS times.  Then every page mapped in the guest lies in a range
 * its p2m record names, and detach leaves 0 pages mapped.  Also: an attach
 * killed right after its first mapping call is undone by the next detach
 * (the run dir's attach intent). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/hostile_fx.h"
#include "tests/support/hostile_guest.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define VCPUS 4
#define KILLS 50

static struct hostile_world w;
static atomic_bool stop;

static void setup(void)
{
    afx_setup();
    hw_setup(&w, DOM, VCPUS);
}

static void teardown(void)
{
    hw_teardown(&w);
    afx_teardown();
}

static void *storm(void *arg)
{
    struct hostile_guest *h = arg;

    while (!atomic_load(&stop))
        hg_phase_bar_games(h, 20);
    return NULL;
}

struct rec { uint64_t gfn, mfn, nr; };

/* Every recorded BAR range of the domain (gfn, mfn, pages). */
static unsigned records(uint32_t domid, struct rec *r, unsigned max)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    struct xs_handle *xs = xsw_open();
    char err[256];
    unsigned n = 0;

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(xs);
    if (xsp_read_domain(xs, domid, a, err, sizeof(err)) == 0)
        for (unsigned i = 0; i < a->ndevs; i++)
            for (unsigned b = 0; b < PCI_NUM_RES; b++) {
                const struct bar_assign *ba = &a->devs[i].bars[b];
                uint64_t g = 0;
                if (ba->type == BAR_NONE || ba->type == BAR_IO ||
                    xsp_read_bar_mapped(xs, domid, &a->devs[i].host, b, &g) || !g)
                    continue;
                ck_assert_uint_lt(n, max);
                r[n++] = (struct rec){ g >> 12, ba->host >> 12, (ba->size + 4095) >> 12 };
            }
    xsw_close(xs);
    free(a);
    return n;
}

/* Pages mapped in the domain that no record names (same gfn and mfn);
 * *total: all pages mapped. */
static uint64_t unrecorded_pages(uint32_t domid, uint64_t *total)
{
    struct sim_mapping m[256];
    struct rec r[32];
    unsigned nr = records(domid, r, 32);
    int k = sim_list_mappings(simfx_hv, domid, m, 256);
    uint64_t bad = 0;

    ck_assert_int_ge(k, 0);
    ck_assert_int_lt(k, 256);
    *total = 0;
    for (int i = 0; i < k; i++)
        for (uint64_t p = 0; p < m[i].nr; p++) {
            uint64_t gfn = m[i].gfn + p, mfn = m[i].mfn + p;
            bool named = false;
            for (unsigned j = 0; j < nr && !named; j++)
                named = gfn >= r[j].gfn && gfn - r[j].gfn < r[j].nr &&
                        mfn == r[j].mfn + (gfn - r[j].gfn);
            bad += !named;
            ++*total;
        }
    return bad;
}

/* A daemon that kills itself right after its n-th mapping call (or is
 * killed after 3 s if the guests gave it fewer); its exit status. */
static int run_doomed(unsigned n)
{
    char env[64], log[128];
    struct run_proc p;
    struct run_opts o = { .env = env, .err_file = log, .ready_fd = 3, .timeout_ms = 3000 };

    snprintf(env, sizeof(env), "PCIPT_SIM_FAIL=memory_mapping:%u:kill", n);
    snprintf(log, sizeof(log), "%s/doomed.log", afx_tree);
    ck_assert_int_eq(run_start(&p, &o, "--hv sim --sysfs %s --host-dt %s/no-host-fdt serve %u "
                               "--ready-fd 3", afx_tree, afx_tree, DOM), 0);
    return run_wait(&p, NULL, NULL);
}

START_TEST(kill_loop_during_map_storms)
{
    uint64_t seed = hw_seed(), total, bad = 0, seen = 0;
    struct hostile_guest *h[VCPUS];
    pthread_t t[VCPUS];
    unsigned self_killed = 0;
    char err[512];

    atomic_store(&stop, false);
    for (unsigned v = 0; v < VCPUS; v++) {
        h[v] = hw_guest(&w, v, seed + v);
        ck_assert_int_eq(pthread_create(&t[v], NULL, storm, h[v]), 0);
    }
    /* the first daemon dies at a random instant of the storm */
    ck_assert_int_eq(dfx_stop(&w.dm, SIGKILL), 128 + SIGKILL);
    for (unsigned k = 0; k < KILLS; k++) {
        int st = run_doomed(1 + (unsigned)((seed >> (k % 48)) + k * 7) % 40);
        ck_assert_msg(st == 128 + SIGKILL || st == -1, "kill %u: daemon exit status %d", k, st);
        self_killed += st == 128 + SIGKILL;
        /* nobody changes the p2m while no daemon runs: what a dead one left */
        bad += unrecorded_pages(DOM, &total);
        seen += total;
    }
    ck_assert_uint_ge(self_killed, KILLS / 2);     /* most died right after a mapping */
    dfx_verbosity = "";
    dfx_start(&w.dm, DOM);
    atomic_store(&stop, true);
    for (unsigned v = 0; v < VCPUS; v++)
        ck_assert_int_eq(pthread_join(t[v], NULL), 0);
    bad += unrecorded_pages(DOM, &total);
    seen += total;
    fprintf(stderr, "kill loop: %u daemons killed right after a mapping call; after the kills "
            "%" PRIu64 " pages mapped in all, %" PRIu64 " of them named by no record\n",
            self_killed, seen, bad);
    ck_assert_msg(bad == 0, "%" PRIu64 " of %" PRIu64 " mapped pages are named by no p2m record",
                  bad, seen);
    ck_assert_uint_gt(seen, 0);
    hw_check(&w, "after the kill loop");
    hg_restore(hw_guest(&w, 0, seed));            /* BARs home, decode on: all mapped */
    hw_check(&w, "BARs restored after the kill loop");
    hw_check_home(&w);
    ck_assert_uint_eq(unrecorded_pages(DOM, &total), 0);
    ck_assert_uint_gt(total, 0);
    ck_assert_int_eq(dfx_stop(&w.dm, SIGTERM), 0);
    w.dm.pid = 0;
    ck_assert_msg(afx_detach(DOM, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(DOM, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
    unrecorded_pages(DOM, &total);
    ck_assert_msg(total == 0, "detach left %" PRIu64 " pages mapped", total);
}
END_TEST

/* An attach killed right after its first mapping hypercall: the device is
 * not published; the next detach (or attach) of the domain undoes it. */
START_TEST(killed_attach_is_undone)
{
    struct run_opts o = { .env = "PCIPT_SIM_FAIL=memory_mapping:1:kill" };
    uint64_t before, after;
    char err[512], *out = NULL, *e = NULL;
    int st;

    ck_assert_int_eq(dfx_stop(&w.dm, SIGTERM), 0);
    w.dm.pid = 0;
    ck_assert_msg(afx_detach(DOM, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
    unrecorded_pages(DOM, &before);
    st = run_pcipt(&o, &out, &e, "%s attach %u %s", afx_args(), DOM, AFX_GPU);
    ck_assert_msg(st == 128 + SIGKILL, "attach: status %d: %s", st, e);
    ck_assert_uint_gt(unrecorded_pages(DOM, &after), 0);   /* mapped, not published */
    /* detaching the other device undoes the interrupted attach */
    ck_assert_msg(afx_detach(DOM, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    unrecorded_pages(DOM, &after);
    ck_assert_msg(after == 0, "%" PRIu64 " pages left mapped", after);
    ck_assert_uint_eq(afx_smmu_owner(AFX_GPU), 0);
    (void)before;
    free(out);
    free(e);
}
END_TEST

static Suite *kill_maps_suite(void)
{
    Suite *s = suite_create("kill_maps");
    TCase *tc = tcase_create("kill_maps");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, kill_loop_during_map_storms);
    tcase_add_test(tc, killed_attach_is_undone);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(kill_maps_suite)
