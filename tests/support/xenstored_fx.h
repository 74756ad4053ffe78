/* A private, real xenstored per Check test case, started by the product's
 * own launcher (pcipt/xs/xsd_launch.h, the one `pcipt simulate` uses):
 * Debian's xenstored in the foreground under the LD_PRELOAD shim
 * tests/xenstored/fakexen.c, listening on a unix socket in a fresh
 * mkdtemp directory.  xsd_start() sets XENSTORED_PATH in this process, so
 * xs_open(0) here, in forked Check tests and in child pcipt processes (and
 * the xenstore-* tools) all reach it.
 *
 * Shim: $PCIPT_FAKEXEN (set by `make unit`), else
 * $PCIPT_SRC/build/tests/fakexen.so (exported as PCIPT_FAKEXEN for the
 * launcher).  Daemon: $PCIPT_XENSTORED, else XSD_DEFAULT_BIN (as for
 * `pcipt simulate`).
 *
 * For Check: tcase_add_unchecked_fixture(tc, xsd_fixture_start,
 * xsd_fixture_stop) starts one daemon per test case, in the runner. */
#ifndef TESTS_XENSTORED_FX_H
#define TESTS_XENSTORED_FX_H

/* 0, or -1 with one sentence on stderr (the launcher's: it quotes the
 * daemon's log when the daemon died). */
int xsd_start(void);
/* Stop and reap the daemon, remove its directory; unset XENSTORED_PATH. */
void xsd_stop(void);
/* The running daemon's pid (-1: none), for tests that stop or kill it. */
int xsd_pid(void);

/* Check fixtures: abort the whole run (ck_abort) if the daemon won't start. */
void xsd_fixture_start(void);
void xsd_fixture_stop(void);

#endif
