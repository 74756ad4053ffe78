/* pcipt guest-view [--slot N] [--all] SBDF: the config space a guest would
 * read for one host function, in `lspci -xxxx` form (so `lspci -F` reads
 * it).  Nothing on the host is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cmds.h"
#include "pcipt/guest_view.h"
#include "pcipt/plan.h"

struct gv_args {
    const char *sbdf;
    int slot;
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
    *a = (struct gv_args){ .slot = 1 };
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
        } else if (a->sbdf) {
            return usage_error(&cmd_guest_view, "one device at a time ('%s' and '%s' given)",
                               a->sbdf, arg);
        } else {
            a->sbdf = arg;
            continue;
        }
        if (parse_slot(val, &a->slot))
            return usage_error(&cmd_guest_view, "slot '%s' is out of range (1..%d)", val,
                               PLAN_MAX_SLOT);
    }
    if (!a->sbdf)
        return usage_error(&cmd_guest_view, "no device given");
    return 0;
}

static int run_guest_view(int argc, char **argv)
{
    struct guest_view *gv;
    struct gv_args a;
    struct sbdf host;
    char err[640];
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc;
    if (sbdf_parse(a.sbdf, &host))
        return usage_error(&cmd_guest_view, "'%s' is not a PCI address SSSS:BB:DD.F", a.sbdf);
    if (guest_view_open(g_opts.sysfs, g_opts.config, &host, a.slot, &gv, err, sizeof(err)))
        return fail("%s", err);
    guest_view_print(gv, a.all, stdout);
    guest_view_close(gv);
    if (fflush(stdout) || ferror(stdout))
        return fail("cannot write the guest view: %s", strerror(errno));
    return 0;
}

const struct pcipt_cmd cmd_guest_view = {
    .name = "guest-view",
    .run = run_guest_view,
    .synopsis = "guest-view [--slot N] [--all] SBDF",
    .summary = "print the config space a guest would see for a host function",
    .help =
        "Presents the host function SBDF (SSSS:BB:DD.F or BB:DD.F, from /sys/bus/pci\n"
        "or the --sysfs tree) alone on a private virtual host bridge (segment 0,\n"
        "bus 0) at device SLOT, with the BAR addresses `pcipt plan` would give it,\n"
        "and prints what a guest reads through ECAM: every dword of its 4 KiB\n"
        "config space, read with 4-byte accesses through the same register engine\n"
        "the daemon uses.  Nothing is written to the host: no register, no sysfs\n"
        "file, no driver binding.\n"
        "\n"
        "The output is an `lspci -xxxx` dump: a line `00:SS.0 DESCRIPTION`, then\n"
        "256 lines `OOO: xx xx ... xx` of 16 bytes each, then an empty line.  Save\n"
        "it and decode it with `lspci -F FILE -vv`.\n"
        "\n"
        "What the guest sees differs from the host (see docs/design.md): BARs hold\n"
        "guest addresses in Xen's vPCI holes, I/O BARs read 0, memory decode\n"
        "is on (as firmware leaves it: the daemon's first view), only the Power\n"
        "Management (PME off), MSI, MSI-X and PCI Express capabilities are\n"
        "listed, extended capabilities are hidden (0x100 reads 0), and\n"
        "Interrupt Line holds the guest SPI minus 32 (0: no INTx).\n"
        "\n"
        "Options:\n"
        "  --slot N   virtual device number, 1..31 (default 1)\n"
        "  --all      also print the virtual root complex 00:00.0 first\n"
        "             (vendor 5853, device c0de, class 0600)\n"
        "\n"
        "Global options --sysfs DIR (a sysfs-shaped tree) and --config FILE (guest\n"
        "layout, as for `pcipt plan`) apply.\n"
        "\n"
        "Exit status: 0 success; 1 when the device is absent, is a bridge, its\n"
        "config space cannot be read in full (reading past the first 64 bytes\n"
        "of sysfs `config` needs root) or its BARs do not fit the layout; 2 for\n"
        "a usage error (bad SBDF, slot outside 1..31).\n"
        "\n"
        "Examples:\n"
        "  pcipt guest-view 0000:01:00.0 > view.txt && lspci -F view.txt -vv\n"
        "  pcipt guest-view --slot 5 --all 01:00.0",
};
