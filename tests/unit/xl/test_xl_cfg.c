/* The xl config reader (pcipt/xl/xlcfg.c): xl's own parser (libxlutil),
 * read as `xl create` reads it: values, lists across lines, comments,
 * escapes, last assignment wins, `+=`, `key=value` arguments after the file;
 * errors are libxlutil's, naming file:line; and pathological inputs (the old
 * hand-written reader took 266 MiB for an 80 KB file, 1.25 GiB for 8,000
 * `x += [...]` lines, and had undefined behaviour for `x = 1; x += []`)
 * cost bounded memory and time. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/xl/create.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xl/xlcfg.h"
#include "tests/support/testreg.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static struct xlcfg parse_ok(const char *text)
{
    struct xlcfg c;
    char err[256] = "";
    ck_assert_msg(xlcfg_parse_text(&c, text, "t.cfg", err, sizeof(err)) == 0, "%s", err);
    return c;
}

START_TEST(values_lists_comments)
{
    struct xlcfg c = parse_ok(
        "# comment\n"
        "name = \"g\\\"1\\t\" ; memory = 0x400\n"
        "kernel='/boot/vmlinuz'   # trailing\n"
        "pcipt = [ \"0000:01:00.0@1\",   # first\n"
        "\n"
        "          '0000:03:00.0,force=1', ]\n"
        "disk = [ ]\n"
        "nested = [ [ \"a\" ], \"b\" ]\n"
        "name = \"final\"\n"
        "irqs = [ 50 ]\n"
        "irqs += [ 51, 52 ]\n"
        "extra = \"a\"\n"
        "extra += \"b\"\n");

    ck_assert_str_eq(xlcfg_string(&c, "name"), "final");            /* last wins */
    ck_assert_str_eq(xlcfg_string(&c, "memory"), "0x400");
    ck_assert_str_eq(xlcfg_string(&c, "kernel"), "/boot/vmlinuz");
    ck_assert_int_eq(xlcfg_list_len(&c, "pcipt"), 2);
    ck_assert_str_eq(xlcfg_list_item(&c, "pcipt", 0), "0000:01:00.0@1");
    ck_assert_str_eq(xlcfg_list_item(&c, "pcipt", 1), "0000:03:00.0,force=1");
    ck_assert_ptr_null(xlcfg_list_item(&c, "pcipt", 2));
    ck_assert_ptr_null(xlcfg_list_item(&c, "pcipt", -1));
    ck_assert(xlcfg_has(&c, "disk") && xlcfg_list_len(&c, "disk") == 0);
    ck_assert_ptr_null(xlcfg_string(&c, "pcipt"));                  /* a list */
    ck_assert_int_eq(xlcfg_list_len(&c, "name"), -1);               /* a value */
    ck_assert(!xlcfg_has(&c, "absent") && !xlcfg_string(&c, "absent"));
    ck_assert_int_eq(xlcfg_list_len(&c, "absent"), -1);
    ck_assert_int_eq(xlcfg_list_len(&c, "nested"), 2);
    ck_assert_ptr_null(xlcfg_list_item(&c, "nested", 0));          /* a list, not a string */
    ck_assert_str_eq(xlcfg_list_item(&c, "nested", 1), "b");
    ck_assert_int_eq(xlcfg_list_len(&c, "irqs"), 3);
    ck_assert_str_eq(xlcfg_list_item(&c, "irqs", 0), "50");
    ck_assert_str_eq(xlcfg_list_item(&c, "irqs", 2), "52");
    ck_assert_str_eq(xlcfg_string(&c, "extra"), "ab");
    xlcfg_free(&c);
    c = parse_ok("name = \"g\\\"1\\t\\\\\"\n");
    ck_assert_str_eq(xlcfg_string(&c, "name"), "g\"1\t\\");
    xlcfg_free(&c);
    xlcfg_free(&c);                                                  /* twice: harmless */
}
END_TEST

/* libxlutil's own messages, "FILE:LINE: config parsing error near ...". */
START_TEST(errors_name_file_and_line)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "name = \"g\nx = 1\n", "t.cfg:1: config parsing error near `\"g': lexical error" },
        { "a = 1\nName = 2\n", "t.cfg:2: config parsing error near `Name'" },
        { "a 1\n", "t.cfg:1: config parsing error near `1': syntax error" },
        { "a = [ 1 2 ]\n", "t.cfg:1: config parsing error near `2'" },
        { "a = 1 2\n", "t.cfg:1: " },
        { "a = \"\\q\"\n", "t.cfg:1: config parsing error near `\"\\q\"': invalid character" },
        { "= 1\n", "t.cfg:1: " },
        { "a = 1\n\nb = [ 1,\n", "t.cfg:3: " },
        /* libxlutil's \x escape is refused (xl's behaviour, so pcipt's) */
        { "a = \"\\x41\"\n", "t.cfg:1: config parsing error near `\"\\x41\"': invalid digit" },
        /* the old reader's undefined behaviour: a list added to a value */
        { "x = 1\nx += []\n", "t.cfg:2: config parsing error near `]': can't add [list] to "
          "\"string\"" },
        { "x = [ 1 ]\nx += \"a\"\n", "t.cfg:2: " },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xlcfg c;
        char err[256] = "";
        ck_assert_int_eq(xlcfg_parse_text(&c, bad[i].text, "t.cfg", err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, bad[i].msg), "%u: %s", i, err);
        ck_assert_msg(!strchr(err, '\n'), "%u: one line: %s", i, err);
        /* nothing can be read from a config that failed, and free is safe */
        ck_assert(!xlcfg_has(&c, "a") && !xlcfg_string(&c, "x"));
        ck_assert_int_eq(xlcfg_list_len(&c, "x"), -1);
        xlcfg_free(&c);
    }
}
END_TEST

static char *tmp_cfg(const char *text, size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/pcipt-xlcfg-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* `key=value` xl options after CFG override it, as xl appends them (each a
 * line after the file's text: a file without a final newline still ends). */
START_TEST(xl_options_override_the_file)
{
    char *path = tmp_cfg("name = \"g\"\nirqs = [ 40 ]", 24), err[256];
    char *args[] = { "name=\"other\"", "-c", "vuart='sbsa_uart'", "irqs += [ 41 ]" };
    struct create_opts o = { .cfg_path = path, .xl_args = args, .nxl_args = 4 };
    struct xlcfg c;

    ck_assert_int_eq(create_read_config(&o, &c, err, sizeof(err)), 0);
    ck_assert_str_eq(xlcfg_string(&c, "name"), "other");
    ck_assert_str_eq(xlcfg_string(&c, "vuart"), "sbsa_uart");
    ck_assert_int_eq(xlcfg_list_len(&c, "irqs"), 2);
    ck_assert_str_eq(xlcfg_list_item(&c, "irqs", 1), "41");
    xlcfg_free(&c);
    /* an argument's error names the file, at a line after its end (as xl) */
    args[0] = "name=[";
    ck_assert_int_eq(create_read_config(&o, &c, err, sizeof(err)), -EINVAL);
    ck_assert_msg(!strncmp(err, path, strlen(path)) && strstr(err, ":4: "), "%s", err);
    xlcfg_free(&c);
    unlink(path);
    o.cfg_path = "/nonexistent/g.cfg";
    ck_assert_int_eq(create_read_config(&o, &c, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "cannot read the xl config /nonexistent/g.cfg: No such file or directory");
    xlcfg_free(&c);
}
END_TEST

/* Pathological inputs: each parsed in a child whose address space is
 * bounded (RLIMIT_AS; not under ASan, whose shadow needs terabytes of it),
 * and whose peak RSS and time are measured. */
enum { PATH_OK, PATH_REFUSED };

static char *repeat(const char *head, const char *unit, unsigned n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1), *p = s;

    ck_assert_ptr_nonnull(s);
    memcpy(p, head, hl), p += hl;
    for (unsigned i = 0; i < n; i++)
        memcpy(p, unit, ul), p += ul;
    memcpy(p, tail, tl + 1);
    return s;
}

static void bounded(const char *what, const char *text, int expect, const char *msg)
{
    char *path = tmp_cfg(text, strlen(text));
    struct timespec t0, t1;
    struct rusage ru;
    int st;
    pid_t pid;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct xlcfg c;
        char err[512] = "";
        int rc;
#ifndef UNDER_ASAN
        struct rlimit rl = { 256u << 20, 256u << 20 };
        setrlimit(RLIMIT_AS, &rl);
#endif
        alarm(20);
        rc = xlcfg_read_file(&c, path, NULL, 0, err, sizeof(err));
        xlcfg_free(&c);
        if (rc && msg && !strstr(err, msg)) {
            fprintf(stderr, "%s: %s\n", what, err);
            _exit(3);
        }
        _exit(rc == 0 ? PATH_OK : rc == -ENOMEM ? 4 : PATH_REFUSED);
    }
    ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unlink(path);
    ck_assert_msg(WIFEXITED(st), "%s: the parse died (signal %d: memory or time)", what,
                  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    ck_assert_msg(WEXITSTATUS(st) == expect, "%s: exit %d, expected %d", what,
                  WEXITSTATUS(st), expect);
#ifndef UNDER_ASAN
    ck_assert_msg(ru.ru_maxrss < 128 * 1024, "%s: peak RSS %ld KiB", what, ru.ru_maxrss);
    ck_assert_msg(t1.tv_sec - t0.tv_sec < 5, "%s: %ld s", what, (long)(t1.tv_sec - t0.tv_sec));
#endif
}

START_TEST(pathological_inputs_are_bounded)
{
    char *s;

    /* 80 KB: one list of 16,000 short strings (the old reader kept a copy
     * of the rest of the file per string) */
    s = repeat("x = [", "\"a\",", 16000, "\"a\" ]\n");
    bounded("a list of 16,000 strings", s, PATH_OK, NULL);
    free(s);
    /* 8,000 `x += [...]` lines: libxlutil copies the whole list at each */
    s = repeat("", "x += [ \"0000:01:00.0\" ]\n", 8000, "");
    bounded("8,000 `x += [...]` lines", s, PATH_REFUSED, "`+=` statements could make xl's "
            "config parser (libxlutil) copy");
    free(s);
    /* a 40 KB string, then 5,000 `x += ""` (libxlutil: 200 MiB) */
    s = repeat("x = \"", "aaaaaaaa", 5000, "\"\n");
    {
        char *t = repeat(s, "x += \"\" # \"+=\"\n", 5000, "");
        bounded("5,000 `x += \"\"` after 40 KB", t, PATH_REFUSED, "pcipt refuses more than");
        free(t);
    }
    free(s);
    /* the largest file read, 1 MiB of one list: accepted, in bounded memory */
    s = repeat("x = [", "1,", (XLCFG_MAX_BYTES - 16) / 2, "1 ]\n");
    bounded("1 MiB of list", s, PATH_OK, NULL);
    free(s);
    /* one byte more than that is refused before it is parsed */
    s = repeat("", "#", XLCFG_MAX_BYTES, "\n");
    bounded("1 MiB + 1", s, PATH_REFUSED, "larger than the 1024 KiB pcipt reads");
    free(s);
    /* `+=` up to the budget: accepted; a `+=` inside strings and comments
     * costs nothing */
    s = repeat("x = \"\"\n", "x += \"#+=\"  # +=\n", 300, "");
    bounded("300 small `+=`", s, PATH_OK, NULL);
    free(s);
}
END_TEST

/* A `pcipt = [...]` entry is read whole: a device part too long for the
 * spec parser is refused, not truncated into another slot (fuzz_xlcfg P4:
 * "@0...015" was read as slot 1). */
START_TEST(entries_are_read_whole)
{
    struct plan_request rq;
    char arg[128], err[512] = "";

    snprintf(arg, sizeof(arg), "0000:01:00.0@%049d15", 0);
    ck_assert_int_eq(plan_request_from_arg("/nonexistent", arg, &rq, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "is not SSSS:BB:DD.F"), "%s", err);
}
END_TEST

/* xl's PCI_SPEC_STRING read by libxlutil (xlcfg_pci_spec): VSLOT is hex,
 * the keys an entry names are reported even when their value is the
 * default, and libxlutil's reason is quoted. */
START_TEST(pci_spec_strings_as_xl_reads_them)
{
    static const struct {
        const char *spec;
        unsigned seg, bus, dev, fn, vslot, keys;
        bool seize, all;
    } ok[] = {
        { "01:00.0", 0, 1, 0, 0, 0, 0, false, false },
        { "0000:01:00.1@10", 0, 1, 0, 1, 16, XLCFG_PCI_VSLOT, false, false },
        { "0002:0a:1f.7@1f,seize=1", 2, 10, 31, 7, 31, XLCFG_PCI_VSLOT | XLCFG_PCI_SEIZE, true,
          false },
        { "bdf=09:00.0,vslot=3,seize=0", 0, 9, 0, 0, 3,
          XLCFG_PCI_BDF | XLCFG_PCI_VSLOT | XLCFG_PCI_SEIZE, false, false },
        { "01:00.0,permissive=0,msitranslate=0,power_mgmt=0,rdm_policy=relaxed", 0, 1, 0, 0, 0,
          XLCFG_PCI_PERMISSIVE | XLCFG_PCI_MSITRANSLATE | XLCFG_PCI_POWER_MGMT |
          XLCFG_PCI_RDM_POLICY, false, false },
        { "name=nic0", 0, 0, 0, 0, 0, XLCFG_PCI_NAME, false, false },
        { "01:00.*", 0, 1, 0, 0, 0, 0, false, true },
    };
    static const struct { const char *spec, *msg; } bad[] = {
        { "01:00.0@20", "'01:00.0@20' is not xl's PCI_SPEC_STRING [DDDD:]BB:DD.F[@VSLOT]" },
        { "01:00.0,bogus=1", "(Unknown PCI_SPEC_STRING option: bogus)" },
        { "01:00.0,rdm_policy=lax", "(Unknown RDM policy: lax)" },
        { "01:20.0", "is not xl's PCI_SPEC_STRING" },
        { "01:00.0,name=x", "is not xl's" },             /* bdf and name both */
        { "", "is not xl's" },
        { "01:00.0,seize", "is not xl's" },
        /* libxlutil 4.17 would advance by an unset offset (fuzz_xlcfg) */
        { "01:00", "(a BDF without its .F, which xl's parser misreads)" },
        { "0000:01:00,seize=1", "(a BDF without its .F" },
        { "01:0rdm_policy0.0@0.0@10,s\310\316", "(a BDF without its .F" },
        { "vslot=3,bdf=01:00", "(a BDF without its .F" },
    };
    struct xlcfg_pci p;
    char err[512];

    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(xlcfg_pci_spec(ok[i].spec, &p, err, sizeof(err)) == 0, "%s: %s",
                      ok[i].spec, err);
        ck_assert_msg(p.seg == ok[i].seg && p.bus == ok[i].bus && p.dev == ok[i].dev &&
                      p.fn == ok[i].fn && p.vslot == ok[i].vslot && p.keys == ok[i].keys &&
                      p.seize == ok[i].seize && p.all_functions == ok[i].all,
                      "%s: %x:%x:%x.%x @%u keys %#x seize %d all %d", ok[i].spec, p.seg, p.bus,
                      p.dev, p.fn, p.vslot, p.keys, p.seize, p.all_functions);
    }
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(xlcfg_pci_spec(bad[i].spec, &p, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, bad[i].msg) && !strchr(err, '\n'), "%s: %s", bad[i].spec,
                      err);
    }
}
END_TEST

/* xl's numbers (xlcfg_long), and pci=[] after a pci list empties it as xl
 * reads the appended arguments. */
START_TEST(numbers_and_an_emptied_pci_list)
{
    struct xlcfg c = parse_ok("a = 1\nb = \"0x10\"\nc = [ 1 ]\nd = \"yes\"\n"
                              "pci = [ \"01:00.0\" ]\n\npci=[]\n");
    long v = -1;

    ck_assert_int_eq(xlcfg_long(&c, "a", &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(xlcfg_long(&c, "b", &v), 0);
    ck_assert_int_eq(v, 16);
    ck_assert_int_eq(xlcfg_long(&c, "c", &v), -EINVAL);
    ck_assert_int_eq(xlcfg_long(&c, "d", &v), -EINVAL);
    ck_assert_int_eq(xlcfg_long(&c, "e", &v), -ENOENT);
    ck_assert_int_eq(xlcfg_list_len(&c, "pci"), 0);
    ck_assert(xlcfg_has(&c, "pci"));
    xlcfg_free(&c);
}
END_TEST

static Suite *xl_cfg_suite(void)
{
    Suite *s = suite_create("xl_cfg");
    TCase *tc = tcase_create("parse");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, values_lists_comments);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, xl_options_override_the_file);
    tcase_add_test(tc, pathological_inputs_are_bounded);
    tcase_add_test(tc, entries_are_read_whole);
    tcase_add_test(tc, pci_spec_strings_as_xl_reads_them);
    tcase_add_test(tc, numbers_and_an_emptied_pci_list);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(xl_cfg_suite)
