/* pcipt list [--json]: every host PCI function with what passthrough needs
 * to know: IDs, class, BARs, driver, IRQ, reset method. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/cli/cmds.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/util/jsonw.h"
#include "pcipt/assign/plan.h"

struct list_state {
    bool json;
    unsigned count;
};

static void print_bar_human(unsigned i, const struct host_bar *b)
{
    char sz[32];

    if (i == PCI_ROM_SLOT)
        printf("    ROM   ");
    else
        printf("    BAR %u ", i);
    printf(" %-5s %-16s 0x%016" PRIx64 "  %s\n", bar_type_name(b->type),
           b->type == BAR_IO || b->type == BAR_ROM ? ""
           : b->prefetchable ? "prefetchable" : "non-prefetchable",
           b->addr, format_size(b->size, sz, sizeof(sz)));
}

static void print_human(struct hostpci *hp)
{
    const struct hostpci_info *in = hostpci_info(hp);
    const struct host_dev *hd = hostpci_host_dev(hp);
    char name[SBDF_STR_LEN], reset[40];

    if (!in->reset_known)
        snprintf(reset, sizeof(reset), "unknown");
    else
        snprintf(reset, sizeof(reset), "%.39s", in->reset_method[0] ? in->reset_method : "none");
    printf("%s  %04x:%04x  %06x  %-16s %5u  %s%s\n", sbdf_format(&hd->addr, name), in->vendor,
           in->device, in->class_code, in->driver[0] ? in->driver : "-", hd->irq, reset,
           in->header_type ? " (bridge)" : "");
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        if (hd->bars[i].type != BAR_NONE)
            print_bar_human(i, &hd->bars[i]);
}

static void print_json(struct hostpci *hp, bool first)
{
    const struct hostpci_info *in = hostpci_info(hp);
    const struct host_dev *hd = hostpci_host_dev(hp);
    char name[SBDF_STR_LEN];
    bool firstbar = true;

    printf("%s{\"sbdf\":\"%s\",\"vendor\":\"0x%04x\",\"device\":\"0x%04x\","
           "\"subsystem_vendor\":\"0x%04x\",\"subsystem_device\":\"0x%04x\","
           "\"class\":\"0x%06x\",\"revision\":%u,\"header_type\":%u,\"driver\":",
           first ? "" : ",", sbdf_format(&hd->addr, name), in->vendor, in->device,
           in->subsys_vendor, in->subsys_device, in->class_code, in->revision,
           in->header_type);
    json_str(stdout, in->driver[0] ? in->driver : NULL);
    printf(",\"irq\":%u,\"intx_pin\":%u,\"reset_method\":", hd->irq, in->intx_pin);
    json_str(stdout, in->reset_known ? in->reset_method : NULL);
    printf(",\"numa_node\":%d,\"bars\":[", in->numa_node);
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct host_bar *b = &hd->bars[i];
        if (b->type == BAR_NONE)
            continue;
        printf("%s{\"index\":%u,\"type\":\"%s\",\"prefetchable\":%s,\"address\":\"0x%" PRIx64
               "\",\"size\":\"0x%" PRIx64 "\"}", firstbar ? "" : ",", i, bar_type_name(b->type),
               b->prefetchable ? "true" : "false", b->addr, b->size);
        firstbar = false;
    }
    printf("]}");
}

static void print_header(const struct list_state *st)
{
    if (st->json)
        printf("{\"devices\":[");
    else
        printf("%-12s  %-9s  %-6s  %-16s %5s  %s\n", "SBDF", "ID", "CLASS", "DRIVER", "IRQ",
               "RESET");
}

static int list_one(struct hostpci *hp, void *opaque)
{
    struct list_state *st = opaque;

    if (st->count == 0)
        print_header(st);
    if (st->json)
        print_json(hp, st->count == 0);
    else
        print_human(hp);
    st->count++;
    return 0;
}

static int run_list(int argc, char **argv)
{
    struct list_state st = { 0 };
    char err[512];
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            st.json = true;
        else
            return usage_error(&cmd_list, "unexpected argument '%s'", argv[i]);
    }
    rc = hostpci_foreach(g_opts.sysfs, list_one, &st, err, sizeof(err));
    if (rc) {
        fflush(stdout);
        return fail("%s", err);
    }
    if (st.count == 0)
        print_header(&st);
    if (st.json)
        printf("]}\n");
    return 0;
}

const struct pcipt_cmd cmd_list = {
    .name = "list",
    .run = run_list,
    .synopsis = "list [--json]",
    .summary = "list host PCI functions: IDs, class, BARs, driver, IRQ, reset method",
    .help =
        "Lists every PCI function under /sys/bus/pci (or the tree given with\n"
        "--sysfs DIR): SBDF, vendor:device, class code, bound driver, host IRQ,\n"
        "reset method (\"unknown\" when sysfs has no reset_method file, \"none\"\n"
        "when it is empty), and each BAR: index, type (mem32, mem64, io, rom),\n"
        "prefetchable, host address and size (from sysfs `resource`).\n"
        "\n"
        "Options:\n"
        "  --json   one JSON object {\"devices\":[...]} instead of the table\n"
        "\n"
        "Example:\n"
        "  pcipt list\n"
        "  pcipt --sysfs /tmp/tree list --json",
};
