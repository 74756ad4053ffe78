/* Simulated event channels.  Ports live per domain in the shared state, as in
 * Xen (dom0's local ports are dom0's ports).  A process's evtchn "handle"
 * (like an open /dev/xen/evtchn) is a slot in the state plus a UNIX datagram
 * socket at $PCIPT_SIM_DIR/evtchn-<slot>-<serial>: an event on a port is one
 * datagram carrying the port number to the socket of the handle that listens
 * on it, so notifications cross processes and the fd is poll()able.
 *
 * Xen rules kept: bind_interdomain needs the remote port UNBOUND and offered
 * to the caller (else -EINVAL); a bind sets the new local port pending
 * (evtchn_bind_interdomain: "we may have lost notifications on the remote
 * unbound port"); closing one side leaves the other UNBOUND, so a restarted
 * daemon can bind the same remote ports again.  A handle whose process died
 * (SIGKILL; an unreaped zombie too) is closed lazily, as the kernel would on
 * exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"

/* A process that has exited but is not reaped yet (a zombie: state Z in
 * /proc/PID/stat, after the last ')' of the command name) had its files
 * closed by the kernel at exit, its evtchn handle with them. */
static bool zombie(pid_t pid)
{
    char path[64], buf[512], *p;
    bool z = false;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (!(f = fopen(path, "re")))
        return false;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
        z = p[2] == 'Z' || p[2] == 'X';
    fclose(f);
    return z;
}

bool sim_handle_alive(const struct sim_state *st, int h)
{
    if (h < 0 || h >= SIM_MAX_HANDLES || !st->handles[h].used)
        return false;
    pid_t pid = st->handles[h].pid;
    if (pid == getpid())
        return true;
    return (kill(pid, 0) == 0 || errno == EPERM) && !zombie(pid);
}

int sim_port_alloc(struct sim_domain *d, uint32_t remote_dom)
{
    for (uint32_t p = 1; p < SIM_MAX_PORTS; p++) {   /* port 0 is never valid */
        if (d->ports[p].state == PORT_FREE) {
            d->ports[p] = (struct sim_port){ PORT_UNBOUND, remote_dom, 0, -1, 0, 0 };
            return (int)p;
        }
    }
    return -ENOSPC;
}

void sim_port_close_locked(struct hv_sim *s, struct sim_domain *d, uint32_t port)
{
    if (port == 0 || port >= SIM_MAX_PORTS)
        return;
    struct sim_port *p = &d->ports[port];
    if (p->state == PORT_INTERDOMAIN) {
        struct sim_domain *rd = sim_domain_find(s->st, p->remote_dom);
        if (rd && p->remote_port < SIM_MAX_PORTS) {
            struct sim_port *rp = &rd->ports[p->remote_port];
            rp->state = PORT_UNBOUND;
            rp->remote_dom = d->domid;
            rp->remote_port = 0;
        }
    }
    memset(p, 0, sizeof(*p));
}

void sim_domain_ports_close_locked(struct hv_sim *s, struct sim_domain *d)
{
    for (uint32_t p = 1; p < SIM_MAX_PORTS; p++)
        if (d->ports[p].state != PORT_FREE)
            sim_port_close_locked(s, d, p);
}

static void handle_reap_locked(struct hv_sim *s, int h)
{
    struct sim_domain *dom0 = &s->st->domains[0];
    char path[320];
    for (uint32_t p = 1; p < SIM_MAX_PORTS; p++)
        if (dom0->ports[p].state != PORT_FREE && dom0->ports[p].handle == h)
            sim_port_close_locked(s, dom0, p);
    for (unsigned i = 0; i < SIM_MAX_DOMAINS; i++) {   /* guest waiters */
        struct sim_domain *d = &s->st->domains[i];
        for (uint32_t p = 1; i > 0 && d->used && p < SIM_MAX_PORTS; p++)
            if (d->ports[p].handle == h)
                d->ports[p].handle = -1;
    }
    if (sim_sock_path(s, (unsigned)h, s->st->handles[h].serial, path, sizeof(path)) == 0)
        unlink(path);
    memset(&s->st->handles[h], 0, sizeof(s->st->handles[h]));
}

static void reap_dead_locked(struct hv_sim *s)
{
    for (int h = 0; h < SIM_MAX_HANDLES; h++)
        if (s->st->handles[h].used && !sim_handle_alive(s->st, h))
            handle_reap_locked(s, h);
}

static int sock_addr(struct hv_sim *s, int h, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    return sim_sock_path(s, (unsigned)h, s->st->handles[h].serial, sa->sun_path,
                         sizeof(sa->sun_path));
}

int sim_evtchn_ensure_locked(struct hv_sim *s)
{
    if (s->evt_handle >= 0)
        return 0;
    reap_dead_locked(s);
    int h = 0;
    while (h < SIM_MAX_HANDLES && s->st->handles[h].used)
        h++;
    if (h == SIM_MAX_HANDLES)
        return -EMFILE;
    struct sim_handle *sh = &s->st->handles[h];
    sh->serial = ++s->st->handle_serial;
    struct sockaddr_un sa;
    int rc = sock_addr(s, h, &sa);
    int fd = rc ? -1 : socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!rc && fd < 0)
        rc = -errno;
    if (!rc) {
        unlink(sa.sun_path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
            rc = -errno;
    }
    if (rc) {
        if (fd >= 0)
            close(fd);
        sh->serial = 0;
        return rc;
    }
    sh->used = 1;
    sh->pid = getpid();
    s->evt_handle = h;
    s->evt_fd = fd;
    return 0;
}

void sim_evtchn_close(struct hv_sim *s)
{
    if (s->evt_handle < 0)
        return;
    sim_lock(s);
    if (s->st->handles[s->evt_handle].pid == getpid())
        handle_reap_locked(s, s->evt_handle);
    sim_unlock(s);
    close(s->evt_fd);
    s->evt_handle = -1;
    s->evt_fd = -1;
}

void sim_port_kick_locked(struct hv_sim *s, struct sim_domain *d, uint32_t port)
{
    int h = d->ports[port].handle;
    if (d != &s->st->domains[0])     /* a guest port: wakes a vCPU blocked in wait_for_io */
        __atomic_add_fetch(&d->ports[port].kicks, 1, __ATOMIC_RELEASE);
    if (!sim_handle_alive(s->st, h) || s->evt_fd < 0)
        return;
    struct sockaddr_un sa;
    if (sock_addr(s, h, &sa))
        return;
    uint32_t msg = port;
    bool dom0 = d == &s->st->domains[0];
    /* dom0 (a device model's handle): like Xen's pending bit, one event per
     * port until collected, and never lost.  A full socket queue (other
     * ports' events) leaves the port pending and counts it in `dropped`, so
     * sim_evtchn_pending finds it after draining the queue. */
    if (dom0 && d->ports[port].pending)
        return;
    if (dom0)
        d->ports[port].pending = 1;
    if (sendto(s->evt_fd, &msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&sa,
               sizeof(sa)) < 0 && dom0)
        s->st->handles[h].dropped++;
}

int sim_evtchn_fd(struct hv *hv)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    int rc = sim_evtchn_ensure_locked(s);
    sim_unlock(s);
    return rc ? rc : s->evt_fd;
}

static int bind_locked(struct hv_sim *s, uint32_t domid, uint32_t rport)
{
    struct sim_domain *dom0 = &s->st->domains[0];
    struct sim_domain *d = sim_domain_find(s->st, domid);
    if (!d)
        return -ESRCH;
    if (rport == 0 || rport >= SIM_MAX_PORTS)
        return -EINVAL;
    struct sim_port *rp = &d->ports[rport];
    if (rp->state == PORT_INTERDOMAIN && rp->remote_dom == 0) {
        int h = dom0->ports[rp->remote_port].handle;
        if (h < 0 || h >= SIM_MAX_HANDLES)
            sim_port_close_locked(s, dom0, rp->remote_port);
        else if (!sim_handle_alive(s->st, h))
            handle_reap_locked(s, h);   /* its process died: the kernel closed it */
    }
    if (rp->state != PORT_UNBOUND || rp->remote_dom != 0)
        return -EINVAL;
    int lport = sim_port_alloc(dom0, domid);
    if (lport < 0)
        return lport;
    dom0->ports[lport] = (struct sim_port){ PORT_INTERDOMAIN, domid, rport, s->evt_handle, 0, 0 };
    rp->state = PORT_INTERDOMAIN;
    rp->remote_dom = 0;
    rp->remote_port = (uint32_t)lport;
    sim_port_kick_locked(s, dom0, (uint32_t)lport);
    return lport;
}

int sim_evtchn_bind(struct hv *hv, uint32_t domid, uint32_t remote_port)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    int rc = sim_evtchn_ensure_locked(s);
    if (!rc)
        rc = sim_fail_check(s, "evtchn_bind");
    if (!rc)
        rc = bind_locked(s, domid, remote_port);
    sim_unlock(s);
    return rc;
}

static struct sim_port *own_port(struct hv_sim *s, uint32_t port)
{
    struct sim_domain *dom0 = &s->st->domains[0];
    if (port == 0 || port >= SIM_MAX_PORTS || s->evt_handle < 0 ||
        dom0->ports[port].state == PORT_FREE || dom0->ports[port].handle != s->evt_handle)
        return NULL;
    return &dom0->ports[port];
}

int sim_evtchn_unbind(struct hv *hv, uint32_t port)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    int rc = own_port(s, port) ? 0 : -EINVAL;
    if (!rc)
        sim_port_close_locked(s, &s->st->domains[0], port);
    sim_unlock(s);
    return rc;
}

/* A pending port of ours whose datagram was dropped, cleared; or -EAGAIN. */
static int take_dropped_locked(struct hv_sim *s)
{
    struct sim_handle *sh = &s->st->handles[s->evt_handle];
    struct sim_domain *dom0 = &s->st->domains[0];

    if (!sh->dropped)
        return -EAGAIN;
    for (uint32_t p = 1; p < SIM_MAX_PORTS; p++)
        if (dom0->ports[p].pending && own_port(s, p)) {
            dom0->ports[p].pending = 0;
            return (int)p;
        }
    sh->dropped = 0;
    return -EAGAIN;
}

int sim_evtchn_pending(struct hv *hv)
{
    struct hv_sim *s = to_sim(hv);
    uint32_t port;
    int rc;
    if (s->evt_fd < 0)
        return -EAGAIN;
    ssize_t n = recv(s->evt_fd, &port, sizeof(port), MSG_DONTWAIT);
    if (n < 0 && errno != EWOULDBLOCK)
        return -errno;
    if (n >= 0 && n != sizeof(port))
        return -EIO;
    sim_lock(s);
    if (n > 0) {
        if (own_port(s, port))
            s->st->domains[0].ports[port].pending = 0;
        rc = (int)port;
    } else {
        rc = take_dropped_locked(s);   /* the queue is empty: anything it lost? */
    }
    sim_unlock(s);
    return rc;
}

int sim_evtchn_unmask(struct hv *hv, uint32_t port)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    int rc = own_port(s, port) ? 0 : -EINVAL;
    sim_unlock(s);
    return rc;
}

int sim_evtchn_notify(struct hv *hv, uint32_t port)
{
    struct hv_sim *s = to_sim(hv);
    sim_lock(s);
    struct sim_port *p = own_port(s, port);
    int rc = p ? sim_fail_check(s, "evtchn_notify") : -EINVAL;
    if (!rc && p->state == PORT_INTERDOMAIN) {   /* UNBOUND: silently dropped */
        struct sim_domain *d = sim_domain_find(s->st, p->remote_dom);
        if (d && p->remote_port < SIM_MAX_PORTS)
            sim_port_kick_locked(s, d, p->remote_port);
    }
    sim_unlock(s);
    return rc;
}
