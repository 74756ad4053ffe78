#include "tests/support/fake_dt.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/testreg.h"

static void mkdir_p(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

const char *fakedt_node(const char *root, const char *rel)
{
    static char ring[8][1024];
    static unsigned next;
    char *p = ring[next++ % 8];

    snprintf(p, 1024, "%s/%s", root, rel);
    mkdir_p(p);
    return p;
}

static void write_file(const char *node, const char *prop, const void *buf, size_t len)
{
    char path[2048];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", node, prop);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

void fakedt_cells(const char *node, const char *prop, const uint32_t *cells, unsigned n)
{
    unsigned char buf[4096];

    ck_assert_uint_le(n * 4, sizeof(buf));
    for (unsigned i = 0; i < n; i++) {
        buf[i * 4] = (unsigned char)(cells[i] >> 24);
        buf[i * 4 + 1] = (unsigned char)(cells[i] >> 16);
        buf[i * 4 + 2] = (unsigned char)(cells[i] >> 8);
        buf[i * 4 + 3] = (unsigned char)cells[i];
    }
    write_file(node, prop, buf, n * 4);
}

void fakedt_str(const char *node, const char *prop, const char *val)
{
    write_file(node, prop, val, strlen(val) + 1);   /* with its NUL, as the kernel shows */
}

void fakedt_link(const char *root, const char *rel, const char *target)
{
    char path[2048], dir[2048], *slash;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    mkdir_p(dir);
    ck_assert_int_eq(symlink(target, path), 0);
}

void fakedt_remove(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
