/* pcipt check [--json] [SBDF...]: is this host ready for passthrough?  One
 * line per check (pcipt/check/check.h): OK, WARN or MISSING, what was found
 * and what to do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/check/check.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/util/jsonw.h"
#include "pcipt/util/testenv.h"

static void print_text(const struct check_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const struct check_item *it = &rep->items[i];
        printf("%-7s  %-24s  %s\n", check_status_name(it->status), it->name, it->found);
        if (it->todo[0])
            printf("%-7s  %-24s  -> %s\n", "", "", it->todo);
    }
    printf("pcipt check: %zu OK, %zu WARN, %zu MISSING%s\n", check_count(rep, CHECK_OK),
           check_count(rep, CHECK_WARN), check_count(rep, CHECK_MISSING),
           rep->dom0 ? "" : " (this machine is not a Xen dom0)");
}

static void print_json(const struct check_report *rep)
{
    printf("{\"dom0\":%s,\"checks\":[", rep->dom0 ? "true" : "false");
    for (size_t i = 0; i < rep->n; i++) {
        const struct check_item *it = &rep->items[i];
        printf("%s{\"name\":", i ? "," : "");
        json_str(stdout, it->name);
        printf(",\"status\":\"%s\",\"found\":", check_status_name(it->status));
        json_str(stdout, it->found);
        printf(",\"todo\":");
        json_str(stdout, it->todo[0] ? it->todo : NULL);
        printf("}");
    }
    printf("],\"ok\":%zu,\"warn\":%zu,\"missing\":%zu}\n", check_count(rep, CHECK_OK),
           check_count(rep, CHECK_WARN), check_count(rep, CHECK_MISSING));
}

static int run_check(int argc, char **argv)
{
    struct check_env env = { .hv_name = g_opts.hv, .sysfs = g_opts.sysfs,
                             .host_dt = g_opts.host_dt, .xen_caps = test_env("PCIPT_XEN_CAPS") };
    struct sbdf *devs = calloc((size_t)argc, sizeof(*devs));
    struct check_report rep;
    size_t n = 0;
    bool json = false;
    int rc;

    if (!devs)
        return fail("out of memory");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (argv[i][0] == '-' || sbdf_parse(argv[i], &devs[n]) < 0) {
            free(devs);
            return usage_error(&cmd_check, "'%s' is neither --json nor a PCI address "
                               "(SSSS:BB:DD.F)", argv[i]);
        } else {
            n++;
        }
    }
    rc = check_run(&env, n ? devs : NULL, n, &rep);
    free(devs);
    if (rc < 0)
        return fail("check: out of memory");
    if (json)
        print_json(&rep);
    else
        print_text(&rep);
    rc = check_count(&rep, CHECK_MISSING) ? 1 : 0;
    check_report_free(&rep);
    return rc;
}

const struct pcipt_cmd cmd_check = {
    .name = "check",
    .run = run_check,
    .synopsis = "check [--json] [SBDF...]",
    .summary = "is this host ready for passthrough? (run it first)",
    .help =
        "Reports, one line per check, whether this host has what passthrough\n"
        "needs: OK, WARN (it works, with a limit to know) or MISSING (something\n"
        "is not there), what was found, and on a second line (->) what to do.\n"
        "It reads only; nothing on the host changes.\n"
        "\n"
        "Checks:\n"
        "  dom0         this is a Xen dom0 (/proc/xen/capabilities says control_d)\n"
        "  xen-version  the hypervisor's version (4.17 or later)\n"
        "  ioreq        Xen has IOREQ servers (CONFIG_IOREQ_SERVER, from hypfs\n"
        "               /buildinfo/config)\n"
        "  smmu         Xen can assign PCI functions to the SMMU: pcipt's patch\n"
        "               series or Xen 4.21+ with CONFIG_PCI_PASSTHROUGH; without it\n"
        "               devices get DMA off\n"
        "  iommu-map    every PCI host bridge of the host device tree maps its\n"
        "               functions to the SMMU\n"
        "  its          a GICv3 ITS and msi-map on the host bridges (for MSI)\n"
        "  holder       dom0's uio_pci_generic, which relays INTx, is loaded or\n"
        "               loadable\n"
        "  xenstored    xenstored answers\n"
        "  SBDF ...     per function (every endpoint, or the SBDFs given): its\n"
        "               reset method, sub-page BARs sharing a host page with\n"
        "               another function, other functions in its slot, I/O BARs\n"
        "\n"
        "Options:\n"
        "  --json   one JSON object: {\"dom0\":BOOL,\"checks\":[{\"name\",\"status\",\n"
        "           \"found\",\"todo\"}...],\"ok\":N,\"warn\":N,\"missing\":N}\n"
        "\n"
        "With --hv sim the simulated hypervisor is checked; its build configuration\n"
        "is $PCIPT_SIM_DIR/buildinfo-config when that file exists.\n"
        "\n"
        "Exit status: 0 when nothing is MISSING, 1 otherwise (also on a machine\n"
        "that is not a Xen dom0, after the report), 2 for a usage error.\n"
        "\n"
        "Examples:\n"
        "  pcipt check\n"
        "  pcipt check 0000:01:00.0\n"
        "  pcipt check --json\n",
};
