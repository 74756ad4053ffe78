/* Removing devices and domains.  Hot-remove renumbers the later devices
 * down by one, as libxl__device_pci_remove_xenstore does for its nodes
 * (state/key/dev/vdev/opts/vdevfn-N); pcipt/dev-N moves with them.  The
 * last device takes the whole backend dir, and empty parents, with it
 * (libxl__device_destroy + libxl__xs_path_cleanup). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"

/* Copy the subtree src to dst (values only; dst inherits the parent's
 * dom0-only permissions). */
static int copy_tree(struct xs_handle *xs, xs_transaction_t t, const char *src, const char *dst,
                     int depth)
{
    char cs[XSW_PATH_MAX], cd[XSW_PATH_MAX], **kids;
    unsigned n;
    char *v;
    int rc;

    if (depth > 8)
        return -ELOOP;
    if (!(v = xsw_read(xs, t, src)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    rc = xsw_write(xs, t, dst, v);
    free(v);
    if (rc)
        return rc;
    if (!(kids = xsw_directory(xs, t, src, &n)))
        return errno ? -errno : -EIO;
    for (unsigned i = 0; i < n && !rc; i++) {
        rc = xsu_path(cs, "%s/%s", src, kids[i]);
        if (!rc)
            rc = xsu_path(cd, "%s/%s", dst, kids[i]);
        if (!rc)
            rc = copy_tree(xs, t, cs, cd, depth + 1);
    }
    free(kids);
    return rc;
}

/* Move node (or subtree) fmt-from to fmt-to, if it exists. */
static int move_node(struct xs_handle *xs, xs_transaction_t t, const char *from, const char *to)
{
    int rc = xsw_rm(xs, t, to);

    if (!rc)
        rc = copy_tree(xs, t, from, to, 0);
    if (!rc)
        rc = xsw_rm(xs, t, from);
    return rc;
}

static int rm_dev_nodes(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned i)
{
    static const char *const names[] = XSP_LIBXL_DEV_NODES;
    char p[XSW_PATH_MAX];
    int rc;

    for (unsigned k = 0; k < XSP_LIBXL_NR_DEV_NODES; k++)
        if ((rc = xsu_path(p, "%s/%s-%u", be, names[k], i)) || (rc = xsw_rm(xs, t, p)))
            return rc;
    if ((rc = xsu_path(p, "%s/pcipt/dev-%u", be, i)))
        return rc;
    return xsw_rm(xs, t, p);
}

static int shift_dev_nodes(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned j)
{
    static const char *const names[] = XSP_LIBXL_DEV_NODES;
    char from[XSW_PATH_MAX], to[XSW_PATH_MAX];
    int rc;

    for (unsigned k = 0; k < XSP_LIBXL_NR_DEV_NODES; k++) {
        if ((rc = xsu_path(from, "%s/%s-%u", be, names[k], j)) ||
            (rc = xsu_path(to, "%s/%s-%u", be, names[k], j - 1)) ||
            (rc = move_node(xs, t, from, to)))
            return rc;
    }
    if ((rc = xsu_path(from, "%s/pcipt/dev-%u", be, j)) ||
        (rc = xsu_path(to, "%s/pcipt/dev-%u", be, j - 1)))
        return rc;
    return move_node(xs, t, from, to);
}

/* Remove path, then its parents while they are empty, stopping at
 * /local/domain/0 (which a running system always has). */
static int rm_with_empty_parents(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    char p[XSW_PATH_MAX], **kids;
    unsigned n;
    int rc;

    snprintf(p, sizeof(p), "%s", path);
    if ((rc = xsw_rm(xs, t, p)))
        return rc;
    for (char *slash = strrchr(p, '/'); slash && slash > p; slash = strrchr(p, '/')) {
        *slash = '\0';
        if (!strcmp(p, "/local/domain/0"))
            break;
        if (!(kids = xsw_directory(xs, t, p, &n)))
            return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
        free(kids);
        if (n)
            break;
        if ((rc = xsw_rm(xs, t, p)))
            return rc;
    }
    return 0;
}

struct remove_ctx {
    uint32_t domid;
    const struct sbdf *host;
};

static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct remove_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    unsigned num;
    int i, rc;

    xsp_backend_path(c->domid, be);
    if ((rc = xsp_num_devs(&r, be, &num)))
        return rc;
    if ((i = xsp_find_dev(&r, be, num, c->host)) < 0)
        return i;
    if (num == 1)
        return rm_with_empty_parents(xs, t, be);
    if ((rc = rm_dev_nodes(xs, t, be, (unsigned)i)))
        return rc;
    for (unsigned j = (unsigned)i + 1; j < num; j++)
        if ((rc = shift_dev_nodes(xs, t, be, j)))
            return rc;
    if ((rc = xsu_path(p, "%s/num_devs", be)))
        return rc;
    return xsw_printf(xs, t, p, "%u", num - 1);
}

int xsp_remove_device(struct xs_handle *xs, uint32_t domid, const struct sbdf *host)
{
    struct remove_ctx c = { .domid = domid, .host = host };

    return xsw_transact(xs, remove_body, &c);
}

static int remove_domain_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    char be[XSW_PATH_MAX];

    return rm_with_empty_parents(xs, t, xsp_backend_path(*(const uint32_t *)arg, be));
}

int xsp_remove_domain(struct xs_handle *xs, uint32_t domid)
{
    return xsw_transact(xs, remove_domain_body, &domid);
}
