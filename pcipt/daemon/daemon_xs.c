/* The daemon and xenstore: the backend-dir watch (hot attach/detach per
 * docs/design/attach.md "Hand-over: what attach publishes" and "Hand-over:
 * detach takes a device back"), @releaseDomain, guest-visible state
 * persistence, pcipt/server/{state,stats}. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/daemon/daemon.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_mapped.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_watch.h"
#include "pcipt/xl/xlwatch.h"

#define TOKEN_BE "pcipt-be"
#define TOKEN_RELEASE "pcipt-release"
#define XENBUS_INITIALISING 1
#define XENBUS_CLOSING 5

int daemon_xs_watch(struct daemon *d)
{
    char be[XSW_PATH_MAX];
    int rc;

    xsp_backend_path(d->domid, be);
    if ((rc = xsw_watch(d->xs, be, TOKEN_BE)))
        return rc;
    return xsw_watch(d->xs, "@releaseDomain", TOKEN_RELEASE);
}

int daemon_server_state(struct daemon *d, const char *state)
{
    return xsp_write_server_node(d->xs, d->domid, "state", state);
}

/* A failed xenstore write: the connection is gone (xenstored restarted or
 * died: libxenstore does not reconnect), so the daemon stops serving and
 * exits with status 1 for its supervisor (pciptd@.service Restart=) to
 * start a new one, which takes over the same IOREQ server and state; any
 * other failure is logged, rate-limited. */
static bool conn_errno(int rc)
{
    return rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN || rc == -EBADF || rc == -EIO ||
           rc == -ESHUTDOWN;
}

/* libxenstore's reader thread (started by the first watch) closes the
 * socket when xenstored goes; the request that was waiting for its reply
 * then fails with EINVAL (no reply queued: read_reply in
 * tools/libs/store/xs.c) and every later one with EBADF.  So an EINVAL is
 * checked with one more request. */
static bool conn_lost(struct daemon *d, int rc)
{
    char *v;

    if (conn_errno(rc))
        return true;
    if (rc != -EINVAL)
        return false;
    if ((v = xsw_read(d->xs, XBT_NULL, "/"))) {
        free(v);
        return false;
    }
    return conn_errno(errno ? -errno : -EIO);
}

void daemon_xs_failed(struct daemon *d, int rc, const char *what)
{
    if (conn_lost(d, rc)) {
        if (!d->xs_lost)
            log_err("dom%u: lost the xenstore connection (%s: %s): exiting so that the "
                    "daemon is started again", d->domid, what, strerror(-rc));
        d->xs_lost = true;
    } else if (ratelimit_ok(&d->xs_rl)) {
        log_err("dom%u: %s: %s", d->domid, what, strerror(-rc));
    }
}

/* Guest state (docs/design/daemon.md "Guest state"): an access that changes
 * a device's saved state journals it at once (state_journal.c, a memcpy
 * into the run dir, kill-safe) and marks it for xenstore; the loop writes
 * xenstore at most every STATE_FLUSH_MS, after the access has completed, so
 * a write storm costs a few xenstore transactions a second, not one per
 * access, and xenstore is never more than STATE_FLUSH_MS behind. */
void daemon_note_state(struct daemon *d)
{
    bool changed = false;

    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *dd = &d->devs[i];
        struct vdev_state st;

        if (!dd->used || !dd->state_dirty)
            continue;
        dd->state_dirty = false;
        dd->xs_dirty = true;
        changed = true;
        vdev_save_state(dd->vdev, &st);
        daemon_journal_put(d, &dd->as.host, &st);
    }
    if (changed)
        d->stats.state_changes++;
}

static void write_xs_state(struct daemon *d)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        struct daemon_dev *dd = &d->devs[i];
        struct vdev_state st;
        int rc;

        if (!dd->used || !dd->xs_dirty)
            continue;
        dd->xs_dirty = false;
        vdev_save_state(dd->vdev, &st);
        if ((rc = xsp_write_vdev_state(d->xs, d->domid, &dd->as.host, &st))) {
            char what[64];
            snprintf(what, sizeof(what), "cannot save the guest state of " SBDF_FMT,
                     SBDF_ARGS(dd->as.host));
            daemon_xs_failed(d, rc, what);
        } else {
            d->stats.state_writes++;
        }
    }
}

int daemon_flush_due(struct daemon *d, uint64_t now, bool force)
{
    bool pending = false;

    for (unsigned i = 0; i < PCIPT_MAX_DEVS && !pending; i++)
        pending = d->devs[i].used && d->devs[i].xs_dirty;
    if (!pending)
        return -1;
    if (!force && now < d->state_flush_ms + STATE_FLUSH_MS)
        return (int)(d->state_flush_ms + STATE_FLUSH_MS - now);
    d->state_flush_ms = now;
    write_xs_state(d);
    return -1;
}

void daemon_flush_state(struct daemon *d)
{
    daemon_note_state(d);
    daemon_flush_due(d, daemon_now_ms(), true);
}

/* state-N of the device published as index n, if dev-N still names host. */
static int read_state(struct daemon *d, unsigned n, const struct sbdf *host)
{
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX + 32], *v;
    char want[32];
    int st = -1;

    xsp_backend_path(d->domid, be);
    snprintf(p, sizeof(p), "%s/dev-%u", be, n);
    sbdf_format(host, want);
    if (!(v = xsw_read(d->xs, XBT_NULL, p)))
        return -1;
    if (strcmp(v, want)) {
        free(v);
        return -1;
    }
    free(v);
    snprintf(p, sizeof(p), "%s/state-%u", be, n);
    if ((v = xsw_read(d->xs, XBT_NULL, p))) {
        char *end;
        long x = strtol(v, &end, 10);
        if (end != v && !*end)
            st = (int)x;
        free(v);
    }
    return st;
}

/* The N of be/dev-N naming host (libxl-only devices before it shift N
 * away from the index in the published assignment); PCIPT_MAX_DEVS if none. */
static unsigned be_index(struct daemon *d, const struct sbdf *host)
{
    for (unsigned n = 0; n < PCIPT_MAX_DEVS; n++)
        if (read_state(d, n, host) >= 0)
            return n;
    return PCIPT_MAX_DEVS;
}

/* pcipt/dev-N/detach of host: XSP_DETACH_ASKED/RELEASED, 0 if absent. */
static unsigned read_detach(struct daemon *d, const struct sbdf *host)
{
    unsigned v = 0;

    return xsp_read_dev_detach(d->xs, d->domid, host, &v) ? 0 : v;
}

/* Answer pcipt detach's request (pcipt/dev-N/detach = 1 -> 2). */
static void answer_detach(struct daemon *d, const struct sbdf *host)
{
    int rc = xsp_write_dev_detach(d->xs, d->domid, host, XSP_DETACH_RELEASED);

    if (rc && rc != -ENOENT)
        log_err("dom%u: cannot tell detach that " SBDF_FMT " is released: %s", d->domid,
                SBDF_ARGS(*host), strerror(-rc));
}

static bool published(const struct domain_assign *a, const struct sbdf *host)
{
    for (unsigned i = 0; i < a->ndevs; i++)
        if (sbdf_equal(&a->devs[i].host, host))
            return true;
    return false;
}

/* Devices `xl pci-attach` published through libxl (Xen 4.21+): adopt and
 * release them first (pcipt/xl/xlwatch.h), so the pass below sees them as
 * pcipt's own.  One daemon serves one domain: the state is per process. */
static struct xlwatch libxl_w;
static bool libxl_w_init;

void daemon_follow_libxl(struct daemon *d)
{
    struct attach_ctx ctx = { .hv = d->hv, .xs = d->xs, .sysfs = d->sysfs,
                              .layout = d->layout };
    char err[512];

    if (!libxl_w_init) {
        xlwatch_init(&libxl_w, d->domid, stderr);
        libxl_w_init = true;
    }
    if (xlwatch_scan(&ctx, &libxl_w, err, sizeof(err)) < 0)
        log_warn("dom%u: following libxl's pci nodes: %s", d->domid, err);
}

/* Devices on the bus that xlwatch has just released: their BARs are
 * unmapped, their iomem revoked (unmapping again would fail: Xen checks the
 * permission) and their records rewritten, so taking them off the bus
 * (now, or at a later event when libxl's removal is complete) must leave
 * the p2m and xenstore alone. */
static void mark_released(struct daemon *d)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used && xlwatch_just_released(&libxl_w, &d->devs[i].as.host))
            d->devs[i].p2m_released = true;
}

/* Detaching the last device removes the whole backend dir, this daemon's
 * record with it; it keeps serving (the guest may rescan an empty bus).
 * When devices are published again, write the record back, so status,
 * pci-attach and a restart find this server. */
static void rerecord_server(struct daemon *d, const struct domain_assign *a)
{
    struct xsp_server srv;
    char err[256];
    int rc;

    if (!a->ndevs || xsp_read_server(d->xs, d->domid, &srv, err, sizeof(err)) != -ENOENT)
        return;
    if ((rc = daemon_server_record(d)) || (rc = daemon_server_state(d, "ready")))
        log_warn("dom%u: cannot record the IOREQ server again: %s", d->domid, strerror(-rc));
    else
        log_info("dom%u: IOREQ server %u recorded again", d->domid, d->server_id);
}

void daemon_xs_changed(struct daemon *d)
{
    static struct domain_assign a;
    char err[512];
    int rc;

    if (d->hv->ops->domain_exists(d->hv, d->domid) == 0) {
        d->domain_dead = true;
        return;
    }
    daemon_follow_libxl(d);
    mark_released(d);
    rc = xsp_read_domain_published(d->xs, d->domid, &a, err, sizeof(err));
    if (rc == -ENOENT) {
        a.ndevs = 0;
    } else if (rc) {
        log_warn("dom%u: assignment in xenstore unreadable (%s); keeping the bus as it is",
                 d->domid, err[0] ? err : strerror(-rc));
        return;
    }
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)       /* gone without a goodbye */
        if (d->devs[i].used && !published(&a, &d->devs[i].as.host))
            daemon_dev_remove(d, &d->devs[i]);
    /* pcipt detach asks through pcipt/dev-N/detach; libxl's state-N = 5 is
     * xl pci-detach or xl destroy, which xlwatch has released above (the
     * device is p2m_released): the daemon never writes libxl's state-N. */
    for (unsigned n = 0; n < a.ndevs; n++) {
        const struct dev_assign *as = &a.devs[n];
        struct daemon_dev *dd = daemon_dev_by_host(d, &as->host);
        int st = read_state(d, be_index(d, &as->host), &as->host);
        unsigned det = read_detach(d, &as->host);

        if (det == XSP_DETACH_ASKED) {
            if (dd)
                daemon_dev_remove(d, dd);
            answer_detach(d, &as->host);
        } else if (dd && st == XENBUS_CLOSING) {
            daemon_dev_remove(d, dd);
        } else if (!dd && !det && st == XENBUS_INITIALISING) {
            if ((rc = daemon_dev_add(d, as, err, sizeof(err))))
                log_err("dom%u: hot attach of " SBDF_FMT " failed: %s", d->domid,
                        SBDF_ARGS(as->host), err);
        }
    }
    rerecord_server(d, &a);
}

void daemon_stats_line(struct daemon *d, char *buf, size_t len)
{
    const struct ioreq_stats *s = &d->router.stats;
    uint64_t raised = d->stats.intx_raised, lowered = d->stats.intx_lowered;
    uint64_t reraised = d->stats.intx_reraised;

    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        raised += d->devs[i].intx.raised;
        lowered += d->devs[i].intx.lowered;
        reraised += d->devs[i].intx.reraised;
    }
    snprintf(buf, len,
             "pciptd: stats dom=%u ioreqs=%" PRIu64 " cfg=%" PRIu64 " cfg_reads=%" PRIu64
             " cfg_writes=%" PRIu64 " ecam_reads=%" PRIu64 " ecam_writes=%" PRIu64
             " pci_config_reads=%" PRIu64 " pci_config_writes=%" PRIu64 " bar_window=%" PRIu64
             " unclaimed=%" PRIu64 " invalidate=%" PRIu64 " malformed=%" PRIu64
             " unknown_type=%" PRIu64 " msix=%" PRIu64 " maps=%" PRIu64 " unmaps=%" PRIu64 " remaps=%" PRIu64
             " refused=%" PRIu64 " flr=%" PRIu64 " intx_raised=%" PRIu64
             " intx_lowered=%" PRIu64 " intx_reraised=%" PRIu64 " bar_mapped_hits=%" PRIu64
             " woken=%" PRIu64 " state_changes=%" PRIu64 " state_writes=%" PRIu64
             " first_cfg_us=%" PRIu64
             " last_cfg_us=%" PRIu64 " first_access_ms=%s%" PRIu64,
             d->domid,
             s->ecam_reads + s->ecam_writes + s->pci_config_reads + s->pci_config_writes +
                 s->bar_window + s->unclaimed + s->invalidate + s->malformed + s->unknown_type +
                 s->msix,
             s->ecam_reads + s->ecam_writes + s->pci_config_reads + s->pci_config_writes,
             s->ecam_reads + s->pci_config_reads, s->ecam_writes + s->pci_config_writes,
             s->ecam_reads, s->ecam_writes, s->pci_config_reads, s->pci_config_writes,
             s->bar_window, s->unclaimed, s->invalidate, s->malformed, s->unknown_type, s->msix,
             d->stats.maps, d->stats.unmaps, d->stats.remaps, d->stats.refused_moves,
             d->stats.flr, raised, lowered, reraised, d->stats.bar_mapped_hits, d->stats.woken,
             d->stats.state_changes, d->stats.state_writes,
             d->stats.first_cfg_us,
             d->stats.last_cfg_us, d->stats.first_seen ? "" : "-", d->stats.first_seen ? d->stats.first_access_ms : 1);
}

/* At most once a second (called from the 1 s tick) and only on change. */
void daemon_stats_publish(struct daemon *d, bool force)
{
    char line[1024];

    daemon_stats_line(d, line, sizeof(line));
    if (!force && !strcmp(line, d->last_stats))
        return;
    if (xsp_write_server_node(d->xs, d->domid, "stats", line) == 0)
        snprintf(d->last_stats, sizeof(d->last_stats), "%s", line);
}
