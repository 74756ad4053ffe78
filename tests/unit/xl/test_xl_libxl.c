/* pcipt against libxl's real order (tests/support/fake_libxl.h: grant,
 * assign, nodes; revoke, reset, deassign, state-N = 5, renumber), with the
 * real daemon (`pcipt serve`, --hv sim) and the real xenstored.  Checked,
 * on the project's patched Xen (a remove needs only the caller's
 * permission) and on stock Xen <= 4.21 (PCIPT_SIM_UNMAP_NEEDS_PERMISSION=1,
 * the remove needs the domain's permission, which libxl revoked first):
 * after `xl pci-detach` nothing of the device is mapped, the domain holds
 * no iomem permission for it, the guest reads all-ones at its slot, and
 * the daemon's log has no error (on stock Xen one line saying why it
 * granted the pages back for the removal); `xl destroy` with devices
 * attached leaves no mapping, assignment, node or daemon. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/hv/hv.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/fake_libxl.h"
#include "tests/support/libxl_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

#define BE LXFX_BE

static int daemon_pid;

static void pcipt_attach(const char *arg);

/* Does domain 5 hold an iomem permission for any page of host? */
static bool permitted(uint64_t host)
{
    struct sim_range r[64];
    int n = sim_list_permissions(simfx_hv, 5, r, 64);

    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++)
        if (r[i].start <= host >> 12 && host >> 12 <= r[i].end)
            return true;
    return false;
}

static uint32_t owner(const char *sbdf)
{
    struct sbdf s;
    uint32_t o = 0;

    ck_assert_int_eq(sbdf_parse(sbdf, &s), 0);
    ck_assert_int_eq(sim_device_owner(simfx_hv, hv_machine_sbdf(s.seg, s.bus, s.dev, s.fn), &o),
                     0);
    return o;
}

static char *daemon_log(void)
{
    char p[256];
    return xlfx_slurp(xlfx_path("pcipt-serve-5.log", p, sizeof(p)));
}

static void start_daemon(void)
{
    char env[512], p[256];

    snprintf(env, sizeof(env), "PCIPT_NO_SYSTEMD=1 PCIPT_LOG_DIR=%s", simfx_dir);
    daemon_pid = run_pcipt_bg(RUN_ENV(env), xlfx_path("pcipt-serve-5.log", p, sizeof(p)),
                              "%s serve 5", afx_args());
    ck_assert_int_gt(daemon_pid, 0);
    ck_assert(lxfx_wait_node(BE "/pcipt/server/state", "ready"));
}

static void stop_daemon(void)
{
    kill(daemon_pid, SIGTERM);
    ck_assert(xlfx_wait_gone(daemon_pid));
    daemon_pid = 0;
}

static void setup(void)
{
    xlfx_setup();
    libxl_double_reset();
    /* xl cannot attach a function with an I/O BAR on Arm (the double
     * refuses it as libxl does): those of the NIC and the GPU are left
     * unassigned here. */
    afx_set_resource(AFX_NIC, 2, 0, 0, 0);
    afx_set_resource(AFX_GPU, 4, 0, 0, 0);
    unsetenv(SIM_UNMAP_PERM_ENV);
}

static void teardown(void)
{
    if (daemon_pid > 0)
        kill(daemon_pid, SIGKILL);
    daemon_pid = 0;
    unsetenv(SIM_UNMAP_PERM_ENV);
    xlfx_teardown();
}

/* _i = 0: patched Xen (default); 1: stock Xen <= 4.21. */
START_TEST(pci_detach_leaves_nothing_mapped)
{
    char *before = afx_snapshot(), *after, *log;
    uint64_t nic_bar0, gpu_bar0;

    if (_i)
        setenv(SIM_UNMAP_PERM_ENV, "1", 1);
    /* xl pci-attach 5 0000:01:00.0,vslot=3 ; xl pci-attach 5 0000:09:00.0 */
    ck_assert_int_eq(libxl_double_attach(5, AFX_NIC, 3), 0);
    start_daemon();
    ck_assert_int_eq(libxl_double_attach(5, AFX_GPU, -1), 0);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    ck_assert_uint_ne(lxfx_guest_id(3), 0xffffffffu);
    for (int i = 0; i < 100 && lxfx_guest_id(1) == 0xffffffffu; i++)
        usleep(100 * 1000);
    ck_assert_uint_ne(lxfx_guest_id(1), 0xffffffffu);
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    gpu_bar0 = lxfx_bar_host("dev-1", 0);
    ck_assert(lxfx_maps_host(nic_bar0, 4096));
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));
    ck_assert_uint_eq(owner(AFX_GPU), 5);
    /* libxl assigned them before writing dev-N: in the domain's IOMMU
     * context, the guest may use DMA */
    lxfx_expect(BE "/pcipt/dev-0/dma", "iommu");
    lxfx_expect(BE "/pcipt/dev-1/dma", "iommu");

    /* xl pci-detach 5 0000:01:00.0: revoked, reset, deassigned before
     * state-0 = 5; the GPU moves to index 0 at once. */
    ck_assert_int_eq(libxl_double_detach(5, AFX_NIC), 0);
    ck_assert_uint_eq(libxl_double_resets(), 1);
    /* off the guest's bus: the daemon's release of it is complete */
    ck_assert(lxfx_guest_id_becomes(3, 0xffffffffu));
    ck_assert(!lxfx_maps_host(nic_bar0, 4096));
    ck_assert(!permitted(nic_bar0));
    ck_assert_uint_eq(owner(AFX_NIC), 0);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    lxfx_expect(BE "/pcipt/dev-0/host", AFX_GPU);
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));
    /* the last one: the backend goes with it */
    ck_assert_int_eq(libxl_double_detach(5, AFX_GPU), 0);
    ck_assert(lxfx_guest_id_becomes(1, 0xffffffffu));
    ck_assert(!lxfx_maps_host(gpu_bar0, 4096));
    ck_assert(!permitted(gpu_bar0));
    ck_assert_int_eq(sim_list_mappings(simfx_hv, 5, NULL, 0), 0);

    log = daemon_log();
    ck_assert_msg(!strstr(log, "error") && !strstr(log, "failed") && !strstr(log, "DMA off"),
                  "daemon log: %s", log);
    /* stock Xen: it says why it granted the pages back, once per BAR */
    ck_assert_msg(!strstr(log, "this Xen needs it to unmap") == !_i, "daemon log: %s", log);
    free(log);
    stop_daemon();
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after);
}
END_TEST

/* xl destroy with two devices, adopted (_i & 2: attached by pcipt
 * itself), on the patched (_i & 1: stock) Xen: each removed as
 * pci-detach, then the domain: the daemon exits, nothing is left. */
START_TEST(xl_destroy_leaves_nothing)
{
    unsigned n;

    if (_i & 1)
        setenv(SIM_UNMAP_PERM_ENV, "1", 1);
    if (_i & 2) {
        pcipt_attach(AFX_NIC "@3");
        pcipt_attach(AFX_GPU "@4");
    } else {
        ck_assert_int_eq(libxl_double_attach(5, AFX_NIC, 3), 0);
        ck_assert_int_eq(libxl_double_attach(5, AFX_GPU, 4), 0);
        start_daemon();
        ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/adopted", "1"));
    }
    ck_assert_int_gt(sim_list_mappings(simfx_hv, 5, NULL, 0), 0);

    ck_assert_int_eq(libxl_double_destroy(5), 0);
    ck_assert(xlfx_wait_gone(daemon_pid));
    daemon_pid = 0;
    ck_assert_int_lt(sim_list_mappings(simfx_hv, 5, NULL, 0), 0);    /* no domain */
    ck_assert_uint_eq(owner(AFX_NIC), 0);
    ck_assert_uint_eq(owner(AFX_GPU), 0);
    char **kids = xsw_directory(afx_ctx.xs, XBT_NULL, "/local/domain/0/backend/pci/5", &n);
    ck_assert_ptr_null(kids);
    char *log = daemon_log();
    ck_assert_msg(!strstr(log, "error"), "daemon log: %s", log);
    free(log);
}
END_TEST

/* `pcipt pci-attach` (the real daemon started by it). */
static void pcipt_attach(const char *arg)
{
    char *out, *err;

    ck_assert_msg(run_pcipt(xlfx_opts(NULL), &out, &err, "%s pci-attach 5 %s", afx_args(),
                            arg) == 0, "%s", err);
    free(out); free(err);
    daemon_pid = xlfx_daemon_pid(5);
    ck_assert_int_gt(daemon_pid, 0);
}

/* Does `pcipt status 5` list host? */
static bool status_lists(const char *host)
{
    char *out, *err;
    bool has;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s status 5", afx_args()), 0);
    has = strstr(out, host) != NULL;
    free(out); free(err);
    return has;
}

static bool listed_soon(const char *host, bool want)
{
    for (int i = 0; i < 100 && status_lists(host) != want; i++)
        usleep(100 * 1000);
    return status_lists(host) == want;
}

/* xl pci-detach of devices pcipt attached itself (_i & 1: stock Xen;
 * _i & 2: no daemon runs while libxl works, the next one only finds the
 * device gone from libxl's list, pcipt's nodes still there): released fully, pcipt's numbering follows libxl's, the other
 * device keeps its state-N = 1 and is still served; nothing left at the
 * end. */
START_TEST(xl_pci_detach_of_pcipt_devices)
{
    char *before = afx_snapshot(), *after, *log;
    bool stock = _i & 1, vanish = _i & 2;
    uint64_t nic_bar0, gpu_bar0;

    if (stock)
        setenv(SIM_UNMAP_PERM_ENV, "1", 1);
    pcipt_attach(AFX_NIC "@3");
    pcipt_attach(AFX_GPU);
    /* xl pci-list reads the slot from vdevfn-N (libxl__device_pci_from_xs_be) */
    lxfx_expect(BE "/vdevfn-0", "18");
    lxfx_expect(BE "/vdevfn-1", "8");
    nic_bar0 = lxfx_bar_host("dev-0", 0);
    gpu_bar0 = lxfx_bar_host("dev-1", 0);
    ck_assert(lxfx_maps_host(nic_bar0, 4096));
    ck_assert_uint_ne(lxfx_guest_id(3), 0xffffffffu);

    if (vanish)
        stop_daemon();            /* its server and mappings stay for the next */
    ck_assert_int_eq(libxl_double_detach(5, AFX_NIC), 0);
    if (vanish)
        start_daemon();
    /* off the guest's bus: the daemon's release of it is complete */
    ck_assert(lxfx_guest_id_becomes(3, 0xffffffffu));
    ck_assert(!lxfx_maps_host(nic_bar0, 4096));
    ck_assert(!permitted(nic_bar0));
    ck_assert_uint_eq(owner(AFX_NIC), 0);
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    lxfx_expect(BE "/pcipt/dev-0/host", AFX_GPU);
    lxfx_expect(BE "/dev-0", AFX_GPU);
    lxfx_expect(BE "/state-0", "1");                 /* never closed by a reply */
    lxfx_expect(BE "/state-1", "(absent)");
    ck_assert(listed_soon(AFX_NIC, false));
    ck_assert(status_lists(AFX_GPU));
    ck_assert(lxfx_maps_host(gpu_bar0, 4096));
    ck_assert_uint_ne(lxfx_guest_id(1), 0xffffffffu);

    ck_assert_int_eq(libxl_double_detach(5, AFX_GPU), 0);
    ck_assert(lxfx_unmapped_soon(gpu_bar0));
    ck_assert(lxfx_guest_id_becomes(1, 0xffffffffu));
    log = daemon_log();
    ck_assert_msg(!strstr(log, "error") && !strstr(log, "failed"), "daemon log: %s", log);
    free(log);
    stop_daemon();
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after);
}
END_TEST

static void attach_nic_in_the_window(void *arg)
{
    (void)arg;
    pcipt_attach(AFX_NIC "@3");
}

/* How many p2m entries of domain 5 cover host address host. */
static int mappings_of(uint64_t host)
{
    struct sim_mapping m[256];
    int n = sim_list_mappings(simfx_hv, 5, m, 256), hits = 0;

    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++)
        hits += m[i].mfn <= host >> 12 && host >> 12 < m[i].mfn + m[i].nr;
    return hits;
}

/* xl pci-attach reads num_devs before its transaction; a pcipt pci-attach
 * in that window publishes dev-0, which libxl then overwrites with its own
 * device.  The daemon lists pcipt's device again (dev-1) and adopts
 * libxl's: both listed, served at their slots, mapped once. */
START_TEST(concurrent_xl_and_pcipt_attach)
{
    char *before = afx_snapshot(), *after, *log;
    uint64_t nic_bar0, gpu_bar0;

    libxl_double_set_hook(attach_nic_in_the_window, NULL);
    ck_assert_int_eq(libxl_double_attach(5, AFX_GPU, -1), 0);
    libxl_double_set_hook(NULL, NULL);
    ck_assert(lxfx_wait_node(BE "/dev-1", AFX_NIC));
    ck_assert(lxfx_wait_node(BE "/pcipt/dev-0/adopted", "1"));
    lxfx_expect(BE "/num_devs", "2");
    lxfx_expect(BE "/dev-0", AFX_GPU);
    lxfx_expect(BE "/pcipt/dev-0/host", AFX_GPU);
    lxfx_expect(BE "/pcipt/dev-1/host", AFX_NIC);
    lxfx_expect(BE "/vdev-1", "0000:00:03.00");
    lxfx_expect(BE "/vdevfn-1", "18");
    lxfx_expect(BE "/state-1", "1");
    ck_assert_uint_ne(lxfx_guest_id(3), 0xffffffffu);
    ck_assert(status_lists(AFX_NIC) && status_lists(AFX_GPU));
    nic_bar0 = lxfx_bar_host("dev-1", 0);
    gpu_bar0 = lxfx_bar_host("dev-0", 0);
    ck_assert_int_eq(mappings_of(nic_bar0), 1);
    ck_assert_int_eq(mappings_of(gpu_bar0), 1);
    log = daemon_log();
    ck_assert_msg(strstr(log, "listed 0000:01:00.0 again in domain 5's pci backend (xl "
                              "pci-attach took its dev-0 for 0000:09:00.0)"), "%s", log);
    ck_assert_msg(!strstr(log, "error") && !strstr(log, "failed"), "daemon log: %s", log);
    free(log);

    ck_assert_int_eq(libxl_double_detach(5, AFX_GPU), 0);
    ck_assert_int_eq(libxl_double_detach(5, AFX_NIC), 0);
    ck_assert(lxfx_unmapped_soon(nic_bar0));
    ck_assert(lxfx_unmapped_soon(gpu_bar0));
    stop_daemon();
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after);
}
END_TEST

static Suite *xl_libxl_suite(void)
{
    Suite *s = suite_create("xl_libxl");
    TCase *tc = tcase_create("libxl_order");

    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, pci_detach_leaves_nothing_mapped, 0, 2);
    tcase_add_loop_test(tc, xl_destroy_leaves_nothing, 0, 4);
    tcase_add_loop_test(tc, xl_pci_detach_of_pcipt_devices, 0, 4);
    tcase_add_test(tc, concurrent_xl_and_pcipt_attach);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_libxl_suite)
