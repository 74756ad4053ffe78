/* Fixture for the xl-integration tests (test_xl_*.c): the attach fixture
 * (sim with domains 3 and 5, a real xenstored, the 82576 + Fiji sysfs tree)
 * plus, in its private directory:
 *   - the fake xl (tests/support/fakebin/xl) first on PATH, creating domain
 *     7 in the sim; its calls logged to xlfx_path("xl.log");
 *   - the real daemon (`pcipt serve`, started by pcipt itself); when the
 *     test's env names FAKE_SERVE_MODE=..., the test double
 *     tests/support/fakebin/pcipt-serve-double instead (a daemon that
 *     exits or never gets ready), logging "PID ARGS" to xlfx_path("serve.log");
 *   - PCIPT_STATE_DIR and PCIPT_LOG_DIR = that directory, no systemd. */
#ifndef TESTS_XL_FX_H
#define TESTS_XL_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/support/run_util.h"

void xlfx_setup(void);
void xlfx_teardown(void);
/* DIR/name (static buffer per call site: copy it). */
const char *xlfx_path(const char *name, char *buf, unsigned len);
/* Write the xl config DIR/name with the given body. */
void xlfx_write(const char *name, const char *body);
/* Options for run_pcipt() (tests/support/run_util.h) that run pcipt in
 * the fixture's directory with its environment plus env ("VAR=value ...",
 * may be NULL); the arguments start with afx_args().  Static: one at a time. */
const struct run_opts *xlfx_opts(const char *env);
/* The whole file (malloc'd, "" if absent). */
char *xlfx_slurp(const char *path);
/* Is domain in the sim? */
bool xlfx_domain_exists(uint32_t domid);
/* The pid in domid's pcipt/server/pid (0 if none). */
int xlfx_daemon_pid(uint32_t domid);
/* A running process (not gone, not a zombie left to a non-reaping init)? */
bool xlfx_alive(int pid);
/* Wait (bounded, 10 s) until pid is no longer alive; true when it is gone. */
bool xlfx_wait_gone(int pid);
/* Pids the double logged (up to max). */
int xlfx_serve_pids(int *pids, int max);

#endif
