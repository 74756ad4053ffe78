/* pcipt guest-view: placeholder until its issue lands (prints that it is missing). */
#include "pcipt/cmds.h"

static int run_guest_view(int argc, char **argv)
{
    (void)argc; (void)argv;
    return fail("'guest-view' is not implemented yet");
}

const struct pcipt_cmd cmd_guest_view = {
    .name = "guest-view",
    .run = run_guest_view,
    .synopsis = "guest-view",
    .summary = "(not implemented yet)",
    .help = "Not implemented yet.",
};
