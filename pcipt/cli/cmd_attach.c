/* pcipt attach [--bind] [--force] [--unsafe-dma] DOMID SBDF[@SLOT[.FN]]: put a host PCI function
 * into a running guest (pcipt/assign/attach.h). */
#include <stdio.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"

static int run_attach(int argc, char **argv)
{
    const char *pos[2];
    unsigned flags = 0;
    int npos = 0, slot, fn, rc;
    struct attach_ctx ctx;
    struct sbdf host, guest;
    uint32_t domid;
    char err[512], h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bind"))
            flags |= ATTACH_BIND;
        else if (!strcmp(argv[i], "--force"))
            flags |= ATTACH_FORCE;
        else if (!strcmp(argv[i], "--unsafe-dma"))
            flags |= ATTACH_UNSAFE_DMA;
        else if (!strcmp(argv[i], "--") && i + 1 < argc && npos < 2)
            pos[npos++] = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error(&cmd_attach, "unknown option '%s'", argv[i]);
        else if (npos == 2)
            return usage_error(&cmd_attach, "unexpected argument '%s'", argv[i]);
        else
            pos[npos++] = argv[i];
    }
    if (npos < 2)
        return usage_error(&cmd_attach, "give a domain id and a device");
    if (cmd_parse_domid(pos[0], &domid))
        return usage_error(&cmd_attach, "'%s' is not a guest domain id (1..32751)", pos[0]);
    if (sbdf_parse_vslot(pos[1], &host, &slot, &fn))
        return usage_error(&cmd_attach, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..31, "
                           "function 0..7)", pos[1]);
    if (g_opts.verbose)
        flags |= ATTACH_VERBOSE;
    if ((rc = cmd_ctx_open(&ctx, true)))
        return rc;
    rc = attach_device(&ctx, domid, &host, slot, fn, flags, &guest, err, sizeof(err));
    cmd_ctx_close(&ctx);
    if (rc)
        return fail("%s", err);
    printf("attached %s to domain %u as %s\n", sbdf_format(&host, h), domid,
           sbdf_format(&guest, g));
    return 0;
}

const struct pcipt_cmd cmd_attach = {
    .name = "attach",
    .run = run_attach,
    .synopsis = "attach [--bind] [--force] [--unsafe-dma] DOMID SBDF[@SLOT[.FN]]",
    .summary = "pass a host PCI function through to a running guest",
    .help =
        "Description:\n"
        "  Gives the host PCI function SBDF to the running guest DOMID.  Before\n"
        "  anything is changed it checks that the domain exists, that the function\n"
        "  is an endpoint held by uio_pci_generic (or another passthrough holder,\n"
        "  or no driver) with a usable reset method, that it is not attached to any\n"
        "  domain yet, that the virtual slot is free and that its BARs fit in the\n"
        "  guest's vPCI holes (the same plan as `pcipt plan`, on top of what the\n"
        "  domain already has).  Then it grants the domain access to each memory\n"
        "  BAR (xc_domain_iomem_permission), maps each BAR at its planned guest\n"
        "  address (at most 64 pages per hypercall), leaving the MSI-X table and\n"
        "  PBA pages unmapped so that they trap, and publishes the device, its\n"
        "  virtual BARs and where each BAR is mapped under\n"
        "  /local/domain/0/backend/pci/DOMID/0 in xenstore, where the domain's\n"
        "  daemon (`pcipt serve`) picks it up.  The expansion ROM is granted but\n"
        "  mapped only when the guest enables it; I/O BARs are not mapped on Arm.\n"
        "  If any step fails, everything done so far is undone, in reverse order,\n"
        "  --bind's hand-over included.\n"
        "\n"
        "  DMA: before the BARs are mapped, the host's Bus Master is cleared and the\n"
        "  function is assigned to the domain's IOMMU context (xc_test_assign_device,\n"
        "  xc_assign_device); the guest's Bus Master then reaches the host and the\n"
        "  device can reach only the domain's memory.  Where that is impossible (no\n"
        "  SMMU, a Xen without PCI support in its SMMU driver, the domain created\n"
        "  without passthrough=\"enabled\", the assignment refused) the attach still\n"
        "  succeeds with DMA off: the guest's Bus Master reads 0 and the host's stays\n"
        "  off, and one warning names the device and the reason; the device\n"
        "  enumerates but moves no data.  `pcipt status` shows the mode.\n"
        "\n"
        "Arguments:\n"
        "  DOMID          the guest's domain id (1..32751)\n"
        "  SBDF[@SLOT[.FN]]  host function SSSS:BB:DD.F (or BB:DD.F); @SLOT places\n"
        "                 it at virtual slot 1..31 (default: the lowest free one);\n"
        "                 @SLOT.FN as function FN (0..7) of that slot, e.g. a GPU\n"
        "                 01:00.0@1 and its audio 01:00.1@1.1: attach function 0\n"
        "                 first (the guest finds functions 1..7 only behind it, and\n"
        "                 it leaves last); two functions of a slot may not use the\n"
        "                 same INTx pin (one guest SPI is not shared)\n"
        "\n"
        "Options:\n"
        "  --bind         first hand the function to uio_pci_generic, the holder\n"
        "                 through which the daemon relays INTx (a function held by\n"
        "                 pciback gets no INTx): unbind its driver, set\n"
        "                 driver_override, probe.  uio_pci_generic must then have\n"
        "                 it: if the probe left it unbound because the module is\n"
        "                 not loaded, `modprobe uio_pci_generic` is run and the\n"
        "                 function probed again; if it still is not taken (no\n"
        "                 module, or its probe refused the device), the attach\n"
        "                 fails with the reason.  On any failure the function\n"
        "                 goes back to the driver it had (none: it stays unbound),\n"
        "                 as `xl pci-assignable-remove -r` would do\n"
        "  --force        accept a function without a usable reset method\n"
        "  --unsafe-dma   where the IOMMU cannot isolate the function, let the\n"
        "                 guest's Bus Master reach the host anyway: the guest (and\n"
        "                 any bug in its driver) can then read and write ALL host\n"
        "                 memory; a warning says so.  No effect with an IOMMU\n"
        "  -v             (global) print each BAR's mapping and the hypercall count:\n"
        "                 mapped BAR 0: 0x23000000 <- 0xe0800000, 32 pages, 1 hypercall\n"
        "  --hv xen|sim, --sysfs DIR, --config FILE   (global) see `pcipt --help`\n"
        "\n"
        "Exit status:\n"
        "  0 attached; 1 refused or failed (one line names the device, BAR, domain\n"
        "  or xenstore path at fault; nothing is left behind); 2 usage error.\n"
        "\n"
        "Examples:\n"
        "  pcipt attach 5 0000:01:00.0\n"
        "  pcipt attach 5 0000:01:00.1@1.1\n"
        "  pcipt -v attach --bind 5 0000:03:00.0@4\n",
};
