/* Cross-process: a forked child acts as the device model (creates or
 * re-attaches to an IOREQ server, maps its page, binds the per-vCPU ports and
 * answers), the parent acts as the guest's vCPUs.  The device model is
 * SIGKILLed in the middle of a request and a new one re-attaches to the same
 * server and page and completes it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/hv/ioreq_slot.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/sim/sim_state.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 9
#define NVCPU 2
#define ECAM 0x10000000ull
#define STALL_ADDR (ECAM + 0x10)       /* the first DM hangs on this request */
#define WAIT_MS 20000                  /* failsafe only, never reached when all works */

enum dm_mode { DM_CREATE, DM_ATTACH, DM_BAD_STATE, DM_ANSWER_NONE };

/* What the device model answers: a function of the request, so the guest can
 * check the DM saw exactly what it sent. */
static uint64_t answer(const ioreq_t *r)
{
    if (r->type == IOREQ_TYPE_COPY)
        return (r->addr - ECAM) * 3 + 1;
    return (uint64_t)r->type << 8 | r->size | (uint64_t)r->count << 16 | (r->addr >> 32) << 32;
}

static void dm_write(int fd, uint32_t v)
{
    if (write(fd, &v, sizeof(v)) != sizeof(v))
        _exit(90);
}

static int dm_setup_server(struct hv *hv, enum dm_mode mode, uint16_t *id)
{
    if (mode == DM_ATTACH)
        return 0;     /* *id given: the server survives its device model */
    if (hv->ops->ioreq_create(hv, DOM, 0, id) ||
        hv->ops->ioreq_map_range(hv, DOM, *id, true, ECAM, ECAM + 0xfffffff) ||
        hv->ops->ioreq_map_pcidev(hv, DOM, *id, 0, 0, 1, 0) ||
        hv->ops->ioreq_set_state(hv, DOM, *id, true))
        return -1;
    return 0;
}

/* Handle the slot of the vCPU whose port fired.  READY is new work;
 * INPROCESS is work a killed predecessor took but never finished. */
static void dm_handle(struct hv *hv, ioreq_t *slot, uint32_t port, enum dm_mode mode, int out)
{
    unsigned st = ioreq_slot_state(slot);
    if (st != STATE_IOREQ_READY && st != STATE_IOREQ_INPROCESS)
        return;
    ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);
    if (mode == DM_CREATE && slot->addr == STALL_ADDR) {
        dm_write(out, 2);      /* "stalled" */
        for (;;)
            pause();           /* wait to be SIGKILLed */
    }
    if (slot->dir == IOREQ_READ)
        slot->data = answer(slot);
    ioreq_slot_set_state(slot, mode == DM_BAD_STATE ? 7  /* beyond IORESP_READY */
                               : mode == DM_ANSWER_NONE ? STATE_IOREQ_NONE : STATE_IORESP_READY);
    hv->ops->evtchn_notify(hv, port);
}

static void dm_main(enum dm_mode mode, uint16_t id, int out)
{
    struct hv *hv = NULL;
    char err[256];
    void *p;
    uint32_t local[NVCPU];
    if (hv_open("sim", &hv, err, sizeof(err)) || dm_setup_server(hv, mode, &id) ||
        hv->ops->ioreq_map_page(hv, DOM, id, &p))
        _exit(91);
    shared_iopage_t *page = p;
    for (unsigned v = 0; v < NVCPU; v++) {
        int l = hv->ops->evtchn_bind(hv, DOM, page->vcpu_ioreq[v].vp_eport);
        if (l < 0)
            _exit(92);
        local[v] = (uint32_t)l;
    }
    dm_write(out, 1u << 16 | id);      /* "ready", and the server id */
    struct pollfd pfd = { .fd = hv->ops->evtchn_fd(hv), .events = POLLIN };
    for (;;) {
        if (poll(&pfd, 1, -1) < 0)
            _exit(93);
        int port;
        while ((port = hv->ops->evtchn_pending(hv)) >= 0) {
            hv->ops->evtchn_unmask(hv, (uint32_t)port);
            for (unsigned v = 0; v < NVCPU; v++)
                if (local[v] == (uint32_t)port)
                    dm_handle(hv, &page->vcpu_ioreq[v], local[v], mode, out);
        }
    }
}

struct dm { pid_t pid; int rfd; };

static struct dm dm_start(enum dm_mode mode, uint16_t id)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dm_main(mode, id, fds[1]);
    }
    close(fds[1]);
    return (struct dm){ pid, fds[0] };
}

static uint32_t dm_read(struct dm *d)
{
    uint32_t v = 0;
    ck_assert_int_eq(read(d->rfd, &v, sizeof(v)), sizeof(v));
    return v;
}

static void dm_kill(struct dm *d)
{
    int st;
    kill(d->pid, SIGKILL);
    ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
    ck_assert(WIFSIGNALED(st));
    close(d->rfd);
}

static uint64_t guest_read(struct hv *g, unsigned vcpu, uint64_t gpa, int expect_rc)
{
    uint64_t data = 0;
    int rc = sim_guest_mmio(g, DOM, vcpu, gpa, 4, false, &data, WAIT_MS);
    ck_assert_int_eq(rc, expect_rc);
    return data;
}

/* A guest vCPU in its own process does one read; the result comes back on
 * a pipe. */
static pid_t guest_async_read(uint64_t gpa, int *rfd)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        struct hv *g = NULL;
        char err[256];
        uint64_t data = 0;
        if (hv_open("sim", &g, err, sizeof(err)))
            _exit(1);
        int rc = sim_guest_mmio(g, DOM, 1, gpa, 4, false, &data, WAIT_MS);
        uint64_t msg[2] = { (uint64_t)(int64_t)rc, data };
        _exit(write(fds[1], msg, sizeof(msg)) == sizeof(msg) ? 0 : 2);
    }
    close(fds[1]);
    *rfd = fds[0];
    return pid;
}

static void setup(void)
{
    simfx_setup();
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, NVCPU, 0x40000000, 0x1000000, 32), 0);
}

START_TEST(dm_restart_mid_request)
{
    struct hv *g = simfx_hv;       /* the parent is the guest */
    struct dm a = dm_start(DM_CREATE, 0);
    uint32_t ready = dm_read(&a);
    ck_assert_uint_eq(ready >> 16, 1);
    uint16_t id = ready & 0xffff;

    ck_assert_uint_eq(guest_read(g, 0, ECAM + 0x100, SIM_ACCESS_IOREQ), 0x100 * 3 + 1);
    ck_assert_uint_eq(guest_read(g, 1, ECAM + 0x204, SIM_ACCESS_IOREQ), 0x204 * 3 + 1);
    uint64_t w = 0x12345678;
    ck_assert_int_eq(sim_guest_mmio(g, DOM, 0, ECAM + 8, 4, true, &w, WAIT_MS), SIM_ACCESS_IOREQ);

    /* vCPU 1 (another process) hits the request the DM hangs on */
    int grfd;
    pid_t gpid = guest_async_read(STALL_ADDR, &grfd);
    ck_assert_uint_eq(dm_read(&a), 2);
    dm_kill(&a);

    /* a new device model re-binds the same remote ports and finishes it */
    struct dm b = dm_start(DM_ATTACH, id);
    ck_assert_uint_eq(dm_read(&b), 1u << 16 | id);
    uint64_t msg[2];
    ck_assert_int_eq(read(grfd, msg, sizeof(msg)), sizeof(msg));
    ck_assert_int_eq((int)(int64_t)msg[0], SIM_ACCESS_IOREQ);
    ck_assert_uint_eq(msg[1], 0x10 * 3 + 1);
    int st;
    ck_assert_int_eq(waitpid(gpid, &st, 0), gpid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    ck_assert_uint_eq(guest_read(g, 0, ECAM + 0x300, SIM_ACCESS_IOREQ), 0x300 * 3 + 1);
    ck_assert_uint_eq(guest_read(g, 1, ECAM + 0x304, SIM_ACCESS_IOREQ), 0x304 * 3 + 1);

    /* PCI_CONFIG as x86 sends it, and a raw malformed request */
    uint64_t data = 0;
    ck_assert_int_eq(sim_guest_pci_config(g, DOM, 0, 0x8, 0x40, 2, false, &data, WAIT_MS),
                     SIM_ACCESS_IOREQ);
    ck_assert_uint_eq(data, (IOREQ_TYPE_PCI_CONFIG << 8 | 2 | 1 << 16) & 0xffff);
    ck_assert_int_eq(sim_guest_pci_config(g, DOM, 0, 0x9, 0x40, 2, false, &data, WAIT_MS),
                     -ENODEV);
    ioreq_t raw = { .addr = 0x1234ull << 32, .size = 3, .count = 5, .dir = IOREQ_READ,
                    .type = 0x42 }, resp;
    ck_assert_int_eq(sim_guest_raw_ioreq(g, DOM, 1, id, &raw, &resp, WAIT_MS), 0);
    ck_assert_uint_eq(resp.data, 0x42ull << 8 | 3 | 5ull << 16 | 0x1234ull << 32);
    ck_assert_uint_eq(resp.state, STATE_IORESP_READY);   /* the slot as completed */
    ck_assert_uint_eq(resp.type, 0x42);
    ck_assert_uint_eq(resp.count, 5);

    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(g, DOM, &info), 0);
    ck_assert_uint_eq(info.ioreqs, 8);   /* 5 reads, 1 write, 1 config, 1 raw */
    ck_assert_uint_eq(info.bad_state, 0);
    ck_assert(!info.crashed);
    dm_kill(&b);
}
END_TEST

START_TEST(dm_bad_state_detected)
{
    struct dm a = dm_start(DM_BAD_STATE, 0);
    ck_assert_uint_eq(dm_read(&a) >> 16, 1);
    guest_read(simfx_hv, 0, ECAM, -EIO);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &info), 0);
    ck_assert_uint_eq(info.bad_state, 1);
    ck_assert(info.crashed);
    dm_kill(&a);
}
END_TEST

START_TEST(dm_answering_none_gives_all_ones)
{
    struct dm a = dm_start(DM_ANSWER_NONE, 0);
    ck_assert_uint_eq(dm_read(&a) >> 16, 1);
    ck_assert_uint_eq(guest_read(simfx_hv, 0, ECAM, SIM_ACCESS_IOREQ), 0xffffffff);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &info), 0);
    ck_assert_uint_eq(info.emulator_gone, 1);
    dm_kill(&a);
}
END_TEST

START_TEST(live_binding_cannot_be_stolen)
{
    struct dm a = dm_start(DM_CREATE, 0);
    uint16_t id = dm_read(&a) & 0xffff;
    int port = sim_server_port(simfx_hv, DOM, id, 0);
    ck_assert_int_gt(port, 0);
    ck_assert_int_eq(simfx_hv->ops->evtchn_bind(simfx_hv, DOM, (uint32_t)port), -EINVAL);
    dm_kill(&a);
    /* its process is gone: the port is free again */
    int l = simfx_hv->ops->evtchn_bind(simfx_hv, DOM, (uint32_t)port);
    ck_assert_int_gt(l, 0);
    ck_assert_int_eq(simfx_hv->ops->evtchn_bind(simfx_hv, DOM, (uint32_t)port), -EINVAL);
    ck_assert_int_eq(simfx_hv->ops->evtchn_unbind(simfx_hv, (uint32_t)l), 0);
    ck_assert_int_eq(simfx_hv->ops->evtchn_unbind(simfx_hv, (uint32_t)l), -EINVAL);
    ck_assert_int_eq(simfx_hv->ops->evtchn_bind(simfx_hv, 99, 1), -ESRCH);
}
END_TEST

START_TEST(lock_holder_killed)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct hv *hv = simfx_open();
        sim_lock(to_sim(hv));     /* die holding the state lock */
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    /* EOWNERDEAD is recovered: the state is usable */
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, DOM), 1);
    ck_assert_int_eq(simfx_hv->ops->iomem_permission(simfx_hv, DOM, 0x100, 1, true), 0);
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, DOM), 1);
}
END_TEST

static Suite *hv_xproc_suite(void)
{
    Suite *s = suite_create("hv_xproc");
    TCase *tc = tcase_create("xproc");
    tcase_add_checked_fixture(tc, setup, simfx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dm_restart_mid_request);
    tcase_add_test(tc, dm_bad_state_detected);
    tcase_add_test(tc, dm_answering_none_gives_all_ones);
    tcase_add_test(tc, live_binding_cannot_be_stolen);
    tcase_add_test(tc, lock_holder_killed);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_xproc_suite)
