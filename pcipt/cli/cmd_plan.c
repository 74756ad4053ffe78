/* pcipt plan [--json] SBDF[@SLOT[.FN]]...: where the given host functions would
 * sit in a guest (virtual SBDF, guest BAR addresses, INTx SPI), without
 * touching anything. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmds.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"

static void print_json(const struct domain_assign *dom)
{
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    printf("{\"devices\":[");
    for (unsigned i = 0; i < dom->ndevs; i++) {
        const struct dev_assign *d = &dom->devs[i];
        bool first = true;
        printf("%s{\"sbdf\":\"%s\",\"vsbdf\":\"%s\",\"spi\":%u,\"bars\":[", i ? "," : "",
               sbdf_format(&d->host, h), sbdf_format(&d->guest, g), d->spi);
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &d->bars[b];
            if (ba->type == BAR_NONE)
                continue;
            printf("%s{\"index\":%u,\"type\":\"%s\",\"prefetchable\":%s,\"host\":\"0x%" PRIx64
                   "\",\"guest\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64 "\"}",
                   first ? "" : ",", b, bar_type_name(ba->type),
                   ba->prefetchable ? "true" : "false", ba->host, ba->guest, ba->size);
            first = false;
        }
        printf("]}");
    }
    printf("]}\n");
}

static void print_human(const struct domain_assign *dom)
{
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN], sz[32];

    for (unsigned i = 0; i < dom->ndevs; i++) {
        const struct dev_assign *d = &dom->devs[i];
        printf("%s -> guest %s", sbdf_format(&d->host, h), sbdf_format(&d->guest, g));
        if (d->spi)
            printf("  INT%c -> SPI %u", 'A' + d->intx_pin - 1, d->spi);
        printf("\n");
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &d->bars[b];
            if (ba->type == BAR_NONE)
                continue;
            char label[8];
            if (b == PCI_ROM_SLOT)
                snprintf(label, sizeof(label), "ROM");
            else
                snprintf(label, sizeof(label), "BAR %u", b);
            printf("  %-6s %-5s host 0x%016" PRIx64, label, bar_type_name(ba->type), ba->host);
            if (ba->type == BAR_IO)
                printf("  (I/O: not mapped on Arm)");
            else
                printf(" -> guest 0x%016" PRIx64, ba->guest);
            printf("  %s%s\n", format_size(ba->size, sz, sizeof(sz)),
                   ba->prefetchable ? " prefetchable" : "");
        }
    }
}

static int run_plan(int argc, char **argv)
{
    struct plan_request *reqs = calloc(PCIPT_MAX_DEVS, sizeof(*reqs));
    struct domain_assign *dom = calloc(1, sizeof(*dom));
    struct guest_layout lay;
    bool json = false;
    unsigned n = 0;
    char err[512];
    int rc = 0;

    if (!reqs || !dom) {
        free(reqs);
        free(dom);
        return fail("out of memory");
    }
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (argv[i][0] == '-') {
            rc = usage_error(&cmd_plan, "unknown option '%s'", argv[i]);
        } else if (n == PCIPT_MAX_DEVS) {
            rc = fail("too many devices (at most %d per domain)", PCIPT_MAX_DEVS);
        } else if (plan_request_from_arg(g_opts.sysfs, argv[i], &reqs[n++], err, sizeof(err))) {
            rc = fail("%s", err);
        }
    }
    if (!rc && n == 0)
        rc = usage_error(&cmd_plan, "no device given");
    if (!rc && guest_layout_load(g_opts.config, g_opts.config != NULL, &lay, err, sizeof(err)))
        rc = fail("%s", err);
    if (!rc && plan_domain(&lay, dom, reqs, n, err, sizeof(err)))
        rc = fail("%s", err);
    if (!rc) {
        if (json)
            print_json(dom);
        else
            print_human(dom);
    }
    free(reqs);
    free(dom);
    return rc;
}

const struct pcipt_cmd cmd_plan = {
    .name = "plan",
    .run = run_plan,
    .synopsis = "plan [--json] SBDF[@SLOT[.FN]]...",
    .summary = "show where host functions would sit in a guest (dry run)",
    .help =
        "Plans one guest's passthrough of the given host functions, touching\n"
        "nothing: the virtual SBDF (0000:00:SLOT.FN; @SLOT picks the slot, 1..31,\n"
        "else the lowest free; @SLOT.FN also the function, 0..7, else 0: a slot\n"
        "with functions 1..7 needs a function 0, and its functions may not share\n"
        "an INTx pin), each BAR's guest address and the SPI its INTx raises.\n"
        "32-bit BARs and the ROM go in the low hole (0x23000000, 256 MiB),\n"
        "64-bit prefetchable BARs in the high hole (4 GiB at 4 GiB), 64-bit\n"
        "non-prefetchable ones low when they fit; naturally aligned, largest\n"
        "first; sub-page BARs keep their offset in the page; I/O BARs are not\n"
        "mapped.  The holes and the SPI range come from Xen's arch-arm.h and\n"
        "may be overridden in the --config file (default /etc/xen/pcipt.conf):\n"
        "  vpci_mem_base, vpci_mem_size, vpci_prefetch_base, vpci_prefetch_size,\n"
        "  vpci_ecam_base, vpci_ecam_size, intx_spi_base, intx_spi_count\n"
        "\n"
        "Options:\n"
        "  --json   one JSON object {\"devices\":[{\"sbdf\",\"vsbdf\",\"spi\",\"bars\":[...]}]}\n"
        "\n"
        "Exit status 1 (with the BAR, its size and the free space named) when the\n"
        "layout does not fit.\n"
        "\n"
        "Example:\n"
        "  pcipt plan 0000:01:00.0@3 0000:02:00.0",
};
