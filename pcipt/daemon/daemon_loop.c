/* The daemon's event loop and the ioreq state machine
 * (docs/xen-facts.md "The ioreq ABI"; QEMU's cpu_handle_ioreq does the same):
 *   notification on a vCPU's port -> unmask -> if the slot is READY
 *   (or INPROCESS: taken by a predecessor that died before answering):
 *   read barrier, INPROCESS, dispatch, write barrier, IORESP_READY, notify.
 * Engine events (p2m changes, the state journal) happen inside dispatch or
 * right after it, so they are complete before the guest's access is; the
 * state's copy in xenstore follows from the loop, at most every
 * STATE_FLUSH_MS (daemon_xs.c).  At start, a slot found IORESP_READY (a
 * predecessor answered and died before notifying) is notified. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/daemon/daemon.h"
#include "hostbridge/common/log.h"
#include "pcipt/hv/ioreq_slot.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_watch.h"

#define CHECK_MS 1000          /* domain-still-exists check, stats publishing */

static void after_access(struct daemon *d)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used)
            intx_check(&d->devs[i].intx);
    daemon_note_state(d);        /* journaled now; xenstore from the loop (daemon_xs.c) */
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A trapped access inside a BAR the daemon believes is stage-2 mapped: on
 * Xen that cannot happen once the mapping is in place (docs/design.md
 * "Targets": BAR accesses never trap once mapped), so it is counted and reported. */
static bool hits_mapped_bar(struct daemon *d, uint64_t addr)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        if (!d->devs[i].used)
            continue;
        for (int b = 0; b < PCI_NUM_RES; b++) {
            struct vdev_bar_info bi;

            vdev_bar_info(d->devs[i].vdev, b, &bi);
            if (bi.mapped && bi.size && addr >= bi.guest_addr && addr - bi.guest_addr < bi.size)
                return true;
        }
    }
    return false;
}

/* Statistics of one answered request, from what ioreq_dispatch decoded. */
static void account(struct daemon *d, const struct ioreq_decoded *dec, uint64_t addr)
{
    if (dec->target == IOREQ_TARGET_CONFIG) {
        d->stats.last_cfg_us = now_us();
        if (!d->stats.first_cfg_us)
            d->stats.first_cfg_us = d->stats.last_cfg_us;
    } else if (dec->target == IOREQ_TARGET_MMIO && !dec->mmio_hook && hits_mapped_bar(d, addr)) {
        d->stats.bar_mapped_hits++;
    }
}

static void handle_slot(struct daemon *d, unsigned v)
{
    ioreq_t *p = &d->page->vcpu_ioreq[v];
    unsigned st = ioreq_slot_state(p);
    struct ioreq_decoded dec;
    ioreq_t req;

    if (st != STATE_IOREQ_READY && st != STATE_IOREQ_INPROCESS)
        return;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);            /* rmb */
    ioreq_slot_set_state(p, STATE_IOREQ_INPROCESS);
    memcpy(&req, p, sizeof(req));
    if (!d->stats.first_seen &&
        (req.type == IOREQ_TYPE_COPY || req.type == IOREQ_TYPE_PCI_CONFIG)) {
        d->stats.first_seen = true;
        d->stats.first_access_ms = daemon_now_ms() - d->stats.start_ms;
    }
    ioreq_dispatch(&d->router, &req, &dec);
    account(d, &dec, req.addr);
    after_access(d);
    p->data = req.data;
    __atomic_thread_fence(__ATOMIC_RELEASE);            /* wmb */
    ioreq_slot_set_state(p, STATE_IORESP_READY);
    d->hv->ops->evtchn_notify(d->hv, d->local_port[v]);
}

/* At start and takeover: every slot a predecessor left.  READY and
 * INPROCESS are answered (handle_slot).  IORESP_READY is an answer a dead
 * daemon wrote but may not have notified: the vCPU is blocked in Xen's
 * wait_for_io until its port fires, so notify it (a vCPU that was notified
 * already takes the answer on its own; a second event is harmless to Xen:
 * the vCPU is not blocked, or looks at its slot once more). */
void daemon_handle_all_slots(struct daemon *d)
{
    for (unsigned v = 0; v < d->nr_vcpus; v++) {
        if (ioreq_slot_state(&d->page->vcpu_ioreq[v]) == STATE_IORESP_READY) {
            d->stats.woken++;
            d->hv->ops->evtchn_notify(d->hv, d->local_port[v]);
            log_info("dom%u: vCPU %u: answered by the previous daemon, notified", d->domid, v);
        } else {
            handle_slot(d, v);
        }
    }
}

static void on_events(struct daemon *d)
{
    int port;

    while ((port = d->hv->ops->evtchn_pending(d->hv)) >= 0) {
        d->hv->ops->evtchn_unmask(d->hv, (uint32_t)port);
        for (unsigned v = 0; v < d->nr_vcpus; v++)
            if (d->local_port[v] == (uint32_t)port)
                handle_slot(d, v);
    }
}

static void on_signal(struct daemon *d)
{
    struct signalfd_siginfo si;
    char line[1024];

    while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGUSR1) {
            daemon_stats_line(d, line, sizeof(line));
            fprintf(stderr, "%s\n", line);
            log_info("%s", line);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            log_info("dom%u: signal %u: stopping; the assignment stays", d->domid,
                     si.ssi_signo);
            d->stop = true;
        }
    }
}

static void tick(struct daemon *d, uint64_t now)
{
    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
        if (d->devs[i].used)
            intx_check(&d->devs[i].intx);
    daemon_flush_due(d, now, false);
    if (now - d->last_check_ms < CHECK_MS)
        return;
    d->last_check_ms = now;
    if (d->hv->ops->domain_exists(d->hv, d->domid) == 0)
        d->domain_dead = true;
    else
        daemon_stats_publish(d, false);
}

static int timeout_ms(struct daemon *d, uint64_t now)
{
    int t = (int)(d->last_check_ms + CHECK_MS > now ? d->last_check_ms + CHECK_MS - now : 0);

    uint64_t ims = intx_now_ms();
    int due = daemon_flush_due(d, now, false);

    if (due >= 0 && due < t)
        t = due;

    for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++) {
        int it = d->devs[i].used ? intx_timeout_ms(&d->devs[i].intx, ims) : -1;
        if (it >= 0 && it < t)
            t = it;
    }
    return t;
}

#define NFIXED 3

int daemon_run(struct daemon *d)
{
    struct pollfd pfd[NFIXED + PCIPT_MAX_DEVS];
    int dev_of[NFIXED + PCIPT_MAX_DEVS];

    d->last_check_ms = daemon_now_ms();
    daemon_handle_all_slots(d);
    while (!d->stop && !d->domain_dead && !d->xs_lost) {
        unsigned n = 0;
        uint64_t now = daemon_now_ms();

        pfd[n++] = (struct pollfd){ .fd = d->hv->ops->evtchn_fd(d->hv), .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = xsw_fileno(d->xs), .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
        for (unsigned i = 0; i < PCIPT_MAX_DEVS; i++)
            if (d->devs[i].used && d->devs[i].intx.active) {
                dev_of[n] = (int)i;
                pfd[n++] = (struct pollfd){ .fd = d->devs[i].intx.fd, .events = POLLIN };
            }
        if (poll(pfd, n, timeout_ms(d, now)) < 0 && errno != EINTR) {
            log_err("dom%u: poll: %s", d->domid, strerror(errno));
            return 1;
        }
        if (pfd[0].revents)
            on_events(d);
        if (pfd[1].revents) {
            char be[XSW_PATH_MAX], own[XSW_PATH_MAX + 8];
            int fired;

            /* our own nodes (records, state, stats) change on every access;
             * pcipt/dev-N/detach is detach's request to this daemon */
            snprintf(own, sizeof(own), "%s/pcipt/", xsp_backend_path(d->domid, be));
            if ((fired = xsw_drain_watches(d->xs, own, "/detach")) < 0) {
                log_err("dom%u: lost the xenstore connection", d->domid);
                return 1;
            }
            if (fired)
                daemon_xs_changed(d);
        }
        if (pfd[2].revents)
            on_signal(d);
        for (unsigned k = NFIXED; k < n; k++)
            if (pfd[k].revents && d->devs[dev_of[k]].used)
                intx_fired(&d->devs[dev_of[k]].intx);
        tick(d, daemon_now_ms());
    }
    if (d->xs_lost)
        return 1;             /* the IOREQ server and the mappings stay for the next one */
    if (d->domain_dead) {
        daemon_cleanup_dead(d);
        return 0;
    }
    daemon_shutdown(d);
    return 0;
}
