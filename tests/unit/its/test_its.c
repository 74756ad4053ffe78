/* its/: guest DeviceIDs, the doorbell and events per device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its/its.h"
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

static Suite *its_suite(void)
{
    Suite *s = suite_create("its");
    TCase *tc = tcase_create("guest");
    tcase_add_test(tc, guest_devid_follows_emitted_msi_map);
    tcase_add_test(tc, doorbell);
    tcase_add_test(tc, events_rounding);
    tcase_add_test(tc, events_from_config_space);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(its_suite)
