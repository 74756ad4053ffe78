/* pcipt watch --all: one watcher for every domain, so `xl pci-attach` is
 * followed with no per-domain command (toolstack-hooks/pcipt-watch.service
 * runs it from boot).
 *
 * The domain's daemon follows libxl's nodes itself once it runs
 * (daemon_follow_libxl); this covers a domain whose daemon is not up: a
 * guest made with `xl create` and a DT from `pcipt dtb`, or one whose
 * daemon stopped.  It watches the whole pci backend directory; at each
 * event, and every second, every domain that has one and no serving daemon
 * gets the round `pcipt watch DOMID` makes (watch_follow: adopt what libxl
 * listed, then start the daemon).  A round that failed is retried only
 * when libxl's list of that domain changes, so a device pcipt cannot take
 * is reported once, not at every xenstore write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pcipt/cli/cmd_watch.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/xl/launch.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

#define WATCH_ALL_MAX 64
#define WATCH_ALL_TOKEN "pcipt-xlwatch-all"

struct followed {
    bool used, first;
    uint32_t domid;
    pid_t follower;
    struct xlwatch *w;
    char *failed_sig;           /* libxl's list when a round here failed */
};

/* libxl's list of the domain as one string: num_devs, then dev-N and
 * state-N of each (libxl_pci.c libxl__device_pci_add_xenstore writes them).
 * NULL when unreadable. */
static char *libxl_list_sig(struct xs_handle *xs, uint32_t domid)
{
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX + 32], *num, *out;
    size_t len, cap = 64;
    unsigned n;

    xsp_backend_path(domid, be);
    snprintf(p, sizeof(p), "%s/num_devs", be);
    if (!(num = xsw_read(xs, XBT_NULL, p)))
        return NULL;
    n = (unsigned)strtoul(num, NULL, 10);
    if (n > PCIPT_MAX_DEVS || !(out = malloc(cap + (size_t)n * 64))) {
        free(num);
        return NULL;
    }
    snprintf(out, cap, "%.24s", num);
    len = strlen(out);
    free(num);
    for (unsigned i = 0; i < n; i++) {
        static const char *const keys[] = { "dev", "state" };
        for (unsigned k = 0; k < 2; k++) {
            char *v;
            snprintf(p, sizeof(p), "%s/%s-%u", be, keys[k], i);
            v = xsw_read(xs, XBT_NULL, p);
            snprintf(out + len, 32, "|%.24s", v ? v : "-");
            len += strlen(out + len);
            free(v);
        }
    }
    return out;
}

static struct followed *entry_for(struct followed *tab, uint32_t domid)
{
    struct followed *free_slot = NULL;

    for (unsigned i = 0; i < WATCH_ALL_MAX; i++) {
        if (tab[i].used && tab[i].domid == domid)
            return &tab[i];
        if (!tab[i].used && !free_slot)
            free_slot = &tab[i];
    }
    if (!free_slot || !(free_slot->w = calloc(1, sizeof(*free_slot->w))))
        return NULL;
    xlwatch_init(free_slot->w, domid, stdout);
    free_slot->used = free_slot->first = true;
    free_slot->domid = domid;
    free_slot->follower = 0;
    free_slot->failed_sig = NULL;
    return free_slot;
}

static void entry_drop(struct followed *e)
{
    free(e->w);
    free(e->failed_sig);
    memset(e, 0, sizeof(*e));
}

/* The domain died: its daemon cleans up after it; without one, release
 * what this watcher adopted (as `pcipt watch DOMID` does at the end). */
static void domain_gone(struct attach_ctx *ctx, struct followed *e)
{
    char err[512];

    if (!daemon_serving(e->domid, NULL) && e->w->n)
        (void)xlwatch_scan(ctx, e->w, err, sizeof(err));
    printf("domain %u is gone\n", e->domid);
    fflush(stdout);
    entry_drop(e);
}

static void follow_domain(struct attach_ctx *ctx, struct followed *e, bool start_daemon)
{
    struct watcher x = { .ctx = ctx, .w = e->w, .start_daemon = start_daemon,
                         .follower = e->follower };
    char *sig = NULL;
    pid_t pid;
    int rc;

    if (!daemon_serving(e->domid, &pid)) {
        sig = libxl_list_sig(ctx->xs, e->domid);
        if (sig && e->failed_sig && !strcmp(sig, e->failed_sig)) {
            free(sig);
            return;                     /* nothing changed since it failed */
        }
    }
    rc = watch_follow(&x, e->first);
    e->first = false;
    e->follower = x.follower;
    free(e->failed_sig);
    e->failed_sig = rc ? sig : NULL;
    if (!rc)
        free(sig);
}

static void round_all(struct attach_ctx *ctx, struct followed *tab, bool start_daemon)
{
    uint32_t ids[WATCH_ALL_MAX];
    int n = xsp_list_domains(ctx->xs, ids, WATCH_ALL_MAX);

    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;                               /* daemons we started that exited */
    for (unsigned i = 0; i < WATCH_ALL_MAX; i++) {
        bool listed = false;
        if (!tab[i].used)
            continue;
        for (int k = 0; k < n; k++)
            listed |= ids[k] == tab[i].domid;
        if (!listed || ctx->hv->ops->domain_exists(ctx->hv, tab[i].domid) == 0)
            domain_gone(ctx, &tab[i]);
    }
    for (int k = 0; k < n; k++) {
        struct followed *e;
        if (ctx->hv->ops->domain_exists(ctx->hv, ids[k]) != 1)
            continue;
        if (!(e = entry_for(tab, ids[k]))) {
            fprintf(stderr, "pcipt: watch: more than %d domains with PCI devices; domain %u "
                    "is not followed\n", WATCH_ALL_MAX, ids[k]);
            continue;
        }
        follow_domain(ctx, e, start_daemon);
    }
}

int watch_all(struct attach_ctx *ctx, bool start_daemon)
{
    static struct followed tab[WATCH_ALL_MAX];
    int rc;

    if ((rc = xsw_watch(ctx->xs, XSP_BACKEND_ROOT, WATCH_ALL_TOKEN)))
        return fail("watch: cannot watch %s: %s", XSP_BACKEND_ROOT, strerror(-rc));
    signal(SIGTERM, watch_on_signal);
    signal(SIGINT, watch_on_signal);
    printf("following xl pci-attach and pci-detach of every domain (%s)\n", XSP_BACKEND_ROOT);
    fflush(stdout);
    rc = 0;
    while (!watch_stop) {
        round_all(ctx, tab, start_daemon);
        /* Wake every second to notice a death or a signal. */
        if ((rc = xsw_wait_watch(ctx->xs, 1000)) < 0) {
            rc = fail("watch: waiting on %s: %s", XSP_BACKEND_ROOT, strerror(-rc));
            break;
        }
        rc = 0;
    }
    xsw_unwatch(ctx->xs, XSP_BACKEND_ROOT, WATCH_ALL_TOKEN);
    for (unsigned i = 0; i < WATCH_ALL_MAX; i++)
        if (tab[i].used)
            entry_drop(&tab[i]);
    return rc;
}
