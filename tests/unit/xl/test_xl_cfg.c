/* The xl config reader (pcipt/xl/xlcfg.c) on libxlu's grammar: values, lists
 * across lines, comments, escapes, last assignment wins, `+=`, and errors
 * naming file:line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/xl/create.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xl/xlcfg.h"
#include "tests/support/testreg.h"

static struct xlcfg parse_ok(const char *text)
{
    struct xlcfg c = { 0 };
    char err[256] = "";
    ck_assert_msg(xlcfg_parse_text(&c, text, "t.cfg", err, sizeof(err)) == 0, "%s", err);
    return c;
}

START_TEST(values_lists_comments)
{
    struct xlcfg c = parse_ok(
        "# comment\n"
        "name = \"g\\\"1\\x41\\101\" ; memory = 0x400\n"
        "kernel='/boot/vmlinuz'   # trailing\n"
        "pcipt = [ \"0000:01:00.0@1\",   # first\n"
        "\n"
        "          '0000:03:00.0', ]\n"
        "disk = [ ]\n"
        "nested = [ [ \"a\" ], \"b\" ]\n"
        "name = \"final\"\n"
        "irqs = [ 50 ]\n"
        "irqs += [ 51, 52 ]\n");
    const struct xlcfg_setting *s = xlcfg_get(&c, "pcipt");

    ck_assert_str_eq(xlcfg_string(&c, "name"), "final");            /* last wins */
    ck_assert_str_eq(xlcfg_string(&c, "memory"), "0x400");
    ck_assert_str_eq(xlcfg_string(&c, "kernel"), "/boot/vmlinuz");
    ck_assert(s && s->is_list && s->nitems == 2);
    ck_assert_str_eq(s->items[0], "0000:01:00.0@1");
    ck_assert_str_eq(s->items[1], "0000:03:00.0");
    ck_assert_uint_eq(s->line, 4);
    ck_assert(xlcfg_get(&c, "disk")->is_list && xlcfg_get(&c, "disk")->nitems == 0);
    ck_assert_ptr_null(xlcfg_string(&c, "pcipt"));                  /* a list */
    ck_assert_ptr_null(xlcfg_get(&c, "absent"));
    s = xlcfg_get(&c, "irqs");
    ck_assert(s->nitems == 3 && !strcmp(s->items[0], "50") && !strcmp(s->items[2], "52"));
    xlcfg_free(&c);
    c = parse_ok("name = \"g\\\"1\\x41\\101\"\n");
    ck_assert_str_eq(xlcfg_string(&c, "name"), "g\"1AA");
    xlcfg_free(&c);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "name = \"g\nx = 1\n", "t.cfg:1: unterminated string" },
        { "a = 1\nName = 2\n", "t.cfg:2: lexical error at 'N'" },
        { "a 1\n", "t.cfg:1: expected '=' or '+=' after 'a'" },
        { "a = [ 1 2 ]\n", "t.cfg:1: expected ',' or ']' in a list" },
        { "a = 1 2\n", "t.cfg:1: expected the end of the line" },
        { "a = \"\\q\"\n", "t.cfg:1: invalid character after backslash" },
        { "a =\n", "t.cfg:1: expected a value" },
        { "= 1\n", "t.cfg:1: expected a setting name" },
        { "a = [[[[[[[[[[1]]]]]]]]]]\n", "nested too deeply" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xlcfg c = { 0 };
        char err[256] = "";
        ck_assert_int_eq(xlcfg_parse_text(&c, bad[i].text, "t.cfg", err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, bad[i].msg), "%u: %s", i, err);
        xlcfg_free(&c);
    }
}
END_TEST

/* `key=value` xl options after CFG override it, as xl appends them. */
START_TEST(xl_options_override_the_file)
{
    char path[] = "/tmp/pcipt-xlcfg-XXXXXX", err[256];
    int fd = mkstemp(path);
    char *args[] = { "name=\"other\"", "-c", "vuart='sbsa_uart'" };
    struct create_opts o = { .cfg_path = path, .xl_args = args, .nxl_args = 3 };
    struct xlcfg c = { 0 };

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "name = \"g\"\n", 11), 11);
    close(fd);
    ck_assert_int_eq(create_read_config(&o, &c, err, sizeof(err)), 0);
    ck_assert_str_eq(xlcfg_string(&c, "name"), "other");
    ck_assert_str_eq(xlcfg_string(&c, "vuart"), "sbsa_uart");
    xlcfg_free(&c);
    unlink(path);
    o.cfg_path = "/nonexistent/g.cfg";
    ck_assert_int_eq(create_read_config(&o, &c, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "cannot read the xl config /nonexistent/g.cfg: No such file or directory");
    xlcfg_free(&c);
}
END_TEST

static Suite *xl_cfg_suite(void)
{
    Suite *s = suite_create("xl_cfg");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, values_lists_comments);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, xl_options_override_the_file);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_cfg_suite)
