/* Sub-page BARs: which resources share a host page (subpage.h). */
#include "pcipt/host/subpage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/host/hostpci.h"

struct load {
    struct subpage_fn *v;
    size_t n, cap;
};

static int collect(struct hostpci *hp, void *opaque)
{
    struct load *l = opaque;
    const struct host_dev *hd = hostpci_host_dev(hp);

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct subpage_fn *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].addr = hd->addr;
    memcpy(l->v[l->n].bars, hd->bars, sizeof(hd->bars));
    l->n++;
    return 0;
}

int subpage_load(const char *sysfs, struct subpage_fn **out, size_t *n, char *err,
                 size_t errlen)
{
    struct load l = { 0 };
    int rc = hostpci_foreach(sysfs, collect, &l, err, errlen);

    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc) {
        free(l.v);
        return rc < 0 ? rc : -EIO;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

bool subpage_is_mem(const struct host_bar *b)
{
    return (b->type == BAR_MEM32 || b->type == BAR_MEM64 || b->type == BAR_ROM) && b->size;
}

int subpage_shares(const struct subpage_fn *fns, size_t n, const struct subpage_fn *me,
                   subpage_cb cb, void *opaque)
{
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct host_bar *a = &me->bars[i];
        struct subpage_share s = { .bar = i, .size = a->size };

        if (!subpage_is_mem(a) || a->size >= SUBPAGE_SIZE)
            continue;
        s.page = a->addr & ~(SUBPAGE_SIZE - 1);
        for (size_t f = 0; f < n; f++) {
            if (sbdf_equal(&fns[f].addr, &me->addr))
                continue;
            for (unsigned j = 0; j < PCI_NUM_RES; j++) {
                const struct host_bar *b = &fns[f].bars[j];
                int rc;

                if (!subpage_is_mem(b) || b->addr >= s.page + SUBPAGE_SIZE ||
                    b->addr + b->size <= s.page)
                    continue;
                s.who = &fns[f];
                s.which = j;
                if ((rc = cb(&s, opaque)))
                    return rc;
            }
        }
    }
    return 0;
}

const char *subpage_res_name(unsigned i, char *buf)
{
    if (i == PCI_ROM_SLOT)
        snprintf(buf, 8, "ROM");
    else
        snprintf(buf, 8, "BAR %u", i % 10);
    return buf;
}
