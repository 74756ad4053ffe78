/* The MSI-X table and Pending Bit Array (PCI Local Bus 3.0 §6.8.2), as
 * the guest sees them in its BAR: the table is fully emulated (the guest's
 * Message Address, Upper Address, Data and Vector Control per entry, Mask
 * set at reset: §6.8.2.9), every changed entry is reported as
 * VDEV_EV_MSIX_ENTRY so the service can program the physical entry; the PBA
 * is the host's (the device sets a pending bit while its physical entry is
 * masked), read through host_bar_read, and read-only (§6.8.2.10).
 *
 * §6.8.2: "software must use aligned full DWORD or aligned full QWORD
 * transactions" to the table and PBA.  Anything else (1 or 2 bytes, a
 * misaligned DWORD or QWORD) reads all-ones, is dropped if a write, and is
 * counted (vdev_msix_bad). */
#include <errno.h>
#include <stdlib.h>

#include "hostbridge/vdev.h"

int msix_table_alloc(struct vdev *v)
{
    v->msix_tab = calloc(v->msix.nr_entries, sizeof(*v->msix_tab));
    if (!v->msix_tab)
        return -ENOMEM;
    msix_table_reset(v);
    return 0;
}

void msix_table_reset(struct vdev *v)
{
    for (unsigned i = 0; v->msix_tab && i < v->msix.nr_entries; i++)
        v->msix_tab[i] = (struct msix_entry){ .ctrl = MSIX_ENTRY_MASKED };
}

static bool in_range(uint64_t off, unsigned size, uint64_t start, uint64_t len)
{
    return off >= start && off - start < len && size <= len - (off - start);
}

static bool access_ok(uint64_t off, unsigned size)
{
    return (size == 4 || size == 8) && !(off & (size - 1));
}

/* DWORD k (0..3) of entry e. */
static uint32_t *entry_dw(struct msix_entry *e, unsigned k)
{
    switch (k) {
    case 0: return &e->addr_lo;
    case 1: return &e->addr_hi;
    case 2: return &e->data;
    default: return &e->ctrl;
    }
}

/* Writable bits per DWORD: Message Address bits 1:0 are reserved
 * (§6.8.2.4: DWORD aligned), Vector Control has only the Mask bit
 * (§6.8.2.9: the other bits are reserved, read 0). */
static const uint32_t dw_wmask[4] = { 0xfffffffcu, 0xffffffffu, 0xffffffffu, MSIX_ENTRY_MASKED };

static uint64_t table_read(struct vdev *v, uint64_t rel, unsigned size)
{
    struct msix_entry *e = &v->msix_tab[rel / PCI_MSIX_ENTRY_SIZE];
    unsigned k = (unsigned)(rel % PCI_MSIX_ENTRY_SIZE) / 4;
    uint64_t val = *entry_dw(e, k);

    if (size == 8)
        val |= (uint64_t)*entry_dw(e, k + 1) << 32;
    return val;
}

static void table_write(struct vdev *v, uint64_t rel, unsigned size, uint64_t data)
{
    unsigned i = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
    unsigned k = (unsigned)(rel % PCI_MSIX_ENTRY_SIZE) / 4;
    struct msix_entry *e = &v->msix_tab[i], old = *e;

    for (unsigned n = 0; n < size / 4; n++, k++, data >>= 32)
        *entry_dw(e, k) = (uint32_t)data & dw_wmask[k];
    if (old.addr_lo != e->addr_lo || old.addr_hi != e->addr_hi || old.data != e->data ||
        old.ctrl != e->ctrl) {
        struct vdev_event ev = { .type = VDEV_EV_MSIX_ENTRY, .bar = -1, .entry = i };
        vdev_emit(v, &ev);
    }
}

/* The host's PBA; a failed read is all-ones (as a master abort would be). */
static uint64_t pba_read(struct vdev *v, uint64_t off, unsigned size)
{
    uint64_t val;

    if (!v->hd || host_bar_read(v->hd, v->msix.pba_bar, off, size, &val))
        return size == 8 ? ~0ull : 0xffffffffull;
    return size == 8 ? val : val & 0xffffffffull;
}

static int msix_mmio_locked(struct vdev *v, int bar, uint64_t off, unsigned size, bool write,
                            uint64_t *data)
{
    const struct msix_info *m = &v->msix;
    bool tab = m->table_bar == bar && in_range(off, 1, m->table_offset, m->table_size);
    bool pba = m->pba_bar == bar && in_range(off, 1, m->pba_offset, m->pba_size);

    if (!tab && !pba)
        return 0;
    if (!access_ok(off, size) ||
        !in_range(off, size, tab ? m->table_offset : m->pba_offset,
                  tab ? m->table_size : m->pba_size)) {
        v->msix_bad++;
        if (!write)
            *data = ~0ull;
        return 1;
    }
    if (tab && write)
        table_write(v, off - m->table_offset, size, *data);
    else if (tab)
        *data = table_read(v, off - m->table_offset, size);
    else if (!write)
        *data = pba_read(v, off, size);
    return 1;
}

int vdev_msix_mmio(struct vdev *v, int bar, uint64_t off, unsigned size, bool write,
                   uint64_t *data)
{
    int rc = 0;

    pthread_mutex_lock(&v->lock);
    if (v->msix.present && v->msix_tab)
        rc = msix_mmio_locked(v, bar, off, size, write, data);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int vdev_msix_entry(const struct vdev *v, unsigned i, struct msix_entry *out)
{
    int rc = -ENOENT;

    pthread_mutex_lock(&((struct vdev *)v)->lock);
    if (v->msix_tab && i < v->msix.nr_entries) {
        *out = v->msix_tab[i];
        rc = 0;
    }
    pthread_mutex_unlock(&((struct vdev *)v)->lock);
    return rc;
}

int vdev_msix_entry_set(struct vdev *v, unsigned i, const struct msix_entry *in)
{
    int rc = -ENOENT;

    pthread_mutex_lock(&v->lock);
    if (v->msix_tab && i < v->msix.nr_entries) {
        struct msix_entry c = *in;
        for (unsigned k = 0; k < 4; k++)
            *entry_dw(&v->msix_tab[i], k) = *entry_dw(&c, k) & dw_wmask[k];
        rc = 0;
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

uint64_t vdev_msix_bad(const struct vdev *v)
{
    pthread_mutex_lock(&((struct vdev *)v)->lock);
    uint64_t n = v->msix_bad;
    pthread_mutex_unlock(&((struct vdev *)v)->lock);
    return n;
}
