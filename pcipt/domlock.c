/* Per-domain toolstack lock (see domlock.h). */
#include "pcipt/domlock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *run_dir(void)
{
    const char *d = getenv(DOMLOCK_ENV);
    return d && d[0] ? d : DOMLOCK_RUN_DIR_DEFAULT;
}

/* mkdir 0700 unless it exists (as a directory). */
static int make_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (mkdir(path, 0700) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    int rc = errno == EEXIST ? -ENOTDIR : -errno;
    snprintf(err, errlen, "cannot create the lock directory %s: %s", path, strerror(-rc));
    return rc;
}

int domlock_acquire(uint32_t domid, char *err, size_t errlen)
{
    char dir[4096], path[4096 + 32];
    int fd, rc;

    if ((size_t)snprintf(dir, sizeof(dir), "%s/lock", run_dir()) >= sizeof(dir)) {
        snprintf(err, errlen, "lock directory name from $%s is too long", DOMLOCK_ENV);
        return -ENAMETOOLONG;
    }
    if ((rc = make_dir(run_dir(), err, errlen)) || (rc = make_dir(dir, err, errlen)))
        return rc;
    snprintf(path, sizeof(path), "%s/dom%" PRIu32, dir, domid);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot open the lock file %s of domain %" PRIu32 ": %s", path,
                 domid, strerror(-rc));
        return rc;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        rc = -errno;
        snprintf(err, errlen, "cannot lock %s for domain %" PRIu32 ": %s", path, domid,
                 strerror(-rc));
        close(fd);
        return rc;
    }
    return fd;
}

void domlock_release(int fd)
{
    if (fd >= 0)
        close(fd);      /* drops the flock */
}
