/* The simulator's shared state file: creation, mapping, locking, reset,
 * failure injection. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/log.h"
#include "pcipt/sim/sim_state.h"

static int mkdir_p(const char *dir)
{
    char buf[256];
    if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0700) && errno != EEXIST)
        return -errno;
    return 0;
}

static int init_mutex(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return -rc;
}

/* dom0 may access all iomem by default (tests may restrict it). */
static void dom0_init(struct sim_domain *d)
{
    memset(d, 0, sizeof(*d));
    d->used = 1;
    d->domid = 0;
    d->nr_vcpus = 1;
    rs_init(&d->perms, SIM_PERM_CAP);
    rs_add(&d->perms, 0, (1ull << (SIM_PADDR_BITS - HV_PAGE_SHIFT)) - 1);
}

static int state_init(struct sim_state *st)
{
    memset(st, 0, sizeof(*st));
    int rc = init_mutex(&st->lock);
    if (rc)
        return rc;
    dom0_init(&st->domains[0]);
    st->version = SIM_STATE_VERSION;
    st->size = sizeof(*st);
    __atomic_store_n(&st->magic, SIM_STATE_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

static const char *dir_from_env(void)
{
    const char *d = getenv(SIM_DIR_ENV);
    return d && *d ? d : SIM_DIR_DEFAULT;
}

int sim_state_open(struct hv_sim *s, char *err, size_t errlen)
{
    const char *dir = dir_from_env();
    char path[300];
    if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir)) {
        snprintf(err, errlen, "simulator directory %s: path too long", dir);
        return -ENAMETOOLONG;
    }
    int rc = mkdir_p(dir);
    if (rc) {
        snprintf(err, errlen, "cannot create simulator directory %s: %s", dir, strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof(path), "%s/state", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX)) {
        rc = -errno;
        snprintf(err, errlen, "cannot open simulator state %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    struct stat sb;
    bool fresh = fstat(fd, &sb) == 0 && sb.st_size != (off_t)sizeof(struct sim_state);
    if (fresh && ftruncate(fd, 0) == 0 && ftruncate(fd, sizeof(struct sim_state)) != 0)
        fresh = false;
    void *p = mmap(NULL, sizeof(struct sim_state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rc = -errno;
        snprintf(err, errlen, "cannot map simulator state %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    s->st = p;
    if (fresh || s->st->magic != SIM_STATE_MAGIC || s->st->version != SIM_STATE_VERSION ||
        s->st->size != sizeof(struct sim_state))
        rc = state_init(s->st);
    flock(fd, LOCK_UN);
    s->state_fd = fd;
    if (rc) {
        snprintf(err, errlen, "cannot initialise simulator state %s: %s", path, strerror(-rc));
        sim_state_close(s);
    }
    return rc;
}

void sim_state_close(struct hv_sim *s)
{
    if (s->st)
        munmap(s->st, sizeof(struct sim_state));
    if (s->state_fd >= 0)
        close(s->state_fd);
    s->st = NULL;
    s->state_fd = -1;
}

/* A holder killed mid-operation leaves the mutex EOWNERDEAD: take it over.
 * Every operation leaves the state consistent at each store that matters
 * (bookkeeping before publication), so it is usable as is. */
void sim_lock(struct hv_sim *s)
{
    int rc = pthread_mutex_lock(&s->st->lock);
    if (rc == EOWNERDEAD) {
        log_warn("sim: previous holder of the state lock died; recovering");
        pthread_mutex_consistent(&s->st->lock);
    }
}

void sim_unlock(struct hv_sim *s) { pthread_mutex_unlock(&s->st->lock); }

struct sim_domain *sim_domain_find(struct sim_state *st, uint32_t domid)
{
    for (unsigned i = 0; i < SIM_MAX_DOMAINS; i++)
        if (st->domains[i].used && st->domains[i].domid == domid)
            return &st->domains[i];
    return NULL;
}

int sim_page_path(const struct hv_sim *s, uint32_t domid, unsigned id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/ioreq-d%u-s%u", s->dir, domid, id);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sim_sock_path(const struct hv_sim *s, unsigned handle, uint32_t serial, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/evtchn-%u-%u", s->dir, handle, serial);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void sim_state_reset_locked(struct hv_sim *s)
{
    struct sim_state *st = s->st;
    for (unsigned i = SIM_MAX_DOMAINS; i-- > 0;) {
        struct sim_domain *d = &st->domains[i];
        if (!d->used)
            continue;
        for (unsigned id = 0; id < SIM_MAX_SERVERS; id++)
            if (d->servers[id].used)
                sim_server_teardown_locked(s, d, id);
        sim_domain_ports_close_locked(s, d);
        memset(d, 0, sizeof(*d));
    }
    memset(st->fails, 0, sizeof(st->fails));
    memset(st->pdevs, 0, sizeof(st->pdevs));
    st->smmu_faults = 0;
    dom0_init(&st->domains[0]);
}

static bool fail_hits(struct sim_fail *f, const char *op)
{
    if (!f->countdown || strcmp(f->op, op) != 0)
        return false;
    return --f->countdown == 0;
}

void sim_fail_after(struct hv_sim *s)
{
    if (s->kill_after)
        raise(SIGKILL);
}

int sim_fail_check(struct hv_sim *s, const char *op)
{
    if (fail_hits(&s->env_fail, op)) {
        if (s->env_fail.err == SIM_FAIL_KILL) {
            s->kill_after = true;
            return 0;
        }
        return -s->env_fail.err;
    }
    for (unsigned i = 0; i < SIM_MAX_FAILS; i++) {
        struct sim_fail *f = &s->st->fails[i];
        if (fail_hits(f, op)) {
            int err = f->err;
            memset(f, 0, sizeof(*f));
            return -err;
        }
    }
    return 0;
}
