/* See child_proc.h. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/util/child_proc.h"

static int status_of(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int child_exited(pid_t pid)
{
    int st;
    pid_t r;

    do
        r = waitpid(pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    return r == pid ? status_of(st) : -1;
}

static int reap_blocking(pid_t pid)
{
    int st;
    pid_t r;

    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    return r == pid ? status_of(st) : -1;
}

int child_stop(pid_t pid, int sig, int grace_ms)
{
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = 5 * 1000000L };
    int rc;

    if (pid <= 0)
        return -1;
    if (kill(pid, sig) && errno == ESRCH)
        return reap_blocking(pid);
    for (int waited = 0; waited < grace_ms; waited += 5) {
        if ((rc = child_exited(pid)) >= 0)
            return rc;
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGKILL);
    return reap_blocking(pid);
}

void child_detach_from_terminal(void)
{
    sigset_t none;

    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

int child_self_exe(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);

    if (n < 0)
        return -errno;
    if ((size_t)n >= len - 1)
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return 0;
}
