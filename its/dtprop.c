#include "its/dtprop.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int dt_prop_read(const char *node_dir, const char *name, void *buf, size_t cap, size_t *len)
{
    char path[4096];
    size_t got = 0;
    char extra;
    int fd, rc = 0;
    ssize_t n;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", node_dir, name) >= sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOTDIR ? -ENOENT : -errno;
    while (got < cap && (n = read(fd, (char *)buf + got, cap - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        got += (size_t)n;
    }
    if (!rc && got == cap && read(fd, &extra, 1) > 0)
        rc = -E2BIG;
    close(fd);
    if (!rc)
        *len = got;
    return rc;
}

uint32_t dt_cell(const void *buf, size_t i)
{
    const unsigned char *b = (const unsigned char *)buf + i * 4;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A property read into b (rc, len as the reader returned them) as one u32
 * cell: exactly 4 bytes, else -EINVAL. */
static int one_cell(int rc, const unsigned char *b, size_t len, uint32_t *val)
{
    if (rc == -E2BIG)
        return -EINVAL;
    if (rc)
        return rc;
    if (len != 4)
        return -EINVAL;
    *val = dt_cell(b, 0);
    return 0;
}

int dt_prop_u32(const char *node_dir, const char *name, uint32_t *val)
{
    unsigned char b[8];
    size_t len = 0;
    int rc = dt_prop_read(node_dir, name, b, sizeof(b), &len);

    return one_cell(rc, b, len, val);
}

int dt_src_read(const struct dt_src *s, const char *prop, void *buf, size_t cap, size_t *len)
{
    const void *v;
    int n = -1;

    if (s->dir)
        return dt_prop_read(s->dir, prop, buf, cap, len);
    v = fdt_getprop(s->fdt, s->node, prop, &n);
    if (!v)
        return n == -FDT_ERR_NOTFOUND ? -ENOENT : -EINVAL;
    if ((size_t)n > cap)
        return -E2BIG;
    memcpy(buf, v, (size_t)n);
    *len = (size_t)n;
    return 0;
}

int dt_src_u32(const struct dt_src *s, const char *prop, uint32_t *val)
{
    unsigned char b[8];
    size_t len = 0;
    int rc = dt_src_read(s, prop, b, sizeof(b), &len);

    return one_cell(rc, b, len, val);
}
