/* See enum_script.h. */
#include "tests/support/enum_script.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/daemon_fx.h"

uint64_t enum_bar1_addr(unsigned slot) { return 0x28000000ull + slot * 0x1000000ull; }
uint64_t enum_bar0_addr(unsigned slot) { return enum_bar1_addr(slot) + 0x400000; }
uint64_t enum_bar3_addr(unsigned slot) { return enum_bar1_addr(slot) + 0x440000; }

uint64_t enum_host_bar(unsigned n, int bar)
{
    uint64_t base = bar == 0 ? 0xe0800000ull : bar == 1 ? 0xe0000000ull : 0xe0840000ull;

    return base - n * 0x08000000ull;
}

static void rec(struct enum_result *r, const char *what, uint32_t v)
{
    ck_assert_uint_lt(r->n, ENUM_MAX);
    r->what[r->n] = what;
    r->v[r->n++] = v;
}

#define RD(what, slot, reg, size) rec(r, what, dfx_cfg_read(g, domid, vcpu, slot, reg, size))
#define WR(slot, reg, size, val) dfx_cfg_write(g, domid, vcpu, slot, reg, size, val)

void enum_script_run(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot,
                     struct enum_result *r)
{
    static const char *const bar_orig[6] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5" };
    static const char *const bar_size[6] = { "BAR0 size", "BAR1 size", "BAR2 size", "BAR3 size",
                                             "BAR4 size", "BAR5 size" };
    uint32_t cmd, ptr;

    memset(r, 0, sizeof(*r));
    RD("root id", 0, 0x00, 4);
    for (unsigned s = 1; s <= 6; s++)
        RD("slot id", s, 0x00, 4);
    RD("header type", slot, 0x0e, 1);
    RD("class", slot, 0x08, 4);
    RD("status", slot, 0x06, 2);
    cmd = dfx_cfg_read(g, domid, vcpu, slot, 0x04, 2);
    rec(r, "command", cmd);
    WR(slot, 0x04, 2, cmd & ~3u);
    for (unsigned i = 0; i < 6; i++) {
        uint32_t orig = dfx_cfg_read(g, domid, vcpu, slot, 0x10 + 4 * i, 4);
        rec(r, bar_orig[i], orig);
        WR(slot, 0x10 + 4 * i, 4, 0xffffffffu);
        RD(bar_size[i], slot, 0x10 + 4 * i, 4);
        WR(slot, 0x10 + 4 * i, 4, orig);
    }
    uint32_t rom = dfx_cfg_read(g, domid, vcpu, slot, 0x30, 4);
    rec(r, "ROM", rom);
    WR(slot, 0x30, 4, 0xfffff800u);
    RD("ROM size", slot, 0x30, 4);
    WR(slot, 0x30, 4, rom);
    WR(slot, 0x14, 4, (uint32_t)enum_bar1_addr(slot));
    WR(slot, 0x10, 4, (uint32_t)enum_bar0_addr(slot));
    WR(slot, 0x1c, 4, (uint32_t)enum_bar3_addr(slot));
    WR(slot, 0x04, 2, (cmd & ~3u) | 2u);
    RD("command after", slot, 0x04, 2);
    for (unsigned i = 0; i < 6; i++)
        RD("BAR after", slot, 0x10 + 4 * i, 4);
    ptr = dfx_cfg_read(g, domid, vcpu, slot, 0x34, 1);
    rec(r, "cap ptr", ptr);
    for (unsigned k = 0; k < 48 && (ptr & 0xfc); k++) {
        uint32_t hdr = dfx_cfg_read(g, domid, vcpu, slot, ptr & 0xfc, 2);
        rec(r, "cap", hdr);
        ptr = hdr >> 8;
    }
    RD("ext cap", slot, 0x100, 4);
}

static uint32_t find(const struct enum_result *r, const char *what, unsigned nth)
{
    for (unsigned i = 0; i < r->n; i++)
        if (!strcmp(r->what[i], what) && nth-- == 0)
            return r->v[i];
    ck_abort_msg("no %s in the result", what);
    return 0;
}

void enum_script_check(const struct enum_result *r, unsigned slot, unsigned ndev)
{
    ck_assert_uint_eq(find(r, "root id", 0), 0xc0de5853u);
    for (unsigned s = 1; s <= 6; s++)
        ck_assert_uint_eq(find(r, "slot id", s - 1), s <= ndev ? 0x10c98086u : 0xffffffffu);
    ck_assert_uint_eq(find(r, "BAR0 size", 0), 0xfffe0000u);
    ck_assert_uint_eq(find(r, "BAR1 size", 0), 0xffc00000u);
    ck_assert_uint_eq(find(r, "BAR2 size", 0), 0);                 /* I/O reads 0 on Arm */
    ck_assert_uint_eq(find(r, "BAR3 size", 0), 0xffffc000u);
    ck_assert_uint_eq(find(r, "ROM size", 0) & 0xfffff800u, 0xffc00000u);
    ck_assert_uint_eq(find(r, "command", 0) & 2, 2);               /* firmware left it on */
    ck_assert_uint_eq(find(r, "command after", 0) & 3, 2);
    ck_assert_uint_eq(find(r, "BAR after", 0), (uint32_t)enum_bar0_addr(slot));
    ck_assert_uint_eq(find(r, "BAR after", 1), (uint32_t)enum_bar1_addr(slot));
    ck_assert_uint_eq(find(r, "BAR after", 3), (uint32_t)enum_bar3_addr(slot));
    ck_assert_uint_eq(find(r, "cap ptr", 0), 0x40);
    ck_assert_uint_eq(find(r, "cap", 0) & 0xff, 0x01);             /* PM */
    ck_assert_uint_eq(find(r, "cap", 1) & 0xff, 0x05);             /* MSI */
    ck_assert_uint_eq(find(r, "cap", 2) & 0xff, 0x11);             /* MSI-X */
    ck_assert_uint_eq(find(r, "cap", 3) & 0xff, 0x10);             /* PCIe */
    ck_assert_uint_eq(find(r, "cap", 3) >> 8, 0);
    ck_assert_uint_eq(find(r, "ext cap", 0), 0);
}

static void want(uint64_t (*exp)[2], unsigned *k, uint64_t gaddr, uint64_t haddr, uint64_t first,
                 uint64_t nr)
{
    for (uint64_t p = first; p < first + nr; p++) {
        exp[*k][0] = (gaddr >> 12) + p;
        exp[*k][1] = (haddr >> 12) + p;
        (*k)++;
    }
}

static int cmp_page(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

void enum_expect_p2m(uint64_t (*pages)[2], unsigned n, unsigned ndev)
{
    static uint64_t exp[8192][2];
    unsigned k = 0;

    for (unsigned d = 1; d <= ndev; d++) {
        want(exp, &k, enum_bar1_addr(d), enum_host_bar(d, 1), 0, 1024);
        want(exp, &k, enum_bar0_addr(d), enum_host_bar(d, 0), 0, 32);
        /* BAR3: MSI-X table (page 0) and PBA (page 2) stay trapped */
        want(exp, &k, enum_bar3_addr(d), enum_host_bar(d, 3), 1, 1);
        want(exp, &k, enum_bar3_addr(d), enum_host_bar(d, 3), 3, 1);
    }
    qsort(exp, k, sizeof(exp[0]), cmp_page);
    ck_assert_uint_eq(n, k);
    for (unsigned i = 0; i < k; i++)
        ck_assert_msg(pages[i][0] == exp[i][0] && pages[i][1] == exp[i][1],
                      "page %u: gfn 0x%llx mfn 0x%llx, expected gfn 0x%llx mfn 0x%llx", i,
                      (unsigned long long)pages[i][0], (unsigned long long)pages[i][1],
                      (unsigned long long)exp[i][0], (unsigned long long)exp[i][1]);
}
