/* One way to replace a state file (file_replace.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/util/file_replace.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int file_replace(const char *path, const void *buf, size_t len, mode_t mode)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if (!*path)
        return -ENOENT;
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return -errno;
    rc = fchmod(fd, mode) ? -errno : write_all(fd, buf, len);
    if (!rc && fsync(fd))
        rc = -errno;
    if (close(fd) && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path))
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}
