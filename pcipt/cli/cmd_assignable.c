/* pcipt pci-assignable-add / pci-assignable-list / pci-assignable-remove:
 * xl's commands of the same names (pcipt/assign/assignable.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/assign/assignable.h"
#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/util/jsonw.h"

/* The one SBDF argument (and -r where rebind is non-NULL). */
static int parse_one(const struct pcipt_cmd *cmd, int argc, char **argv, bool *rebind,
                     struct sbdf *host)
{
    const char *pos = NULL;

    for (int i = 1; i < argc; i++) {
        if (rebind && !strcmp(argv[i], "-r"))
            *rebind = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (pos)
            return usage_error(cmd, "unexpected argument '%s'", argv[i]);
        else
            pos = argv[i];
    }
    if (!pos)
        return usage_error(cmd, "give a device (SSSS:BB:DD.F)");
    if (sbdf_parse(pos, host))
        return usage_error(cmd, "'%s' is not SSSS:BB:DD.F", pos);
    return 0;
}

static int run_add(int argc, char **argv)
{
    struct sbdf host;
    struct hostpci_handover ho;
    char err[1024], name[SBDF_STR_LEN];
    bool already;
    int rc;

    if ((rc = parse_one(&cmd_pci_assignable_add, argc, argv, NULL, &host)))
        return rc;
    if (assignable_add(g_opts.sysfs, &host, &already, err, sizeof(err)))
        return fail("pci-assignable-add: %s", err);
    sbdf_format(&host, name);
    if (already)
        printf("%s was already held by %s\n", name, ATTACH_HOLDER);
    else if (!assignable_record_read(&host, &ho) && ho.driver[0])
        printf("%s is assignable: held by %s (it had '%s')\n", name, ATTACH_HOLDER, ho.driver);
    else
        printf("%s is assignable: held by %s (it had no driver)\n", name, ATTACH_HOLDER);
    return 0;
}

struct list_state {
    bool json;
    unsigned count;
};

static int list_one(struct hostpci *hp, void *opaque)
{
    struct list_state *ls = opaque;
    const struct hostpci_info *in = hostpci_info(hp);
    struct sbdf addr = hostpci_host_dev(hp)->addr;
    struct hostpci_handover ho;
    char name[SBDF_STR_LEN];
    bool recorded = !assignable_record_read(&addr, &ho);

    if (!hostpci_is_holder(in->driver))
        return 0;
    sbdf_format(&addr, name);
    if (!ls->json) {
        printf("%s\n", name);
    } else {
        printf("%s{\"sbdf\":\"%s\",\"holder\":", ls->count ? "," : "", name);
        json_str(stdout, in->driver);
        printf(",\"previous_driver\":");
        json_str(stdout, recorded && ho.driver[0] ? ho.driver : NULL);
        printf("}");
    }
    ls->count++;
    return 0;
}

static int run_list(int argc, char **argv)
{
    struct list_state ls = { 0 };
    char err[512];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            ls.json = true;
        else
            return usage_error(&cmd_pci_assignable_list, "unexpected argument '%s'", argv[i]);
    }
    if (ls.json)
        printf("[");
    if (hostpci_foreach(g_opts.sysfs, list_one, &ls, err, sizeof(err)))
        return fail("pci-assignable-list: %s", err);
    if (ls.json)
        printf("]\n");
    return 0;
}

static int run_remove(int argc, char **argv)
{
    struct sbdf host;
    struct attach_ctx ctx;
    bool rebind = false;
    char err[1024], note[512], now[64], name[SBDF_STR_LEN];
    int rc;

    if ((rc = parse_one(&cmd_pci_assignable_remove, argc, argv, &rebind, &host)))
        return rc;
    if ((rc = cmd_ctx_open(&ctx, false)))
        return rc;
    rc = assignable_remove(&ctx, &host, rebind, now, sizeof(now), note, sizeof(note), err,
                           sizeof(err));
    cmd_ctx_close(&ctx);
    if (rc)
        return fail("pci-assignable-remove: %s", err);
    sbdf_format(&host, name);
    if (note[0])
        fprintf(stderr, "pcipt: warning: %s: %s\n", name, note);
    if (now[0])
        printf("%s is back with '%s'\n", name, now);
    else
        printf("%s is no longer assignable (left without a driver)\n", name);
    return 0;
}

const struct pcipt_cmd cmd_pci_assignable_add = {
    .name = "pci-assignable-add",
    .run = run_add,
    .synopsis = "pci-assignable-add SBDF",
    .summary = "make a host function assignable (xl pci-assignable-add's job)",
    .help =
        "Description:\n"
        "  Hand SBDF to " ATTACH_HOLDER " (the holder the daemon relays INTx from),\n"
        "  loading its module if needed, and remember the driver it had in\n"
        "  $PCIPT_RUN_DIR/assignable/SBDF (default /run/pcipt) for\n"
        "  `pci-assignable-remove -r`.  A bridge is refused.\n"
        "\n"
        "Exit status: 0 assignable; 1 failed (one line says why; nothing changed);\n"
        "2 usage error.\n"
        "Example:  pcipt pci-assignable-add 0000:01:00.0\n",
};

const struct pcipt_cmd cmd_pci_assignable_list = {
    .name = "pci-assignable-list",
    .run = run_list,
    .synopsis = "pci-assignable-list [--json]",
    .summary = "list host functions held for passthrough (xl pci-assignable-list's job)",
    .help =
        "Description:\n"
        "  One SBDF per line, as xl prints them: every function bound to a\n"
        "  passthrough holder (" ATTACH_HOLDER ", vfio-pci, pciback).  --json:\n"
        "  [{\"sbdf\", \"holder\", \"previous_driver\" (null when unknown)}].\n"
        "\n"
        "Exit status: 0; 1 the PCI tree cannot be read; 2 usage error.\n"
        "Example:  pcipt pci-assignable-list\n",
};

const struct pcipt_cmd cmd_pci_assignable_remove = {
    .name = "pci-assignable-remove",
    .run = run_remove,
    .synopsis = "pci-assignable-remove [-r] SBDF",
    .summary = "give a host function back to dom0 (xl pci-assignable-remove's job)",
    .help =
        "Description:\n"
        "  Refused while SBDF is attached to a domain (pcipt pci-detach first).\n"
        "  Takes it out of Xen's quarantine (a function whose domain died stays\n"
        "  owned by DOMID_IO), lets the holder go and restores driver_override.\n"
        "  -r  rebind it to the driver it had before pci-assignable-add; without\n"
        "      a record of one (e.g. after `attach --bind`), let the kernel probe\n"
        "      it.  Without -r it is left without a driver, as with xl.\n"
        "\n"
        "Exit status: 0 given back; 1 failed (one line says why); 2 usage error.\n"
        "Example:  pcipt pci-assignable-remove -r 0000:01:00.0\n",
};
