/* The guest-visible state journal: $PCIPT_RUN_DIR/serve/dom<D>.state, a
 * small file the daemon maps MAP_SHARED and writes at every access that
 * changes a device's emulated state (a memcpy, no system call), before the
 * access completes.  xenstore gets a copy at most every STATE_FLUSH_MS
 * (daemon_xs.c), off the access path: a daemon killed in between leaves the
 * newest state here (the pages outlive the process), and the next daemon
 * takes it over from here (docs/design/daemon.md "Guest state").
 *
 * Each device has two copies; a write goes to the older one and is valid
 * once its closing sequence number matches its opening one, so a daemon
 * killed in the middle of a write leaves the other, complete copy.  The
 * header names the domain (its `vm` node, as the run-dir server record does)
 * so that a domid reused by another domain never gets this state.  A slot is
 * used only when xenstore also has the device's state (daemon_devs.c): a
 * device detached while no daemon ran has none, and starts afresh. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/daemon/daemon.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs_watch.h"

#define SJ_MAGIC 0x4c4e524a54535050ull     /* "PPSTJRNL" */
#define SJ_VERSION 1

struct sj_copy {
    uint64_t seq;                 /* opening: 0 while being written */
    struct vdev_state st;
    uint64_t seq_end;             /* closing: == seq once complete */
};

struct sj_slot {
    uint32_t used;
    struct sbdf host;
    struct sj_copy c[2];
};

struct state_journal {
    uint64_t magic;
    uint32_t version, size;
    char vm[128];
    uint64_t seq;                 /* last sequence number handed out */
    struct sj_slot slot[PCIPT_MAX_DEVS];
};

static int journal_path(uint32_t domid, char *path, size_t len)
{
    if ((size_t)snprintf(path, len, "%s/serve/dom%" PRIu32 ".state", domlock_run_dir(),
                         domid) >= len)
        return -ENAMETOOLONG;
    return 0;
}

static void domain_vm(struct daemon *d, char *vm, size_t len)
{
    char path[64], *v;

    snprintf(path, sizeof(path), "/local/domain/%u/vm", d->domid);
    v = d->xs ? xsw_read(d->xs, XBT_NULL, path) : NULL;
    snprintf(vm, len, "%s", v && strlen(v) < len ? v : "");
    free(v);
}

static int journal_open(struct daemon *d)
{
    char path[4096], dir[4096], err[256], vm[128];
    struct state_journal *j;
    struct stat sb;
    int fd, rc;

    if ((rc = journal_path(d->domid, path, sizeof(path))) ||
        (rc = domlock_make_run_dir(err, sizeof(err))))
        return rc;
    snprintf(dir, sizeof(dir), "%s/serve", domlock_run_dir());
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -errno;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) || (sb.st_size != (off_t)sizeof(*j) && ftruncate(fd, 0)) ||
        ftruncate(fd, sizeof(*j))) {
        rc = -errno;
        close(fd);
        return rc;
    }
    j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (j == MAP_FAILED)
        return -errno;
    domain_vm(d, vm, sizeof(vm));
    if (j->magic != SJ_MAGIC || j->version != SJ_VERSION || j->size != sizeof(*j) ||
        strncmp(j->vm, vm, sizeof(j->vm))) {
        memset(j, 0, sizeof(*j));          /* new, or another domain's: start empty */
        snprintf(j->vm, sizeof(j->vm), "%s", vm);
        j->version = SJ_VERSION;
        j->size = sizeof(*j);
        __atomic_store_n(&j->magic, SJ_MAGIC, __ATOMIC_RELEASE);
    }
    d->journal = j;
    return 0;
}

static struct state_journal *journal(struct daemon *d)
{
    int rc;

    if (!d->journal && !d->journal_tried) {
        d->journal_tried = true;
        if ((rc = journal_open(d)))
            log_warn("dom%u: no state journal in %s/serve (%s): a daemon killed within "
                     "%d ms of a guest's change loses it", d->domid, domlock_run_dir(),
                     strerror(-rc), STATE_FLUSH_MS);
    }
    return d->journal;
}

static struct sj_slot *find_slot(struct state_journal *j, const struct sbdf *host, bool add)
{
    struct sj_slot *free_slot = NULL;

    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct sj_slot *s = &j->slot[i];
        if (s->used && sbdf_equal(&s->host, host))
            return s;
        if (!s->used && !free_slot)
            free_slot = s;
    }
    if (add && free_slot) {
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->host = *host;
        __atomic_store_n(&free_slot->used, 1, __ATOMIC_RELEASE);
    }
    return add ? free_slot : NULL;
}

static bool copy_valid(const struct sj_copy *c)
{
    return c->seq && c->seq == c->seq_end;
}

void daemon_journal_put(struct daemon *d, const struct sbdf *host, const struct vdev_state *st)
{
    struct state_journal *j = journal(d);
    struct sj_slot *s = j ? find_slot(j, host, true) : NULL;
    struct sj_copy *c;

    if (!s)
        return;
    /* the older (or invalid) copy; the newer one stays intact meanwhile */
    c = !copy_valid(&s->c[0]) ? &s->c[0] : !copy_valid(&s->c[1]) ? &s->c[1]
        : s->c[0].seq < s->c[1].seq ? &s->c[0] : &s->c[1];
    __atomic_store_n(&c->seq_end, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->seq, 0, __ATOMIC_RELEASE);
    memcpy(&c->st, st, sizeof(*st));
    uint64_t n = ++j->seq;
    __atomic_store_n(&c->seq, n, __ATOMIC_RELEASE);
    __atomic_store_n(&c->seq_end, n, __ATOMIC_RELEASE);
}

bool daemon_journal_get(struct daemon *d, const struct sbdf *host, struct vdev_state *st)
{
    struct state_journal *j = journal(d);
    struct sj_slot *s = j ? find_slot(j, host, false) : NULL;
    const struct sj_copy *best = NULL;

    for (unsigned k = 0; s && k < 2; k++)
        if (copy_valid(&s->c[k]) && (!best || s->c[k].seq > best->seq))
            best = &s->c[k];
    if (best)
        memcpy(st, &best->st, sizeof(*st));
    return best != NULL;
}

void daemon_journal_drop(struct daemon *d, const struct sbdf *host)
{
    struct state_journal *j = d->journal;
    struct sj_slot *s = j ? find_slot(j, host, false) : NULL;

    if (s)
        __atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
}

void daemon_journal_close(struct daemon *d, bool remove)
{
    char path[4096];

    if (d->journal)
        munmap(d->journal, sizeof(*d->journal));
    d->journal = NULL;
    if (remove && journal_path(d->domid, path, sizeof(path)) == 0 && unlink(path) &&
        errno != ENOENT)
        log_warn("dom%u: cannot remove %s: %s", d->domid, path, strerror(errno));
}
