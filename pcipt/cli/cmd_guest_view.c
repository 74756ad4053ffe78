/* pcipt guest-view [--slot N] [--all] SBDF[@SLOT[.FN]]...: the config
 * space a guest would read for host functions, in `lspci -xxxx` form (so
 * `lspci -F` reads it).  Nothing on the host is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/assign.h"
#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/host/guest_view.h"
#include "pcipt/assign/plan.h"

struct gv_args {
    const char *dev[PCIPT_MAX_DEVS];
    unsigned ndev;
    int slot;                   /* --slot N, or -1 */
    bool all;
};

/* "--slot N" / "--slot=N": decimal or 0x-hex, 1..31. */
static int parse_slot(const char *s, int *slot)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || end == s || *end || v < 1 || v > PLAN_MAX_SLOT)
        return -ERANGE;
    *slot = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct gv_args *a)
{
    *a = (struct gv_args){ .slot = -1 };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;

        if (!strcmp(arg, "--all")) {
            a->all = true;
            continue;
        }
        if (!strncmp(arg, "--slot=", 7)) {
            val = arg + 7;
        } else if (!strcmp(arg, "--slot")) {
            if (i + 1 >= argc)
                return usage_error(&cmd_guest_view, "option --slot needs a value");
            val = argv[++i];
        } else if (arg[0] == '-' && strcmp(arg, "-") && strcmp(arg, "--")) {
            return usage_error(&cmd_guest_view, "unknown option '%s'", arg);
        } else if (!strcmp(arg, "--")) {
            continue;
        } else if (a->ndev == PCIPT_MAX_DEVS) {
            return usage_error(&cmd_guest_view, "more than %d functions", PCIPT_MAX_DEVS);
        } else {
            a->dev[a->ndev++] = arg;
            continue;
        }
        if (parse_slot(val, &a->slot))
            return usage_error(&cmd_guest_view, "slot '%s' is out of range (1..%d)", val,
                               PLAN_MAX_SLOT);
    }
    if (!a->ndev)
        return usage_error(&cmd_guest_view, "no device given");
    if (a->slot != -1 && (a->ndev > 1 || strchr(a->dev[0], '@')))
        return usage_error(&cmd_guest_view, "--slot is for one SBDF without @SLOT; give "
                           "SBDF@SLOT[.FN] for each function instead");
    return 0;
}

static int run_guest_view(int argc, char **argv)
{
    struct guest_view_fn fns[PCIPT_MAX_DEVS];
    struct guest_view *gv;
    struct gv_args a;
    char err[640];
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc;
    for (unsigned i = 0; i < a.ndev; i++) {
        if (sbdf_parse_vslot(a.dev[i], &fns[i].host, &fns[i].slot, &fns[i].fn))
            return usage_error(&cmd_guest_view, "'%s' is not a PCI address "
                               "SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..%d, function 0..%d)",
                               a.dev[i], PLAN_MAX_SLOT, PLAN_MAX_FN);
    }
    if (a.slot != -1)
        fns[0].slot = a.slot;
    if (guest_view_open_functions(g_opts.sysfs, g_opts.config, fns, a.ndev, &gv, err,
                                  sizeof(err)))
        return fail("%s", err);
    for (unsigned i = 0; i < a.ndev; i++)      /* shown as they are, with a warning */
        cmd_preview_warnings(&fns[i].host);
    guest_view_print(gv, a.all, stdout);
    guest_view_close(gv);
    if (fflush(stdout) || ferror(stdout))
        return fail("cannot write the guest view: %s", strerror(errno));
    return 0;
}

const struct pcipt_cmd cmd_guest_view = {
    .name = "guest-view",
    .run = run_guest_view,
    .synopsis = "guest-view [--slot N] [--all] SBDF[@SLOT[.FN]]...",
    .summary = "print the config space a guest would see for host functions",
    .help =
        "Presents the host functions SBDF (SSSS:BB:DD.F or BB:DD.F, from\n"
        "/sys/bus/pci or the --sysfs tree) on a private virtual host bridge\n"
        "(segment 0, bus 0), each at device SLOT function FN, with the BAR\n"
        "addresses `pcipt plan` would give them together, and prints what a guest\n"
        "reads through ECAM: every dword of each function's 4 KiB config space,\n"
        "read with 4-byte accesses through the same register engine the daemon\n"
        "uses.  Nothing is written to the host: no register, no sysfs file, no\n"
        "driver binding.  A function bound to a dom0 driver or without a usable\n"
        "reset method is shown as it is, with a warning on stderr.\n"
        "\n"
        "The output is an `lspci -xxxx` dump: per function, in slot and function\n"
        "order, a line `00:SS.F DESCRIPTION`, then 256 lines `OOO: xx xx ... xx`\n"
        "of 16 bytes each, then an empty line.  Save it and decode it with\n"
        "`lspci -F FILE -vv`.\n"
        "\n"
        "Functions of one slot: a guest, like any PCI software (PCI 3.0\n"
        "section 3.2.2.3.4), looks at functions 1..7 of a device only when\n"
        "function 0 answers and its Header Type has the multi-function bit\n"
        "(0x80).  So SBDF@SLOT.FN with FN > 0 is shown only together with a\n"
        "function at @SLOT or @SLOT.0, exactly as `pcipt attach` accepts it;\n"
        "alone it is refused (exit 1): a guest would see nothing there, although\n"
        "lspci -F would decode such a dump without complaint.  Function 0 then\n"
        "shows the multi-function bit, the others do not.  Two functions of a\n"
        "slot may not use the same INTx pin (one guest SPI is not shared).\n"
        "\n"
        "What the guest sees differs from the host (see docs/design.md): BARs hold\n"
        "guest addresses in Xen's vPCI holes, I/O BARs read 0, memory decode\n"
        "is on (as firmware leaves it: the daemon's first view), only the Power\n"
        "Management (PME off), MSI, MSI-X and PCI Express capabilities are\n"
        "listed, extended capabilities are hidden (0x100 reads 0), the\n"
        "multi-function bit is the virtual slot's, and Interrupt Line holds the\n"
        "guest SPI minus 32 (0: no INTx).\n"
        "\n"
        "Arguments:\n"
        "  SBDF[@SLOT[.FN]]  host function; @SLOT: virtual device 1..31 (default:\n"
        "             the lowest free one, 1 for a single function); .FN: its\n"
        "             function number 0..7 (default 0)\n"
        "\n"
        "Options:\n"
        "  --slot N   virtual device number 1..31 of a single SBDF given without\n"
        "             @SLOT (the same as SBDF@N)\n"
        "  --all      also print the virtual root complex 00:00.0 first\n"
        "             (vendor 5853, device c0de, class 0600)\n"
        "\n"
        "Global options --sysfs DIR (a sysfs-shaped tree) and --config FILE (guest\n"
        "layout, as for `pcipt plan`) apply.\n"
        "\n"
        "Exit status: 0 success; 1 when a device is absent, is a bridge, its\n"
        "config space cannot be read in full (reading past the first 64 bytes\n"
        "of sysfs `config` needs root), the BARs do not fit the layout, or the\n"
        "slots are refused (a function > 0 without function 0, a slot and\n"
        "function given twice, two functions of a slot on one INTx pin); 2 for a\n"
        "usage error (bad SBDF, slot outside 1..31, function outside 0..7,\n"
        "--slot with @SLOT or with more than one function).\n"
        "\n"
        "Examples:\n"
        "  pcipt guest-view 0000:01:00.0 > view.txt && lspci -F view.txt -vv\n"
        "  pcipt guest-view --slot 5 --all 01:00.0\n"
        "  pcipt guest-view 01:00.0@4 01:00.1@4.1   # a GPU and its audio function",
};
