/* The libxl-node watcher (pcipt/xlwatch.c, `pcipt watch`) against the real
 * xenstored: the test writes exactly what libxl writes for `xl pci-attach`
 * (libxl__create_pci_backend + libxl__device_pci_add_xenstore, in their
 * order) and for `xl pci-detach` (libxl__device_pci_remove_xenstore: state-N
 * = 5 and be/state = 7, then the removal with renumbering, then
 * libxl__device_destroy for the last device), with xenstore-write/-rm.
 * Checked: adoption (slot from vdevfn-N, libxl's nodes untouched, pcipt's
 * nodes beside them, BARs mapped), release on close and on removal,
 * renumbering, the last device vanishing under a running watcher, an
 * adoption that fails leaving libxl's nodes alone, pcipt's own devices
 * untouched. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/hv_sim.h"
#include "pcipt/xs.h"
#include "pcipt/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fixture.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored.h"
#include "tests/support/xl_fx.h"

#define BE "/local/domain/0/backend/pci/5/0"
#define FE "/local/domain/5/device/pci/0"
#define OPTS "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"

static void sh(const char *cmd)
{
    char *err = NULL;
    int rc = test_run(cmd, NULL, &err);
    ck_assert_msg(rc == 0, "%s: %d %s", cmd, rc, err ? err : "");
    free(err);
}

/* libxl__device_pci_add_xenstore for device n (one transaction: one
 * xenstore-write call), the backend head first for the first device. */
static void libxl_add(unsigned n, const char *bdf, const char *vdevfn)
{
    char cmd[2048], vfn[64] = "";

    if (vdevfn)
        snprintf(vfn, sizeof(vfn), "%s/vdevfn-%u %s ", BE, n, vdevfn);
    if (n == 0) {
        snprintf(cmd, sizeof(cmd),
                 "xenstore-write %s/frontend %s %s/frontend-id 5 %s/online 1 %s/state 1 "
                 "%s/domain guest5 %s/key-0 %s %s/dev-0 %s %s%s/opts-0 %s %s/state-0 1 "
                 "%s/num_devs 1 && xenstore-chmod %s n0 r5 && "
                 "xenstore-write %s/backend %s %s/backend-id 0 %s/state 1",
                 BE, FE, BE, BE, BE, BE, BE, bdf, BE, bdf, vfn, BE, OPTS, BE, BE, BE, FE, BE,
                 FE, FE);
    } else {
        snprintf(cmd, sizeof(cmd),
                 "xenstore-write %s/key-%u %s %s/dev-%u %s %s%s/opts-%u %s %s/state-%u 1 "
                 "%s/num_devs %u %s/state 7",
                 BE, n, bdf, BE, n, bdf, vfn, BE, n, OPTS, BE, n, BE, n + 1, BE);
    }
    sh(cmd);
}

/* First transaction of libxl__device_pci_remove_xenstore. */
static void libxl_close(unsigned i)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "xenstore-write %s/state-%u 5 %s/state 7", BE, i, BE);
    sh(cmd);
}

/* Second transaction (and libxl__device_destroy when it was the last). */
static void libxl_remove(unsigned i, unsigned num)
{
    static const char *const keys[] = { "state", "dev", "key", "vdev", "opts", "vdevfn", "name" };
    char cmd[4096];
    size_t len = 0;

    len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "set -e; ");
    for (unsigned k = 0; k < 7; k++)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                "xenstore-rm %s/%s-%u 2>/dev/null || true; ", BE, keys[k], i);
    len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "xenstore-write %s/num_devs %u; ", BE,
                            num - 1);
    for (unsigned j = i + 1; j < num; j++)
        for (unsigned k = 0; k < 7; k++)
            len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                    "if v=$(xenstore-read %s/%s-%u 2>/dev/null); then "
                                    "xenstore-write %s/%s-%u \"$v\"; xenstore-rm %s/%s-%u; fi; ",
                                    BE, keys[k], j, BE, keys[k], j - 1, BE, keys[k], j);
    if (num == 1)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                "xenstore-rm %s; xenstore-rm /local/domain/0/backend/pci/5; "
                                "xenstore-rm /local/domain/0/backend/pci; "
                                "xenstore-rm /local/domain/0/backend; xenstore-rm %s; "
                                "xenstore-rm /local/domain/5/device/pci; "
                                "xenstore-rm /local/domain/5/device", BE, FE);
    ck_assert_uint_lt(len, sizeof(cmd));
    sh(cmd);
}

static char *xsread(const char *path)
{
    char *v = xsw_read(afx_ctx.xs, XBT_NULL, path);
    return v ? v : strdup("(absent)");
}

static void expect_node(const char *path, const char *want)
{
    char *v = xsread(path);
    ck_assert_msg(!strcmp(v, want), "%s = '%s', want '%s'", path, v, want);
    free(v);
}

static int watch_once(char **out, char **err)
{
    return xlfx_cli("", "watch --once 5", out, err);
}

/* Does domain 5 map any page of host range [host, host+size)? */
static bool maps_host(uint64_t host, uint64_t size)
{
    struct sim_mapping m[256];
    int n = sim_list_mappings(simfx_hv, 5, m, 256);

    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++) {
        uint64_t a = m[i].mfn << 12, b = (m[i].mfn + m[i].nr) << 12;
        if (a < host + size && host < b)
            return true;
    }
    return false;
}

static uint64_t bar_host(const char *dev, unsigned i)
{
    char p[256];
    snprintf(p, sizeof(p), BE "/pcipt/%s/bar-%u/host", dev, i);
    char *v = xsread(p);
    uint64_t h = strtoull(v, NULL, 16);
    free(v);
    return h;
}

START_TEST(adopt_renumber_release)
{
    char *before = afx_snapshot(), *after, *out, *err, e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    struct sim_mapping m[8];
    uint64_t nic_bar0, gpu_bar0;

    /* xl pci-attach 5 0000:01:00.0,vslot=3 (vdevfn 0x18) */
    libxl_add(0, "0000:01:00.0", "18");
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:03.0\n");
    ck_assert_str_eq(err, "");
    free(out); free(err);
    /* libxl's nodes as libxl wrote them; pcipt's beside them. */
    expect_node(BE "/key-0", "0000:01:00.0");
    expect_node(BE "/dev-0", "0000:01:00.0");
    expect_node(BE "/vdevfn-0", "18");
    expect_node(BE "/opts-0", OPTS);
    expect_node(BE "/state-0", "1");
    expect_node(BE "/num_devs", "1");
    expect_node(BE "/state", "1");
    expect_node(BE "/vdev-0", "0000:00:03.00");
    expect_node(BE "/pcipt/dev-0/adopted", "1");
    expect_node(BE "/pcipt/dev-0/host", "0000:01:00.0");
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    nic_bar0 = bar_host("dev-0", 0);
    ck_assert(maps_host(nic_bar0, 4096));
    /* A scan with nothing new does nothing. */
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);

    /* xl pci-attach 5 0000:09:00.0 (a hot-add: be/state = 7) */
    libxl_add(1, "0000:09:00.0", NULL);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "adopted 0000:09:00.0 (dev-1 of domain 5) as 0000:00:01.0\n");
    free(out); free(err);
    gpu_bar0 = bar_host("dev-1", 0);
    ck_assert(maps_host(gpu_bar0, 4096));

    /* xl pci-detach 5 0000:01:00.0: both of libxl's steps before we look. */
    libxl_close(0);
    libxl_remove(0, 2);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "released 0000:01:00.0 from domain 5 (libxl removed it)\n");
    free(out); free(err);
    ck_assert(!maps_host(nic_bar0, 4096));
    ck_assert(maps_host(gpu_bar0, 4096));
    /* pcipt's numbering follows libxl's again. */
    expect_node(BE "/dev-0", "0000:09:00.0");
    expect_node(BE "/pcipt/dev-0/host", "0000:09:00.0");
    expect_node(BE "/pcipt/dev-1", "(absent)");
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    ck_assert_uint_eq(da->devs[0].guest.dev, 1);

    /* xl pci-detach 5 0000:09:00.0: seen at state 5, then removed. */
    libxl_close(0);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "released 0000:09:00.0 from domain 5 (libxl closed it)\n");
    free(out); free(err);
    expect_node(BE "/pcipt/dev-0/released", "1");
    expect_node(BE "/pcipt/dev-0/bar-0/mapped", "none");
    ck_assert_int_eq(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    libxl_remove(0, 1);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);
    after = afx_snapshot();
    ck_assert_str_eq(after, before);          /* no mapping, permission or node left */
    free(before); free(after); free(da);
}
END_TEST

START_TEST(failed_adoption_leaves_libxl_nodes)
{
    char *before, *after, *out, *err;

    libxl_add(0, "0000:77:00.0", NULL);
    before = afx_snapshot();
    ck_assert_int_eq(watch_once(&out, &err), 1);
    ck_assert_msg(strstr(out, "cannot adopt 0000:77:00.0 (dev-0 of domain 5): 0000:77:00.0: no "
                          "such device"), "%s", out);
    after = afx_snapshot();
    ck_assert_str_eq(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(own_devices_are_not_touched)
{
    char *before, *after, *out, *err, e[512];

    ck_assert_msg(afx_attach(5, AFX_NIC, 2, 0, e, sizeof(e)) == 0, "%s", e);
    before = afx_snapshot();
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out); free(err);
    /* pcipt detach's own hand-over (state-N = 5) is the daemon's, not ours. */
    ck_assert_int_eq(xsp_write_dev_state(afx_ctx.xs, 5, &(struct sbdf){ 0, 1, 0, 0 }, 5), 0);
    ck_assert_int_eq(watch_once(&out, &err), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(xsp_write_dev_state(afx_ctx.xs, 5, &(struct sbdf){ 0, 1, 0, 0 }, 1), 0);
    after = afx_snapshot();
    ck_assert_str_eq(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

/* Running (not gone, not a zombie left to a non-reaping init)? */
static bool alive(int pid)
{
    char p[64], buf[256];
    FILE *f;
    bool run = false;

    snprintf(p, sizeof(p), "/proc/%d/stat", pid);
    if ((f = fopen(p, "r"))) {
        if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')'))
            run = strrchr(buf, ')')[2] != 'Z';
        fclose(f);
    }
    return run;
}

/* Wait (bounded, on a xenstore watch) until path reads want. */
static bool wait_node(const char *path, const char *want)
{
    bool ok = false;
    ck_assert_int_eq(xsw_watch(afx_ctx.xs, path, "t"), 0);
    for (int i = 0; i < 200 && !ok; i++) {
        char *v = xsread(path);
        ok = !strcmp(v, want);
        free(v);
        if (!ok)
            xsw_wait_watch(afx_ctx.xs, 100);
    }
    xsw_unwatch(afx_ctx.xs, path, "t");
    return ok;
}

START_TEST(running_watcher_releases_a_vanished_last_device)
{
    char cmd[1024], p[256], *before = afx_snapshot(), *after, *out = NULL, *log;
    int pid;
    struct sim_mapping m[8];

    snprintf(cmd, sizeof(cmd), "%s --hv sim --sysfs %s watch 5 > %s 2>&1 & echo $!",
             test_pcipt_bin(), afx_tree, xlfx_path("watch.log", p, sizeof(p)));
    ck_assert_int_eq(test_run(cmd, &out, NULL), 0);
    pid = atoi(out);
    free(out);
    ck_assert_int_gt(pid, 0);
    libxl_add(0, "0000:01:00.0", NULL);
    ck_assert(wait_node(BE "/pcipt/dev-0/adopted", "1"));
    ck_assert_int_gt(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    /* Close, remove, destroy the backend: one shell, no pause between. */
    libxl_close(0);
    libxl_remove(0, 1);
    for (int i = 0; i < 100 && sim_list_mappings(simfx_hv, 5, m, 8) > 0; i++)
        usleep(100 * 1000);
    ck_assert_int_eq(sim_list_mappings(simfx_hv, 5, m, 8), 0);
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && alive(pid); i++)
        usleep(50 * 1000);
    ck_assert_msg(!alive(pid), "watcher still running");
    log = xlfx_slurp(p);
    ck_assert_msg(strstr(log, "adopted 0000:01:00.0 (dev-0 of domain 5) as 0000:00:01.0\n") &&
                  strstr(log, "released 0000:01:00.0 from domain 5"), "%s", log);
    after = afx_snapshot();
    ck_assert_str_eq(after, before);
    free(log); free(before); free(after);
}
END_TEST

/* The real daemon (started by pcipt pci-attach) runs the same scan from its
 * own watch: it adopts what libxl adds and releases what libxl removes. */
START_TEST(daemon_follows_libxl)
{
    char *before = afx_snapshot(), *after, *out, *err, e[256];
    struct domain_assign *da = calloc(1, sizeof(*da));
    uint64_t gpu_bar0;
    int pid;

    ck_assert_int_eq(xlfx_cli("", "pci-attach 5 0000:01:00.0@2", &out, &err), 0);
    free(out); free(err);
    pid = xlfx_daemon_pid(5);
    ck_assert(xlfx_alive(pid));
    libxl_add(1, "0000:09:00.0", NULL);
    ck_assert(wait_node(BE "/pcipt/dev-1/adopted", "1"));
    expect_node(BE "/vdev-1", "0000:00:01.00");
    gpu_bar0 = bar_host("dev-1", 0);
    ck_assert(maps_host(gpu_bar0, 4096));
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    libxl_close(1);
    libxl_remove(1, 2);
    for (int i = 0; i < 100 && maps_host(gpu_bar0, 4096); i++)
        usleep(100 * 1000);
    ck_assert(!maps_host(gpu_bar0, 4096));
    ck_assert(wait_node(BE "/pcipt/dev-1/host", "(absent)"));
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 5, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 1);
    ck_assert_int_eq(xlfx_cli("", "pci-detach 5 0000:01:00.0", &out, &err), 0);
    free(out); free(err);
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && xlfx_alive(pid); i++)
        usleep(100 * 1000);
    after = afx_snapshot();
    ck_assert_str_eq(after, before);
    free(before); free(after); free(da);
}
END_TEST

static Suite *xl_watch_suite(void)
{
    Suite *s = suite_create("xl_watch");
    TCase *tc = tcase_create("watch");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, adopt_renumber_release);
    tcase_add_test(tc, failed_adoption_leaves_libxl_nodes);
    tcase_add_test(tc, own_devices_are_not_touched);
    tcase_add_test(tc, running_watcher_releases_a_vanished_last_device);
    tcase_add_test(tc, daemon_follows_libxl);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_watch_suite)
