/* pcipt pci-detach: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_pci_detach(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'pci-detach' is not implemented yet");
}

const struct pcipt_cmd cmd_pci_detach = {
    .name = "pci-detach",
    .run = run_pci_detach,
    .synopsis = "pci-detach",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
