/* The register engine: descriptor validation, the per-device sorted register
 * array, and the one split/merge access path (see regs.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/regs.h"
#include "hostbridge/vdev.h"

int reg_desc_check(const struct reg_desc *d, uint16_t base)
{
    unsigned off = (unsigned)base + d->offset;
    uint32_t in_size;

    if (d->size != 1 && d->size != 2 && d->size != 4)
        return -EINVAL;
    if (off % d->size || off + d->size > 4096)   /* natural alignment, 4 KiB space */
        return -EINVAL;
    in_size = size_mask(d->size);
    if ((d->ro | d->rw1c | d->rsvdp | d->rsvdz | d->init | d->host_mask) & ~in_size)
        return -EINVAL;
    if ((d->ro & d->rw1c) || (d->ro & d->rsvdp) || (d->ro & d->rsvdz) ||
        (d->rw1c & d->rsvdp) || (d->rw1c & d->rsvdz) || (d->rsvdp & d->rsvdz))
        return -EINVAL;
    if (d->host_mask && d->src != REG_MIXED)
        return -EINVAL;
    if (d->src > REG_MIXED)
        return -EINVAL;
    return 0;
}

int reg_table_check(const struct reg_table *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        const struct reg_desc *d = &t->regs[i];
        int rc = reg_desc_check(d, 0);
        if (rc)
            return rc;
        if (d->offset + d->size > t->span)
            return -EINVAL;
        if (i && d->offset < t->regs[i - 1].offset + t->regs[i - 1].size)
            return -EEXIST;     /* unsorted or overlapping */
    }
    return 0;
}

/* Index of the first register whose end lies beyond `off` (binary search). */
static unsigned lower_bound(const struct regset *s, unsigned off)
{
    unsigned lo = 0, hi = s->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if ((unsigned)s->r[mid].off + s->r[mid].d->size <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool range_free(const struct regset *s, unsigned off, unsigned size)
{
    unsigned i = lower_bound(s, off);
    return i == s->n || s->r[i].off >= off + size;
}

static int regset_reserve(struct regset *s, unsigned extra)
{
    if (s->n + extra <= s->cap)
        return 0;
    unsigned ncap = s->cap ? s->cap : 32;
    while (ncap < s->n + extra)
        ncap *= 2;
    struct vreg *nr = realloc(s->r, ncap * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    s->r = nr;
    s->cap = ncap;
    return 0;
}

static void regset_insert(struct regset *s, const struct reg_desc *d, uint16_t base, int aux)
{
    unsigned off = (unsigned)base + d->offset;
    unsigned i = lower_bound(s, off);
    memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
    s->r[i] = (struct vreg){ .d = d, .off = (uint16_t)off, .base = base,
                             .val = d->init, .reset = d->init, .aux = aux };
    s->n++;
}

int regset_add(struct regset *s, const struct reg_desc *d, uint16_t base, int aux)
{
    int rc = reg_desc_check(d, base);
    if (rc)
        return rc;
    if (!range_free(s, (unsigned)base + d->offset, d->size))
        return -EEXIST;
    if (regset_reserve(s, 1))
        return -ENOMEM;
    regset_insert(s, d, base, aux);
    return 0;
}

int regset_add_table(struct regset *s, const struct reg_table *t, uint16_t base,
                     uint16_t limit, int aux)
{
    unsigned n = 0;
    int rc = reg_table_check(t);
    if (rc)
        return rc;
    for (unsigned i = 0; i < t->n; i++) {          /* check everything first */
        const struct reg_desc *d = &t->regs[i];
        if (d->offset + d->size > limit)
            continue;
        if ((rc = reg_desc_check(d, base)))
            return rc;
        if (!range_free(s, (unsigned)base + d->offset, d->size))
            return -EEXIST;
        n++;
    }
    if (regset_reserve(s, n))
        return -ENOMEM;
    for (unsigned i = 0; i < t->n; i++)
        if (t->regs[i].offset + t->regs[i].size <= limit)
            regset_insert(s, &t->regs[i], base, aux);
    return 0;
}

struct vreg *regset_find(const struct regset *s, uint16_t off)
{
    unsigned i = lower_bound(s, off);
    return i < s->n && s->r[i].off == off ? &s->r[i] : NULL;
}

void regset_free(struct regset *s)
{
    free(s->r);
    memset(s, 0, sizeof(*s));
}

/* ---- access path ------------------------------------------------------- */

static uint32_t host_value(struct vdev *v, const struct vreg *r)
{
    uint32_t val;
    if (!v->hd || vdev_host_read(v, r->off, r->d->size, &val))
        return size_mask(r->d->size);        /* host read failure: all-ones */
    return val & size_mask(r->d->size);
}

static uint32_t source_value(struct vdev *v, const struct vreg *r)
{
    switch (r->d->src) {
    case REG_EMULATED: return r->val;
    case REG_HOST_RO:
    case REG_HOST_RW:  return host_value(v, r);
    case REG_MIXED:    return (r->val & ~r->d->host_mask) | (host_value(v, r) & r->d->host_mask);
    case REG_ZERO:
    default:           return 0;
    }
}

uint32_t vreg_read(struct vdev *v, const struct vreg *r)
{
    uint32_t val = source_value(v, r);
    if (r->d->read)
        val = r->d->read(v, r, val);
    /* Reserved bits read 0 (RsvdP: software must preserve them; we keep none). */
    return val & ~(r->d->rsvdp | r->d->rsvdz) & size_mask(r->d->size);
}

uint32_t regs_read(struct vdev *v, struct regset *s, unsigned off, unsigned size)
{
    uint32_t out = 0;
    unsigned end = off + size;

    for (unsigned i = lower_bound(s, off); i < s->n && s->r[i].off < end; i++) {
        const struct vreg *r = &s->r[i];
        uint32_t val = vreg_read(v, r);
        /* Place the overlapping bytes of this register into the result. */
        if (r->off >= off)
            out |= val << ((r->off - off) * 8);
        else
            out |= val >> ((off - r->off) * 8);
    }
    return out & size_mask(size);
}

static void write_one(struct vdev *v, struct vreg *r, uint32_t data, uint32_t wmask)
{
    const struct reg_desc *d = r->d;
    uint32_t writable = size_mask(d->size) & ~(d->ro | d->rw1c | d->rsvdp | d->rsvdz);
    uint32_t old, val;

    if (d->src == REG_ZERO || d->src == REG_HOST_RO)
        return;             /* dropped without touching the host */
    old = vreg_read(v, r);
    /* Merge on the guest view: uncovered and non-writable bits keep their
     * value; a 1 written to an RW1C bit clears it. */
    val = (old & ~(writable & wmask)) | (data & writable & wmask);
    val &= ~(d->rw1c & wmask & data);
    if (d->src == REG_HOST_RW) {
        if (val != old || (d->rw1c & wmask & data))
            vdev_host_write(v, r->off, d->size, (val & ~d->rw1c) | (data & wmask & d->rw1c));
    } else {
        if (val != old)
            v->dirty = true;
        r->val = val;
    }
    if (d->write)
        d->write(v, r, val, old, wmask);
}

void regs_write(struct vdev *v, struct regset *s, unsigned off, unsigned size, uint32_t data)
{
    unsigned end = off + size;
    data &= size_mask(size);

    for (unsigned i = lower_bound(s, off); i < s->n && s->r[i].off < end; i++) {
        struct vreg *r = &s->r[i];
        uint32_t rdata, rmask;
        /* Shift the access into this register's frame; bytes outside it are
         * not covered (wmask 0), so they keep their value. */
        if (r->off >= off) {
            rdata = data >> ((r->off - off) * 8);
            rmask = size_mask(size) >> ((r->off - off) * 8);
        } else {
            rdata = data << ((off - r->off) * 8);
            rmask = size_mask(size) << ((off - r->off) * 8);
        }
        rmask &= size_mask(r->d->size);
        write_one(v, r, rdata & rmask, rmask);
    }
}
