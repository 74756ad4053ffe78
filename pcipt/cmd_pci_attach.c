/* pcipt pci-attach: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_pci_attach(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'pci-attach' is not implemented yet");
}

const struct pcipt_cmd cmd_pci_attach = {
    .name = "pci-attach",
    .run = run_pci_attach,
    .synopsis = "pci-attach",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
