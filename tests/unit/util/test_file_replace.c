/* file_replace: the one way pcipt replaces a state file (attach intents,
 * hand-over records, the serve record, the daemon's options, the guest DTB).
 * All or nothing, the given mode whatever the umask, a link replaced and not
 * followed, no temporary file left behind on success or failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/util/file_replace.h"
#include "tests/support/testreg.h"

static char dir[] = "/tmp/pcipt-replace-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/pcipt-replace-XXXXXX");
}

/* The names in d, sorted and joined by spaces ("" when empty). */
static void names_in(const char *d, char *out, size_t len)
{
    struct dirent **list;
    int n = scandir(d, &list, NULL, alphasort);
    size_t used = 0;

    ck_assert_int_ge(n, 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, ".."))
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "",
                                     list[i]->d_name);
        free(list[i]);
    }
    free(list);
    ck_assert_uint_lt(used, len);
}

static void read_text(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    n = read(fd, out, len - 1);
    ck_assert_int_ge(n, 0);
    out[n] = '\0';
    close(fd);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    ck_assert_int_eq(lstat(path, &st), 0);
    return st.st_mode;
}

START_TEST(writes_the_bytes_with_the_mode_whatever_the_umask)
{
    char path[128], text[64], names[256];
    mode_t old = umask(077);

    snprintf(path, sizeof(path), "%s/rec", dir);
    ck_assert_int_eq(file_replace(path, "a=1\nb=2\n", 8, 0644), 0);
    umask(old);
    read_text(path, text, sizeof(text));
    ck_assert_str_eq(text, "a=1\nb=2\n");
    ck_assert_uint_eq(mode_of(path) & 07777, 0644);
    names_in(dir, names, sizeof(names));
    ck_assert_str_eq(names, "rec");
}
END_TEST

START_TEST(replaces_a_longer_file_whole)
{
    char path[128], text[64], names[256];

    snprintf(path, sizeof(path), "%s/rec", dir);
    ck_assert_int_eq(file_replace(path, "server=12\nvm=/vm/long\n", 22, 0600), 0);
    ck_assert_int_eq(file_replace(path, "server=3\n", 9, 0600), 0);
    read_text(path, text, sizeof(text));
    ck_assert_str_eq(text, "server=3\n");      /* no tail of the old text */
    ck_assert_uint_eq(mode_of(path) & 07777, 0600);
    names_in(dir, names, sizeof(names));
    ck_assert_str_eq(names, "rec");
}
END_TEST

START_TEST(replaces_a_link_and_leaves_its_target)
{
    char path[128], target[128], text[64];

    snprintf(path, sizeof(path), "%s/rec", dir);
    snprintf(target, sizeof(target), "%s/target", dir);
    ck_assert_int_eq(file_replace(target, "keep\n", 5, 0644), 0);
    ck_assert_int_eq(symlink(target, path), 0);
    ck_assert_int_eq(file_replace(path, "new\n", 4, 0644), 0);
    ck_assert(S_ISREG(mode_of(path)));
    read_text(path, text, sizeof(text));
    ck_assert_str_eq(text, "new\n");
    read_text(target, text, sizeof(text));
    ck_assert_str_eq(text, "keep\n");
}
END_TEST

START_TEST(a_missing_directory_is_enoent_and_makes_nothing)
{
    char path[128], names[256];

    snprintf(path, sizeof(path), "%s/gone/rec", dir);
    ck_assert_int_eq(file_replace(path, "x", 1, 0644), -ENOENT);
    names_in(dir, names, sizeof(names));
    ck_assert_str_eq(names, "");
    ck_assert_int_eq(file_replace("", "x", 1, 0644), -ENOENT);
}
END_TEST

START_TEST(a_rename_that_fails_leaves_the_old_and_no_temporary)
{
    char path[128], inner[160], names[256];

    /* a directory where the file should be: the rename fails (EISDIR) */
    snprintf(path, sizeof(path), "%s/rec", dir);
    snprintf(inner, sizeof(inner), "%s/inside", path);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(file_replace(inner, "kept", 4, 0600), 0);
    ck_assert_int_eq(file_replace(path, "x", 1, 0644), -EISDIR);
    ck_assert(S_ISDIR(mode_of(path)));
    names_in(dir, names, sizeof(names));
    ck_assert_str_eq(names, "rec");
    names_in(path, names, sizeof(names));
    ck_assert_str_eq(names, "inside");
}
END_TEST

START_TEST(a_path_too_long_for_the_temporary_is_refused)
{
    char path[PATH_MAX], names[256];
    size_t n = (size_t)snprintf(path, sizeof(path), "%s/", dir);

    memset(path + n, 'a', sizeof(path) - n - 4);   /* room for the path, not for ".tmpXXXXXX" */
    path[sizeof(path) - 4] = '\0';
    ck_assert_int_eq(file_replace(path, "x", 1, 0644), -ENAMETOOLONG);
    names_in(dir, names, sizeof(names));
    ck_assert_str_eq(names, "");
}
END_TEST

static Suite *file_replace_suite(void)
{
    Suite *s = suite_create("file_replace");
    TCase *tc = tcase_create("replace");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, writes_the_bytes_with_the_mode_whatever_the_umask);
    tcase_add_test(tc, replaces_a_longer_file_whole);
    tcase_add_test(tc, replaces_a_link_and_leaves_its_target);
    tcase_add_test(tc, a_missing_directory_is_enoent_and_makes_nothing);
    tcase_add_test(tc, a_rename_that_fails_leaves_the_old_and_no_temporary);
    tcase_add_test(tc, a_path_too_long_for_the_temporary_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(file_replace_suite)
