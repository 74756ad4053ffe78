/* pcipt check: each host function (see check.h).  What matters for
 * passthrough: a reset method (the kernel's sysfs `reset`: state must not
 * pass between owners), BARs smaller than a page that share the page with
 * another function's resource (stage 2 maps whole 4 KiB pages, so a guest
 * given one reaches the other), other functions in the same slot (without
 * ACS a multi-function device's functions can reach each other), and I/O
 * BARs (Arm guests have no I/O space).  Bridges are not passed through. */
#include "pcipt/check/check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/hostdev.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/host/subpage.h"

struct fn {
    struct sbdf addr;
    struct host_bar bars[PCI_NUM_RES];
    bool bridge, reset_known, wanted;
    char reset[128];
};

struct fns {
    struct fn *v;
    size_t n, cap;
    const struct sbdf *devs;
    size_t ndevs;
    struct subpage_fn *res;     /* every function's resources (subpage.h) */
};

static bool wanted(const struct fns *f, const struct sbdf *a)
{
    if (!f->devs)
        return true;
    for (size_t i = 0; i < f->ndevs; i++)
        if (sbdf_equal(&f->devs[i], a))
            return true;
    return false;
}

static int collect(struct hostpci *hp, void *opaque)
{
    struct fns *f = opaque;
    const struct hostpci_info *in = hostpci_info(hp);
    const struct host_dev *hd = hostpci_host_dev(hp);
    struct fn *x;

    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 32;
        struct fn *v = realloc(f->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->addr = hd->addr;
    memcpy(x->bars, hd->bars, sizeof(x->bars));
    x->bridge = (in->header_type & 0x7f) != 0 || (in->class_code >> 16) == 0x06;
    x->reset_known = in->reset_known;
    snprintf(x->reset, sizeof(x->reset), "%s", in->reset_method);
    x->wanted = wanted(f, &hd->addr);
    return 0;
}

struct first_hit {
    bool seen[PCI_NUM_RES];
    struct subpage_share s[PCI_NUM_RES];
};

/* The first neighbour of each sub-page BAR. */
static int first_hit(const struct subpage_share *s, void *opaque)
{
    struct first_hit *h = opaque;

    if (!h->seen[s->bar]) {
        h->seen[s->bar] = true;
        h->s[s->bar] = *s;
    }
    return 0;
}

/* The detection attach refuses with (pcipt/host/subpage.h), as a warning. */
static int check_pages(const struct fns *f, const struct fn *x, const char *name, unsigned *warns,
                       struct check_report *rep)
{
    char me[SBDF_STR_LEN], other[SBDF_STR_LEN], b1[8], b2[8], item[48];
    struct subpage_fn self = { .addr = x->addr };
    struct first_hit h;
    int rc = 0;

    memset(&h, 0, sizeof(h));
    memcpy(self.bars, x->bars, sizeof(self.bars));
    (void)subpage_shares(f->res, f->n, &self, first_hit, &h);
    snprintf(item, sizeof(item), "%s page", name);
    for (unsigned i = 0; i < PCI_NUM_RES && !rc; i++) {
        const struct subpage_share *s = &h.s[i];
        if (!h.seen[i])
            continue;
        (*warns)++;
        rc = check_add(rep, item, CHECK_WARN,
                       "give both to the same guest (attach refuses otherwise), or align them: "
                       "pci=resource_alignment=4096 on the dom0 kernel command line",
                       "%s %s (%" PRIu64 " bytes) shares host page 0x%" PRIx64 " with %s %s: a "
                       "guest given one reaches the other", sbdf_format(&x->addr, me),
                       subpage_res_name(i, b1), s->size, s->page,
                       sbdf_format(&s->who->addr, other), subpage_res_name(s->which, b2));
    }
    return rc;
}

static int check_slot(const struct fns *f, const struct fn *x, const char *name, unsigned *warns,
                      struct check_report *rep)
{
    char list[200] = "", s[SBDF_STR_LEN], item[48];
    size_t used = 0;

    for (size_t i = 0; i < f->n; i++) {
        const struct sbdf *o = &f->v[i].addr;
        if (&f->v[i] == x || o->seg != x->addr.seg || o->bus != x->addr.bus ||
            o->dev != x->addr.dev)
            continue;
        used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
                                 "%s%s", used ? ", " : "", sbdf_format(o, s));
    }
    if (!used)
        return 0;
    (*warns)++;
    snprintf(item, sizeof(item), "%s slot", name);
    return check_add(rep, item, CHECK_WARN,
                     "pass the slot's functions to the same guest unless the device has ACS",
                     "shares its slot with %s: without ACS the functions can reach each other",
                     list);
}

static int check_one(const struct fns *f, const struct fn *x, struct check_report *rep)
{
    char name[SBDF_STR_LEN], item[48], b[8];
    unsigned warns = 0;
    int rc = 0;

    sbdf_format(&x->addr, name);
    if (x->bridge)
        return check_add(rep, name, CHECK_WARN, NULL,
                         "a bridge: pcipt passes through endpoints only");
    snprintf(item, sizeof(item), "%s reset", name);
    if (!x->reset_known || !x->reset[0]) {
        warns++;
        rc = check_add(rep, item, CHECK_WARN, "attach needs --force; prefer a device with FLR",
                       x->reset_known ? "no reset method (sysfs reset_method is empty): its state "
                                        "passes from one owner to the next"
                                      : "sysfs has no reset_method: no reset between owners");
    }
    for (unsigned i = 0; i < PCI_NUM_RES && !rc; i++)
        if (x->bars[i].type == BAR_IO) {
            warns++;
            snprintf(item, sizeof(item), "%s io", name);
            rc = check_add(rep, item, CHECK_WARN, NULL,
                           "%s is an I/O BAR: Arm guests have no I/O space, the guest sees it "
                           "unassigned", subpage_res_name(i, b));
        }
    if (!rc)
        rc = check_pages(f, x, name, &warns, rep);
    if (!rc)
        rc = check_slot(f, x, name, &warns, rep);
    if (!rc && !warns)
        rc = check_add(rep, name, CHECK_OK, NULL, "ready for passthrough (reset: %s)", x->reset);
    return rc;
}

int check_devices(const struct check_env *env, const struct sbdf *devs, size_t n,
                  struct check_report *rep)
{
    struct fns f = { .devs = devs, .ndevs = n };
    char err[256], s[SBDF_STR_LEN];
    int rc = hostpci_foreach(env->sysfs, collect, &f, err, sizeof(err));

    if (rc == -ENOMEM) {
        free(f.v);
        return rc;
    }
    if (rc < 0)
        rc = check_add(rep, "devices", CHECK_WARN, "give a sysfs-shaped tree with --sysfs DIR",
                       "cannot list host PCI functions: %s", err);
    if (!rc && f.n && !(f.res = calloc(f.n, sizeof(*f.res))))
        rc = -ENOMEM;
    for (size_t i = 0; i < f.n && f.res; i++) {
        f.res[i].addr = f.v[i].addr;
        memcpy(f.res[i].bars, f.v[i].bars, sizeof(f.res[i].bars));
    }
    for (size_t i = 0; i < n && !rc; i++) {
        bool seen = false;
        for (size_t j = 0; j < f.n; j++)
            seen |= sbdf_equal(&f.v[j].addr, &devs[i]);
        if (!seen)
            rc = check_add(rep, sbdf_format(&devs[i], s), CHECK_MISSING,
                           "see `pcipt list` for the host's functions", "no such PCI function");
    }
    for (size_t i = 0; i < f.n && !rc; i++)
        if (f.v[i].wanted && (!f.v[i].bridge || devs))
            rc = check_one(&f, &f.v[i], rep);
    free(f.res);
    free(f.v);
    return rc;
}
