/* MSI of the daemon's devices (docs/design/msi.md "The daemon: MSI and
 * MSI-X", with the delivery chain).
 *
 * Attach writes pcipt/dev-N/msi: `vits` when Xen's virtual ITS knows the
 * device (announced), `off` otherwise.  For `vits` the guest's MSI
 * capability is emulated (hostbridge/msi.c) and its address and data, the
 * guest's own (its vITS doorbell and EventID), are written to the host's
 * MSI capability while the guest has MSI enabled: the device's MSI write
 * goes through the domain's SMMU context, which turns the guest doorbell
 * into the host ITS.  For `off` or absent, MSI and MSI-X are hidden from
 * the guest (vdev_config.hide_msi), said once per device, and it uses INTx.
 * MSI-X: daemon_msix.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "hostbridge/common/pci_regs.h"
#include "pcipt/daemon/daemon.h"
#include "pcipt/xs/xs_publish.h"

/* pcipt/dev-N/msi, read with xsp_read_dev_msi: anything but a readable
 * `vits` (absent, off, bad, xenstore trouble) keeps MSI hidden. */
bool daemon_msi_mode_vits(struct daemon *d, const struct sbdf *host)
{
    enum dev_msi msi = DEV_MSI_OFF;
    uint32_t gid, hid;

    return xsp_read_dev_msi(d->xs, d->domid, host, &msi, &gid, &hid) == 0 &&
           msi == DEV_MSI_VITS;
}

void daemon_msi_note_hidden(struct daemon *d, struct daemon_dev *dd)
{
    if (!dd->msi_vits)
        log_info("dom%u: MSI and MSI-X of " SBDF_FMT " are hidden from the guest "
                 "(pcipt/dev-N/msi is not 'vits': Xen's virtual ITS does not know it); it "
                 "uses INTx", d->domid, SBDF_ARGS(dd->as.host));
}

/* --- INTx and MSI do not fight ------------------------------------------ */

/* PCI 3.0 §6.8.1.3 / §6.8.2.3: while MSI or MSI-X is enabled the function
 * does not signal INTx, so the relay treats the line as disabled: it
 * lowers the SPI and does not re-raise a stale assertion. */
void daemon_msi_intx_sync(struct daemon_dev *dd)
{
    struct msi_info mi;
    struct msix_info xi;

    vdev_msi_info(dd->vdev, &mi);
    vdev_msix_info(dd->vdev, &xi);
    intx_guest_disable(&dd->intx, (vdev_command(dd->vdev) & PCI_CMD_INTX_DISABLE) ||
                                      mi.enabled || xi.enabled);
}

/* --- the host's MSI capability follows the guest's ---------------------- */

static int hw(struct daemon_dev *dd, unsigned off, unsigned size, uint32_t val)
{
    return host_cfg_write(dd->hd, off, size, val);
}

static unsigned log2u(unsigned n)
{
    unsigned l = 0;

    while (n > 1) {
        n >>= 1;
        l++;
    }
    return l;
}

/* Enabled: address/data (masked around the update where the function has
 * per-vector masks), the mask bits, then MME with Enable, so the function
 * never signals with an address, data or vector count the guest did not
 * write. */
static int msi_host_enable(struct daemon_dev *dd, int base, uint32_t ctrl, const struct msi_info *g)
{
    unsigned data_off = (unsigned)base + (g->is64 ? 0x0cu : 0x08u);
    bool on = ctrl & PCI_MSI_CTRL_ENABLE;
    uint32_t lo = 0, hi = 0, data = 0;
    int rc = 0;

    if (host_cfg_read(dd->hd, (unsigned)base + 4u, 4, &lo) ||
        (g->is64 && host_cfg_read(dd->hd, (unsigned)base + 8u, 4, &hi)) ||
        host_cfg_read(dd->hd, data_off, 2, &data))
        return -EIO;
    if (lo != (uint32_t)g->address || (g->is64 && hi != (uint32_t)(g->address >> 32)) ||
        data != g->data) {
        if (on && g->maskable)
            rc = hw(dd, data_off + 4, 4, 0xffffffffu);
        if (!rc)
            rc = hw(dd, (unsigned)base + 4u, 4, (uint32_t)g->address);
        if (!rc && g->is64)
            rc = hw(dd, (unsigned)base + 8u, 4, (uint32_t)(g->address >> 32));
        if (!rc)
            rc = hw(dd, data_off, 2, g->data);
    }
    if (!rc && g->maskable)
        rc = hw(dd, data_off + 4, 4, g->mask);
    uint32_t want = (ctrl & ~(uint32_t)PCI_MSI_CTRL_MME) | (log2u(g->vectors) << 4) |
                    PCI_MSI_CTRL_ENABLE;
    if (!rc && want != ctrl)
        rc = hw(dd, (unsigned)base + 2u, 2, want);
    return rc;
}

void daemon_msi_program(struct daemon *d, struct daemon_dev *dd)
{
    struct msi_info g;
    uint32_t ctrl;
    int base, rc;

    vdev_msi_info(dd->vdev, &g);
    if (!dd->msi_vits || !g.present)
        return;
    base = host_find_cap(dd->hd, PCI_CAPID_MSI);
    if (base <= 0 || host_cfg_read(dd->hd, (unsigned)base + 2u, 2, &ctrl)) {
        log_err("dom%u: " SBDF_FMT ": cannot find the host's MSI capability", d->domid,
                SBDF_ARGS(dd->as.host));
        return;
    }
    if (!g.enabled)         /* disable the host first, before anything else */
        rc = (ctrl & PCI_MSI_CTRL_ENABLE) ? hw(dd, (unsigned)base + 2u, 2,
                                               ctrl & ~(uint32_t)PCI_MSI_CTRL_ENABLE) : 0;
    else
        rc = msi_host_enable(dd, base, ctrl, &g);
    if (rc)
        log_err("dom%u: " SBDF_FMT ": cannot write the guest's MSI to the host's MSI "
                "capability: %s", d->domid, SBDF_ARGS(dd->as.host), strerror(-rc));
}

void daemon_msi_release(struct daemon *d)
{
    free(d->host_fdt);
    d->host_fdt = NULL;
    d->host_fdt_tried = false;
}
