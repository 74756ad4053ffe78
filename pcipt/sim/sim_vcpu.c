/* The guest side of the simulator: a vCPU's access, as Xen on Arm handles a
 * stage-2 data abort (docs/xen-facts.md "ECAM accesses arrive as IOREQ_TYPE_COPY"):
 *   - a stage-2 mapped page does not trap at all (direct device access);
 *   - guest RAM is RAM;
 *   - else an enabled IOREQ server whose MMIO rangeset contains the access
 *     gets an IOREQ_TYPE_COPY request in the vCPU's slot (ioreq_send) and the
 *     vCPU waits for the answer (wait_for_io);
 *   - else the guest takes a data abort (<= 4.20, and libxl sets
 *     trap_unmapped_accesses on 4.21+).
 * ioreq_send's checks: the slot must be STATE_IOREQ_NONE and vp_eport the
 * server's port, else "device model set bad IO state/event channel" and the
 * domain is crashed.  wait_for_io: NONE while waiting means the emulator went
 * away (data all ones); a state going backwards or out of range is "Weird
 * HVM ioreq state" and crashes the domain. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/dm_op.h>

#include "pcipt/hv/ioreq_slot.h"
#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/log.h"
#include "hostbridge/common/size_mask.h"
#include "pcipt/sim/sim_state.h"


int sim_server_page_map(struct hv_sim *s, uint32_t domid, unsigned id, shared_iopage_t **out);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct target { uint32_t domid; unsigned vcpu; int id; uint32_t port; };

static int bad_io_state(struct hv_sim *s, struct sim_domain *d, const char *what, unsigned v)
{
    log_err("sim dom%u: device model set bad IO %s %u", d->domid, what, v);
    d->stats.bad_state++;
    d->crashed = 1;
    return -EIO;
}

/* ioreq_send: put *req in the slot, mark READY, notify the server. */
static int send_locked(struct hv_sim *s, struct sim_domain *d, const struct target *t,
                       ioreq_t *slot, const ioreq_t *req)
{
    if (ioreq_slot_state(slot) != STATE_IOREQ_NONE)
        return bad_io_state(s, d, "state", ioreq_slot_state(slot));
    if (slot->vp_eport != t->port)
        return bad_io_state(s, d, "event channel", slot->vp_eport);
    ioreq_t copy = *req;
    copy.state = STATE_IOREQ_NONE;
    copy.vp_eport = t->port;
    memcpy(slot, &copy, sizeof(copy));
    ioreq_slot_set_state(slot, STATE_IOREQ_READY);
    d->stats.ioreqs++;
    struct sim_port *p = &d->ports[t->port];
    p->handle = s->evt_handle;                      /* the vCPU waits here */
    if (p->state == PORT_INTERDOMAIN)
        sim_port_kick_locked(s, &s->st->domains[0], p->remote_port);
    return 0;
}

static void drain(struct hv_sim *s, int wait_ms)
{
    struct pollfd pfd = { .fd = s->evt_fd, .events = POLLIN };
    uint32_t port;
    if (poll(&pfd, 1, wait_ms) > 0)
        while (recv(s->evt_fd, &port, sizeof(port), MSG_DONTWAIT) > 0)
            ;
}

/* The notifications on the vCPU's port so far (sim_port_kick_locked). */
static uint32_t *kicks_of(struct hv_sim *s, const struct target *t)
{
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, t->domid);
    uint32_t *k = d && t->port < SIM_MAX_PORTS ? &d->ports[t->port].kicks : NULL;
    sim_unlock(s);
    return k;
}

static uint32_t kicks_now(const uint32_t *k)
{
    return k ? __atomic_load_n(k, __ATOMIC_ACQUIRE) : 0;
}

static int weird_state(struct hv_sim *s, uint32_t domid, unsigned prev, unsigned state)
{
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, domid);
    if (d) {
        log_err("sim dom%u: Weird HVM ioreq state transition %u -> %u", domid, prev, state);
        d->stats.bad_state++;
        d->crashed = 1;
    }
    sim_unlock(s);
    return -EIO;
}

/* One more of the domain's stats at offset field of struct
 * sim_domain_stats (STAT(name)): emulator_gone, a completion that found
 * NONE; vcpu_blocks, a look that found no answer, counted before blocking
 * (a test that plays the device model answers only after it: a vCPU that
 * had not looked yet would take an answer without any notification). */
#define STAT(name) offsetof(struct sim_domain_stats, name)
static void count_stat(struct hv_sim *s, uint32_t domid, size_t field)
{
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, domid);
    if (d)
        (*(uint64_t *)((char *)&d->stats + field))++;
    sim_unlock(s);
}

/* wait_for_io: the vCPU looks at its slot, and while the request is not
 * answered it blocks in wait_on_xen_event_channel until the device model
 * notifies its port; only then does it look again.  An answer without a
 * notification (a device model that died between IORESP_READY and the
 * notify) leaves the vCPU blocked, as on Xen: here until timeout_ms, a
 * test's safety net (-ETIMEDOUT).  The datagrams on evt_fd only wake this
 * process; the port's kick count says whether the vCPU was notified (it is
 * read before the slot, as Xen sets _VPF_blocked_in_xen before its second
 * look, so a notification racing with the look is never lost). */
static int wait_locked_out(struct hv_sim *s, const struct target *t, ioreq_t *slot,
                           ioreq_t *resp, int timeout_ms)
{
    int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    unsigned prev = STATE_IOREQ_READY;
    const uint32_t *kicks = kicks_of(s, t);
    for (;;) {
        uint32_t seen = kicks_now(kicks);
        unsigned state = ioreq_slot_state(slot);
        if (state == STATE_IOREQ_NONE) {
            count_stat(s, t->domid, STAT(emulator_gone));
            memcpy(resp, slot, sizeof(*resp));
            resp->data = ~0ull;
            return 0;
        }
        if (state < prev || state > STATE_IORESP_READY)
            return weird_state(s, t->domid, prev, state);
        if (state == STATE_IORESP_READY) {
            memcpy(resp, slot, sizeof(*resp));
            ioreq_slot_set_state(slot, STATE_IOREQ_NONE);
            return 0;
        }
        prev = state;
        if (kicks_now(kicks) == seen)
            count_stat(s, t->domid, STAT(vcpu_blocks));
        while (kicks_now(kicks) == seen) {      /* blocked until notified */
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return -ETIMEDOUT;
            /* 20 ms: another thread of this process may take the datagram */
            drain(s, left < 20 ? (int)left : 20);
        }
    }
}

static int send_and_wait(struct hv_sim *s, const struct target *t, const ioreq_t *req,
                         ioreq_t *resp, int timeout_ms)
{
    shared_iopage_t *page;
    int rc = sim_server_page_map(s, t->domid, (unsigned)t->id, &page);
    if (rc)
        return rc;
    ioreq_t *slot = &page->vcpu_ioreq[t->vcpu];
    sim_lock(s);
    struct sim_domain *d = sim_domain_find(s->st, t->domid);
    rc = d ? send_locked(s, d, t, slot, req) : -ESRCH;
    sim_unlock(s);
    if (!rc)
        rc = wait_locked_out(s, t, slot, resp, timeout_ms);
    munmap(page, HV_PAGE_SIZE);
    return rc;
}

/* Lock, check the domain and vCPU, and make sure this process can wait. */
static int guest_begin(struct hv_sim *s, uint32_t domid, unsigned vcpu, struct sim_domain **d)
{
    sim_lock(s);
    int rc = sim_evtchn_ensure_locked(s);
    *d = sim_domain_find(s->st, domid);
    if (!rc && (!*d || domid == 0))
        rc = -ESRCH;
    if (!rc && vcpu >= (*d)->nr_vcpus)
        rc = -EINVAL;
    return rc;
}

static int select_server(struct sim_domain *d, unsigned type, uint64_t s_, uint64_t e_)
{
    for (unsigned id = 0; id < SIM_MAX_SERVERS; id++) {
        const struct sim_server *srv = &d->servers[id];
        if (srv->used && srv->enabled && rs_contains(&srv->ranges[type], s_, e_))
            return (int)id;
    }
    return -1;
}

static bool valid_size(unsigned size) { return size == 1 || size == 2 || size == 4 || size == 8; }

/* Classify a trapping or non-trapping access; fills t when an ioreq goes out. */
static int classify_locked(struct sim_domain *d, unsigned vcpu, uint64_t gpa, unsigned size,
                           bool write, uint64_t *data, struct target *t)
{
    const struct sim_p2m_entry *m = sim_p2m_lookup(d, gpa >> HV_PAGE_SHIFT);
    if (m) {
        d->stats.direct_accesses++;
        if (!write)
            *data = SIM_DIRECT_READ_VALUE(m->mfn + ((gpa >> HV_PAGE_SHIFT) - m->gfn),
                                          gpa & (HV_PAGE_SIZE - 1)) & size_mask(size);
        return SIM_ACCESS_DIRECT;
    }
    if (d->ram_size && gpa >= d->ram_base && gpa - d->ram_base < d->ram_size) {
        d->stats.ram_accesses++;
        if (!write)
            *data = 0;
        return SIM_ACCESS_RAM;
    }
    int id = select_server(d, XEN_DMOP_IO_RANGE_MEMORY, gpa, gpa + size - 1);
    if (id < 0) {
        d->stats.aborts++;
        return -EFAULT;
    }
    *t = (struct target){ d->domid, vcpu, id, d->servers[id].ports[vcpu] };
    return SIM_ACCESS_IOREQ;
}

int sim_guest_mmio(struct hv *hv, uint32_t domid, unsigned vcpu, uint64_t gpa, unsigned size,
                   bool write, uint64_t *data, int timeout_ms)
{
    if (!hv_is_sim(hv) || !data || !valid_size(size))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct target t;
    int rc = guest_begin(s, domid, vcpu, &d);
    if (!rc)
        rc = classify_locked(d, vcpu, gpa, size, write, data, &t);
    sim_unlock(s);
    if (rc != SIM_ACCESS_IOREQ)
        return rc;
    /* try_fwd_ioserv: COPY, count 1, dir = !write, data = reg & mask on writes */
    ioreq_t req = { .addr = gpa, .data = write ? *data & size_mask(size) : 0, .count = 1,
                    .size = size, .dir = write ? IOREQ_WRITE : IOREQ_READ,
                    .type = IOREQ_TYPE_COPY };
    ioreq_t resp;
    rc = send_and_wait(s, &t, &req, &resp, timeout_ms);
    if (!rc && !write)
        *data = resp.data & size_mask(size);     /* handle_ioserv masks to size */
    return rc ? rc : SIM_ACCESS_IOREQ;
}

int sim_guest_pci_config(struct hv *hv, uint32_t domid, unsigned vcpu, uint32_t sbdf,
                         uint32_t reg, unsigned size, bool write, uint64_t *data,
                         int timeout_ms)
{
    if (!hv_is_sim(hv) || !data || (size != 1 && size != 2 && size != 4))
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct target t;
    int rc = guest_begin(s, domid, vcpu, &d);
    int id = rc ? -1 : select_server(d, XEN_DMOP_IO_RANGE_PCI, sbdf, sbdf);
    if (!rc && id < 0)
        rc = -ENODEV;                 /* no server claims this SBDF */
    if (!rc)
        t = (struct target){ domid, vcpu, id, d->servers[id].ports[vcpu] };
    sim_unlock(s);
    if (rc)
        return rc;
    ioreq_t req = { .addr = (uint64_t)sbdf << 32 | reg,
                    .data = write ? *data & size_mask(size) : 0, .count = 1, .size = size,
                    .dir = write ? IOREQ_WRITE : IOREQ_READ, .type = IOREQ_TYPE_PCI_CONFIG };
    ioreq_t resp;
    rc = send_and_wait(s, &t, &req, &resp, timeout_ms);
    if (!rc && !write)
        *data = resp.data & size_mask(size);
    return rc ? rc : SIM_ACCESS_IOREQ;
}

int sim_guest_raw_ioreq(struct hv *hv, uint32_t domid, unsigned vcpu, uint16_t id,
                        const ioreq_t *req, ioreq_t *resp, int timeout_ms)
{
    if (!hv_is_sim(hv) || !req || !resp)
        return -EINVAL;
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    struct target t;
    int rc = guest_begin(s, domid, vcpu, &d);
    if (!rc && (id >= SIM_MAX_SERVERS || !d->servers[id].used))
        rc = -ENOENT;
    if (!rc)
        t = (struct target){ domid, vcpu, id, d->servers[id].ports[vcpu] };
    sim_unlock(s);
    return rc ? rc : send_and_wait(s, &t, req, resp, timeout_ms);
}
