/* The domain's daemon from the toolstack side (see launch.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/util/child_proc.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/xl/launch.h"
#include "pcipt/xl/launch_opts.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/util/proc.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"
#include "pcipt/util/testenv.h"

static char *server_node(uint32_t domid, const char *leaf, char *buf)
{
    char be[XSW_PATH_MAX];

    snprintf(buf, XSW_PATH_MAX, "%s/pcipt/server/%s", xsp_backend_path(domid, be), leaf);
    return buf;
}

bool daemon_serving(uint32_t domid, pid_t *pid)
{
    return servelock_held(domid, pid);
}

/* systemd manages the host (sd_booted(3): its runtime directory exists)
 * and the unit is installed. */
static bool systemd_usable(void)
{
    struct stat st;
    const char *no = getenv("PCIPT_NO_SYSTEMD"), *dir = test_env("PCIPT_SYSTEMD_DIR");
    char *argv[] = { "systemctl", "cat", "--", DAEMON_UNIT, NULL };
    char *out = NULL;
    int rc;

    if (!dir || !*dir)
        dir = DAEMON_SYSTEMD_DIR;
    if ((no && *no && strcmp(no, "0")) || stat(dir, &st) || !S_ISDIR(st.st_mode))
        return false;
    rc = proc_run(argv, &out);     /* stdout swallowed: only whether it exists */
    free(out);
    return rc == 0;
}

/* systemctl start pciptd@D.service, its options in the unit's environment
 * file first (launch_opts.h): the unit runs `pcipt $PCIPT_ARGS serve D`. */
static int start_unit(struct daemon_ref *d, const struct daemon_opts *o, char *err,
                      size_t errlen)
{
    char unit[64];
    char *argv[] = { "systemctl", "start", unit, NULL };
    int rc;

    if ((rc = daemon_opts_write_env(d->domid, o, err, errlen)))
        return rc;
    snprintf(unit, sizeof(unit), "pciptd@%u.service", d->domid);
    rc = proc_run(argv, NULL);
    if (rc) {
        snprintf(err, errlen, "`systemctl start %s` failed (status %d); see "
                 "`journalctl -u %s`", unit, rc, unit);
        return -EIO;
    }
    d->systemd = true;
    return 0;
}

static const char *self_binary(char *buf, size_t len)
{
    const char *env = test_env("PCIPT_SERVE_BIN");

    if (env && *env)
        return env;
    return child_self_exe(buf, len) ? "pcipt" : buf;
}

static int spawn(struct daemon_ref *d, const struct daemon_opts *o, char *err, size_t errlen)
{
    char bin[PATH_MAX], dom[16];
    char *argv[DAEMON_OPTS_WORDS + 4];
    const char *dir = getenv("PCIPT_LOG_DIR");
    unsigned n = 0;
    pid_t pid;

    argv[n++] = (char *)self_binary(bin, sizeof(bin));
    for (unsigned i = 0; i < o->argc; i++)
        argv[n++] = o->argv[i];
    snprintf(dom, sizeof(dom), "%u", d->domid);
    argv[n++] = "serve";
    argv[n++] = dom;
    argv[n] = NULL;
    snprintf(d->log, sizeof(d->log), "%s/pcipt-serve-%u.log", dir && *dir ? dir : DAEMON_LOG_DIR,
             d->domid);
    pid = proc_spawn_detached(argv, d->log, err, errlen);
    if (pid < 0)
        return (int)pid;
    d->pid = pid;
    return 0;
}

int daemon_start(const struct pcipt_env *env, uint32_t domid, struct daemon_ref *d, char *err,
                 size_t errlen)
{
    static struct daemon_opts o;      /* PATH_MAX buffers: not on the stack */
    int rc;

    memset(d, 0, sizeof(*d));
    d->domid = domid;
    if ((rc = daemon_opts_build(&o, env->hv ? env->hv : "xen", env->sysfs, env->config, err,
                                errlen)) ||
        (rc = daemon_opts_add_host_dt(&o, env->host_dt, err, errlen)))
        return rc;
    return systemd_usable() ? start_unit(d, &o, err, errlen) : spawn(d, &o, err, errlen);
}

int daemon_ensure(const struct pcipt_env *env, struct xs_handle *xs, uint32_t domid, pid_t *pid,
                  bool *started, char *err, size_t errlen)
{
    struct daemon_ref d;
    char e[400];
    int rc;

    *started = false;
    if (daemon_serving(domid, pid))
        return 0;
    if ((rc = daemon_start(env, domid, &d, e, sizeof(e)))) {
        snprintf(err, errlen, "cannot start domain %u's daemon: %s", domid, e);
        return rc;
    }
    if ((rc = daemon_wait_ready(xs, &d, DAEMON_READY_TIMEOUT_MS, err, errlen))) {
        daemon_stop(&d);
        return rc;
    }
    *started = true;
    if (!(*pid = d.pid))
        (void)daemon_serving(domid, pid);
    return 0;
}

static bool is_ready(struct xs_handle *xs, uint32_t domid)
{
    char path[XSW_PATH_MAX], *v = xsw_read(xs, XBT_NULL, server_node(domid, "state", path));
    bool ready = v && !strcmp(v, "ready");

    free(v);
    return ready;
}

/* The spawned child has exited: its status, else -1. */
static int spawned_exited(const struct daemon_ref *d)
{
    return d->systemd || d->pid <= 0 ? -1 : child_exited(d->pid);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int daemon_wait_ready(struct xs_handle *xs, const struct daemon_ref *d, int timeout_ms,
                      char *err, size_t errlen)
{
    char path[XSW_PATH_MAX];
    long deadline = now_ms() + timeout_ms;
    int rc, st;

    server_node(d->domid, "state", path);
    if ((rc = xsw_watch(xs, path, "pcipt-ready"))) {
        snprintf(err, errlen, "cannot watch %s: %s", path, strerror(-rc));
        return rc;
    }
    for (;;) {
        if (is_ready(xs, d->domid)) {
            rc = 0;
            break;
        }
        if ((st = spawned_exited(d)) >= 0) {
            snprintf(err, errlen, "domain %u's daemon exited with status %d before it was "
                     "ready; see %s", d->domid, st, d->log);
            rc = -ECHILD;
            break;
        }
        long left = deadline - now_ms();
        if (left <= 0) {
            snprintf(err, errlen, "domain %u's daemon did not write %s = ready within %d ms%s%s",
                     d->domid, path, timeout_ms, d->systemd ? "" : "; see ",
                     d->systemd ? "" : d->log);
            rc = -ETIMEDOUT;
            break;
        }
        /* Wake at least every 200 ms to notice a child that died. */
        rc = xsw_wait_watch(xs, left < 200 ? (int)left : 200);
        if (rc < 0) {
            snprintf(err, errlen, "waiting on %s: %s", path, strerror(-rc));
            break;
        }
    }
    xsw_unwatch(xs, path, "pcipt-ready");
    return rc;
}

void daemon_stop(struct daemon_ref *d)
{
    if (d->systemd) {
        char unit[64];
        char *argv[] = { "systemctl", "stop", unit, NULL };
        snprintf(unit, sizeof(unit), "pciptd@%u.service", d->domid);
        proc_run(argv, NULL);
        d->systemd = false;
        return;
    }
    if (d->pid <= 0)
        return;
    (void)child_stop(d->pid, SIGTERM, 5000);   /* SIGKILL after 5 s; reaped */
    d->pid = 0;
}
