/* fuzz_ioreq: raw ioreq_t slots, every field arbitrary (type, dir, size,
 * count, data_is_ptr, df, state, vp_eport, addr, data), through the
 * daemon's dispatcher (pcipt/daemon/ioreq.c) with a topology from one real dump
 * behind it (tests/fuzz/fuzz_topo.h) and the BAR windows claimed.
 *
 * Invariants (abort on violation, besides fuzz_cfg's I2, I5, I6, which the
 * world checks on every event and after every request):
 *  R1 every request is answered: a read that is not a config access of a
 *     present function gets all-ones of its size (8 bytes when the size is
 *     not 1/2/4/8); malformed requests (data_is_ptr, count != 1, bad size),
 *     unknown types, BAR-window and unclaimed addresses never reach the
 *     engine (no event, no host read);
 *  R2 a config read answers with no more bits than its size;
 *  R3 exactly one statistics counter moves per request;
 *  R4 the dispatcher writes only req->data, and only for reads.
 *
 * Input: byte 0 picks the dump, then 32-byte ioreq_t images. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pcipt/daemon/ioreq.h"
#include "tests/fuzz/fuzz_topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct fz_world world;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    log_set_level(LOG_LVL_ERR);
    return 0;
}

static uint64_t stat_sum(const struct ioreq_stats *s)
{
    return s->ecam_reads + s->ecam_writes + s->pci_config_reads + s->pci_config_writes +
           s->bar_window + s->unclaimed + s->invalidate + s->malformed + s->unknown_type;
}

static bool is_config(const struct ioreq_router *r, const ioreq_t *q)
{
    if (q->data_is_ptr || q->count != 1 ||
        (q->size != 1 && q->size != 2 && q->size != 4 && q->size != 8))
        return false;
    if (q->type == IOREQ_TYPE_PCI_CONFIG)
        return true;
    return q->type == IOREQ_TYPE_COPY && q->addr >= r->ecam_base &&
           q->addr - r->ecam_base < r->ecam_size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_world *w = &world;
    struct ioreq_router r;

    if (!size)
        return 0;
    fz_world_build(w, data[0] % fz_ndumps());
    ioreq_router_init(&r, w->t, 0, FZ_BUS_START, w->lay.ecam_base, w->lay.ecam_size);
    if (ioreq_router_add_window(&r, w->lay.mem_base, w->lay.mem_size) ||
        ioreq_router_add_window(&r, w->lay.pref_base, w->lay.pref_size))
        fz_fail("cannot claim the BAR windows");
    data++, size--;
    for (; size >= sizeof(ioreq_t); data += sizeof(ioreq_t), size -= sizeof(ioreq_t)) {
        ioreq_t q, before;
        unsigned long ev = w->events;
        uint64_t n = stat_sum(&r.stats);

        memcpy(&q, data, sizeof(q));
        before = q;
        bool cfg = is_config(&r, &q), read = q.dir == IOREQ_READ;
        ioreq_dispatch(&r, &q, NULL);
        if (stat_sum(&r.stats) != n + 1)
            fz_fail("ioreq type %u: %llu counters moved", q.type,
                    (unsigned long long)(stat_sum(&r.stats) - n));
        if (!cfg && w->events != ev)
            fz_fail("ioreq type %u addr 0x%llx reached the engine", q.type,
                    (unsigned long long)q.addr);
        uint64_t answer = q.data;
        q.data = before.data;        /* R4: nothing but data changes */
        if (memcmp(&q, &before, sizeof(q)))
            fz_fail("ioreq_dispatch changed a field other than data");
        q.data = answer;
        if (!read) {
            if (q.data != before.data)
                fz_fail("a write's data was changed");
            continue;
        }
        bool good = q.size == 1 || q.size == 2 || q.size == 4 || q.size == 8;
        uint64_t ones = !good || q.size == 8 ? ~0ull : (1ull << (q.size * 8)) - 1;
        if (!cfg && q.type != IOREQ_TYPE_INVALIDATE && q.data != ones)
            fz_fail("ioreq type %u size %u addr 0x%llx answered 0x%llx, not all-ones", q.type,
                    q.size, (unsigned long long)q.addr, (unsigned long long)q.data);
        if (cfg && (q.data & ~ones))
            fz_fail("config read of size %u answered 0x%llx", q.size, (unsigned long long)q.data);
        fz_check_world_light(w);
    }
    fz_check_world(w);
    fz_world_free(w);
    return 0;
}
