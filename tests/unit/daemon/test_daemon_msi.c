/* The daemon's MSI and MSI-X (pcipt/daemon/daemon_msi.c, daemon_msix.c)
 * under the sim, with the real binary.  The host devices are the
 * cap-pcie-2 dump (Intel 82576: MSI at 0x50, 64-bit, maskable, 1 vector;
 * MSI-X at 0x70, 10 entries, table at BAR3 + 0, PBA at BAR3 + 0x2000); the
 * "physical" device is the sysfs tree's files: config (the host's MSI and
 * MSI-X capabilities) and resource3 (the physical table and PBA), which
 * the daemon reads and writes as it would the real ones.  Tests patch the
 * tree's config before the daemon starts to get other shapes (8 MSI
 * vectors; a PBA that shares the table's page). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define MSI 0x50
#define MSIX 0x70
#define NENT 10
#define TBAR 3
#define DOORBELL 0x04030040u     /* the guest's vITS doorbell (Xen patch 0006) */

struct env {
    struct dfx_daemon dm;
    struct hv *g;
    struct dev_assign a;
    unsigned n;                  /* host 0000:0n:00.0 */
};

static void host_path(unsigned n, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/devices/0000:%02x:00.0/%s", dfx_tree, n, file);
}

static uint64_t file_rw(unsigned n, const char *file, uint64_t off, unsigned size, bool write,
                        uint64_t val)
{
    char p[256];
    host_path(n, file, p, sizeof(p));
    int fd = open(p, O_RDWR);
    ck_assert_int_ge(fd, 0);
    if (write)
        ck_assert_int_eq(pwrite(fd, &val, size, (off_t)off), (ssize_t)size);
    else {
        val = 0;
        ck_assert_int_eq(pread(fd, &val, size, (off_t)off), (ssize_t)size);
    }
    close(fd);
    return val;
}

static uint64_t host_cfg(unsigned n, unsigned off, unsigned size)
{
    return file_rw(n, "config", off, size, false, 0);
}

static void host_cfg_set(unsigned n, unsigned off, unsigned size, uint64_t v)
{
    file_rw(n, "config", off, size, true, v);
}

static uint64_t phys(unsigned n, uint64_t off, unsigned size)
{
    return file_rw(n, "resource3", off, size, false, 0);
}

static void start(struct env *e, unsigned n)
{
    memset(&e->dm, 0, sizeof(e->dm));
    e->n = n;
    dfx_domain(DOM, 1);
    dfx_assign(DOM, n, &e->a);
    dfx_start(&e->dm, DOM);
    e->g = simfx_open();
}

static char *stop(struct env *e)
{
    hv_close(e->g);
    ck_assert_int_eq(dfx_stop(&e->dm, SIGTERM), 0);
    return dfx_log(&e->dm);
}

static uint64_t mmio(struct env *e, uint64_t off, unsigned size, bool write, uint64_t v)
{
    int rc = sim_guest_mmio(e->g, DOM, 0, e->a.bars[TBAR].guest + off, size, write, &v,
                            DFX_WAIT_MS);
    ck_assert_msg(rc == SIM_ACCESS_IOREQ, "BAR3 + 0x%llx: %d", (unsigned long long)off, rc);
    return v;
}

static void ctrl(struct env *e, uint16_t v)
{
    dfx_cfg_write(e->g, DOM, 0, e->a.guest.dev, MSIX + 2, 2, v);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The invariant: a physical vector that can fire (host Enable, no
 * Function Mask, entry unmasked) is one the guest lets fire, with the
 * guest's own address and data. */
static void assert_invariant(struct env *e, const char *when)
{
    uint16_t hc = (uint16_t)host_cfg(e->n, MSIX + 2, 2);
    uint16_t gc = (uint16_t)dfx_cfg_read(e->g, DOM, 0, e->a.guest.dev, MSIX + 2, 2);
    bool host_live = (hc & 0x8000) && !(hc & 0x4000);

    for (unsigned i = 0; i < NENT; i++) {
        uint64_t o = i * 16ull;
        if (!host_live || (phys(e->n, o + 12, 4) & 1))
            continue;
        ck_assert_msg((gc & 0x8000) && !(gc & 0x4000), "%s: entry %u live while the guest's "
                      "MSI-X control is %#x", when, i, gc);
        ck_assert_msg(!(mmio(e, o + 12, 4, false, 0) & 1), "%s: entry %u live but the guest "
                      "masked it", when, i);
        ck_assert_msg(phys(e->n, o, 8) == mmio(e, o, 8, false, 0) &&
                      phys(e->n, o + 8, 4) == mmio(e, o + 8, 4, false, 0),
                      "%s: entry %u live with an address/data that are not the guest's", when, i);
    }
}

/* A fresh device: what dom0 left in the physical table (unmasked entries,
 * Enable on in the dump) is reset; then each entry follows the guest's. */
START_TEST(msix_physical_table_follows_the_guest)
{
    struct env e;

    for (unsigned i = 0; i < NENT; i++) {       /* dom0's leftovers, unmasked */
        file_rw(1, "resource3", i * 16ull, 8, true, 0x08090040ull + i);
        file_rw(1, "resource3", i * 16ull + 8, 8, true, 0x77);
    }
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0x8000, 0x8000);
    start(&e, 1);
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0);
    for (unsigned i = 0; i < NENT; i++) {
        ck_assert_uint_eq(phys(1, i * 16ull, 8), 0);
        ck_assert_uint_eq(phys(1, i * 16ull + 8, 8), 1ull << 32);    /* data 0, masked */
        ck_assert_uint_eq(mmio(&e, i * 16ull + 12, 4, false, 0), 1);
    }
    /* the guest programs every entry: DWORDs for even ones, QWORDs for odd */
    for (unsigned i = 0; i < NENT; i++) {
        uint64_t o = i * 16ull;
        if (i % 2) {
            mmio(&e, o, 8, true, DOORBELL);
            mmio(&e, o + 8, 8, true, 0x100u + i);            /* data, and unmasked */
        } else {
            mmio(&e, o, 4, true, DOORBELL);
            mmio(&e, o + 4, 4, true, 0);
            mmio(&e, o + 8, 4, true, 0x100u + i);
            mmio(&e, o + 12, 4, true, 0);
        }
        ck_assert_uint_eq(phys(1, o, 8), DOORBELL);
        ck_assert_uint_eq(phys(1, o + 8, 4), 0x100u + i);
        ck_assert_uint_eq(phys(1, o + 12, 4), 0);
    }
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0);     /* not yet enabled */
    ctrl(&e, 0xc000);                                             /* enable, function-masked */
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0xc000);
    ctrl(&e, 0x8000);
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0x8000);
    mmio(&e, 3 * 16 + 12, 4, true, 1);                            /* per-vector mask */
    ck_assert_uint_eq(phys(1, 3 * 16 + 12, 4), 1);
    assert_invariant(&e, "enabled");
    ctrl(&e, 0);
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0);
    char *log = stop(&e);
    ck_assert_msg(count(log, "hidden from the guest") == 0, "%s", log);
    ck_assert_int_gt(dfx_stat(log, "msix"), 2 * NENT);
    ck_assert_int_eq(dfx_stat(log, "bar_mapped_hits"), 0);
    free(log);
}
END_TEST

/* After the guest's FLR the function's table is reset (every Mask bit set,
 * PCI 3.0 §6.8.2.9: done here by hand, the tree has no device behind it);
 * the guest programming the same entries again gets them live again, even
 * entry 1 whose address and data equal the reset values (only its Mask bit
 * changes: the daemon must not trust what it wrote before the reset). */
START_TEST(flr_then_the_same_entry_again)
{
    struct env e;

    start(&e, 1);
    mmio(&e, 0, 8, true, DOORBELL);
    mmio(&e, 8, 8, true, 0x42);
    mmio(&e, 16 + 12, 4, true, 0);
    ctrl(&e, 0x8000);
    ck_assert_uint_eq(phys(1, 12, 4), 0);
    ck_assert_uint_eq(phys(1, 16 + 12, 4), 0);
    uint32_t devctl = dfx_cfg_read(e.g, DOM, 0, e.a.guest.dev, 0xa8, 2);
    dfx_cfg_write(e.g, DOM, 0, e.a.guest.dev, 0xa8, 2, devctl | 0x8000);
    file_rw(1, "resource3", 12, 4, true, 1);
    file_rw(1, "resource3", 16 + 12, 4, true, 1);
    host_cfg_set(1, MSIX + 2, 2, host_cfg(1, MSIX + 2, 2) & ~0xc000u);
    dfx_cfg_write(e.g, DOM, 0, e.a.guest.dev, 0x04, 2, 0x0006);      /* decode back on */
    ck_assert_uint_eq(mmio(&e, 12, 4, false, 0), 1);                 /* reset: masked */
    mmio(&e, 0, 8, true, DOORBELL);
    mmio(&e, 8, 8, true, 0x42);
    mmio(&e, 16 + 12, 4, true, 0);
    ctrl(&e, 0x8000);
    ck_assert_uint_eq(phys(1, 16 + 12, 4), 0);
    ck_assert_uint_eq(phys(1, 0, 8), DOORBELL);
    ck_assert_uint_eq(phys(1, 8, 8), 0x42);
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0x8000);
    assert_invariant(&e, "after FLR");
    free(stop(&e));
}
END_TEST

/* A hostile guest: the four steps that make a vector live (address, data,
 * unmask the entry, enable MSI-X) in all 24 orders, then 150 random table
 * and control writes; the invariant holds after every one. */
START_TEST(hostile_guest_every_order)
{
    static const unsigned perm_src[4] = { 0, 1, 2, 3 };
    struct env e;
    unsigned p[4];

    start(&e, 1);
    for (unsigned k = 0; k < 24; k++) {
        unsigned rest[4], m = 4, x = k;
        memcpy(rest, perm_src, sizeof(rest));
        for (unsigned i = 0; i < 4; i++, m--) {     /* the k-th permutation */
            unsigned f = 1;
            for (unsigned j = 1; j < m; j++)
                f *= j;
            p[i] = rest[x / f];
            memmove(&rest[x / f], &rest[x / f + 1], (m - x / f - 1) * sizeof(unsigned));
            x %= f;
        }
        ctrl(&e, 0);
        mmio(&e, 12, 4, true, 1);
        for (unsigned i = 0; i < 4; i++) {
            switch (p[i]) {
            case 0: mmio(&e, 0, 8, true, DOORBELL + 0x1000ull * (k + 1)); break;
            case 1: mmio(&e, 8, 4, true, k); break;
            case 2: mmio(&e, 12, 4, true, 0); break;
            default: ctrl(&e, 0x8000); break;
            }
            assert_invariant(&e, "permutation");
        }
        /* all four done: live, with the last address and data */
        ck_assert_uint_eq(phys(1, 0, 8), DOORBELL + 0x1000ull * (k + 1));
        ck_assert_uint_eq(phys(1, 8, 8), k);
        ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0x8000);
    }
    srand(13);
    for (unsigned step = 0; step < 150; step++) {
        unsigned i = (unsigned)rand() % NENT, what = (unsigned)rand() % 6;
        uint64_t o = i * 16ull, v = (uint64_t)rand() << 16 ^ (uint64_t)rand();
        switch (what) {
        case 0: mmio(&e, o, 4, true, v); break;
        case 1: mmio(&e, o + 8, 8, true, v & 0x1ffffffffull); break;
        case 2: mmio(&e, o + 12, 4, true, v & 1); break;
        case 3: mmio(&e, o, 8, true, v << 2); break;
        case 4: ctrl(&e, (uint16_t)(v & 0xc000)); break;
        default: mmio(&e, o + 2, 2, true, v); break;          /* refused size */
        }
        assert_invariant(&e, "random");
    }
    free(stop(&e));
}
END_TEST

/* The table's page holds the PBA too (patched: PBA at BAR3 + 0x800) and
 * other device registers: the table and PBA are the engine's, the rest of
 * the page reaches the host BAR. */
START_TEST(shared_page_pba_and_registers)
{
    struct env e;

    host_cfg_set(1, MSIX + 8, 4, 0x800 | TBAR);
    file_rw(1, "resource3", 0x800, 8, true, 0x205);            /* pending: 0, 2, 9 */
    file_rw(1, "resource3", 0x400, 4, true, 0xcafe0001);       /* a device register */
    start(&e, 1);
    ck_assert_uint_eq(mmio(&e, 0x800, 8, false, 0), 0x205);
    ck_assert_uint_eq(mmio(&e, 0x800, 4, false, 0), 0x205);
    mmio(&e, 0x800, 8, true, 0);                                /* read-only */
    ck_assert_uint_eq(phys(1, 0x800, 8), 0x205);
    ck_assert_uint_eq(mmio(&e, 0x400, 4, false, 0), 0xcafe0001);
    mmio(&e, 0x404, 2, true, 0xbeef);                           /* any size there */
    ck_assert_uint_eq(phys(1, 0x404, 2), 0xbeef);
    ck_assert_uint_eq(mmio(&e, 0x400, 8, false, 0), 0xbeefcafe0001ull);
    /* split accesses into the table: all-ones, dropped */
    ck_assert_uint_eq(mmio(&e, 0x10, 2, false, 0), 0xffff);
    ck_assert_uint_eq(mmio(&e, 0x14, 8, false, 0), ~0ull);
    mmio(&e, 0x10, 1, true, 0x55);
    ck_assert_uint_eq(mmio(&e, 0x10, 4, false, 0), 0);
    free(stop(&e));
}
END_TEST

/* MSI with 8 vectors (patched MMC = 3): nothing reaches the host until the
 * guest enables it; then address, data, MME and mask bits, and Enable;
 * disable turns the host's off. */
START_TEST(msi_multi_message_reaches_the_host_only_while_enabled)
{
    struct env e;
    unsigned s;

    host_cfg_set(1, MSI + 2, 2, 0x0186);                          /* PVM, 64-bit, 8 vectors */
    start(&e, 1);
    s = e.a.guest.dev;
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 4, 4, DOORBELL);
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 8, 4, 0);
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 0x0c, 2, 0x40);          /* EventIDs 0x40..0x43 */
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 0x10, 4, 0x2);           /* vector 1 masked */
    ck_assert_uint_ne(host_cfg(1, MSI + 4, 4), DOORBELL);
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 2, 2, 0x0021);           /* MME = 4 vectors, enable */
    ck_assert_uint_eq(host_cfg(1, MSI + 4, 4), DOORBELL);
    ck_assert_uint_eq(host_cfg(1, MSI + 8, 4), 0);
    ck_assert_uint_eq(host_cfg(1, MSI + 0x0c, 2), 0x40);
    ck_assert_uint_eq(host_cfg(1, MSI + 0x10, 4), 0x2);
    ck_assert_uint_eq(host_cfg(1, MSI + 2, 2) & 0x71, 0x21);
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 0x0c, 2, 0x80);          /* data changed while on */
    ck_assert_uint_eq(host_cfg(1, MSI + 0x0c, 2), 0x80);
    ck_assert_uint_eq(host_cfg(1, MSI + 0x10, 4), 0x2);          /* mask restored */
    dfx_cfg_write(e.g, DOM, 0, s, MSI + 2, 2, 0x0020);
    ck_assert_uint_eq(host_cfg(1, MSI + 2, 2) & 1, 0);
    free(stop(&e));
}
END_TEST

/* msi = off or absent: MSI and MSI-X are not in the guest's capability
 * list, said once per device, and the guest's table writes never reach
 * the physical table. */
START_TEST(off_hides_msi_and_msix)
{
    static const char *const modes[] = { "off", NULL };

    for (unsigned k = 0; k < 2; k++) {
        struct env e;
        unsigned ids = 0;

        if (k)
            dfx_teardown(), dfx_setup();
        dfx_msi = modes[k];
        uint64_t before = phys(1, 0, 8);
        start(&e, 1);
        for (unsigned p = dfx_cfg_read(e.g, DOM, 0, e.a.guest.dev, 0x34, 1), n = 0; p && n < 48;
             n++) {
            unsigned id = dfx_cfg_read(e.g, DOM, 0, e.a.guest.dev, p, 1);
            ck_assert_msg(id != 0x05 && id != 0x11, "mode %s: capability %#x at %#x",
                          modes[k] ? modes[k] : "absent", id, p);
            ids++;
            p = dfx_cfg_read(e.g, DOM, 0, e.a.guest.dev, p + 1, 1);
        }
        ck_assert_uint_eq(ids, 2);                                 /* PM, Express */
        mmio(&e, 0, 8, true, DOORBELL);                            /* still trapped */
        mmio(&e, 12, 4, true, 0);
        ck_assert_uint_eq(phys(1, 0, 8), before);
        char *log = stop(&e);
        ck_assert_msg(count(log, "MSI and MSI-X of 0000:01:00.0 are hidden from the guest") == 1,
                      "%s", log);
        free(log);
    }
}
END_TEST

/* A daemon that takes over the running domain gives the guest back the
 * table it wrote (rebuilt from the physical one) and keeps MSI-X on. */
START_TEST(hand_over_keeps_the_table)
{
    struct env e;

    start(&e, 1);
    for (unsigned i = 0; i < NENT; i++) {
        mmio(&e, i * 16ull, 8, true, DOORBELL + 0x10000ull * i);
        mmio(&e, i * 16ull + 8, 8, true, (uint64_t)(i % 3 == 0) << 32 | (0x200u + i));
    }
    ctrl(&e, 0x8000);
    free(stop(&e));
    dfx_start(&e.dm, DOM);
    e.g = simfx_open();
    for (unsigned i = 0; i < NENT; i++) {
        ck_assert_uint_eq(mmio(&e, i * 16ull, 8, false, 0), DOORBELL + 0x10000ull * i);
        ck_assert_uint_eq(mmio(&e, i * 16ull + 8, 8, false, 0),
                          (uint64_t)(i % 3 == 0) << 32 | (0x200u + i));
    }
    ck_assert_uint_eq(dfx_cfg_read(e.g, DOM, 0, e.a.guest.dev, MSIX + 2, 2) & 0xc000, 0x8000);
    ck_assert_uint_eq(host_cfg(1, MSIX + 2, 2) & 0xc000, 0x8000);
    assert_invariant(&e, "after the hand-over");
    free(stop(&e));
}
END_TEST

static Suite *daemon_msi_suite(void)
{
    Suite *s = suite_create("daemon_msi");
    TCase *tc = tcase_create("msi");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, msix_physical_table_follows_the_guest);
    tcase_add_test(tc, hostile_guest_every_order);
    tcase_add_test(tc, flr_then_the_same_entry_again);
    tcase_add_test(tc, shared_page_pba_and_registers);
    tcase_add_test(tc, msi_multi_message_reaches_the_host_only_while_enabled);
    tcase_add_test(tc, off_hides_msi_and_msix);
    tcase_add_test(tc, hand_over_keeps_the_table);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_msi_suite)
