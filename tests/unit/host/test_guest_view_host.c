/* A guest can change nothing on the host: the engine, backed by the libpci
 * host_dev on a sysfs tree of every dump endpoint, takes a scripted guest
 * sequence (size every BAR, enable decode, enable MSI and MSI-X, power
 * state changes, then all-ones and zeros to every dword and all-ones to
 * every byte of the 4 KiB), and the tree's `config` file is byte for byte
 * what it was.  The same check sees a deliberate write through the
 * host_dev ops, so it would catch one made by the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/host/guest_view.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static const struct tree_opts opts = { .driver = NULL, .reset_method = "flr" };

struct counts {
    unsigned map, msi, msix;
};

static int count_event(void *opaque, const struct vdev_event *ev)
{
    struct counts *c = opaque;

    c->map += ev->type == VDEV_EV_BAR_MAP;
    c->msi += ev->type == VDEV_EV_MSI;
    c->msix += ev->type == VDEV_EV_MSIX;
    return 0;
}

static uint32_t rd(struct vpci_topology *t, unsigned reg, unsigned size)
{
    struct cfg_req r = { .seg = 0, .bus = 0, .dev = 1, .fn = 0, .reg = (uint16_t)reg,
                         .size = (uint8_t)size };
    return (uint32_t)vpci_cfg_read(t, &r);
}

static void wr(struct vpci_topology *t, unsigned reg, unsigned size, uint32_t v)
{
    struct cfg_req r = { .seg = 0, .bus = 0, .dev = 1, .fn = 0, .reg = (uint16_t)reg,
                         .size = (uint8_t)size };
    vpci_cfg_write(t, &r, v);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = malloc(8192);

    ck_assert_ptr_nonnull(fp);
    *len = fread(buf, 1, 8192, fp);
    fclose(fp);
    return buf;
}

/* Offset of the guest-visible capability `id`, 0 if none. */
static unsigned guest_cap(struct vpci_topology *t, uint8_t id)
{
    unsigned ptr = rd(t, 0x34, 1) & 0xfc;

    for (unsigned n = 0; n < 48 && ptr >= 0x40; n++) {
        if ((rd(t, ptr, 1)) == id)
            return ptr;
        ptr = rd(t, ptr + 1, 1) & 0xfc;
    }
    return 0;
}

/* What a guest OS does to a new function, then what a hostile one does. */
static void guest_sequence(struct vpci_topology *t, struct counts *c, bool has_mem,
                           const char *who)
{
    unsigned msi = guest_cap(t, 0x05), msix = guest_cap(t, 0x11), pm = guest_cap(t, 0x01);

    wr(t, 0x04, 2, 0x0000);             /* decode off while sizing, as Linux does */
    for (unsigned reg = 0x10; reg <= 0x30; reg += 4) {     /* size every BAR and the ROM */
        uint32_t orig = rd(t, reg, 4);
        if (reg > 0x24 && reg < 0x30)
            continue;
        wr(t, reg, 4, 0xffffffff);
        (void)rd(t, reg, 4);
        wr(t, reg, 4, orig);
        ck_assert_uint_eq(rd(t, reg, 4), orig);
    }
    wr(t, 0x04, 2, 0x0007);                                 /* IO, Memory, Bus Master */
    ck_assert_msg((rd(t, 0x04, 2) & 0x2) == 0x2, "%s: Memory decode did not stick", who);
    ck_assert_msg(!has_mem || c->map > 0, "%s: no BAR mapped on decode", who);
    if (pm) {
        wr(t, pm + 4, 2, 0x0003);                          /* D3hot, then D0 */
        wr(t, pm + 4, 2, 0x0000);
    }
    if (msi) {
        wr(t, msi + 4, 4, 0xfee00000);
        wr(t, msi + 2, 2, 0x0001);                          /* MSI Enable */
        ck_assert_msg(rd(t, msi + 2, 2) & 1, "%s: MSI enable did not stick", who);
        ck_assert_uint_gt(c->msi, 0);
    }
    if (msix) {
        wr(t, msix + 2, 2, 0x8000);                         /* MSI-X Enable */
        ck_assert_msg(rd(t, msix + 2, 2) & 0x8000, "%s: MSI-X enable did not stick", who);
        ck_assert_uint_gt(c->msix, 0);
    }
    for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4)
        wr(t, reg, 4, 0xffffffff);
    for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4)
        wr(t, reg, 4, 0);
    for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg++)
        wr(t, reg, 1, 0xff);
}

static void check_endpoint(const char *dir, const struct dump_func *f, const char *dumpname)
{
    char sbdf[SBDF_STR_LEN], who[96], path[600], err[512];
    unsigned char *before, *after;
    size_t lb, la;
    struct guest_view *gv;
    struct counts c = { 0 };
    bool has_mem = false;
    struct host_dev *hd;
    uint32_t line;

    sbdf_format(&f->addr, sbdf);
    snprintf(who, sizeof(who), "%s %s", dumpname, sbdf);
    snprintf(path, sizeof(path), "%s/devices/%s/config", dir, sbdf);
    before = slurp(path, &lb);
    ck_assert_uint_eq(lb, f->cfg_size);
    ck_assert_msg(guest_view_open(dir, NULL, &f->addr, 1, &gv, err, sizeof(err)) == 0, "%s: %s",
                  who, err);
    for (unsigned b = 0; b < PCI_NUM_RES; b++)
        has_mem |= guest_view_assign(gv)->bars[b].type != BAR_NONE &&
                   guest_view_assign(gv)->bars[b].type != BAR_IO;
    vpci_topology_set_event_handler(guest_view_topology(gv), count_event, &c);
    guest_sequence(guest_view_topology(gv), &c, has_mem, who);
    after = slurp(path, &la);
    ck_assert_uint_eq(la, lb);
    for (size_t i = 0; i < lb; i++)
        ck_assert_msg(before[i] == after[i], "%s: host config 0x%zx changed: %02x -> %02x",
                      who, i, before[i], after[i]);
    free(after);

    /* The check is live: a write through the host_dev ops lands in the file. */
    hd = guest_view_host(gv);
    ck_assert_int_eq(host_cfg_read(hd, 0x3c, 1, &line), 0);
    ck_assert_int_eq(host_cfg_write(hd, 0x3c, 1, line ^ 0x5a), 0);
    after = slurp(path, &la);
    ck_assert_msg(after[0x3c] == (uint8_t)(line ^ 0x5a), "%s: a host write did not reach %s",
                  who, path);
    ck_assert_int_eq(memcmp(after, before, 0x3c), 0);
    free(after);
    guest_view_close(gv);
    free(before);
}

START_TEST(guest_cannot_write_host_config)
{
    const char *name = dump_files[_i];
    unsigned neps = 0;
    struct dump d;
    char dir[64];

    testdata_dump(name, &d);
    testdata_tree(name, &opts, dir, sizeof(dir));
    for (unsigned i = 0; i < d.n; i++)
        if ((dump_cfg8(&d.f[i], 0x0e) & 0x7f) == 0) {
            check_endpoint(dir, &d.f[i], name);
            neps++;
        }
    ck_assert_uint_ge(neps, 1);
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

static Suite *guest_view_host_suite(void)
{
    Suite *s = suite_create("guest_view_host");
    TCase *tc = tcase_create("host_untouched");
    int n = 0;

    while (dump_files[n])
        n++;
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, guest_cannot_write_host_config, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_view_host_suite)
