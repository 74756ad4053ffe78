/* A guest's capability walk (capabilities pointer, then the ID and next
 * pointer of each kept capability) is served from the engine alone: the
 * counting memdev must see no host read, before and after an FLR. */
#include "tests/support/engine_fx.h"
#include "tests/support/testreg.h"

/* Walk the list from 0x34 reading each header as two bytes and as a word
 * (the widths Linux and lspci use; a dword would also read the capability's
 * body, whose host bits are read-only from the host); return the number of
 * capabilities and the IDs seen. */
static unsigned walk_headers(struct fix *f, uint8_t ids[], unsigned max)
{
    unsigned n = 0;
    for (unsigned ptr = (unsigned)cfg_rd(f, 1, 0, 0x34, 1); ptr && n < max; n++) {
        ck_assert_msg(ptr >= 0x40 && !(ptr & 3), "pointer 0x%x", ptr);
        unsigned id = (unsigned)cfg_rd(f, 1, 0, ptr, 1), next = (unsigned)cfg_rd(f, 1, 0, ptr + 1, 1);
        ck_assert_uint_eq(cfg_rd(f, 1, 0, ptr, 2), id | next << 8);
        ids[n] = (uint8_t)id;
        ptr = next;
    }
    return n;
}

static void assert_endpoint_ids(const uint8_t ids[], unsigned n)
{
    static const uint8_t want[] = { 0x01, 0x05, 0x11, 0x10 };   /* PM, MSI, MSI-X, PCIe */
    ck_assert_uint_eq(n, sizeof(want));
    for (unsigned i = 0; i < n; i++)
        ck_assert_uint_eq(ids[i], want[i]);
}

START_TEST(cap_walk_makes_no_host_reads)
{
    struct fix f;
    struct memdev m;
    uint8_t ids[48];
    memdev_endpoint(&m);
    m.forbid_writes = true;
    fix_init(&f);
    fix_add(&f, &m, 1, 0, NULL);

    unsigned before = m.reads;
    assert_endpoint_ids(ids, walk_headers(&f, ids, 48));
    ck_assert_uint_eq(m.reads, before);

    /* The IDs are the registration-time values: scribbling on the host's
     * headers afterwards changes nothing the guest sees. */
    memdev_set(&m, 0x40, 1, 0xff);
    memdev_set(&m, 0x70, 2, 0x0009);
    assert_endpoint_ids(ids, walk_headers(&f, ids, 48));
    ck_assert_uint_eq(m.reads, before);

    /* An FLR (PCIe DevCtl bit 15 at 0x80 + 8) resets every register to its
     * power-on value: the headers stay the kept ones, still without host reads. */
    cfg_wr(&f, 1, 0, 0x88, 2, 0x8000);
    before = m.reads;
    assert_endpoint_ids(ids, walk_headers(&f, ids, 48));
    ck_assert_uint_eq(m.reads, before);
    fix_fini(&f);
}
END_TEST

static Suite *engine_cap_walk_suite(void)
{
    Suite *s = suite_create("engine_cap_walk");
    TCase *tc = tcase_create("cap_walk");
    tcase_add_test(tc, cap_walk_makes_no_host_reads);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_cap_walk_suite)
