/* `make install DESTDIR=... PREFIX=/usr` installs exactly the expected
 * tree (modes, the unit's ExecStart and EnvironmentFile, /etc/xen/pcipt.conf kept when
 * present); the man page renders without a groff warning; the example
 * pcipt.conf, uncommented, is accepted and gives the default plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcipt/assign/plan.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

static char dest[64];

static void setup(void)
{
    strcpy(dest, "/tmp/pcipt-install-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dest));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dest);
    run_sh(NULL, NULL, NULL, "%s", cmd);
}

/* make install with the already built binary (BUILD = its directory).  -o:
 * never rebuild them here: a rebuild with PREFIX=/usr would bake another
 * PCIPT_LIBEXEC into the binary every later test runs. */
static void install(void)
{
    char cmd[1024], src[512], *out = NULL, *err = NULL, *bin = strdup(test_pcipt_bin());
    char *slash = strrchr(bin, '/');

    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    test_src_path("", src, sizeof(src));
    snprintf(cmd, sizeof(cmd), "make -s -C %s install DESTDIR=%s PREFIX=/usr BUILD=%s -o %s/pcipt "
             "-o %s/tests/fakexen.so", src, dest, bin, bin, bin);
    ck_assert_msg(run_sh(NULL, &out, &err, "%s", cmd) == 0, "%s: %s", cmd, err);
    free(out); free(err); free(bin);
}

static const char *const expected_tree =
    ".\n./etc\n./etc/logrotate.d\n./etc/logrotate.d/pcipt 644\n./etc/xen\n./etc/xen/pcipt.conf 644\n./usr\n./usr/bin\n./usr/bin/pcipt 755\n"
    "./usr/lib\n./usr/lib/pcipt\n./usr/lib/pcipt/fakexen.so 644\n"
    "./usr/lib/systemd\n./usr/lib/systemd/system\n"
    "./usr/lib/systemd/system/pcipt-watch.service 644\n"
    "./usr/lib/systemd/system/pciptd@.service 644\n./usr/share\n./usr/share/doc\n"
    "./usr/share/doc/pcipt\n./usr/share/doc/pcipt/examples\n"
    "./usr/share/doc/pcipt/examples/guest-pcipt.cfg 644\n"
    "./usr/share/doc/pcipt/examples/pcipt.conf 644\n./usr/share/man\n./usr/share/man/man1\n"
    "./usr/share/man/man1/pcipt.1 644\n";

START_TEST(installs_exactly_the_tree)
{
    char cmd[512], *out = NULL;

    install();
    snprintf(cmd, sizeof(cmd), "cd %s && find . \\( -type f -printf '%%p %%m\\n' \\) -o "
             "-printf '%%p\\n' | LC_ALL=C sort", dest);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    ck_assert_str_eq(out, expected_tree);
    free(out);
    snprintf(cmd, sizeof(cmd), "u=%s/usr/lib/systemd/system/pciptd@.service && "
             "grep -x 'ExecStart=/usr/bin/pcipt $PCIPT_ARGS serve %%i' $u && "
             "grep -x 'EnvironmentFile=-/run/pcipt/pciptd-%%i.env' $u && "
             "grep -x Type=notify $u && grep -x Restart=on-failure $u && "
             "grep -x 'ExecStart=/usr/bin/pcipt watch --all' "
             "$(dirname $u)/pcipt-watch.service", dest);
    ck_assert_int_eq(run_sh(NULL, NULL, NULL, "%s", cmd), 0);
    snprintf(cmd, sizeof(cmd), "cmp -s %s/usr/bin/pcipt %s", dest, test_pcipt_bin());
    ck_assert_int_eq(run_sh(NULL, NULL, NULL, "%s", cmd), 0);
}
END_TEST

START_TEST(keeps_an_existing_pcipt_conf)
{
    char cmd[512], *out = NULL;

    snprintf(cmd, sizeof(cmd), "mkdir -p %s/etc/xen && echo 'intx_spi_base = 50' > "
             "%s/etc/xen/pcipt.conf", dest, dest);
    ck_assert_int_eq(run_sh(NULL, NULL, NULL, "%s", cmd), 0);
    install();
    install();
    snprintf(cmd, sizeof(cmd), "cat %s/etc/xen/pcipt.conf", dest);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    ck_assert_str_eq(out, "intx_spi_base = 50\n");
    free(out);
}
END_TEST

START_TEST(man_page_renders_without_warnings)
{
    char cmd[1024], page[512], *out = NULL, *err = NULL;
    static const char *const must[] = { "pcipt create", "pci-attach", "pci-detach", "watch",
                                        "/etc/xen/pcipt.conf", "intx_spi_base",
                                        "PCIPT_SIM_DIR", "EXIT STATUS", "EXAMPLES" };

    test_src_path("toolstack-hooks/pcipt.1", page, sizeof(page));
    snprintf(cmd, sizeof(cmd), "groff -man -Tutf8 -ww -z %s", page);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 0);
    ck_assert_str_eq(err, "");
    free(out); free(err);
    snprintf(cmd, sizeof(cmd), "MANWIDTH=80 MAN_KEEP_FORMATTING= man -l %s | col -b", page);
    ck_assert_int_eq(run_sh(NULL, &out, &err, "%s", cmd), 0);
    ck_assert_str_eq(err, "");
    for (unsigned i = 0; i < sizeof(must) / sizeof(must[0]); i++)
        ck_assert_msg(strstr(out, must[i]), "man page lacks '%s'", must[i]);
    free(out); free(err);
}
END_TEST

/* The example's values, uncommented, are exactly the defaults. */
START_TEST(example_conf_is_the_default_layout)
{
    char cmd[1024], conf[512], path[128], *out = NULL, err[256];
    struct guest_layout got, def;

    test_src_path("toolstack-hooks/examples/pcipt.conf", conf, sizeof(conf));
    snprintf(path, sizeof(path), "%s/all.conf", dest);
    snprintf(cmd, sizeof(cmd), "sed 's/^#\\([a-z]\\)/\\1/' %s > %s && grep -c '^[a-z]' %s",
             conf, path, path);
    ck_assert_int_eq(run_sh(NULL, &out, NULL, "%s", cmd), 0);
    ck_assert_str_eq(out, "8\n");          /* every key of pcipt.conf(5) */
    free(out);
    ck_assert_msg(guest_layout_load(path, true, &got, err, sizeof(err)) == 0, "%s", err);
    guest_layout_defaults(&def);
    ck_assert_mem_eq(&got, &def, sizeof(got));
}
END_TEST

static Suite *install_suite(void)
{
    Suite *s = suite_create("install");
    TCase *tc = tcase_create("install");

    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, installs_exactly_the_tree);
    tcase_add_test(tc, keeps_an_existing_pcipt_conf);
    tcase_add_test(tc, man_page_renders_without_warnings);
    tcase_add_test(tc, example_conf_is_the_default_layout);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(install_suite)
