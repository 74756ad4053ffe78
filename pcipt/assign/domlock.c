/* Per-domain toolstack lock (see domlock.h). */
#include "pcipt/assign/domlock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *domlock_run_dir(void)
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

int domlock_make_run_dir(char *err, size_t errlen)
{
    return make_dir(domlock_run_dir(), err, errlen);
}

/* flock LOCK_EX on $PCIPT_RUN_DIR/lock/NAME (created 0600, never through a
 * link); what names the lock in messages ("domain 5", "0000:01:00.0").
 * The fd, or -errno + err. */
static int lock_named(const char *name, const char *what, char *err, size_t errlen)
{
    char dir[4096], path[4096 + 32];
    int fd, rc;

    if ((size_t)snprintf(dir, sizeof(dir), "%s/lock", domlock_run_dir()) >= sizeof(dir)) {
        snprintf(err, errlen, "lock directory name from $%s is too long", DOMLOCK_ENV);
        return -ENAMETOOLONG;
    }
    if ((rc = make_dir(domlock_run_dir(), err, errlen)) || (rc = make_dir(dir, err, errlen)))
        return rc;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot open the lock file %s of %s: %s", path, what,
                 strerror(-rc));
        return rc;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        rc = -errno;
        snprintf(err, errlen, "cannot lock %s for %s: %s", path, what, strerror(-rc));
        close(fd);
        return rc;
    }
    return fd;
}

int domlock_acquire(uint32_t domid, char *err, size_t errlen)
{
    char name[32], what[32];

    snprintf(name, sizeof(name), "dom%" PRIu32, domid);
    snprintf(what, sizeof(what), "domain %" PRIu32, domid);
    return lock_named(name, what, err, errlen);
}

int devlock_acquire(const struct sbdf *host, char *err, size_t errlen)
{
    char s[SBDF_STR_LEN], name[32];

    sbdf_format(host, s);
    snprintf(name, sizeof(name), "dev-%s", s);
    return lock_named(name, s, err, errlen);
}

void domlock_release(int fd)
{
    if (fd >= 0)
        close(fd);      /* drops the flock */
}

/* $PCIPT_RUN_DIR/serve/dom<D> into path; creates the directories when asked. */
static int serve_path(uint32_t domid, bool create, char *path, size_t len, char *err,
                      size_t errlen)
{
    char dir[4096];
    int rc;

    if ((size_t)snprintf(dir, sizeof(dir), "%s/serve", domlock_run_dir()) >= sizeof(dir)) {
        snprintf(err, errlen, "lock directory name from $%s is too long", DOMLOCK_ENV);
        return -ENAMETOOLONG;
    }
    if (create && ((rc = make_dir(domlock_run_dir(), err, errlen)) || (rc = make_dir(dir, err, errlen))))
        return rc;
    snprintf(path, len, "%s/dom%" PRIu32, dir, domid);
    return 0;
}

static pid_t read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    long pid;
    char *end;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    return (end != buf && pid > 0 && pid < (long)INT32_MAX) ? (pid_t)pid : 0;
}

/* Take the serve lock, or -EBUSY while another process holds it.  A
 * prober (servelock_held) holds a shared lock for an instant, which refuses
 * LOCK_EX as well: a shared lock we can get ourselves tells it apart from a
 * daemon's exclusive one, and we try again. */
static int lock_exclusive(int fd)
{
    const struct timespec ms = { 0, 1000 * 1000 };

    for (int tries = 0; tries < 1000; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return -errno;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0)
            return errno == EWOULDBLOCK ? -EBUSY : -errno;   /* a daemon holds it */
        flock(fd, LOCK_UN);
        nanosleep(&ms, NULL);
    }
    return -EBUSY;
}

int servelock_acquire(uint32_t domid, pid_t *holder, char *err, size_t errlen)
{
    char path[4096 + 32], buf[32];
    int fd, rc, n;

    *holder = 0;
    if ((rc = serve_path(domid, true, path, sizeof(path), err, errlen)))
        return rc;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot open the daemon lock %s: %s", path, strerror(-rc));
        return rc;
    }
    if ((rc = lock_exclusive(fd))) {
        if (rc == -EBUSY)
            *holder = read_pid(fd);
        snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-rc));
        close(fd);
        return rc;
    }
    /* Write first, then cut what a longer old pid left: a reader never
     * finds the file empty (only "NEW\n" followed by old digits, which
     * read_pid stops before). */
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        close(fd);
        return rc;
    }
    return fd;
}

/* A holder that has just taken the lock may not have written its pid yet
 * (only a brand-new file is ever empty: servelock_acquire writes before it
 * truncates): give it a moment, bounded, to do so. */
static pid_t holder_pid(int fd)
{
    const struct timespec ms = { 0, 1000 * 1000 };
    pid_t pid = read_pid(fd);

    for (int i = 0; i < 100 && !pid; i++) {
        nanosleep(&ms, NULL);
        pid = read_pid(fd);
    }
    return pid;
}

bool servelock_held(uint32_t domid, pid_t *pid)
{
    char path[4096 + 32], err[256];
    bool held = false;
    int fd;

    if (pid)
        *pid = 0;
    if (serve_path(domid, false, path, sizeof(path), err, sizeof(err)))
        return false;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return false;
    /* flock(2): a shared lock is refused (EWOULDBLOCK) only while some
     * process holds the exclusive one; the kernel drops it when the holder
     * exits, so a dead daemon (zombie included) never holds it. */
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
        held = true;
        if (pid)
            *pid = holder_pid(fd);
    }
    close(fd);      /* drops our shared lock, if we got it */
    return held;
}

pid_t servelock_holder(uint32_t domid)
{
    pid_t pid;

    return servelock_held(domid, &pid) ? pid : 0;
}
