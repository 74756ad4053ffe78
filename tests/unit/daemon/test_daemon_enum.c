/* pcipt serve: a scripted guest enumeration (vendor IDs, BAR sizing, BAR
 * assignment, decode enable, capability walk) gives the same results on
 * four concurrent vCPUs as on one; the p2m then maps exactly the BARs'
 * new ranges, minus the MSI-X table and PBA pages. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/enum_script.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM_SEQ 5
#define DOM_PAR 6

struct vcpu_job {
    uint32_t domid;
    unsigned vcpu, slot;
    struct enum_result res;
};

static void *vcpu_thread(void *arg)
{
    struct vcpu_job *j = arg;
    struct hv *g = simfx_open();

    enum_script_run(g, j->domid, j->vcpu, j->slot, &j->res);
    hv_close(g);
    return NULL;
}

static void setup_domain(uint32_t domid, struct dfx_daemon *dm)
{
    struct dev_assign as;

    dfx_domain(domid, DFX_VCPUS);
    for (unsigned n = 1; n <= DFX_VCPUS; n++) {
        dfx_assign(domid, n, &as);
        ck_assert_uint_eq(as.guest.dev, n);          /* lowest free slot */
    }
    dfx_start(dm, domid);
}

START_TEST(concurrent_enumeration_matches_sequential)
{
    struct dfx_daemon seq, par;
    struct vcpu_job jobs[DFX_VCPUS], ref[DFX_VCPUS];
    pthread_t th[DFX_VCPUS];
    static uint64_t pages_seq[8192][2], pages_par[8192][2];

    setup_domain(DOM_SEQ, &seq);
    setup_domain(DOM_PAR, &par);
    struct hv *g = simfx_open();
    for (unsigned i = 0; i < DFX_VCPUS; i++) {
        ref[i] = (struct vcpu_job){ DOM_SEQ, 0, i + 1, { 0 } };
        enum_script_run(g, DOM_SEQ, 0, i + 1, &ref[i].res);
        enum_script_check(&ref[i].res, i + 1, DFX_VCPUS);
    }
    hv_close(g);
    for (unsigned i = 0; i < DFX_VCPUS; i++) {
        jobs[i] = (struct vcpu_job){ DOM_PAR, i, i + 1, { 0 } };
        ck_assert_int_eq(pthread_create(&th[i], NULL, vcpu_thread, &jobs[i]), 0);
    }
    for (unsigned i = 0; i < DFX_VCPUS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (unsigned i = 0; i < DFX_VCPUS; i++) {
        ck_assert_uint_eq(jobs[i].res.n, ref[i].res.n);
        for (unsigned k = 0; k < ref[i].res.n; k++)
            ck_assert_msg(jobs[i].res.v[k] == ref[i].res.v[k],
                          "slot %u step %u (%s): 0x%x on 4 vCPUs, 0x%x on one", i + 1, k,
                          ref[i].res.what[k], jobs[i].res.v[k], ref[i].res.v[k]);
    }
    /* The same p2m in both domains, and it is exactly the new BAR ranges. */
    unsigned ns = dfx_p2m_pages(DOM_SEQ, pages_seq, 8192);
    unsigned np = dfx_p2m_pages(DOM_PAR, pages_par, 8192);
    ck_assert_uint_eq(ns, np);
    ck_assert_int_eq(memcmp(pages_seq, pages_par, ns * sizeof(pages_seq[0])), 0);
    enum_expect_p2m(pages_seq, ns, DFX_VCPUS);

    ck_assert_int_eq(dfx_stop(&par, SIGTERM), 0);
    ck_assert_int_eq(dfx_stop(&seq, SIGTERM), 0);
    char *log = dfx_log(&par);
    ck_assert_int_gt(dfx_stat(log, "cfg_reads"), 0);
    ck_assert_int_eq(dfx_stat(log, "remaps"), 0);     /* moves with decode off */
    ck_assert_int_ge(dfx_stat(log, "first_access_ms"), 0);
    free(log);
}
END_TEST

static Suite *daemon_enum_suite(void)
{
    Suite *s = suite_create("daemon_enum");
    TCase *tc = tcase_create("enum");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, concurrent_enumeration_matches_sequential);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_enum_suite)
