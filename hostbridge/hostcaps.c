/* Finding a capability in a host function's legacy list (see hostdev.h). */
#include <errno.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/hostdev.h"

int host_find_cap(const struct host_dev *hd, uint8_t id)
{
    uint32_t status, ptr, cap;

    if (host_cfg_read(hd, PCI_CFG_STATUS, 2, &status) ||
        host_cfg_read(hd, PCI_CFG_CAP_PTR, 1, &ptr))
        return -EIO;
    if (!(status & PCI_STS_CAP_LIST))
        return 0;
    /* PCI 3.0 §6.7: pointers are dword aligned (bits 1:0 reserved) and
     * capabilities sit above the header (0x40..0xff); the bound stops a
     * looped list. */
    for (unsigned i = 0; (ptr &= 0xfc) >= 0x40 && i < PCI_MAX_LEGACY_CAPS; i++) {
        if (host_cfg_read(hd, ptr, 1, &cap))
            return -EIO;
        if (cap == id)
            return (int)ptr;
        if (host_cfg_read(hd, ptr + 1, 1, &ptr))
            return -EIO;
    }
    return 0;
}
