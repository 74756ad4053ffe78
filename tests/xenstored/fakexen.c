/*
 * fakexen.c - LD_PRELOAD shim that lets Debian's *real* xenstored
 * (/usr/lib/xen-4.17/bin/xenstored, C) -- and optionally oxenstored --
 * run on a machine without a Xen hypervisor, serving clients only over
 * its unix socket.
 *
 * It replaces the few hypervisor-facing calls the daemon makes at start-up
 * and during operation:
 *
 *   libxenctrl   xc_interface_open/close, xc_domain_getinfo(list),
 *                xc_domain_getinfo_single (4.18+)
 *                -> a dummy handle; "domain exists" answers driven by
 *                   $FAKEXEN_DOMAINS (default: every domid < 0x7FF0 exists)
 *   libxengnttab xengnttab_open/close/set_max_grants/map_grant_ref/unmap
 *                -> map_grant_ref hands out a private zeroed page, so
 *                   XS_INTRODUCE of fake guests works too
 *   libxenevtchn xenevtchn_open/fdopen/close/fd/bind_* /notify/unbind/
 *                pending/unmask -> an eventfd that never fires
 *   open()       /proc/xen/xsd_port -> memfd containing "1"
 *                /proc/xen/xsd_kva  -> memfd of one page (dom0 "ring")
 *   setrlimit()  (oxenstored only) RLIMIT_NOFILE above the hard limit is
 *                clamped to the hard limit instead of failing with EPERM
 *   open()/bind()/unlink()/chmod()/rename()/mkdir() (oxenstored only):
 *                if $FAKEXEN_RUNDIR is set, paths under the compiled-in
 *                /var/run/xenstored (socket, db dump) are redirected there
 *   xc_map_foreign_range (oxenstored XS_INTRODUCE) -> private zeroed page
 *
 * Nothing else of the daemon is touched: the store, transactions,
 * watches, permissions, quotas are the real code.
 *
 * pcipt: copied from the project's testbed (shared/testbed/xenstored); built
 * by the Makefile as build/tests/fakexen.so, used by tests/support/xenstored_fx.c
 * and tests/xenstored/xenstored-test.sh.
 *
 * Build:  gcc -shared -fPIC -O2 -Wall -o fakexen.so fakexen.c -ldl
 * Use:    XENSTORED_RUNDIR=$dir XENSTORED_PATH=$dir/socket \
 *         LD_PRELOAD=$PWD/fakexen.so /usr/lib/xen-4.17/bin/xenstored -N
 *         (no -D: -D is broken in 4.17 and removed in 4.19)
 * Env:    FAKEXEN_DOMAINS=all|0,1,5   which domids "exist" (default all)
 *         FAKEXEN_DEBUG=1             log interceptions to stderr
 *         FAKEXEN_RUNDIR=dir          (oxenstored) redirect /var/run/xenstored
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define DOMID_FIRST_RESERVED_ 0x7FF0U

static const char *redirect_path(const char *path, char *buf, size_t len);

static int debug_on(void)
{
    static int v = -1;
    if (v < 0) {
        const char *s = getenv("FAKEXEN_DEBUG");
        v = (s && *s && *s != '0');
    }
    return v;
}
#define dbg(...) do { if (debug_on()) { fprintf(stderr, "fakexen: " __VA_ARGS__); } } while (0)

/* ------------------------------------------------------------------ */
/* domain existence                                                    */
/* ------------------------------------------------------------------ */

/* $FAKEXEN_DOMAINS: "all" (default) or comma separated list of domids,
 * e.g. "0,1,2".  Domain 0 always exists. */
static int domain_exists(uint32_t domid)
{
    const char *s = getenv("FAKEXEN_DOMAINS");
    if (domid == 0)
        return 1;
    if (domid >= DOMID_FIRST_RESERVED_)
        return 0;
    if (!s || !*s || !strcmp(s, "all"))
        return 1;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 0);
        if (end == s)
            break;
        if (v == domid)
            return 1;
        s = end;
        while (*s == ',' || *s == ' ')
            s++;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* libxenctrl                                                          */
/* ------------------------------------------------------------------ */

static int xc_dummy;

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    (void)logger; (void)dombuild_logger; (void)open_flags;
    dbg("xc_interface_open\n");
    return (xc_interface *)&xc_dummy;
}

int xc_interface_close(xc_interface *xch)
{
    (void)xch;
    return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                      unsigned int max_doms, xc_dominfo_t *info)
{
    (void)xch;
    if (!max_doms || !domain_exists(first_domid))
        return 0;
    memset(info, 0, sizeof(*info));
    info->domid = first_domid;
    info->running = 1;
    info->max_vcpu_id = 0;
    info->nr_online_vcpus = 1;
    dbg("xc_domain_getinfo(%u) -> exists\n", first_domid);
    return 1;
}

/* 4.18+ xenstored uses this one instead of xc_domain_getinfo() */
int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid,
                             xc_domaininfo_t *info);
int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid,
                             xc_domaininfo_t *info)
{
    (void)xch;
    if (!domain_exists(domid)) {
        errno = ESRCH;
        return -1;
    }
    if (info) {
        memset(info, 0, sizeof(*info));
        info->domain = domid;
        info->flags = XEN_DOMINF_running;
    }
    return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
    (void)xch;
    if (!max_domains || !domain_exists(first_domain))
        return 0;
    memset(info, 0, sizeof(*info));
    info->domain = first_domain;
    info->flags = XEN_DOMINF_running;
    return 1;
}

/* oxenstored maps a guest's ring with this (XS_INTRODUCE); no longer
 * declared by the public headers. */
void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size,
                           int prot, unsigned long mfn);
void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size,
                           int prot, unsigned long mfn)
{
    void *p;
    (void)xch; (void)prot; (void)mfn;
    p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    dbg("xc_map_foreign_range(dom %u) -> %p\n", dom, p);
    return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* libxengnttab                                                        */
/* ------------------------------------------------------------------ */

static int xgt_dummy;

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
                                 unsigned open_flags)
{
    (void)logger; (void)open_flags;
    dbg("xengnttab_open\n");
    return (xengnttab_handle *)&xgt_dummy;
}

int xengnttab_close(xengnttab_handle *xgt)
{
    (void)xgt;
    return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    (void)xgt; (void)nr_grants;
    return 0;
}

/* A guest "ring page": private zeroed memory.  req_prod == req_cons, so the
 * daemon never sees requests from it -- it just exists. */
void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
                              uint32_t ref, int prot)
{
    void *p;
    (void)xgt; (void)ref; (void)prot;
    p = mmap(NULL, (size_t)getpagesize(), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    dbg("xengnttab_map_grant_ref(dom %u) -> %p\n", domid, p);
    return p == MAP_FAILED ? NULL : p;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
                    uint32_t count)
{
    (void)xgt;
    return munmap(start_address, (size_t)count * (size_t)getpagesize());
}

/* ------------------------------------------------------------------ */
/* libxenevtchn                                                        */
/* ------------------------------------------------------------------ */

struct fake_evtchn {
    int fd;          /* eventfd, never signalled */
    int next_port;
};

static xenevtchn_handle *evtchn_new(int fd)
{
    struct fake_evtchn *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->fd = fd;
    h->next_port = 10;
    return (xenevtchn_handle *)h;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                 unsigned open_flags)
{
    int fd;
    (void)logger;
    fd = eventfd(0, EFD_NONBLOCK |
                 ((open_flags & XENEVTCHN_NO_CLOEXEC) ? 0 : EFD_CLOEXEC));
    if (fd < 0)
        return NULL;
    dbg("xenevtchn_open -> fd %d\n", fd);
    return evtchn_new(fd);
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
                                   int fd, unsigned open_flags)
{
    (void)logger; (void)open_flags;
    return evtchn_new(fd);
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    struct fake_evtchn *h = (struct fake_evtchn *)xce;
    if (!h)
        return 0;
    close(h->fd);
    free(h);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return ((struct fake_evtchn *)xce)->fd;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

xenevtchn_port_or_error_t
xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    (void)domid;
    return ((struct fake_evtchn *)xce)->next_port++;
}

xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                           evtchn_port_t remote_port)
{
    (void)domid; (void)remote_port;
    return ((struct fake_evtchn *)xce)->next_port++;
}

xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    (void)virq;
    return ((struct fake_evtchn *)xce)->next_port++;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint64_t v;
    /* never signalled; drain defensively */
    if (read(((struct fake_evtchn *)xce)->fd, &v, sizeof(v)) < 0) {
        errno = EAGAIN;
        return -1;
    }
    return -1;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

/* ------------------------------------------------------------------ */
/* /proc/xen/xsd_port, /proc/xen/xsd_kva                               */
/* ------------------------------------------------------------------ */

static int fake_proc_file(const char *path)
{
    int fd;

    if (!strcmp(path, "/proc/xen/xsd_port")) {
        static const char port[] = "1\n";
        fd = memfd_create("fakexen-xsd_port", MFD_CLOEXEC);
        if (fd < 0)
            return -1;
        if (write(fd, port, sizeof(port) - 1) != (ssize_t)sizeof(port) - 1 ||
            lseek(fd, 0, SEEK_SET) != 0) {
            close(fd);
            return -1;
        }
        dbg("open(%s) -> memfd %d\n", path, fd);
        return fd;
    }
    if (!strcmp(path, "/proc/xen/xsd_kva")) {
        fd = memfd_create("fakexen-xsd_kva", MFD_CLOEXEC);
        if (fd < 0)
            return -1;
        if (ftruncate(fd, getpagesize()) != 0) {
            close(fd);
            return -1;
        }
        dbg("open(%s) -> memfd %d\n", path, fd);
        return fd;
    }
    return -2;
}

typedef int (*open_fn)(const char *, int, ...);

int open(const char *path, int flags, ...)
{
    static open_fn real_open;
    mode_t mode = 0;
    int fd;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (!strncmp(path, "/proc/xen/", 10)) {
        fd = fake_proc_file(path);
        if (fd != -2)
            return fd;
    }
    if (!real_open)
        real_open = (open_fn)dlsym(RTLD_NEXT, "open");
    {
        char buf[4096];
        return real_open(redirect_path(path, buf, sizeof(buf)), flags, mode);
    }
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return open(path, flags, mode);
}

/* ------------------------------------------------------------------ */
/* oxenstored helpers                                                  */
/* ------------------------------------------------------------------ */

typedef int (*setrlimit_fn)(__rlimit_resource_t, const struct rlimit *);

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
    static setrlimit_fn real_setrlimit;
    struct rlimit cur, clamped;
    int rc;

    if (!real_setrlimit)
        real_setrlimit = (setrlimit_fn)dlsym(RTLD_NEXT, "setrlimit");
    rc = real_setrlimit(res, rl);
    if (rc == 0 || errno != EPERM || res != RLIMIT_NOFILE)
        return rc;
    if (getrlimit(RLIMIT_NOFILE, &cur) != 0)
        return rc;
    clamped = *rl;
    if (clamped.rlim_max > cur.rlim_max)
        clamped.rlim_max = cur.rlim_max;
    if (clamped.rlim_cur > clamped.rlim_max)
        clamped.rlim_cur = clamped.rlim_max;
    dbg("setrlimit(NOFILE, %lu) -> clamped to %lu\n",
        (unsigned long)rl->rlim_cur, (unsigned long)clamped.rlim_cur);
    return real_setrlimit(res, &clamped);
}

/* oxenstored has /var/run/xenstored compiled in (socket, db dump written on
 * SIGTERM).  With $FAKEXEN_RUNDIR set, paths below it are redirected. */
static const char *redirect_path(const char *path, char *buf, size_t len)
{
    static const char *const prefixes[] = { "/var/run/xenstored",
                                            "/run/xenstored" };
    const char *target = getenv("FAKEXEN_RUNDIR");
    size_t i;

    if (!target || !*target || !path)
        return path;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(path, prefixes[i], n) &&
            (path[n] == '/' || path[n] == 0)) {
            if ((size_t)snprintf(buf, len, "%s%s", target, path + n) >= len)
                return path;
            dbg("redirect %s -> %s\n", path, buf);
            return buf;
        }
    }
    return path;
}

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*unlink_fn)(const char *);
typedef int (*chmod_fn)(const char *, mode_t);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*mkdir_fn)(const char *, mode_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static bind_fn real_bind;
    if (!real_bind)
        real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    if (addr && addr->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
        char buf[sizeof(un->sun_path) + 1];
        const char *to = redirect_path(un->sun_path, buf, sizeof(buf));
        if (to != un->sun_path) {
            struct sockaddr_un n;
            if (strlen(to) >= sizeof(n.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
            }
            memset(&n, 0, sizeof(n));
            n.sun_family = AF_UNIX;
            strcpy(n.sun_path, to);
            return real_bind(fd, (struct sockaddr *)&n, sizeof(n));
        }
    }
    return real_bind(fd, addr, len);
}

int unlink(const char *path)
{
    static unlink_fn real_unlink;
    char buf[4096];
    if (!real_unlink)
        real_unlink = (unlink_fn)dlsym(RTLD_NEXT, "unlink");
    return real_unlink(redirect_path(path, buf, sizeof(buf)));
}

int chmod(const char *path, mode_t mode)
{
    static chmod_fn real_chmod;
    char buf[4096];
    if (!real_chmod)
        real_chmod = (chmod_fn)dlsym(RTLD_NEXT, "chmod");
    return real_chmod(redirect_path(path, buf, sizeof(buf)), mode);
}

int rename(const char *from, const char *to)
{
    static rename_fn real_rename;
    char b1[4096], b2[4096];
    if (!real_rename)
        real_rename = (rename_fn)dlsym(RTLD_NEXT, "rename");
    return real_rename(redirect_path(from, b1, sizeof(b1)),
                       redirect_path(to, b2, sizeof(b2)));
}

int mkdir(const char *path, mode_t mode)
{
    static mkdir_fn real_mkdir;
    char buf[4096];
    if (!real_mkdir)
        real_mkdir = (mkdir_fn)dlsym(RTLD_NEXT, "mkdir");
    return real_mkdir(redirect_path(path, buf, sizeof(buf)), mode);
}
