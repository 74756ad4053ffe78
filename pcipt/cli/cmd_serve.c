/* pcipt serve DOMID: the per-domain daemon (pcipt/daemon/daemon.h), in the
 * foreground, systemd-friendly: readiness through the sd_notify protocol
 * (a "READY=1" datagram to $NOTIFY_SOCKET; no libsystemd), through
 * pcipt/server/state = "ready" in xenstore, and optionally by writing
 * "READY=1\n" to --ready-fd N and closing it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/daemon/daemon.h"
#include "pcipt/assign/domlock.h"
#include "hostbridge/common/log.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"

/* sd_notify(3)'s protocol: one datagram to the AF_UNIX socket named by
 * NOTIFY_SOCKET ('@' = abstract namespace). */
static void notify_systemd(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len;
    int fd;

    if (!path || !*path || (path[0] != '/' && path[0] != '@') ||
        (len = strlen(path)) >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        log_warn("NOTIFY_SOCKET %s: %s", path, strerror(errno));
    close(fd);
}

static void report_ready(struct daemon *d, int ready_fd)
{
    int rc = daemon_server_state(d, "ready");

    if (rc)
        log_warn("dom%u: cannot write pcipt/server/state: %s", d->domid, strerror(-rc));
    notify_systemd("READY=1");
    if (ready_fd >= 0) {
        static const char msg[] = "READY=1\n";
        if (write(ready_fd, msg, sizeof(msg) - 1) < 0)
            log_warn("--ready-fd %d: %s", ready_fd, strerror(errno));
        close(ready_fd);
    }
    log_info("dom%u: ready", d->domid);
}

static struct daemon g_daemon;

/* A daemon started by hand on a terminal logs there and its messages are
 * gone with the terminal: say so once, and how to keep them.  Not for
 * systemd's (stderr is the journal) nor the ones pcipt starts (stderr is
 * their log file: pcipt/xl/launch.h). */
static void hint_where_it_logs(unsigned long domid, bool syslog)
{
    if (syslog || !isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "pcipt: serve %lu logs to this terminal only; to keep its log run "
            "`systemctl start pciptd@%lu` (journal), add --log syslog, or redirect stderr "
            "(2>>/var/log/xen/pcipt-serve-%lu.log)\n", domid, domid, domid);
}

static int run_serve(int argc, char **argv)
{
    struct daemon *d = &g_daemon;
    unsigned long domid = 0, fd = 0;
    int ready_fd = -1, rc;
    bool have_dom = false, syslog = false;
    pid_t holder;
    char err[768];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--ready-fd") || !strncmp(a, "--ready-fd=", 11)) {
            const char *v = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (parse_ulong(v, 0, 1u << 20, &fd))
                return usage_error(&cmd_serve, "--ready-fd needs a file descriptor number");
            ready_fd = (int)fd;
        } else if (!strcmp(a, "--log") || !strncmp(a, "--log=", 6)) {
            const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (v && !strcmp(v, "syslog"))
                log_use_syslog(syslog = true, "pcipt-serve");
            else if (!v || strcmp(v, "stderr"))
                return usage_error(&cmd_serve, "--log takes syslog or stderr");
        } else if (a[0] == '-' && a[1]) {
            return usage_error(&cmd_serve, "unknown option %s", a);
        } else if (have_dom) {
            return usage_error(&cmd_serve, "one DOMID only");
        } else if (parse_ulong(a, 1, 0x7fef, &domid)) {
            return usage_error(&cmd_serve, "'%s' is not a guest domain id (1..32751)", a);
        } else {
            have_dom = true;
        }
    }
    if (!have_dom)
        return usage_error(&cmd_serve, "DOMID is missing");
    /* -v / --verbose (global, main.c) is for the daemon a trace of every
     * config access (pcipt/daemon/ioreq.c: SBDF, register, size, value); other
     * commands keep one -v at info. */
    if (g_opts.verbose)
        log_set_level(LOG_LVL_TRACE);
    hint_where_it_logs(domid, syslog);

    memset(d, 0, sizeof(*d));
    d->domid = (uint32_t)domid;
    d->sysfs = g_opts.sysfs;
    d->host_dt = g_opts.host_dt;
    d->sig_fd = -1;
    d->serve_lock_fd = -1;
    if ((rc = guest_layout_load(g_opts.config, g_opts.config != NULL, &d->layout, err,
                                sizeof(err))))
        return fail("%s", err);
    if ((rc = hv_open(g_opts.hv, &d->hv, err, sizeof(err))))
        return fail("%s", err);
    if (!(d->xs = xsw_open())) {
        hv_close(d->hv);
        return fail("cannot reach xenstore at %s: %s", xsw_socket_path(), strerror(errno));
    }
    /* A live daemon (its serve lock held): refuse before touching anything. */
    if (servelock_held(d->domid, &holder)) {
        xsw_close(d->xs);
        hv_close(d->hv);
        return fail("domain %lu is already served by a live daemon (pid %ld)", domid,
                    (long)holder);
    }
    if ((rc = daemon_setup(d, err, sizeof(err)))) {
        if (d->xs)
            xsw_close(d->xs);
        if (d->hv)
            hv_close(d->hv);
        return fail("%s", err);
    }
    report_ready(d, ready_fd);
    return daemon_run(d);
}

const struct pcipt_cmd cmd_serve = {
    .name = "serve",
    .run = run_serve,
    .synopsis = "serve [--ready-fd N] [--log syslog|stderr] DOMID",
    .summary = "serve a guest's PCI config space (the per-domain IOREQ server daemon)",
    .help =
        "Run the domain's device model in the foreground: create (or take over from a\n"
        "dead predecessor) the domain's IOREQ server, answer the guest's config\n"
        "accesses through the emulated host bridge, keep stage-2 mappings in step with\n"
        "the BARs the guest programs, relay INTx (uio_pci_generic) to the device's\n"
        "SPI, and follow hot attach/detach in xenstore.  Exits 0 when the domain dies\n"
        "(after removing everything of it) or on SIGTERM/SIGINT (the assignment stays\n"
        "for the next daemon).  SIGUSR1 prints one stats line.\n"
        "\n"
        "Options:\n"
        "  --ready-fd N          write \"READY=1\\n\" to fd N and close it once serving\n"
        "  --log syslog|stderr   where messages go (default stderr; started by hand\n"
        "                        on a terminal, it says once how to keep its log)\n"
        "  -v, --verbose         (global, also after serve) trace every config access:\n"
        "                        SBDF, register, size, value (\"cfg read  0000:00:01.0\n"
        "                        reg 0x000 size 4 -> 0x10c98086\"), with info messages\n"
        "Readiness is also sent to $NOTIFY_SOCKET (systemd Type=notify) and written\n"
        "as pcipt/server/state = ready in xenstore.\n",
};
