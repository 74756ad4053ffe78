/* The guest's side of MSI through the vITS: its DeviceIDs, the doorbell,
 * and how many events (ITT entries) a device needs. */
#include "its/its.h"

#include <errno.h>
#include <stdio.h>

#include "hostbridge/common/pci_regs.h"

uint32_t its_guest_devid(const struct sbdf *guest)
{
    /* msi-map = <0 ITS seg<<16 0x10000> (pcipt/xl/guest_dt.c) */
    return (uint32_t)guest->seg << 16 | its_rid(guest->bus, guest->dev, guest->fn);
}

uint64_t its_doorbell(uint64_t its_base)
{
    /* Xen vgic-v3-its.c: ITS_DOORBELL_OFFSET 0x10040 = GITS_TRANSLATER */
    return its_base + ITS_DOORBELL_OFFSET;
}

int its_check_msi_address(uint64_t its_base, uint64_t addr)
{
    if (!its_base)
        return -ENODEV;
    return addr == its_doorbell(its_base) ? 0 : -EINVAL;
}

uint32_t its_round_events(uint32_t n)
{
    uint32_t p = ITS_LPI_BLOCK;

    /* gicv3_its_map_guest_device: nr_events rounded up to a power of two,
     * at least LPI_BLOCK (32). */
    if (n > (1u << 31))
        return 0;
    while (p < n)
        p <<= 1;
    return p;
}

uint32_t its_events_needed(unsigned msi_vectors, unsigned msix_entries)
{
    return its_round_events(msi_vectors > msix_entries ? msi_vectors : msix_entries);
}

static int cfg16(const struct host_dev *hd, unsigned off, uint16_t *v)
{
    uint32_t x;
    int rc = host_cfg_read(hd, off, 2, &x);
    *v = (uint16_t)x;
    return rc;
}

static int cfg8(const struct host_dev *hd, unsigned off, uint8_t *v)
{
    uint32_t x;
    int rc = host_cfg_read(hd, off, 1, &x);
    *v = (uint8_t)x;
    return rc;
}

int its_device_events(const struct host_dev *hd, uint32_t *nr_events, char *err, size_t errlen)
{
    unsigned msi = 0, msix = 0;
    uint16_t status, ctl;
    uint8_t ptr, id;
    char s[SBDF_STR_LEN];
    int rc;

    sbdf_format(&hd->addr, s);
    if ((rc = cfg16(hd, PCI_CFG_STATUS, &status)) || (rc = cfg8(hd, PCI_CFG_CAP_PTR, &ptr)))
        goto io;
    if (!(status & PCI_STS_CAP_LIST))
        ptr = 0;
    for (unsigned i = 0; (ptr &= 0xfc) >= 0x40 && i < PCI_MAX_LEGACY_CAPS; i++) {
        if ((rc = cfg8(hd, ptr, &id)) || (rc = cfg16(hd, ptr + 2u, &ctl)))
            goto io;
        if (id == PCI_CAPID_MSI) {
            /* PCI Local Bus 3.0 §6.8.1.3: 000..101 = 1..32 vectors, 11x reserved */
            if (PCI_MSI_MMC(ctl) > 5) {
                snprintf(err, errlen, "device %s: MSI Multiple Message Capable %u is reserved",
                         s, PCI_MSI_MMC(ctl));
                return -EINVAL;
            }
            msi = 1u << PCI_MSI_MMC(ctl);
        } else if (id == PCI_CAPID_MSIX) {
            msix = PCI_MSIX_QSIZE(ctl);
        }
        if ((rc = cfg8(hd, ptr + 1u, &ptr)))
            goto io;
    }
    if (!msi && !msix) {
        snprintf(err, errlen, "device %s has neither MSI nor MSI-X", s);
        return -ENOENT;
    }
    *nr_events = its_events_needed(msi, msix);
    return 0;
io:
    snprintf(err, errlen, "device %s: cannot read its capabilities", s);
    return rc < 0 ? rc : -EIO;
}
