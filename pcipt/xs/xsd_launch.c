/* See xsd_launch.h.  The daemon is unmodified; only its hypervisor calls
 * are answered by the preload shim (tests/xenstored/fakexen.c, installed
 * as PCIPT_LIBEXEC/fakexen.so). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "pcipt/util/child_proc.h"
#include "pcipt/xs/xsd_launch.h"
#include "pcipt/util/testenv.h"

#define XSD_UP_TRIES 1000      /* x 10 ms: a generous bound for a slow machine */

extern char **environ;

int xsd_find_shim(char *buf, size_t len, char *err, size_t errlen)
{
    const char *env = test_env("PCIPT_FAKEXEN");
    char exe[512], near[600];

    if (env && *env) {
        if (access(env, R_OK) == 0 && snprintf(buf, len, "%s", env) < (int)len)
            return 0;
        snprintf(err, errlen, "the xenstored shim named by PCIPT_FAKEXEN (%s) cannot be read: %s",
                 env, strerror(errno));
        return -ENOENT;
    }
    if (access(PCIPT_LIBEXEC "/fakexen.so", R_OK) == 0 &&
        snprintf(buf, len, "%s", PCIPT_LIBEXEC "/fakexen.so") < (int)len)
        return 0;
    near[0] = '\0';
    if (child_self_exe(exe, sizeof(exe)) == 0) {
        snprintf(near, sizeof(near), "%s/tests/fakexen.so", dirname(exe));
        if (access(near, R_OK) == 0 && snprintf(buf, len, "%s", near) < (int)len)
            return 0;
    }
    snprintf(err, errlen,
             "the xenstored shim fakexen.so is not installed (looked for %s/fakexen.so%s%s): "
             "run `make install` or set PCIPT_FAKEXEN", PCIPT_LIBEXEC, near[0] ? " and " : "",
             near);
    return -ENOENT;
}

/* The child: our environment without the variables we set, plus ours. */
static void exec_daemon(const char *bin, const char *shim, const struct xsd_proc *p)
{
    char e_run[300], e_path[320], e_pre[640], log[300];
    size_t n = 0;
    char **envp;
    int fd;

    child_detach_from_terminal();
    while (environ[n])
        n++;
    if (!(envp = calloc(n + 4, sizeof(*envp))))
        _exit(127);
    n = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "XENSTORED_RUNDIR=", 17) && strncmp(*e, "XENSTORED_PATH=", 15) &&
            strncmp(*e, "LD_PRELOAD=", 11))
            envp[n++] = *e;
    snprintf(e_run, sizeof(e_run), "XENSTORED_RUNDIR=%s", p->dir);
    snprintf(e_path, sizeof(e_path), "XENSTORED_PATH=%s", p->socket);
    snprintf(e_pre, sizeof(e_pre), "LD_PRELOAD=%s", shim);
    envp[n++] = e_run;
    envp[n++] = e_path;
    envp[n++] = e_pre;
    snprintf(log, sizeof(log), "%s/xenstored.log", p->dir);
    if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        dup2(fd, 0);
    /* -N: stay in the foreground (our child, exact pid).  -D is broken in 4.17. */
    execle(bin, bin, "-N", (char *)NULL, envp);
    _exit(127);
}

static void first_log_line(const struct xsd_proc *p, char *buf, size_t len)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/xenstored.log", p->dir);
    buf[0] = '\0';
    if (!(f = fopen(path, "r")))
        return;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static int wait_until_up(struct xsd_proc *p)
{
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000L };

    for (int i = 0; i < XSD_UP_TRIES; i++) {
        struct xs_handle *h = xs_open(0);
        if (h) {
            xs_close(h);
            return 0;
        }
        if (child_exited(p->pid) >= 0) {
            p->pid = -1;
            return -ECHILD;
        }
        nanosleep(&tick, NULL);
    }
    return -ETIMEDOUT;
}

int xsd_launch(const char *dir, struct xsd_proc *p, char *err, size_t errlen)
{
    const char *bin = test_env("PCIPT_XENSTORED");
    char shim[600], line[200];
    int rc;

    p->pid = -1;
    if (!bin || !*bin)
        bin = XSD_DEFAULT_BIN;
    if (access(bin, X_OK)) {
        snprintf(err, errlen, "xenstored is not installed (%s: %s): install the package %s",
                 bin, strerror(errno), XSD_PACKAGE);
        return -ENOENT;
    }
    if ((rc = xsd_find_shim(shim, sizeof(shim), err, errlen)))
        return rc;
    if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir) ||
        snprintf(p->socket, sizeof(p->socket), "%s/socket", dir) >= 108) {
        snprintf(err, errlen, "xenstored directory %s: path too long for a unix socket", dir);
        return -ENAMETOOLONG;
    }
    fflush(NULL);
    if ((p->pid = fork()) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot start xenstored: fork: %s", strerror(errno));
        return rc;
    }
    if (p->pid == 0)
        exec_daemon(bin, shim, p);
    setenv("XENSTORED_PATH", p->socket, 1);
    if ((rc = wait_until_up(p)) == 0)
        return 0;
    first_log_line(p, line, sizeof(line));
    snprintf(err, errlen, "%s did not come up on %s%s%s", bin, p->socket,
             line[0] ? ": " : "", line);
    xsd_terminate(p);
    return rc;
}

void xsd_terminate(struct xsd_proc *p)
{
    if (p->pid > 0)
        child_stop(p->pid, SIGTERM, 2000);
    p->pid = -1;
    unsetenv("XENSTORED_PATH");
}
