/* Thin wrappers around libxenstore: every xenstore operation of pcipt goes
 * through one of these, so that
 *   - errors come back as -errno (never a bare false/NULL),
 *   - transactions retry on EAGAIN in one place (xsw_transact),
 *   - tests can make the Nth operation fail (xsw_inject_fail, or the
 *     environment variable PCIPT_XS_FAIL="n:errno", read on first use).
 * Aborting a transaction is cleanup: it is counted but never fails. */
#ifndef PCIPT_XS_H
#define PCIPT_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <xenstore.h>

#define XSW_PATH_MAX 256

/* Make the nth wrapped operation from now (1 = the next one) fail with
 * errno err; n = 0 disables injection.  Returns nothing; see xsw_ops(). */
void xsw_inject_fail(unsigned n, int err);
/* Operations performed since the last xsw_inject_fail() (for tests). */
unsigned long xsw_ops(void);

/* xs_open(0).  NULL with errno set when xenstore is unreachable. */
struct xs_handle *xsw_open(void);
void xsw_close(struct xs_handle *xs);
/* Where xs_open(0) looks: $XENSTORED_PATH or the library default. */
const char *xsw_socket_path(void);

/* Read a node as a NUL-terminated malloc'd string; NULL and errno on error
 * (ENOENT: no such node). */
char *xsw_read(struct xs_handle *xs, xs_transaction_t t, const char *path);
int xsw_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *val);
int xsw_printf(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int xsw_mkdir(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* Remove a node and its subtree; removing an absent node is not an error.
 * In a transaction, -EAGAIN when xenstored finds the subtree changed by
 * another connection since the transaction saw it (it answers EIO). */
int xsw_rm(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* Children of path (malloc'd array of strings, one free()); NULL + errno. */
char **xsw_directory(struct xs_handle *xs, xs_transaction_t t, const char *path, unsigned *num);
/* Owner dom0, nobody else may read or write ("n0"). */
int xsw_set_dom0_only(struct xs_handle *xs, xs_transaction_t t, const char *path);
struct xs_permissions *xsw_get_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
                                     unsigned *num);

/* Run body(xs, t, arg) inside a transaction: a body error aborts and is
 * returned; EAGAIN at commit reruns the body (at most XSW_RETRIES times). */
#define XSW_RETRIES 32
typedef int (*xsw_body_fn)(struct xs_handle *xs, xs_transaction_t t, void *arg);
int xsw_transact(struct xs_handle *xs, xsw_body_fn body, void *arg);
/* The same for a body that only reads: a body error is returned only if the
 * commit confirms the reads were consistent; if another commit changed what
 * the body read (EAGAIN), the body runs again.  Seen on real Xen: the
 * daemon's read of the assignment failed ("node is missing") while detach
 * removed it. */
int xsw_transact_read(struct xs_handle *xs, xsw_body_fn body, void *arg);

/* Watches (detach waits for the daemon with one).  xsw_watch counts as an
 * operation (injectable); unwatching is cleanup and never fails.
 * xsw_wait_watch waits up to timeout_ms for events and drains them:
 * 1 = something fired, 0 = timed out, -errno on error. */
int xsw_watch(struct xs_handle *xs, const char *path, const char *token);
void xsw_unwatch(struct xs_handle *xs, const char *path, const char *token);
int xsw_wait_watch(struct xs_handle *xs, int timeout_ms);

#endif
