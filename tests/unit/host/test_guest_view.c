/* `pcipt guest-view` on every endpoint of every real dump (a sysfs tree
 * per dump): the real lspci decodes the output without complaint, the BARs
 * it shows are the planned guest addresses (`pcipt plan --json`), and the
 * capabilities are the allowed ones the host has, nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "tests/support/json_util.h"
#include "tests/support/lspci_util.h"
#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

static const struct tree_opts opts = { .driver = TREE_DRIVER_FROM_DUMP,
                                       .reset_method = "flr" };

static bool is_endpoint(const struct dump_func *f)
{
    return (dump_cfg8(f, 0x0e) & 0x7f) == 0;
}

/* The host's capabilities the guest may see (PCI 3.0 §6.7: list from 0x34,
 * dword-aligned pointers, 0x40 or above): PM, MSI, MSI-X, and PCIe of an
 * endpoint, legacy endpoint or RCiEP (PCIe 5.0 §7.5.3.2 port types 0, 1,
 * 9); the first of each ID.  Returns a bit per offset/4. */
static uint64_t allowed_host_caps(const struct dump_func *f, uint8_t id_at[64])
{
    uint64_t seen_ids = 0, mask = 0;
    unsigned ptr = dump_cfg8(f, 0x34) & 0xfc;

    if (!(dump_cfg16(f, 0x06) & 0x10))
        return 0;
    for (unsigned n = 0; n < 48 && ptr >= 0x40; n++) {
        uint8_t id = dump_cfg8(f, ptr);
        bool ok = id == PCI_CAPID_PM || id == PCI_CAPID_MSI || id == PCI_CAPID_MSIX;
        if (id == PCI_CAPID_PCIE) {
            unsigned type = (dump_cfg16(f, ptr + 2) >> 4) & 0xf;
            ok = type == 0 || type == 1 || type == 9;
        }
        if (ok && !(seen_ids & (1ull << id))) {
            seen_ids |= 1ull << id;
            mask |= 1ull << (ptr / 4);
            id_at[ptr / 4] = id;
        }
        ptr = dump_cfg8(f, ptr + 1) & 0xfc;
    }
    return mask;
}

/* Every "Capabilities: [xx] ..." line of lspci's text: allowed names only,
 * below 0x100; returns a bit per offset/4. */
static uint64_t shown_caps(const char *text, uint8_t id_at[64], const char *who)
{
    static const struct { const char *name; uint8_t id; } allowed[] = {
        { "Power Management", PCI_CAPID_PM }, { "MSI:", PCI_CAPID_MSI },
        { "MSI-X:", PCI_CAPID_MSIX }, { "Express", PCI_CAPID_PCIE },
    };
    uint64_t mask = 0;

    for (const char *p = strstr(text, "Capabilities: ["); p; p = strstr(p + 1, "Capabilities: [")) {
        char *end;
        unsigned long off = strtoul(p + 15, &end, 16);
        bool ok = false;

        ck_assert_msg(*end == ']' && off >= 0x40 && off < 0x100 && off % 4 == 0,
                      "%s: capability outside the legacy list: %.40s", who, p);
        for (unsigned i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
            if (!strncmp(end + 2, allowed[i].name, strlen(allowed[i].name))) {
                ok = true;
                id_at[off / 4] = allowed[i].id;
            }
        ck_assert_msg(ok, "%s: capability not allowed: %.60s", who, p);
        ck_assert_msg(!(mask & (1ull << (off / 4))), "%s: [%lx] shown twice", who, off);
        mask |= 1ull << (off / 4);
    }
    return mask;
}

/* Regions and ROM in lspci's text against plan's JSON for the device.
 * Every planned memory BAR shows at its guest address; I/O BARs (read 0 on
 * Arm) show nothing.  One lspci quirk: reading a dump (-F), pciutils 3.9
 * knows 64-bit pairs only from sysfs I/O flags, so the upper half of a
 * 64-bit BAR at or above 4 GiB shows as its own "Region N+1: I/O ports at
 * <unassigned>" (bit 0 of the upper dword); that line is allowed, and only
 * there. */
static void check_bars(const char *text, const struct jv *dev, const char *who)
{
    const struct jv *bars = jv_get(dev, "bars");
    bool want_rom = false, upper_shows[6] = { false };
    uint64_t planned[6] = { 0 }, addr;
    bool is_mem[6] = { false };

    for (unsigned k = 0; k < bars->n; k++) {
        const struct jv *b = &bars->kids[k];
        unsigned idx = (unsigned)jv_get(b, "index")->num;
        const char *type = jv_get_str(b, "type");
        uint64_t guest;

        ck_assert(jv_get_u64(b, "guest", &guest));
        if (idx == 6) {
            want_rom = true;
            ck_assert_msg(lspci_rom(text, &addr), "%s: ROM missing", who);
            ck_assert_msg(addr == guest, "%s: ROM at 0x%llx, planned 0x%llx", who,
                          (unsigned long long)addr, (unsigned long long)guest);
        } else if (strcmp(type, "io")) {
            is_mem[idx] = true;
            planned[idx] = guest;
            if (!strcmp(type, "mem64") && idx < 5 && (guest >> 32))
                upper_shows[idx + 1] = true;
        }
    }
    ck_assert_msg(lspci_rom(text, &addr) == want_rom, "%s: ROM shown, none planned", who);
    for (unsigned i = 0; i < 6; i++) {
        char key[24];
        const char *line;

        snprintf(key, sizeof(key), "Region %u: ", i);
        line = strstr(text, key);
        if (is_mem[i]) {
            ck_assert_msg(lspci_region(text, i, &addr), "%s: region %u missing", who, i);
            ck_assert_msg(addr == planned[i], "%s: BAR %u at 0x%llx, planned 0x%llx", who, i,
                          (unsigned long long)addr, (unsigned long long)planned[i]);
        } else if (upper_shows[i]) {
            ck_assert_msg(line && !strncmp(line + strlen(key), "I/O ports at <unassigned>", 25),
                          "%s: upper half of BAR %u: %.60s", who, i - 1, line ? line : "none");
        } else {
            ck_assert_msg(!line, "%s: unplanned %.60s", who, line);
        }
    }
}

static struct jv *plan_json(const char *dir, const char *sbdf, int slot)
{
    char args[128], *out = NULL, *err = NULL;
    struct jv *doc;

    snprintf(args, sizeof(args), "plan --json %s@%d", sbdf, slot);
    ck_assert_msg(run_pcipt(NULL, &out, &err, "--sysfs %s %s", dir, args) == 0, "plan %s: %s", sbdf,
                  err);
    doc = jv_parse(out);
    ck_assert_msg(doc && jv_get(doc, "devices")->n == 1, "plan %s: %s", sbdf, out);
    free(out);
    free(err);
    return doc;
}

static void check_endpoint(const char *dir, const struct dump_func *f, int slot,
                           const char *dumpname)
{
    char sbdf[SBDF_STR_LEN], who[96], args[128], devline[16], *view = NULL, *err = NULL;
    uint8_t host_id[64] = { 0 }, guest_id[64] = { 0 };
    const char *flags[] = { "-vv", "-vvv -nn" };
    struct jv *plan;
    uint64_t want;

    sbdf_format(&f->addr, sbdf);
    snprintf(who, sizeof(who), "%s %s", dumpname, sbdf);
    snprintf(args, sizeof(args), "guest-view --slot %d %s", slot, sbdf);
    ck_assert_msg(run_pcipt(NULL, &view, &err, "--sysfs %s %s", dir, args) == 0, "%s: %s", who,
                  err);
    ck_assert_msg(run_only_preview_warnings(err), "%s: stderr %s", who, err);
    ck_assert_uint_eq(strlen(view), 1 + 256 * (4 + 16 * 3 + 1) + strchr(view, '\n') - view + 1);
    snprintf(devline, sizeof(devline), "00:%02x.0 ", slot);
    ck_assert_msg(!strncmp(view, devline, strlen(devline)), "%s: %.40s", who, view);
    plan = plan_json(dir, sbdf, slot);
    want = allowed_host_caps(f, host_id);
    for (unsigned i = 0; i < 2; i++) {
        char *text = lspci_decode(view, flags[i], who);
        ck_assert_msg(!strncmp(text, devline, strlen(devline)), "%s: %.40s", who, text);
        check_bars(text, &jv_get(plan, "devices")->kids[0], who);
        ck_assert_msg(shown_caps(text, guest_id, who) == want, "%s: caps differ:\n%s", who,
                      text);
        ck_assert_msg(!memcmp(host_id, guest_id, sizeof(host_id)), "%s: cap IDs differ", who);
        free(text);
    }
    jv_free(plan);
    free(view);
    free(err);
}

START_TEST(guest_view_every_endpoint)
{
    const char *name = dump_files[_i];
    unsigned neps = 0;
    struct dump d;
    char dir[64];

    testdata_dump(name, &d);
    testdata_tree(name, &opts, dir, sizeof(dir));
    for (unsigned i = 0; i < d.n; i++)
        if (is_endpoint(&d.f[i]))
            check_endpoint(dir, &d.f[i], 1 + (int)(neps++ * 7 % 31), name);
    ck_assert_uint_ge(neps, 1);
    sysfs_tree_remove(dir);
    dump_free(&d);
}
END_TEST

/* --all: the root complex first, then the device; both decode. */
START_TEST(guest_view_all)
{
    char dir[64], *view = NULL, *err = NULL, *text;

    testdata_tree("cap-pcie-2", &opts, dir, sizeof(dir));
    {
        struct dump d;
        char args[96], sbdf[SBDF_STR_LEN];
        testdata_dump("cap-pcie-2", &d);
        snprintf(args, sizeof(args), "guest-view --all --slot=0x1f %s",
                 sbdf_format(&d.f[0].addr, sbdf));
        dump_free(&d);
        ck_assert_msg(run_pcipt(NULL, &view, &err, "--sysfs %s %s", dir, args) == 0, "%s", err);
    }
    text = lspci_decode(view, "-vv -nn", "cap-pcie-2 --all");
    ck_assert_msg(!strncmp(text, "00:00.0 Host bridge [0600]: XenSource, Inc. Device [5853:c0de]",
                           62), "%s", text);
    ck_assert_msg(strstr(text, "\n00:1f.0 "), "%s", text);
    free(text);
    free(view);
    free(err);
    sysfs_tree_remove(dir);
}
END_TEST

static Suite *guest_view_suite(void)
{
    Suite *s = suite_create("guest_view");
    TCase *tc = tcase_create("dumps");
    int n = 0;

    while (dump_files[n])
        n++;
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, guest_view_every_endpoint, 0, n);
    tcase_add_test(tc, guest_view_all);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_view_suite)
