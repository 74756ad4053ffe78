/* See ioreq_responder.h. */
#include "tests/support/ioreq_responder.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>

#include "pcipt/hv/ioreq_slot.h"

static void unbind_all(struct responder *r, unsigned n)
{
    for (unsigned v = 0; v < n; v++)
        r->hv->ops->evtchn_unbind(r->hv, r->port[v]);
}

static int bind_ports(struct responder *r)
{
    for (unsigned v = 0; v < r->nr_vcpus; v++) {
        int l = r->hv->ops->evtchn_bind(r->hv, r->domid, r->page->vcpu_ioreq[v].vp_eport);
        if (l < 0) {
            unbind_all(r, v);
            return l;
        }
        r->port[v] = (uint32_t)l;
    }
    return 0;
}

int responder_open(struct responder *r, struct hv *hv, uint32_t domid, uint64_t start,
                   uint64_t end)
{
    const struct hv_ops *ops = hv->ops;
    void *page = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    r->hv = hv;
    r->domid = domid;
    if ((rc = ops->domain_nr_vcpus(hv, domid, &r->nr_vcpus)))
        return rc;
    if (r->nr_vcpus > RESPONDER_MAX_VCPUS)
        return -E2BIG;
    if ((rc = ops->ioreq_create(hv, domid, 0 /* HVM_IOREQSRV_BUFIOREQ_OFF */, &r->id)))
        return rc;
    if ((rc = ops->ioreq_map_range(hv, domid, r->id, true, start, end)) ||
        (rc = ops->ioreq_set_state(hv, domid, r->id, true)) ||
        (rc = ops->ioreq_map_page(hv, domid, r->id, &page)))
        goto fail;
    r->page = page;
    if ((rc = bind_ports(r)))
        goto fail;
    return 0;
fail:
    if (page)
        ops->ioreq_unmap_page(hv, domid, r->id, page);
    ops->ioreq_destroy(hv, domid, r->id);
    r->page = NULL;
    return rc;
}

/* One vCPU's slot after an event on its port. */
static void serve_slot(struct responder *r, unsigned vcpu)
{
    ioreq_t *slot = &r->page->vcpu_ioreq[vcpu];
    if (ioreq_slot_state(slot) != STATE_IOREQ_READY) {
        atomic_fetch_add(&r->spurious, 1);
        return;
    }
    ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);
    ioreq_t req;
    memcpy(&req, slot, sizeof(req));
    r->handle(r->opaque, &req);
    slot->data = req.data;                     /* the only field answered */
    ioreq_slot_set_state(slot, STATE_IORESP_READY);  /* release: data before state */
    r->hv->ops->evtchn_notify(r->hv, r->port[vcpu]);
    atomic_fetch_add(&r->answered, 1);
}

static void serve_port(struct responder *r, uint32_t port)
{
    for (unsigned v = 0; v < r->nr_vcpus; v++)
        if (r->port[v] == port)
            serve_slot(r, v);
}

static void *loop(void *arg)
{
    struct responder *r = arg;
    struct pollfd pfd = { .fd = r->hv->ops->evtchn_fd(r->hv), .events = POLLIN };
    while (!atomic_load(&r->stop)) {
        if (poll(&pfd, 1, 20) <= 0)
            continue;          /* timeout (check stop) or EINTR */
        int port;
        while ((port = r->hv->ops->evtchn_pending(r->hv)) >= 0) {
            r->hv->ops->evtchn_unmask(r->hv, (uint32_t)port);
            serve_port(r, (uint32_t)port);
        }
    }
    return NULL;
}

int responder_start(struct responder *r, responder_handle_fn handle, void *opaque)
{
    if (r->running || !r->page || !handle)
        return -EINVAL;
    r->handle = handle;
    r->opaque = opaque;
    atomic_store(&r->stop, false);
    int rc = pthread_create(&r->thread, NULL, loop, r);
    if (rc)
        return -rc;
    r->running = true;
    return 0;
}

void responder_stop(struct responder *r)
{
    if (!r->running)
        return;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    r->running = false;
}

void responder_close(struct responder *r)
{
    if (!r->page)
        return;
    responder_stop(r);
    unbind_all(r, r->nr_vcpus);
    r->hv->ops->ioreq_unmap_page(r->hv, r->domid, r->id, r->page);
    r->hv->ops->ioreq_destroy(r->hv, r->domid, r->id);
    r->page = NULL;
}
