/* pcipt list: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_list(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'list' is not implemented yet");
}

const struct pcipt_cmd cmd_list = {
    .name = "list",
    .run = run_list,
    .synopsis = "list",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
