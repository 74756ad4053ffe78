/* pcipt serve: a daemon SIGKILLed in the middle of a guest's enumeration
 * (the guest's next request then waits READY in its slot, or INPROCESS as
 * if the daemon had died while handling it) and started again takes over
 * the same IOREQ server, completes the pending request, and the guest's
 * enumeration ends with the same results and p2m as one never interrupted. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcipt/hv/ioreq_slot.h"
#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/enum_script.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM_REF 5
#define DOM 6
#define STOP_AT 23            /* the access the daemon is killed on */
#define ECAM_VENDOR PCIPT_VPCI_ECAM_BASE   /* bus 0, the root complex, reg 0 */

static sem_t at_stop, go;
static unsigned accesses;
static struct enum_result got;

static void hook(void)
{
    if (++accesses == STOP_AT) {
        sem_post(&at_stop);
        sem_wait(&go);
    }
}

static void *guest(void *arg)
{
    struct hv *g = simfx_open();
    (void)arg;
    enum_script_run(g, DOM, 0, 1, &got);
    hv_close(g);
    return NULL;
}

static ioreq_t *map_slot0(void)
{
    char path[160];
    char *id = dfx_be_read(DOM, "pcipt/server/id");
    ck_assert_ptr_nonnull(id);
    snprintf(path, sizeof(path), "%s/ioreq-d%u-s%s", simfx_dir, DOM, id);
    free(id);
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return &((shared_iopage_t *)p)->vcpu_ioreq[0];
}

static void killed_mid_request(bool inprocess)
{
    static uint64_t pages_ref[8192][2], pages[8192][2];
    struct enum_result ref;
    struct dev_assign a;
    struct dfx_daemon ref_dm, dm;
    pthread_t th;

    dfx_domain(DOM_REF, 1);
    dfx_assign(DOM_REF, 1, &a);
    dfx_start(&ref_dm, DOM_REF);
    struct hv *g = simfx_open();
    enum_script_run(g, DOM_REF, 0, 1, &ref);
    hv_close(g);
    enum_script_check(&ref, 1, 1);

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    char *pid_before = dfx_be_read(DOM, "pcipt/server/pid");
    char *id_before = dfx_be_read(DOM, "pcipt/server/id");
    sem_init(&at_stop, 0, 0);
    sem_init(&go, 0, 0);
    accesses = 0;
    dfx_access_hook = hook;
    ck_assert_int_eq(pthread_create(&th, NULL, guest, NULL), 0);
    sem_wait(&at_stop);
    ioreq_t *slot = map_slot0();
    /* killed between two of the guest's accesses (possibly holding the
     * simulator's robust lock); the next request then waits in the slot */
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);
    sem_post(&go);
    for (int i = 0; i < DFX_WAIT_MS && ioreq_slot_state(slot) != STATE_IOREQ_READY; i++)
        usleep(1000);
    ck_assert_uint_eq(ioreq_slot_state(slot), STATE_IOREQ_READY);
    if (inprocess) {          /* as if it died after taking the request */
        ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);
    }
    dfx_start(&dm, DOM);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    dfx_access_hook = NULL;

    ck_assert_uint_eq(got.n, ref.n);
    for (unsigned k = 0; k < ref.n; k++)
        ck_assert_msg(got.v[k] == ref.v[k], "step %u (%s): 0x%x after the restart, 0x%x without",
                      k, ref.what[k], got.v[k], ref.v[k]);
    unsigned nr = dfx_p2m_pages(DOM_REF, pages_ref, 8192);
    unsigned n = dfx_p2m_pages(DOM, pages, 8192);
    ck_assert_uint_eq(n, nr);
    enum_expect_p2m(pages, n, 1);
    /* the same server, a new pid */
    char *pid_after = dfx_be_read(DOM, "pcipt/server/pid");
    char *id_after = dfx_be_read(DOM, "pcipt/server/id");
    ck_assert_str_eq(id_after, id_before);
    ck_assert_str_ne(pid_after, pid_before);
    struct sim_server_info si[8];
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, si, 8), 1);
    struct sim_domain_info di;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &di), 0);
    ck_assert_uint_eq(di.bad_state, 0);
    ck_assert(!di.crashed);
    free(pid_before); free(id_before); free(pid_after); free(id_after);
    munmap((char *)slot - 0, 4096);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(dfx_stop(&ref_dm, SIGTERM), 0);
}

START_TEST(sigkill_with_request_ready)
{
    killed_mid_request(false);
}
END_TEST

START_TEST(sigkill_with_request_inprocess)
{
    killed_mid_request(true);
}
END_TEST

/* Issue 15 item 6: a daemon that answered a request (IORESP_READY) and died
 * before notifying leaves the vCPU blocked in wait_for_io (the simulator's
 * vCPU, like Xen's, looks at its slot again only when notified).  The next
 * daemon wakes it: the access completes with the answer already given. */
struct stuck_read { struct hv *g; int rc; uint64_t v; };

static void *stuck_guest(void *arg)
{
    struct stuck_read *r = arg;
    r->rc = sim_guest_mmio(r->g, DOM, 0, ECAM_VENDOR, 4, false, &r->v, 8000);
    return NULL;
}

START_TEST(answered_not_notified_woken_by_next_daemon)
{
    struct dev_assign a;
    struct dfx_daemon dm;
    pthread_t th;
    struct stuck_read r = { 0 };

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    r.g = simfx_open();
    uint32_t vendor = dfx_cfg_read(r.g, DOM, 0, 0, 0, 4);     /* the root complex's id */
    ioreq_t *slot = map_slot0();
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);
    struct sim_domain_info di;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &di), 0);
    uint64_t blocks = di.vcpu_blocks;
    ck_assert_int_eq(pthread_create(&th, NULL, stuck_guest, &r), 0);
    /* the vCPU has looked at its slot and blocked: only then is the
     * answer given (before its look, it would take it unnotified) */
    for (int i = 0; i < DFX_WAIT_MS && di.vcpu_blocks == blocks; i++) {
        usleep(1000);
        ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &di), 0);
    }
    ck_assert_uint_eq(di.vcpu_blocks, blocks + 1);
    ck_assert_uint_eq(ioreq_slot_state(slot), STATE_IOREQ_READY);
    /* the dying emulator: INPROCESS, the answer, IORESP_READY, no notify */
    ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);
    slot->data = vendor;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ioreq_slot_set_state(slot, STATE_IORESP_READY);
    usleep(100 * 1000);
    ck_assert_uint_eq(ioreq_slot_state(slot), STATE_IORESP_READY);   /* still blocked */
    dfx_start(&dm, DOM);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_msg(r.rc == SIM_ACCESS_IOREQ, "the blocked vCPU's access: %d (%s)", r.rc,
                  r.rc == -ETIMEDOUT ? "never woken" : "failed");
    ck_assert_uint_eq(r.v, vendor);
    ck_assert_uint_eq(ioreq_slot_state(slot), STATE_IOREQ_NONE);
    /* and the guest goes on */
    ck_assert_uint_eq(dfx_cfg_read(r.g, DOM, 0, 0, 0, 4), vendor);
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &di), 0);
    ck_assert_uint_eq(di.bad_state, 0);
    ck_assert(!di.crashed);
    munmap(slot, 4096);
    hv_close(r.g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

static Suite *daemon_restart_suite(void)
{
    Suite *s = suite_create("daemon_restart");
    TCase *tc = tcase_create("restart");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sigkill_with_request_ready);
    tcase_add_test(tc, sigkill_with_request_inprocess);
    tcase_add_test(tc, answered_not_notified_woken_by_next_daemon);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_restart_suite)
