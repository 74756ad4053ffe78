/* The throwaway machine of `pcipt simulate` (see simulate.h): a private
 * directory, a private real xenstored, a private simulator, the domain and
 * the real daemon as a child process. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/util/child_proc.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/simulate/simulate_int.h"
#include "pcipt/xs/xs.h"

static int sub_dir(const struct sim_machine *m, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", m->dir, name);
    return mkdir(buf, 0700) ? -errno : 0;
}

/* dom0's name, as a Xen host's store has it (libxl reads it). */
static int seed_store(char *err, size_t errlen)
{
    struct xs_handle *xs = xsw_open();
    int rc;

    if (!xs) {
        snprintf(err, errlen, "cannot reach the private xenstored at %s: %s",
                 xsw_socket_path(), strerror(errno));
        return -EIO;
    }
    rc = xsw_write(xs, XBT_NULL, "/local/domain/0/name", "Domain-0");
    if (!rc)
        rc = xsw_write(xs, XBT_NULL, "/local/domain/1/name", "pcipt-simulate");
    xsw_close(xs);
    if (rc)
        snprintf(err, errlen, "cannot write /local/domain/0/name in the private xenstored: %s",
                 strerror(-rc));
    return rc;
}

int simm_create(struct sim_machine *m, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char sub[300];
    int rc;

    memset(m, 0, sizeof(*m));
    m->daemon = -1;
    m->xsd.pid = -1;
    /* unix sockets live in here: keep the path short (TMPDIR if it fits) */
    if (!tmp || !*tmp || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(m->dir, sizeof(m->dir), "%s/pcipt-simulate.XXXXXX", tmp);
    if (!mkdtemp(m->dir)) {
        rc = -errno;
        snprintf(err, errlen, "cannot create a private directory %s: %s", m->dir,
                 strerror(errno));
        return rc;
    }
    m->have_dir = true;
    if ((rc = sub_dir(m, "sim", sub, sizeof(sub))) ||
        setenv(SIM_DIR_ENV, sub, 1) || (rc = sub_dir(m, "run", sub, sizeof(sub))) ||
        setenv(DOMLOCK_ENV, sub, 1) || (rc = sub_dir(m, "xenstored", sub, sizeof(sub)))) {
        snprintf(err, errlen, "cannot create %s: %s", sub, strerror(rc ? -rc : errno));
        return rc ? rc : -errno;
    }
    if ((rc = xsd_launch(sub, &m->xsd, err, errlen)))
        return rc;
    if ((rc = seed_store(err, errlen)))
        return rc;
    if ((rc = hv_open("sim", &m->hv, err, errlen)))
        return rc;
    return 0;
}

int simm_domain(struct sim_machine *m, const struct guest_layout *lay, unsigned vcpus,
                char *err, size_t errlen)
{
    /* every SPI the INTx relay may raise must exist in the vGIC */
    unsigned nr_spis = lay->spi_base + lay->spi_count - 32;
    int rc = sim_domain_create(m->hv, SIMULATE_DOMID, vcpus, SIMULATE_RAM_BASE,
                               SIMULATE_RAM_SIZE, nr_spis);

    if (rc) {
        snprintf(err, errlen, "cannot create simulated domain %u with %u vCPUs: %s",
                 SIMULATE_DOMID, vcpus, strerror(-rc));
        return rc;
    }
    m->have_domain = true;
    return 0;
}

/* The child: `pcipt [-v..] --hv sim [--sysfs S] [--config C] serve D --ready-fd 3`,
 * stderr into the log. */
static void exec_serve(const struct sim_machine *m, const struct simulate_opts *o,
                       const char *exe, int ready)
{
    const char *argv[16];
    char dom[16];
    int n = 0, lfd;

    child_detach_from_terminal();
    lfd = open(m->daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lfd < 0 || dup2(lfd, 2) < 0 || dup2(ready, 3) < 0)
        _exit(120);
    if ((lfd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
        dup2(lfd, 0);
        dup2(lfd, 1);
    }
    snprintf(dom, sizeof(dom), "%u", SIMULATE_DOMID);
    argv[n++] = "pcipt";
    if (o->verbose == 1)
        argv[n++] = "-v";
    else if (o->verbose >= 2)
        argv[n++] = "-vv";
    argv[n++] = "--hv";
    argv[n++] = "sim";
    if (o->sysfs) {
        argv[n++] = "--sysfs";
        argv[n++] = o->sysfs;
    }
    if (o->config) {
        argv[n++] = "--config";
        argv[n++] = o->config;
    }
    argv[n++] = "serve";
    argv[n++] = dom;
    argv[n++] = "--ready-fd";
    argv[n++] = "3";
    argv[n] = NULL;
    execv(exe, (char *const *)argv);
    _exit(121);
}

/* Wait for "READY=1\n" on fd (or EOF: the daemon failed). */
static int wait_ready(int fd)
{
    char buf[16] = { 0 };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int waited = 0, rc;

    while (waited < SIMULATE_WAIT_MS) {
        if (simulate_interrupted)
            return -EINTR;
        rc = poll(&p, 1, 100);
        if (rc < 0 && errno != EINTR)
            return -errno;
        if (rc > 0) {
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            return n > 0 && !strcmp(buf, "READY=1\n") ? 0 : -ECHILD;
        }
        waited += 100;
    }
    return -ETIMEDOUT;
}

void simm_daemon_error(const struct sim_machine *m, char *buf, size_t len)
{
    char line[512];
    FILE *f = fopen(m->daemon_log, "r");

    buf[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "pcipt: ", 7)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(buf, len, "%s", line + 7);
        }
    fclose(f);
}

int simm_start_daemon(struct sim_machine *m, const struct simulate_opts *o, char *err,
                      size_t errlen)
{
    char exe[512], why[400];
    int fds[2], rc;

    snprintf(m->daemon_log, sizeof(m->daemon_log), "%s/serve.log", m->dir);
    if ((rc = child_self_exe(exe, sizeof(exe)))) {
        snprintf(err, errlen, "cannot find the pcipt binary (/proc/self/exe): %s",
                 strerror(-rc));
        return rc;
    }
    if (pipe2(fds, O_CLOEXEC)) {
        rc = -errno;
        snprintf(err, errlen, "cannot start the daemon: pipe: %s", strerror(errno));
        return rc;
    }
    fflush(NULL);
    if ((m->daemon = fork()) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot start the daemon: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    if (m->daemon == 0)
        exec_serve(m, o, exe, fds[1]);
    close(fds[1]);
    rc = wait_ready(fds[0]);
    close(fds[0]);
    if (rc == 0)
        return 0;
    child_stop(m->daemon, SIGTERM, 2000);
    m->daemon = -1;
    simm_daemon_error(m, why, sizeof(why));
    if (rc == -EINTR)
        snprintf(err, errlen, "interrupted");
    else
        snprintf(err, errlen, "the daemon (pcipt serve %u) did not start%s%s", SIMULATE_DOMID,
                 why[0] ? ": " : "", why[0] ? why : (rc == -ETIMEDOUT ? ": no READY" : ""));
    return rc;
}

static void last_stats(const char *log, char *stats, size_t len)
{
    char line[1024];
    FILE *f = fopen(log, "r");

    stats[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "pciptd: stats ", 14)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(stats, len, "%s", line);
        }
    fclose(f);
}

int simm_stop_daemon(struct sim_machine *m, char *stats, size_t len, char *err, size_t errlen)
{
    int st;

    if (m->daemon <= 0)
        return 0;
    st = child_stop(m->daemon, SIGTERM, SIMULATE_WAIT_MS);
    m->daemon = -1;
    last_stats(m->daemon_log, stats, len);
    if (st != 0) {
        char why[400];
        simm_daemon_error(m, why, sizeof(why));
        snprintf(err, errlen, "the daemon exited with status %d%s%s", st, why[0] ? ": " : "",
                 why);
        return -ECHILD;
    }
    if (!stats[0]) {
        snprintf(err, errlen, "the daemon printed no stats line (%s)", m->daemon_log);
        return -EIO;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

void simm_destroy(struct sim_machine *m, bool keep)
{
    if (m->daemon > 0)
        child_stop(m->daemon, SIGTERM, 5000);
    m->daemon = -1;
    if (m->hv && m->have_domain && !keep)   /* kept: `pcipt sim show` can inspect it */
        (void)sim_domain_destroy(m->hv, SIMULATE_DOMID);
    m->have_domain = false;
    if (m->hv)
        hv_close(m->hv);
    m->hv = NULL;
    xsd_terminate(&m->xsd);
    if (m->have_dir && !keep &&
        nftw(m->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "pcipt: could not remove %s: %s\n", m->dir, strerror(errno));
    m->have_dir = false;
    unsetenv(SIM_DIR_ENV);
    unsetenv(DOMLOCK_ENV);
}
