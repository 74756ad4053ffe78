/* The MSI-X table and PBA (hostbridge/msix_table.c) on the realistic
 * endpoint of tests/support/engine_fx.h: 16 entries, table at BAR2 + 0,
 * PBA at BAR2 + 0x800 (the fake's mmio[] is BAR2).  Every entry, the
 * reserved bits, DWORD and QWORD accesses, the sizes and alignments
 * PCI 3.0 §6.8.2 forbids, the host's PBA, reset, and the hidden
 * capability with the real lspci. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/engine_fx.h"
#include "tests/support/lspci_util.h"
#include "tests/support/testreg.h"

#define SLOT 3
#define NENT 16
#define PBA 0x800

static const uint64_t gbar[PCI_NUM_RES] = { 0x200000000ull, 0, 0x23000000, 0, 0, 0, 0x23100000 };

static uint64_t rd(struct vdev *v, uint64_t off, unsigned size)
{
    uint64_t d = 0x5a5a5a5a5a5a5a5aull;
    ck_assert_int_eq(vdev_msix_mmio(v, 2, off, size, false, &d), 1);
    return d;
}

static void wr(struct vdev *v, uint64_t off, unsigned size, uint64_t val)
{
    ck_assert_int_eq(vdev_msix_mmio(v, 2, off, size, true, &val), 1);
}

static unsigned entry_events(const struct ev_log *l, unsigned entry)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->n; i++)
        n += l->ev[i].type == VDEV_EV_MSIX_ENTRY && l->ev[i].entry == entry;
    return n;
}

START_TEST(every_entry_reads_back_and_reports_once)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);

    for (unsigned i = 0; i < NENT; i++) {
        uint64_t e = i * 16ull;
        /* §6.8.2.9: every Mask bit is set at reset; the rest reads 0 */
        ck_assert_uint_eq(rd(v, e + 12, 4), 1);
        ck_assert_uint_eq(rd(v, e, 8), 0);
        f.log.n = 0;
        wr(v, e, 4, 0x04030043u);            /* bits 1:0 reserved (DWORD aligned) */
        wr(v, e + 4, 4, 0x100u + i);
        wr(v, e + 8, 4, 0x20u + i);
        wr(v, e + 12, 4, 0xfffffffeu);       /* unmask; reserved bits stay 0 */
        ck_assert_uint_eq(entry_events(&f.log, i), 4);
        ck_assert_uint_eq(ev_count(&f.log, VDEV_EV_MSIX_ENTRY), 4);
        ck_assert_uint_eq(rd(v, e, 4), 0x04030040u);
        ck_assert_uint_eq(rd(v, e, 8), (uint64_t)(0x100u + i) << 32 | 0x04030040u);
        ck_assert_uint_eq(rd(v, e + 8, 8), 0x20u + i);
        struct msix_entry got;
        ck_assert_int_eq(vdev_msix_entry(v, i, &got), 0);
        ck_assert_uint_eq(got.addr_hi, 0x100u + i);
        ck_assert_uint_eq(got.data, 0x20u + i);
        ck_assert_uint_eq(got.ctrl, 0);
        /* the same value again: nothing changed, no event */
        f.log.n = 0;
        wr(v, e + 8, 4, 0x20u + i);
        ck_assert_uint_eq(f.log.n, 0);
    }
    /* the other entries kept their values */
    for (unsigned i = 0; i < NENT; i++)
        ck_assert_uint_eq(rd(v, i * 16ull + 8, 4), 0x20u + i);
    struct msix_entry none;
    ck_assert_int_eq(vdev_msix_entry(v, NENT, &none), -ENOENT);
    fix_fini(&f);
}
END_TEST

START_TEST(qword_writes_report_one_event)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);

    f.log.n = 0;
    wr(v, 0x50, 8, 0x0000000104030040ull);        /* entry 5: address */
    wr(v, 0x58, 8, 0x0000000000000033ull);        /* data 0x33, unmasked */
    ck_assert_uint_eq(entry_events(&f.log, 5), 2);
    ck_assert_uint_eq(f.log.n, 2);
    ck_assert_uint_eq(rd(v, 0x54, 4), 1);
    ck_assert_uint_eq(rd(v, 0x58, 4), 0x33);
    ck_assert_uint_eq(rd(v, 0x5c, 4), 0);
    fix_fini(&f);
}
END_TEST

/* §6.8.2: only aligned DWORD or QWORD; the rest reads all-ones, is dropped
 * and counted. */
START_TEST(bad_sizes_and_alignments_are_refused_and_counted)
{
    static const struct { uint64_t off; unsigned size; } bad[] = {
        { 0x00, 1 }, { 0x0c, 1 }, { 0x0c, 2 }, { 0x02, 4 }, { 0x04, 8 }, { 0x0e, 2 },
        { PBA, 1 }, { PBA + 2, 2 }, { PBA + 4, 8 },
    };
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);
    unsigned n = sizeof(bad) / sizeof(bad[0]);

    f.log.n = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t all = bad[i].size == 8 ? ~0ull : (1ull << (8 * bad[i].size)) - 1;
        ck_assert_uint_eq(rd(v, bad[i].off, bad[i].size) & all, all);
        wr(v, bad[i].off, bad[i].size, 0);
    }
    ck_assert_uint_eq(vdev_msix_bad(v), 2 * n);
    ck_assert_uint_eq(f.log.n, 0);
    ck_assert_uint_eq(rd(v, 0x0c, 4), 1);                /* entry 0 still masked */
    fix_fini(&f);
}
END_TEST

/* Pending bits are the host's (the device sets them while its physical
 * entry is masked); §6.8.2.10: read-only, so writes are ignored. */
START_TEST(pba_reads_the_host_and_ignores_writes)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);

    m.mmio[PBA] = 0x05;
    m.mmio[PBA + 1] = 0x80;                              /* vectors 0, 2, 15 */
    ck_assert_uint_eq(rd(v, PBA, 4), 0x8005);
    ck_assert_uint_eq(rd(v, PBA, 8), 0x8005);
    ck_assert_uint_eq(rd(v, PBA + 4, 4), 0);
    wr(v, PBA, 8, 0);
    wr(v, PBA, 4, 0xffffffff);
    ck_assert_uint_eq(m.mmio[PBA], 0x05);
    ck_assert_uint_eq(rd(v, PBA, 4), 0x8005);
    ck_assert_uint_eq(vdev_msix_bad(v), 0);
    fix_fini(&f);
}
END_TEST

/* Bytes of the BAR that are neither table nor PBA are not the engine's. */
START_TEST(other_bytes_are_not_claimed)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);
    uint64_t d = 0;

    ck_assert_int_eq(vdev_msix_mmio(v, 2, NENT * 16, 4, false, &d), 0);   /* after the table */
    ck_assert_int_eq(vdev_msix_mmio(v, 2, PBA + 8, 4, false, &d), 0);     /* after the PBA */
    ck_assert_int_eq(vdev_msix_mmio(v, 0, 0, 4, false, &d), 0);           /* another BAR */
    ck_assert_uint_eq(vdev_msix_bad(v), 0);
    fix_fini(&f);
}
END_TEST

START_TEST(reset_masks_every_entry_and_restore_sets_silently)
{
    struct fix f;
    struct memdev m;
    memdev_endpoint(&m);
    fix_init(&f);
    struct vdev *v = fix_add(&f, &m, SLOT, 0, gbar);

    for (unsigned i = 0; i < NENT; i++)
        wr(v, i * 16ull + 12, 4, 0);
    vdev_reset(v);
    for (unsigned i = 0; i < NENT; i++)
        ck_assert_uint_eq(rd(v, i * 16ull + 12, 4), 1);
    f.log.n = 0;
    struct msix_entry e = { 0x04030043u, 1, 7, 0xfffffffeu };
    ck_assert_int_eq(vdev_msix_entry_set(v, 9, &e), 0);
    ck_assert_uint_eq(f.log.n, 0);
    ck_assert_uint_eq(rd(v, 9 * 16, 8), 0x104030040ull);       /* reserved bits dropped */
    ck_assert_uint_eq(rd(v, 9 * 16 + 8, 8), 7);
    ck_assert_int_eq(vdev_msix_entry_set(v, NENT, &e), -ENOENT);
    fix_fini(&f);
}
END_TEST

static char *guest_view_text(struct fix *f, uint8_t slot)
{
    size_t len = 0;
    char *buf = NULL;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    fprintf(out, "00:%02x.0 Device: Device\n", slot);
    for (unsigned row = 0; row < PCI_CFG_SIZE; row += 16) {
        fprintf(out, "%02x:", row);
        for (unsigned b = 0; b < 16; b++)
            fprintf(out, " %02x", (unsigned)cfg_rd(f, slot, 0, row + b, 1));
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
    fclose(out);
    return buf;
}

/* hide_msi: MSI and MSI-X are unlinked (lspci sees PM -> Express), the
 * table pages stay reported so the service keeps them trapped. */
START_TEST(hidden_msi_and_msix_with_lspci)
{
    struct fix f;
    struct memdev m;
    struct vdev_config c = { .slot = SLOT, .intx_line = 5, .hide_msi = true };
    struct vdev *v = NULL;
    struct msix_info xi;
    struct msi_info mi;

    memdev_endpoint(&m);
    memcpy(c.guest_bar, gbar, sizeof(gbar));
    fix_init(&f);
    ck_assert_int_eq(hostbridge_add_device(f.hb, &m.hd, &c, &v), 0);
    char *view = guest_view_text(&f, SLOT), *out = lspci_decode(view, "-vvv", "hidden MSI");
    ck_assert_msg(!strstr(out, "MSI:") && !strstr(out, "MSI-X:"), "%s", out);
    ck_assert_msg(strstr(out, "Power Management version 3"), "%s", out);
    ck_assert_msg(strstr(out, "Express (v2) Endpoint"), "%s", out);
    ck_assert_uint_eq(cfg_rd(&f, SLOT, 0, 0x41, 1), 0x80);    /* PM -> PCIe */
    vdev_msi_info(v, &mi);
    vdev_msix_info(v, &xi);
    ck_assert(!mi.present);
    ck_assert(xi.present && xi.hidden);
    ck_assert_int_eq(xi.table_bar, 2);
    ck_assert_uint_eq(xi.pba_offset, PBA);
    free(out);
    free(view);
    fix_fini(&f);
}
END_TEST

static Suite *engine_msix_table_suite(void)
{
    Suite *s = suite_create("engine_msix_table");
    TCase *tc = tcase_create("msix_table");
    tcase_add_test(tc, every_entry_reads_back_and_reports_once);
    tcase_add_test(tc, qword_writes_report_one_event);
    tcase_add_test(tc, bad_sizes_and_alignments_are_refused_and_counted);
    tcase_add_test(tc, pba_reads_the_host_and_ignores_writes);
    tcase_add_test(tc, other_bytes_are_not_claimed);
    tcase_add_test(tc, reset_masks_every_entry_and_restore_sets_silently);
    tcase_add_test(tc, hidden_msi_and_msix_with_lspci);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(engine_msix_table_suite)
