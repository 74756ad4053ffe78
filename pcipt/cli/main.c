/* pcipt: the command-line entry point.  Global options are taken from
 * anywhere on the command line, then the subcommand runs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmds.h"
#include "hostbridge/common/log.h"

struct pcipt_env g_opts = { .hv = "xen" };

static const struct pcipt_cmd *const commands[] = {
    &cmd_check, &cmd_list, &cmd_guest_view, &cmd_plan, &cmd_attach, &cmd_detach, &cmd_status,
    &cmd_serve, &cmd_simulate, &cmd_dtb, &cmd_create, &cmd_pci_attach, &cmd_pci_detach,
    &cmd_sim, &cmd_watch, &cmd_pci_assignable_add, &cmd_pci_assignable_list,
    &cmd_pci_assignable_remove,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void main_usage(FILE *f)
{
    fprintf(f,
        "usage: pcipt [GLOBAL OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "Pass host PCI devices through to guests on Xen on Arm (arm64, GICv3):\n"
        "plan guest BAR addresses in Xen's vPCI holes, map them, publish the\n"
        "assignment in xenstore, and serve the guest's config space from a\n"
        "per-domain IOREQ server.\n"
        "\n"
        "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-22s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f,
        "\n"
        "Global options (accepted anywhere on the command line):\n"
        "  --sysfs DIR     read host devices from the sysfs-shaped tree DIR\n"
        "                  (DIR/devices/SSSS:BB:DD.F/...) instead of /sys/bus/pci\n"
        "  --host-dt FILE  the host's flattened device tree (its host bridges' msi-map\n"
        "                  give MSI's host DeviceIDs) instead of /sys/firmware/fdt\n"
        "  --hv xen|sim    hypervisor backend (default xen; sim keeps its state in\n"
        "                  $PCIPT_SIM_DIR, default /run/pcipt-sim)\n"
        "  --config FILE   guest layout overrides (default /etc/xen/pcipt.conf)\n"
        "  -v, --verbose   more detail; for `serve`, a trace of every config access\n"
        "  -h, --help      this text; `pcipt COMMAND --help` for a command\n"
        "\n"
        "Exit status: 0 success, 1 failure, 2 usage error (`status DOMID`: 3 when\n"
        "nothing is published for DOMID).\n"
        "See pcipt(1).\n");
}

int fail(const char *fmt, ...)
{
    va_list ap;
    fputs("pcipt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int usage_error(const struct pcipt_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("pcipt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: pcipt %s\n(see `pcipt %s --help`)\n", cmd->synopsis, cmd->name);
    return EXIT_USAGE;
}

bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

int print_help(const struct pcipt_cmd *cmd)
{
    printf("usage: pcipt %s\n\n%s\n", cmd->synopsis, cmd->help);
    return 0;
}

/* Take the global options out of argv (in place); returns the new argc or
 * -1 after printing a usage error. */
static int take_globals(int argc, char **argv)
{
    int out = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        const char *val = NULL;

        if (!strcmp(a, "--")) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strncmp(a, "--sysfs", 7) && (a[7] == '\0' || a[7] == '='))
            slot = &g_opts.sysfs;
        else if (!strncmp(a, "--host-dt", 9) && (a[9] == '\0' || a[9] == '='))
            slot = &g_opts.host_dt;
        else if (!strncmp(a, "--hv", 4) && (a[4] == '\0' || a[4] == '='))
            slot = &g_opts.hv;
        else if (!strncmp(a, "--config", 8) && (a[8] == '\0' || a[8] == '='))
            slot = &g_opts.config;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            g_opts.verbose++;
            continue;
        } else if (!strcmp(a, "-vv")) {
            g_opts.verbose += 2;
            continue;
        }
        if (!slot) {
            argv[out++] = argv[i];
            continue;
        }
        val = strchr(a, '=');
        if (val) {
            val++;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "pcipt: option %s needs a value\n", a);
            return -1;
        }
        if (!*val) {
            fprintf(stderr, "pcipt: option %.*s needs a non-empty value\n",
                    (int)strcspn(a, "="), a);
            return -1;
        }
        *slot = val;
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    argc = take_globals(argc, argv);
    if (argc < 0)
        return EXIT_USAGE;
    if (strcmp(g_opts.hv, "xen") && strcmp(g_opts.hv, "sim")) {
        fprintf(stderr, "pcipt: unknown hypervisor backend '%s' (use --hv xen or --hv sim)\n",
                g_opts.hv);
        return EXIT_USAGE;
    }
    if (g_opts.verbose >= 2)
        log_set_level(LOG_LVL_TRACE);
    else if (g_opts.verbose == 1)
        log_set_level(LOG_LVL_INFO);

    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (!strcmp(commands[i]->name, argv[2]))
                    return print_help(commands[i]);
        }
        main_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pcipt %s\n", PCIPT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i]->name, argv[1]))
            continue;
        if (wants_help(argc - 1, argv + 1))
            return print_help(commands[i]);
        return commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "pcipt: unknown command '%s'; `pcipt --help` lists the commands\n", argv[1]);
    return EXIT_USAGE;
}
