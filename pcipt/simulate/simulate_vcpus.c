/* The guest of `pcipt simulate`: N vCPU threads, each with its own hv
 * handle and vCPU index, whose MMIO loads and stores go through the
 * simulator to the daemon exactly as a trapped access goes through Xen.
 * Enumerations run one vCPU at a time in vCPU order (a guest serialises
 * rescans: see simulate.h); then every vCPU reads every function's config
 * space at once, and all results must agree. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "pcipt/assign/attach.h"
#include "pcipt/simulate/simulate_int.h"

struct guest_shared {
    pthread_mutex_t lock;
    pthread_cond_t turn_cv;
    unsigned turn;                  /* the vCPU whose rescan it is */
    unsigned arrived, expected;     /* every rescan done: dump together */
    struct guest_enum_config cfg;
};

struct vcpu {
    struct guest_shared *sh;
    struct simulate_vcpu *out;
    unsigned index;
    struct hv *hv;
    int fail;                       /* first access error that is not an abort */
    uint64_t fail_gpa;
};

static int vcpu_access(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *data)
{
    int rc;

    if (simulate_interrupted)
        return -EINTR;
    rc = sim_guest_mmio(v->hv, SIMULATE_DOMID, v->index, gpa, size, write, data,
                        SIMULATE_WAIT_MS);
    if (rc < 0 && rc != -EFAULT && !v->fail) {    /* -EFAULT: the guest's data abort */
        v->fail = rc;
        v->fail_gpa = gpa;
    }
    return rc < 0 ? rc : 0;
}

static int bus_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    uint64_t d = 0;
    int rc = vcpu_access(ctx, gpa, size, false, &d);

    *val = d;
    return rc;
}

static int bus_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    return vcpu_access(ctx, gpa, size, true, &val);
}

static const struct guest_bus_ops vcpu_bus = { .read = bus_read, .write = bus_write };

static void take_turn(struct vcpu *v)
{
    struct guest_shared *sh = v->sh;

    pthread_mutex_lock(&sh->lock);
    while (sh->turn != v->index)
        pthread_cond_wait(&sh->turn_cv, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
}

static void pass_turn(struct vcpu *v)
{
    pthread_mutex_lock(&v->sh->lock);
    v->sh->turn++;
    pthread_cond_broadcast(&v->sh->turn_cv);
    pthread_mutex_unlock(&v->sh->lock);
}

static void dump_all(struct vcpu *v)
{
    const struct guest_enum_result *res = v->out->res;

    if (!res->nfuncs)
        return;
    if (!(v->out->cfg = calloc(res->nfuncs, 4096))) {
        v->out->rc = -ENOMEM;
        return;
    }
    for (unsigned i = 0; i < res->nfuncs; i++)
        (void)guest_enum_dump_config(&vcpu_bus, v, &v->sh->cfg, &res->funcs[i].bdf,
                                     v->out->cfg + (size_t)i * 4096);
}

static void wait_all(struct guest_shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    sh->arrived++;
    pthread_cond_broadcast(&sh->turn_cv);
    while (sh->arrived < sh->expected)
        pthread_cond_wait(&sh->turn_cv, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
}

/* The first dword of each assigned memory BAR and ROM, as a driver's
 * first load: classified by how the simulator handled it. */
static void touch_bars(struct vcpu *v)
{
    const struct guest_enum_result *res = v->out->res;

    if (!res->nfuncs)
        return;
    if (!(v->out->touch = calloc(res->nfuncs, sizeof(*v->out->touch)))) {
        v->out->rc = -ENOMEM;
        return;
    }
    for (unsigned i = 0; i < res->nfuncs; i++)
        for (unsigned b = 0; b <= GUEST_ENUM_ROM; b++) {
            const struct guest_bar *bar = &res->funcs[i].res[b];
            struct simulate_touch_result *t = &v->out->touch[i][b];
            uint64_t d = 0;
            int rc;

            if (!bar->assigned || bar->kind == GUEST_BAR_IO || bar->kind == GUEST_BAR_NONE)
                continue;
            if (simulate_interrupted)
                return;
            rc = sim_guest_mmio(v->hv, SIMULATE_DOMID, v->index, bar->addr, 4, false, &d,
                                SIMULATE_WAIT_MS);
            t->value = (uint32_t)d;
            if (rc == SIM_ACCESS_DIRECT)
                t->kind = TOUCH_DIRECT;
            else if (rc == SIM_ACCESS_IOREQ)
                t->kind = TOUCH_TRAPPED;
            else if (rc == -EFAULT || rc == SIM_ACCESS_RAM)
                t->kind = TOUCH_ABORT;   /* RAM would be a planning bug: shown as such */
            else if (!v->fail) {
                v->fail = rc;
                v->fail_gpa = bar->addr;
            }
        }
}

/* Every thread reaches wait_all(), whatever failed, so none waits forever. */
static void *vcpu_main(void *arg)
{
    struct vcpu *v = arg;
    char err[256];

    v->out->rc = hv_open("sim", &v->hv, err, sizeof(err));
    take_turn(v);
    if (!v->out->rc)
        v->out->rc = guest_enumerate(&vcpu_bus, v, &v->sh->cfg, v->out->res);
    pass_turn(v);
    wait_all(v->sh);
    if (!v->out->rc)
        dump_all(v);
    if (!v->out->rc)
        touch_bars(v);
    if (v->hv)
        hv_close(v->hv);
    if (!v->out->rc && v->fail)
        v->out->rc = v->fail;
    return NULL;
}

static void guest_config(const struct simulate_report *r, struct guest_enum_config *c)
{
    uint8_t bus = r->guest[0].bus;       /* the daemon serves exactly this bus */

    memset(c, 0, sizeof(*c));
    c->ecam_base = r->layout.ecam_base + ((uint64_t)bus << 20);
    c->bus_first = c->bus_last = bus;
    c->mem32 = (struct guest_window){ r->layout.mem_base, r->layout.mem_size };
    c->pref64 = (struct guest_window){ r->layout.pref_base, r->layout.pref_size };
    c->msi_doorbell = its_doorbell(SIMULATE_ITS_BASE);
    c->flags = GUEST_ENUM_ENABLE_MSI | GUEST_ENUM_BUS_MASTER | GUEST_ENUM_ROOT_BUS_ONLY;
}

static int vcpu_error(const struct vcpu *v, char *err, size_t errlen)
{
    int rc = v->out->rc;

    if (rc == -EINTR || simulate_interrupted)
        snprintf(err, errlen, "interrupted");
    else if (v->fail)
        snprintf(err, errlen, "vCPU %u: the access at guest address 0x%" PRIx64 " failed: %s",
                 v->index, v->fail_gpa,
                 v->fail == -ETIMEDOUT ? "the daemon did not answer" : strerror(-v->fail));
    else
        snprintf(err, errlen, "vCPU %u could not run: %s", v->index, strerror(-rc));
    return rc == -EINTR || simulate_interrupted ? -EINTR : rc;
}

static int compare(const struct simulate_report *r, char *err, size_t errlen)
{
    const struct simulate_vcpu *a = &r->vcpu[0];

    for (unsigned i = 1; i < r->nvcpus; i++) {
        const struct simulate_vcpu *b = &r->vcpu[i];
        if (!guest_enum_result_equal(a->res, b->res)) {
            snprintf(err, errlen, "vCPU %u found a different bus than vCPU 0 "
                     "(enumerations disagree)", i);
            return -EPROTO;
        }
        for (unsigned f = 0; f < a->res->nfuncs; f++)
            for (unsigned k = 0; k <= GUEST_ENUM_ROM; k++)
                if (a->touch[f][k].kind != b->touch[f][k].kind ||
                    a->touch[f][k].value != b->touch[f][k].value) {
                    char lb[16];
                    snprintf(err, errlen, "vCPU %u's load from " BDF_FMT " %s gave another "
                             "answer than vCPU 0's", i, BDF_ARGS(a->res->funcs[f].bdf),
                             attach_bar_label(k, lb));
                    return -EPROTO;
                }
        for (unsigned f = 0; f < a->res->nfuncs; f++) {
            const uint8_t *x = a->cfg + (size_t)f * 4096, *y = b->cfg + (size_t)f * 4096;
            for (unsigned off = 0; off < 4096; off++)
                if (x[off] != y[off]) {
                    const struct sbdf *d = &a->res->funcs[f].bdf;
                    snprintf(err, errlen, "vCPU %u read " BDF_FMT " offset 0x%03x as 0x%02x, "
                             "vCPU 0 as 0x%02x", i, BDF_ARGS(*d), off, y[off], x[off]);
                    return -EPROTO;
                }
        }
    }
    return 0;
}

int simulate_guest_run(const struct simulate_opts *o, struct simulate_report *r, char *err,
                       size_t errlen)
{
    struct guest_shared sh = { .lock = PTHREAD_MUTEX_INITIALIZER,
                               .turn_cv = PTHREAD_COND_INITIALIZER };
    struct vcpu *v = calloc(o->vcpus, sizeof(*v));
    pthread_t *th = calloc(o->vcpus, sizeof(*th));
    unsigned started = 0;
    int rc = 0;

    r->vcpu = calloc(o->vcpus, sizeof(*r->vcpu));
    if (!v || !th || !r->vcpu) {
        free(v);
        free(th);
        snprintf(err, errlen, "out of memory for %u vCPUs", o->vcpus);
        return -ENOMEM;
    }
    r->nvcpus = o->vcpus;
    for (unsigned i = 0; i < o->vcpus; i++)
        if (!(r->vcpu[i].res = calloc(1, sizeof(*r->vcpu[i].res)))) {
            free(v);
            free(th);
            snprintf(err, errlen, "out of memory for %u vCPUs", o->vcpus);
            return -ENOMEM;
        }
    guest_config(r, &sh.cfg);
    sh.expected = o->vcpus;
    for (; started < o->vcpus; started++) {
        v[started] = (struct vcpu){ .sh = &sh, .out = &r->vcpu[started], .index = started };
        if (pthread_create(&th[started], NULL, vcpu_main, &v[started]))
            break;
    }
    if (started < o->vcpus) {       /* the ones started must not wait for it */
        pthread_mutex_lock(&sh.lock);
        sh.expected = started;
        pthread_cond_broadcast(&sh.turn_cv);
        pthread_mutex_unlock(&sh.lock);
        snprintf(err, errlen, "cannot start the thread of vCPU %u", started);
        rc = -EAGAIN;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (!rc && simulate_interrupted) {     /* its aborted accesses prove nothing */
        snprintf(err, errlen, "interrupted");
        rc = -EINTR;
    }
    for (unsigned i = 0; i < started && !rc; i++)
        if (r->vcpu[i].rc)
            rc = vcpu_error(&v[i], err, errlen);
    if (!rc)
        rc = compare(r, err, errlen);
    free(v);
    free(th);
    return rc;
}
