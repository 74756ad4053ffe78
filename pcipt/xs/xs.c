/* libxenstore wrappers with -errno results, failure injection and
 * transaction retry (see pcipt/xs/xs.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <xenstore_lib.h>

#include "pcipt/xs/xs.h"
#include "pcipt/util/testenv.h"

static unsigned inject_at;      /* fail when ops_done reaches this (0 = never) */
static int inject_errno;
static unsigned long ops_done;
static bool env_checked;

void xsw_inject_fail(unsigned n, int err)
{
    env_checked = true;         /* an explicit call overrides the environment */
    ops_done = 0;
    inject_at = n;
    inject_errno = err ? err : EIO;
}

unsigned long xsw_ops(void)
{
    return ops_done;
}

/* PCIPT_XS_FAIL="n:errno" (errno as a number, e.g. "3:5" for EIO). */
static void check_env(void)
{
    const char *s = test_env("PCIPT_XS_FAIL");
    unsigned n;
    int e;

    env_checked = true;
    if (s && sscanf(s, "%u:%d", &n, &e) == 2 && e > 0)
        xsw_inject_fail(n, e);
}

/* Count one operation; true (errno set) when it must fail. */
static bool injected(void)
{
    if (!env_checked)
        check_env();
    ops_done++;
    if (inject_at && ops_done == inject_at) {
        errno = inject_errno;
        return true;
    }
    return false;
}

static int neg_errno(void)
{
    return errno ? -errno : -EIO;
}

struct xs_handle *xsw_open(void)
{
    if (injected())
        return NULL;
    return xs_open(0);
}

void xsw_close(struct xs_handle *xs)
{
    if (xs)
        xs_close(xs);
}

const char *xsw_socket_path(void)
{
    const char *p = getenv("XENSTORED_PATH");
    return p && *p ? p : xs_daemon_socket();
}

char *xsw_read(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    unsigned len;
    char *v;

    if (injected())
        return NULL;
    v = xs_read(xs, t, path, &len);
    if (v && strlen(v) != len) {         /* embedded NUL: not a string */
        free(v);
        errno = EILSEQ;
        return NULL;
    }
    return v;
}

int xsw_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *val)
{
    if (injected())
        return neg_errno();
    return xs_write(xs, t, path, val, (unsigned)strlen(val)) ? 0 : neg_errno();
}

int xsw_printf(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt, ...)
{
    char buf[XSW_PATH_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    return xsw_write(xs, t, path, buf);
}

int xsw_mkdir(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    if (injected())
        return neg_errno();
    return xs_mkdir(xs, t, path) ? 0 : neg_errno();
}

int xsw_rm(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    if (injected())
        return neg_errno();
    if (xs_rm(xs, t, path) || errno == ENOENT)
        return 0;
    /* xenstored 4.17 answers EIO to an rm in a transaction when the node,
     * as the transaction saw it, lists a child another connection removed
     * since (rm_node's walk_node_tree finds it missing, logs "corrupt").
     * The transaction is stale and its commit would fail with EAGAIN: say
     * that, so xsw_transact runs the body again on the current store. */
    if (errno == EIO && t != XBT_NULL)
        return -EAGAIN;
    return neg_errno();
}

char **xsw_directory(struct xs_handle *xs, xs_transaction_t t, const char *path, unsigned *num)
{
    *num = 0;
    if (injected())
        return NULL;
    return xs_directory(xs, t, path, num);
}

int xsw_set_dom0_only(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    /* One entry: owner 0, "others" get XS_PERM_NONE ("n0"). */
    struct xs_permissions p = { .id = 0, .perms = XS_PERM_NONE };

    if (injected())
        return neg_errno();
    return xs_set_permissions(xs, t, path, &p, 1) ? 0 : neg_errno();
}

struct xs_permissions *xsw_get_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
                                     unsigned *num)
{
    *num = 0;
    if (injected())
        return NULL;
    return xs_get_permissions(xs, t, path, num);
}

static int trans_start(struct xs_handle *xs, xs_transaction_t *t)
{
    if (injected())
        return neg_errno();
    *t = xs_transaction_start(xs);
    return *t == XBT_NULL ? neg_errno() : 0;
}

static int trans_commit(struct xs_handle *xs, xs_transaction_t t)
{
    if (injected()) {
        int rc = neg_errno();
        xs_transaction_end(xs, t, true);   /* nothing of it may remain */
        return rc;
    }
    return xs_transaction_end(xs, t, false) ? 0 : neg_errno();
}

static void trans_abort(struct xs_handle *xs, xs_transaction_t t)
{
    int saved = errno;

    if (!env_checked)
        check_env();
    ops_done++;
    xs_transaction_end(xs, t, true);
    errno = saved;
}

int xsw_transact(struct xs_handle *xs, xsw_body_fn body, void *arg)
{
    for (int tries = 0; tries < XSW_RETRIES; tries++) {
        xs_transaction_t t;
        int rc = trans_start(xs, &t);

        if (rc == -EAGAIN)
            continue;
        if (rc)
            return rc;
        rc = body(xs, t, arg);
        if (rc) {
            trans_abort(xs, t);
            if (rc == -EAGAIN)      /* a read saw a conflicting commit */
                continue;
            return rc;
        }
        rc = trans_commit(xs, t);
        if (rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

/* A read-only body that fails may have failed because another
 * connection's commit landed between two of its reads (a subtree removed
 * under it): xenstored records what a transaction read, so committing tells
 * whether the snapshot was consistent.  EAGAIN -> read again; otherwise the
 * body's error stands.  (Committing is safe only because the body wrote
 * nothing.) */
int xsw_transact_read(struct xs_handle *xs, xsw_body_fn body, void *arg)
{
    for (int tries = 0; tries < XSW_RETRIES; tries++) {
        xs_transaction_t t;
        int rc = trans_start(xs, &t), crc;

        if (rc == -EAGAIN)
            continue;
        if (rc)
            return rc;
        rc = body(xs, t, arg);
        crc = trans_commit(xs, t);
        if (crc == -EAGAIN || rc == -EAGAIN)
            continue;
        return rc ? rc : crc;
    }
    return -EAGAIN;
}

int xsw_watch(struct xs_handle *xs, const char *path, const char *token)
{
    if (injected())
        return neg_errno();
    return xs_watch(xs, path, token) ? 0 : neg_errno();
}

void xsw_unwatch(struct xs_handle *xs, const char *path, const char *token)
{
    int saved = errno;

    (void)xs_unwatch(xs, path, token);
    errno = saved;
}

/* Consume every queued event; true if there was one. */
static bool drain_watch(struct xs_handle *xs)
{
    bool any = false;
    char **ev;

    while ((ev = xs_check_watch(xs))) {
        free(ev);
        any = true;
    }
    return any;
}

int xsw_wait_watch(struct xs_handle *xs, int timeout_ms)
{
    struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
    int n;

    if (pfd.fd < 0)
        return neg_errno();
    if (drain_watch(xs))
        return 1;
    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return neg_errno();
    if (n == 0)
        return 0;
    drain_watch(xs);
    return 1;
}
