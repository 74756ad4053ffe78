/* The IOREQ server: bring-up in Xen's order (docs/xen-facts.md
 * "IOREQ server bring-up": create
 * with buffered ioreqs off, map the ioreq page = resource frame 1, claim
 * ranges, register SBDFs, enable, THEN read each vCPU's vp_eport and bind
 * it), or reuse of the server a dead daemon recorded in pcipt/server/ or,
 * once that went with the backend dir, in the run dir (domlock.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/daemon/daemon.h"
#include "pcipt/assign/domlock.h"
#include "hostbridge/common/log.h"
#include "pcipt/xs/xs.h"

int daemon_server_claim_dev(struct daemon *d, const struct daemon_dev *dd, bool add)
{
    const struct sbdf *g = &dd->as.guest;

    if (add)
        return d->hv->ops->ioreq_map_pcidev(d->hv, d->domid, d->server_id, g->seg, g->bus,
                                            g->dev, g->fn);
    return d->hv->ops->ioreq_unmap_pcidev(d->hv, d->domid, d->server_id, g->seg, g->bus,
                                          g->dev, g->fn);
}

/* A taken-over server keeps what its creator claimed (Xen refuses a range
 * or SBDF claimed twice with -EEXIST): claiming again adds only what is new
 * (a device published while no daemon ran, another bus). */
static int claimed(int rc, bool again)
{
    return again && rc == -EEXIST ? 0 : rc;
}

/* ECAM of the served bus, the two BAR holes (all-ones where nothing is
 * mapped instead of a guest abort), the root complex and every device. */
static int claim_all(struct daemon *d, bool again, const char **what)
{
    const struct hv_ops *o = d->hv->ops;
    const struct guest_layout *l = &d->layout;
    uint64_t ecam = l->ecam_base + ((uint64_t)d->bus << 20);
    int rc;

    *what = "the ECAM window";
    if ((rc = claimed(o->ioreq_map_range(d->hv, d->domid, d->server_id, true, ecam,
                                         ecam + (1u << 20) - 1), again)))
        return rc;
    *what = "the 32-bit BAR hole";
    if (l->mem_size &&
        (rc = claimed(o->ioreq_map_range(d->hv, d->domid, d->server_id, true, l->mem_base,
                                         l->mem_base + l->mem_size - 1), again)))
        return rc;
    *what = "the prefetchable BAR hole";
    if (l->pref_size &&
        (rc = claimed(o->ioreq_map_range(d->hv, d->domid, d->server_id, true, l->pref_base,
                                         l->pref_base + l->pref_size - 1), again)))
        return rc;
    *what = "the root complex's SBDF";
    if ((rc = claimed(o->ioreq_map_pcidev(d->hv, d->domid, d->server_id, 0, d->bus, 0, 0),
                      again)))
        return rc;
    *what = "a device's virtual SBDF";
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used && (rc = claimed(daemon_server_claim_dev(d, &d->devs[i], true),
                                             again)))
            return rc;
    return 0;
}

static int bind_ports(struct daemon *d, char *err, size_t errlen)
{
    for (unsigned v = 0; v < d->nr_vcpus; v++) {
        uint32_t remote = d->page->vcpu_ioreq[v].vp_eport;
        int l = d->hv->ops->evtchn_bind(d->hv, d->domid, remote);
        if (l < 0) {
            snprintf(err, errlen, "cannot bind vCPU %u's event channel %u of domain %u: %s", v,
                     remote, d->domid, strerror(-l));
            for (unsigned u = 0; u < v; u++)
                d->hv->ops->evtchn_unbind(d->hv, d->local_port[u]);
            return l;
        }
        d->local_port[v] = (uint32_t)l;
    }
    return 0;
}

/* The domain's xenstore `vm` node ("/vm/<uuid>", libxl's), "" if none. */
static void domain_vm(struct daemon *d, char *vm, size_t len)
{
    char path[64], *v;

    snprintf(path, sizeof(path), "/local/domain/%u/vm", d->domid);
    v = xsw_read(d->xs, XBT_NULL, path);
    snprintf(vm, len, "%s", v && strlen(v) < len ? v : "");
    free(v);
}

/* Keep the run-dir record (domlock.h) in step with the server served. */
static int record_in_run_dir(struct daemon *d)
{
    struct serve_record r = { .server_id = d->server_id };

    domain_vm(d, r.vm, sizeof(r.vm));
    return serve_record_write(d->domid, &r);
}

/* Map the ioreq page of server id: it still exists (and is the emulator's). */
static bool map_server(struct daemon *d, uint16_t id)
{
    void *page;

    if (d->hv->ops->ioreq_map_page(d->hv, d->domid, id, &page))
        return false;
    d->server_id = id;
    d->page = page;
    d->reused = true;
    return true;
}

/* The server a dead daemon left, recorded in pcipt/server/ (xenstore) or,
 * when that went with the backend dir, in the run dir: map its page again.
 * This daemon holds the serve lock, so whoever recorded it is dead.  A
 * run-dir record of this domain (same `vm`) naming another server than the
 * one taken over is a pcipt server nobody serves: destroyed, or Xen would
 * keep sending it the accesses it claims. */
static int try_reuse(struct daemon *d)
{
    struct xsp_server srv;
    struct serve_record rec;
    char vm[sizeof(rec.vm)];
    bool ours;

    domain_vm(d, vm, sizeof(vm));
    ours = serve_record_read(d->domid, &rec) == 0 && !strcmp(rec.vm, vm);
    if (xsp_read_server(d->xs, d->domid, &srv, NULL, 0) == 0 && srv.id <= UINT16_MAX &&
        map_server(d, (uint16_t)srv.id)) {
        if (ours && rec.server_id != d->server_id &&
            d->hv->ops->ioreq_destroy(d->hv, d->domid, rec.server_id) == 0)
            log_info("dom%u: destroyed IOREQ server %u, left without a daemon", d->domid,
                     rec.server_id);
        return 0;
    }
    if (ours && map_server(d, rec.server_id)) {
        log_info("dom%u: IOREQ server %u found by its record in the run dir", d->domid,
                 d->server_id);
        return 0;
    }
    return -ENOENT;         /* gone with the domain or destroyed: start afresh */
}

/* A taken-over server: claim what is new, enable it (a predecessor may have
 * died between create and enable; enabling an enabled server is a no-op),
 * record it in the run dir. */
static int complete_reused(struct daemon *d, char *err, size_t errlen)
{
    const char *what = "";
    int rc;

    if ((rc = claim_all(d, true, &what))) {
        snprintf(err, errlen, "cannot claim %s for server %u: %s", what, d->server_id,
                 strerror(-rc));
        return rc;
    }
    if ((rc = d->hv->ops->ioreq_set_state(d->hv, d->domid, d->server_id, true))) {
        snprintf(err, errlen, "cannot enable server %u: %s", d->server_id, strerror(-rc));
        return rc;
    }
    if ((rc = record_in_run_dir(d))) {
        snprintf(err, errlen, "cannot record server %u in %s/serve: %s", d->server_id,
                 domlock_run_dir(), strerror(-rc));
        return rc;
    }
    return 0;
}

static int create_fresh(struct daemon *d, char *err, size_t errlen)
{
    const struct hv_ops *o = d->hv->ops;
    const char *what = "";
    void *page;
    int rc;

    if ((rc = o->ioreq_create(d->hv, d->domid, 0 /* HVM_IOREQSRV_BUFIOREQ_OFF */,
                              &d->server_id))) {
        snprintf(err, errlen, "cannot create an IOREQ server for domain %u: %s%s", d->domid,
                 strerror(-rc), rc == -ENOSYS ? " (Xen built without CONFIG_IOREQ_SERVER?)" : "");
        return rc;
    }
    d->server_created = true;
    if ((rc = record_in_run_dir(d))) {
        snprintf(err, errlen, "cannot record server %u in %s/serve: %s", d->server_id,
                 domlock_run_dir(), strerror(-rc));
        return rc;
    }
    if ((rc = o->ioreq_map_page(d->hv, d->domid, d->server_id, &page))) {
        snprintf(err, errlen, "cannot map the ioreq page of server %u: %s", d->server_id,
                 strerror(-rc));
        return rc;
    }
    d->page = page;
    if ((rc = claim_all(d, false, &what))) {
        snprintf(err, errlen, "cannot claim %s for server %u: %s", what, d->server_id,
                 strerror(-rc));
        return rc;
    }
    if ((rc = o->ioreq_set_state(d->hv, d->domid, d->server_id, true))) {
        snprintf(err, errlen, "cannot enable server %u: %s", d->server_id, strerror(-rc));
        return rc;
    }
    return 0;
}

static int set_nonblock(int fd)
{
    int fl;

    if (fd < 0)
        return fd;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

static bool any_device(const struct daemon *d)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used)
            return true;
    return false;
}

/* This daemon's server as pcipt/server/ records it. */
static void server_of(const struct daemon *d, struct xsp_server *srv)
{
    memset(srv, 0, sizeof(*srv));
    srv->id = d->server_id;
    srv->pid = getpid();
    srv->nr_vcpus = d->nr_vcpus;
    memcpy(srv->ports, d->local_port, d->nr_vcpus * sizeof(srv->ports[0]));
}

static int daemon_server_record_empty(struct daemon *d)
{
    struct xsp_server srv;

    server_of(d, &srv);
    return xsp_write_server_empty(d->xs, d->domid, &srv);
}

int daemon_server_start(struct daemon *d, char *err, size_t errlen)
{
    int rc;

    if ((rc = d->hv->ops->domain_nr_vcpus(d->hv, d->domid, &d->nr_vcpus))) {
        snprintf(err, errlen, "cannot read domain %u's vCPU count: %s", d->domid, strerror(-rc));
        return rc;
    }
    if (d->nr_vcpus == 0 || d->nr_vcpus > XSP_MAX_VCPUS) {
        snprintf(err, errlen, "domain %u has %u vCPUs (1..%d served)", d->domid, d->nr_vcpus,
                 XSP_MAX_VCPUS);
        return -ERANGE;
    }
    if (try_reuse(d) == 0)
        rc = complete_reused(d, err, errlen);
    else
        rc = create_fresh(d, err, errlen);
    if (rc)
        return rc;
    /* vp_eport is valid only once the server is enabled (docs/xen-facts.md
     * "IOREQ server bring-up"). */
    if ((rc = bind_ports(d, err, errlen)))
        return rc;
    /* /dev/xen/evtchn is blocking by default: the loop drains pending
     * ports until -EAGAIN, so make it non-blocking. */
    if ((rc = set_nonblock(d->hv->ops->evtchn_fd(d->hv)))) {
        snprintf(err, errlen, "cannot make the event-channel fd non-blocking: %s",
                 strerror(-rc));
        return rc;
    }
    /* no device at start (`pcipt create` of an empty guest): the record of
     * an empty guest, once; later records (daemon_xs.c rerecord_server)
     * need a published device, so none recreates a removed backend */
    if ((rc = daemon_server_record(d)) == -ENOENT && !any_device(d))
        rc = daemon_server_record_empty(d);
    if (rc) {
        snprintf(err, errlen, "cannot record the server in xenstore: %s", strerror(-rc));
        return rc;
    }
    log_info("dom%u: %s IOREQ server %u, %u vCPUs", d->domid, d->reused ? "took over" : "created",
             d->server_id, d->nr_vcpus);
    return 0;
}

/* pcipt/server/{id,pid,nr-vcpus,ports} for this daemon's server. */
int daemon_server_record(struct daemon *d)
{
    struct xsp_server srv;

    server_of(d, &srv);
    return xsp_write_server(d->xs, d->domid, &srv);
}

void daemon_server_detach(struct daemon *d)
{
    for (unsigned v = 0; v < d->nr_vcpus && d->page; v++)
        if (d->local_port[v])
            d->hv->ops->evtchn_unbind(d->hv, d->local_port[v]);
    if (d->page)
        d->hv->ops->ioreq_unmap_page(d->hv, d->domid, d->server_id, d->page);
    d->page = NULL;
}

void daemon_server_destroy(struct daemon *d)
{
    int rc = d->hv->ops->ioreq_destroy(d->hv, d->domid, d->server_id);

    /* -ESRCH/-ENOENT: gone with the domain already.  Any other failure
     * leaves the server in Xen: its record stays for the next daemon. */
    if (rc && rc != -ESRCH && rc != -ENOENT) {
        log_warn("dom%u: cannot destroy IOREQ server %u: %s", d->domid, d->server_id,
                 strerror(-rc));
        return;
    }
    if ((rc = serve_record_remove(d->domid)))
        log_warn("dom%u: cannot remove %s/serve/dom%u.server: %s", d->domid,
                 domlock_run_dir(), d->domid, strerror(-rc));
}
