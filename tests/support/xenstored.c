/* Start/stop a private real xenstored for tests (see xenstored.h). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "tests/support/xenstored.h"

extern char **environ;

static pid_t daemon_pid = -1;
static char run_dir[64];
static char sock_path[128];

const char *xsd_socket(void)
{
    return daemon_pid > 0 ? sock_path : NULL;
}

pid_t xsd_pid(void)
{
    return daemon_pid;
}

static const char *shim_path(char *buf, size_t len)
{
    const char *s = getenv("PCIPT_FAKEXEN"), *src = getenv("PCIPT_SRC");

    if (s && *s)
        return s;
    snprintf(buf, len, "%s/build/tests/fakexen.so", src ? src : ".");
    return buf;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The child: our environment without the three variables, plus ours;
 * dies with its parent (the test runner) so no daemon outlives a crash. */
static void exec_daemon(const char *bin, const char *shim, const char *log)
{
    static char e_run[128], e_path[160], e_pre[600];
    size_t n = 0;
    char **envp;
    int fd;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    while (environ[n])
        n++;
    envp = calloc(n + 4, sizeof(*envp));
    if (!envp)
        _exit(127);
    n = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "XENSTORED_RUNDIR=", 17) && strncmp(*e, "XENSTORED_PATH=", 15) &&
            strncmp(*e, "LD_PRELOAD=", 11))
            envp[n++] = *e;
    snprintf(e_run, sizeof(e_run), "XENSTORED_RUNDIR=%s", run_dir);
    snprintf(e_path, sizeof(e_path), "XENSTORED_PATH=%s", sock_path);
    snprintf(e_pre, sizeof(e_pre), "LD_PRELOAD=%s", shim);
    envp[n++] = e_run;
    envp[n++] = e_path;
    envp[n++] = e_pre;
    fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 0);
        close(fd);
    }
    /* -N: foreground (our child, exact pid).  No -D: broken in 4.17. */
    execle(bin, bin, "-N", (char *)NULL, envp);
    _exit(127);
}

static void dump_log(const char *log)
{
    char line[256];
    FILE *f = fopen(log, "r");

    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        fprintf(stderr, "  xenstored: %s", line);
    fclose(f);
}

static int wait_until_up(void)
{
    for (int tries = 0; tries < 1000; tries++) {       /* generous: ~10 s */
        struct xs_handle *h = xs_open(0);

        if (h) {
            xs_close(h);
            return 0;
        }
        if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
            daemon_pid = -1;
            return -1;
        }
        sleep_ms(10);
    }
    return -1;
}

int xsd_start(void)
{
    const char *bin = getenv("XENSTORED_BIN");
    char shim_buf[512], log[128];
    const char *shim = shim_path(shim_buf, sizeof(shim_buf));

    if (!bin)
        bin = "/usr/lib/xen-4.17/bin/xenstored";
    if (access(shim, R_OK)) {
        fprintf(stderr, "xenstored fixture: shim %s not found (run `make`)\n", shim);
        return -1;
    }
    snprintf(run_dir, sizeof(run_dir), "/tmp/pcipt-xsd.XXXXXX");
    if (!mkdtemp(run_dir)) {
        fprintf(stderr, "xenstored fixture: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(sock_path, sizeof(sock_path), "%s/socket", run_dir);
    snprintf(log, sizeof(log), "%s/xenstored.log", run_dir);
    fflush(NULL);
    daemon_pid = fork();
    if (daemon_pid < 0) {
        fprintf(stderr, "xenstored fixture: fork: %s\n", strerror(errno));
        return -1;
    }
    if (daemon_pid == 0)
        exec_daemon(bin, shim, log);
    setenv("XENSTORED_PATH", sock_path, 1);
    if (wait_until_up() == 0)
        return 0;
    fprintf(stderr, "xenstored fixture: %s did not come up on %s\n", bin, sock_path);
    dump_log(log);
    xsd_stop();
    return -1;
}

static void remove_dir(void)
{
    char path[200];
    static const char *const files[] = { "socket", "socket_ro", "xenstored.log", "tdb",
                                         "xenstored.pid" };

    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", run_dir, files[i]);
        unlink(path);
    }
    if (rmdir(run_dir) && errno != ENOENT) {
        /* unknown leftovers (e.g. tdb.<n>): remove them with rm -rf */
        snprintf(path, sizeof(path), "rm -rf '%s'", run_dir);
        if (system(path) != 0)
            fprintf(stderr, "xenstored fixture: could not remove %s\n", run_dir);
    }
    run_dir[0] = '\0';
}

void xsd_stop(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGTERM);
        while (waitpid(daemon_pid, NULL, 0) < 0 && errno == EINTR)
            ;
        daemon_pid = -1;
    }
    if (run_dir[0])
        remove_dir();
    unsetenv("XENSTORED_PATH");
}

void xsd_fixture_start(void)
{
    if (xsd_start())
        ck_abort_msg("cannot start a private xenstored");
}

void xsd_fixture_stop(void)
{
    xsd_stop();
}
