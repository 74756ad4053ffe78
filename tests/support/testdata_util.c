#include "tests/support/testdata_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "tests/support/testreg.h"

const char *testdata_dump_path(const char *name, char *buf, size_t len)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "tests/data/dumps/%s", name);
    return test_src_path(rel, buf, (unsigned)len);
}

void testdata_dump(const char *name, struct dump *d)
{
    char path[512], err[512];

    testdata_dump_path(name, path, sizeof(path));
    ck_assert_msg(dump_load(path, d, err, sizeof(err)) == 0, "%s", err);
}

void testdata_tree(const char *name, const struct tree_opts *o, char *dir, size_t len)
{
    char path[512], err[512];

    ck_assert_int_eq(sysfs_tree_mkdtemp(dir, len), 0);
    testdata_dump_path(name, path, sizeof(path));
    ck_assert_msg(sysfs_tree_from_dump(dir, path, o, err, sizeof(err)) == 0, "%s", err);
}

uint64_t testdata_parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (end == s)
        return 0;
    switch (*end) {
    case 'K': return v << 10;
    case 'M': return v << 20;
    case 'G': return v << 30;
    case 'T': return v << 40;
    default: return v;
    }
}
