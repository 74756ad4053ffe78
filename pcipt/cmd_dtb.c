/* pcipt dtb: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_dtb(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'dtb' is not implemented yet");
}

const struct pcipt_cmd cmd_dtb = {
    .name = "dtb",
    .run = run_dtb,
    .synopsis = "dtb",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
