/* Which device-tree node is a device's host bridge.
 *
 * 1. sysfs: SYSFS/devices/SBDF resolves to .../pciSSSS:BB/.../SBDF; the
 *    pciSSSS:BB directory is the host bridge, and its `of_node` link points
 *    into /sys/firmware/devicetree/base (the same tree as /proc/device-tree).
 * 2. otherwise the node with device_type = "pci" and linux,pci-domain =
 *    the segment (the 2020 Arm design: "All the PCI device tree nodes
 *    should have the 'linux,pci-domain' property"). */
#include "its/its.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "its/dtprop.h"

#define DT_BASE_MARK "/devicetree/base"
#define MAX_DEPTH 8

/* The "pciSSSS:BB" component of a resolved device path, cut after it. */
static bool cut_at_host_bridge(char *path, uint16_t seg)
{
    char want[16], *p = path, *hit = NULL;

    snprintf(want, sizeof(want), "/pci%04x:", seg);
    while ((p = strstr(p, want)) != NULL) {
        hit = p;
        p++;
    }
    if (!hit)
        return false;
    p = strchr(hit + 1, '/');
    if (p)
        *p = '\0';
    return true;
}

/* realpath of the of_node link of dev's host bridge (pciSSSS:BB). */
static int of_node_target(const char *sysfs, const struct sbdf *dev, char *node, size_t len)
{
    char link[PATH_MAX], real[PATH_MAX], s[SBDF_STR_LEN];

    if (len < PATH_MAX)
        return -ENAMETOOLONG;
    if (!sysfs)
        sysfs = "/sys/bus/pci";
    snprintf(link, sizeof(link), "%s/devices/%s", sysfs, sbdf_format(dev, s));
    if (!realpath(link, real) || !cut_at_host_bridge(real, dev->seg))
        return -ENOENT;
    if ((size_t)snprintf(link, sizeof(link), "%s/of_node", real) >= sizeof(link) ||
        !realpath(link, node))
        return -ENOENT;
    return 0;
}

int its_sysfs_dt_path(const char *sysfs, const struct sbdf *dev, char *path, size_t len)
{
    char node[PATH_MAX];
    const char *tail;
    int rc = of_node_target(sysfs, dev, node, sizeof(node));

    if (rc)
        return rc;
    if (!(tail = strstr(node, DT_BASE_MARK)))
        return -ENOENT;
    tail += strlen(DT_BASE_MARK);
    if ((size_t)snprintf(path, len, "%s", *tail ? tail : "/") >= len)
        return -ENAMETOOLONG;
    return 0;
}

static int from_sysfs(const char *sysfs, const char *dt_root, const struct sbdf *dev,
                      char *out, size_t len)
{
    char node[PATH_MAX];
    const char *tail;

    if (of_node_target(sysfs, dev, node, sizeof(node)))
        return -ENOENT;
    tail = strstr(node, DT_BASE_MARK);
    if (tail)
        tail += strlen(DT_BASE_MARK);
    if ((size_t)snprintf(out, len, "%s%s", tail ? dt_root : "", tail ? tail : node) >= len)
        return -ENAMETOOLONG;
    return 0;
}

static bool is_bridge_of(const char *dir, uint16_t seg)
{
    char type[8];
    size_t n;
    uint32_t dom;

    if (dt_prop_read(dir, "device_type", type, sizeof(type), &n) || n != 4 ||
        memcmp(type, "pci", 4))
        return false;
    return dt_prop_u32(dir, "linux,pci-domain", &dom) == 0 && dom == seg;
}

/* Depth-first search for the segment's host bridge; *found counts the
 * matches, out keeps the first. */
static void scan(const char *dir, uint16_t seg, int depth, char *out, size_t len,
                 unsigned *found)
{
    struct dirent *de;
    DIR *d;

    if (is_bridge_of(dir, seg)) {
        if ((*found)++ == 0)
            snprintf(out, len, "%s", dir);
        return;            /* host bridges do not nest */
    }
    if (depth >= MAX_DEPTH || !(d = opendir(dir)))
        return;
    while ((de = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        struct stat st;

        if (de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub) ||
            lstat(sub, &st) || !S_ISDIR(st.st_mode))
            continue;
        scan(sub, seg, depth + 1, out, len, found);
    }
    closedir(d);
}

int its_find_host_bridge(const char *sysfs, const char *dt_root, const struct sbdf *dev,
                         char *node_dir, size_t len, char *err, size_t errlen)
{
    char s[SBDF_STR_LEN];
    struct stat st;
    unsigned n = 0;

    if (!sysfs)
        sysfs = "/sys/bus/pci";
    if (!dt_root)
        dt_root = "/proc/device-tree";
    if (from_sysfs(sysfs, dt_root, dev, node_dir, len) == 0 &&
        stat(node_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (stat(dt_root, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "device %s: no device tree at %s (is this a device-tree host?)",
                 sbdf_format(dev, s), dt_root);
        return -ENOENT;
    }
    scan(dt_root, dev->seg, 0, node_dir, len, &n);
    if (n == 1)
        return 0;
    sbdf_format(dev, s);
    if (n) {
        snprintf(err, errlen, "device %s: %u host bridge nodes under %s claim segment %04x",
                 s, n, dt_root, dev->seg);
        return -EEXIST;
    }
    snprintf(err, errlen, "device %s: no host bridge node of segment %04x under %s "
             "(no sysfs of_node link, no pci node with linux,pci-domain = %u)",
             s, dev->seg, dt_root, dev->seg);
    return -ENOENT;
}
