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
    struct dev_args a;
    int rc;
    struct attach_ctx ctx;
    struct sbdf guest;
    pid_t pid;
    bool started;
    struct hostpci_handover ho;
    char err[1024], e2[512], h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    if ((rc = cmd_parse_dev_args(&cmd_pci_attach, argc, argv, DEV_ARGS_VSLOT | DEV_ARGS_BIND,
                                 &a)))
        return rc;
    if (g_opts.verbose)
        a.attach_flags |= ATTACH_VERBOSE;
    if ((rc = cmd_ctx_open(&ctx, true)))
        return rc;
    ctx.handover = &ho;
    rc = attach_device(&ctx, a.domid, &a.host, a.slot, a.fn, a.attach_flags, &guest, err,
                       sizeof(err));
    if (!rc && (rc = daemon_ensure(&g_opts, ctx.xs, a.domid, &pid, &started, err, sizeof(err)))) {
        if (detach_device(&ctx, a.domid, &a.host, e2, sizeof(e2))) {
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
           sbdf_format(&a.host, h), a.domid, sbdf_format(&guest, g),
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
