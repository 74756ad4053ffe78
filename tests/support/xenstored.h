/* A private, real xenstored for tests (Debian's /usr/lib/xen-4.17/bin/
 * xenstored, run with -N and the LD_PRELOAD shim tests/xenstored/fakexen.c
 * so it needs no hypervisor).  It listens on a unix socket in a fresh
 * mkdtemp directory; xsd_start() sets XENSTORED_PATH in this process, so
 * xs_open(0) here, in forked Check tests and in child pcipt processes (and
 * the xenstore-* tools) all reach it.
 *
 * Shim: $PCIPT_FAKEXEN (set by `make unit`), else
 * $PCIPT_SRC/build/tests/fakexen.so, else ./build/tests/fakexen.so.
 * Daemon: $XENSTORED_BIN, else /usr/lib/xen-4.17/bin/xenstored.
 *
 * For Check: tcase_add_unchecked_fixture(tc, xsd_fixture_start,
 * xsd_fixture_stop) starts one daemon per test case, in the runner. */
#ifndef TESTS_XENSTORED_H
#define TESTS_XENSTORED_H

#include <sys/types.h>

/* 0, or -1 with a message on stderr (the daemon's log included). */
int xsd_start(void);
/* Kill, reap, remove the directory; unset XENSTORED_PATH. */
void xsd_stop(void);
/* The socket path while running, else NULL. */
const char *xsd_socket(void);
pid_t xsd_pid(void);

/* Check fixtures: abort the whole run (ck_abort) if the daemon won't start. */
void xsd_fixture_start(void);
void xsd_fixture_stop(void);

#endif
