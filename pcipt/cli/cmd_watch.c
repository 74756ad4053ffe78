/* pcipt watch [--once] [--no-daemon] DOMID: follow `xl pci-attach` /
 * `xl pci-detach` of one domain through libxl's xenstore nodes
 * (pcipt/xl/xlwatch.h), and make sure the domain's daemon serves what it
 * adopted (pcipt/xl/launch.h). */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmd_watch.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/xl/launch.h"
#include "pcipt/xl/xlwatch.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

volatile sig_atomic_t watch_stop;

void watch_on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* After an adoption: a daemon must serve the domain, or the guest has
 * mapped BARs but no config space to find them through.  1 on failure. */
static int ensure_daemon(struct watcher *x)
{
    char err[512];
    bool started;
    pid_t pid;

    if (daemon_ensure(&g_opts, x->ctx->xs, x->w->domid, &pid, &started, err, sizeof(err))) {
        printf("cannot start domain %u's daemon: %s\n", x->w->domid, err);
        fflush(stdout);
        return 1;
    }
    printf("%s domain %u's daemon (pid %d); it follows libxl's nodes from now on\n",
           started ? "started" : "found", x->w->domid, (int)pid);
    fflush(stdout);
    x->follower = pid;
    return 0;
}

/* One round.  While the domain's daemon runs, it follows libxl itself
 * (daemon_follow_libxl): two followers would both release a device, so
 * this one only keeps its cache in step.  Otherwise scan, and after an
 * adoption (or at the first round, if pcipt adopted devices before) make
 * sure a daemon serves the domain.  1 if something failed, else 0. */
int watch_follow(struct watcher *x, bool first)
{
    struct xlwatch *w = x->w;
    unsigned adopted = w->adopted, failed = w->failed;
    char err[512];
    pid_t pid;

    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;                       /* reap a daemon we spawned that exited */
    if (daemon_serving(w->domid, &pid)) {
        if (pid != x->follower)
            printf("domain %u's daemon (pid %d) follows libxl's nodes\n", w->domid, (int)pid);
        fflush(stdout);
        x->follower = pid;
        if (xlwatch_sync(x->ctx->xs, w, err, sizeof(err)) < 0)
            fprintf(stderr, "pcipt: watch: %s\n", err);
        return 0;
    }
    if (x->follower)
        printf("domain %u's daemon (pid %d) is gone; following libxl's nodes here\n", w->domid,
               (int)x->follower);
    x->follower = 0;
    if (xlwatch_scan(x->ctx, w, err, sizeof(err)) < 0) {
        fprintf(stderr, "pcipt: watch: %s\n", err);
        return 1;
    }
    if (x->start_daemon && xlwatch_nadopted(w) && (first || w->adopted > adopted))
        return ensure_daemon(x) || w->failed > failed;
    return w->failed > failed;
}

static int watch_loop(struct watcher *x)
{
    struct attach_ctx *ctx = x->ctx;
    uint32_t domid = x->w->domid;
    char be[XSW_PATH_MAX];
    bool first = true;
    int rc;

    xsp_backend_path(domid, be);
    if ((rc = xsw_watch(ctx->xs, be, "pcipt-xlwatch")))
        return fail("watch: cannot watch %s: %s", be, strerror(-rc));
    signal(SIGTERM, watch_on_signal);
    signal(SIGINT, watch_on_signal);
    rc = 1;                                /* a round at start */
    while (!watch_stop) {
        if (rc == 1) {
            (void)watch_follow(x, first);
            first = false;
        }
        if (ctx->hv->ops->domain_exists(ctx->hv, domid) == 0) {
            /* The daemon cleans up after a dead domain itself. */
            if (!daemon_serving(domid, NULL)) {
                char err[512];
                xlwatch_scan(ctx, x->w, err, sizeof(err));
            }
            printf("domain %u is gone\n", domid);
            break;
        }
        /* Wake every second to notice the domain's death or a signal. */
        if ((rc = xsw_wait_watch(ctx->xs, 1000)) < 0) {
            xsw_unwatch(ctx->xs, be, "pcipt-xlwatch");
            return fail("watch: waiting on %s: %s", be, strerror(-rc));
        }
    }
    xsw_unwatch(ctx->xs, be, "pcipt-xlwatch");
    return 0;
}

static int run_watch(int argc, char **argv)
{
    const char *dom = NULL;
    bool once = false, all = false;
    struct watcher x = { .start_daemon = true };
    struct attach_ctx ctx;
    struct xlwatch *w;
    uint32_t domid;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = true;
        else if (!strcmp(argv[i], "--once"))
            once = true;
        else if (!strcmp(argv[i], "--no-daemon"))
            x.start_daemon = false;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error(&cmd_watch, "unknown option '%s'", argv[i]);
        else if (dom)
            return usage_error(&cmd_watch, "unexpected argument '%s'", argv[i]);
        else
            dom = argv[i];
    }
    if (all && (dom || once))
        return usage_error(&cmd_watch, "--all takes no DOMID and no --once");
    if (all) {
        if ((rc = cmd_ctx_open(&ctx, true)))
            return rc;
        rc = watch_all(&ctx, x.start_daemon);
        cmd_ctx_close(&ctx);
        return rc;
    }
    if (!dom)
        return usage_error(&cmd_watch, "give a domain id, or --all");
    if (parse_domid(dom, &domid))
        return usage_error(&cmd_watch, "'%s' is not a guest domain id (1..32751)", dom);
    if (!(w = calloc(1, sizeof(*w))))
        return fail("out of memory");
    if ((rc = cmd_ctx_open(&ctx, true))) {
        free(w);
        return rc;
    }
    xlwatch_init(w, domid, stdout);
    x.ctx = &ctx;
    x.w = w;
    rc = once ? watch_follow(&x, true) : watch_loop(&x);
    cmd_ctx_close(&ctx);
    free(w);
    return rc;
}

const struct pcipt_cmd cmd_watch = {
    .name = "watch",
    .run = run_watch,
    .synopsis = "watch [--once] [--no-daemon] DOMID|--all",
    .summary = "follow xl pci-attach/pci-detach of a domain, or of every domain",
    .help =
        "Description:\n"
        "  `xl pci-attach` assigns the function to the domain (Xen 4.21 and later\n"
        "  built with CONFIG_PCI_PASSTHROUGH, or 4.17 with pcipt's patch series) and\n"
        "  writes libxl's pciback nodes (dev-N, key-N, opts-N, state-N, num_devs)\n"
        "  under /local/domain/0/backend/pci/DOMID/0, but maps nothing.  A domain's\n"
        "  daemon follows those nodes itself; `pcipt watch` covers a domain whose\n"
        "  daemon is not running.  It watches that directory and\n"
        "    - adopts each device libxl added (state-N = 1) that pcipt has no nodes\n"
        "      for: plans it (at libxl's vdevfn slot if given), maps its BARs and\n"
        "      publishes pcipt's nodes beside libxl's, which stay as libxl wrote them;\n"
        "    - then makes sure the domain's daemon serves it: the running one (found\n"
        "      through its xenstore record or its serve lock), else one started as\n"
        "      `pcipt pci-attach` starts it (`systemctl start pciptd@DOMID`, or\n"
        "      `pcipt serve DOMID`) and waited for;\n"
        "    - releases an adopted device when libxl closes it (state-N = 5) or\n"
        "      removes its nodes: unmaps its BARs and revokes the domain's access.\n"
        "  While the domain's daemon runs, the daemon itself adopts and releases\n"
        "  (it runs the same scan from its own watch, and at its start), and the\n"
        "  watcher only keeps track of what is adopted, to take over if the daemon\n"
        "  stops.  One line per action on stdout.  It ends when the domain dies\n"
        "  (after releasing what it adopted, unless a daemon cleans up) or on\n"
        "  SIGTERM/SIGINT.\n"
        "\n"
        "  With --all it does the same for every domain that has a pci backend\n"
        "  directory, for as long as it runs; pcipt-watch.service runs it from\n"
        "  boot, so `xl pci-attach` needs no command per domain.  A device it\n"
        "  cannot take is reported once, and tried again when libxl's list of that\n"
        "  domain changes.\n"
        "\n"
        "Options:\n"
        "  --all         every domain (no DOMID); ends only on SIGTERM/SIGINT\n"
        "  --once        one round and exit (1 if a device could not be adopted or\n"
        "                the daemon could not be started)\n"
        "  --no-daemon   never start a daemon (one that runs still takes over)\n"
        "\n"
        "Examples:  pcipt watch 5 &   xl pci-attach 5 0000:01:00.0\n"
        "           systemctl enable --now pcipt-watch.service\n",
};
