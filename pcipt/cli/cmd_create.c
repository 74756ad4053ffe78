/* pcipt create [OPTIONS] CFG [XL OPTIONS...]: boot an xl domain with the
 * devices of its `pcipt = [...]` line (pcipt/xl/create.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/xl/create.h"
#include "pcipt/hv/hv.h"

static int run_create(int argc, char **argv)
{
    struct create_opts o = { .env = &g_opts };
    char err[1024];
    int i;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run")) {
            o.dry_run = true;
        } else if (!strcmp(a, "--bind")) {
            o.attach_flags |= ATTACH_BIND;
        } else if (!strcmp(a, "--force")) {
            o.attach_flags |= ATTACH_FORCE;
        } else if (!strcmp(a, "--unsafe-dma")) {
            o.attach_flags |= ATTACH_UNSAFE_DMA;
        } else if (!strcmp(a, "--dtb")) {
            if (++i >= argc || !*argv[i])
                return usage_error(&cmd_create, "--dtb needs a file name");
            o.dtb_path = argv[i];
        } else if (!strcmp(a, "--timeout")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (v <= 0 || v > 3600 || *end)
                return usage_error(&cmd_create, "--timeout needs seconds (1..3600)");
            o.ready_timeout_ms = (int)v * 1000;
        } else if (!strcmp(a, "--xen-version")) {
            if (++i >= argc || hv_parse_xen_version(argv[i], &o.xen_major, &o.xen_minor))
                return usage_error(&cmd_create, "--xen-version needs X.Y (e.g. 4.17)");
        } else {
            return usage_error(&cmd_create, "unknown option '%s' (xl's options go after CFG)",
                               a);
        }
    }
    if (i >= argc)
        return usage_error(&cmd_create, "give the xl config file");
    o.cfg_path = argv[i];
    o.xl_args = argv + i + 1;
    o.nxl_args = argc - i - 1;
    if (g_opts.verbose)
        o.attach_flags |= ATTACH_VERBOSE;
    if (create_domain(&o, err, sizeof(err)))
        return fail("create: %s", err);
    return 0;
}

const struct pcipt_cmd cmd_create = {
    .name = "create",
    .run = run_create,
    .synopsis = "create [--dry-run] [--dtb FILE] [--bind] [--force] [--unsafe-dma] "
                "[--timeout SEC] "
                "[--xen-version X.Y] CFG [XL OPTIONS...]",
    .summary = "create an xl domain with the devices of its `pcipt = [...]` line",
    .help =
        "Description:\n"
        "  Boots the domain of the xl config CFG with the host PCI functions of its\n"
        "  `pcipt = [ \"SBDF[@SLOT[.FN]]\", ... ]` line (xl ignores keys it does not know):\n"
        "   1. plans them as a fresh domain (as `pcipt plan`) and writes the guest's\n"
        "      PCI host bridge as a partial device tree (as `pcipt dtb`) to\n"
        "      /var/lib/pcipt/NAME.dtb ($PCIPT_STATE_DIR, or --dtb FILE);\n"
        "   2. runs `xl create -p CFG device_tree=\"DTB\" [SPIs] XL OPTIONS...`, where\n"
        "      SPIs is vuart=\"sbsa_uart\" (gives the guest SPIs 32..63, which hold\n"
        "      the INTx SPIs 48..63) unless CFG sets vuart or nr_spis, or\n"
        "      nr_spis=N (Xen 4.19+) when pcipt.conf moves the INTx SPIs above 63,\n"
        "      and passthrough=\"enabled\" when the hypervisor runs an IOMMU and CFG\n"
        "      does not set passthrough (the domain's DMA isolation: see attach);\n"
        "   3. finds the domain id (`xl domid NAME`) and attaches every device\n"
        "      (as `pcipt attach`, at its planned slot);\n"
        "   4. starts the domain's daemon (`systemctl start pciptd@DOMID` when\n"
        "      systemd runs and the unit is installed, else `pcipt serve DOMID`\n"
        "      logging to /var/log/xen/pcipt-serve-DOMID.log) and waits until it\n"
        "      is ready (xenstore .../pcipt/server/state = ready);\n"
        "   5. `xl unpause DOMID`.\n"
        "  If any step fails, everything done is undone (daemon stopped, devices\n"
        "  detached, `xl destroy`, the devices --bind took from their dom0\n"
        "  drivers given back, device tree removed) and the step is named.\n"
        "  CFG must not set device_tree= itself.\n"
        "\n"
        "Options (before CFG; everything after CFG goes to xl create):\n"
        "  -n, --dry-run      write the device tree, print the xl command line, stop\n"
        "  --dtb FILE         where to write the device tree\n"
        "  --bind, --force, --unsafe-dma   as for `pcipt attach`; per device:\n"
        "                     pcipt = [ \"SBDF[@SLOT],force=1,unsafe_dma=1\" ]\n"
        "  --timeout SEC      how long to wait for the daemon (default 10)\n"
        "  --xen-version X.Y  the target Xen (default: ask the running hypervisor)\n"
        "\n"
        "Exit status: 0 running; 1 failed (nothing left behind); 2 usage error.\n"
        "\n"
        "Examples:\n"
        "  pcipt create /etc/xen/guest1.cfg\n"
        "  pcipt create --dry-run --dtb /tmp/g.dtb /etc/xen/guest1.cfg 'memory=1024'\n",
};
