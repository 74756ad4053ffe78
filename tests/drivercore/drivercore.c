/*
 * drivercore.c - LD_PRELOAD shim that plays Linux's PCI driver core on a
 * sysfs-shaped tree (tests/support/sysfs_tree.h), so that `pcipt --bind`
 * can be tested end to end without a kernel: a write to one of the tree's
 * driver-core files has its effect on the `driver` links when the writer's
 * fclose() returns, as a write(2) to sysfs has, and a store the kernel
 * would refuse makes that fclose() fail with the kernel's errno.
 *
 * Env:  PCIPT_DRIVER_CORE=DIR   the tree (DIR/devices, DIR/drivers,
 *                               DIR/drivers_probe); nothing happens without it
 * Log:  DIR/driver-core.log     one line per store: "unbind igb 0000:01:00.0 0"
 *                               (the last field: 0 or the errno returned)
 *
 * The rules (drivers/base/bus.c, drivers/pci/pci-driver.c, and
 * Documentation/ABI/testing/sysfs-bus-pci), for a device D = DIR/devices/SBDF:
 *   drivers/NAME/unbind <- SBDF   D must be bound to NAME (else ENODEV);
 *                                 D's driver link goes away.
 *   drivers/NAME/bind <- SBDF     D must exist, NAME must match it (else
 *                                 ENODEV) and D be unbound (else EBUSY).
 *   drivers_probe <- SBDF         an unbound D gets the first loaded
 *                                 (DIR/drivers/NAME exists) driver that
 *                                 matches it, in name order; none: stays
 *                                 unbound (not an error).
 *   devices/SBDF/driver_override  stored; an empty line clears it, and it
 *                                 then reads "(null)".
 * Matching: with driver_override set, only the driver it names matches
 * (pci_match_device).  Without it, a holder (uio_pci_generic, vfio-pci,
 * pciback, xen-pciback: empty or hide-list id tables) matches nothing and
 * any other driver matches every device (its id table is taken to cover
 * the device it was found on).
 * bind, unbind and drivers_probe are write-only in sysfs: the shim empties
 * them again after acting.  Only stdio writers are seen (pcipt writes sysfs
 * attributes with fopen/fputs/fclose).
 *
 * Built by the Makefile as build/tests/drivercore.so; used by
 * tests/support/attach_fx.c (afx_driver_core_env).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNSET "(null)"

/* snprintf for paths; a path that does not fit comes out cut (and then
 * names no file of the tree). */
static void __attribute__((format(printf, 3, 4))) fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;

    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

static bool is_holder(const char *drv)
{
    static const char *const h[] = { "uio_pci_generic", "vfio-pci", "pciback", "xen-pciback" };
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (!strcmp(drv, h[i]))
            return true;
    return false;
}

/* First line of path into buf (no newline), "" when absent. */
static void read_line(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, len - 1);

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

static void write_all(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    if (fd < 0)
        return;
    if (write(fd, s, strlen(s)) < 0) {
        /* nothing to do: the tree is the test's, a failure shows in its checks */
    }
    close(fd);
}

static void dev_file(const char *root, const char *sbdf, const char *name, char *buf, size_t len)
{
    fmt(buf, len, "%s/devices/%s/%s", root, sbdf, name);
}

static bool device_exists(const char *root, const char *sbdf)
{
    char path[PATH_MAX];
    struct stat st;

    if (!sbdf[0] || strchr(sbdf, '/'))
        return false;
    fmt(path, sizeof(path), "%s/devices/%s", root, sbdf);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void driver_of(const char *root, const char *sbdf, char *buf, size_t len)
{
    char path[PATH_MAX], target[256];
    ssize_t n;

    dev_file(root, sbdf, "driver", path, sizeof(path));
    n = readlink(path, target, sizeof(target) - 1);
    buf[0] = '\0';
    if (n > 0) {
        target[n] = '\0';
        fmt(buf, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
    }
}

static void override_of(const char *root, const char *sbdf, char *buf, size_t len)
{
    char path[PATH_MAX];

    dev_file(root, sbdf, "driver_override", path, sizeof(path));
    read_line(path, buf, len);
    if (!strcmp(buf, UNSET))
        buf[0] = '\0';
}

static bool matches(const char *root, const char *drv, const char *sbdf)
{
    char ov[256];

    override_of(root, sbdf, ov, sizeof(ov));
    return ov[0] ? !strcmp(ov, drv) : !is_holder(drv);
}

static int attach(const char *root, const char *drv, const char *sbdf)
{
    char path[PATH_MAX], target[PATH_MAX];

    dev_file(root, sbdf, "driver", path, sizeof(path));
    fmt(target, sizeof(target), "../../drivers/%s", drv);
    return symlink(target, path) ? errno : 0;
}

static int do_unbind(const char *root, const char *drv, const char *sbdf)
{
    char cur[256], path[PATH_MAX];

    if (!device_exists(root, sbdf))
        return ENODEV;
    driver_of(root, sbdf, cur, sizeof(cur));
    if (strcmp(cur, drv))
        return ENODEV;
    dev_file(root, sbdf, "driver", path, sizeof(path));
    return unlink(path) ? errno : 0;
}

static int do_bind(const char *root, const char *drv, const char *sbdf)
{
    char cur[256];

    if (!device_exists(root, sbdf) || !matches(root, drv, sbdf))
        return ENODEV;
    driver_of(root, sbdf, cur, sizeof(cur));
    if (cur[0])
        return EBUSY;
    return attach(root, drv, sbdf);
}

static int do_probe(const char *root, const char *sbdf)
{
    char cur[256], path[PATH_MAX];
    struct dirent **names;
    int n, rc = 0;
    bool done = false;

    if (!device_exists(root, sbdf))
        return ENODEV;
    driver_of(root, sbdf, cur, sizeof(cur));
    if (cur[0])
        return 0;
    fmt(path, sizeof(path), "%s/drivers", root);
    if ((n = scandir(path, &names, NULL, alphasort)) < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        const char *d = names[i]->d_name;
        if (!done && d[0] != '.' && matches(root, d, sbdf)) {
            rc = attach(root, d, sbdf);
            done = true;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static void do_override(const char *path)
{
    char v[256], out[260];

    read_line(path, v, sizeof(v));
    fmt(out, sizeof(out), "%s\n", v[0] ? v : UNSET);
    write_all(path, out);
}

static void log_store(const char *root, const char *what, const char *drv, const char *val,
                      int e)
{
    char path[PATH_MAX];
    FILE *f;

    fmt(path, sizeof(path), "%s/driver-core.log", root);
    f = fopen(path, "ae");
    if (!f)
        return;
    fprintf(f, "%s %s %s %d\n", what, drv, val[0] ? val : "''", e);
    /* the log is not a driver-core file: the real fclose will do */
    ((int (*)(FILE *))dlsym(RTLD_NEXT, "fclose"))(f);
}

/* rel: path below the tree.  Returns the errno the kernel would give. */
static int store(const char *root, const char *rel, const char *path)
{
    char val[256], dir[256], leaf[256];
    int e;

    read_line(path, val, sizeof(val));
    if (!strcmp(rel, "drivers_probe")) {
        e = do_probe(root, val);
        log_store(root, "probe", "-", val, e);
    } else if (sscanf(rel, "drivers/%255[^/]/%255s", dir, leaf) == 2 &&
               (!strcmp(leaf, "bind") || !strcmp(leaf, "unbind"))) {
        bool bind = !strcmp(leaf, "bind");
        e = bind ? do_bind(root, dir, val) : do_unbind(root, dir, val);
        log_store(root, bind ? "bind" : "unbind", dir, val, e);
    } else if (sscanf(rel, "devices/%255[^/]/%255s", dir, leaf) == 2 &&
               !strcmp(leaf, "driver_override")) {
        do_override(path);
        log_store(root, "override", dir, val, 0);
        return 0;
    } else {
        return 0;
    }
    write_all(path, "");
    return e;
}

int fclose(FILE *f)
{
    static int (*real_fclose)(FILE *);
    const char *env = getenv("PCIPT_DRIVER_CORE");
    char root[PATH_MAX], link[64], path[PATH_MAX];
    int fd, mode, rc, e;
    ssize_t n = -1;

    if (!real_fclose)
        real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
    if (!env || !*env || !f || !realpath(env, root))
        return real_fclose(f);
    fd = fileno(f);
    mode = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    if (mode >= 0 && (mode & O_ACCMODE) != O_RDONLY) {
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof(path) - 1);
    }
    rc = real_fclose(f);
    if (rc || n <= 0)
        return rc;
    path[n] = '\0';
    n = (ssize_t)strlen(root);
    if (strncmp(path, root, (size_t)n) || path[n] != '/')
        return rc;
    if ((e = store(root, path + n + 1, path))) {
        errno = e;
        return EOF;
    }
    return 0;
}
