/* A rangeset like Xen's (xen/common/rangeset.c semantics): sorted disjoint
 * inclusive intervals, adjacent ones merged, a limit on how many exist
 * (rangeset_limit: allocation beyond it fails, which Xen reports -ENOMEM). */
#include <errno.h>
#include <string.h>

#include "pcipt/sim/sim_state.h"

void rs_init(struct sim_rangeset *rs, uint32_t limit)
{
    rs->nr = 0;
    rs->limit = limit > SIM_MAX_IO_RANGES ? SIM_MAX_IO_RANGES : limit;
}

bool rs_overlaps(const struct sim_rangeset *rs, uint64_t s, uint64_t e)
{
    for (uint32_t i = 0; i < rs->nr; i++)
        if (rs->r[i].start <= e && s <= rs->r[i].end)
            return true;
    return false;
}

bool rs_contains(const struct sim_rangeset *rs, uint64_t s, uint64_t e)
{
    for (uint32_t i = 0; i < rs->nr; i++)
        if (rs->r[i].start <= s && e <= rs->r[i].end)
            return true;
    return false;
}

static void rs_delete_at(struct sim_rangeset *rs, uint32_t i)
{
    memmove(&rs->r[i], &rs->r[i + 1], (rs->nr - i - 1) * sizeof(rs->r[0]));
    rs->nr--;
}

static int rs_insert_at(struct sim_rangeset *rs, uint32_t i, uint64_t s, uint64_t e)
{
    if (rs->nr >= rs->limit)
        return -ENOMEM;
    memmove(&rs->r[i + 1], &rs->r[i], (rs->nr - i) * sizeof(rs->r[0]));
    rs->r[i].start = s;
    rs->r[i].end = e;
    rs->nr++;
    return 0;
}

/* Touching: overlapping or adjacent (e + 1 == start), without overflow. */
static bool touches(const struct sim_interval *r, uint64_t s, uint64_t e)
{
    return (r->start == 0 || e >= r->start - 1) && (r->end == UINT64_MAX || s <= r->end + 1);
}

int rs_add(struct sim_rangeset *rs, uint64_t s, uint64_t e)
{
    uint32_t i = 0;
    while (i < rs->nr && rs->r[i].end < s && !touches(&rs->r[i], s, e))
        i++;
    if (i == rs->nr || !touches(&rs->r[i], s, e))
        return rs_insert_at(rs, i, s, e);
    if (rs->r[i].start < s)
        s = rs->r[i].start;
    if (rs->r[i].end > e)
        e = rs->r[i].end;
    while (i + 1 < rs->nr && touches(&rs->r[i + 1], s, e)) {
        if (rs->r[i + 1].end > e)
            e = rs->r[i + 1].end;
        rs_delete_at(rs, i + 1);
    }
    rs->r[i].start = s;
    rs->r[i].end = e;
    return 0;
}

int rs_remove(struct sim_rangeset *rs, uint64_t s, uint64_t e)
{
    for (uint32_t i = 0; i < rs->nr;) {
        struct sim_interval *r = &rs->r[i];
        if (r->end < s || r->start > e) {
            i++;
            continue;
        }
        if (r->start < s && r->end > e) {           /* split in two */
            uint64_t tail_end = r->end;
            int rc = rs_insert_at(rs, i + 1, e + 1, tail_end);
            if (rc)
                return rc;
            rs->r[i].end = s - 1;
            return 0;
        }
        if (r->start < s) {
            r->end = s - 1;
            i++;
        } else if (r->end > e) {
            r->start = e + 1;
            i++;
        } else {
            rs_delete_at(rs, i);
        }
    }
    return 0;
}
