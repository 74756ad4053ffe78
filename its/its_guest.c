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

/* The Message Control register of the host's capability `id`: 1 and *ctl,
 * 0 without the capability, -errno on a read error. */
static int cap_ctl(const struct host_dev *hd, uint8_t id, uint32_t *ctl)
{
    int pos = host_find_cap(hd, id);

    if (pos <= 0)
        return pos;
    return host_cfg_read(hd, (unsigned)pos + 2, 2, ctl) ? -EIO : 1;
}

int its_device_events(const struct host_dev *hd, uint32_t *nr_events, char *err, size_t errlen)
{
    unsigned msi = 0, msix = 0;
    uint32_t ctl;
    char s[SBDF_STR_LEN];
    int rc;

    sbdf_format(&hd->addr, s);
    if ((rc = cap_ctl(hd, PCI_CAPID_MSI, &ctl)) < 0)
        goto io;
    if (rc) {
        /* PCI Local Bus 3.0 §6.8.1.3: 000..101 = 1..32 vectors, 11x reserved */
        if (PCI_MSI_MMC(ctl) > 5) {
            snprintf(err, errlen, "device %s: MSI Multiple Message Capable %u is reserved", s,
                     PCI_MSI_MMC(ctl));
            return -EINVAL;
        }
        msi = 1u << PCI_MSI_MMC(ctl);
    }
    if ((rc = cap_ctl(hd, PCI_CAPID_MSIX, &ctl)) < 0)
        goto io;
    if (rc)
        msix = PCI_MSIX_QSIZE(ctl);
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
