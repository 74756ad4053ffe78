/* pcipt attach: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_attach(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'attach' is not implemented yet");
}

const struct pcipt_cmd cmd_attach = {
    .name = "attach",
    .run = run_attach,
    .synopsis = "attach",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
