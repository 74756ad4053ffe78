/* The type-0 header at every offset and width, header semantics (command,
 * status RW1C, interrupt line/pin), the root complex, multi-function
 * presentation, decoding, and every bad-access class. */
#include <errno.h>
#include <string.h>

#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

static const uint64_t gbar[PCI_NUM_RES] = { 0x123450000ull, 0, 0x23001000, 0, 0, 0, 0x23100000 };

static void expected_header(uint8_t h[64])
{
    static const struct { unsigned off, size; uint32_t val; } e[] = {
        { 0x00, 2, 0x8086 }, { 0x02, 2, 0x10d3 }, { 0x04, 2, 0 }, { 0x06, 2, 0x0218 },
        { 0x08, 4, 0x02000001 }, { 0x0c, 4, 0 }, { 0x10, 4, 0x2345000c }, { 0x14, 4, 0x1 },
        { 0x18, 4, 0x23001000 }, { 0x1c, 4, 0 }, { 0x20, 4, 0 }, { 0x24, 4, 0 }, { 0x28, 4, 0 },
        { 0x2c, 4, 0x11001af4 }, { 0x30, 4, 0x23100000 }, { 0x34, 4, 0x40 }, { 0x38, 4, 0 },
        { 0x3c, 4, 0x0105 },
    };
    for (unsigned i = 0; i < sizeof(e) / sizeof(e[0]); i++)
        for (unsigned b = 0; b < e[i].size; b++)
            h[e[i].off + b] = (uint8_t)(e[i].val >> (8 * b));
}

START_TEST(header_every_offset_and_width)
{
    struct fix f;
    struct memdev m;
    uint8_t h[64];
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, gbar);
    expected_header(h);
    for (unsigned sz = 1; sz <= 8; sz *= 2)
        for (unsigned off = 0; off < 64; off += sz) {
            uint64_t want = 0;
            for (unsigned b = 0; b < sz; b++)
                want |= (uint64_t)h[off + b] << (8 * b);
            ck_assert_msg(cfg_rd(&f, 1, 0, off, sz) == want, "off 0x%x size %u: 0x%llx != 0x%llx",
                          off, sz, (unsigned long long)cfg_rd(&f, 1, 0, off, sz),
                          (unsigned long long)want);
        }
    /* Writing all-ones then zeros to the read-only registers changes nothing. */
    static const unsigned ro[] = { 0x00, 0x08, 0x0e, 0x2c, 0x34, 0x3d };
    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
        uint64_t before = cfg_rd(&f, 1, 0, ro[i] & ~3u, 4);
        cfg_wr(&f, 1, 0, ro[i], 1, 0xff);
        cfg_wr(&f, 1, 0, ro[i], 1, 0);
        ck_assert_uint_eq(cfg_rd(&f, 1, 0, ro[i] & ~3u, 4), before);
    }
    fix_fini(&f);
}
END_TEST

START_TEST(command_status_and_interrupt_line)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, 1, 0, gbar);
    cfg_wr(&f, 1, 0, 0x04, 2, 0xffff);            /* only IO/MEM/MASTER/INTX_DIS stick */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0x0407);
    ck_assert_uint_eq(vdev_command(v), 0x0407);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_INTX), 1);
    ck_assert_uint_eq(memdev_get(&m, 0x04, 2), 0x0406);    /* host command untouched */
    cfg_wr(&f, 1, 0, 0x05, 1, 0x00);              /* byte write clears INTx-disable only */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0x0007);
    ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_INTX), 2);
    /* Status: RW1C error bits emulated; host parity error (bit 15) not shown. */
    struct vdev_state st;
    vdev_save_state(v, &st);
    st.status_rw1c = 0xf900;
    vdev_restore_state(v, &st);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x06, 2), 0xfb18);
    cfg_wr(&f, 1, 0, 0x06, 2, 0x0100 | 0x0010 | 0x0008);  /* clear bit 8; RO bits stay */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x06, 2), 0xfa18);
    cfg_wr(&f, 1, 0, 0x07, 1, 0x80);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x06, 2), 0x7a18);
    cfg_wr(&f, 1, 0, 0x04, 4, 0x00000000);        /* dword: status bits 0 = no change */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x06, 2), 0x7a18);
    memdev_set(&m, 0x06, 2, 0x0010);              /* host interrupt status follows the host */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x06, 2), 0x7810);
    /* Interrupt line emulated, pin from the host. */
    cfg_wr(&f, 1, 0, 0x3c, 2, 0xff33);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x3c, 2), 0x0133);
    ck_assert_uint_eq(memdev_get(&m, 0x3c, 1), 0x2a);
    ck_assert_uint_eq(vdev_intx_pin(v), 1);
    fix_fini(&f);
}
END_TEST

START_TEST(root_complex_and_multifunction)
{
    struct fix f;
    struct memdev a, b, c;
    memdev_endpoint(&a);
    memdev_init(&b, 0x10de, 0x0fb9, 256);         /* e.g. a GPU's audio function */
    memdev_init(&c, 0x10de, 0x1111, 256);
    fix_init(&f);
    ck_assert_uint_eq(cfg_rd(&f, 0, 0, 0x00, 4), 0xc0de5853);
    ck_assert_uint_eq(cfg_rd(&f, 0, 0, 0x08, 4), 0x06000000);
    ck_assert_uint_eq(cfg_rd(&f, 0, 0, 0x0c, 4), 0);
    ck_assert_uint_eq(cfg_rd(&f, 0, 0, 0x2c, 4), 0xc0de5853);
    ck_assert_uint_eq(cfg_rd(&f, 0, 1, 0x00, 4), 0xffffffff);
    cfg_wr(&f, 0, 0, 0x00, 4, 0);
    ck_assert_uint_eq(cfg_rd(&f, 0, 0, 0x00, 4), 0xc0de5853);
    fix_add(&f, &a, 2, 0, NULL);
    ck_assert_uint_eq(cfg_rd(&f, 2, 0, 0x0e, 1), 0x00);   /* host's MF bit not shown */
    fix_add(&f, &b, 2, 1, NULL);
    fix_add(&f, &c, 2, 5, NULL);
    ck_assert_uint_eq(cfg_rd(&f, 2, 0, 0x0e, 1), 0x80);
    ck_assert_uint_eq(cfg_rd(&f, 2, 1, 0x0c, 4), 0x00000000);
    ck_assert_uint_eq(cfg_rd(&f, 2, 1, 0x00, 4), 0x0fb910de);
    ck_assert_uint_eq(cfg_rd(&f, 2, 5, 0x00, 4), 0x111110de);
    ck_assert_uint_eq(cfg_rd(&f, 2, 3, 0x00, 4), 0xffffffff);
    struct vdev_config dup = { .slot = 2, .fn = 1 };
    ck_assert_int_eq(hostbridge_add_device(f.hb, &c.hd, &dup, NULL), -EEXIST);
    ck_assert_int_eq(hostbridge_remove_device(f.hb, 2, 1), 0);
    ck_assert_uint_eq(cfg_rd(&f, 2, 0, 0x0e, 1), 0x80);
    ck_assert_int_eq(hostbridge_remove_device(f.hb, 2, 5), 0);
    ck_assert_uint_eq(cfg_rd(&f, 2, 0, 0x0e, 1), 0x00);
    ck_assert_int_eq(hostbridge_remove_device(f.hb, 2, 5), -ENOENT);
    ck_assert_ptr_nonnull(hostbridge_find(f.hb, 0, 2, 0));
    struct vdev_config bad = { .slot = 0, .fn = 0 };
    ck_assert_int_eq(hostbridge_add_device(f.hb, &c.hd, &bad, NULL), -EINVAL);
    bad.slot = 32;
    ck_assert_int_eq(hostbridge_add_device(f.hb, &c.hd, &bad, NULL), -EINVAL);
    fix_fini(&f);
}
END_TEST

START_TEST(decode_both_encodings)
{
    struct cfg_req r;
    ecam_decode((3u << 20) | (4u << 15) | (5u << 12) | 0x104, 2, 0x10, &r);
    ck_assert_uint_eq(r.seg, 2);
    ck_assert_uint_eq(r.bus, 0x13);
    ck_assert_uint_eq(r.dev, 4);
    ck_assert_uint_eq(r.fn, 5);
    ck_assert_uint_eq(r.reg, 0x104);
    ecam_decode(0xff00000, 0, 0x10, &r);           /* bus 0x10f: beyond 255 */
    ck_assert_uint_eq(r.reg, 0xffff);
    pci_config_decode((uint64_t)0x00031a2b << 32 | 0x40, 4, &r);
    ck_assert_uint_eq(r.seg, 3);
    ck_assert_uint_eq(r.bus, 0x1a);
    ck_assert_uint_eq(r.dev, 5);
    ck_assert_uint_eq(r.fn, 3);
    ck_assert_uint_eq(r.reg, 0x40);
    ck_assert_uint_eq(r.size, 4);
    pci_config_decode(0x1000, 4, &r);
    ck_assert_uint_eq(r.reg, 0xffff);
}
END_TEST

START_TEST(bad_accesses_read_all_ones)
{
    static const struct { uint8_t bus, dev, fn; uint16_t reg; uint8_t size; bool bad; } c[] = {
        { 0, 1, 0, 0x04, 3, true }, { 0, 1, 0, 0x04, 0, true }, { 0, 1, 0, 0x04, 16, true },
        { 0, 1, 0, 0x02, 4, true }, { 0, 1, 0, 0x05, 2, true }, { 0, 1, 0, 0x04, 8, true },
        { 0, 1, 0, 0xffff, 4, true }, { 0, 1, 0, 0x1000, 1, true },
        { 0, 1, 1, 0x04, 4, false }, { 0, 9, 0, 0x04, 4, false }, { 1, 1, 0, 0x04, 4, false },
        { 4, 1, 0, 0x04, 4, false }, { 0xff, 0, 0, 0x00, 4, false },
    };
    struct fix f;
    struct memdev m;
    struct vpci_stats st;
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, gbar);
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct cfg_req r = { 0, c[i].bus, c[i].dev, c[i].fn, c[i].reg, c[i].size };
        unsigned sz = c[i].size;
        uint64_t ones = sz >= 8 ? ~0ull : sz == 4 ? 0xffffffffull : sz == 2 ? 0xffff : 0xff;
        vpci_topology_stats(f.t, &st);
        uint64_t bad0 = st.bad_accesses, abs0 = st.absent_accesses;
        ck_assert_msg(vpci_cfg_read(f.t, &r) == ones, "case %u", i);
        vpci_cfg_write(f.t, &r, 0xffffffffffffffffull);
        vpci_topology_stats(f.t, &st);
        ck_assert_uint_eq(st.bad_accesses - bad0, c[i].bad ? 2 : 0);
        ck_assert_uint_eq(st.absent_accesses - abs0, c[i].bad ? 0 : 2);
    }
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x04, 2), 0);          /* no write landed */
    struct cfg_req other_seg = { 7, 0, 0, 0, 0, 4 };
    ck_assert_uint_eq(vpci_cfg_read(f.t, &other_seg), 0xffffffff);
    /* 8-byte access at an aligned offset is split into two dwords. */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x00, 8), 0x0218000010d38086ull);
    cfg_wr(&f, 1, 0, 0x38, 8, 0x0000003300000000ull);
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x3c, 1), 0x33);
    /* Conventional device: everything beyond 0x100 reads 0. */
    ck_assert_uint_eq(cfg_rd(&f, 1, 0, 0x800, 4), 0);
    fix_fini(&f);
}
END_TEST

static Suite *engine_header_suite(void)
{
    Suite *s = suite_create("engine_header");
    TCase *tc = tcase_create("header");
    tcase_add_test(tc, header_every_offset_and_width);
    tcase_add_test(tc, command_status_and_interrupt_line);
    tcase_add_test(tc, root_complex_and_multifunction);
    tcase_add_test(tc, decode_both_encodings);
    tcase_add_test(tc, bad_accesses_read_all_ones);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_header_suite)
