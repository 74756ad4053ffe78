/* pcipt serve: setup and teardown (pcipt/daemon/daemon.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/daemon/daemon.h"
#include "pcipt/assign/dma.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/assign/stale.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/host/host_reset.h"
#include "hostbridge/common/log.h"
#include "pcipt/hv/map.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_owner.h"
#include "pcipt/xs/xs_paths.h"

uint64_t daemon_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_signals(struct daemon *d)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL))
        return -errno;
    d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return d->sig_fd < 0 ? -errno : 0;
}

/* The served bus: the one all published devices sit on (the guest DT
 * advertises only it). */
static int pick_bus(struct daemon *d, const struct domain_assign *a, char *err, size_t errlen)
{
    d->bus = a->ndevs ? a->devs[0].guest.bus : 0;
    for (unsigned i = 0; i < a->ndevs; i++)
        if (a->devs[i].guest.seg != 0 || a->devs[i].guest.bus != d->bus) {
            snprintf(err, errlen, "domain %u: devices on more than one virtual bus "
                     "(0000:%02x and %04x:%02x); one bus is served", d->domid, d->bus,
                     a->devs[i].guest.seg, a->devs[i].guest.bus);
            return -EINVAL;
        }
    return 0;
}

/* Take the devices off the bus without touching the p2m or the records:
 * they stay consistent for the next daemon. */
static void release_devices(struct daemon *d)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *dd = &d->devs[i];
        if (!dd->used)
            continue;
        intx_line_stop(&dd->intx);
        hostbridge_remove_device(d->hb, dd->as.guest.dev, dd->as.guest.fn);
        daemon_msix_release(dd);
        if (dd->hp)
            hostpci_close(dd->hp);
        memset(dd, 0, sizeof(*dd));
    }
}

static void release(struct daemon *d)
{
    daemon_journal_close(d, d->domain_dead);
    daemon_msi_release(d);
    if (d->topo)
        vpci_topology_free(d->topo);
    d->topo = NULL;
    if (d->sig_fd > 0)
        close(d->sig_fd);
    d->sig_fd = -1;
    if (d->xs)
        xsw_close(d->xs);
    d->xs = NULL;
    if (d->hv)
        hv_close(d->hv);
    d->hv = NULL;
    domlock_release(d->serve_lock_fd);     /* after the server is let go */
    d->serve_lock_fd = -1;
}

/* An assignment of another domain than the one domid names now (its
 * be/pcipt/vm, pcipt/xs/xs_owner.h: the domain was destroyed while no
 * daemon ran, the domid reused) is never served: its devices are taken
 * back, under the domain lock, and the daemon exits (stale.h). */
static int refuse_stale(struct daemon *d, char *err, size_t errlen)
{
    struct attach_ctx ac = { .hv = d->hv, .xs = d->xs, .sysfs = d->sysfs,
                             .host_dt = d->host_dt };
    char rec[XSP_VM_MAX], cur[XSP_VM_MAX], e[400];
    int lock;

    if (xsp_owner_check(d->xs, d->domid, rec, cur, sizeof(rec)) != -ESTALE)
        return 0;
    snprintf(err, errlen, "domain %u's devices in xenstore were assigned to %s, not to this "
             "domain (%s): nothing served; the stale assignment is removed and its devices "
             "taken back", d->domid, rec, cur[0] ? cur : "no vm node");
    if ((lock = domlock_acquire(d->domid, e, sizeof(e))) >= 0) {
        if (attach_reap_stale(&ac, d->domid, NULL, NULL, e, sizeof(e)))
            log_err("%s", e);
        domlock_release(lock);
    }
    return -ESTALE;
}

int daemon_setup(struct daemon *d, char *err, size_t errlen)
{
    static struct domain_assign a;
    char sub[512];
    int rc;

    d->stats.start_ms = daemon_now_ms();
    d->refuse_rl = (struct ratelimit)RATELIMIT_INIT(10, 1000);
    d->xs_rl = (struct ratelimit)RATELIMIT_INIT(5, 1000);
    if ((rc = d->hv->ops->domain_exists(d->hv, d->domid)) <= 0) {
        snprintf(err, errlen, "domain %u does not exist%s", d->domid, rc < 0 ? " (or cannot be "
                 "queried)" : "");
        return rc < 0 ? rc : -ESRCH;
    }
    {
        pid_t holder;
        d->serve_lock_fd = servelock_acquire(d->domid, &holder, sub, sizeof(sub));
        if (d->serve_lock_fd == -EBUSY) {
            snprintf(err, errlen, "domain %u is already served by a live daemon (pid %ld)",
                     d->domid, (long)holder);
            return -EBUSY;
        }
        if (d->serve_lock_fd < 0) {
            snprintf(err, errlen, "%s", sub);
            return d->serve_lock_fd;
        }
    }
    if ((rc = refuse_stale(d, err, errlen)))
        return rc;
    /* Devices libxl published without pcipt (`xl create` / `xl pci-attach`
     * on Xen 4.21+) are adopted first; those it could not adopt are left
     * out.  This also tells the daemon what is adopted before it is ready,
     * so a watcher that started it can leave following libxl to it. */
    daemon_follow_libxl(d);
    rc = xsp_read_domain_published(d->xs, d->domid, &a, sub, sizeof(sub));
    if (rc == -ENOENT) {
        /* nothing yet (`pcipt create` of a guest with no device): an empty
         * bus, as after the last detach (daemon_xs_changed), that devices
         * attached later join */
        log_info("dom%u: no devices assigned yet: serving an empty bus", d->domid);
        memset(&a, 0, sizeof(a));
        a.domid = d->domid;
    } else if (rc) {
        snprintf(err, errlen, "domain %u's assignment in xenstore: %s", d->domid,
                 sub[0] ? sub : strerror(-rc));
        return rc;
    }
    if ((rc = pick_bus(d, &a, err, errlen)) || (rc = open_signals(d)))
        return rc;
    d->topo = vpci_topology_new();
    if (!d->topo || (rc = vpci_topology_add_bridge(d->topo, 0, d->bus, d->bus, &d->hb))) {
        snprintf(err, errlen, "cannot build the virtual host bridge");
        return d->topo ? rc : -ENOMEM;
    }
    vpci_topology_set_event_handler(d->topo, daemon_event, d);
    ioreq_router_init(&d->router, d->topo, 0, d->bus,
                      d->layout.ecam_base + ((uint64_t)d->bus << 20), 1u << 20);
    d->router.mmio = daemon_msix_mmio;           /* trapped MSI-X pages */
    d->router.mmio_opaque = d;
    if (d->layout.mem_size)
        ioreq_router_add_window(&d->router, d->layout.mem_base, d->layout.mem_size);
    if (d->layout.pref_size)
        ioreq_router_add_window(&d->router, d->layout.pref_base, d->layout.pref_size);
    for (unsigned i = 0; i < a.ndevs; i++) {
        const struct sbdf *h = &a.devs[i].host;
        if ((rc = daemon_dev_add(d, &a.devs[i], sub, sizeof(sub)))) {
            snprintf(err, errlen, "domain %u, device " SBDF_FMT ": %s", d->domid, SBDF_ARGS(*h),
                     sub);
            goto undo;
        }
    }
    (void)daemon_server_state(d, "starting");
    if ((rc = daemon_server_start(d, err, errlen)))
        goto undo;
    if ((rc = daemon_xs_watch(d))) {
        snprintf(err, errlen, "cannot watch %s: %s", xsp_backend_path(d->domid, sub),
                 strerror(-rc));
        goto undo;
    }
    return 0;
undo:
    daemon_server_detach(d);
    if (d->server_created)
        daemon_server_destroy(d);
    release_devices(d);
    daemon_msi_release(d);
    if (d->topo)
        vpci_topology_free(d->topo);
    d->topo = NULL;
    return rc;
}

void daemon_shutdown(struct daemon *d)
{
    char line[1024];

    daemon_flush_due(d, daemon_now_ms(), true);     /* xenstore as current as the journal */
    daemon_stats_line(d, line, sizeof(line));
    fprintf(stderr, "%s\n", line);
    daemon_stats_publish(d, true);
    (void)daemon_server_state(d, "stopped");
    daemon_server_detach(d);
    release_devices(d);          /* they stay assigned and mapped */
    release(d);
}

void daemon_cleanup_dead(struct daemon *d)
{
    char line[1024];

    log_info("dom%u: the domain is gone; removing its mappings, permissions, server and "
             "xenstore nodes", d->domid);
    daemon_stats_line(d, line, sizeof(line));
    fprintf(stderr, "%s\n", line);
    d->domain_dead = true;
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *dd = &d->devs[i];
        if (!dd->used)
            continue;
        for (int b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &dd->as.bars[b];
            if (ba->type != BAR_NONE && ba->type != BAR_IO && ba->size)
                (void)hv_revoke_iomem(d->hv, d->domid, ba->host, ba->size);
        }
        dd->intx.spi_high = false;        /* nothing to lower in a dead domain */
        struct sbdf host = dd->as.host;
        bool iommu = dd->as.dma == DEV_DMA_IOMMU;
        daemon_dev_remove(d, dd);         /* host Bus Master off */
        /* Xen put the dead domain's functions in quarantine; dom0 cannot
         * use one until it is deassigned from there (xen-arm-dma-msi.md
         * section 6). */
        int rc = iommu ? dma_deassign(d->hv, HV_DOMID_IO, &host) : 0;
        if (rc)
            log_err("dom%u: cannot deassign %04x:%02x:%02x.%x from quarantine: %s", d->domid,
                    host.seg, host.bus, host.dev, host.fn, strerror(-rc));
        /* the dead guest's state stays out of dom0 and the next guest
         * (pcipt/host/host_reset.h) */
        char e[700];
        if (hostpci_reset_addr(d->sysfs, &host, NULL, e, sizeof(e)))
            log_err("dom%u: %s (the next attach resets it)", d->domid, e);
    }
    daemon_server_detach(d);
    daemon_server_destroy(d);
    (void)xsp_remove_domain(d->xs, d->domid);
    release(d);
}
