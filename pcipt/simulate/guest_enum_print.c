/* The simulated guest's report: an `lspci -vv`-like listing, capability
 * names, and the comparison of two enumerations. */
#include <inttypes.h>
#include <string.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/simulate/guest_enum_int.h"

const char *guest_cap_name(uint16_t id)
{
    switch (id) {
    case 0x01: return "Power Management";
    case 0x05: return "MSI";
    case 0x09: return "Vendor Specific Information";
    case 0x0d: return "Subsystem";
    case 0x10: return "Express";
    case 0x11: return "MSI-X";
    case 0x13: return "PCI Advanced Features";
    default:   return "Unknown";
    }
}

const char *guest_ext_cap_name(uint16_t id)
{
    switch (id) {
    case 0x0001: return "Advanced Error Reporting";
    case 0x0003: return "Device Serial Number";
    case 0x000b: return "Vendor Specific Information";
    case 0x000e: return "Alternative Routing-ID Interpretation (ARI)";
    case 0x0010: return "Single Root I/O Virtualization (SR-IOV)";
    case 0x0015: return "Resizable BAR";
    default:     return "Unknown";
    }
}

static const char *pcie_type_name(uint8_t t)
{
    static const char *const names[] = {
        [0x0] = "Endpoint", [0x1] = "Legacy Endpoint", [0x4] = "Root Port",
        [0x5] = "Upstream Port", [0x6] = "Downstream Port", [0x9] = "Root Complex Integrated Endpoint",
    };
    return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "Unknown type";
}

/* "1M", "64K", "16G", or bytes, as lspci prints sizes. */
static void size_str(uint64_t sz, char *buf, size_t len)
{
    static const char units[] = "KMGT";
    unsigned u = 0;

    if (sz < 1024 || (sz & 1023)) {
        snprintf(buf, len, "%" PRIu64, sz);
        return;
    }
    sz >>= 10;
    while (u + 1 < sizeof(units) - 1 && sz >= 1024 && !(sz & 1023)) {
        sz >>= 10;
        u++;
    }
    snprintf(buf, len, "%" PRIu64 "%c", sz, units[u]);
}

static char pm(bool on)
{
    return on ? '+' : '-';
}

static void print_region(FILE *f, const struct guest_func *fn, unsigned i)
{
    const struct guest_bar *b = &fn->res[i];
    char sz[24], addr[24];

    size_str(b->size, sz, sizeof(sz));
    if (b->assigned)
        snprintf(addr, sizeof(addr), "%" PRIx64, b->addr);
    else
        snprintf(addr, sizeof(addr), "<unassigned>");
    if (b->kind == GUEST_BAR_IO)
        fprintf(f, "\tRegion %u: I/O ports at <unassigned> [size=%s]\n", i, sz);
    else if (b->kind == GUEST_BAR_MEM)
        fprintf(f, "\tRegion %u: Memory at %s (%s, %sprefetchable)%s [size=%s]\n", i, addr,
                b->is64 ? "64-bit" : "32-bit", b->prefetch ? "" : "non-",
                b->readback_bad ? " [readback mismatch]" : "", sz);
    else if (b->kind == GUEST_BAR_ROM)
        fprintf(f, "\tExpansion ROM at %s [disabled] [size=%s]\n", addr, sz);
}

static void print_cap(FILE *f, const struct guest_func *fn, const struct guest_cap *c)
{
    fprintf(f, "\tCapabilities: [%02x] %s", c->off, guest_cap_name(c->id));
    if (c->id == PCI_CAPID_PM && fn->pm_version)
        fprintf(f, " version %u", fn->pm_version);
    else if (c->id == PCI_CAPID_MSI)
        fprintf(f, ": Enable%c Count=%u/%u Maskable%c 64bit%c", pm(fn->msi_enabled),
                fn->msi_enabled ? 1u : 0u, fn->msi_vectors, pm(fn->msi_maskable),
                pm(fn->msi_64));
    else if (c->id == PCI_CAPID_PCIE)
        fprintf(f, " %s", pcie_type_name(fn->pcie_type));
    else if (c->id == PCI_CAPID_MSIX)
        fprintf(f, ": Enable%c Count=%u Masked-", pm(fn->msix_enabled), fn->msix_table_size);
    else if (strcmp(guest_cap_name(c->id), "Unknown") == 0)
        fprintf(f, " [%02x]", c->id);
    fputc('\n', f);
    if (c->id == PCI_CAPID_MSI && fn->msi_enabled)
        fprintf(f, "\t\tAddress: %016" PRIx64 "  Data: %04x\n", fn->msi_addr, fn->msi_data);
    if (c->id == PCI_CAPID_MSIX)
        fprintf(f, "\t\tVector table: BAR=%u offset=%08x\n\t\tPBA: BAR=%u offset=%08x\n",
                fn->msix_table_bir, fn->msix_table_off, fn->msix_pba_bir, fn->msix_pba_off);
}

static void print_func(FILE *f, const struct guest_func *fn)
{
    uint16_t c = fn->command;

    fprintf(f, BDF_FMT " Class %04x: Device %04x:%04x (rev %02x)%s\n", BDF_ARGS(fn->bdf),
            fn->class_code >> 8, fn->vendor, fn->device, fn->rev,
            fn->multifunction ? " [multi-function]" : "");
    if (fn->hdr_type == 0)
        fprintf(f, "\tSubsystem: Device %04x:%04x\n", fn->subsys_vendor, fn->subsys_id);
    fprintf(f, "\tControl: I/O%c Mem%c BusMaster%c DisINTx%c\n", pm(c & PCI_CMD_IO),
            pm(c & PCI_CMD_MEMORY), pm(c & PCI_CMD_MASTER), pm(c & PCI_CMD_INTX_DISABLE));
    if (fn->irq_pin >= 1 && fn->irq_pin <= 4)
        fprintf(f, "\tInterrupt: pin %c routed to IRQ %u\n", 'A' + fn->irq_pin - 1,
                fn->irq_line);
    for (unsigned i = 0; i <= GUEST_ENUM_ROM; i++)
        print_region(f, fn, i);
    for (unsigned i = 0; i < fn->ncaps; i++)
        print_cap(f, fn, &fn->caps[i]);
    if (fn->caps_truncated)
        fprintf(f, "\tCapabilities: <chain looped or too long>\n");
    for (unsigned i = 0; i < fn->next; i++)
        fprintf(f, "\tCapabilities: [%03x v%u] %s\n", fn->ext[i].off, fn->ext[i].version,
                guest_ext_cap_name(fn->ext[i].id));
    if (fn->ext_truncated)
        fprintf(f, "\tCapabilities: <extended chain looped or too long>\n");
    fputc('\n', f);
}

void guest_enum_print(FILE *f, const struct guest_enum_result *r)
{
    for (unsigned i = 0; i < r->nfuncs; i++)
        print_func(f, &r->funcs[i]);
    if (r->funcs_truncated)
        fprintf(f, "(more than %u functions; the rest are not listed)\n", GUEST_ENUM_MAX_FUNCS);
    if (r->unassigned)
        fprintf(f, "Unassigned memory regions: %u\n", r->unassigned);
    fprintf(f, "Config accesses: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64 " aborts\n",
            r->cfg_reads, r->cfg_writes, r->aborts);
}
