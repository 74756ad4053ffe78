/* pcipt pci-attach DOMID SBDF[@SLOT[.FN]]: what `xl pci-attach` would do, where
 * xl cannot (no PCI passthrough on Arm before Xen 4.21): attach the
 * function (pcipt/assign/attach.h), make sure a daemon serves the domain (start
 * one if none: pcipt/xl/launch.h), and tell the operator how the guest
 * picks the device up. */
#include <stdio.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/xl/launch.h"

static int run_pci_attach(int argc, char **argv)
{
    const char *pos[2];
    int npos = 0, slot, fn, rc;
    unsigned flags = 0;
    struct attach_ctx ctx;
    struct sbdf host, guest;
    uint32_t domid;
    pid_t pid;
    bool started;
    struct hostpci_handover ho;
    char err[1024], e2[512], h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bind"))
            flags |= ATTACH_BIND;
        else if (!strcmp(argv[i], "--force"))
            flags |= ATTACH_FORCE;
        else if (!strcmp(argv[i], "--unsafe-dma"))
            flags |= ATTACH_UNSAFE_DMA;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error(&cmd_pci_attach, "unknown option '%s'", argv[i]);
        else if (npos == 2)
            return usage_error(&cmd_pci_attach, "unexpected argument '%s'", argv[i]);
        else
            pos[npos++] = argv[i];
    }
    if (npos < 2)
        return usage_error(&cmd_pci_attach, "give a domain id and a device");
    if (cmd_parse_domid(pos[0], &domid))
        return usage_error(&cmd_pci_attach, "'%s' is not a guest domain id (1..32751)", pos[0]);
    if (sbdf_parse_vslot(pos[1], &host, &slot, &fn))
        return usage_error(&cmd_pci_attach, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..31, "
                           "function 0..7)", pos[1]);
    if (g_opts.verbose)
        flags |= ATTACH_VERBOSE;
    if ((rc = cmd_ctx_open(&ctx, true)))
        return rc;
    ctx.handover = &ho;
    rc = attach_device(&ctx, domid, &host, slot, fn, flags, &guest, err, sizeof(err));
    if (!rc && (rc = daemon_ensure(ctx.xs, domid, &pid, &started, err, sizeof(err)))) {
        if (detach_device(&ctx, domid, &host, e2, sizeof(e2))) {
            fprintf(stderr, "pcipt: undo: %s\n", e2);
        } else {
            strncat(err, "; the device was detached again", sizeof(err) - strlen(err) - 1);
            (void)attach_give_back(&ctx, &ho, "; also ", false, err, sizeof(err));
        }
    }
    cmd_ctx_close(&ctx);
    if (rc)
        return fail("pci-attach: %s", err);
    printf("attached %s to domain %u as %s; %s daemon (pid %d) serves it\n",
           sbdf_format(&host, h), domid, sbdf_format(&guest, g),
           started ? "started the domain's" : "the domain's", (int)pid);
    printf("in the guest, run: echo 1 > /sys/bus/pci/rescan\n");
    return 0;
}

const struct pcipt_cmd cmd_pci_attach = {
    .name = "pci-attach",
    .run = run_pci_attach,
    .synopsis = "pci-attach [--bind] [--force] [--unsafe-dma] DOMID SBDF[@SLOT[.FN]]",
    .summary = "hot-plug a host PCI function into a running guest (xl pci-attach's job)",
    .help =
        "Description:\n"
        "  Use where `xl pci-attach` would be used: xl cannot assign PCI devices on\n"
        "  Arm before Xen 4.21.  Attaches SBDF to the running domain DOMID exactly as\n"
        "  `pcipt attach` does, then makes sure a daemon serves the domain: if none\n"
        "  runs (none holds its lock /run/pcipt/serve/domDOMID) it starts one\n"
        "  (`systemctl start pciptd@DOMID`, or `pcipt serve DOMID` logging to\n"
        "  /var/log/xen/pcipt-serve-DOMID.log) and waits until it is ready; a\n"
        "  daemon that cannot start undoes the attach (--bind's hand-over too).\n"
        "  The guest sees the new function after a rescan of its PCI bus:\n"
        "      echo 1 > /sys/bus/pci/rescan          (in the guest)\n"
        "\n"
        "Options: --bind, --force, --unsafe-dma as for `pcipt attach`.\n"
        "Exit status: 0 attached and served; 1 failed (nothing left); 2 usage error.\n"
        "Example:  pcipt pci-attach 5 0000:01:00.0@3\n",
};
