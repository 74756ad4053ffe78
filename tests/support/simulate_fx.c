/* See simulate_fx.h. */
#include "tests/support/simulate_fx.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

void smx_tree(char *dir, unsigned len, const char *const *dumps, unsigned n)
{
    struct tree_opts o = { .driver = "pciback", .reset_method = "flr" };
    char path[512], err[512];

    ck_assert_int_eq(sysfs_tree_mkdtemp(dir, len), 0);
    for (unsigned i = 0; i < n; i++) {
        testdata_dump_path(dumps[i], path, sizeof(path));
        ck_assert_msg(sysfs_tree_from_dump(dir, path, &o, err, sizeof(err)) == 0, "%s", err);
    }
}

int smx_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static bool environ_mentions(const char *pid, const char *path)
{
    char file[64], buf[65536];
    ssize_t n;
    int fd;

    snprintf(file, sizeof(file), "/proc/%s/environ", pid);
    if ((fd = open(file, O_RDONLY)) < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    for (ssize_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '\n';
    buf[n] = '\0';
    return strstr(buf, path) != NULL;
}

unsigned smx_procs_mentioning(const char *path)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    unsigned n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && environ_mentions(e->d_name, path))
            n++;
    closedir(d);
    return n;
}

static void find_kept(struct smx_result *r)
{
    const char *p = r->out ? strstr(r->out, "Kept the simulation's directory: ") : NULL;

    r->kept[0] = '\0';
    if (p && sscanf(p + 33, "%255s", r->kept) != 1)
        r->kept[0] = '\0';
}

void smx_run(const char *tree, const char *env, const char *args, struct smx_result *r)
{
    char tmp[] = "/tmp/pcipt-smx.XXXXXX", e[1024];

    memset(r, 0, sizeof(*r));
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(e, sizeof(e), "TMPDIR=%s %s", tmp, env);
    r->status = run_pcipt(&(struct run_opts){ .env = e }, &r->out, &r->err, "%s%s%s simulate %s",
                          tree ? "--sysfs '" : "", tree ? tree : "", tree ? "'" : "", args);
    find_kept(r);
    /* nothing left behind: no process of the run, no directory but a kept one */
    ck_assert_msg(smx_procs_mentioning(tmp) == 0, "a process of `%s pcipt simulate %s` is still "
                  "running", e, args);
    ck_assert_int_eq(smx_dir_entries(tmp), r->kept[0] ? 1 : 0);
    if (r->kept[0])
        ck_assert_msg(strncmp(r->kept, tmp, strlen(tmp)) == 0, "kept %s", r->kept);
    else
        ck_assert_int_eq(rmdir(tmp), 0);
}

void smx_free(struct smx_result *r)
{
    if (r->kept[0]) {
        char cmd[600], *parent = strdup(r->kept), *slash;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->kept);
        ck_assert_int_eq(system(cmd), 0);
        if (parent && (slash = strrchr(parent, '/'))) {
            *slash = '\0';
            rmdir(parent);
        }
        free(parent);
    }
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

char *smx_device_section(const char *out)
{
    const char *a = strstr(out, "Guest view:\n"), *b;

    if (!a || !(b = strstr(a, "Config accesses:")))
        return NULL;
    return strndup(a, (size_t)(b - a));
}

char *smx_func_block(const char *out, const char *bdf)
{
    char head[32];
    const char *a, *b;

    snprintf(head, sizeof(head), "\n%s Class ", bdf);
    if (!(a = strstr(out, head)))
        return NULL;
    a++;
    b = strstr(a, "\n\n");
    return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

bool smx_region(const char *block, unsigned i, uint64_t *addr, uint64_t *size)
{
    char pat[32], sz[16];
    const char *p;
    unsigned long long a;

    snprintf(pat, sizeof(pat), "Region %u: Memory at ", i);
    if (!(p = strstr(block, pat)) || sscanf(p + strlen(pat), "%llx", &a) != 1)
        return false;
    if (!(p = strstr(p, "[size=")) || sscanf(p + 6, "%15[0-9KMGT]", sz) != 1)
        return false;
    *addr = a;
    *size = testdata_parse_size(sz);
    return true;
}

bool smx_rom(const char *block, uint64_t *addr, uint64_t *size)
{
    const char *p = strstr(block, "Expansion ROM at ");
    unsigned long long a;
    char sz[16];

    if (!p || sscanf(p + 17, "%llx", &a) != 1)
        return false;
    if (!(p = strstr(p, "[size=")) || sscanf(p + 6, "%15[0-9KMGT]", sz) != 1)
        return false;
    *addr = a;
    *size = testdata_parse_size(sz);
    return true;
}
