/* Running the built pcipt (and the other tools tests call: lspci, dtc,
 * xenstore-*, cp) with captured stdout/stderr, an exit status and a time
 * bound.  The one way tests start a process: run_pcipt() / run_sh() run to
 * the end, run_start() + run_wait() let a test act while it runs (signal
 * it, wait for its readiness fd, start two at once).
 *
 * A command is shell words from a printf format: `pcipt` runs as
 * `exec env ENV BIN WORDS` under /bin/sh -c, so the pid the helper knows is
 * pcipt's own (signals reach it, not a shell).  stdin is /dev/null unless
 * opts.in says otherwise; stdout and stderr go to private unlinked files
 * read back when the process has exited (a daemon it leaves behind holding
 * them never blocks the test, and nothing is left in /tmp). */
#ifndef TESTS_RUN_UTIL_H
#define TESTS_RUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RUN_TIMEOUT_MS 120000      /* default bound: far above any test's run */

struct run_opts {
    const char *env;       /* shell words put after `env`: "VAR=value -u VAR ..." */
    const char *cwd;       /* directory to run in; NULL: the test's */
    const char *in;        /* standard input text; NULL: /dev/null */
    const char *bin;       /* run_start's program; NULL: the pcipt under test */
    const char *err_file;  /* append stderr to this file (not captured) */
    int ready_fd;          /* > 2: the write end of a pipe as this fd (run_ready) */
    int timeout_ms;        /* run_wait's bound; 0: RUN_TIMEOUT_MS */
};

/* Options that only add to the environment: RUN_ENV("VAR=value ..."). */
#define RUN_ENV(words) (&(const struct run_opts){ .env = (words) })

struct run_proc {
    pid_t pid;
    int ready;             /* read end of the readiness pipe, or -1 */
    int timeout_ms;
    int out, err;          /* unlinked capture files, or -1 */
};

/* Exit status, 128 + signal if one ended it, or -1 (could not start, or
 * killed with its process group after the timeout: err then says so).
 * out/err (either may be NULL) receive malloc'd text. */
int run_pcipt(const struct run_opts *o, char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for any shell command line (not pcipt: use run_pcipt); o->env
 * and o->bin do not apply (write assignments into the line). */
int run_sh(const struct run_opts *o, char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Start `pcipt WORDS` detached (a shell's `&`: not our child, so it is
 * reaped by init like a daemon pcipt itself starts), stdout and stderr to
 * log (truncated); its pid, or -1. */
int run_pcipt_bg(const struct run_opts *o, const char *log, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Start `BIN WORDS` (BIN: o->bin or pcipt) in its own process group; 0 or
 * -errno.  o may be NULL. */
int run_start(struct run_proc *p, const struct run_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Up to len-1 bytes from the readiness fd within timeout_ms: the count
 * read (0: closed or timed out, -1: no readiness fd). */
ssize_t run_ready(struct run_proc *p, char *buf, size_t len, int timeout_ms);
/* Wait for the exit (bounded by the start's timeout), read the captures,
 * close them: as run_pcipt. */
int run_wait(struct run_proc *p, char **out, char **err);

/* true when err holds nothing but the preview commands' warnings (guest-view,
 * plan, simulate: "pcipt: warning: SBDF is in use by the dom0 driver ...",
 * "... has no usable reset method ...: a real attach needs --force"), one
 * per line; "" is true. */
bool run_only_preview_warnings(const char *err);

#endif
