/* The daemon started through systemd keeps the starting command's global
 * options (pcipt/xl/launch_opts.h): `pcipt pci-attach` with systemd "running"
 * (PCIPT_SYSTEMD_DIR) and the systemctl double (tests/support/fakebin/
 * systemctl, which runs the real unit file's EnvironmentFile= and
 * ExecStart= lines) starts a real daemon whose command line holds --hv sim
 * and the absolute --sysfs / --config, and which serves (its IOREQ server
 * is in the sim); an option systemd cannot pass on is refused before
 * `systemctl start` and the attach undone; the environment file's text,
 * the word checks (spaces, quotes, '$', control characters, UTF-8) and the
 * unit under `systemd-analyze verify`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/xl/launch_opts.h"
#include "pcipt/sim/hv_sim.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"
#include "tests/support/text_util.h"

/* The environment under which pcipt sees systemd and the double. */
static const char *systemd_env(char *buf, size_t len)
{
    char unit[512], bindir[512], logp[256];
    char *slash;

    test_src_path("toolstack-hooks/pciptd@.service", unit, sizeof(unit));
    snprintf(bindir, sizeof(bindir), "%s", test_pcipt_bin());
    slash = strrchr(bindir, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    snprintf(buf, len, "PCIPT_NO_SYSTEMD=0 PCIPT_SYSTEMD_DIR=%s FAKE_SYSTEMCTL_UNIT=%s "
             "FAKE_SYSTEMCTL_BINDIR=%s FAKE_SYSTEMCTL_LOG=%s", simfx_dir, unit, bindir,
             xlfx_path("systemctl.log", logp, sizeof(logp)));
    return buf;
}

static char *env_file(void)
{
    char p[512];
    ck_assert_int_eq(daemon_opts_env_path(5, p, sizeof(p)), 0);
    return xlfx_slurp(p);
}

/* /proc/PID/cmdline with '|' between the words. */
static char *cmdline(int pid)
{
    char p[64], *s;
    snprintf(p, sizeof(p), "/proc/%d/cmdline", pid);
    s = xlfx_slurp(p);
    for (char *c = s; *s && (*c || c[1]); c++)
        if (!*c)
            *c = '|';
    return s;
}

START_TEST(unit_started_with_the_options)
{
    char env[2048], args[512], want[2048], p[256], *out, *err, *got, *cl;
    struct sim_server_info srv[4];
    int pid;

    snprintf(args, sizeof(args), "ln -s %s %s/tree && : > %s/my.conf", afx_tree, simfx_dir,
             simfx_dir);
    ck_assert_int_eq(run_sh(NULL, NULL, NULL, "%s", args), 0);
    /* Relative paths, as an operator in that directory would give them. */
    ck_assert_int_eq(run_pcipt(xlfx_opts(systemd_env(env, sizeof(env))), &out, &err,
                               "%s --sysfs tree --config my.conf pci-attach 5 0000:01:00.0",
                               afx_args()), 0);
    ck_assert_str_eq(err, "");
    pid = xlfx_daemon_pid(5);
    ck_assert(xlfx_alive(pid));
    snprintf(want, sizeof(want), "started the domain's daemon (pid %d) serves it", pid);
    ck_assert_msg(strstr(out, want), "%s", out);
    free(out); free(err);

    got = env_file();
    snprintf(want, sizeof(want), "# pciptd@5.service: the global options of the pcipt command "
             "that started it\n# (written by pcipt before `systemctl start pciptd@5.service`; "
             "see pcipt(1)).\nPCIPT_ARGS=--hv sim --sysfs %s/tree --config %s/my.conf\n",
             simfx_dir, simfx_dir);
    ck_assert_str_eq(got, want);
    free(got);

    got = xlfx_slurp(xlfx_path("systemctl.log", p, sizeof(p)));
    snprintf(want, sizeof(want), "cat -- pciptd@.service\nstart pciptd@5.service\n"
             "exec %s|--hv|sim|--sysfs|%s/tree|--config|%s/my.conf|serve|5\n",
             test_pcipt_bin(), simfx_dir, simfx_dir);
    ck_assert_str_eq(got, want);
    free(got);
    /* The daemon runs exactly that and serves the domain in the sim. */
    cl = cmdline(pid);
    snprintf(want, sizeof(want), "%s|--hv|sim|--sysfs|%s/tree|--config|%s/my.conf|serve|5",
             test_pcipt_bin(), simfx_dir, simfx_dir);
    ck_assert_str_eq(cl, want);
    free(cl);
    ck_assert_int_eq(sim_list_servers(simfx_hv, 5, srv, 4), 1);
    kill(pid, SIGTERM);
    ck_assert(xlfx_wait_gone(pid));
}
END_TEST

START_TEST(unpassable_option_refused_before_systemctl_start)
{
    char env[2048], cmd[512], p[256], *before = afx_snapshot(), *after, *out, *err, *log;

    snprintf(cmd, sizeof(cmd), "ln -s %s '%s/my tree'", afx_tree, simfx_dir);
    ck_assert_int_eq(run_sh(NULL, NULL, NULL, "%s", cmd), 0);
    ck_assert_int_eq(run_pcipt(xlfx_opts(systemd_env(env, sizeof(env))), &out, &err,
                               "%s --sysfs 'my tree' pci-attach 5 0000:01:00.0", afx_args()), 1);
    snprintf(cmd, sizeof(cmd), "pcipt: pci-attach: cannot start domain 5's daemon: cannot pass "
             "--sysfs '%s/my tree' to pciptd@5.service: it holds a space, which systemd would "
             "not pass on as part of one argument of $PCIPT_ARGS; use a path without it (or set "
             "PCIPT_NO_SYSTEMD=1); the device was detached again\n", simfx_dir);
    ck_assert_str_eq(err, cmd);
    ck_assert_str_eq(out, "");
    log = xlfx_slurp(xlfx_path("systemctl.log", p, sizeof(p)));
    ck_assert_str_eq(log, "cat -- pciptd@.service\n");      /* never started */
    free(log);
    log = env_file();
    ck_assert_str_eq(log, "");                               /* nothing written */
    after = afx_snapshot();
    ck_assert_text_unchanged(after, before);
    free(log); free(before); free(after); free(out); free(err);
}
END_TEST

START_TEST(env_file_text_and_word_checks)
{
    static const char *const bad[][2] = {
        { "/a b", "a space" },        { "/a\tb", "a control character" },
        { "/a\nb", "a control character" }, { "/a'b", "a quote, backslash or '$'" },
        { "/a\"b", "a quote, backslash or '$'" }, { "/a\\b", "a quote, backslash or '$'" },
        { "/a$b", "a quote, backslash or '$'" }, { "/a\x7f", "a control character" },
        { "/\xff", "bytes that are not UTF-8" }, { "/\xc3(", "bytes that are not UTF-8" },
        { "/\xc0\xaf", "bytes that are not UTF-8" }, { "/\xed\xa0\x80", "bytes that are not UTF-8" },
        { "/\xf4\x90\x80\x80", "bytes that are not UTF-8" },
    };
    struct daemon_opts o;
    char err[512], want[1024], cwd[256], *got;

    ck_assert_int_eq(daemon_opts_build(&o, "xen", NULL, NULL, err, sizeof(err)), 0);
    ck_assert_uint_eq(o.argc, 2);
    ck_assert_ptr_null(o.argv[2]);
    ck_assert_int_eq(daemon_opts_write_env(5, &o, err, sizeof(err)), 0);
    got = env_file();
    ck_assert_msg(strstr(got, "\nPCIPT_ARGS=--hv xen\n") && !strstr(got, "--sysfs"), "%s", got);
    free(got);
    /* Relative paths become absolute; UTF-8 passes; the file is replaced. */
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(daemon_opts_build(&o, "sim", "d\xc3\xa9v", "/etc/p.conf", err, sizeof(err)),
                     0);
    ck_assert_uint_eq(o.argc, 6);
    snprintf(want, sizeof(want), "%s/d\xc3\xa9v", cwd);
    ck_assert_str_eq(o.argv[3], want);
    ck_assert_str_eq(o.argv[5], "/etc/p.conf");
    ck_assert_int_eq(daemon_opts_write_env(5, &o, err, sizeof(err)), 0);
    got = env_file();
    snprintf(want, sizeof(want), "\nPCIPT_ARGS=--hv sim --sysfs %s/d\xc3\xa9v --config "
             "/etc/p.conf\n", cwd);
    ck_assert_msg(strstr(got, want) && !strstr(got, "--hv xen"), "%s", got);
    free(got);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(daemon_opts_build(&o, "xen", "/sys", bad[i][0], err, sizeof(err)), 0);
        ck_assert_int_eq(daemon_opts_write_env(7, &o, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "cannot pass --config '%s' to pciptd@7.service: it holds "
                 "%s,", bad[i][0], bad[i][1]);
        ck_assert_msg(!strncmp(err, want, strlen(want)), "%u: %s", i, err);
    }
    ck_assert_int_eq(daemon_opts_env_path(7, want, sizeof(want)), 0);
    ck_assert_int_eq(access(want, F_OK), -1);               /* never written */
}
END_TEST

/* systemd's own parser accepts the unit (EnvironmentFile=-, $PCIPT_ARGS). */
START_TEST(unit_passes_systemd_analyze_verify)
{
    char cmd[4096], unit[512], watch_dir[512], *out = NULL, *err = NULL;
    char *bin = strdup(test_pcipt_bin()), *slash = strrchr(bin, '/');

    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    test_src_path("toolstack-hooks/pciptd@.service", unit, sizeof(unit));
    test_src_path("toolstack-hooks", watch_dir, sizeof(watch_dir));
    snprintf(cmd, sizeof(cmd),
             "cd %s && sed 's|@BINDIR@|%s|' %s > pciptd@5.service && "
             "printf '[Service]\\nExecStart=/bin/true\\n' > xenstored.service && "
             "cp xenstored.service xen-init-dom0.service && "
             "sed 's|@BINDIR@|%s|' %s/pcipt-watch.service > pcipt-watch.service && "
             "SYSTEMD_UNIT_PATH=%s: systemd-analyze verify --man=no ./pciptd@5.service "
             "./pcipt-watch.service",
             simfx_dir, bin, unit, bin, watch_dir, simfx_dir);
    ck_assert_msg(run_sh(NULL, &out, &err, "%s", cmd) == 0, "%s", err);
    ck_assert_str_eq(err, "");
    free(out); free(err); free(bin);
}
END_TEST

/* The unit as installed scores at most 5.0 ("OK" or better) in systemd's
 * own exposure analysis: it was 9.6 UNSAFE without its hardening lines. */
START_TEST(unit_exposure_at_most_5)
{
    char cmd[2048], unit[512], *out = NULL, *err = NULL, *at;
    double score = 10.0;

    test_src_path("toolstack-hooks/pciptd@.service", unit, sizeof(unit));
    snprintf(cmd, sizeof(cmd),
             "cd %s && sed 's|@BINDIR@|/usr/bin|' %s > pciptd@5.service && "
             "systemd-analyze security --offline=true --no-pager ./pciptd@5.service",
             simfx_dir, unit);
    ck_assert_msg(run_sh(NULL, &out, &err, "%s", cmd) == 0, "%s", err);
    at = strstr(out, "Overall exposure level for pciptd@5.service: ");
    ck_assert_msg(at != NULL, "%s", out);
    ck_assert_int_eq(sscanf(at + strlen("Overall exposure level for pciptd@5.service: "), "%lf",
                            &score), 1);
    ck_assert_msg(score <= 5.0, "systemd-analyze security: exposure %.1f > 5.0", score);
    free(out); free(err);
}
END_TEST

static Suite *xl_systemd_suite(void)
{
    Suite *s = suite_create("xl_systemd");
    TCase *tc = tcase_create("systemd");

    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, unit_started_with_the_options);
    tcase_add_test(tc, unpassable_option_refused_before_systemctl_start);
    tcase_add_test(tc, env_file_text_and_word_checks);
    tcase_add_test(tc, unit_passes_systemd_analyze_verify);
    tcase_add_test(tc, unit_exposure_at_most_5);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_systemd_suite)
