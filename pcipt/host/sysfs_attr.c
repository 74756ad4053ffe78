/* One sysfs attribute at a time: see sysfs_attr.h. */
#include "pcipt/host/sysfs_attr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sysfs_read_attr(const char *dir, const char *name, char *buf, size_t len)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(fp = fopen(path, "r")))
        return -errno;
    if (!fgets(buf, (int)len, fp))
        buf[0] = '\0';
    fclose(fp);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int sysfs_write_attr(const char *path, const char *val, char *why, size_t whylen)
{
    FILE *fp = fopen(path, "w");
    int e = 0;

    if (!fp) {
        e = errno;
    } else {
        if (fputs(val, fp) < 0)
            e = errno;
        /* fclose() releases fp whatever it returns: never close it twice */
        if (fclose(fp) && !e)
            e = errno;
    }
    if (!fp || e) {
        e = e ? e : EIO;
        snprintf(why, whylen, "cannot write '%.*s' to %s: %s", (int)strcspn(val, "\n"), val,
                 path, strerror(e));
        return -e;
    }
    return 0;
}

void sysfs_driver_of(const char *devdir, char *buf, size_t len)
{
    char link[512], target[256];
    const char *slash;
    ssize_t n;

    snprintf(link, sizeof(link), "%s/driver", devdir);
    n = readlink(link, target, sizeof(target) - 1);
    buf[0] = '\0';
    if (n <= 0)
        return;
    target[n] = '\0';
    slash = strrchr(target, '/');
    snprintf(buf, len, "%s", slash ? slash + 1 : target);
}
