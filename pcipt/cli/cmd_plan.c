/* pcipt plan [--json] [--domain D] SBDF[@SLOT[.FN]]...: where the given host
 * functions would sit in a guest (virtual SBDF, guest BAR addresses, INTx
 * SPI), without touching anything.  With --domain, on top of what domain D
 * has published (what `pcipt attach` / `pci-attach` plans against), printed
 * as `pcipt status` prints devices.  A dom0 driver or a missing reset
 * method is a warning here, never a refusal (hostpci_check_preview). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmds.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"
#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/util/numarg.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_nodes.h"

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

/* The devices from index first on, as `pcipt status DOMID` prints them
 * (pcipt/cli/cmd_status.c: text_dev), without what only a live attach
 * knows (dma, mapped). */
static void print_status_like(const struct domain_assign *dom, unsigned first)
{
    static const char *const pins[] = { "none", "INTA", "INTB", "INTC", "INTD" };
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN], label[8];

    printf("domain %u, as pci-attach would add:\n", dom->domid);
    for (unsigned i = first; i < dom->ndevs; i++) {
        const struct dev_assign *d = &dom->devs[i];
        printf("  %s -> %s  spi %u (%s)\n", sbdf_format(&d->host, h), sbdf_format(&d->guest, g),
               d->spi, d->intx_pin <= 4 ? pins[d->intx_pin] : "?");
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &d->bars[b];
            if (ba->type == BAR_NONE)
                continue;
            if (ba->type == BAR_ROM)
                snprintf(label, sizeof(label), "ROM");
            else
                snprintf(label, sizeof(label), "BAR%u", b);
            printf("    %-4s %-5s %-4s guest 0x%llx host 0x%llx size 0x%llx\n", label,
                   xsp_bar_type_name(ba->type), ba->prefetchable ? "pref" : "",
                   (unsigned long long)ba->guest, (unsigned long long)ba->host,
                   (unsigned long long)ba->size);
        }
    }
}

/* What domain domid has published now, into dom (empty when nothing).
 * 0, or 1 after printing why not. */
static int load_domain(uint32_t domid, struct domain_assign *dom)
{
    struct xs_handle *xs = xsw_open();
    char err[512];
    int rc;

    if (!xs)
        return fail("cannot reach xenstore at %s: %s", xsw_socket_path(), strerror(errno));
    rc = xsp_read_domain_published(xs, domid, dom, err, sizeof(err));
    xsw_close(xs);
    if (rc == -ENOENT) {
        memset(dom, 0, sizeof(*dom));
        rc = 0;
    }
    dom->domid = domid;
    return rc ? fail("domain %u: %s", domid, rc == -EINVAL ? err : strerror(-rc)) : 0;
}

/* One request from argv[i]; warns (never refuses) for what only a real
 * attach needs.  0, or the exit status. */
static int add_request(const char *arg, struct plan_request *rq)
{
    char err[512];

    if (plan_request_from_arg(g_opts.sysfs, arg, rq, err, sizeof(err)))
        return fail("%s", err);
    cmd_preview_warnings(&rq->host);
    return 0;
}

static int run_plan(int argc, char **argv)
{
    struct plan_request *reqs = calloc(PCIPT_MAX_DEVS, sizeof(*reqs));
    struct domain_assign *dom = calloc(1, sizeof(*dom));
    struct guest_layout lay;
    bool json = false;
    long domid = -1;
    unsigned n = 0, before;
    char err[512];
    int rc = 0;

    if (!reqs || !dom) {
        free(reqs);
        free(dom);
        return fail("out of memory");
    }
    for (int i = 1; i < argc && !rc; i++) {
        uint32_t d = 0;
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--domain")) {
            if (i + 1 >= argc || parse_domid(argv[++i], &d))
                rc = usage_error(&cmd_plan, "--domain takes a guest domain id (1..32751)");
            domid = d;
        } else if (argv[i][0] == '-') {
            rc = usage_error(&cmd_plan, "unknown option '%s'", argv[i]);
        } else if (n == PCIPT_MAX_DEVS) {
            rc = fail("too many devices (at most %d per domain)", PCIPT_MAX_DEVS);
        } else {
            rc = add_request(argv[i], &reqs[n++]);
        }
    }
    if (!rc && n == 0)
        rc = usage_error(&cmd_plan, "no device given");
    if (!rc && guest_layout_load(g_opts.config, g_opts.config != NULL, &lay, err, sizeof(err)))
        rc = fail("%s", err);
    if (!rc && domid >= 0)
        rc = load_domain((uint32_t)domid, dom);
    before = dom->ndevs;
    if (!rc && plan_domain(&lay, dom, reqs, n, err, sizeof(err)))
        rc = fail("%s", err);
    if (!rc) {
        if (json)
            print_json(dom);
        else if (domid >= 0)
            print_status_like(dom, before);
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
    .synopsis = "plan [--json] [--domain DOMID] SBDF[@SLOT[.FN]]...",
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
        "A function bound to a dom0 driver or without a usable reset method is\n"
        "planned as it is, with a warning: a real attach needs --bind / --force.\n"
        "\n"
        "Options:\n"
        "  --json   one JSON object {\"devices\":[{\"sbdf\",\"vsbdf\",\"spi\",\"bars\":[...]}]}\n"
        "           (with --domain: the domain's devices too)\n"
        "  --domain DOMID  plan against the running domain DOMID: on top of the\n"
        "           functions it has published, exactly as `pcipt pci-attach` would\n"
        "           add them (needs xenstore), printed as `pcipt status` prints\n"
        "           devices (without dma and mapped, which only an attach knows)\n"
        "\n"
        "Exit status 1 (with the BAR, its size and the free space named) when the\n"
        "layout does not fit.\n"
        "\n"
        "Example:\n"
        "  pcipt plan 0000:01:00.0@3 0000:02:00.0\n"
        "  pcipt plan --domain 5 0000:03:00.0",
};
