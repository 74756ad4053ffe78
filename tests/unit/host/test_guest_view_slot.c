/* `pcipt guest-view` with SBDF@SLOT.FN and several functions: the
 * cap-vendor-virtio dump's two endpoints (00:04.0 virtio-fs, no INTx pin;
 * 00:09.0 virtio-net, INTA) shown as functions 0 and 1 of one virtual slot
 * decode with the real lspci at the planned addresses (`pcipt plan --json`
 * of the same arguments), function 0 with the multi-function bit; a
 * function > 0 alone is refused, because a guest scans functions 1..7 only
 * behind function 0 (PCI 3.0 §3.2.2.3.4) and would see nothing, though
 * lspci -F would decode such a dump. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/json_util.h"
#include "tests/support/lspci_util.h"
#include "tests/support/run_util.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

#define FS  "0000:00:04.0"
#define NET "0000:00:09.0"
#define VIEW_LINES 258          /* a function's heading, 256 hex lines, an empty line */

static const struct tree_opts opts = { .driver = TREE_DRIVER_FROM_DUMP, .reset_method = "flr" };
static char tree[64];

static void setup(void)
{
    testdata_tree("cap-vendor-virtio", &opts, tree, sizeof(tree));
}

static void teardown(void)
{
    sysfs_tree_remove(tree);
}

/* The view's lines that start a function ("00:SS.F ..."), joined "|". */
static void headings(const char *view, char *buf, size_t len)
{
    unsigned lines = 0;

    buf[0] = '\0';
    for (const char *p = view; *p; p = strchr(p, '\n') + 1, lines++) {
        if (lines % VIEW_LINES == 0)
            snprintf(buf + strlen(buf), len - strlen(buf), "%s%.7s", buf[0] ? "|" : "", p);
        ck_assert_ptr_nonnull(strchr(p, '\n'));
    }
    ck_assert_uint_eq(lines % VIEW_LINES, 0);
}

/* Byte off of the function printed k-th. */
static unsigned view_byte(const char *view, unsigned k, unsigned off)
{
    const char *p = view;
    unsigned skip = k * VIEW_LINES + 1 + off / 16;

    while (skip--)
        p = strchr(p, '\n') + 1;
    return (unsigned)strtoul(p + 5 + 3 * (off % 16), NULL, 16);
}

/* lspci -s SLOT.FN's Region addresses equal plan's guest addresses for the
 * device in plan's JSON whose host is `host`. */
static void check_regions(const char *view, const char *sel, const char *host,
                          const struct jv *plan)
{
    const struct jv *devs = jv_get(plan, "devices"), *dev = NULL;
    char flags[32], *text;
    unsigned checked = 0;

    for (unsigned i = 0; i < devs->n; i++)
        if (!strcmp(jv_get_str(&devs->kids[i], "sbdf"), host))
            dev = &devs->kids[i];
    ck_assert_msg(dev, "%s not in the plan", host);
    snprintf(flags, sizeof(flags), "-vv -s %s", sel);
    text = lspci_decode(view, flags, sel);
    ck_assert_msg(!strncmp(text, sel, strlen(sel)), "%s", text);
    const struct jv *bars = jv_get(dev, "bars");
    for (unsigned k = 0; k < bars->n; k++) {
        unsigned idx = (unsigned)jv_get(&bars->kids[k], "index")->num;
        uint64_t guest, addr;
        if (idx > 5 || !strcmp(jv_get_str(&bars->kids[k], "type"), "io"))
            continue;
        ck_assert(jv_get_u64(&bars->kids[k], "guest", &guest));
        ck_assert_msg(lspci_region(text, idx, &addr) && addr == guest,
                      "%s BAR %u: lspci shows 0x%llx, planned 0x%llx\n%s", sel, idx,
                      (unsigned long long)addr, (unsigned long long)guest, text);
        checked++;
    }
    ck_assert_uint_ge(checked, 1);
    free(text);
}

START_TEST(two_functions_of_a_slot)
{
    char *view, *view2, *err, *plan_out, h[64];
    struct jv *plan;

    ck_assert_int_eq(run_pcipt(NULL, &view, &err,
                               "--sysfs %s " "guest-view --all " FS "@4 " NET "@4.1", tree), 0);
    ck_assert_msg(run_only_preview_warnings(err), "%s", err);
    free(err);
    headings(view, h, sizeof(h));
    ck_assert_str_eq(h, "00:00.0|00:04.0|00:04.1");
    ck_assert_uint_eq(view_byte(view, 1, 0x0e), 0x80);     /* function 0: multi-function */
    ck_assert_uint_eq(view_byte(view, 2, 0x0e), 0x00);
    ck_assert_uint_eq(view_byte(view, 0, 0x0e), 0x00);     /* the root complex: alone */
    ck_assert_uint_eq(view_byte(view, 2, 0x3d), 1);        /* virtio-net keeps INTA */
    ck_assert_uint_eq(view_byte(view, 2, 0x3c), 51 - 32);  /* slot 4 INTA's route: 48 + 3 */
    ck_assert_int_eq(run_pcipt(NULL, &plan_out, &err,
                               "--sysfs %s " "plan --json " FS "@4 " NET "@4.1", tree), 0);
    free(err);
    ck_assert_ptr_nonnull(plan = jv_parse(plan_out));
    check_regions(view, "00:04.0", FS, plan);
    check_regions(view, "00:04.1", NET, plan);
    jv_free(plan);
    free(plan_out);
    /* the order of the arguments does not change the view */
    ck_assert_int_eq(run_pcipt(NULL, &view2, &err,
                               "--sysfs %s " "guest-view --all " NET "@4.1 " FS "@4.0", tree), 0);
    ck_assert_str_eq(view2, view);
    free(view); free(view2); free(err);
}
END_TEST

/* Two bare functions take the lowest free slots, each a function 0 alone
 * (no multi-function bit); a bare one beside one at @1 takes slot 2. */
START_TEST(bare_functions_take_free_slots)
{
    char *view, *err, h[64];

    ck_assert_int_eq(run_pcipt(NULL, &view, &err, "--sysfs %s " "guest-view " NET " " FS, tree), 0);
    headings(view, h, sizeof(h));
    ck_assert_str_eq(h, "00:01.0|00:02.0");
    ck_assert_uint_eq(view_byte(view, 0, 0x0e), 0x00);
    ck_assert_uint_eq(view_byte(view, 1, 0x0e), 0x00);
    ck_assert_msg(strstr(view, "00:01.0 Ethernet controller") &&
                  strstr(view, "00:02.0 Mass storage controller"), "%.200s", view);
    free(view); free(err);
    ck_assert_int_eq(run_pcipt(NULL, &view, &err, "--sysfs %s " "guest-view " FS " " NET "@1",
                               tree), 0);
    headings(view, h, sizeof(h));
    ck_assert_str_eq(h, "00:01.0|00:02.0");
    ck_assert_msg(strstr(view, "00:01.0 Ethernet controller"), "%.200s", view);
    free(view); free(err);
}
END_TEST

struct refusal {
    const char *args;
    const char *msg;            /* the whole line after "pcipt: " */
};

static const struct refusal refusals[] = {
    { "guest-view " NET "@4.1",
      NET ": virtual slot 4 has no function 0 (a guest scans functions 1..7 of a slot only "
      "behind function 0): place a function at @4 or @4.0 too" },
    { "guest-view " FS "@5 " NET "@4.1",
      NET ": virtual slot 4 has no function 0 (a guest scans functions 1..7 of a slot only "
      "behind function 0): place a function at @4 or @4.0 too" },
    { "guest-view " FS "@4 " NET "@4.0",
      NET ": virtual slot 4 is already taken by " FS },
    { "guest-view " FS "@4 " FS "@4.1", FS " is given twice" },
    /* both on INTA (FS's pin set to 1 first) */
    { "guest-view " FS "@4 " NET "@4.1",
      FS " and " NET " would share INTA of virtual slot 4: two host functions on one pin of a "
      "slot are not supported; put one in another slot" },
};

static void set_pin(const char *dev, uint8_t pin)
{
    char path[200];
    int fd;

    snprintf(path, sizeof(path), "%s/devices/%s/config", tree, dev);
    ck_assert_int_ge(fd = open(path, O_WRONLY), 0);
    ck_assert_int_eq(pwrite(fd, &pin, 1, 0x3d), 1);
    close(fd);
}

START_TEST(refused_as_attach_refuses)
{
    const struct refusal *c = &refusals[_i];
    char *out, *err, want[400];

    if (strstr(c->msg, "share INTA"))
        set_pin(FS, 1);
    ck_assert_msg(run_pcipt(NULL, &out, &err, "--sysfs %s %s", tree, c->args) == 1, "'%s': %s",
                  c->args, err);
    snprintf(want, sizeof(want), "pcipt: %s\n", c->msg);
    ck_assert_str_eq(err, want);
    ck_assert_str_eq(out, "");
    free(out); free(err);
}
END_TEST

/* What guest-view refuses to print: lspci itself decodes a dump holding a
 * function 1 alone without a word (so the refusal is guest-view's). */
START_TEST(lspci_would_decode_a_lone_function)
{
    char *view, *err, *text, *fn1;

    ck_assert_int_eq(run_pcipt(NULL, &view, &err, "--sysfs %s " "guest-view " FS "@4 " NET "@4.1",
                               tree), 0);
    ck_assert_ptr_nonnull(fn1 = strstr(view, "\n00:04.1 "));
    text = lspci_decode(fn1 + 1, "", "00:04.1 alone");
    ck_assert_msg(!strncmp(text, "00:04.1 Ethernet controller", 27), "%s", text);
    free(text); free(view); free(err);
}
END_TEST

static Suite *guest_view_slot_suite(void)
{
    Suite *s = suite_create("guest_view_slot");
    TCase *tc = tcase_create("slot");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, two_functions_of_a_slot);
    tcase_add_test(tc, bare_functions_take_free_slots);
    tcase_add_loop_test(tc, refused_as_attach_refuses, 0,
                        (int)(sizeof(refusals) / sizeof(refusals[0])));
    tcase_add_test(tc, lspci_would_decode_a_lone_function);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(guest_view_slot_suite)
