/* The pcipt subcommands.  Each lives in pcipt/cli/cmd_<name>.c and gets argv
 * with argv[0] = the subcommand name and the global options already removed
 * (see pcipt/cli/main.c).  Return the process exit status:
 *   0 success, 1 failure (a one-line message was printed), 2 usage error. */
#ifndef PCIPT_CMDS_H
#define PCIPT_CMDS_H

#include <stdbool.h>

#include "pcipt/util/env.h"

#define EXIT_USAGE 2

/* The global options, filled once by main.c: --sysfs DIR, --host-dt FILE,
 * --hv xen|sim (default "xen"), --config FILE, -v/--verbose (repeatable).
 * Commands pass &g_opts to the library as its environment. */
extern struct pcipt_env g_opts;

struct pcipt_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;   /* one line: "list [--json]" */
    const char *summary;    /* one line of what it does */
    const char *help;       /* the full usage text (options, examples) */
};

extern const struct pcipt_cmd cmd_list, cmd_guest_view, cmd_plan, cmd_attach, cmd_detach,
    cmd_status, cmd_serve, cmd_simulate, cmd_dtb, cmd_create, cmd_pci_attach,
    cmd_pci_detach, cmd_sim, cmd_watch, cmd_check, cmd_pci_assignable_add,
    cmd_pci_assignable_list, cmd_pci_assignable_remove;

/* Print "pcipt: <msg>\n" to stderr; returns 1 (for `return fail(...)`). */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error and the command's synopsis; returns EXIT_USAGE. */
int usage_error(const struct pcipt_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* true if argv holds -h/--help: the caller prints cmd->help and returns 0. */
bool wants_help(int argc, char **argv);
int print_help(const struct pcipt_cmd *cmd);

#endif
