/* pcipt watch [--once] DOMID: follow `xl pci-attach` / `xl pci-detach` of
 * one domain through libxl's xenstore nodes (pcipt/xlwatch.h). */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/cmd_ctx.h"
#include "pcipt/cmds.h"
#include "pcipt/xlwatch.h"
#include "pcipt/xs.h"
#include "pcipt/xs_publish.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int watch_loop(struct attach_ctx *ctx, struct xlwatch *w)
{
    char be[XSW_PATH_MAX], err[512];
    int rc;

    xsp_backend_path(w->domid, be);
    if ((rc = xsw_watch(ctx->xs, be, "pcipt-xlwatch")))
        return fail("watch: cannot watch %s: %s", be, strerror(-rc));
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rc = 1;                                /* scan once at start */
    while (!stop) {
        if (rc == 1 && xlwatch_scan(ctx, w, err, sizeof(err)) < 0)
            fprintf(stderr, "pcipt: watch: %s\n", err);
        if (ctx->hv->ops->domain_exists(ctx->hv, w->domid) == 0) {
            xlwatch_scan(ctx, w, err, sizeof(err));
            printf("domain %u is gone\n", w->domid);
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
    bool once = false;
    struct attach_ctx ctx;
    struct xlwatch *w;
    uint32_t domid;
    char err[512];
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--once"))
            once = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error(&cmd_watch, "unknown option '%s'", argv[i]);
        else if (dom)
            return usage_error(&cmd_watch, "unexpected argument '%s'", argv[i]);
        else
            dom = argv[i];
    }
    if (!dom)
        return usage_error(&cmd_watch, "give a domain id");
    if (cmd_parse_domid(dom, &domid))
        return usage_error(&cmd_watch, "'%s' is not a guest domain id (1..32751)", dom);
    if (!(w = calloc(1, sizeof(*w))))
        return fail("out of memory");
    if ((rc = cmd_ctx_open(&ctx, true))) {
        free(w);
        return rc;
    }
    xlwatch_init(w, domid, stdout);
    if (once) {
        rc = xlwatch_scan(&ctx, w, err, sizeof(err)) < 0 ? fail("watch: %s", err) : 0;
        if (!rc && w->failed)
            rc = 1;
    } else {
        rc = watch_loop(&ctx, w);
    }
    cmd_ctx_close(&ctx);
    free(w);
    return rc;
}

const struct pcipt_cmd cmd_watch = {
    .name = "watch",
    .run = run_watch,
    .synopsis = "watch [--once] DOMID",
    .summary = "follow xl pci-attach/pci-detach of a domain (Xen 4.21+ with PCI passthrough)",
    .help =
        "Description:\n"
        "  Where `xl pci-attach` itself assigns the device (Xen 4.21 and later built\n"
        "  with CONFIG_PCI_PASSTHROUGH), libxl writes its pciback nodes (dev-N,\n"
        "  key-N, opts-N, state-N, num_devs) under /local/domain/0/backend/pci/DOMID/0\n"
        "  but maps nothing.  `pcipt watch` watches that directory and\n"
        "    - adopts each device libxl added (state-N = 1) that pcipt has no nodes\n"
        "      for: plans it (at libxl's vdevfn slot if given), maps its BARs and\n"
        "      publishes pcipt's nodes beside libxl's, which stay as libxl wrote them;\n"
        "    - releases an adopted device when libxl closes it (state-N = 5) or\n"
        "      removes its nodes: unmaps its BARs and revokes the domain's access.\n"
        "  One line per action on stdout.  It ends when the domain dies (after\n"
        "  releasing what it adopted) or on SIGTERM/SIGINT.  The domain's daemon\n"
        "  runs the same scan (xlwatch_scan) from its own watch.\n"
        "\n"
        "Options:\n"
        "  --once   scan once and exit (1 if a device could not be adopted)\n"
        "\n"
        "Example:  pcipt watch 5 &   xl pci-attach 5 0000:01:00.0\n",
};
