/* pcipt detach: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_detach(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'detach' is not implemented yet");
}

const struct pcipt_cmd cmd_detach = {
    .name = "detach",
    .run = run_detach,
    .synopsis = "detach",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
