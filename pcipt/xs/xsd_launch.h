/* A private, real xenstored for `pcipt simulate`: Debian's
 * /usr/lib/xen-4.17/bin/xenstored (package xen-utils-4.17), run in the
 * foreground (-N) with the LD_PRELOAD shim fakexen.so that answers the few
 * hypervisor calls it makes at start-up, so it needs no Xen.  It listens
 * on DIR/socket only; xsd_launch() sets XENSTORED_PATH in this process, so
 * xs_open() here and in every child (the daemon) reaches it.
 *
 * Daemon: $PCIPT_XENSTORED, else XSD_DEFAULT_BIN.
 * Shim:   $PCIPT_FAKEXEN, else PCIPT_LIBEXEC/fakexen.so (installed by
 *         `make install`), else tests/fakexen.so next to this binary (the
 *         build tree: build/pcipt -> build/tests/fakexen.so). */
#ifndef PCIPT_XSD_LAUNCH_H
#define PCIPT_XSD_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

#define XSD_DEFAULT_BIN "/usr/lib/xen-4.17/bin/xenstored"
#define XSD_PACKAGE     "xen-utils-4.17"
#ifndef PCIPT_LIBEXEC                  /* the Makefile passes $(LIBEXEC) */
#define PCIPT_LIBEXEC "/usr/local/lib/pcipt"
#endif

struct xsd_proc {
    pid_t pid;              /* -1: not running */
    char dir[256];          /* its run directory (socket, log, tdb) */
    char socket[300];
};

/* Start xenstored in dir (an existing, private directory) and wait until
 * it answers.  0, or -errno with one sentence in err (missing daemon names
 * the package, missing shim names where it was looked for, a daemon that
 * died quotes the first line of its log).  The daemon is in its own
 * process group (a terminal's Ctrl-C reaches only us) and dies with us. */
int xsd_launch(const char *dir, struct xsd_proc *p, char *err, size_t errlen);
/* SIGTERM (SIGKILL after a grace period), reap; unset XENSTORED_PATH.
 * The directory is left to the caller. */
void xsd_terminate(struct xsd_proc *p);
/* Where the shim is: 0 and the path in buf, or -ENOENT with a sentence. */
int xsd_find_shim(char *buf, size_t len, char *err, size_t errlen);

#endif
