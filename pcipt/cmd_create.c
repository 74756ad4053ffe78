/* pcipt create: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_create(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'create' is not implemented yet");
}

const struct pcipt_cmd cmd_create = {
    .name = "create",
    .run = run_create,
    .synopsis = "create",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
