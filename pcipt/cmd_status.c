/* pcipt status: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_status(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'status' is not implemented yet");
}

const struct pcipt_cmd cmd_status = {
    .name = "status",
    .run = run_status,
    .synopsis = "status",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
