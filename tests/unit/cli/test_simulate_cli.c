/* pcipt simulate: bad input of every kind gets its exit status and one
 * clear line, and leaves nothing behind (no xenstored, no daemon, no
 * directory: simulate_fx.c checks after every run); Ctrl-C tears down; a
 * dom0 driver or a missing reset method only warns (simulate, plan,
 * guest-view). */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/xs/xsd_launch.h"
#include "tests/support/run_util.h"
#include "tests/support/simulate_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static char tree[64], bridge_tree[64], igb_tree[64], igb_noreset_tree[64], conf[128];

static void trees_setup(void)
{
    static const char *const dumps[] = { "cap-pcie-2", "cap-rebar" };
    static const char *const bridge[] = { "tree-fsl-p2020" };
    struct tree_opts igb = { .driver = TREE_DRIVER_FROM_DUMP, .reset_method = "flr" };
    FILE *f;

    smx_tree(tree, sizeof(tree), dumps, 2);
    smx_tree(bridge_tree, sizeof(bridge_tree), bridge, 1);
    struct tree_opts igb_noreset = { .driver = TREE_DRIVER_FROM_DUMP, .reset_method = "" };
    testdata_tree("cap-pcie-2", &igb, igb_tree, sizeof(igb_tree));
    testdata_tree("cap-pcie-2", &igb_noreset, igb_noreset_tree, sizeof(igb_noreset_tree));
    /* a 1 MiB MEM hole: the 82576's 4 MiB BAR 1 cannot fit */
    snprintf(conf, sizeof(conf), "%s/small.conf", tree);
    ck_assert_ptr_nonnull(f = fopen(conf, "w"));
    fprintf(f, "vpci_mem_size = 1M\n");
    ck_assert_int_eq(fclose(f), 0);
}

static void trees_teardown(void)
{
    sysfs_tree_remove(tree);
    sysfs_tree_remove(bridge_tree);
    sysfs_tree_remove(igb_tree);
    sysfs_tree_remove(igb_noreset_tree);
}

struct bad_case {
    const char *tree;      /* "main", "bridge", "igb", or NULL: none */
    const char *env;
    const char *args;      /* %s = the small config */
    int status;
    const char *msg;       /* in the one stderr line */
};

static const struct bad_case cases[] = {
    { NULL, "", "", 2, "give at least one host device" },
    { NULL, "", "--vcpus 0 01:00.0", 2, "--vcpus takes a number of vCPUs, 1..128" },
    { NULL, "", "--vcpus 200 01:00.0", 2, "--vcpus takes a number of vCPUs, 1..128" },
    { NULL, "", "--vcpus abc 01:00.0", 2, "--vcpus takes" },
    { NULL, "", "--vcpus", 2, "--vcpus takes" },
    { NULL, "", "zz:00.0", 2, "'zz:00.0' is not SSSS:BB:DD.F[@SLOT[.FN]]" },
    { NULL, "", "01:00.0@32", 2, "'01:00.0@32' is not" },
    { NULL, "", "--frobnicate 01:00.0", 2, "unknown option '--frobnicate'" },
    { NULL, "", "--json --lspci 01:00.0", 2, "--lspci prints text" },
    { "main", "", "0000:02:00.0", 1, "0000:02:00.0: no such device" },
    { "main", "", "01:00.0 01:00.0", 1, "0000:01:00.0 is already attached to domain 1" },
    { "main", "", "01:00.0@3 09:00.0@3", 1, "virtual slot 3 is already taken" },
    { "bridge", "", "04:00.0", 1, "bridge" },
    { "main", "", "--config %s 01:00.0", 1, "does not fit" },
    { "main", "PCIPT_XENSTORED=/nonexistent/xenstored", "01:00.0", 1,
      "xenstored is not installed (/nonexistent/xenstored: No such file or directory): "
      "install the package xen-utils-4.17" },
    { "main", "PCIPT_FAKEXEN=/nonexistent/fakexen.so", "01:00.0", 1,
      "the xenstored shim named by PCIPT_FAKEXEN (/nonexistent/fakexen.so) cannot be read" },
    { "main", "PCIPT_SIM_FAIL=ioreq_create:1:12", "01:00.0", 1,
      "the daemon (pcipt serve 1) did not start" },
    { "main", "PCIPT_SIM_FAIL=memory_mapping:2:5", "01:00.0", 1, "0000:01:00.0" },
};

static const char *tree_of(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, "bridge"))
        return bridge_tree;
    if (!strcmp(name, "igb"))
        return igb_tree;
    return tree;
}

START_TEST(bad_input)
{
    const struct bad_case *c = &cases[_i];
    struct smx_result r;
    char args[512];

    snprintf(args, sizeof(args), c->args, conf);
    smx_run(tree_of(c->tree), c->env, args, &r);
    ck_assert_msg(r.status == c->status, "`simulate %s`: status %d (want %d): %s", args,
                  r.status, c->status, r.err);
    ck_assert_msg(strstr(r.err, c->msg) != NULL, "`simulate %s`: stderr lacks '%s':\n%s", args,
                  c->msg, r.err);
    ck_assert_msg(strncmp(r.err, "pcipt: ", 7) == 0, "%s", r.err);
    if (c->status == 1)      /* one line (usage errors add the synopsis) */
        ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "not one line:\n%s",
                      r.err);
    ck_assert_str_eq(r.out, "");
    smx_free(&r);
}
END_TEST

/* A preview changes nothing on the host: a function bound to a dom0 driver
 * and without a reset method is simulated as it is, with one warning each
 * (plan and guest-view too). */
START_TEST(dom0_driver_and_no_reset_are_warnings)
{
    static const char *const cmds[] = { "simulate", "plan", "guest-view" };
    char *out = NULL, *err = NULL;

    for (unsigned i = 0; i < 3; i++) {
        int st = run_pcipt(NULL, &out, &err, "--sysfs %s %s 01:00.0", igb_noreset_tree, cmds[i]);
        ck_assert_msg(st == 0, "%s: status %d: %s", cmds[i], st, err);
        ck_assert_msg(strstr(err, "pcipt: warning: 0000:01:00.0 is in use by the dom0 driver "
                                  "'igb': a real attach needs --bind (shown as it is; nothing is "
                                  "changed on the host)\n"), "%s: %s", cmds[i], err);
        ck_assert_msg(strstr(err, "pcipt: warning: 0000:01:00.0 has no usable reset method "
                                  "(reset_method is empty): a real attach needs --force\n"),
                      "%s: %s", cmds[i], err);
        ck_assert_msg(strlen(out) > 0, "%s printed nothing", cmds[i]);
        free(out);
        free(err);
    }
}
END_TEST

START_TEST(help_text)
{
    struct smx_result r;

    smx_run(NULL, "", "--help", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: pcipt simulate [--vcpus N]"));
    ck_assert_ptr_nonnull(strstr(r.out, "/usr/lib/xen-4.17/bin/xenstored"));
    ck_assert_ptr_nonnull(strstr(r.out, "Exit status:"));
    ck_assert_ptr_nonnull(strstr(r.out, "PCIPT_FAKEXEN"));
    smx_free(&r);
}
END_TEST

/* Without PCIPT_FAKEXEN the shim is looked for at the installed path, then
 * next to the binary: a copy of pcipt elsewhere finds it only once
 * tests/fakexen.so sits beside it. */
START_TEST(shim_lookup)
{
    char dir[] = "/tmp/pcipt-smx-bin.XXXXXX", cmd[1024], copy[64], *out = NULL, *err = NULL;
    const char *shim = getenv("PCIPT_FAKEXEN");
    const struct run_opts o = { .env = "-u PCIPT_FAKEXEN", .bin = copy };
    int st;

    ck_assert_ptr_nonnull(shim);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp '%s' %s/pcipt", test_pcipt_bin(), dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(copy, sizeof(copy), "%s/pcipt", dir);
    st = run_pcipt(&o, &out, &err, "--sysfs %s simulate 01:00.0", tree);
    if (access(PCIPT_LIBEXEC "/fakexen.so", R_OK) != 0) {   /* not installed here */
        ck_assert_int_eq(st, 1);
        ck_assert_msg(strstr(err, "the xenstored shim fakexen.so is not installed (looked for "
                                  PCIPT_LIBEXEC "/fakexen.so and ") != NULL, "%s", err);
        ck_assert_ptr_nonnull(strstr(err, "/tests/fakexen.so): run `make install` or set "
                                          "PCIPT_FAKEXEN"));
    }
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "mkdir %s/tests && cp '%s' %s/tests/fakexen.so", dir, shim, dir);
    ck_assert_int_eq(system(cmd), 0);
    st = run_pcipt(&o, &out, &err, "--sysfs %s simulate 01:00.0", tree);
    ck_assert_msg(st == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "Attached 0000:01:00.0 as 0000:00:01.0"));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The run's directory appears in tmp once it has started (bounded wait). */
static bool wait_for_run_dir(const char *tmp, pid_t pid)
{
    char pat[128];
    glob_t g;

    snprintf(pat, sizeof(pat), "%s/pcipt-simulate.*/serve.log", tmp);
    for (int i = 0; i < 20000; i++) {
        siginfo_t si = { .si_pid = 0 };
        if (glob(pat, 0, NULL, &g) == 0) {
            globfree(&g);
            return true;
        }
        /* exited? (WNOWAIT: left for run_wait to reap) */
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            return false;
        usleep(1000);
    }
    return false;
}

START_TEST(ctrl_c_tears_down)
{
    char tmp[] = "/tmp/pcipt-smx.XXXXXX", env[64], *err = NULL, *nl;
    struct run_proc p;
    int st;

    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(env, sizeof(env), "TMPDIR=%s", tmp);
    ck_assert_int_eq(run_start(&p, RUN_ENV(env), "--sysfs %s simulate --vcpus 16 01:00.0 09:00.0",
                               tree), 0);
    ck_assert_msg(wait_for_run_dir(tmp, p.pid), "simulate never started its daemon");
    kill(p.pid, SIGINT);
    st = run_wait(&p, NULL, &err);
    /* 130 when the signal landed during the run; 0 if it had just finished */
    ck_assert_msg(st == 130 || st == 0, "status %d", st);
    if (st == 130) {
        ck_assert_ptr_nonnull(nl = strchr(err, '\n'));
        nl[1] = '\0';
        ck_assert_str_eq(err, "pcipt: interrupted; everything was torn down\n");
    }
    free(err);
    ck_assert_uint_eq(smx_procs_mentioning(tmp), 0);
    ck_assert_int_eq(smx_dir_entries(tmp), 0);
    ck_assert_int_eq(rmdir(tmp), 0);
}
END_TEST

static Suite *simulate_cli_suite(void)
{
    Suite *s = suite_create("simulate_cli");
    TCase *tc = tcase_create("cli");

    tcase_add_checked_fixture(tc, trees_setup, trees_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, bad_input, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, dom0_driver_and_no_reset_are_warnings);
    tcase_add_test(tc, help_text);
    tcase_add_test(tc, shim_lookup);
    tcase_add_test(tc, ctrl_c_tears_down);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(simulate_cli_suite)
