/* pcipt plan: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_plan(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'plan' is not implemented yet");
}

const struct pcipt_cmd cmd_plan = {
    .name = "plan",
    .run = run_plan,
    .synopsis = "plan",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
