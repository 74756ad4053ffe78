/* Running other programs (xl, systemctl, the daemon) from pcipt: argv
 * arrays, never a shell. */
#ifndef PCIPT_PROC_H
#define PCIPT_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Run argv[0] (found on PATH) and wait.  out (optional): its stdout,
 * malloc'd, NUL-terminated; otherwise stdout is inherited.  stderr is
 * inherited.  Returns the exit status (0..255; 128+N for a signal, 127 when
 * it could not be started), or -errno when pcipt itself failed. */
int proc_run(char *const argv[], char **out);
/* The same with stdout thrown away and stderr captured into *errout
 * (malloc'd; "pcipt: cannot run PROG: REASON" when it could not be started, then
 * status 127), so that a tool's complaint can go into a one-line error. */
int proc_run_stderr(char *const argv[], char **errout);
/* Start argv in its own session, stdin from /dev/null, stdout and stderr
 * appended to logpath.  Returns its pid, or -errno (+ err). */
pid_t proc_spawn_detached(char *const argv[], const char *logpath, char *err, size_t errlen);
/* argv as one shell-quoted line (malloc'd): what an operator would type. */
char *proc_cmdline(char *const argv[]);

#endif
