/* fuzz_xlcfg: the config path of `pcipt create` — what remains of pcipt's
 * own parsing once xl's parser (libxlutil) reads the file: the bounds
 * pcipt/xl/xlcfg.c puts in front of libxlutil, its accessors, and each
 * `pcipt = [...]` entry through the spec parser (plan_request_from_arg:
 * "SBDF[@SLOT[.FN]][,force=0|1][,unsafe_dma=0|1]") against a sysfs tree
 * holding one function (cap-pcie-2's 82576 at 0000:01:00.0, built once with
 * tests/support/sysfs_tree.c).
 *
 * Byte 0 = 2 mod 4: the rest (up to a NUL) is one xl `pci` entry, parsed
 *   directly (X1-X3 below).
 * Byte 0 = 0 mod 4: the rest (up to a NUL) is one `pcipt` entry, parsed directly.
 * Byte 0 odd: the rest (up to a NUL) is an xl config, "fuzz.cfg":
 *   C1 xlcfg_parse_text returns 0 or -errno; an error has a one-line
 *      message naming fuzz.cfg (libxlutil's "fuzz.cfg:LINE: ..." or the
 *      size / `+=` bound's sentence);
 *   C2 on 0 the accessors agree: a key is set iff it has a string or a list
 *      (never both); list items 0..len-1 are strings or nested lists (NULL),
 *      items outside are NULL; the config is freed without a leak;
 *   then every string item of `pcipt` (at most 8) is an entry:
 *   P1 plan_request_from_arg returns 0 or -errno with a non-empty message;
 *   P2 on 0: the function is the tree's, slot -1 or 1..31, fn 0..7 and
 *      fn > 0 only with a slot;
 *   P3 the canonical form of the request ("SSSS:BB:DD.F[@SLOT.FN],force=F,
 *      unsafe_dma=U") parses back to the same request;
 *   P4 nothing is silently dropped: an accepted entry's device part
 *      (before the first comma) is shorter than the parser's buffer, and a
 *      slot written in decimal digits means that decimal number (not octal);
 *   and every string item of xl's `pci` (at most 8), read as `pcipt
 *   create` reads it (libxlutil's parser, pcipt/xl/xlcfg_pci.c, then
 *   create_pci_entry in pcipt/xl/create_pci.c):
 *   X1 xlcfg_pci_spec returns 0 or -errno with a one-line message; on 0 the
 *      address is in range (bus 0..ff, device 0..1f, function 0..7, VSLOT
 *      0..1f) and only known keys are reported;
 *   X2 create_pci_entry returns 0 or -errno with a one-line message naming
 *      fuzz.cfg; on 0 the entry named no key pcipt refuses and no '.*', the
 *      function is the tree's, the slot is VSLOT (or -1 for none), fn 0. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xl/create.h"
#include "pcipt/xl/xlcfg.h"
#include "tests/fuzz/fuzz_topo.h"
#include "tests/support/sysfs_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char tree[64];
static struct sbdf addr;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail);
    abort();
}

static void cleanup(void)
{
    sysfs_tree_remove(tree);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_set_level(LOG_LVL_ERR);
    fz_pciback_tree(tree, sizeof(tree), &addr);
    atexit(cleanup);
    return 0;
}

static bool same(const struct plan_request *a, const struct plan_request *b)
{
    return sbdf_equal(&a->host, &b->host) && a->slot == b->slot && a->fn == b->fn &&
           a->force == b->force && a->unsafe_dma == b->unsafe_dma;
}

/* The slot as written, if it is decimal digits only: its value, else -1. */
static long decimal_slot(const char *arg)
{
    const char *at = strchr(arg, '@'), *p;
    size_t n = strcspn(arg, ",");
    long v = 0;

    if (!at || (size_t)(at - arg) > n)
        return -1;
    for (p = at + 1; p < arg + n && *p != '.'; p++) {
        if (!isdigit((unsigned char)*p) || v > 1000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return p == at + 1 ? -1 : v;
}

static void entry(const char *arg)
{
    struct plan_request rq, back;
    char err[512] = "", canon[96], name[SBDF_STR_LEN];
    int rc = plan_request_from_arg(tree, arg, &rq, err, sizeof(err));
    long dec;

    if (rc > 0 || (rc && !err[0]))
        fail("P1 plan_request_from_arg error without a message", arg);
    if (rc)
        return;
    if (!sbdf_equal(&rq.host, &addr))
        fail("P2 a request for a function the tree does not hold", arg);
    if (!(rq.slot == -1 || (rq.slot >= 1 && rq.slot <= 31)) || rq.fn < 0 || rq.fn > 7 ||
        (rq.fn > 0 && rq.slot == -1))
        fail("P2 slot or function out of range", arg);
    if (rq.slot > 0)
        snprintf(canon, sizeof(canon), "%s@%d.%d,force=%d,unsafe_dma=%d",
                 sbdf_format(&rq.host, name), rq.slot, rq.fn, rq.force, rq.unsafe_dma);
    else
        snprintf(canon, sizeof(canon), "%s,force=%d,unsafe_dma=%d",
                 sbdf_format(&rq.host, name), rq.force, rq.unsafe_dma);
    if (plan_request_from_arg(tree, canon, &back, err, sizeof(err)) || !same(&rq, &back))
        fail("P3 the canonical form does not parse back to the same request", canon);
    if (strcspn(arg, ",") >= 63)
        fail("P4 an entry's device part was truncated, not refused", arg);
    if ((dec = decimal_slot(arg)) >= 0 && dec != rq.slot)
        fail("P4 a decimal slot read as another number", arg);
}

#define REFUSED_KEYS (XLCFG_PCI_PERMISSIVE | XLCFG_PCI_MSITRANSLATE | XLCFG_PCI_POWER_MGMT | \
                      XLCFG_PCI_RDM_POLICY | XLCFG_PCI_NAME)
#define KNOWN_KEYS (REFUSED_KEYS | XLCFG_PCI_BDF | XLCFG_PCI_VSLOT | XLCFG_PCI_SEIZE)

static void pci_entry(const char *spec)
{
    struct xlcfg_pci p;
    struct create_dev d;
    char err[512] = "";
    int rc = xlcfg_pci_spec(spec, &p, err, sizeof(err));

    if (rc > 0 || (rc && (!err[0] || strchr(err, '\n'))))
        fail("X1 xlcfg_pci_spec error without a one-line message", spec);
    if (!rc && (p.bus > 0xff || p.dev > 0x1f || p.fn > 7 || p.vslot > 0x1f ||
                (p.keys & ~(unsigned)KNOWN_KEYS)))
        fail("X1 an address out of range or an unknown key", spec);
    err[0] = '\0';
    rc = create_pci_entry(tree, "fuzz.cfg", 1, spec, false, &d, err, sizeof(err));
    if (rc > 0 || (rc && (strncmp(err, "fuzz.cfg: pci entry 1", 21) || strchr(err, '\n'))))
        fail("X2 create_pci_entry error not one line naming the entry", err);
    if (rc)
        return;
    if (xlcfg_pci_spec(spec, &p, err, sizeof(err)) || (p.keys & REFUSED_KEYS) ||
        p.all_functions)
        fail("X2 an entry accepted with a key pcipt refuses", spec);
    if (!sbdf_equal(&d.rq.host, &addr) || d.rq.fn != 0 ||
        d.rq.slot != (p.vslot ? (int)p.vslot : -1))
        fail("X2 the request is not the entry's function and slot", spec);
}

static void config(const char *text)
{
    struct xlcfg c;
    char err[512] = "";
    static const char *const keys[] = { "pcipt", "name", "irqs", "nr_spis", "vuart",
                                        "passthrough", "device_tree", "pci" };
    int rc = xlcfg_parse_text(&c, text, "fuzz.cfg", err, sizeof(err));

    if (rc > 0)
        fail("C1 a positive return", err);
    if (rc && (strncmp(err, "fuzz.cfg", 8) || strchr(err, '\n')))
        fail("C1 an error not one line naming the file", err);
    for (unsigned k = 0; !rc && k < sizeof(keys) / sizeof(keys[0]); k++) {
        const char *s = xlcfg_string(&c, keys[k]);
        int n = xlcfg_list_len(&c, keys[k]);

        if (xlcfg_has(&c, keys[k]) != (s != NULL || n >= 0) || (s && n >= 0))
            fail("C2 set, string and list disagree", keys[k]);
        if (xlcfg_list_item(&c, keys[k], n < 0 ? 0 : n) || xlcfg_list_item(&c, keys[k], -1))
            fail("C2 an item outside the list", keys[k]);
        for (int i = 0; i < n && i < 8 && !strcmp(keys[k], "pcipt"); i++) {
            const char *item = xlcfg_list_item(&c, keys[k], i);
            if (item)
                entry(item);
        }
        for (int i = 0; i < n && i < 8 && !strcmp(keys[k], "pci"); i++) {
            const char *item = xlcfg_list_item(&c, keys[k], i);
            if (item)
                pci_entry(item);
        }
    }
    xlcfg_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    if (!(text = malloc(size)))
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 1)
        config(text);
    else if (data[0] & 2)
        pci_entry(text);
    else
        entry(text);
    free(text);
    return 0;
}
