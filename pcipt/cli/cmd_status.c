/* pcipt status [DOMID] [--json]: what xenstore says is passed through,
 * where each BAR sits, and which daemon serves the domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmds.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_nodes.h"
#include "pcipt/xs/xs_paths.h"

#define MAX_DOMAINS 256
/* `status DOMID` for a domain with nothing published: not a failure to
 * read, so a script can tell it from xenstore being unreachable (1). */
#define EXIT_NOT_PUBLISHED 3

static const char *pin_name(uint8_t pin)
{
    static const char *const names[] = { "none", "INTA", "INTB", "INTC", "INTD" };
    return pin <= 4 ? names[pin] : "?";
}

static void text_server(uint32_t domid, int src, const struct xsp_server *srv)
{
    printf("domain %u:", domid);
    if (src) {
        printf(" no daemon recorded\n");
        return;
    }
    printf(" ioreq server %u, daemon pid %d, ports", srv->id, srv->pid);
    for (unsigned v = 0; v < srv->nr_vcpus; v++)
        printf("%s%u", v ? "," : " ", srv->ports[v]);
    printf("\n");
}

/* The BAR's p2m record (docs/design/attach.md "Hand-over: p2m records"): 1 and *gaddr when
 * recorded (0 = "none"), 0 when the device was published without one. */
static struct xs_handle *g_xs;
static uint32_t g_domid;

static int mapped_record(const struct dev_assign *d, unsigned bar, uint64_t *gaddr)
{
    return xsp_read_bar_mapped(g_xs, g_domid, &d->host, bar, gaddr) == 0;
}

/* pcipt/assign/dma.h: through the IOMMU, off, or NOT isolated. */
static const char *dma_text(enum dev_dma m)
{
    return m == DEV_DMA_IOMMU ? "iommu" : m == DEV_DMA_UNSAFE ? "unsafe (NOT isolated)" : "off";
}

static void text_dev(const struct dev_assign *d)
{
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    printf("  %s -> %s  spi %u (%s)  dma %s  msi %s", sbdf_format(&d->host, h),
           sbdf_format(&d->guest, g), d->spi, pin_name(d->intx_pin), dma_text(d->dma),
           dev_msi_name(d->msi));
    if (d->msi == DEV_MSI_VITS)
        printf(" (guest DeviceID 0x%x, host DeviceID 0x%x)", d->its_guest_devid,
               d->its_host_devid);
    printf("%s", d->force ? "  forced" : "");
    if (d->reset[0])                /* pcipt/host/host_reset.h; "" = not recorded */
        printf("  reset %s", d->reset);
    printf("\n");
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &d->bars[i];
        if (b->type == BAR_NONE)
            continue;
        char label[8];
        if (b->type == BAR_ROM)
            snprintf(label, sizeof(label), "ROM");
        else
            snprintf(label, sizeof(label), "BAR%u", i);
        uint64_t m;
        printf("    %-4s %-5s %-4s guest 0x%llx host 0x%llx size 0x%llx", label,
               xsp_bar_type_name(b->type),
               b->prefetchable ? "pref" : "", (unsigned long long)b->guest,
               (unsigned long long)b->host, (unsigned long long)b->size);
        if (mapped_record(d, i, &m) && m)
            printf(" mapped 0x%llx", (unsigned long long)m);
        else if (mapped_record(d, i, &m))
            printf(" unmapped");
        printf("\n");
    }
}

static void json_dev(const struct dev_assign *d, bool first)
{
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN];
    bool firstbar = true;

    printf("%s{\"host\": \"%s\", \"guest\": \"%s\", \"spi\": %u, \"intx_pin\": %u, "
           "\"force\": %s, \"dma\": \"%s\", ", first ? "" : ", ",
           sbdf_format(&d->host, h), sbdf_format(&d->guest, g), d->spi, d->intx_pin,
           d->force ? "true" : "false", dev_dma_name(d->dma));
    printf("\"msi\": \"%s\", ", dev_msi_name(d->msi));
    if (d->msi == DEV_MSI_VITS)
        printf("\"its_guest_devid\": \"0x%x\", \"its_host_devid\": \"0x%x\", ",
               d->its_guest_devid, d->its_host_devid);
    if (d->reset[0])
        printf("\"reset\": \"%s\", ", d->reset);
    else
        printf("\"reset\": null, ");
    printf("\"bars\": [");
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &d->bars[i];
        if (b->type == BAR_NONE)
            continue;
        printf("%s{\"index\": %u, \"type\": \"%s\", \"prefetchable\": %s, \"guest\": \"0x%llx\", "
               "\"host\": \"0x%llx\", \"size\": \"0x%llx\"", firstbar ? "" : ", ", i,
               xsp_bar_type_name(b->type), b->prefetchable ? "true" : "false",
               (unsigned long long)b->guest, (unsigned long long)b->host,
               (unsigned long long)b->size);
        uint64_t m;
        if (mapped_record(d, i, &m) && m)
            printf(", \"mapped\": \"0x%llx\"}", (unsigned long long)m);
        else if (mapped_record(d, i, &m))
            printf(", \"mapped\": null}");
        else
            printf("}");
        firstbar = false;
    }
    printf("]}");
}

static void json_domain(const struct domain_assign *a, int src, const struct xsp_server *srv,
                        bool first)
{
    printf("%s{\"domid\": %u, \"server\": ", first ? "" : ", ", a->domid);
    if (src) {
        printf("null");
    } else {
        printf("{\"id\": %u, \"pid\": %d, \"ports\": [", srv->id, srv->pid);
        for (unsigned v = 0; v < srv->nr_vcpus; v++)
            printf("%s%u", v ? ", " : "", srv->ports[v]);
        printf("]}");
    }
    printf(", \"devices\": [");
    for (unsigned i = 0; i < a->ndevs; i++)
        json_dev(&a->devs[i], i == 0);
    printf("]}");
}

/* One domain; 0, EXIT_NOT_PUBLISHED, or 1 after printing why it cannot be
 * shown. */
static int show_domain(struct xs_handle *xs, uint32_t domid, bool json, bool first)
{
    static struct domain_assign a;
    struct xsp_server srv;
    char err[512];
    int rc, src;

    g_xs = xs;
    g_domid = domid;
    /* devices libxl listed that pcipt does not serve (yet) are not pcipt's */
    rc = xsp_read_domain_published(xs, domid, &a, err, sizeof(err));
    if (rc == -ENOENT) {
        (void)fail("no devices are published for domain %u", domid);
        return EXIT_NOT_PUBLISHED;
    }
    if (rc)
        return fail("domain %u: %s", domid, err);
    src = xsp_read_server(xs, domid, &srv, err, sizeof(err));
    if (src && src != -ENOENT)
        return fail("domain %u: %s", domid, err);
    if (json) {
        json_domain(&a, src, &srv, first);
        return 0;
    }
    text_server(domid, src, &srv);
    for (unsigned i = 0; i < a.ndevs; i++)
        text_dev(&a.devs[i]);
    return 0;
}

static int parse_args(int argc, char **argv, long *domid, bool *json)
{
    *domid = -1;
    *json = false;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--json")) {
            *json = true;
            continue;
        }
        if (*domid >= 0)
            return usage_error(&cmd_status, "more than one DOMID given");
        errno = 0;
        *domid = strtol(argv[i], &end, 10);
        if (errno || end == argv[i] || *end || *domid < 0 || *domid >= 0x7ff0)
            return usage_error(&cmd_status, "'%s' is not a domain id", argv[i]);
    }
    return 0;
}

static int run_status(int argc, char **argv)
{
    uint32_t domids[MAX_DOMAINS];
    struct xs_handle *xs;
    int n, rc = 0;
    long domid;
    bool json;

    if ((rc = parse_args(argc, argv, &domid, &json)))
        return rc;
    if (!(xs = xsw_open()))
        return fail("cannot reach xenstore at %s: %s", xsw_socket_path(), strerror(errno));
    if (domid >= 0) {
        domids[0] = (uint32_t)domid;
        n = 1;
    } else if ((n = xsp_list_domains(xs, domids, MAX_DOMAINS)) < 0) {
        xsw_close(xs);
        return fail("cannot list " XSP_BACKEND_ROOT ": %s", strerror(-n));
    }
    if (json)
        printf("{\"domains\": [");
    else if (n == 0)
        printf("no domain has devices passed through\n");
    for (int i = 0, shown = 0; i < n; i++) {
        int r = show_domain(xs, domids[i], json, shown == 0);
        shown += !r;
        rc = rc ? rc : r;
    }
    if (json)
        printf("]}\n");
    xsw_close(xs);
    return rc;
}

const struct pcipt_cmd cmd_status = {
    .name = "status",
    .run = run_status,
    .synopsis = "status [DOMID] [--json]",
    .summary = "show what is passed through, as published in xenstore",
    .help = "Reads /local/domain/0/backend/pci/DOMID/0 in xenstore and prints, for\n"
            "DOMID or every domain with devices: each host device and its virtual\n"
            "SBDF, SPI and interrupt pin, its DMA (\"iommu\": assigned to the domain's\n"
            "IOMMU context; \"off\": no IOMMU context, Bus Master held off; \"unsafe\":\n"
            "--unsafe-dma, NOT isolated; JSON \"dma\"), each BAR's guest address, host address and\n"
            "size (and, for devices attached by `pcipt attach`, where the BAR is\n"
            "mapped in the guest right now: \"mapped 0x...\" or \"unmapped\"; JSON\n"
            "\"mapped\": \"0x...\" or null), and the domain's daemon (IOREQ server\n"
            "id, pid, event channel ports).  Contents are validated: a damaged node\n"
            "is reported by path.\n"
            "\n"
            "  --json   one JSON object: {\"domains\": [{\"domid\", \"server\", \"devices\"}]}\n"
            "\n"
            "Exit status: 0 success; 1 xenstore unreachable or a domain unreadable;\n"
            "2 usage error; 3 nothing is published for DOMID (no such domain, or\n"
            "no device passed through to it).\n",
};
