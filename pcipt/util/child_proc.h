/* Child processes of `pcipt simulate` (xenstored, the daemon): stop and
 * reap them within a bound, and find this very binary to exec again. */
#ifndef PCIPT_CHILD_PROC_H
#define PCIPT_CHILD_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Send sig, wait up to grace_ms for the exit, then SIGKILL and reap.
 * Returns the exit status, 128 + the signal that ended it, or -1 when pid
 * is not our child.  Never leaves a zombie. */
int child_stop(pid_t pid, int sig, int grace_ms);
/* Non-blocking: the exit status if pid has exited (reaped), else -1. */
int child_exited(pid_t pid);
/* In the child after fork(): own process group (a terminal's Ctrl-C goes
 * to the parent only, which then tears down in order) and SIGKILL when the
 * parent dies (nothing outlives a crashed simulate). */
void child_detach_from_terminal(void);
/* The path of the running executable (/proc/self/exe), or -errno. */
int child_self_exe(char *buf, size_t len);

#endif
