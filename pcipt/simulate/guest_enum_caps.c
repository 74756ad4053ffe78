/* The simulated guest's capability walks (as Linux's __pci_find_next_cap_ttl
 * and pci_find_next_ext_capability bound them) and MSI enabling (as
 * msi_capability_init + pci_write_msi_msg + pci_msi_set_enable do). */
#include "hostbridge/common/pci_regs.h"
#include "pcipt/simulate/guest_enum_int.h"

#define EXT_CAP_TTL ((4096 - 256) / 8)   /* Linux: at most 480 headers */

/* PM (PCI PM 1.2 sec 3.2.3): PMC bits 2:0 = version. */
static void parse_pm(struct genum *g, struct guest_func *fn, unsigned pos)
{
    fn->pm_version = ge_read(g, &fn->bdf, pos + 2, 2) & 7;
}

/* PCIe 5.0 sec 7.5.3.2: Capabilities Register bits 7:4 = port type. */
static void parse_pcie(struct genum *g, struct guest_func *fn, unsigned pos)
{
    fn->pcie_type = (ge_read(g, &fn->bdf, pos + 2, 2) >> 4) & 0xf;
}

/* PCI 3.0 sec 6.8.1.3: Message Control bit 0 enable, 3:1 multiple message
 * capable (log2), bit 7 64-bit, bit 8 per-vector masking.  Linux turns a
 * left-enabled MSI off at probe (pci_msi_init). */
static void parse_msi(struct genum *g, struct guest_func *fn, unsigned pos)
{
    uint16_t ctrl = ge_read(g, &fn->bdf, pos + 2, 2);

    fn->msi_present = true;
    fn->msi_64 = (ctrl & 0x80) != 0;
    fn->msi_maskable = (ctrl & 0x100) != 0;
    fn->msi_vectors = (uint8_t)(1u << (((ctrl >> 1) & 7) > 5 ? 5 : (ctrl >> 1) & 7));
    if (ctrl & 1)
        ge_write(g, &fn->bdf, pos + 2, 2, ctrl & ~1u);
}

/* PCI 3.0 sec 6.8.2.3: Message Control bits 10:0 = table size - 1, bit 15
 * enable; Table/PBA offset registers hold BIR (2:0) and offset (31:3). */
static void parse_msix(struct genum *g, struct guest_func *fn, unsigned pos)
{
    uint16_t ctrl = ge_read(g, &fn->bdf, pos + 2, 2);
    uint32_t table = ge_read(g, &fn->bdf, pos + 4, 4);
    uint32_t pba = ge_read(g, &fn->bdf, pos + 8, 4);

    fn->msix_present = true;
    fn->msix_table_size = (ctrl & 0x7ff) + 1;
    fn->msix_table_bir = table & 7;
    fn->msix_table_off = table & ~7u;
    fn->msix_pba_bir = pba & 7;
    fn->msix_pba_off = pba & ~7u;
    if (ctrl & 0x8000)
        ge_write(g, &fn->bdf, pos + 2, 2, ctrl & ~0x8000u);
}

static void parse_cap(struct genum *g, struct guest_func *fn, uint8_t id, unsigned pos)
{
    switch (id) {
    case PCI_CAPID_PM:   if (!fn->pm_version) parse_pm(g, fn, pos); break;
    case PCI_CAPID_PCIE: if (fn->pcie_type == 0xff) parse_pcie(g, fn, pos); break;
    case PCI_CAPID_MSI:  if (!fn->msi_present) parse_msi(g, fn, pos); break;
    case PCI_CAPID_MSIX: if (!fn->msix_present) parse_msix(g, fn, pos); break;
    default: break;
    }
}

/* PCI 3.0 sec 6.7: the list starts at 0x34 when Status bit 4 is set; each
 * entry is ID (byte) then Next (byte), dword aligned, inside 0x40..0xff.
 * At most 48 entries are followed (a looping list ends there). */
static void walk_std(struct genum *g, struct guest_func *fn)
{
    unsigned ttl = GUEST_ENUM_MAX_CAPS;
    unsigned pos;

    if (!(fn->status & PCI_STS_CAP_LIST) || fn->hdr_type > 1)
        return;
    pos = ge_read(g, &fn->bdf, PCI_CFG_CAP_PTR, 1);
    while (ttl--) {
        uint16_t ent;

        if (pos < 0x40)
            return;
        pos &= ~3u;
        ent = ge_read(g, &fn->bdf, pos, 2);
        if ((ent & 0xff) == 0xff)
            return;
        fn->caps[fn->ncaps++] = (struct guest_cap){ .id = ent & 0xff, .off = pos };
        parse_cap(g, fn, ent & 0xff, pos);
        pos = ent >> 8;
    }
    fn->caps_truncated = pos >= 0x40;
}

/* PCIe 5.0 sec 7.6.3: extended headers from 0x100: ID 15:0, version 19:16,
 * next 31:20 (dword aligned, 0 ends).  Only PCIe functions have a 4 KiB
 * space (Linux's pci_cfg_space_size). */
static void walk_ext(struct genum *g, struct guest_func *fn)
{
    unsigned ttl = EXT_CAP_TTL, pos = PCI_CFG_EXT_CAP_START;

    if (fn->pcie_type == 0xff)
        return;
    while (ttl--) {
        uint32_t hdr = ge_read(g, &fn->bdf, pos, 4);

        if (hdr == 0 || hdr == 0xffffffffu)
            return;
        if (fn->next < GUEST_ENUM_MAX_EXT)
            fn->ext[fn->next++] = (struct guest_cap){ .id = hdr & 0xffff, .off = pos,
                                                      .version = (hdr >> 16) & 0xf };
        else
            fn->ext_truncated = true;
        pos = (hdr >> 20) & 0xffc;
        if (pos < PCI_CFG_EXT_CAP_START)
            return;
    }
    fn->ext_truncated = true;
}

void ge_walk_caps(struct genum *g, struct guest_func *fn)
{
    fn->pcie_type = 0xff;
    walk_std(g, fn);
    walk_ext(g, fn);
}

static unsigned find_cap(const struct guest_func *fn, uint8_t id)
{
    for (unsigned i = 0; i < fn->ncaps; i++)
        if (fn->caps[i].id == id)
            return fn->caps[i].off;
    return 0;
}

/* One vector: address = doorbell, data = event, Multiple Message Enable
 * = 0, mask bit of vector 0 clear, then Enable (PCI 3.0 sec 6.8.1). */
void ge_enable_msi(struct genum *g, struct guest_func *fn, uint32_t data)
{
    unsigned pos = find_cap(fn, PCI_CAPID_MSI);
    uint64_t addr = g->cfg->msi_doorbell;
    unsigned data_reg = pos + (fn->msi_64 ? 12 : 8);
    uint16_t ctrl;

    if (!pos || (!fn->msi_64 && addr > 0xffffffffull))
        return;
    ctrl = ge_read(g, &fn->bdf, pos + 2, 2) & ~0x71u; /* enable off, MME = 0 */
    ge_write(g, &fn->bdf, pos + 2, 2, ctrl);
    ge_write(g, &fn->bdf, pos + 4, 4, (uint32_t)addr);
    if (fn->msi_64)
        ge_write(g, &fn->bdf, pos + 8, 4, (uint32_t)(addr >> 32));
    ge_write(g, &fn->bdf, data_reg, 2, (uint16_t)data);
    if (fn->msi_maskable)
        ge_write(g, &fn->bdf, data_reg + 4, 4, 0);
    ge_write(g, &fn->bdf, pos + 2, 2, ctrl | 1);
    fn->msi_addr = addr;
    fn->msi_data = (uint16_t)data;
    fn->msi_enabled = (ge_read(g, &fn->bdf, pos + 2, 2) & 1) != 0;
}
