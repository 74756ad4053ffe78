/* xsp_read_domain: the whole assignment of a domain, validated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"
#include "pcipt/xs/xs_owner.h"

/* A node whose value must equal want exactly. */
static void expect(struct xsu_reader *r, const char *path, const char *want)
{
    char *v = xsu_get(r, path);

    if (v && strcmp(v, want))
        xsu_bad(r, path, "'%.40s' should be '%s'", v, want);
    free(v);
}

/* pcipt/vm (pcipt/xs/xs_owner.h): absent in an older pcipt's records. */
static void read_owner(struct xsu_reader *r, const char *be)
{
    char p[XSW_PATH_MAX], *v;

    xsu_path(p, "%s/pcipt/vm", be);
    if (!(v = xsu_get_optional(r, p)))
        return;
    if (!xsp_vm_valid(v))
        xsu_bad(r, p, "'%.40s' is not a domain's vm node (/vm/UUID)", v);
    free(v);
}

static void read_head(struct xsu_reader *r, const char *be, uint32_t domid)
{
    char p[XSW_PATH_MAX], want[XSW_PATH_MAX];
    uint64_t v;

    xsu_path(p, "%s/frontend", be);
    xsu_path(want, "/local/domain/%u/device/pci/0", domid);
    expect(r, p, want);
    xsu_path(p, "%s/frontend-id", be);
    xsu_path(want, "%u", domid);
    expect(r, p, want);
    xsu_path(p, "%s/online", be);
    xsu_get_dec(r, p, 1, &v);
    xsu_path(p, "%s/state", be);   /* XenbusState: 0..8 */
    xsu_get_dec(r, p, 8, &v);
    xsu_path(p, "%s/domain", be);  /* free-form name */
    free(xsu_get(r, p));
    read_owner(r, be);
}

/* "msitranslate=%d,power_mgmt=%d,permissive=%d,rdm_policy=%s" (libxl). */
bool xsp_opts_valid(const char *v)
{
    unsigned a, b, c;
    char pol[16];
    int end = 0;

    return sscanf(v, "msitranslate=%1u,power_mgmt=%1u,permissive=%1u,rdm_policy=%15[a-z]%n",
                  &a, &b, &c, pol, &end) == 4 && !v[end] && a <= 1 && b <= 1 && c <= 1 &&
           (!strcmp(pol, "strict") || !strcmp(pol, "relaxed"));
}

static void check_opts(struct xsu_reader *r, const char *path)
{
    char *v = xsu_get(r, path);

    if (v && !xsp_opts_valid(v))
        xsu_bad(r, path, "'%.60s' is not libxl's opts format", v);
    free(v);
}

static void read_sbdf(struct xsu_reader *r, const char *path, bool vdev, struct sbdf *out)
{
    char *v = xsu_get(r, path);

    if (v && !(vdev ? xsu_parse_vdev(v, out) : xsu_parse_bdf(v, out)))
        xsu_bad(r, path, "'%.40s' is not a PCI address of the form %s", v,
                vdev ? "ssss:bb:dd.ff" : "ssss:bb:dd.f");
    free(v);
}

static void read_bar(struct xsu_reader *r, const char *dir, unsigned i, struct bar_assign *b)
{
    char p[XSW_PATH_MAX], **kids;
    unsigned n;
    uint64_t v;
    char *s;

    xsu_path(p, "%s/bar-%u", dir, i);
    if (!(kids = xsw_directory(r->xs, r->t, p, &n))) {
        if (errno != ENOENT)
            xsu_fail(r, errno ? -errno : -EIO, p);
        return;                                /* absent: BAR_NONE */
    }
    free(kids);
    xsu_path(p, "%s/bar-%u/type", dir, i);
    if ((s = xsu_get(r, p)) && !xsp_bar_type_parse(s, &b->type))
        xsu_bad(r, p, "'%.40s' is not a BAR type (mem32, mem64, io, rom)", s);
    free(s);
    xsu_path(p, "%s/bar-%u/prefetchable", dir, i);
    if (xsu_get_dec(r, p, 1, &v))
        b->prefetchable = v;
    xsu_path(p, "%s/bar-%u/host", dir, i);
    xsu_get_hex(r, p, &b->host);
    xsu_path(p, "%s/bar-%u/guest", dir, i);
    xsu_get_hex(r, p, &b->guest);
    xsu_path(p, "%s/bar-%u/size", dir, i);
    xsu_get_hex(r, p, &b->size);
}

/* dma: written since DMA isolation came; records from before lack it and
 * meant "off" (the guest's Bus Master never reached the host). */
static void read_dma(struct xsu_reader *r, const char *p, enum dev_dma *out)
{
    char *v;

    *out = DEV_DMA_OFF;
    if (!(v = xsu_get_optional(r, p)))
        return;
    if (dev_dma_parse(v, out))
        xsu_bad(r, p, "'%s' is not iommu, off or unsafe", v);
    free(v);
}

/* reset (pcipt/host/host_reset.h): absent = "" (published before it). */
static void read_reset(struct xsu_reader *r, const char *p, char *out, size_t len)
{
    char *v;

    out[0] = '\0';
    if (!(v = xsu_get_optional(r, p)))
        return;
    if (!v[0] || strlen(v) >= len || strspn(v, "abcdefghijklmnopqrstuvwxyz_-") != strlen(v))
        xsu_bad(r, p, "'%.20s' is not a reset method", v);
    else
        snprintf(out, len, "%s", v);
    free(v);
}

/* msi (docs/design/msi-announce.md "xenstore"): absent = off, as devices
 * published before it; with vits, both DeviceIDs. */
static void read_msi(struct xsu_reader *r, const char *dir, struct dev_assign *d)
{
    char p[XSW_PATH_MAX], *v;
    uint64_t n = 0;

    d->msi = DEV_MSI_OFF;
    xsu_path(p, "%s/msi", dir);
    if (!(v = xsu_get_optional(r, p)))
        return;
    if (dev_msi_parse(v, &d->msi))
        xsu_bad(r, p, "'%s' is not vits or off", v);
    free(v);
    if (r->rc || d->msi != DEV_MSI_VITS)
        return;
    xsu_path(p, "%s/its-guest-devid", dir);
    if (xsu_get_hex(r, p, &n) && n > UINT32_MAX)
        xsu_bad(r, p, "does not fit 32 bits");
    d->its_guest_devid = (uint32_t)n;
    n = 0;
    xsu_path(p, "%s/its-host-devid", dir);
    if (xsu_get_hex(r, p, &n) && n > UINT32_MAX)
        xsu_bad(r, p, "does not fit 32 bits");
    d->its_host_devid = (uint32_t)n;
}

/* vdevfn-N ("%x" of the guest's slot << 3 | function, for xl pci-list)
 * and pcipt/dev-N/host repeat what vdev-N and dev-N say: absent is fine
 * (published before issue 16), a value that disagrees is not. */
static void check_vdevfn(struct xsu_reader *r, const char *p, const struct sbdf *guest)
{
    unsigned want = (unsigned)(guest->dev << 3 | guest->fn);
    char *v, *end;

    if (r->rc || !(v = xsu_get_optional(r, p)))
        return;
    if (!*v || strtoul(v, &end, 16) != want || *end)
        xsu_bad(r, p, "'%.40s' is not the vdev's slot and function (%x)", v, want);
    free(v);
}

static void check_host(struct xsu_reader *r, const char *p, const struct sbdf *host, unsigned n)
{
    struct sbdf s;
    char *v;

    if (r->rc || !(v = xsu_get_optional(r, p)))
        return;
    if (!xsu_parse_bdf(v, &s) || !sbdf_equal(&s, host))
        xsu_bad(r, p, "'%.40s' differs from dev-%u", v, n);
    free(v);
}

/* After the checks of each device and of their uniqueness. */
static void check_repeats(struct xsu_reader *r, const char *be, unsigned n,
                          const struct dev_assign *d)
{
    char p[XSW_PATH_MAX];

    xsu_path(p, "%s/vdevfn-%u", be, n);
    check_vdevfn(r, p, &d->guest);
    xsu_path(p, "%s/pcipt/dev-%u/host", be, n);
    check_host(r, p, &d->host, n);
}

static void read_dev(struct xsu_reader *r, const char *be, unsigned n, struct dev_assign *d)
{
    char p[XSW_PATH_MAX], dir[XSW_PATH_MAX];
    struct sbdf key;
    uint64_t v;

    xsu_path(p, "%s/dev-%u", be, n);
    read_sbdf(r, p, false, &d->host);
    xsu_path(p, "%s/key-%u", be, n);
    read_sbdf(r, p, false, &key);
    if (!r->rc && !sbdf_equal(&key, &d->host))
        xsu_bad(r, p, "differs from dev-%u", n);
    xsu_path(p, "%s/vdev-%u", be, n);
    read_sbdf(r, p, true, &d->guest);
    xsu_path(p, "%s/opts-%u", be, n);
    check_opts(r, p);
    xsu_path(p, "%s/state-%u", be, n);
    xsu_get_dec(r, p, 8, &v);

    xsu_path(dir, "%s/pcipt/dev-%u", be, n);
    xsu_path(p, "%s/spi", dir);
    if (xsu_get_dec(r, p, UINT32_MAX, &v))
        d->spi = (uint32_t)v;
    xsu_path(p, "%s/intx-pin", dir);
    if (xsu_get_dec(r, p, 255, &v))
        d->intx_pin = (uint8_t)v;
    xsu_path(p, "%s/force", dir);
    if (xsu_get_dec(r, p, 1, &v))
        d->force = v;
    xsu_path(p, "%s/dma", dir);
    read_dma(r, p, &d->dma);
    xsu_path(p, "%s/reset", dir);
    read_reset(r, p, d->reset, sizeof(d->reset));
    read_msi(r, dir, d);
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        read_bar(r, dir, i, &d->bars[i]);
    if (!r->rc)
        xsp_check_dev(r, dir, d);
}

/* Two devices may share neither host nor virtual SBDF.  They may share an
 * INTx SPI: the routes are fixed per slot and pin and wrap around the SPI
 * range (pcipt/assign/intx_route.h), and the relay ORs the lines that share
 * one (pcipt/daemon/daemon_intx.c). */
static void check_unique(struct xsu_reader *r, const char *be, const struct domain_assign *a)
{
    char p[XSW_PATH_MAX];

    for (unsigned i = 0; i < a->ndevs; i++)
        for (unsigned j = 0; j < i; j++) {
            if (sbdf_equal(&a->devs[i].host, &a->devs[j].host)) {
                xsu_path(p, "%s/dev-%u", be, i);
                return xsu_bad(r, p, "same host device as dev-%u", j);
            }
            if (sbdf_equal(&a->devs[i].guest, &a->devs[j].guest)) {
                xsu_path(p, "%s/vdev-%u", be, i);
                return xsu_bad(r, p, "same virtual address as vdev-%u", j);
            }
        }
}

/* Does be/pcipt/dev-n exist?  (Errors other than ENOENT are recorded.) */
static bool has_pcipt_dir(struct xsu_reader *r, const char *be, unsigned n)
{
    char p[XSW_PATH_MAX], **kids;
    unsigned k;

    xsu_path(p, "%s/pcipt/dev-%u", be, n);
    if ((kids = xsw_directory(r->xs, r->t, p, &k))) {
        free(kids);
        return true;
    }
    if (errno != ENOENT)
        xsu_fail(r, errno ? -errno : -EIO, p);
    return false;
}

struct read_ctx {
    struct domain_assign *out;
    bool skip_libxl_only;           /* skip be/dev-N without be/pcipt/dev-N */
    char *err;
    size_t errlen;
};

static int read_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct read_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t, .err = c->err, .errlen = c->errlen };
    char be[XSW_PATH_MAX];
    uint32_t domid = c->out->domid;
    unsigned num;

    memset(c->out, 0, sizeof(*c->out));
    c->out->domid = domid;
    xsp_backend_path(domid, be);
    if (xsp_num_devs(&r, be, &num))
        return r.rc;
    if (num == 0) {
        snprintf(c->err, c->errlen, "%s/num_devs: no devices published for domain %u", be,
                 domid);
        return -ENOENT;
    }
    read_head(&r, be, domid);
    for (unsigned n = 0; n < num && !r.rc; n++) {
        if (c->skip_libxl_only && !has_pcipt_dir(&r, be, n))
            continue;
        read_dev(&r, be, n, &c->out->devs[c->out->ndevs++]);
    }
    if (!r.rc && c->out->ndevs == 0) {
        snprintf(c->err, c->errlen, "%s: no devices published by pcipt for domain %u", be,
                 domid);
        return -ENOENT;
    }
    if (!r.rc)
        check_unique(&r, be, c->out);
    for (unsigned n = 0, i = 0; n < num && !r.rc; n++)
        if (!c->skip_libxl_only || has_pcipt_dir(&r, be, n))
            check_repeats(&r, be, n, &c->out->devs[i++]);
    return r.rc;
}

static int read_domain(struct xs_handle *xs, uint32_t domid, struct domain_assign *out,
                       bool skip_libxl_only, char *err, size_t errlen)
{
    char dummy[1];
    struct read_ctx c = { .out = out, .err = err ? err : dummy, .errlen = err ? errlen : 1,
                          .skip_libxl_only = skip_libxl_only };
    int rc;

    if (c.errlen)
        c.err[0] = '\0';
    out->domid = domid;
    rc = xsw_transact_read(xs, read_body, &c);
    if (rc && c.errlen && !c.err[0])
        snprintf(c.err, c.errlen, "reading domain %u from xenstore: %s", domid, strerror(-rc));
    if (rc)
        out->ndevs = 0;
    return rc;
}

int xsp_read_domain(struct xs_handle *xs, uint32_t domid, struct domain_assign *out, char *err,
                    size_t errlen)
{
    return read_domain(xs, domid, out, false, err, errlen);
}

int xsp_read_domain_published(struct xs_handle *xs, uint32_t domid, struct domain_assign *out,
                              char *err, size_t errlen)
{
    return read_domain(xs, domid, out, true, err, errlen);
}

int xsp_list_domains(struct xs_handle *xs, uint32_t *domids, unsigned max)
{
    char **kids;
    unsigned n, out = 0;
    uint64_t v;

    if (!(kids = xsw_directory(xs, XBT_NULL, XSP_BACKEND_ROOT, &n)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    for (unsigned i = 0; i < n; i++) {
        unsigned j;

        if (!xsu_parse_dec(kids[i], 0x7fef, &v) || out >= max)   /* DOMID_FIRST_RESERVED */
            continue;
        for (j = out; j > 0 && domids[j - 1] > v; j--)           /* insertion sort */
            domids[j] = domids[j - 1];
        domids[j] = (uint32_t)v;
        out++;
    }
    free(kids);
    return (int)out;
}
