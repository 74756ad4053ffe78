/* xlwatch: reading libxl's and pcipt's nodes of one domain in one
 * transaction, and rewriting pcipt's (see xlwatch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/xlwatch_int.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "pcipt/xs/xs_nodes.h"
#include "pcipt/xs/xs_paths.h"

static bool rd_dec(struct xs_handle *xs, xs_transaction_t t, const char *path, uint64_t max,
                   uint64_t *v)
{
    char *s = xsw_read(xs, t, path);
    bool ok = s && xsu_parse_dec(s, max, v);
    free(s);
    return ok;
}

static void read_libxl(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned i,
                       struct xlw_libxl *l)
{
    char p[XSW_PATH_MAX], *s;
    uint64_t v;

    memset(l, 0, sizeof(*l));
    l->slot = -1;
    xsu_path(p, "%s/dev-%u", be, i);
    if (!(s = xsw_read(xs, t, p)))
        return;
    l->ok = xsu_parse_bdf(s, &l->host);
    free(s);
    xsu_path(p, "%s/state-%u", be, i);
    l->state = rd_dec(xs, t, p, 8, &v) ? (unsigned)v : 0;
    xsu_path(p, "%s/vdevfn-%u", be, i);
    if ((s = xsw_read(xs, t, p))) {
        unsigned long fn = strtoul(s, NULL, 16);
        if (fn && fn < 256) {
            l->slot = (int)(fn >> 3);       /* libxl's vdevfn: slot << 3 | function */
            l->fn = (int)(fn & 7);
        }
        free(s);
    }
}

static void read_bars(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                      struct xlwatch_dev *d)
{
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        char tp[XSW_PATH_MAX], *s = NULL;
        struct bar_assign *b = &d->bars[i];
        uint64_t v;
        bool ok;

        if (!xsu_path(tp, "%s/bar-%u/type", dir, i))
            s = xsw_read(xs, t, tp);
        ok = s && xsp_bar_type_parse(s, &b->type);

        free(s);
        if (!ok) {
            b->type = BAR_NONE;
            continue;
        }
        static const char *const leaf[] = { "host", "guest", "size", "mapped" };
        uint64_t *dst[] = { &b->host, &b->guest, &b->size, &d->mapped[i] };
        for (unsigned k = 0; k < 4; k++) {
            char p[XSW_PATH_MAX];
            xsu_path(p, "%s/bar-%u/%s", dir, i, leaf[k]);
            s = xsw_read(xs, t, p);
            *dst[k] = (s && xsu_parse_hex(s, &v)) ? v : 0;   /* "none": 0 */
            free(s);
        }
    }
}

static void read_pcipt(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned k,
                       struct xlw_pcipt *e)
{
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX], *s;
    uint64_t v;

    memset(e, 0, sizeof(*e));
    e->exists = true;
    xsu_path(dir, "%s/pcipt/dev-%u", be, k);
    xsu_path(p, "%s/adopted", dir);
    e->adopted = rd_dec(xs, t, p, 1, &v) && v == 1;
    xsu_path(p, "%s/released", dir);
    e->released = rd_dec(xs, t, p, 1, &v) && v == 1;
    xsu_path(p, "%s/detach", dir);
    if ((s = xsw_read(xs, t, p))) {
        e->detaching = true;          /* pcipt detach's: not ours to release */
        free(s);
    }
    /* Its host: pcipt/dev-K/host (adopted devices, and pcipt's own since
     * libxl may renumber dev-K first); a device published by an older
     * pcipt has none: be/dev-K, the same index as long as nothing moved. */
    xsu_path(p, "%s/host", dir);
    if (!(s = xsw_read(xs, t, p)) && !e->adopted) {
        xsu_path(p, "%s/dev-%u", be, k);
        s = xsw_read(xs, t, p);
    }
    e->named = s && xsu_parse_bdf(s, &e->dev.host);
    free(s);
    if (!e->named) {
        e->adopted = false;
        return;
    }
    e->dev.adopted = e->adopted;
    read_bars(xs, t, dir, &e->dev);
    uint32_t host_devid;
    (void)xsp_read_msi_dir(xs, t, dir, &e->dev.msi, &e->dev.its_guest_devid, &host_devid);
}

static int view_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct xlw_view *v = arg;
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX], **kids;
    uint64_t num;
    unsigned n;

    memset(v->l, 0, sizeof(v->l));
    memset(v->p, 0, sizeof(v->p));
    v->num = v->npc = 0;
    xsp_backend_path(v->domid, be);
    xsu_path(p, "%s/num_devs", be);
    if (rd_dec(xs, t, p, PCIPT_MAX_DEVS, &num))
        v->num = (unsigned)num;
    else if (errno != ENOENT && errno != EINVAL && errno)
        return -errno;
    for (unsigned i = 0; i < v->num; i++)
        read_libxl(xs, t, be, i, &v->l[i]);
    xsu_path(p, "%s/pcipt", be);
    if (!(kids = xsw_directory(xs, t, p, &n)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    for (unsigned i = 0; i < n; i++) {
        uint64_t k;
        if (strncmp(kids[i], "dev-", 4) || !xsu_parse_dec(kids[i] + 4, XLW_MAX_PCIPT - 1, &k))
            continue;
        read_pcipt(xs, t, be, (unsigned)k, &v->p[k]);
        if (k + 1 > v->npc)
            v->npc = (unsigned)k + 1;
    }
    free(kids);
    return 0;
}

int xlw_read_view(struct xs_handle *xs, struct xlw_view *v)
{
    return xsw_transact(xs, view_body, v);
}

/* Copy the subtree src to dst (dst must not exist), depth-first. */
static int copy_tree(struct xs_handle *xs, xs_transaction_t t, const char *src, const char *dst,
                     unsigned depth)
{
    char **kids, *val, s2[XSW_PATH_MAX], d2[XSW_PATH_MAX];
    unsigned n;
    int rc = 0;

    if (depth > 8)
        return -ELOOP;
    if ((val = xsw_read(xs, t, src))) {
        rc = xsw_write(xs, t, dst, val);
        free(val);
        if (rc)
            return rc;
    }
    if (!(kids = xsw_directory(xs, t, src, &n)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    for (unsigned i = 0; i < n && !rc; i++) {
        xsu_path(s2, "%s/%s", src, kids[i]);
        xsu_path(d2, "%s/%s", dst, kids[i]);
        rc = copy_tree(xs, t, s2, d2, depth + 1);
    }
    free(kids);
    return rc;
}

struct drop_ctx { uint32_t domid; unsigned k, npc; };

static int drop_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct drop_ctx *c = arg;
    char be[XSW_PATH_MAX], from[XSW_PATH_MAX], to[XSW_PATH_MAX];
    int rc;

    xsp_backend_path(c->domid, be);
    xsu_path(to, "%s/pcipt/dev-%u", be, c->k);
    if ((rc = xsw_rm(xs, t, to)))
        return rc;
    for (unsigned j = c->k + 1; j < c->npc; j++) {
        xsu_path(from, "%s/pcipt/dev-%u", be, j);
        xsu_path(to, "%s/pcipt/dev-%u", be, j - 1);
        if ((rc = copy_tree(xs, t, from, to, 0)) || (rc = xsw_rm(xs, t, from)))
            return rc;
    }
    return 0;
}

int xlw_drop_pcipt(struct xs_handle *xs, uint32_t domid, unsigned k, unsigned npc)
{
    struct drop_ctx c = { domid, k, npc };
    return xsw_transact(xs, drop_body, &c);
}

struct mark_ctx { uint32_t domid; unsigned k; const struct sbdf *host; };

static int mark_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct mark_ctx *c = arg;
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX], **kids, *s;
    struct sbdf named;
    unsigned n;
    bool same;
    int rc;

    xsp_backend_path(c->domid, be);
    /* Only into the entry read before: libxl removes the whole backend
     * with its last device (libxl__device_pci_remove_xenstore), and a
     * write after that would make the directory again, an orphan no one
     * removes.  Read in the transaction, so a removal between the read and
     * the commit makes the commit fail and the body run again. */
    xsu_path(p, "%s/pcipt/dev-%u/host", be, c->k);
    if (!(s = xsw_read(xs, t, p)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    same = xsu_parse_bdf(s, &named) && sbdf_equal(&named, c->host);
    free(s);
    if (!same)
        return 0;
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        xsu_path(p, "%s/pcipt/dev-%u/bar-%u", be, c->k, i);
        if (!(kids = xsw_directory(xs, t, p, &n)))
            continue;
        free(kids);
        xsu_path(p, "%s/pcipt/dev-%u/bar-%u/mapped", be, c->k, i);
        if ((rc = xsw_write(xs, t, p, "none")))
            return rc;
    }
    xsu_path(p, "%s/pcipt/dev-%u/released", be, c->k);
    return xsw_write(xs, t, p, "1");
}

int xlw_mark_released(struct xs_handle *xs, uint32_t domid, unsigned k, const struct sbdf *host)
{
    struct mark_ctx c = { domid, k, host };
    return xsw_transact(xs, mark_body, &c);
}

/* List pcipt's device of pcipt/dev-k again at the end of libxl's list,
 * after libxl overwrote its dev-k (xl pci-attach took the same N: see
 * xlw_relist in xlwatch_int.h).  One transaction: num_devs is read inside
 * it, so a concurrent writer makes it run again. */
struct relist_ctx { uint32_t domid; unsigned k; const struct sbdf *host; };

static int move_leaf(struct xs_handle *xs, xs_transaction_t t, const char *be, const char *name,
                     unsigned from, unsigned to, char **val)
{
    char p[XSW_PATH_MAX], q[XSW_PATH_MAX];
    int rc;

    *val = NULL;
    xsu_path(p, "%s/%s-%u", be, name, from);
    xsu_path(q, "%s/%s-%u", be, name, to);
    if (!(*val = xsw_read(xs, t, p)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    if ((rc = xsw_write(xs, t, q, *val)) || (rc = xsw_rm(xs, t, p)))
        return rc;
    return 0;
}

static int relist_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct relist_ctx *c = arg;
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX], q[XSW_PATH_MAX], bdf[16], *vdev = NULL, *fn;
    struct sbdf guest;
    uint64_t num;
    int rc;

    xsp_backend_path(c->domid, be);
    xsu_path(p, "%s/num_devs", be);
    if (!rd_dec(xs, t, p, PCIPT_MAX_DEVS - 1, &num))
        return errno ? -errno : -EINVAL;
    /* vdev-k is still pcipt's (libxl never writes vdev-N) */
    if ((rc = move_leaf(xs, t, be, "vdev", c->k, (unsigned)num, &vdev)))
        return rc;
    if (!vdev || !xsu_parse_vdev(vdev, &guest)) {
        free(vdev);
        return -EINVAL;
    }
    free(vdev);
    /* vdevfn-k too, unless libxl wrote its own vslot there */
    xsu_path(p, "%s/vdevfn-%u", be, c->k);
    if ((fn = xsw_read(xs, t, p))) {
        if (strtoul(fn, NULL, 16) == (unsigned long)(guest.dev << 3 | guest.fn))
            rc = xsw_rm(xs, t, p);
        free(fn);
        if (rc)
            return rc;
    }
    xsu_fmt_bdf(c->host, bdf);
    xsu_path(q, "%s/pcipt/dev-%u", be, (unsigned)num);
    xsu_path(p, "%s/pcipt/dev-%u", be, c->k);
    if ((rc = xsw_rm(xs, t, q)) || (rc = copy_tree(xs, t, p, q, 0)) || (rc = xsw_rm(xs, t, p)))
        return rc;
#define W(name, ...) (xsu_path(p, "%s/" name "-%u", be, (unsigned)num), \
                      xsw_printf(xs, t, p, __VA_ARGS__))
    if ((rc = W("key", "%s", bdf)) || (rc = W("dev", "%s", bdf)) ||
        (rc = W("vdevfn", "%x", (unsigned)(guest.dev << 3 | guest.fn))) ||
        (rc = W("opts", "%s", XSP_OPTS)) || (rc = W("state", "%d", XSP_XENBUS_INITIALISING)))
        return rc;
#undef W
    xsu_path(p, "%s/num_devs", be);
    return xsw_printf(xs, t, p, "%u", (unsigned)num + 1);
}

int xlw_relist(struct xs_handle *xs, uint32_t domid, unsigned k, const struct sbdf *host)
{
    struct relist_ctx c = { domid, k, host };
    return xsw_transact(xs, relist_body, &c);
}
