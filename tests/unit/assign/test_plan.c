/* The BAR planner and the guest-layout config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/assign/plan.h"
#include "tests/support/testreg.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static struct guest_layout lay;
static struct domain_assign dom;
static char err[512];

static void setup(void)
{
    guest_layout_defaults(&lay);
    memset(&dom, 0, sizeof(dom));
    err[0] = '\0';
}

static struct plan_request req(uint8_t bus, int slot)
{
    struct plan_request r;

    memset(&r, 0, sizeof(r));
    r.host = (struct sbdf){ 0, bus, 0, 0 };
    r.slot = slot;
    r.intx_pin = 1;
    return r;
}

static void bar(struct plan_request *r, unsigned i, enum bar_type t, bool pref, uint64_t host,
                uint64_t size)
{
    r->bars[i] = (struct host_bar){ t, pref, host, size };
}

static bool in_low(const struct bar_assign *b)
{
    return b->guest >= lay.mem_base && b->guest + b->size <= lay.mem_base + lay.mem_size;
}

static bool in_high(const struct bar_assign *b)
{
    return b->guest >= lay.pref_base && b->guest + b->size <= lay.pref_base + lay.pref_size;
}

START_TEST(defaults_from_arch_arm)
{
    ck_assert_uint_eq(lay.ecam_base, 0x10000000);
    ck_assert_uint_eq(lay.mem_base, 0x23000000);
    ck_assert_uint_eq(lay.mem_size, 256 * MiB);
    ck_assert_uint_eq(lay.pref_base, 4 * GiB);
    ck_assert_uint_eq(lay.pref_size, 4 * GiB);
    ck_assert_uint_eq(lay.spi_base, 48);
    ck_assert_uint_eq(lay.spi_count, 16);
}
END_TEST

START_TEST(largest_first_and_aligned)
{
    struct plan_request r = req(1, -1);
    const struct dev_assign *d;

    bar(&r, 0, BAR_MEM32, false, 0xe0100000, 64 * KiB);
    bar(&r, 1, BAR_MEM32, false, 0xe0200000, 1 * MiB);
    bar(&r, 2, BAR_MEM32, false, 0xe0010000, 16 * KiB);
    bar(&r, PCI_ROM_SLOT, BAR_ROM, false, 0xe0400000, 256 * KiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.ndevs, 1);
    d = &dom.devs[0];
    ck_assert_uint_eq(d->bars[1].guest, 0x23000000);              /* 1 MiB first */
    ck_assert_uint_eq(d->bars[PCI_ROM_SLOT].guest, 0x23100000);   /* then the 256 KiB ROM */
    ck_assert_uint_eq(d->bars[0].guest, 0x23140000);              /* 64 KiB */
    ck_assert_uint_eq(d->bars[2].guest, 0x23150000);              /* 16 KiB */
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        if (d->bars[i].type != BAR_NONE) {
            ck_assert_uint_eq(d->bars[i].guest % d->bars[i].size, 0);
            ck_assert(in_low(&d->bars[i]));
            ck_assert_uint_eq(d->bars[i].host, r.bars[i].addr);
        }
    ck_assert_uint_eq(d->guest.dev, 1);
    ck_assert_uint_eq(d->guest.bus, 0);
    ck_assert_uint_eq(d->spi, 48);
}
END_TEST

START_TEST(unaligned_hole_base)
{
    struct plan_request r = req(1, -1);

    lay.mem_base = 0x23001000;
    lay.mem_size = 16 * MiB;
    bar(&r, 0, BAR_MEM32, false, 0xe0000000, 1 * MiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.devs[0].bars[0].guest, 0x23100000);
}
END_TEST

START_TEST(holes_by_type)
{
    struct plan_request r = req(1, -1);
    const struct dev_assign *d;

    bar(&r, 0, BAR_MEM64, true, 0x4000000000ull, 256 * MiB);      /* high */
    bar(&r, 2, BAR_MEM64, false, 0x4010000000ull, 1 * MiB);       /* 64-bit non-pref: low */
    bar(&r, 4, BAR_IO, false, 0xe000, 256);                        /* no guest address */
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), 0);
    d = &dom.devs[0];
    ck_assert(in_high(&d->bars[0]));
    ck_assert_uint_eq(d->bars[0].guest, 4 * GiB);
    ck_assert(in_low(&d->bars[2]));
    ck_assert_int_eq(d->bars[4].type, BAR_IO);
    ck_assert_uint_eq(d->bars[4].guest, 0);
    ck_assert_uint_eq(d->bars[4].size, 256);
}
END_TEST

START_TEST(nonprefetchable_64_goes_high_when_low_is_full)
{
    struct plan_request r = req(1, -1);

    bar(&r, 0, BAR_MEM64, false, 0x4000000000ull, 512 * MiB);     /* > 256 MiB low hole */
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), 0);
    ck_assert(in_high(&dom.devs[0].bars[0]));
}
END_TEST

START_TEST(sub_page_keeps_offset)
{
    struct plan_request r = req(1, -1);
    const struct dev_assign *d;

    bar(&r, 0, BAR_MEM32, false, 0xfebd6800, 2 * KiB);
    bar(&r, 1, BAR_MEM32, false, 0xfebd7000, 4 * KiB);
    bar(&r, 2, BAR_MEM32, false, 0xfebd8100, 256);
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), 0);
    d = &dom.devs[0];
    ck_assert_uint_eq(d->bars[0].guest & 0xfff, 0x800);
    ck_assert_uint_eq(d->bars[2].guest & 0xfff, 0x100);
    /* each one has a page of its own */
    ck_assert_uint_ne(d->bars[0].guest >> 12, d->bars[1].guest >> 12);
    ck_assert_uint_ne(d->bars[0].guest >> 12, d->bars[2].guest >> 12);
    ck_assert_uint_ne(d->bars[1].guest >> 12, d->bars[2].guest >> 12);
    ck_assert_uint_eq(d->bars[0].guest % d->bars[0].size, 0);
}
END_TEST

START_TEST(devices_share_the_holes)
{
    struct plan_request a = req(1, -1), b = req(2, -1), c = req(3, -1);

    bar(&a, 0, BAR_MEM32, false, 0xe0000000, 64 * MiB);
    bar(&a, 2, BAR_MEM64, true, 0x4000000000ull, 2 * GiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &a, 1, err, sizeof(err)), 0);
    /* a second attach to the same domain takes the existing ones as input */
    bar(&b, 0, BAR_MEM32, false, 0xd0000000, 64 * MiB);
    bar(&b, 2, BAR_MEM64, true, 0x5000000000ull, 2 * GiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &b, 1, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.ndevs, 2);
    /* 0x23000000 is not 64 MiB aligned: the first 64 MiB BAR lands at 0x24000000 */
    ck_assert_uint_eq(dom.devs[0].bars[0].guest, 0x24000000);
    ck_assert_uint_eq(dom.devs[1].bars[0].guest, 0x28000000);
    ck_assert_uint_eq(dom.devs[0].bars[2].guest, 4 * GiB);
    ck_assert_uint_eq(dom.devs[1].bars[2].guest, 6 * GiB);
    ck_assert_uint_eq(dom.devs[1].guest.dev, 2);
    ck_assert_uint_eq(dom.devs[1].spi, 49);
    /* the prefetchable hole is full now; a 32-bit BAR still finds the gap below 0x24000000 */
    bar(&c, 0, BAR_MEM32, false, 0xc0000000, 4 * KiB);
    bar(&c, 2, BAR_MEM64, true, 0x6000000000ull, 4 * KiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &c, 1, err, sizeof(err)), -ENOSPC);
    ck_assert_str_eq(err, "0000:03:00.0 BAR 2 (64-bit prefetchable, 4 KiB) does not fit: "
                          "the prefetchable hole has 0 bytes free");
    ck_assert_uint_eq(dom.ndevs, 2);
    c.bars[2].type = BAR_NONE;
    ck_assert_int_eq(plan_domain(&lay, &dom, &c, 1, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.devs[2].bars[0].guest, 0x23000000);
    /* 128 MiB is free in total, but not in one aligned piece */
    {
        struct plan_request d = req(4, -1);
        bar(&d, 0, BAR_MEM32, false, 0xc8000000, 128 * MiB);
        ck_assert_int_eq(plan_domain(&lay, &dom, &d, 1, err, sizeof(err)), -ENOSPC);
        ck_assert_ptr_nonnull(strstr(err, "0000:04:00.0 BAR 0 (32-bit non-prefetchable, "
                                          "128 MiB) does not fit: the 32-bit hole has"));
    }
}
END_TEST

START_TEST(does_not_fit_changes_nothing)
{
    struct plan_request r[2] = { req(1, -1), req(3, -1) };
    struct domain_assign before;

    bar(&r[0], 0, BAR_MEM32, false, 0xe0000000, 1 * MiB);
    bar(&r[1], 0, BAR_MEM64, true, 0x4000000000ull, 16 * GiB);
    before = dom;
    ck_assert_int_eq(plan_domain(&lay, &dom, r, 2, err, sizeof(err)), -ENOSPC);
    ck_assert_str_eq(err, "0000:03:00.0 BAR 0 (64-bit prefetchable, 16 GiB) does not fit: "
                          "the prefetchable hole has 4 GiB free");
    ck_assert_int_eq(memcmp(&before, &dom, sizeof(dom)), 0);

    /* 64-bit non-prefetchable: both holes are named */
    r[1].bars[0].prefetchable = false;
    ck_assert_int_eq(plan_domain(&lay, &dom, r, 2, err, sizeof(err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(err, "the 32-bit hole has 256 MiB free and the prefetchable "
                                      "hole has 4 GiB free"));
    ck_assert_uint_eq(dom.ndevs, 0);
}
END_TEST

START_TEST(slots)
{
    struct plan_request r[3] = { req(1, -1), req(2, 1), req(3, 3) };

    ck_assert_int_eq(plan_domain(&lay, &dom, r, 3, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.devs[0].guest.dev, 2);    /* slot 1 was asked for explicitly */
    ck_assert_uint_eq(dom.devs[1].guest.dev, 1);
    ck_assert_uint_eq(dom.devs[2].guest.dev, 3);
    {
        struct plan_request c = req(4, 3);
        ck_assert_int_eq(plan_domain(&lay, &dom, &c, 1, err, sizeof(err)), -EEXIST);
        ck_assert_str_eq(err, "0000:04:00.0: virtual slot 3 is already taken by 0000:03:00.0");
        ck_assert_uint_eq(dom.ndevs, 3);
    }
    {
        struct plan_request two[2] = { req(5, 7), req(6, 7) };
        ck_assert_int_eq(plan_domain(&lay, &dom, two, 2, err, sizeof(err)), -EEXIST);
        ck_assert_ptr_nonnull(strstr(err, "slot 7 is already taken by 0000:05:00.0"));
    }
    {
        struct plan_request again = req(1, -1);
        ck_assert_int_eq(plan_domain(&lay, &dom, &again, 1, err, sizeof(err)), -EEXIST);
        ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0 is already assigned"));
    }
}
END_TEST

START_TEST(spis)
{
    struct plan_request r[3] = { req(1, -1), req(2, -1), req(3, -1) };

    /* each function's SPI is its slot and pin's fixed route
     * (pcipt/assign/intx_route.h): base + (slot-1 + pin-1) mod count, here
     * over 2 SPIs, so slot 3's INTA wraps onto slot 1's SPI (shared, the
     * relay ORs them) and a fourth device still gets one */
    r[1].intx_pin = 0;                  /* no INTx: no SPI */
    lay.spi_count = 2;
    ck_assert_int_eq(plan_domain(&lay, &dom, r, 3, err, sizeof(err)), 0);
    ck_assert_uint_eq(dom.devs[0].guest.dev, 1);
    ck_assert_uint_eq(dom.devs[0].spi, 48);
    ck_assert_uint_eq(dom.devs[1].spi, 0);
    ck_assert_uint_eq(dom.devs[2].guest.dev, 3);
    ck_assert_uint_eq(dom.devs[2].spi, 48);
    {
        struct plan_request d = req(4, -1);
        ck_assert_int_eq(plan_domain(&lay, &dom, &d, 1, err, sizeof(err)), 0);
        ck_assert_uint_eq(dom.devs[3].guest.dev, 4);     /* the lowest free slot: 48 + 3 mod 2 */
        ck_assert_uint_eq(dom.devs[3].spi, 49);
    }
    {
        struct plan_request d = req(5, 9);
        d.intx_pin = 2;                                   /* INTB of slot 9: 48 + (8+1) mod 2 */
        ck_assert_int_eq(plan_domain(&lay, &dom, &d, 1, err, sizeof(err)), 0);
        ck_assert_uint_eq(dom.devs[4].spi, 49);
    }
}
END_TEST

START_TEST(bad_sizes)
{
    struct plan_request r = req(1, -1);

    bar(&r, 0, BAR_MEM32, false, 0xe0000000, 3 * KiB);
    ck_assert_int_eq(plan_domain(&lay, &dom, &r, 1, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0000:01:00.0 BAR 0 has size 0xc00, not a power of two"));
}
END_TEST

START_TEST(format_sizes)
{
    char b[32];
    ck_assert_str_eq(format_size(16 * GiB, b, sizeof(b)), "16 GiB");
    ck_assert_str_eq(format_size(128 * KiB, b, sizeof(b)), "128 KiB");
    ck_assert_str_eq(format_size(1536 * KiB, b, sizeof(b)), "1536 KiB");
    ck_assert_str_eq(format_size(4097, b, sizeof(b)), "4097 bytes");
    ck_assert_str_eq(format_size(0, b, sizeof(b)), "0 bytes");
}
END_TEST

/* --- config file ------------------------------------------------------- */

static char conf[64];

static int load_conf(const char *text, struct guest_layout *l)
{
    FILE *fp;

    snprintf(conf, sizeof(conf), "/tmp/pcipt-conf.XXXXXX");
    ck_assert_int_ge(mkstemp(conf), 0);
    fp = fopen(conf, "w");
    fputs(text, fp);
    fclose(fp);
    return guest_layout_load(conf, true, l, err, sizeof(err));
}

START_TEST(config_overrides)
{
    struct guest_layout l;

    ck_assert_int_eq(load_conf("# a hypervisor with other holes\n"
                               "vpci_mem_base = 0x30000000   # low\n"
                               "  vpci_mem_size=64M\n"
                               "\n"
                               "vpci_prefetch_base = 0x800000000\n"
                               "vpci_prefetch_size = 16G\n"
                               "intx_spi_base = 100\n"
                               "intx_spi_count = 4\n", &l), 0);
    unlink(conf);
    ck_assert_uint_eq(l.mem_base, 0x30000000);
    ck_assert_uint_eq(l.mem_size, 64 * MiB);
    ck_assert_uint_eq(l.pref_base, 0x800000000ull);
    ck_assert_uint_eq(l.pref_size, 16 * GiB);
    ck_assert_uint_eq(l.spi_base, 100);
    ck_assert_uint_eq(l.spi_count, 4);
    ck_assert_uint_eq(l.ecam_base, PCIPT_VPCI_ECAM_BASE);     /* untouched keys keep defaults */
    {
        struct plan_request r = req(1, -1);
        bar(&r, 0, BAR_MEM64, true, 0x4000000000ull, 16 * GiB);
        ck_assert_int_eq(plan_domain(&l, &dom, &r, 1, err, sizeof(err)), 0);
        ck_assert_uint_eq(dom.devs[0].bars[0].guest, 0x800000000ull);
        ck_assert_uint_eq(dom.devs[0].spi, 100);
    }
}
END_TEST

START_TEST(config_errors)
{
    struct guest_layout l;
    char want[128];

    ck_assert_int_ne(load_conf("vpci_mem_base = 0x30000000\nbogus = 1\n", &l), 0);
    snprintf(want, sizeof(want), "%s:2: unknown key 'bogus'", conf);
    ck_assert_ptr_nonnull(strstr(err, want));
    unlink(conf);
    ck_assert_int_ne(load_conf("\n\nvpci_mem_size = lots\n", &l), 0);
    snprintf(want, sizeof(want), "%s:3: vpci_mem_size: 'lots' is not a valid number", conf);
    ck_assert_str_eq(err, want);
    unlink(conf);
    ck_assert_int_ne(load_conf("vpci_mem_size\n", &l), 0);
    snprintf(want, sizeof(want), "%s:1: expected 'key = value'", conf);
    ck_assert_str_eq(err, want);
    unlink(conf);
    ck_assert_int_ne(load_conf("intx_spi_base = 0x100000000\n", &l), 0);
    unlink(conf);
    ck_assert_int_ne(load_conf("vpci_prefetch_base = 0x800000000\nvpci_mem_base = 0xf8000000\n", &l),
                     0);   /* crosses 4 GiB */
    ck_assert_ptr_nonnull(strstr(err, "below 4 GiB"));
    unlink(conf);
    ck_assert_int_ne(load_conf("vpci_mem_base = 0x10000000\n", &l), 0);   /* on the ECAM */
    ck_assert_ptr_nonnull(strstr(err, "overlap"));
    unlink(conf);
    ck_assert_int_ne(load_conf("intx_spi_base = 16\n", &l), 0);
    ck_assert_ptr_nonnull(strstr(err, "SPIs 32..1019"));
    unlink(conf);
    ck_assert_int_ne(load_conf("vpci_mem_size = 0x1001\n", &l), 0);
    unlink(conf);

    /* the default file may be missing; a file asked for may not */
    ck_assert_int_eq(guest_layout_load("/nonexistent/pcipt.conf", false, &l, err, sizeof(err)), 0);
    ck_assert_uint_eq(l.mem_base, PCIPT_VPCI_MEM_ADDR);
    ck_assert_int_eq(guest_layout_load("/nonexistent/pcipt.conf", true, &l, err, sizeof(err)),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/pcipt.conf"));
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("planner");
    TCase *tf = tcase_create("config");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, defaults_from_arch_arm);
    tcase_add_test(tc, largest_first_and_aligned);
    tcase_add_test(tc, unaligned_hole_base);
    tcase_add_test(tc, holes_by_type);
    tcase_add_test(tc, nonprefetchable_64_goes_high_when_low_is_full);
    tcase_add_test(tc, sub_page_keeps_offset);
    tcase_add_test(tc, devices_share_the_holes);
    tcase_add_test(tc, does_not_fit_changes_nothing);
    tcase_add_test(tc, slots);
    tcase_add_test(tc, spis);
    tcase_add_test(tc, bad_sizes);
    tcase_add_test(tc, format_sizes);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tf, setup, NULL);
    tcase_add_test(tf, config_overrides);
    tcase_add_test(tf, config_errors);
    suite_add_tcase(s, tf);
    return s;
}
TEST_SUITE(plan_suite)
