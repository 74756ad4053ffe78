/* pcipt serve: guest BAR moves and the stage-2 p2m.  A move while decode is
 * on remaps (old range gone, new range mapped); a BAR placed outside the
 * vPCI holes or over another mapped BAR is refused when decode turns on:
 * nothing is mapped for it, its p2m record says "none", the rest of the
 * p2m is unchanged (docs/design/daemon.md "Engine events", Refusal rule). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_mapped.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define XST_BAR1 "/local/domain/0/backend/pci/5/0/pcipt/dev-0/bar-1/mapped"
static uint64_t pages[8192][2];

/* mfn mapped at gfn, or ~0. */
static uint64_t mfn_at(uint64_t gaddr)
{
    unsigned n = dfx_p2m_pages(DOM, pages, 8192);
    for (unsigned i = 0; i < n; i++)
        if (pages[i][0] == gaddr >> 12)
            return pages[i][1];
    return ~0ull;
}

static unsigned p2m_count(void) { return dfx_p2m_pages(DOM, pages, 8192); }

static void assert_record(unsigned n, int bar, const char *want)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "pcipt/dev-%u/bar-%d/mapped", n, bar);
    char *v = dfx_be_read(DOM, rel);
    ck_assert_msg(v != NULL, "%s missing", rel);
    ck_assert_str_eq(v, want);
    free(v);
}

static void assert_record_addr(unsigned n, int bar, uint64_t addr)
{
    char want[32];
    snprintf(want, sizeof(want), "0x%llx", (unsigned long long)addr);
    assert_record(n, bar, want);
}

/* Lines of log that are warnings holding what. */
static unsigned count_warnings_with(const char *log, const char *what)
{
    unsigned n = 0;

    for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *end = strchr(l, '\n'), *w = strstr(l, "warning: "), *h;
        if (!w || (end && w > end))
            continue;
        h = strstr(l, what);
        n += h && (!end || h < end);
    }
    return n;
}

START_TEST(moves_remap_and_refusals_leave_nothing_mapped)
{
    struct dev_assign a, b;
    struct dfx_daemon dm;

    dfx_domain(DOM, 2);
    dfx_assign(DOM, 1, &a);
    dfx_assign(DOM, 2, &b);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    unsigned sa = a.guest.dev;
    ck_assert_uint_eq(b.guest.dev, sa + 1);

    /* the firmware view is mapped at the planned addresses */
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);
    ck_assert_uint_eq(mfn_at(b.bars[1].guest), b.bars[1].host >> 12);
    assert_record_addr(0, 1, a.bars[1].guest);
    assert_record_addr(1, 0, b.bars[0].guest);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, sa, 0x04, 2) & 2, 2);

    /* a live move (decode on): old range unmapped, new mapped, record follows */
    unsigned before = p2m_count();
    uint64_t moved = 0x2a000000;
    dfx_cfg_write(g, DOM, 0, sa, 0x14, 4, (uint32_t)moved);
    ck_assert_uint_eq(mfn_at(moved), a.bars[1].host >> 12);
    ck_assert_uint_eq(mfn_at(moved + 0x3ff000), (a.bars[1].host >> 12) + 0x3ff);
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), ~0ull);
    ck_assert_uint_eq(p2m_count(), before);
    assert_record_addr(0, 1, moved);
    uint64_t v = 0;
    ck_assert_int_eq(sim_guest_mmio(g, DOM, 1, moved + 8, 4, false, &v, DFX_WAIT_MS),
                     SIM_ACCESS_DIRECT);

    /* decode off, BAR0 outside the holes, BAR3 over b's BAR1: both refused */
    uint32_t cmd = dfx_cfg_read(g, DOM, 0, sa, 0x04, 2);
    dfx_cfg_write(g, DOM, 0, sa, 0x04, 2, cmd & ~2u);
    assert_record(0, 1, "none");
    unsigned b_pages = p2m_count();
    dfx_cfg_write(g, DOM, 0, sa, 0x10, 4, 0x38000000u);
    dfx_cfg_write(g, DOM, 0, sa, 0x1c, 4, (uint32_t)b.bars[1].guest);
    dfx_cfg_write(g, DOM, 0, sa, 0x04, 2, cmd | 2u);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, sa, 0x10, 4), 0x38000000u);  /* reads back */
    assert_record(0, 0, "none");
    assert_record(0, 3, "none");
    assert_record_addr(0, 1, moved);
    ck_assert_uint_eq(mfn_at(0x38000000), ~0ull);
    ck_assert_uint_eq(mfn_at(b.bars[1].guest), b.bars[1].host >> 12);   /* b untouched */
    ck_assert_uint_eq(p2m_count(), b_pages + 1024);                       /* only BAR1 */
    /* the refused range: outside every claim, the guest aborts there */
    ck_assert_int_eq(sim_guest_mmio(g, DOM, 0, 0x38000000, 4, false, &v, DFX_WAIT_MS), -EFAULT);
    /* an unmapped address inside the holes reads all-ones */
    ck_assert_int_eq(sim_guest_mmio(g, DOM, 0, 0x32000000, 4, false, &v, DFX_WAIT_MS),
                     SIM_ACCESS_IOREQ);
    ck_assert_uint_eq(v, 0xffffffffu);

    /* back to valid places: mapped again */
    dfx_cfg_write(g, DOM, 0, sa, 0x04, 2, cmd & ~2u);
    dfx_cfg_write(g, DOM, 0, sa, 0x10, 4, 0x2b000000u);
    dfx_cfg_write(g, DOM, 0, sa, 0x1c, 4, 0x2b100000u);
    dfx_cfg_write(g, DOM, 0, sa, 0x04, 2, cmd | 2u);
    assert_record_addr(0, 0, 0x2b000000);
    assert_record_addr(0, 3, 0x2b100000);
    ck_assert_uint_eq(mfn_at(0x2b000000), a.bars[0].host >> 12);
    ck_assert_uint_eq(mfn_at(0x2b100000), ~0ull);                  /* MSI-X table page */
    ck_assert_uint_eq(mfn_at(0x2b101000), (a.bars[3].host >> 12) + 1);
    hv_close(g);

    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    ck_assert_int_eq(dfx_stat(log, "remaps"), 1);
    ck_assert_int_eq(dfx_stat(log, "refused"), 2);
    ck_assert_int_eq(dfx_stat(log, "bar_window"), 1);
    ck_assert_ptr_nonnull(strstr(log, "BAR 0 at 0x38000000 size 0x20000 not mapped: outside"));
    ck_assert_ptr_nonnull(strstr(log, "BAR 3 at 0x"));
    ck_assert_ptr_nonnull(strstr(log, "over another mapped BAR"));
    /* one refusal, one warning: the daemon's, not also the engine's */
    ck_assert_uint_eq(count_warnings_with(log, "BAR "), 2);
    ck_assert_uint_eq(count_warnings_with(log, " not mapped: "), 2);
    free(log);
    /* a clean stop leaves the mappings and the assignment */
    ck_assert_uint_eq(mfn_at(0x2b000000), a.bars[0].host >> 12);
    char *srv = dfx_be_read(DOM, "pcipt/server/state");
    ck_assert_str_eq(srv, "stopped");
    free(srv);
}
END_TEST

/* The host's ROM BAR of host device n (config 0x30 of its sysfs tree). */
static uint32_t host_rom_bar(unsigned n)
{
    char path[160];
    uint32_t v = 0;
    snprintf(path, sizeof(path), "%s/devices/0000:0%u:00.0/config", dfx_tree, n);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0x30, SEEK_SET), 0);
    ck_assert_uint_eq(fread(&v, 4, 1, f), 1);
    fclose(f);
    return v;                 /* config space is little-endian, as is the host */
}

/* The host's ROM decode follows the guest's ROM mapping: enabled while
 * mapped (the guest would read an undecoded window otherwise), off once
 * the guest turns it off, the host address bits untouched. */
START_TEST(host_rom_decode_follows_the_mapping)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    uint32_t host_before = host_rom_bar(1);
    ck_assert_uint_eq(host_before & PCI_ROM_ENABLE, 0);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    unsigned sa = a.guest.dev;
    uint64_t rom = a.bars[PCI_ROM_SLOT].guest;

    ck_assert_uint_ne(rom, 0);
    dfx_cfg_write(g, DOM, 0, sa, 0x30, 4, (uint32_t)rom | PCI_ROM_ENABLE);
    ck_assert_uint_eq(mfn_at(rom), a.bars[PCI_ROM_SLOT].host >> 12);
    ck_assert_uint_eq(host_rom_bar(1), host_before | PCI_ROM_ENABLE);
    dfx_cfg_write(g, DOM, 0, sa, 0x30, 4, (uint32_t)rom);
    ck_assert_uint_eq(mfn_at(rom), ~0ull);
    ck_assert_uint_eq(host_rom_bar(1), host_before);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

/* attach maps the planned BARs itself and records them (docs/design/attach.md
 * "Hand-over: what attach publishes"); a
 * record may also be stale (a daemon killed between p2m and record). */
START_TEST(startup_reconciles_with_the_p2m_records)
{
    struct dev_assign a;
    struct dfx_daemon dm;
    struct xs_handle *xs = xsw_open();

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    /* BAR1 mapped and recorded as attach does; BAR0 recorded at a stale place */
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, a.bars[1].guest >> 12, a.bars[1].host >> 12,
                                 a.bars[1].size >> 12, NULL, 0, NULL), 0);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &a.host, 1, a.bars[1].guest), 0);
    ck_assert_int_eq(hv_map_mmio(simfx_hv, DOM, 0x2c000000 >> 12, a.bars[0].host >> 12,
                                 a.bars[0].size >> 12, NULL, 0, NULL), 0);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &a.host, 0, 0x2c000000), 0);
    xsw_close(xs);
    dfx_start(&dm, DOM);
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);
    ck_assert_uint_eq(mfn_at(a.bars[0].guest), a.bars[0].host >> 12);
    ck_assert_uint_eq(mfn_at(0x2c000000), ~0ull);
    assert_record_addr(0, 0, a.bars[0].guest);
    assert_record_addr(0, 1, a.bars[1].guest);
    assert_record_addr(0, 3, a.bars[3].guest);
    assert_record(0, 6, "none");                                   /* ROM disabled */
    ck_assert_uint_eq(p2m_count(), 1024 + 32 + 2);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    ck_assert_msg(strstr(log, "error:") == NULL, "%s", log);
    free(log);
}
END_TEST

START_TEST(xs_mapped_records)
{
    struct dev_assign a;
    struct xs_handle *xs = xsw_open();
    uint64_t g = 1;
    struct sbdf other = { 0, 9, 0, 0 };

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    ck_assert_int_eq(xsp_read_bar_mapped(xs, DOM, &a.host, 1, &g), -ENOENT);   /* absent */
    ck_assert_uint_eq(g, 0);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &a.host, 1, 0x23400000), 0);
    assert_record(0, 1, "0x23400000");
    ck_assert_int_eq(xsp_read_bar_mapped(xs, DOM, &a.host, 1, &g), 0);
    ck_assert_uint_eq(g, 0x23400000);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &a.host, 1, 0), 0);
    assert_record(0, 1, "none");
    ck_assert_int_eq(xsp_read_bar_mapped(xs, DOM, &a.host, 1, &g), 0);
    ck_assert_uint_eq(g, 0);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &other, 1, 0x1000), -ENOENT);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM, &a.host, 7, 0x1000), -EINVAL);
    ck_assert_int_eq(xsp_write_bar_mapped(xs, DOM + 1, &a.host, 1, 0x1000), -ENOENT);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, XST_BAR1, "0xZZ"), 0);
    ck_assert_int_eq(xsp_read_bar_mapped(xs, DOM, &a.host, 1, &g), -EINVAL);
    ck_assert_int_eq(xsp_write_server_node(xs, DOM, "state", "ready"), 0);
    ck_assert_int_eq(xsp_write_server_node(xs, DOM, "a/b", "x"), -EINVAL);
    ck_assert_int_eq(xsp_write_server_node(xs, DOM + 1, "state", "x"), -ENOENT);
    char *v = dfx_be_read(DOM, "pcipt/server/state");
    ck_assert_str_eq(v, "ready");
    free(v);
    xsw_close(xs);
}
END_TEST

static Suite *daemon_bars_suite(void)
{
    Suite *s = suite_create("daemon_bars");
    TCase *tc = tcase_create("bars");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, moves_remap_and_refusals_leave_nothing_mapped);
    tcase_add_test(tc, startup_reconciles_with_the_p2m_records);
    tcase_add_test(tc, xs_mapped_records);
    tcase_add_test(tc, host_rom_decode_follows_the_mapping);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_bars_suite)
