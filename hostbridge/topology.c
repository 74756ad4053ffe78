/* Host bridges, virtual slots, the root complex, routing of a config request
 * to its function, and access validation (one place: size 1/2/4/8, natural
 * alignment, inside 4 KiB).  Absent functions, buses beyond range and bad
 * accesses read all-ones and drop writes, never an error. */
#include <errno.h>
#include <stdlib.h>

#include "hostbridge/vdev.h"

struct vpci_topology *vpci_topology_new(void)
{
    struct vpci_topology *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    pthread_rwlock_init(&t->lock, NULL);
    pthread_mutex_init(&t->rl_lock, NULL);
    t->rl = (struct ratelimit)RATELIMIT_INIT(10, 1000);
    t->rl_absent = (struct ratelimit)RATELIMIT_INIT(10, 1000);
    return t;
}

static void bridge_free(struct hostbridge *hb)
{
    for (int s = 0; s < PCI_SLOTS; s++)
        for (int f = 0; f < PCI_FNS; f++)
            vdev_free(hb->fns[s][f]);
    vdev_free(hb->root);
    free(hb);
}

void vpci_topology_free(struct vpci_topology *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->nbridges; i++)
        bridge_free(t->bridges[i]);
    pthread_rwlock_destroy(&t->lock);
    pthread_mutex_destroy(&t->rl_lock);
    free(t);
}

static struct hostbridge *find_bridge(const struct vpci_topology *t, uint16_t seg)
{
    for (unsigned i = 0; i < t->nbridges; i++)
        if (t->bridges[i]->seg == seg)
            return t->bridges[i];
    return NULL;
}

int vpci_topology_add_bridge(struct vpci_topology *t, uint16_t seg, uint8_t bus_start,
                             uint8_t bus_end, struct hostbridge **out)
{
    int rc = 0;
    if (bus_end < bus_start)
        return -EINVAL;
    pthread_rwlock_wrlock(&t->lock);
    struct hostbridge *hb = NULL;
    if (find_bridge(t, seg))
        rc = -EEXIST;
    else if (t->nbridges == MAX_BRIDGES)
        rc = -ENOSPC;
    else if (!(hb = calloc(1, sizeof(*hb))))
        rc = -ENOMEM;
    if (!rc) {
        *hb = (struct hostbridge){ .topo = t, .seg = seg, .bus_start = bus_start, .bus_end = bus_end };
        if ((rc = vdev_create(hb, NULL, NULL, &hb->root)))
            free(hb);
        else
            t->bridges[t->nbridges++] = hb;
    }
    pthread_rwlock_unlock(&t->lock);
    if (!rc && out)
        *out = hb;
    return rc;
}

struct hostbridge *vpci_topology_bridge(struct vpci_topology *t, uint16_t seg)
{
    pthread_rwlock_rdlock(&t->lock);
    struct hostbridge *hb = find_bridge(t, seg);
    pthread_rwlock_unlock(&t->lock);
    return hb;
}

void vpci_topology_set_event_handler(struct vpci_topology *t, vdev_event_fn fn, void *opaque)
{
    pthread_rwlock_wrlock(&t->lock);
    t->handler = fn;
    t->opaque = opaque;
    pthread_rwlock_unlock(&t->lock);
}

int hostbridge_add_device(struct hostbridge *hb, struct host_dev *hd,
                          const struct vdev_config *cfg, struct vdev **out)
{
    struct vdev *v;
    int rc;
    if (!hd || !cfg || cfg->slot < 1 || cfg->slot >= PCI_SLOTS || cfg->fn >= PCI_FNS || !hd->ops)
        return -EINVAL;
    pthread_rwlock_wrlock(&hb->topo->lock);
    if (hb->fns[cfg->slot][cfg->fn])
        rc = -EEXIST;
    else if (!(rc = vdev_create(hb, hd, cfg, &v)))
        hb->fns[cfg->slot][cfg->fn] = v;
    pthread_rwlock_unlock(&hb->topo->lock);
    if (!rc && out)
        *out = v;
    return rc;
}

int hostbridge_remove_device(struct hostbridge *hb, uint8_t slot, uint8_t fn)
{
    if (slot >= PCI_SLOTS || fn >= PCI_FNS)
        return -EINVAL;
    pthread_rwlock_wrlock(&hb->topo->lock);
    struct vdev *v = hb->fns[slot][fn];
    hb->fns[slot][fn] = NULL;
    pthread_rwlock_unlock(&hb->topo->lock);
    if (!v)
        return -ENOENT;
    atomic_fetch_add(&hb->topo->gone_host_reads, atomic_load(&v->host_reads));
    atomic_fetch_add(&hb->topo->gone_host_writes, atomic_load(&v->host_writes));
    vdev_free(v);
    return 0;
}

static struct vdev *route(struct hostbridge *hb, uint8_t bus, uint8_t slot, uint8_t fn)
{
    if (bus != hb->bus_start || slot >= PCI_SLOTS || fn >= PCI_FNS)
        return NULL;        /* only the root bus is populated */
    if (slot == 0)
        return fn == 0 ? hb->root : NULL;
    return hb->fns[slot][fn];
}

struct vdev *hostbridge_find(struct hostbridge *hb, uint8_t bus, uint8_t slot, uint8_t fn)
{
    pthread_rwlock_rdlock(&hb->topo->lock);
    struct vdev *v = route(hb, bus, slot, fn);
    pthread_rwlock_unlock(&hb->topo->lock);
    return v;
}

bool vdev_slot_is_multifunction(const struct vdev *v)
{
    if (!v->hd)
        return false;
    for (int f = 1; f < PCI_FNS; f++)
        if (v->hb->fns[v->slot][f])
            return true;
    return false;
}

/* ---- accesses ---------------------------------------------------------- */

static bool access_valid(const struct cfg_req *r)
{
    unsigned size = r->size;
    return (size == 1 || size == 2 || size == 4 || size == 8) && r->reg % size == 0 &&
           (unsigned)r->reg + size <= PCI_CFG_SIZE;
}

/* All-ones of an access: 0xff for sizes other than 2, 4 and 8 (and 64 ones
 * above 8).  One function for every path, with or without a bridge for the
 * segment (they differed: found by fuzzing, docs/testing/fuzz.md "Found and fixed" F2). */
static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? ~0ull : size == 4 ? 0xffffffffull : size == 2 ? 0xffff : 0xff;
}

/* Bad accesses are guest bugs (warning); absent functions are normal during
 * enumeration (debug).  Each class has its own token bucket. */
static void log_access(struct vpci_topology *t, struct ratelimit *rl, enum log_level lvl,
                       const struct cfg_req *r, const char *what, bool write)
{
    if (log_get_level() < lvl)
        return;
    pthread_mutex_lock(&t->rl_lock);
    bool ok = ratelimit_ok(rl);
    pthread_mutex_unlock(&t->rl_lock);
    if (ok)
        log_msg(lvl, "%s config %s at " SBDF_FMT " reg 0x%x size %u",
                what, write ? "write dropped" : "read returns all-ones",
                SBDF_ARGS(*r), r->reg, r->size);
}

/* Validate and route under the topology's read lock; NULL = all-ones/drop. */
static struct vdev *lookup(struct hostbridge *hb, const struct cfg_req *r, bool write)
{
    struct vpci_topology *t = hb->topo;
    if (!access_valid(r)) {
        atomic_fetch_add(&t->bad, 1);
        log_access(t, &t->rl, LOG_LVL_WARN, r, "bad", write);
        return NULL;
    }
    struct vdev *v = r->bus >= hb->bus_start && r->bus <= hb->bus_end
                         ? route(hb, r->bus, r->dev, r->fn) : NULL;
    if (!v) {
        atomic_fetch_add(&t->absent, 1);
        log_access(t, &t->rl_absent, LOG_LVL_DEBUG, r, "absent-function", write);
    }
    return v;
}

static uint64_t read_locked(struct hostbridge *hb, const struct cfg_req *r)
{
    atomic_fetch_add(&hb->topo->reads, 1);
    struct vdev *v = lookup(hb, r, false);
    if (!v)
        return all_ones(r->size);
    if (r->size == 8)   /* split into two dword accesses */
        return vdev_cfg_read(v, r->reg, 4) | (uint64_t)vdev_cfg_read(v, r->reg + 4u, 4) << 32;
    return vdev_cfg_read(v, r->reg, r->size);
}

static void write_locked(struct hostbridge *hb, const struct cfg_req *r, uint64_t data)
{
    atomic_fetch_add(&hb->topo->writes, 1);
    struct vdev *v = lookup(hb, r, true);
    if (!v)
        return;
    if (r->size == 8) {
        vdev_cfg_write(v, r->reg, 4, (uint32_t)data);
        vdev_cfg_write(v, r->reg + 4u, 4, (uint32_t)(data >> 32));
    } else {
        vdev_cfg_write(v, r->reg, r->size, (uint32_t)data);
    }
}

uint64_t hostbridge_cfg_read(struct hostbridge *hb, const struct cfg_req *r)
{
    pthread_rwlock_rdlock(&hb->topo->lock);
    uint64_t val = read_locked(hb, r);
    pthread_rwlock_unlock(&hb->topo->lock);
    return val;
}

void hostbridge_cfg_write(struct hostbridge *hb, const struct cfg_req *r, uint64_t data)
{
    pthread_rwlock_rdlock(&hb->topo->lock);
    write_locked(hb, r, data);
    pthread_rwlock_unlock(&hb->topo->lock);
}

uint64_t vpci_cfg_read(struct vpci_topology *t, const struct cfg_req *r)
{
    pthread_rwlock_rdlock(&t->lock);
    struct hostbridge *hb = find_bridge(t, r->seg);
    uint64_t val;
    if (hb) {
        val = read_locked(hb, r);
    } else {
        atomic_fetch_add(&t->reads, 1);
        atomic_fetch_add(&t->absent, 1);
        val = all_ones(r->size);
    }
    pthread_rwlock_unlock(&t->lock);
    return val;
}

void vpci_cfg_write(struct vpci_topology *t, const struct cfg_req *r, uint64_t data)
{
    pthread_rwlock_rdlock(&t->lock);
    struct hostbridge *hb = find_bridge(t, r->seg);
    if (hb) {
        write_locked(hb, r, data);
    } else {
        atomic_fetch_add(&t->writes, 1);
        atomic_fetch_add(&t->absent, 1);
    }
    pthread_rwlock_unlock(&t->lock);
}

void vpci_topology_stats(const struct vpci_topology *t, struct vpci_stats *out)
{
    struct vpci_topology *w = (struct vpci_topology *)t;
    pthread_rwlock_rdlock(&w->lock);
    *out = (struct vpci_stats){ .reads = t->reads, .writes = t->writes, .bad_accesses = t->bad,
                                .absent_accesses = t->absent, .host_reads = t->gone_host_reads,
                                .host_writes = t->gone_host_writes };
    for (unsigned i = 0; i < t->nbridges; i++)
        for (int s = 0; s < PCI_SLOTS; s++)
            for (int f = 0; f < PCI_FNS; f++) {
                struct vdev *v = t->bridges[i]->fns[s][f];
                if (v) {
                    out->host_reads += atomic_load(&v->host_reads);
                    out->host_writes += atomic_load(&v->host_writes);
                }
            }
    pthread_rwlock_unlock(&w->lock);
}
