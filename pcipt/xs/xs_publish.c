/* Publishing and removing devices (schema: pcipt/xs/xs_publish.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"
#include "pcipt/xs/xs_owner.h"

struct publish_ctx {
    uint32_t domid;
    const struct dev_assign *dev;
    const uint64_t *mapped;         /* NULL: no p2m records */
};

/* be/frontend ... be/domain: libxl__create_pci_backend, first device only.
 * be/domain is the domain's name when xenstore knows it, else empty. */
static int write_backend_head(struct xs_handle *xs, xs_transaction_t t, const char *be,
                              uint32_t domid)
{
    char p[XSW_PATH_MAX], *name;
    int rc;

    if ((rc = xsw_mkdir(xs, t, be)) || (rc = xsw_set_dom0_only(xs, t, be)))
        return rc;
    if ((rc = xsu_path(p, "%s/frontend", be)) ||
        (rc = xsw_printf(xs, t, p, "/local/domain/%u/device/pci/0", domid)))
        return rc;
    if ((rc = xsu_path(p, "%s/frontend-id", be)) || (rc = xsw_printf(xs, t, p, "%u", domid)))
        return rc;
    if ((rc = xsu_path(p, "%s/online", be)) || (rc = xsw_write(xs, t, p, "1")))
        return rc;
    if ((rc = xsu_path(p, "%s/state", be)) ||
        (rc = xsw_printf(xs, t, p, "%d", XSP_XENBUS_INITIALISING)))
        return rc;
    if ((rc = xsu_path(p, "/local/domain/%u/name", domid)))
        return rc;
    name = xsw_read(xs, t, p);
    if (!name && errno != ENOENT)
        return errno ? -errno : -EIO;
    rc = xsu_path(p, "%s/domain", be);
    if (!rc)
        rc = xsw_write(xs, t, p, name ? name : "");
    free(name);
    return rc;
}

/* key-N, dev-N, vdev-N, vdevfn-N, opts-N, state-N
 * (libxl__device_pci_add_xenstore; vdev-N in pciback's own format, since no
 * pciback runs on Arm; vdevfn-N = "%x" of slot << 3 | function, what
 * libxl_pci.c libxl__device_pci_from_xs_be reads back with strtol(, 16), so
 * `xl pci-list` shows the guest slot). */
static int write_libxl_dev(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned n,
                           const struct dev_assign *d)
{
    char p[XSW_PATH_MAX], bdf[16], vdev[16];
    int rc;

    xsu_fmt_bdf(&d->host, bdf);
    xsu_fmt_vdev(&d->guest, vdev);
    if ((rc = xsu_path(p, "%s/key-%u", be, n)) || (rc = xsw_write(xs, t, p, bdf)))
        return rc;
    if ((rc = xsu_path(p, "%s/dev-%u", be, n)) || (rc = xsw_write(xs, t, p, bdf)))
        return rc;
    if ((rc = xsu_path(p, "%s/vdev-%u", be, n)) || (rc = xsw_write(xs, t, p, vdev)))
        return rc;
    if ((rc = xsu_path(p, "%s/vdevfn-%u", be, n)) ||
        (rc = xsw_printf(xs, t, p, "%x", (unsigned)(d->guest.dev << 3 | d->guest.fn))))
        return rc;
    if ((rc = xsu_path(p, "%s/opts-%u", be, n)) || (rc = xsw_write(xs, t, p, XSP_OPTS)))
        return rc;
    if ((rc = xsu_path(p, "%s/state-%u", be, n)) ||
        (rc = xsw_printf(xs, t, p, "%d", XSP_XENBUS_INITIALISING)))
        return rc;
    return 0;
}

static int write_bar(struct xs_handle *xs, xs_transaction_t t, const char *dir, unsigned i,
                     const struct bar_assign *b, const uint64_t *mapped)
{
    char p[XSW_PATH_MAX];
    int rc;

    if (mapped && ((rc = xsu_path(p, "%s/bar-%u/mapped", dir, i)) ||
                   (rc = xsp_fmt_mapped(xs, t, p, mapped[i]))))
        return rc;
    if ((rc = xsu_path(p, "%s/bar-%u/type", dir, i)) ||
        (rc = xsw_write(xs, t, p, xsp_bar_type_name(b->type))))
        return rc;
    if ((rc = xsu_path(p, "%s/bar-%u/prefetchable", dir, i)) ||
        (rc = xsw_write(xs, t, p, b->prefetchable ? "1" : "0")))
        return rc;
    if ((rc = xsu_path(p, "%s/bar-%u/host", dir, i)) ||
        (rc = xsw_printf(xs, t, p, "0x%llx", (unsigned long long)b->host)))
        return rc;
    if ((rc = xsu_path(p, "%s/bar-%u/guest", dir, i)) ||
        (rc = xsw_printf(xs, t, p, "0x%llx", (unsigned long long)b->guest)))
        return rc;
    if ((rc = xsu_path(p, "%s/bar-%u/size", dir, i)) ||
        (rc = xsw_printf(xs, t, p, "0x%llx", (unsigned long long)b->size)))
        return rc;
    return 0;
}

/* be/pcipt/dev-N: what pciback does not know (SPI, pin, force, DMA, MSI,
 * BARs), and the host SBDF: libxl renumbers dev-N on its own removals
 * before pcipt moves pcipt/dev-N, so pcipt/dev-N names its device itself. */
static int write_pcipt_dev(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned n,
                           const struct dev_assign *d, const uint64_t *mapped)
{
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX];
    int rc;

    if ((rc = xsu_path(dir, "%s/pcipt/dev-%u", be, n)))
        return rc;
    char bdf[16];
    xsu_fmt_bdf(&d->host, bdf);
    if ((rc = xsu_path(p, "%s/host", dir)) || (rc = xsw_write(xs, t, p, bdf)))
        return rc;
    if ((rc = xsu_path(p, "%s/spi", dir)) || (rc = xsw_printf(xs, t, p, "%u", d->spi)))
        return rc;
    if ((rc = xsu_path(p, "%s/intx-pin", dir)) || (rc = xsw_printf(xs, t, p, "%u", d->intx_pin)))
        return rc;
    if ((rc = xsu_path(p, "%s/force", dir)) || (rc = xsw_write(xs, t, p, d->force ? "1" : "0")))
        return rc;
    if ((rc = xsu_path(p, "%s/dma", dir)) || (rc = xsw_write(xs, t, p, dev_dma_name(d->dma))))
        return rc;
    if (d->reset[0] &&
        ((rc = xsu_path(p, "%s/reset", dir)) || (rc = xsw_write(xs, t, p, d->reset))))
        return rc;
    if ((rc = xsp_write_msi(xs, t, dir, d)))
        return rc;
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        if (d->bars[i].type != BAR_NONE && (rc = write_bar(xs, t, dir, i, &d->bars[i], mapped)))
            return rc;
    return 0;
}

/* True if node p holds an SBDF (in the given shape) equal to want. */
static bool node_is(struct xsu_reader *r, const char *p, bool vdev, const struct sbdf *want)
{
    char *v = xsu_get(r, p);
    struct sbdf s;
    bool same;

    if (!v)
        return false;
    same = (vdev ? xsu_parse_vdev(v, &s) : xsu_parse_bdf(v, &s)) && sbdf_equal(&s, want);
    free(v);
    return same;
}

/* -EEXIST if host or guest SBDF is already one of the num devices. */
static int check_duplicates(struct xsu_reader *r, const char *be, unsigned num,
                            const struct dev_assign *d)
{
    char p[XSW_PATH_MAX];
    int rc;

    for (unsigned i = 0; i < num; i++) {
        if ((rc = xsu_path(p, "%s/dev-%u", be, i)))
            return rc;
        if (node_is(r, p, false, &d->host))
            return -EEXIST;
        if ((rc = xsu_path(p, "%s/vdev-%u", be, i)))
            return rc;
        if (node_is(r, p, true, &d->guest))
            return -EEXIST;
        if (r->rc)
            return r->rc;
    }
    return 0;
}

/* be/pcipt/vm (pcipt/xs/xs_owner.h): written with the first device (or
 * when absent); -ESTALE when it names another domain than the current
 * holder of the domid. */
static int own(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, bool first)
{
    char rec[XSP_VM_MAX], cur[XSP_VM_MAX];
    int rc;

    if ((rc = xsp_domain_vm(xs, t, domid, cur, sizeof(cur))))
        return rc;
    if (!xsp_vm_valid(cur))
        cur[0] = '\0';           /* not libxl's: the assignment stays unnamed */
    rc = first ? -ENOENT : xsp_read_owner_vm(xs, t, domid, rec, sizeof(rec));
    if (rc == -ENOENT)
        return xsp_write_owner_vm(xs, t, domid, cur);
    if (rc)
        return rc;
    return rec[0] && strcmp(rec, cur) ? -ESTALE : 0;
}

static int publish_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct publish_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    unsigned num;
    int rc;

    xsp_backend_path(c->domid, be);
    if ((rc = xsp_num_devs(&r, be, &num)))
        return rc;
    if (num >= PCIPT_MAX_DEVS)
        return -ENOSPC;
    if ((rc = check_duplicates(&r, be, num, c->dev)))
        return rc;
    if (num == 0 && (rc = write_backend_head(xs, t, be, c->domid)))
        return rc;
    if ((rc = own(xs, t, c->domid, num == 0)))
        return rc;
    if ((rc = write_libxl_dev(xs, t, be, num, c->dev)) ||
        (rc = write_pcipt_dev(xs, t, be, num, c->dev, c->mapped)))
        return rc;
    if ((rc = xsu_path(p, "%s/num_devs", be)))
        return rc;
    return xsw_printf(xs, t, p, "%u", num + 1);
}

struct adopt_ctx {
    struct publish_ctx pub;
    unsigned n;
};

static int adopt_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct adopt_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX], bdf[16], vdev[16], **kids;
    unsigned num, k;
    int rc;

    xsp_backend_path(c->pub.domid, be);
    if ((rc = xsp_num_devs(&r, be, &num)))
        return rc;
    if (c->n >= num)
        return -ENOENT;
    if ((rc = xsu_path(p, "%s/dev-%u", be, c->n)))
        return rc;
    if (!node_is(&r, p, false, &c->pub.dev->host))
        return r.rc ? r.rc : -ESTALE;
    if ((rc = own(xs, t, c->pub.domid, false)))
        return rc;
    if ((rc = xsu_path(p, "%s/pcipt/dev-%u", be, c->n)))
        return rc;
    if ((kids = xsw_directory(xs, t, p, &k))) {
        free(kids);
        return -EEXIST;
    }
    for (unsigned i = 0; i < num; i++) {
        if (i == c->n)
            continue;
        if ((rc = xsu_path(p, "%s/vdev-%u", be, i)))
            return rc;
        if (node_is(&r, p, true, &c->pub.dev->guest))
            return -EEXIST;
    }
    xsu_fmt_bdf(&c->pub.dev->host, bdf);
    xsu_fmt_vdev(&c->pub.dev->guest, vdev);
    if ((rc = xsu_path(p, "%s/vdev-%u", be, c->n)) || (rc = xsw_write(xs, t, p, vdev)))
        return rc;
    if ((rc = write_pcipt_dev(xs, t, be, c->n, c->pub.dev, c->pub.mapped)))
        return rc;
    if ((rc = xsu_path(p, "%s/pcipt/dev-%u/adopted", be, c->n)) || (rc = xsw_write(xs, t, p, "1")))
        return rc;
    if ((rc = xsu_path(p, "%s/pcipt/dev-%u/host", be, c->n)))
        return rc;
    return xsw_write(xs, t, p, bdf);
}

int xsp_adopt_device_mapped(struct xs_handle *xs, uint32_t domid, unsigned n,
                            const struct dev_assign *dev, const uint64_t mapped[PCI_NUM_RES])
{
    struct adopt_ctx c = { .pub = { .domid = domid, .dev = dev, .mapped = mapped }, .n = n };
    struct xsu_reader r = { 0 };

    xsp_check_dev(&r, "device", dev);
    if (r.rc)
        return r.rc;
    return xsw_transact(xs, adopt_body, &c);
}

int xsp_publish_device(struct xs_handle *xs, uint32_t domid, const struct dev_assign *dev)
{
    return xsp_publish_device_mapped(xs, domid, dev, NULL);
}

int xsp_publish_device_mapped(struct xs_handle *xs, uint32_t domid, const struct dev_assign *dev,
                              const uint64_t mapped[PCI_NUM_RES])
{
    struct publish_ctx c = { .domid = domid, .dev = dev, .mapped = mapped };
    struct xsu_reader r = { 0 };

    xsp_check_dev(&r, "device", dev);
    if (r.rc)
        return r.rc;
    return xsw_transact(xs, publish_body, &c);
}
