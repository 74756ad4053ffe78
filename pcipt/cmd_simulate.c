/* pcipt simulate: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_simulate(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'simulate' is not implemented yet");
}

const struct pcipt_cmd cmd_simulate = {
    .name = "simulate",
    .run = run_simulate,
    .synopsis = "simulate",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
