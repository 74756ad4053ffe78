/* p2m records and daemon nodes (pcipt/xs_mapped.h). */
#include "pcipt/xs_mapped.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs_nodes.h"

struct mapped_ctx {
    uint32_t domid;
    const struct sbdf *host;
    int bar;
    uint64_t *gaddr;
    const char *name, *value;
};

static int bar_path(struct xsu_reader *r, const struct mapped_ctx *c, char *p)
{
    char be[XSW_PATH_MAX];
    unsigned num;
    int i;

    if (c->bar < 0 || c->bar >= PCI_NUM_RES)
        return -EINVAL;
    xsp_backend_path(c->domid, be);
    if (xsp_num_devs(r, be, &num))
        return r->rc;
    if ((i = xsp_find_dev(r, be, num, c->host)) < 0)
        return i;
    return xsu_path(p, "%s/pcipt/dev-%d/bar-%d/mapped", be, i, c->bar);
}

static int write_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct mapped_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char p[XSW_PATH_MAX];
    int rc;

    if ((rc = bar_path(&r, c, p)))
        return rc;
    if (!*c->gaddr)
        return xsw_write(xs, t, p, "none");
    return xsw_printf(xs, t, p, "0x%llx", (unsigned long long)*c->gaddr);
}

int xsp_write_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host, int bar,
                         uint64_t gaddr)
{
    struct mapped_ctx c = { .domid = domid, .host = host, .bar = bar, .gaddr = &gaddr };

    return xsw_transact(xs, write_body, &c);
}

static int read_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct mapped_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char p[XSW_PATH_MAX], *v;
    int rc = bar_path(&r, c, p);

    *c->gaddr = 0;
    if (rc)
        return rc;
    if (!(v = xsw_read(xs, t, p)))
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    if (strcmp(v, "none") && !xsu_parse_hex(v, c->gaddr))
        rc = -EINVAL;
    free(v);
    return rc;
}

int xsp_read_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host, int bar,
                        uint64_t *gaddr)
{
    struct mapped_ctx c = { .domid = domid, .host = host, .bar = bar, .gaddr = gaddr };

    return xsw_transact(xs, read_body, &c);
}

static int node_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct mapped_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    unsigned num;
    int rc;

    xsp_backend_path(c->domid, be);
    if (xsp_num_devs(&r, be, &num))
        return r.rc;
    if (num == 0)
        return -ENOENT;
    if ((rc = xsu_path(p, "%s/pcipt/server/%s", be, c->name)))
        return rc;
    return xsw_write(xs, t, p, c->value);
}

int xsp_write_server_node(struct xs_handle *xs, uint32_t domid, const char *name,
                          const char *value)
{
    struct mapped_ctx c = { .domid = domid, .name = name, .value = value };

    if (!name || !*name || strchr(name, '/'))
        return -EINVAL;
    return xsw_transact(xs, node_body, &c);
}
