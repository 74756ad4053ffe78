/* pcipt serve: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_serve(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'serve' is not implemented yet");
}

const struct pcipt_cmd cmd_serve = {
    .name = "serve",
    .run = run_serve,
    .synopsis = "serve",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
