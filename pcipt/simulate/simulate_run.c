/* pcipt simulate: the run (see simulate.h for the steps). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/util/child_proc.h"
#include "pcipt/assign/plan.h"
#include "pcipt/simulate/simulate_int.h"
#include "pcipt/xs/xs.h"

volatile sig_atomic_t simulate_interrupted;

static int interrupted(char *err, size_t errlen)
{
    snprintf(err, errlen, "interrupted");
    return -EINTR;
}

/* attach_device() of every function, as `pcipt attach` does. */
static int attach_all(struct sim_machine *m, const struct simulate_opts *o,
                      struct simulate_report *r, char *err, size_t errlen)
{
    struct attach_ctx ctx = { .hv = m->hv, .sysfs = o->sysfs, .layout = r->layout,
                              .out = stderr };
    int rc = 0;

    if (!(ctx.xs = xsw_open())) {
        snprintf(err, errlen, "cannot reach the private xenstored at %s: %s",
                 xsw_socket_path(), strerror(errno));
        return -EIO;
    }
    /* Functions 0 first: a function > 0 needs its slot's function 0. */
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (unsigned i = 0; i < o->ndevs && !rc; i++) {
            const struct simulate_dev *d = &o->devs[i];
            if ((d->fn > 0) != (pass == 1))
                continue;
            if (simulate_interrupted) {
                rc = interrupted(err, errlen);
                break;
            }
            r->host[r->ndevs] = d->host;
            rc = attach_device(&ctx, r->domid, &d->host, d->slot, d->fn,
                               o->attach_flags | ATTACH_PREVIEW |
                               (o->verbose ? ATTACH_VERBOSE : 0),
                               &r->guest[r->ndevs], err, errlen);
            if (!rc)
                r->ndevs++;
        }
    xsw_close(ctx.xs);
    return rc;
}

static int collect_sim(struct sim_machine *m, struct simulate_report *r, char *err,
                       size_t errlen)
{
    int rc = sim_domain_info(m->hv, r->domid, &r->dom), n;

    if (rc) {
        snprintf(err, errlen, "cannot read the simulator's counters of domain %u: %s",
                 r->domid, strerror(-rc));
        return rc;
    }
    if ((n = sim_list_mappings(m->hv, r->domid, r->maps, SIMULATE_MAX_MAPS)) < 0) {
        snprintf(err, errlen, "cannot list domain %u's mappings: %s", r->domid, strerror(-n));
        return n;
    }
    r->nmaps = (unsigned)n < SIMULATE_MAX_MAPS ? (unsigned)n : SIMULATE_MAX_MAPS;
    return 0;
}

static int run_steps(struct sim_machine *m, const struct simulate_opts *o,
                     struct simulate_report *r, char *err, size_t errlen)
{
    int rc;

    if ((rc = guest_layout_load(o->config, o->config != NULL, &r->layout, err, errlen)))
        return rc;
    if ((rc = simm_create(m, err, errlen)))
        return rc;
    snprintf(r->dir, sizeof(r->dir), "%s", m->dir);
    if (simulate_interrupted)
        return interrupted(err, errlen);
    if ((rc = simm_domain(m, &r->layout, o->vcpus, err, errlen)) ||
        (rc = attach_all(m, o, r, err, errlen)))
        return rc;
    if (simulate_interrupted)
        return interrupted(err, errlen);
    if ((rc = simm_start_daemon(m, o, err, errlen)))
        return rc;
    if ((rc = simulate_guest_run(o, r, err, errlen)))
        return rc;
    if ((rc = simm_stop_daemon(m, r->stats, sizeof(r->stats), err, errlen)))
        return rc;
    return collect_sim(m, r, err, errlen);
}

int simulate_run(const struct simulate_opts *o, struct simulate_report *r, char *err,
                 size_t errlen)
{
    struct sim_machine m;
    int rc;

    memset(r, 0, sizeof(*r));
    r->domid = SIMULATE_DOMID;
    if (!o->ndevs || o->ndevs > PCIPT_MAX_DEVS || !o->vcpus || o->vcpus > SIMULATE_MAX_VCPUS) {
        snprintf(err, errlen, "simulate needs 1..%u devices and 1..%u vCPUs", PCIPT_MAX_DEVS,
                 SIMULATE_MAX_VCPUS);
        return -EINVAL;
    }
    memset(&m, 0, sizeof(m));
    m.daemon = -1;
    m.xsd.pid = -1;
    rc = run_steps(&m, o, r, err, errlen);
    if (rc && m.daemon > 0) {
        /* the daemon's own complaint is the better sentence when it died */
        char why[400];
        int st = child_exited(m.daemon);
        if (st >= 0) {
            m.daemon = -1;
            simm_daemon_error(&m, why, sizeof(why));
            snprintf(err, errlen, "the daemon exited (status %d)%s%s", st, why[0] ? ": " : "",
                     why);
        }
    }
    simm_destroy(&m, o->keep);
    if (!o->keep)
        r->dir[0] = '\0';       /* it is gone */
    return rc;
}

void simulate_report_free(struct simulate_report *r)
{
    for (unsigned i = 0; r->vcpu && i < r->nvcpus; i++) {
        free(r->vcpu[i].res);
        free(r->vcpu[i].cfg);
        free(r->vcpu[i].touch);
    }
    free(r->vcpu);
    r->vcpu = NULL;
    r->nvcpus = 0;
}
