/* Host DeviceIDs from the flattened device tree the kernel booted with
 * (/sys/firmware/fdt): the same rules as its_hostbridge.c and
 * its_msimap.c, read through libfdt instead of /proc/device-tree. */
#include "its/its.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536u

/* The whole file (sysfs bin files may not state their size: read to EOF). */
static int slurp(const char *path, void **buf, size_t *len)
{
    size_t cap = 0, got = 0;
    char *b = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    for (;;) {
        if (got == cap) {
            char *nb;
            if (cap >= ITS_FDT_MAX_SIZE) {
                rc = -EFBIG;
                break;
            }
            cap += READ_CHUNK;
            if (!(nb = realloc(b, cap))) {
                rc = -ENOMEM;
                break;
            }
            b = nb;
        }
        ssize_t n = read(fd, b + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (rc) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = got;
    return 0;
}

int its_fdt_read(const char *path, void **fdt, char *err, size_t errlen)
{
    void *buf = NULL;
    size_t len = 0;
    int rc = slurp(path, &buf, &len), frc;

    *fdt = NULL;
    if (rc == -EFBIG) {
        snprintf(err, errlen, "%s is larger than %u MiB: not a device tree", path,
                 ITS_FDT_MAX_SIZE >> 20);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "cannot read the host device tree %s: %s", path, strerror(-rc));
        return rc;
    }
    if (len < sizeof(struct fdt_header) || (frc = fdt_check_full(buf, len)) != 0) {
        snprintf(err, errlen, "%s is not a valid flattened device tree (%s)", path,
                 len < sizeof(struct fdt_header) ? "too short" : fdt_strerror(frc));
        free(buf);
        return -EINVAL;
    }
    *fdt = buf;
    return 0;
}

static bool is_bridge_of(const void *fdt, int node, uint16_t seg)
{
    int n = -1;
    const char *type = fdt_getprop(fdt, node, "device_type", &n);
    const fdt32_t *dom;

    if (!type || n != 4 || memcmp(type, "pci", 4))
        return false;
    dom = fdt_getprop(fdt, node, "linux,pci-domain", &n);
    return dom && n == 4 && fdt32_to_cpu(*dom) == seg;
}

/* Every node in document order; host bridges do not nest, so a match's
 * subtree is skipped.  *found counts matches, *first keeps the first. */
static unsigned scan(const void *fdt, uint16_t seg, int *first)
{
    int depth = 0, skip_below = -1;
    unsigned found = 0;

    for (int off = fdt_next_node(fdt, -1, &depth); off >= 0 && depth >= 0;
         off = fdt_next_node(fdt, off, &depth)) {
        if (skip_below >= 0 && depth > skip_below)
            continue;
        skip_below = -1;
        if (!is_bridge_of(fdt, off, seg))
            continue;
        if (found++ == 0)
            *first = off;
        skip_below = depth;
    }
    return found;
}

int its_fdt_find_host_bridge(const void *fdt, const char *sysfs, const struct sbdf *dev,
                             int *node, char *path, size_t len, char *err, size_t errlen)
{
    char s[SBDF_STR_LEN];
    unsigned n;

    sbdf_format(dev, s);
    if (its_sysfs_dt_path(sysfs, dev, path, len) == 0 &&
        (*node = fdt_path_offset(fdt, path)) >= 0)
        return 0;
    n = scan(fdt, dev->seg, node);
    if (n == 1) {
        if (fdt_get_path(fdt, *node, path, (int)(len > INT_MAX ? INT_MAX : len)))
            snprintf(path, len, "(node at offset %d)", *node);
        return 0;
    }
    if (n) {
        snprintf(err, errlen, "device %s: %u host bridge nodes of the host device tree claim "
                 "segment %04x", s, n, dev->seg);
        return -EEXIST;
    }
    snprintf(err, errlen, "device %s: the host device tree has no host bridge node of segment "
             "%04x (no sysfs of_node link, no pci node with linux,pci-domain = %u)", s,
             dev->seg, dev->seg);
    return -ENOENT;
}

int its_host_devid_fdt(const void *fdt, const char *sysfs, const struct sbdf *dev,
                       uint32_t *devid, char *err, size_t errlen)
{
    struct its_msi_map m;
    char path[PATH_MAX];
    int node, rc;

    if ((rc = its_fdt_find_host_bridge(fdt, sysfs, dev, &node, path, sizeof(path), err,
                                       errlen)) ||
        (rc = its_msi_map_load_fdt(fdt, node, path, &m, err, errlen)))
        return rc;
    return its_msi_map_devid(&m, dev, path, devid, err, errlen);
}
