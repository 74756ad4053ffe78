/* Command.BusMaster (PCI 3.0 §6.2.2 bit 2) and DMA isolation
 * (docs/design/dma.md): without .dma it reads 0 and nothing reaches the
 * service; with .dma each change is a VDEV_EV_BUS_MASTER, and an FLR or a
 * reset turns it off first. */
#include <string.h>

#include "tests/support/engine_fix.h"
#include "tests/support/testreg.h"

static struct vdev *add(struct fix *f, struct memdev *m, bool dma)
{
    struct vdev_config c = { .slot = 1, .fn = 0, .dma = dma };
    struct vdev *v = NULL;

    ck_assert_int_eq(hostbridge_add_device(f->hb, &m->hd, &c, &v), 0);
    return v;
}

static const struct vdev_event *last(const struct fix *f, enum vdev_event_type t)
{
    for (unsigned i = f->log.n; i-- > 0;)
        if (f->log.ev[i].type == t)
            return &f->log.ev[i];
    return NULL;
}

START_TEST(without_dma_bus_master_reads_zero)
{
    struct fix f;
    struct memdev m;

    memdev_endpoint(&m);
    m.forbid_writes = true;                   /* the host's command is never written */
    fix_init(&f);
    struct vdev *v = add(&f, &m, false);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0006);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0x0002);
    ck_assert_uint_eq(vdev_command(v), 0x0002);
    cfg_wr(&f, 1, 0, 0x04, 1, 0x04);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 1), 0x00);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 0);
    /* a restored state cannot smuggle it in either */
    struct vdev_state st;
    vdev_save_state(v, &st);
    st.command |= 0x0004;
    vdev_restore_state(v, &st);
    ck_assert_uint_eq(vdev_command(v) & 0x0004, 0);
    fix_fini(&f);
}
END_TEST

START_TEST(with_dma_each_change_is_an_event)
{
    struct fix f;
    struct memdev m;

    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = add(&f, &m, true);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0004);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0x0004);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 1);
    ck_assert(last(&f, VDEV_EV_BUS_MASTER)->enable);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0006);        /* no change of bit 2: no event */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 1);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0002);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 2);
    ck_assert(!last(&f, VDEV_EV_BUS_MASTER)->enable);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0004);
    vdev_reset(v);                            /* guest reboot: off first */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 4);
    ck_assert(!last(&f, VDEV_EV_BUS_MASTER)->enable);
    ck_assert_uint_eq(vdev_command(v), 0);
    vdev_reset(v);                            /* already off: nothing */
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_BUS_MASTER), 4);
    fix_fini(&f);
}
END_TEST

START_TEST(flr_turns_bus_master_off_before_the_reset)
{
    struct fix f;
    struct memdev m;

    memdev_endpoint(&m);
    fix_init(&f);
    add(&f, &m, true);
    cfg_wr(&f, 1, 0, 0x04, 2, 0x0004);
    f.log.n = 0;
    cfg_wr(&f, 1, 0, 0x80 + 0x08, 2, 0x8000);    /* PCIe DevCtl: Initiate FLR */
    ck_assert_uint_ge(f.log.n, 2);
    unsigned bm = f.log.n, flr = f.log.n;
    for (unsigned i = 0; i < f.log.n; i++) {
        if (f.log.ev[i].type == VDEV_EV_BUS_MASTER && bm == f.log.n)
            bm = i;
        if (f.log.ev[i].type == VDEV_EV_FLR && flr == f.log.n)
            flr = i;
    }
    ck_assert_uint_lt(bm, flr);
    ck_assert(!f.log.ev[bm].enable);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0);
    fix_fini(&f);
}
END_TEST

static Suite *bus_master_suite(void)
{
    Suite *s = suite_create("bus_master");
    TCase *tc = tcase_create("bus_master");

    tcase_add_test(tc, without_dma_bus_master_reads_zero);
    tcase_add_test(tc, with_dma_each_change_is_an_event);
    tcase_add_test(tc, flr_turns_bus_master_off_before_the_reset);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(bus_master_suite)
