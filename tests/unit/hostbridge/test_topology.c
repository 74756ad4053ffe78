/* The topology (hostbridge/topology.c): several host bridges and their
 * statistics, random accesses that keep the engine's invariants, and four
 * threads hammering the engine at once. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

static const uint64_t gbar[PCI_NUM_RES] = { 0x123450000ull, 0, 0x23001000, 0, 0, 0, 0x23100000 };

START_TEST(several_bridges_and_stats)
{
    struct fix f;
    struct memdev m;
    struct hostbridge *hb1;
    struct vpci_stats st;
    memdev_endpoint(&m);
    fix_init(&f);
    ck_assert_int_eq(vpci_topology_add_bridge(f.t, 0, 0, 0, NULL), -EEXIST);
    ck_assert_int_eq(vpci_topology_add_bridge(f.t, 1, 0x20, 0x10, NULL), -EINVAL);
    ck_assert_int_eq(vpci_topology_add_bridge(f.t, 1, 0x10, 0x1f, &hb1), 0);
    ck_assert_ptr_eq(vpci_topology_bridge(f.t, 1), hb1);
    struct vdev_config c = { .slot = 4, .fn = 0 };
    struct vdev *v;
    ck_assert_int_eq(hostbridge_add_device(hb1, &m.hd, &c, &v), 0);
    uint16_t seg;
    uint8_t bus, slot, fn;
    vdev_location(v, &seg, &bus, &slot, &fn);
    ck_assert(seg == 1 && bus == 0x10 && slot == 4 && fn == 0);
    ck_assert_ptr_eq(vdev_host(v), &m.hd);
    struct cfg_req r = { 1, 0x10, 4, 0, 0x00, 4 };
    ck_assert_uint_eq(vpci_cfg_read(f.t, &r), 0x10d38086);
    r.dev = 0;
    ck_assert_uint_eq(vpci_cfg_read(f.t, &r), 0xc0de5853);
    r.bus = 0;                                          /* seg 1 bus 0: out of range */
    ck_assert_uint_eq(hostbridge_cfg_read(hb1, &r), 0xffffffff);
    r.bus = 0x11;                                       /* in range, nothing there */
    ck_assert_uint_eq(vpci_cfg_read(f.t, &r), 0xffffffff);
    cfg_rd(&f, 4, 0, 0, 4);                             /* seg 0 slot 4: absent */
    vpci_topology_stats(f.t, &st);
    ck_assert_uint_eq(st.reads, 5);
    ck_assert_uint_eq(st.absent_accesses, 3);
    ck_assert_uint_eq(st.bad_accesses, 0);
    ck_assert_uint_gt(st.host_reads, 0);
    ck_assert_uint_eq(st.host_writes, 0);
    fix_fini(&f);
}
END_TEST

/* Random guest input (fixed-seed LCG): no crash, no host write (memdev
 * aborts on one), identity registers and the capability list stay intact. */
START_TEST(random_accesses_keep_invariants)
{
    struct fix f;
    struct memdev m;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, gbar);
    enum log_level saved = log_get_level();
    log_set_level(LOG_LVL_ERR);
    f.log.refuse_map = 0;
    for (unsigned i = 0; i < 200000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        static const uint8_t sizes[] = { 1, 2, 4, 8, 3, 0 };
        struct cfg_req r = { 0, 0, 1, 0, (uint16_t)((x >> 16) & 0x1fff), sizes[(x >> 40) % 6] };
        if ((x >> 60) & 1)
            vpci_cfg_write(f.t, &r, x * 31);
        else
            vpci_cfg_read(f.t, &r);
        f.log.n = 0;          /* events are not the point here */
    }
    log_set_level(saved);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x00, 4), 0x10d38086);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x08, 4), 0x02000001);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x34, 1), 0x40);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x41, 1), 0x50);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x51, 1), 0x70);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x71, 1), 0x80);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x81, 1), 0x00);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x100, 4), 0);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x10, 4) & 0xf, 0xc);
    ck_assert_uint_eq(m.writes, 0);
    fix_fini(&f);
}
END_TEST

/* ---- concurrency ------------------------------------------------------- */
struct hammer {
    struct vpci_topology *t;
    int id;
    _Atomic unsigned *errors;
};

static _Atomic unsigned events;
static int count_events(void *opaque, const struct vdev_event *ev)
{
    atomic_fetch_add(&events, 1);
    struct vdev_bar_info bi;          /* the handler may query the vdev (recursive lock) */
    if (ev->bar >= 0)
        vdev_bar_info(ev->vdev, ev->bar, &bi);
    return 0;
}

static uint64_t rd(struct vpci_topology *t, uint8_t slot, unsigned reg, unsigned size)
{
    struct cfg_req r = { 0, 0, slot, 0, (uint16_t)reg, (uint8_t)size };
    return vpci_cfg_read(t, &r);
}

static void wr(struct vpci_topology *t, uint8_t slot, unsigned reg, unsigned size, uint64_t val)
{
    struct cfg_req r = { 0, 0, slot, 0, (uint16_t)reg, (uint8_t)size };
    vpci_cfg_write(t, &r, val);
}

static void *hammer_thread(void *p)
{
    struct hammer *h = p;
    for (unsigned i = 0; i < 20000; i++) {
        unsigned bad = 0;
        switch (h->id) {
        case 0:     /* RO registers of slot 1 stay constant at every width */
            bad = rd(h->t, 1, 0, 4) != 0x10d38086 || rd(h->t, 1, 2, 2) != 0x10d3 ||
                  rd(h->t, 1, 8, 8) != 0x0000000002000001ull;
            break;
        case 1:     /* MSI of slot 2: write and read back our own value */
            wr(h->t, 2, 0x5c, 2, i & 0xffff);
            bad = rd(h->t, 2, 0x5c, 2) != (i & 0xffff);
            break;
        case 2:     /* decode toggles and BAR probes on slot 1 */
            wr(h->t, 1, 0x04, 2, (i & 1) ? 0x0002 : 0);
            wr(h->t, 1, 0x18, 4, 0xffffffff);
            bad = rd(h->t, 1, 0x18, 4) != 0xfffff000;
            wr(h->t, 1, 0x18, 4, 0x23001000);
            break;
        default:    /* interrupt line of slot 1 via byte writes, bad accesses */
            wr(h->t, 1, 0x3c, 1, i & 0xff);
            bad = rd(h->t, 1, 0x3c, 1) != (i & 0xff) || rd(h->t, 1, 0x3, 2) != 0xffff;
        }
        if (bad)
            atomic_fetch_add(h->errors, 1);
    }
    return NULL;
}

START_TEST(four_threads_hammer)
{
    struct memdev a, b;
    struct hostbridge *hb;
    _Atomic unsigned errors = 0;
    memdev_endpoint(&a);
    memdev_endpoint(&b);
    a.forbid_writes = b.forbid_writes = true;
    struct vpci_topology *t = vpci_topology_new();
    ck_assert_int_eq(vpci_topology_add_bridge(t, 0, 0, 0, &hb), 0);
    vpci_topology_set_event_handler(t, count_events, NULL);
    struct vdev_config c1 = { .slot = 1, .guest_bar = { 0x200000000ull, 0, 0x23001000 } };
    struct vdev_config c2 = { .slot = 2 };
    ck_assert_int_eq(hostbridge_add_device(hb, &a.hd, &c1, NULL), 0);
    ck_assert_int_eq(hostbridge_add_device(hb, &b.hd, &c2, NULL), 0);
    enum log_level saved = log_get_level();
    log_set_level(LOG_LVL_ERR);     /* 20000 rate-limited bad-access warnings */
    pthread_t th[4];
    struct hammer h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (struct hammer){ t, i, &errors };
        ck_assert_int_eq(pthread_create(&th[i], NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    log_set_level(saved);
    ck_assert_uint_eq(errors, 0);
    ck_assert_uint_gt(events, 20000);                  /* 2 maps/unmaps per toggle + more */
    struct vpci_stats st;
    vpci_topology_stats(t, &st);
    ck_assert_uint_eq(st.bad_accesses, 20000);
    ck_assert_uint_eq(st.host_writes, 0);
    vpci_topology_free(t);
}
END_TEST

static Suite *engine_topology_suite(void)
{
    Suite *s = suite_create("engine_topology");
    TCase *tc = tcase_create("topology");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, several_bridges_and_stats);
    tcase_add_test(tc, random_accesses_keep_invariants);
    tcase_add_test(tc, four_threads_hammer);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_topology_suite)
