/* `pcipt pci-attach` / `pcipt pci-detach` (the real binary, --hv sim, a
 * real xenstored, the daemon test double as $PCIPT_SERVE_BIN): the first
 * attach starts a daemon, the second finds it; the guest hints name the
 * virtual SBDF; pci-detach's "should have released it" hint only for a
 * function the guest still used (Bus Master on); detach hands over through the daemon and leaves nothing;
 * a daemon that cannot start undoes the attach; a pid recorded in
 * pcipt/server/pid whose process holds no serve lock (an unrelated live
 * process, a zombie) is no daemon: pci-attach starts one. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

static void expect_line(const char *out, const char *prefix)
{
    ck_assert_msg(out && strstr(out, prefix), "'%s' not in: %s", prefix, out ? out : "");
}

/* The guest's 16-bit store to its Command register at ECAM address gpa. */
static void guest_command(uint64_t gpa, uint16_t val)
{
    uint64_t data = val;

    ck_assert_int_eq(sim_guest_mmio(simfx_hv, 5, 0, gpa, 2, true, &data, 5000),
                     SIM_ACCESS_IOREQ);
}

START_TEST(attach_starts_one_daemon_detach_restores)
{
    char *before = afx_snapshot(), *after, *out, *err, want[256], e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    struct sim_mapping m[64];
    struct sim_server_info srv[4];
    int pid;

    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-attach 5 0000:01:00.0@3",
                               afx_args()), 0);
    pid = xlfx_daemon_pid(5);               /* the real `pcipt serve 5` */
    ck_assert(xlfx_alive(pid));
    snprintf(want, sizeof(want), "attached 0000:01:00.0 to domain 5 as 0000:00:03.0; started "
             "the domain's daemon (pid %d) serves it\nin the guest, run: echo 1 > "
             "/sys/bus/pci/rescan\n", pid);
    ck_assert_str_eq(out, want);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(sim_list_servers(simfx_hv, 5, srv, 4), 1);
    ck_assert_int_gt(sim_list_mappings(simfx_hv, 5, m, 64), 0);
    free(out); free(err);

    /* A second device: the running daemon is found, none started. */
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-attach 5 0000:09:00.0",
                               afx_args()), 0);
    expect_line(out, "attached 0000:09:00.0 to domain 5 as 0000:00:01.0; the domain's daemon");
    ck_assert_int_eq(xlfx_daemon_pid(5), pid);
    ck_assert_int_eq(sim_list_servers(simfx_hv, 5, srv, 4), 1);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    free(out); free(err);

    /* The guest enables 00:03.0 and lets it go as Linux's remove does
     * (Bus Master off, Memory left on); 00:01.0 it still uses. */
    guest_command(0x10018004, PCI_CMD_MEMORY | PCI_CMD_MASTER);
    guest_command(0x10018004, PCI_CMD_MEMORY);
    guest_command(0x10008004, PCI_CMD_MEMORY | PCI_CMD_MASTER);

    /* Detach: the daemon answers the hand-over (no 10 s wait, no warning);
     * no hint for the function the guest released. */
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-detach 5 0000:01:00.0",
                               afx_args()), 0);
    ck_assert_str_eq(out, "detached 0000:01:00.0 from domain 5\n");
    ck_assert_str_eq(err, "");
    free(out); free(err);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-detach 5 0000:09:00.0",
                               afx_args()), 0);
    ck_assert_str_eq(out, "detached 0000:09:00.0 from domain 5\nthe guest was still using it "
                     "(Bus Master or MSI on); it should have released it first: echo 1 > "
                     "/sys/bus/pci/devices/0000:00:01.0/remove\n");
    free(out); free(err);
    kill(pid, SIGTERM);
    ck_assert(xlfx_wait_gone(pid));
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(da);
}
END_TEST

/* Device 1 attached without a daemon, pid recorded as its daemon's (as a
 * daemon that died long ago would have left it): pci-attach of a second
 * device starts the real daemon, which creates the one server. */
static void pci_attach_with_recorded_pid(pid_t recorded)
{
    struct xsp_server rec = { .id = 6, .pid = recorded, .nr_vcpus = 1, .ports = { 9 } };
    struct sim_server_info srv[4];
    char *out, *err;
    pid_t pid;

    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s attach 5 0000:01:00.0", afx_args()),
                     0);
    free(out); free(err);
    ck_assert_int_eq(xsp_write_server(afx_ctx.xs, 5, &rec), 0);
    ck_assert_int_eq(xlfx_daemon_pid(5), recorded);
    ck_assert_int_eq(servelock_holder(5), 0);
    ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-attach 5 0000:09:00.0",
                               afx_args()), 0);
    pid = servelock_holder(5);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_ne(pid, recorded);
    ck_assert_int_eq(xlfx_daemon_pid(5), pid);       /* its record replaced the stale one */
    expect_line(out, "attached 0000:09:00.0 to domain 5 as 0000:00:02.0; started the "
                "domain's daemon (pid ");
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(sim_list_servers(simfx_hv, 5, srv, 4), 1);
    free(out); free(err);
    kill(pid, SIGKILL);      /* not our child: its exit is seen through the lock */
    for (int i = 0; i < 1000 && servelock_holder(5); i++)
        usleep(10 * 1000);
    ck_assert_int_eq(servelock_holder(5), 0);
}

START_TEST(recorded_pid_of_a_live_unrelated_process_is_no_daemon)
{
    pci_attach_with_recorded_pid(getpid());
}
END_TEST

START_TEST(recorded_pid_of_a_zombie_is_no_daemon)
{
    siginfo_t si;
    pid_t z;

    fflush(NULL);
    z = fork();
    ck_assert_int_ge(z, 0);
    if (z == 0)
        _exit(0);
    memset(&si, 0, sizeof(si));
    ck_assert_int_eq(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);  /* not reaped */
    ck_assert_int_eq(kill(z, 0), 0);
    pci_attach_with_recorded_pid(z);
    ck_assert_int_eq(waitpid(z, NULL, 0), z);
}
END_TEST

START_TEST(daemon_that_cannot_start_undoes_attach)
{
    char *before = afx_snapshot(), *after, *out, *err;

    ck_assert_int_eq(run_pcipt(xlfx_opts("FAKE_SERVE_MODE=exit"), &out, &err,
                               "%s pci-attach 5 0000:01:00.0", afx_args()), 1);
    expect_line(err, "pcipt: pci-attach: domain 5's daemon exited with status 3 before it was "
                "ready; see ");
    expect_line(err, "; the device was detached again");
    ck_assert_str_eq(out, "");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(bad_input_is_named)
{
    static const struct { const char *args; int st; const char *msg; } c[] = {
        { "pci-attach 5", 2, "give a domain id and a device" },
        { "pci-attach x 0000:01:00.0", 2, "'x' is not a guest domain id" },
        { "pci-attach 5 01:00.0@40", 2, "'01:00.0@40' is not SSSS:BB:DD.F[@SLOT[.FN]]" },
        { "pci-attach --what 5 0000:01:00.0", 2, "unknown option '--what'" },
        { "pci-attach 7 0000:01:00.0", 1, "pcipt: pci-attach: domain 7 does not exist" },
        { "pci-detach 5 0000:01:00.0@3", 2, "'0000:01:00.0@3' is not SSSS:BB:DD.F" },
        { "pci-detach 5 0000:01:00.0", 1, "pcipt: pci-detach: 0000:01:00.0 is not attached to "
          "domain 5" },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *out, *err;
        ck_assert_int_eq(run_pcipt(xlfx_opts(NULL), &out, &err, "%s %s", afx_args(), c[i].args),
                         c[i].st);
        ck_assert_msg(strstr(err, c[i].msg), "%s: %s", c[i].args, err);
        ck_assert_str_eq(out, "");
        free(out); free(err);
    }
}
END_TEST

static Suite *xl_pci_suite(void)
{
    Suite *s = suite_create("xl_pci");
    TCase *tc = tcase_create("pci");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, attach_starts_one_daemon_detach_restores);
    tcase_add_test(tc, daemon_that_cannot_start_undoes_attach);
    tcase_add_test(tc, bad_input_is_named);
    tcase_add_test(tc, recorded_pid_of_a_live_unrelated_process_is_no_daemon);
    tcase_add_test(tc, recorded_pid_of_a_zombie_is_no_daemon);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_pci_suite)
