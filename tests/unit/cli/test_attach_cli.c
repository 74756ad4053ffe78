/* `pcipt attach` / `pcipt detach` as an operator uses them (the real
 * binary, --hv sim, a real xenstored): a table of bad inputs, each checked
 * for its exit status, a message naming what is wrong, and nothing left
 * behind (the snapshot includes each device's driver and driver_override,
 * and every case runs with Linux's driver core played on the tree by the
 * shim of afx_driver_core_env: an attach --bind that fails gives the device
 * back to its driver); then a verbose attach, status and detach. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

#define IORESOURCE_MEM      0x200ull
#define IORESOURCE_PREFETCH 0x2000ull
#define IORESOURCE_MEM_64   0x100000ull

static void attach_nic_slot3(void)
{
    char err[512];
    ck_assert_msg(afx_attach(5, AFX_NIC, 3, 0, err, sizeof(err)) == 0, "%s", err);
}

/* The NIC at 00:03.0 and the GPU, moved to INTB, at 00:03.1. */
static void nic_slot3_gpu_slot3_fn1(void)
{
    char err[512];
    attach_nic_slot3();
    afx_set_config_byte(AFX_GPU, 0x3d, 2);
    ck_assert_msg(afx_attach_fn(5, AFX_GPU, 3, 1, 0, err, sizeof(err)) == 0, "%s", err);
}

static void nic_owned_by_igb(void)
{
    afx_set_driver(AFX_NIC, "igb");
}

static void gpu_bar_16g(void)
{
    afx_set_resource(AFX_GPU, 0, 0x400000000ull, 16ull << 30,
                     IORESOURCE_MEM | IORESOURCE_PREFETCH | IORESOURCE_MEM_64);
}

static void gpu_owned_by_amdgpu_bar_16g(void)
{
    afx_set_driver(AFX_GPU, "amdgpu");
    gpu_bar_16g();
}

/* igb has it, and its reset_method is empty: refused after the hand-over */
static void nic_owned_by_igb_no_reset(void)
{
    char path[256];
    FILE *f;

    afx_set_driver(AFX_NIC, "igb");
    snprintf(path, sizeof(path), "%s/devices/%s/reset_method", afx_tree, AFX_NIC);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
}

static void nic_held_by_uio(void)
{
    afx_set_driver(AFX_NIC, "uio_pci_generic");
}

/* uio_pci_generic's module not loaded (no DIR/drivers/uio_pci_generic) */
static void holder_missing(void)
{
    char dir[256];

    snprintf(dir, sizeof(dir), "%s/drivers/uio_pci_generic", afx_tree);
    ck_assert_int_eq(rmdir(dir), 0);
}

static void nic_owned_by_igb_holder_missing(void)
{
    afx_set_driver(AFX_NIC, "igb");
    holder_missing();
}

/* F5 (fuzz_sysfs): BAR 1, the upper half of 64-bit BAR 0, also listed as a
 * resource (a hostile or broken `resource` file, or EA entries). */
static void gpu_bar1_also_in_use(void)
{
    afx_set_resource(AFX_GPU, 1, 0xe0000000ull, 0x1000, IORESOURCE_MEM);
}

struct bad_case {
    void (*pre)(void);
    const char *env;            /* prefix for the command, "" for none */
    const char *args;
    int status;
    const char *msg;            /* must appear on stderr */
};

static const struct bad_case bad[] = {
    { NULL, "", "attach 5 0000:01:00", 2, "'0000:01:00' is not SSSS:BB:DD.F[@SLOT[.FN]]" },
    { NULL, "", "attach 5 0000:01:00.0@32", 2, "'0000:01:00.0@32' is not SSSS:BB:DD.F[@SLOT[.FN]]" },
    { NULL, "", "attach 5 0000:01:20.0", 2, "'0000:01:20.0' is not" },
    { NULL, "", "attach 5 0000:01:00.0@3.8", 2,
      "'0000:01:00.0@3.8' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..31, function 0..7)" },
    { NULL, "", "attach 5 0000:01:00.0@3.", 2, "'0000:01:00.0@3.' is not" },
    { NULL, "", "attach 5 0000:01:00.8", 2, "'0000:01:00.8' is not" },
    { NULL, "", "attach five 0000:01:00.0", 2, "'five' is not a guest domain id" },
    { NULL, "", "attach 0 0000:01:00.0", 2, "'0' is not a guest domain id" },
    { NULL, "", "attach 32752 0000:01:00.0", 2, "'32752' is not a guest domain id" },
    { NULL, "", "attach 5", 2, "give a domain id and a device" },
    { NULL, "", "attach 5 0000:01:00.0 extra", 2, "unexpected argument 'extra'" },
    { NULL, "", "attach --bogus 5 0000:01:00.0", 2, "unknown option '--bogus'" },
    { NULL, "", "detach 5 zz:00.0", 2, "'zz:00.0' is not SSSS:BB:DD.F" },
    { NULL, "", "detach 5", 2, "give a domain id and a device" },
    { NULL, "", "--hv qemu attach 5 0000:01:00.0", 2, "unknown hypervisor backend 'qemu'" },
    { NULL, "", "attach 7 0000:01:00.0", 1, "domain 7 does not exist" },
    { NULL, "", "attach 5 0000:05:00.0", 1, "0000:05:00.0: no such device under" },
    { nic_owned_by_igb, "", "attach --force 5 0000:01:00.0", 1,
      "0000:01:00.0 is in use by the dom0 driver 'igb'; use --bind to rebind it to "
      "uio_pci_generic" },
    { attach_nic_slot3, "", "attach 5 0000:01:00.0", 1,
      "0000:01:00.0 is already attached to domain 5" },
    { attach_nic_slot3, "", "attach 3 0000:01:00.0", 1,
      "0000:01:00.0 is already attached to domain 5" },
    { NULL, "", "detach 5 0000:01:00.0", 1, "0000:01:00.0 is not attached to domain 5" },
    { attach_nic_slot3, "", "detach 3 0000:01:00.0", 1,
      "0000:01:00.0 is not attached to domain 3" },
    { attach_nic_slot3, "", "attach 5 0000:09:00.0@3", 1,
      "virtual slot 3 is already taken by 0000:01:00.0" },
    { NULL, "", "attach 5 0000:09:00.0@4.1", 1,
      "0000:09:00.0: virtual slot 4 has no function 0 (a guest scans functions 1..7 of a slot "
      "only behind function 0): place a function at @4 or @4.0 too" },
    { attach_nic_slot3, "", "attach 5 0000:09:00.0@3.0", 1,
      "virtual slot 3 is already taken by 0000:01:00.0" },
    { attach_nic_slot3, "", "attach 5 0000:09:00.0@3.1", 1,
      "0000:01:00.0 and 0000:09:00.0 would share INTA of virtual slot 3: two host functions "
      "on one pin of a slot are not supported; put one in another slot" },
    { nic_slot3_gpu_slot3_fn1, "", "detach 5 0000:01:00.0", 1,
      "0000:01:00.0 is function 0 of virtual slot 3 and 0000:09:00.0 is still there: detach "
      "the slot's other functions first" },
    { gpu_bar_16g, "", "attach 5 0000:09:00.0", 1, 
      "0000:09:00.0 BAR 0 (64-bit prefetchable, 16 GiB) does not fit: the prefetchable hole "
      "has 4 GiB free" },
    { gpu_bar1_also_in_use, "", "attach 5 0000:09:00.0", 1,
      "0000:09:00.0: BAR 0 (size 0x10000000 at 0x4000000000) cannot be presented: it is 64-bit "
      "but the next BAR, its upper half, is also in use" },
    { NULL, "XENSTORED_PATH=/nonexistent/socket", "attach 5 0000:01:00.0", 1,
      "cannot reach xenstore at /nonexistent/socket" },
    { NULL, "XENSTORED_PATH=/nonexistent/socket", "detach 5 0000:01:00.0", 1,
      "cannot reach xenstore at /nonexistent/socket" },
    /* status: nothing published (3) is not xenstore unreachable (1) */
    { NULL, "", "status 999", 3, "pcipt: no devices are published for domain 999\n" },
    { attach_nic_slot3, "", "status 3", 3, "no devices are published for domain 3" },
    { NULL, "XENSTORED_PATH=/nonexistent/socket", "status 999", 1,
      "cannot reach xenstore at /nonexistent/socket" },
    { NULL, "PCIPT_SIM_FAIL=domain_exists:1:5", "attach 5 0000:01:00.0", 1,
      "cannot check whether domain 5 exists: Input/output error" },
    { NULL, "PCIPT_SIM_FAIL=iomem_permission:3:1", "attach 5 0000:01:00.0", 1,
      "cannot give domain 5 access to BAR 3 of 0000:01:00.0 (host 0xe0840000, 16 KiB): "
      "iomem_permission failed: Operation not permitted" },
    { NULL, "PCIPT_SIM_FAIL=memory_mapping:5:5", "attach 5 0000:01:00.0", 1,
      "cannot map BAR 1 of 0000:01:00.0 at guest 0x23000000 in domain 5: memory_mapping failed" },
    { NULL, "PCIPT_SIM_FAIL=memory_mapping:19:5", "attach 5 0000:01:00.0", 1,
      "cannot map BAR 3 of 0000:01:00.0 at guest 0x23820000" },
    { attach_nic_slot3, "PCIPT_XS_FAIL=1:5", "attach 5 0000:09:00.0", 1,
      "cannot reach xenstore" },
    { attach_nic_slot3, "PCIPT_XS_FAIL=30:5", "attach 5 0000:09:00.0", 1,
      "xenstore" },
    /* --bind, then a failure: back to igb/amdgpu (or no driver), override cleared */
    { nic_owned_by_igb, "PCIPT_SIM_FAIL=memory_mapping:5:5", "attach --bind 5 0000:01:00.0", 1,
      "cannot map BAR 1 of 0000:01:00.0 at guest 0x23000000 in domain 5: memory_mapping failed" },
    { nic_owned_by_igb, "PCIPT_SIM_FAIL=iomem_permission:3:1", "attach --bind 5 0000:01:00.0",
      1, "cannot give domain 5 access to BAR 3 of 0000:01:00.0" },
    { nic_owned_by_igb_no_reset, "", "attach --bind 5 0000:01:00.0", 1,
      "0000:01:00.0 has no usable reset method (reset_method is empty)" },
    { gpu_owned_by_amdgpu_bar_16g, "", "attach --bind 5 0000:09:00.0", 1,
      "0000:09:00.0 BAR 0 (64-bit prefetchable, 16 GiB) does not fit" },
    { attach_nic_slot3, "", "attach --bind 5 0000:09:00.0@3", 1,
      "virtual slot 3 is already taken by 0000:01:00.0" },
    { NULL, "PCIPT_SIM_FAIL=memory_mapping:5:5", "attach --bind 5 0000:01:00.0", 1,
      "cannot map BAR 1 of 0000:01:00.0" },
    { nic_held_by_uio, "PCIPT_SIM_FAIL=memory_mapping:5:5", "attach --bind 5 0000:01:00.0", 1,
      "cannot map BAR 1 of 0000:01:00.0" },
    /* --bind, the holder's module missing (the modprobe double fails, or
     * registers nothing): refused, the function given back */
    { nic_owned_by_igb_holder_missing, "", "attach --bind 5 0000:01:00.0", 1,
      "0000:01:00.0: uio_pci_generic did not take it (is the module available? `modprobe "
      "uio_pci_generic` failed: modprobe: FATAL: Module uio_pci_generic not found" },
    { holder_missing, "FAKE_MODPROBE=noop", "attach --bind 5 0000:09:00.0", 1,
      "0000:09:00.0: uio_pci_generic did not take it (is the module available? `modprobe "
      "uio_pci_generic` succeeded but no driver 'uio_pci_generic' appeared in " },
    { nic_owned_by_igb_holder_missing, "PCIPT_MODPROBE=/nonexistent/modprobe",
      "attach --bind 5 0000:01:00.0", 1, "0000:01:00.0: uio_pci_generic did not take it (is the "
      "module available? `modprobe uio_pci_generic` failed: pcipt: cannot run "
      "/nonexistent/modprobe: No such file or directory)" },
};

START_TEST(bad_operator_input)
{
    const struct bad_case *c = &bad[_i];
    char env[1536], *before, *after, *log, *out = NULL, *err = NULL;
    int rc;

    if (c->pre)
        c->pre();
    before = afx_snapshot();
    snprintf(env, sizeof(env), "%s %s", afx_driver_core_env(), c->env);
    rc = run_pcipt(RUN_ENV(env), &out, &err, "%s %s", afx_args(), c->args);
    ck_assert_msg(rc == c->status, "'%s': exit %d, stderr: %s", c->args, rc, err);
    ck_assert_msg(strstr(err, c->msg), "'%s': stderr '%s' lacks '%s'", c->args, err, c->msg);
    ck_assert_msg(!strncmp(err, "pcipt: ", 7), "'%s': %s", c->args, err);
    if (c->status == 1)     /* one line */
        ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "'%s': %s", c->args, err);
    ck_assert_str_eq(out, "");
    after = afx_snapshot();
    ck_assert_msg(!strcmp(after, before), "'%s' left residue:\n%s", c->args, after);
    log = afx_driver_core_log();
    if (!strstr(c->args, "--bind") || c->pre == nic_held_by_uio)   /* nothing to hand over */
        ck_assert_msg(!strcmp(log, ""), "'%s' wrote to the driver core: %s", c->args, log);
    else                                                            /* handed over and back */
        /* the holder lets go, or never had it (its module missing) */
        ck_assert_msg(strstr(log, "probe - 0000:") && (strstr(log, "unbind uio_pci_generic") ||
                      strstr(log, "modprobe - uio_pci_generic") ||
                      strstr(log, "\nbind igb 0000:01:00.0 0\n")) &&
                      strstr(log, "override 0000:") && strstr(log, " '' 0\n"),
                      "'%s': %s", c->args, log);
    free(log);
    free(before);
    free(after);
    free(out);
    free(err);
}
END_TEST

START_TEST(verbose_attach_status_detach)
{
    char *before = afx_snapshot(), *after, *out = NULL, *err = NULL;

    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s -v attach 5 0000:09:00.0", afx_args()), 0);
    ck_assert_msg(strstr(out, "mapped BAR 0: 0x100000000 <- 0x4000000000, 65536 pages, "
                              "1024 hypercalls\n"), "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "1033 memory_mapping hypercalls, 4 iomem_permission calls"));
    ck_assert_ptr_nonnull(strstr(out, "attached 0000:09:00.0 to domain 5 as 0000:00:01.0\n"));
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s status 5", afx_args()), 0);
    ck_assert_msg(strstr(out, "BAR0 mem64 pref guest 0x100000000 host 0x4000000000 size "
                              "0x10000000 mapped 0x100000000\n"), "%s", out);
    ck_assert_msg(strstr(out, "ROM  rom        guest 0x23040000 host 0xfe840000 size 0x20000 "
                              "unmapped\n"), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s status --json", afx_args()), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"size\": \"0x10000000\", \"mapped\": \"0x100000000\"}"));
    ck_assert_ptr_nonnull(strstr(out, "\"size\": \"0x20000\", \"mapped\": null}"));
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s detach 5 0000:09:00.0", afx_args()), 0);
    ck_assert_str_eq(out, "detached 0000:09:00.0 from domain 5\n");
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(out);
    free(err);
    free(before);
    free(after);
}
END_TEST

/* `plan --domain 5` predicts what the attach then does: each line it
 * prints for the new function is (a prefix of) the line `status 5` prints
 * for it afterwards, which adds only dma and mapped. */
START_TEST(plan_domain_predicts_attach)
{
    char *plan = NULL, *out = NULL, *err = NULL, *line, *save = NULL;
    unsigned lines = 0;

    attach_nic_slot3();
    ck_assert_msg(run_pcipt(NULL, &plan, &err, "%s plan --domain 5 0000:09:00.0", afx_args()) == 0,
                  "%s", err);
    ck_assert_msg(!strncmp(plan, "domain 5, as pci-attach would add:\n  0000:09:00.0 -> ", 52),
                  "%s", plan);
    ck_assert_msg(!strstr(plan, "0000:01:00.0"), "the attached NIC is not new: %s", plan);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s attach 5 0000:09:00.0", afx_args()), 0);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s status 5", afx_args()), 0);
    for (line = strtok_r(strchr(plan, '\n') + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), lines++) {
        char want[256];
        snprintf(want, sizeof(want), "\n%s", line);
        ck_assert_msg(strstr(out, want), "status lacks '%s':\n%s", line, out);
    }
    ck_assert_uint_ge(lines, 6);        /* the function and its BARs 0, 2, 4, 5, ROM */
    free(plan);
    free(out);
    free(err);
}
END_TEST

/* `pcipt serve` started by hand on a terminal says once how to keep its
 * log (script(1) gives it a pty); with stderr elsewhere it does not. */
START_TEST(serve_on_a_terminal_says_where_it_logs)
{
    static const char hint[] = "pcipt: serve 999 logs to this terminal only; to keep its log "
        "run `systemctl start pciptd@999` (journal), add --log syslog, or redirect stderr "
        "(2>>/var/log/xen/pcipt-serve-999.log)";
    char *out = NULL, *err = NULL;
    const char *first;

    ck_assert_int_eq(run_sh(NULL, &out, &err, "script -qec '%s %s serve 999' /dev/null",
                            test_pcipt_bin(), afx_args()), 1);
    ck_assert_msg((first = strstr(out, hint)) && !strstr(first + 1, hint), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s serve 999", afx_args()), 1);
    ck_assert_msg(!strstr(err, "logs to this terminal"), "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "script -qec '%s %s serve --log syslog 999' "
                            "/dev/null", test_pcipt_bin(), afx_args()), 1);
    ck_assert_msg(!strstr(out, "logs to this terminal"), "%s", out);
    free(out);
    free(err);
}
END_TEST

START_TEST(help_is_a_manual)
{
    static const char *const cmds[] = { "attach --help", "detach --help", "help attach" };
    for (unsigned i = 0; i < 3; i++) {
        char *out = NULL, *err = NULL;
        ck_assert_int_eq(run_pcipt(NULL, &out, &err, "%s %s", afx_args(), cmds[i]), 0);
        ck_assert_ptr_nonnull(strstr(out, "usage: pcipt "));
        ck_assert_ptr_nonnull(strstr(out, "Description:"));
        ck_assert_ptr_nonnull(strstr(out, "Exit status:"));
        ck_assert_ptr_nonnull(strstr(out, "Examples:"));
        free(out);
        free(err);
    }
}
END_TEST

static Suite *attach_cli_suite(void)
{
    Suite *s = suite_create("attach_cli");
    TCase *tc = tcase_create("cli");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, afx_setup, afx_teardown);
    tcase_add_loop_test(tc, bad_operator_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, verbose_attach_status_detach);
    tcase_add_test(tc, plan_domain_predicts_attach);
    tcase_add_test(tc, serve_on_a_terminal_says_where_it_logs);
    tcase_add_test(tc, help_is_a_manual);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_cli_suite)
