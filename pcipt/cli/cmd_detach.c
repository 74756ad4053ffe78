/* pcipt detach DOMID SBDF: take a passed-through function out of a guest
 * (pcipt/assign/attach.h). */
#include <stdio.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"

static int run_detach(int argc, char **argv)
{
    struct dev_args a;
    struct attach_ctx ctx;
    char err[512], h[SBDF_STR_LEN];
    int rc;

    if ((rc = cmd_parse_dev_args(&cmd_detach, argc, argv, DEV_ARGS_DASHDASH, &a)))
        return rc;
    if ((rc = cmd_ctx_open(&ctx, false)))
        return rc;
    rc = detach_device(&ctx, a.domid, &a.host, err, sizeof(err));
    cmd_ctx_close(&ctx);
    if (rc)
        return fail("%s", err);
    printf("detached %s from domain %u\n", sbdf_format(&a.host, h), a.domid);
    return 0;
}

const struct pcipt_cmd cmd_detach = {
    .name = "detach",
    .run = run_detach,
    .synopsis = "detach DOMID SBDF",
    .summary = "take a passed-through PCI function out of a guest",
    .help =
        "Description:\n"
        "  Takes the host function SBDF away from guest DOMID.  If a live daemon\n"
        "  serves the domain (one holds the lock /run/pcipt/serve/domDOMID),\n"
        "  detach sets pcipt/dev-N/detach to 1 and waits, up to 10 seconds, for\n"
        "  the daemon to remove it from the guest's bus, unmap its BARs and\n"
        "  answer 2 (libxl's state-N is left to libxl); a daemon that does not\n"
        "  answer is warned about and detach goes on.  Then it unmaps every BAR\n"
        "  where its p2m record (pcipt/dev-N/bar-I/mapped) says it is mapped,\n"
        "  revokes the domain's access to the BARs and removes the device's\n"
        "  xenstore nodes (the whole backend directory with the last device).\n"
        "  For a domain that no longer exists only the xenstore nodes are\n"
        "  removed: its mappings and permissions died with it.  If unmapping or\n"
        "  revoking fails, the device stays published (its records say what is\n"
        "  still mapped) and running detach again finishes the job.\n"
        "\n"
        "Arguments:\n"
        "  DOMID    the guest's domain id (1..32751)\n"
        "  SBDF     host function SSSS:BB:DD.F (or BB:DD.F), as given to attach\n"
        "\n"
        "Options:\n"
        "  --hv xen|sim, --sysfs DIR   (global) see `pcipt --help`\n"
        "\n"
        "Exit status:\n"
        "  0 detached; 1 not attached or a step failed (one line names the device,\n"
        "  BAR, domain or xenstore path); 2 usage error.\n"
        "\n"
        "Examples:\n"
        "  pcipt detach 5 0000:01:00.0\n",
};
