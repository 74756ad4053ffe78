/* The MSI nodes of a device (docs/design/msi-announce.md "xenstore"):
 * pcipt/dev-N/msi = vits | off, and with vits its-guest-devid and
 * its-host-devid ("0x..").  Written by attach with the rest of the device;
 * read by detach, status, the xl watcher and the daemon (which emulates
 * MSI/MSI-X only for vits).  A device published before MSI came has no
 * msi node: off. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"

int xsp_write_msi(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                  const struct dev_assign *d)
{
    char p[XSW_PATH_MAX];
    int rc;

    if ((rc = xsu_path(p, "%s/msi", dir)) || (rc = xsw_write(xs, t, p, dev_msi_name(d->msi))))
        return rc;
    if (d->msi != DEV_MSI_VITS)
        return 0;
    if ((rc = xsu_path(p, "%s/its-guest-devid", dir)) ||
        (rc = xsw_printf(xs, t, p, "0x%x", d->its_guest_devid)))
        return rc;
    if ((rc = xsu_path(p, "%s/its-host-devid", dir)) ||
        (rc = xsw_printf(xs, t, p, "0x%x", d->its_host_devid)))
        return rc;
    return 0;
}

/* A "0x.." node that fits 32 bits: 0, -EINVAL, or -errno of the read. */
static int read_devid(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                      const char *leaf, uint32_t *out)
{
    char p[XSW_PATH_MAX], *v;
    uint64_t n;
    int rc;

    if ((rc = xsu_path(p, "%s/%s", dir, leaf)))
        return rc;
    if (!(v = xsw_read(xs, t, p)))
        return errno == ENOENT ? -EINVAL : errno ? -errno : -EIO;
    rc = xsu_parse_hex(v, &n) && n <= UINT32_MAX ? 0 : -EINVAL;
    free(v);
    if (!rc)
        *out = (uint32_t)n;
    return rc;
}

int xsp_read_msi_dir(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                     enum dev_msi *msi, uint32_t *guest_devid, uint32_t *host_devid)
{
    char p[XSW_PATH_MAX], *v;
    int rc;

    *msi = DEV_MSI_OFF;
    *guest_devid = *host_devid = 0;
    if ((rc = xsu_path(p, "%s/msi", dir)))
        return rc;
    if (!(v = xsw_read(xs, t, p)))
        return errno == ENOENT ? 0 : errno ? -errno : -EIO;
    rc = dev_msi_parse(v, msi);
    free(v);
    if (rc || *msi != DEV_MSI_VITS)
        return rc;
    if ((rc = read_devid(xs, t, dir, "its-guest-devid", guest_devid)) ||
        (rc = read_devid(xs, t, dir, "its-host-devid", host_devid)))
        *msi = DEV_MSI_OFF;
    return rc;
}

struct msi_ctx {
    uint32_t domid;
    const struct sbdf *host;
    enum dev_msi msi;
    uint32_t guest_devid, host_devid;
};

static int read_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct msi_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], dir[XSW_PATH_MAX];
    unsigned num;
    int i, rc;

    xsp_backend_path(c->domid, be);
    if (xsp_num_devs(&r, be, &num))
        return r.rc;
    if ((i = xsp_find_dev(&r, be, num, c->host)) < 0)
        return i;
    if ((rc = xsu_path(dir, "%s/pcipt/dev-%d", be, i)))
        return rc;
    return xsp_read_msi_dir(xs, t, dir, &c->msi, &c->guest_devid, &c->host_devid);
}

int xsp_read_dev_msi(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                     enum dev_msi *msi, uint32_t *guest_devid, uint32_t *host_devid)
{
    struct msi_ctx c = { .domid = domid, .host = host };
    int rc = xsw_transact(xs, read_body, &c);

    *msi = rc ? DEV_MSI_OFF : c.msi;
    *guest_devid = rc ? 0 : c.guest_devid;
    *host_devid = rc ? 0 : c.host_devid;
    return rc;
}
