/* pcipt pci-detach DOMID SBDF: what `xl pci-detach` would do, where xl
 * cannot: detach the function (pcipt/assign/attach.h; a live daemon releases it
 * first) and, when the guest was still using it, say what the guest should
 * have done before. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "hostbridge/common/pci_regs.h"
#include "pcipt/xs/xs_publish.h"

/* The guest-side SBDF of host in domid, for the hint; false if unknown. */
static bool guest_sbdf(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                       struct sbdf *guest)
{
    struct domain_assign *da = calloc(1, sizeof(*da));
    char e[256];
    bool found = false;

    if (da && !xsp_read_domain(ctx->xs, domid, da, e, sizeof(e)))
        for (unsigned i = 0; i < da->ndevs && !found; i++)
            if (sbdf_equal(&da->devs[i].host, host)) {
                *guest = da->devs[i].guest;
                found = true;
            }
    free(da);
    return found;
}

/* Was the guest still using the function, as the daemon last saved its
 * guest-visible state (pcipt/dev-N/state)?  A Linux guest that let go of it
 * (`echo 1 > .../remove`: the driver's remove calls pci_disable_device,
 * which clears Bus Master, and frees its MSI/MSI-X vectors, which clears
 * their Enable bits) leaves all three off; so does a guest that never
 * bound a driver to it.  No saved state: no daemon ever served it, so the
 * guest never used it either. */
static bool guest_uses(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host)
{
    struct vdev_state st;
    char e[256];

    if (xsp_read_vdev_state(ctx->xs, domid, host, &st, e, sizeof(e)))
        return false;
    return (st.command & PCI_CMD_MASTER) || (st.msi_ctrl & PCI_MSI_CTRL_ENABLE) ||
           (st.msix_ctrl & PCI_MSIX_CTRL_ENABLE);
}

static int run_pci_detach(int argc, char **argv)
{
    struct dev_args a;
    struct attach_ctx ctx;
    struct sbdf guest;
    bool known, in_use;
    char err[512], h[SBDF_STR_LEN], g[SBDF_STR_LEN];
    int rc;

    if ((rc = cmd_parse_dev_args(&cmd_pci_detach, argc, argv, 0, &a)))
        return rc;
    if ((rc = cmd_ctx_open(&ctx, false)))
        return rc;
    known = guest_sbdf(&ctx, a.domid, &a.host, &guest);
    in_use = known && guest_uses(&ctx, a.domid, &a.host);
    rc = detach_device(&ctx, a.domid, &a.host, err, sizeof(err));
    cmd_ctx_close(&ctx);
    if (rc)
        return fail("pci-detach: %s", err);
    printf("detached %s from domain %u\n", sbdf_format(&a.host, h), a.domid);
    if (in_use) {
        sbdf_format(&guest, g);
        printf("the guest was still using it (Bus Master or MSI on); it should have released "
               "it first: echo 1 > /sys/bus/pci/devices/%s/remove\n", g);
    }
    return 0;
}

const struct pcipt_cmd cmd_pci_detach = {
    .name = "pci-detach",
    .run = run_pci_detach,
    .synopsis = "pci-detach DOMID SBDF",
    .summary = "hot-unplug a host PCI function from a running guest (xl pci-detach's job)",
    .help =
        "Description:\n"
        "  Use where `xl pci-detach` would be used.  First, in the guest, let go of\n"
        "  the function (its virtual address is in `pcipt status DOMID`):\n"
        "      echo 1 > /sys/bus/pci/devices/0000:00:SS.0/remove   (in the guest)\n"
        "  then `pcipt pci-detach DOMID SBDF` detaches it as `pcipt detach` does:\n"
        "  the domain's daemon (if one runs) takes it off the virtual bus, its BARs\n"
        "  are unmapped, the domain's access revoked and its xenstore nodes removed.\n"
        "  When the guest had not let go of it (its Bus Master, MSI or MSI-X was\n"
        "  still on in the state the daemon saved) a second line says so.\n"
        "\n"
        "Exit status: 0 detached; 1 failed (one line says why); 2 usage error.\n"
        "Example:  pcipt pci-detach 5 0000:01:00.0\n",
};
