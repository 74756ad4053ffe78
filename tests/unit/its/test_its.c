/* its/: guest DeviceIDs, the doorbell, events per device, and the bind
 * request through a fake hypervisor backend. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
#include "pcipt/daemon/its_bind.h"
#include "pcipt/hv/hv.h"
#include "hostbridge/common/log.h"
#include "tests/support/testreg.h"

START_TEST(guest_devid_follows_emitted_msi_map)
{
    struct sbdf g0 = { 0, 0, 1, 0 }, g1 = { 0, 0, 3, 2 }, g2 = { 1, 2, 31, 7 };
    ck_assert_uint_eq(its_guest_devid(&g0), 0x0008);
    ck_assert_uint_eq(its_guest_devid(&g1), 0x001a);
    ck_assert_uint_eq(its_guest_devid(&g2), 0x102ff);   /* seg 1 -> msi-base 0x10000 */
    ck_assert_uint_eq(its_rid(0xab, 0x1f, 7), 0xabff);
}
END_TEST

START_TEST(doorbell)
{
    ck_assert_uint_eq(its_doorbell(0x04020000), 0x04030040);
    ck_assert_int_eq(its_check_msi_address(0x04020000, 0x04030040), 0);
    ck_assert_int_eq(its_check_msi_address(0x04020000, 0x04020040), -EINVAL);
    ck_assert_int_eq(its_check_msi_address(0x04020000, 0x04030044), -EINVAL);
    ck_assert_int_eq(its_check_msi_address(0x04020000, 0x104030040ull), -EINVAL);
    ck_assert_int_eq(its_check_msi_address(0x04020000, 0), -EINVAL);
    ck_assert_int_eq(its_check_msi_address(0, 0x10040), -ENODEV);
}
END_TEST

START_TEST(events_rounding)
{
    static const uint32_t in[] = { 0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 2048, 2049,
                                   1u << 31 };
    static const uint32_t out[] = { 32, 32, 32, 32, 32, 64, 64, 64, 128, 128, 2048, 4096,
                                    1u << 31 };
    for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        ck_assert_msg(its_round_events(in[i]) == out[i], "%u -> %u, expected %u", in[i],
                      its_round_events(in[i]), out[i]);
    ck_assert_uint_eq(its_round_events((1u << 31) + 1), 0);
    ck_assert_uint_eq(its_events_needed(1, 0), 32);
    ck_assert_uint_eq(its_events_needed(32, 0), 32);
    ck_assert_uint_eq(its_events_needed(0, 2048), 2048);
    ck_assert_uint_eq(its_events_needed(16, 100), 128);
}
END_TEST

/* ---- a config space in memory -------------------------------------------- */
struct memcfg {
    uint8_t b[256];
};

static int mem_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
    struct memcfg *m = ctx;
    *val = 0;
    if (off + size > sizeof(m->b))
        return -EINVAL;
    for (unsigned i = 0; i < size; i++)
        *val |= (uint32_t)m->b[off + i] << (8 * i);
    return 0;
}

static int mem_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    (void)ctx; (void)off; (void)size; (void)val;
    return -EPERM;
}

static const struct host_cfg_ops mem_ops = { .read = mem_read, .write = mem_write };

static void cap(struct memcfg *m, uint8_t at, uint8_t id, uint8_t next, uint16_t ctl)
{
    m->b[at] = id;
    m->b[at + 1] = next;
    m->b[at + 2] = (uint8_t)ctl;
    m->b[at + 3] = (uint8_t)(ctl >> 8);
}

static void host(struct host_dev *hd, struct memcfg *m, uint8_t first_cap)
{
    memset(hd, 0, sizeof(*hd));
    hd->addr = (struct sbdf){ 0, 1, 0, 0 };
    hd->ops = &mem_ops;
    hd->ctx = m;
    hd->cfg_size = 256;
    m->b[0x06] = first_cap ? 0x10 : 0;   /* Status.Capabilities List */
    m->b[0x34] = first_cap;
}

START_TEST(events_from_config_space)
{
    struct memcfg m = { { 0 } };
    struct host_dev hd;
    uint32_t nr = 0;
    char err[256];

    host(&hd, &m, 0x40);
    cap(&m, 0x40, 0x01, 0x50, 0);                 /* PM */
    cap(&m, 0x50, 0x05, 0x00, 3u << 1 | 1u << 7); /* MSI: MMC 3 = 8 vectors, 64-bit */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), 0);
    ck_assert_uint_eq(nr, 32);
    cap(&m, 0x50, 0x05, 0x70, 5u << 1);           /* 32 vectors ... */
    cap(&m, 0x70, 0x11, 0x00, 99);                /* ... and MSI-X with 100 entries */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), 0);
    ck_assert_uint_eq(nr, 128);
    cap(&m, 0x50, 0x05, 0x70, 6u << 1);           /* reserved MMC */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0: MSI Multiple Message Capable 6"));
    cap(&m, 0x50, 0x11, 0x00, 0x7ff);             /* MSI-X only, 2048 entries */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), 0);
    ck_assert_uint_eq(nr, 2048);
    cap(&m, 0x50, 0x10, 0x50, 0);                 /* PCIe cap looping to itself, no MSI */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "neither MSI nor MSI-X"));
    host(&hd, &m, 0);                             /* no capability list at all */
    ck_assert_int_eq(its_device_events(&hd, &nr, err, sizeof(err)), -ENOENT);
}
END_TEST

/* ---- a fake hypervisor backend: records its_map_event --------------------- */
struct fake_hv {
    int rc;
    unsigned calls;
    uint32_t domid, host_devid, guest_devid, event_id;
    bool valid;
};

static int fake_its_map_event(struct hv *hv, uint32_t domid, uint32_t host_devid,
                              uint32_t guest_devid, uint32_t event_id, bool valid)
{
    struct fake_hv *f = hv->priv;
    f->calls++;
    f->domid = domid;
    f->host_devid = host_devid;
    f->guest_devid = guest_devid;
    f->event_id = event_id;
    f->valid = valid;
    return f->rc;
}

static const struct hv_ops fake_ops = { .name = "fake", .its_map_event = fake_its_map_event };
static const struct hv_ops bare_ops = { .name = "bare" };

static unsigned warnings;
static char last_warning[256];

static void sink(enum log_level lvl, const char *msg, void *opaque)
{
    (void)opaque;
    if (lvl == LOG_LVL_WARN) {
        warnings++;
        snprintf(last_warning, sizeof(last_warning), "%s", msg);
    }
}

static void req(struct its_bind_req *r, uint32_t ev)
{
    struct sbdf h = { 0, 1, 0, 0 }, g = { 0, 0, 2, 1 };
    its_bind_req_init(r, 7, &h, 0x1000, &g, 32, ev, true);
}

START_TEST(bind_forwards_request)
{
    struct fake_hv f = { .rc = 0 };
    struct hv hv = { .ops = &fake_ops, .priv = &f };
    struct its_bind_req r;
    char err[256];

    req(&r, 5);
    ck_assert_uint_eq(r.guest_devid, 0x11);
    ck_assert_int_eq(its_bind_event(&hv, &r, err, sizeof(err)), 0);
    ck_assert_uint_eq(f.calls, 1);
    ck_assert_uint_eq(f.domid, 7);
    ck_assert_uint_eq(f.host_devid, 0x1000);
    ck_assert_uint_eq(f.guest_devid, 0x11);
    ck_assert_uint_eq(f.event_id, 5);
    ck_assert(f.valid);
    /* an event beyond the device's events never reaches the hypervisor */
    req(&r, 32);
    ck_assert_int_eq(its_bind_event(&hv, &r, err, sizeof(err)), -ERANGE);
    ck_assert_ptr_nonnull(strstr(err, "event 32 is beyond its 32 events"));
    req(&r, 0);
    r.nr_events = 48;
    ck_assert_int_eq(its_bind_event(&hv, &r, err, sizeof(err)), -EINVAL);
    ck_assert_uint_eq(f.calls, 1);
    /* another failure is reported with the device and DeviceIDs */
    f.rc = -EBUSY;
    req(&r, 1);
    ck_assert_int_eq(its_bind_event(&hv, &r, err, sizeof(err)), -EBUSY);
    ck_assert_ptr_nonnull(strstr(err, "domain 7: binding event 1 of device 0000:01:00.0 "
                                      "(host DeviceID 0x1000, guest DeviceID 0x11) failed"));
}
END_TEST

START_TEST(bind_without_domu_vits_reported_once)
{
    struct fake_hv f = { .rc = -EOPNOTSUPP };
    struct hv hv = { .ops = &fake_ops, .priv = &f }, bare = { .ops = &bare_ops };
    struct its_bind_req r;
    char err[256];

    its_bind_reset_notice();
    warnings = 0;
    log_set_sink(sink, NULL);
    for (uint32_t ev = 0; ev < 3; ev++) {
        req(&r, ev);
        err[0] = '\0';
        ck_assert_int_eq(its_bind_event(&hv, &r, err, sizeof(err)), -EOPNOTSUPP);
        ck_assert_str_eq(err, "Xen has no domU vITS interface; the guest falls back to INTx");
    }
    ck_assert_uint_eq(f.calls, 3);
    /* a backend without the operation means the same */
    ck_assert_int_eq(its_bind_event(&bare, &r, err, sizeof(err)), -EOPNOTSUPP);
    ck_assert_uint_eq(warnings, 1);
    ck_assert_str_eq(last_warning, ITS_NO_DOMU_VITS_MSG);
    log_set_sink(NULL, NULL);
}
END_TEST

static Suite *its_suite(void)
{
    Suite *s = suite_create("its");
    TCase *tc = tcase_create("guest");
    tcase_add_test(tc, guest_devid_follows_emitted_msi_map);
    tcase_add_test(tc, doorbell);
    tcase_add_test(tc, events_rounding);
    tcase_add_test(tc, events_from_config_space);
    tcase_add_test(tc, bind_forwards_request);
    tcase_add_test(tc, bind_without_domu_vits_reported_once);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(its_suite)
