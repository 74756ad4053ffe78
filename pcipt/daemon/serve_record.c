/* The daemon's IOREQ server record in the run dir (see domlock.h):
 * $PCIPT_RUN_DIR/serve/dom<D>.server, two lines "server=ID" and "vm=PATH". */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/util/file_replace.h"

#define RECORD_MAX 512

static int record_path(uint32_t domid, char *path, size_t len)
{
    if ((size_t)snprintf(path, len, "%s/serve/dom%" PRIu32 ".server", domlock_run_dir(),
                         domid) >= len)
        return -ENAMETOOLONG;
    return 0;
}

int serve_record_write(uint32_t domid, const struct serve_record *r)
{
    char path[4096], dir[4096], err[256], buf[RECORD_MAX];
    int n, rc;

    if (strchr(r->vm, '\n'))
        return -EINVAL;
    if ((rc = record_path(domid, path, sizeof(path))) ||
        (rc = domlock_make_run_dir(err, sizeof(err))))
        return rc;
    snprintf(dir, sizeof(dir), "%s/serve", domlock_run_dir());
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -errno;
    n = snprintf(buf, sizeof(buf), "server=%u\nvm=%s\n", r->server_id, r->vm);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    return file_replace(path, buf, (size_t)n, 0600);
}

/* "server=N\nvm=PATH\n", nothing else. */
static int parse(char *buf, struct serve_record *r)
{
    char *vm, *end, *nl;
    unsigned long id;

    if (strncmp(buf, "server=", 7) || buf[7] < '0' || buf[7] > '9')
        return -EINVAL;
    errno = 0;
    id = strtoul(buf + 7, &end, 10);
    if (errno || end == buf + 7 || id > UINT16_MAX || strncmp(end, "\nvm=", 4))
        return -EINVAL;
    vm = end + 4;
    if (!(nl = strchr(vm, '\n')) || nl[1] != '\0' || (size_t)(nl - vm) >= sizeof(r->vm))
        return -EINVAL;
    *nl = '\0';
    r->server_id = (uint16_t)id;
    memcpy(r->vm, vm, (size_t)(nl - vm) + 1);
    return 0;
}

int serve_record_read(uint32_t domid, struct serve_record *r)
{
    char path[4096], buf[RECORD_MAX];
    ssize_t n;
    int fd, rc;

    memset(r, 0, sizeof(*r));
    if ((rc = record_path(domid, path, sizeof(path))))
        return rc;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EINVAL;
    buf[n] = '\0';
    return parse(buf, r);
}

int serve_record_remove(uint32_t domid)
{
    char path[4096];
    int rc;

    if ((rc = record_path(domid, path, sizeof(path))))
        return rc;
    if (unlink(path) && errno != ENOENT)
        return -errno;
    /* the state journal next to it (state_journal.c) goes with the server */
    snprintf(path, sizeof(path), "%s/serve/dom%" PRIu32 ".state", domlock_run_dir(), domid);
    return unlink(path) && errno != ENOENT ? -errno : 0;
}
