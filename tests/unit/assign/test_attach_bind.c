/* --bind end to end: the real pcipt binary (--hv sim, a real xenstored) on
 * the attach fixture's tree, with Linux's driver core played on the tree by
 * the LD_PRELOAD shim (afx_driver_core_env, tests/drivercore/drivercore.c),
 * whose log shows every store in order.  A successful attach keeps the
 * function on uio_pci_generic (detach too, as xl pci-detach does); any
 * failure after the hand-over gives it back to the driver it had (or none),
 * driver_override cleared first; attach, create (every device this
 * invocation bound) and pci-attach; a give-back that fails is named in the
 * same one line; the holder's module not loaded: pcipt loads it (the
 * modprobe double, tests/support/fakebin/modprobe), or fails and gives the
 * function back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

#define MAP_FAILS "PCIPT_SIM_FAIL=memory_mapping:5:5"
#define MAP_ERR   "cannot map BAR 1 of 0000:01:00.0 at guest 0x23000000 in domain 5: " \
                  "memory_mapping failed: Input/output error"

/* The driver-core shim's environment (attach fixture) plus env. */
static const char *core_env(const char *env)
{
    static char e[1536];

    snprintf(e, sizeof(e), "%s %s", afx_driver_core_env(), env);
    return e;
}

/* Run options for `pcipt` with the shim and env. */
static const struct run_opts *with_core(const char *env)
{
    static struct run_opts o;

    o = (struct run_opts){ .env = core_env(env) };
    return &o;
}

static void expect_state(const char *dev, const char *want)
{
    char st[300];

    afx_driver_state(dev, st, sizeof(st));
    ck_assert_str_eq(st, want);
}

static void expect_log(const char *want)
{
    char *log = afx_driver_core_log();
    ck_assert_str_eq(log, want);
    free(log);
}

/* DIR/rel becomes a directory: a store to it fails with EISDIR. */
static void make_dir(const char *rel)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", afx_tree, rel);
    unlink(path);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* The snapshot with one device's driver line changed. */
static char *with_state(const char *snap, const char *from, const char *to)
{
    const char *at = strstr(snap, from);
    char *s;

    ck_assert_ptr_nonnull(at);
    ck_assert_int_ge(asprintf(&s, "%.*s%s%s", (int)(at - snap), snap, to, at + strlen(from)), 0);
    return s;
}

START_TEST(attach_keeps_the_holder_detach_too)
{
    char *out, *err;

    afx_set_driver(AFX_NIC, "igb");
    ck_assert_int_eq(run_pcipt(with_core(""), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 0);
    ck_assert_str_eq(err, "");
    ck_assert_str_eq(out, "attached 0000:01:00.0 to domain 5 as 0000:00:01.0\n");
    expect_state(AFX_NIC, "driver uio_pci_generic override uio_pci_generic");
    expect_log("unbind igb 0000:01:00.0 0\n"
               "override 0000:01:00.0 uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n");
    free(out); free(err);
    /* held already: a second --bind (refused as attached) writes nothing */
    ck_assert_int_eq(run_pcipt(with_core(""), &out, &err, "%s attach --bind 3 " AFX_NIC,
                               afx_args()), 1);
    ck_assert_msg(strstr(err, "0000:01:00.0 is already attached to domain 5"), "%s", err);
    free(out); free(err);
    ck_assert_int_eq(run_pcipt(with_core(""), &out, &err, "%s detach 5 " AFX_NIC, afx_args()), 0);
    expect_state(AFX_NIC, "driver uio_pci_generic override uio_pci_generic");
    expect_log("unbind igb 0000:01:00.0 0\n"
               "override 0000:01:00.0 uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n");
    free(out); free(err);
}
END_TEST

/* The give-back undoes the hand-over in reverse: the holder lets go, the
 * override is cleared (else igb would not match: ENODEV), igb binds. */
START_TEST(failure_gives_back_in_reverse_order)
{
    char *out, *err;

    afx_set_driver(AFX_NIC, "igb");
    ck_assert_int_eq(run_pcipt(with_core(MAP_FAILS), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    ck_assert_str_eq(err, "pcipt: " MAP_ERR "\n");
    expect_state(AFX_NIC, "driver igb override (null)");
    expect_log("unbind igb 0000:01:00.0 0\n"
               "override 0000:01:00.0 uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n"
               "unbind uio_pci_generic 0000:01:00.0 0\n"
               "override 0000:01:00.0 '' 0\n"
               "bind igb 0000:01:00.0 0\n");
    free(out); free(err);
}
END_TEST

#define BIND_LOG  "unbind igb 0000:01:00.0 0\n" \
                  "override 0000:01:00.0 uio_pci_generic 0\n" \
                  "probe - 0000:01:00.0 0\n"

/* uio_pci_generic not loaded (no DIR/drivers/uio_pci_generic). */
static void unload_holder(void)
{
    char dir[256];

    snprintf(dir, sizeof(dir), "%s/drivers/uio_pci_generic", afx_tree);
    ck_assert_int_eq(rmdir(dir), 0);
}

/* The probe leaves the function unbound: pcipt loads the module, whose
 * driver takes the function as it registers (the kernel's driver_attach),
 * and probes once more (a no-op then); the attach goes on. */
START_TEST(holder_not_loaded_is_loaded)
{
    char *out, *err;

    afx_set_driver(AFX_NIC, "igb");
    unload_holder();
    ck_assert_int_eq(run_pcipt(with_core("FAKE_MODPROBE=load"), &out, &err,
                               "%s attach --bind 5 " AFX_NIC, afx_args()), 0);
    ck_assert_str_eq(err, "");
    ck_assert_str_eq(out, "attached 0000:01:00.0 to domain 5 as 0000:00:01.0\n");
    expect_state(AFX_NIC, "driver uio_pci_generic override uio_pci_generic");
    expect_log(BIND_LOG "modprobe - uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n");
    free(out); free(err);
}
END_TEST

/* With the bus's drivers_autoprobe off, registering the driver binds
 * nothing: pcipt's second probe is what binds it. */
START_TEST(holder_loaded_without_autoprobe_is_probed_again)
{
    char *out, *err, path[256];
    FILE *f;

    afx_set_driver(AFX_NIC, "igb");
    unload_holder();
    snprintf(path, sizeof(path), "%s/drivers_autoprobe", afx_tree);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("0\n", f);
    fclose(f);
    ck_assert_int_eq(run_pcipt(with_core("FAKE_MODPROBE=load"), &out, &err,
                               "%s attach --bind 5 " AFX_NIC, afx_args()), 0);
    ck_assert_str_eq(err, "");
    expect_state(AFX_NIC, "driver uio_pci_generic override uio_pci_generic");
    expect_log(BIND_LOG "modprobe - uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n");
    free(out); free(err);
}
END_TEST

/* The module is not there: the attach fails before any hypercall, naming
 * the device and what to do, and igb gets the function back. */
START_TEST(holder_missing_fails_and_gives_back)
{
    char *before, *after, *out, *err;

    afx_set_driver(AFX_NIC, "igb");
    unload_holder();
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(with_core(""), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    ck_assert_str_eq(err, "pcipt: 0000:01:00.0: uio_pci_generic did not take it (is the module "
                     "available? `modprobe uio_pci_generic` failed: modprobe: FATAL: Module "
                     "uio_pci_generic not found in directory /lib/modules/fake)\n");
    ck_assert_str_eq(out, "");
    expect_log(BIND_LOG "modprobe - uio_pci_generic 1\n"
               "override 0000:01:00.0 '' 0\n"
               "bind igb 0000:01:00.0 0\n");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);        /* igb again, override clear, nothing mapped */
    free(before); free(after); free(out); free(err);
}
END_TEST

/* modprobe says it worked but no driver registered (an `install ...
 * /bin/true` line): refused the same way, and the message says so. */
START_TEST(holder_modprobe_without_driver_fails)
{
    char *before, *after, *out, *err, want[512];

    unload_holder();
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(with_core("FAKE_MODPROBE=noop"), &out, &err,
                               "%s attach --bind 5 " AFX_NIC, afx_args()), 1);
    snprintf(want, sizeof(want), "pcipt: 0000:01:00.0: uio_pci_generic did not take it (is the "
             "module available? `modprobe uio_pci_generic` succeeded but no driver "
             "'uio_pci_generic' appeared in %s/drivers)\n", afx_tree);
    ck_assert_str_eq(err, want);
    expect_log("override 0000:01:00.0 uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n"
               "modprobe - uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n"
               "override 0000:01:00.0 '' 0\n");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);        /* unbound, as it was */
    free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(give_back_failure_is_named_in_the_same_line)
{
    char *before, *after, *want, *out, *err, line[1024];

    afx_set_driver(AFX_NIC, "igb");
    make_dir("drivers/igb/bind");
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(with_core(MAP_FAILS), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    snprintf(line, sizeof(line), "pcipt: " MAP_ERR "; also could not give it back to 'igb': "
             "cannot write '0000:01:00.0' to %s/drivers/igb/bind: Is a directory\n", afx_tree);
    ck_assert_str_eq(err, line);
    /* taken from the holder and the override cleared; nothing else left */
    after = afx_snapshot();
    want = with_state(before, AFX_NIC " driver igb override (null)",
                      AFX_NIC " driver none override (null)");
    ck_assert_str_eq(after, want);
    free(before); free(after); free(want); free(out); free(err);
}
END_TEST

START_TEST(no_driver_before_stays_unbound)
{
    char *before, *after, *want, *out, *err, line[1024];

    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(with_core(MAP_FAILS), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    ck_assert_str_eq(err, "pcipt: " MAP_ERR "\n");
    expect_state(AFX_NIC, "driver none override (null)");
    expect_log("override 0000:01:00.0 uio_pci_generic 0\n"
               "probe - 0000:01:00.0 0\n"
               "unbind uio_pci_generic 0000:01:00.0 0\n"
               "override 0000:01:00.0 '' 0\n");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(after); free(out); free(err);

    /* the holder will not let go: named, and it stays there */
    make_dir("drivers/uio_pci_generic/unbind");
    ck_assert_int_eq(run_pcipt(with_core(MAP_FAILS), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    snprintf(line, sizeof(line), "pcipt: " MAP_ERR "; also could not take it back from "
             "uio_pci_generic: cannot write '0000:01:00.0' to %s/devices/0000:01:00.0/driver/"
             "unbind: Is a directory\n", afx_tree);
    ck_assert_str_eq(err, line);
    after = afx_snapshot();
    want = with_state(before, AFX_NIC " driver none override (null)",
                      AFX_NIC " driver uio_pci_generic override uio_pci_generic");
    ck_assert_str_eq(after, want);
    free(before); free(after); free(want); free(out); free(err);
}
END_TEST

/* The hand-over itself fails half-way (drivers_probe refused): what it
 * did is undone at once. */
START_TEST(half_done_hand_over_is_undone)
{
    char *before, *after, *out, *err, line[512];

    afx_set_driver(AFX_NIC, "igb");
    make_dir("drivers_probe");
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(with_core(""), &out, &err, "%s attach --bind 5 " AFX_NIC,
                               afx_args()), 1);
    snprintf(line, sizeof(line), "pcipt: 0000:01:00.0: cannot write '0000:01:00.0' to "
             "%s/drivers_probe: Is a directory\n", afx_tree);
    ck_assert_str_eq(err, line);
    expect_log("unbind igb 0000:01:00.0 0\n"
               "override 0000:01:00.0 uio_pci_generic 0\n"
               "override 0000:01:00.0 '' 0\n"
               "bind igb 0000:01:00.0 0\n");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(before); free(after); free(out); free(err);
}
END_TEST

#define CFG_TWO "name = \"guest1\"\npcipt = [ \"0000:01:00.0\", \"0000:09:00.0\" ]\n"

struct create_case {
    const char *env, *msg;
};

/* The GPU's first iomem_permission call (the NIC makes 4), and a daemon
 * that exits after both devices are attached. */
static const struct create_case creates[] = {
    { "PCIPT_SIM_FAIL=iomem_permission:5:1", "attach: cannot give domain 7 access to BAR 0 of "
      "0000:09:00.0" },
    { "FAKE_SERVE_MODE=exit", "domain 7's daemon exited with status 3" },
};

/* create's one line saying MSI is off (the sim publishes no build
 * configuration, so no vITS) comes first; the failure is the rest. */
static const char *past_msi_line(const char *err)
{
    const char *nl = strchr(err, '\n');
    return strstr(err, ": MSI off, ") && nl && strstr(err, ": MSI off, ") < nl ? nl + 1 : err;
}

START_TEST(create_gives_every_device_back)
{
    const struct create_case *c = &creates[_i];
    char args[512], cfg[256], *before, *after, *out, *err, *log;
    const char *e1;

    afx_set_driver(AFX_NIC, "igb");
    afx_set_driver(AFX_GPU, "amdgpu");
    xlfx_write("g.cfg", CFG_TWO);
    before = afx_snapshot();
    snprintf(args, sizeof(args), "create --bind %s", xlfx_path("g.cfg", cfg, sizeof(cfg)));
    ck_assert_msg(run_pcipt(xlfx_opts(core_env(c->env)), &out, &err, "%s %s", afx_args(),
                            args) == 1, "%s", err);
    e1 = past_msi_line(err);
    ck_assert_msg(strstr(e1, c->msg) && strstr(e1, "; everything done so far was undone\n") &&
                  strchr(e1, '\n') == e1 + strlen(e1) - 1, "%s", err);
    ck_assert(!xlfx_domain_exists(7));
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);        /* igb and amdgpu have theirs back */
    /* both were handed over, and given back last first */
    log = afx_driver_core_log();
    ck_assert_msg(strstr(log, "probe - 0000:01:00.0 0\n") && strstr(log, "probe - 0000:09:00.0 0\n")
                  && strstr(log, "\nbind amdgpu 0000:09:00.0 0\n") &&
                  strstr(log, "\nbind igb 0000:01:00.0 0\n") &&
                  strstr(log, "\nbind amdgpu") < strstr(log, "\nbind igb"), "%s", log);
    free(log); free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(create_names_a_device_it_cannot_give_back)
{
    char args[512], cfg[256], want[512], *out, *err;

    afx_set_driver(AFX_NIC, "igb");
    afx_set_driver(AFX_GPU, "amdgpu");
    make_dir("drivers/igb/bind");
    xlfx_write("g.cfg", CFG_TWO);
    snprintf(args, sizeof(args), "create --bind %s", xlfx_path("g.cfg", cfg, sizeof(cfg)));
    ck_assert_int_eq(run_pcipt(xlfx_opts(core_env("FAKE_SERVE_MODE=exit")), &out, &err, "%s %s",
                               afx_args(), args), 1);
    snprintf(want, sizeof(want), "; everything done so far was undone, but could not give "
             "0000:01:00.0 back to 'igb': cannot write '0000:01:00.0' to %s/drivers/igb/bind: "
             "Is a directory\n", afx_tree);
    ck_assert_msg(strstr(past_msi_line(err), want) &&
                  strchr(past_msi_line(err), '\n') == err + strlen(err) - 1, "%s", err);
    expect_state(AFX_GPU, "driver amdgpu override (null)");
    expect_state(AFX_NIC, "driver none override (null)");
    free(out); free(err);
}
END_TEST

START_TEST(pci_attach_gives_back_when_no_daemon_starts)
{
    char *before, *after, *out, *err, *log;

    afx_set_driver(AFX_NIC, "igb");
    before = afx_snapshot();
    ck_assert_int_eq(run_pcipt(xlfx_opts(core_env("FAKE_SERVE_MODE=exit")), &out, &err,
                               "%s pci-attach --bind 5 " AFX_NIC, afx_args()),
                     1);
    ck_assert_msg(strstr(err, "; the device was detached again\n") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    log = afx_driver_core_log();
    ck_assert_msg(strstr(log, "probe - 0000:01:00.0 0\n") &&
                  strstr(log, "unbind uio_pci_generic 0000:01:00.0 0\n") &&
                  strstr(log, "\nbind igb 0000:01:00.0 0\n"), "%s", log);
    free(log); free(before); free(after); free(out); free(err);
}
END_TEST

static Suite *attach_bind_suite(void)
{
    Suite *s = suite_create("attach_bind");
    TCase *tc = tcase_create("bind");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, attach_keeps_the_holder_detach_too);
    tcase_add_test(tc, failure_gives_back_in_reverse_order);
    tcase_add_test(tc, holder_not_loaded_is_loaded);
    tcase_add_test(tc, holder_loaded_without_autoprobe_is_probed_again);
    tcase_add_test(tc, holder_missing_fails_and_gives_back);
    tcase_add_test(tc, holder_modprobe_without_driver_fails);
    tcase_add_test(tc, give_back_failure_is_named_in_the_same_line);
    tcase_add_test(tc, no_driver_before_stays_unbound);
    tcase_add_test(tc, half_done_hand_over_is_undone);
    tcase_add_loop_test(tc, create_gives_every_device_back, 0,
                        (int)(sizeof(creates) / sizeof(creates[0])));
    tcase_add_test(tc, create_names_a_device_it_cannot_give_back);
    tcase_add_test(tc, pci_attach_gives_back_when_no_daemon_starts);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_bind_suite)
