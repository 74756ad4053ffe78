/* Per-device nodes that change after publishing: the p2m record of each
 * BAR (pcipt/dev-N/bar-I/mapped, docs/design/attach.md "Hand-over: p2m
 * records") and pcipt/dev-N/detach, which detach and the daemon use to hand
 * a device over (docs/design/attach.md "Hand-over: detach takes a device
 * back").  Each operation is one transaction that finds the
 * device by host SBDF, so it follows renumbering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_mapped.h"
#include "pcipt/xs/xs_nodes.h"

int xsp_fmt_mapped(struct xs_handle *xs, xs_transaction_t t, const char *path, uint64_t gaddr)
{
    if (!gaddr)
        return xsw_write(xs, t, path, "none");
    return xsw_printf(xs, t, path, "0x%llx", (unsigned long long)gaddr);
}

struct node_ctx {
    uint32_t domid;
    const struct sbdf *host;
    int bar;                   /* -1: pcipt/dev-N/detach, else pcipt/dev-N/bar-I/mapped */
    uint64_t value;            /* in (write) / out (read) */
};

/* The node's path for the device (-ENOENT if the device is absent). */
static int node_path(struct xsu_reader *r, const struct node_ctx *c, char *p)
{
    char be[XSW_PATH_MAX];
    unsigned num;
    int i;

    xsp_backend_path(c->domid, be);
    if (xsp_num_devs(r, be, &num))
        return r->rc;
    if ((i = xsp_find_dev(r, be, num, c->host)) < 0)
        return i;
    if (c->bar < 0)
        return xsu_path(p, "%s/pcipt/dev-%d/detach", be, i);
    return xsu_path(p, "%s/pcipt/dev-%d/bar-%d/mapped", be, i, c->bar);
}

/* -ENOENT unless the sibling node `sib` of path exists (bar-I/type: a
 * record only for a published BAR; pcipt/dev-N/spi: a hand-over only for
 * a device pcipt published, never a libxl-only dev-N). */
static int sibling_exists(struct xs_handle *xs, xs_transaction_t t, const char *path,
                          const char *leaf, const char *sib)
{
    char p[XSW_PATH_MAX], *v;
    size_t n = strlen(path) - strlen(leaf);

    if (n + strlen(sib) >= sizeof(p))
        return -ENAMETOOLONG;
    memcpy(p, path, n);
    strcpy(p + n, sib);
    if (!(v = xsw_read(xs, t, p)))
        return errno ? -errno : -EIO;
    free(v);
    return 0;
}

static int write_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct node_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char p[XSW_PATH_MAX];
    int rc;

    if ((rc = node_path(&r, c, p)))
        return rc;
    if (c->bar < 0)
        return (rc = sibling_exists(xs, t, p, "detach", "spi")) ? rc
               : xsw_printf(xs, t, p, "%llu", (unsigned long long)c->value);
    if ((rc = sibling_exists(xs, t, p, "mapped", "type")))
        return rc;
    return xsp_fmt_mapped(xs, t, p, c->value);
}

static int read_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct node_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char p[XSW_PATH_MAX], *v;
    bool ok;
    int rc;

    if ((rc = node_path(&r, c, p)))
        return rc;
    if (!(v = xsw_read(xs, t, p))) {
        /* an absent record: -ENOENT, and the caller's value reads "none" */
        c->value = 0;
        return errno ? -errno : -EIO;
    }
    if (c->bar < 0) {
        ok = xsu_parse_dec(v, 255, &c->value);
    } else if (!strcmp(v, "none")) {
        c->value = 0;
        ok = true;
    } else {
        ok = xsu_parse_hex(v, &c->value) && c->value != 0;
    }
    free(v);
    return ok ? 0 : -EINVAL;
}

static bool bar_ok(unsigned bar)
{
    return bar < PCI_NUM_RES;
}

int xsp_write_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         unsigned bar, uint64_t gaddr)
{
    struct node_ctx c = { .domid = domid, .host = host, .bar = (int)bar, .value = gaddr };

    return bar_ok(bar) ? xsw_transact(xs, write_body, &c) : -EINVAL;
}

int xsp_read_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        unsigned bar, uint64_t *gaddr)
{
    struct node_ctx c = { .domid = domid, .host = host, .bar = (int)bar };
    int rc;

    *gaddr = 0;
    if (!bar_ok(bar))
        return -EINVAL;
    rc = xsw_transact(xs, read_body, &c);
    if (!rc)
        *gaddr = c.value;
    return rc;
}

int xsp_write_dev_detach(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         unsigned value)
{
    struct node_ctx c = { .domid = domid, .host = host, .bar = -1, .value = value };

    return value <= 255 ? xsw_transact(xs, write_body, &c) : -EINVAL;
}

int xsp_read_dev_detach(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        unsigned *value)
{
    struct node_ctx c = { .domid = domid, .host = host, .bar = -1 };
    int rc;

    if (!(rc = xsw_transact(xs, read_body, &c)))
        *value = (unsigned)c.value;
    return rc;
}

/* be/pcipt/server/<name> = value, for the daemon (state, stats). */
struct server_node_ctx {
    uint32_t domid;
    const char *name, *value;
};

static int node_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct server_node_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    unsigned num;
    int rc;

    xsp_backend_path(c->domid, be);
    if (xsp_num_devs(&r, be, &num))
        return r.rc;
    /* no device: only into a record that exists (xsp_write_server_empty),
     * never recreating a backend dir that a destroy or detach removed */
    if (num == 0) {
        char *pid;
        if ((rc = xsu_path(p, "%s/pcipt/server/pid", be)))
            return rc;
        if (!(pid = xsw_read(xs, t, p)))
            return -ENOENT;
        free(pid);
    }
    if ((rc = xsu_path(p, "%s/pcipt/server/%s", be, c->name)))
        return rc;
    return xsw_write(xs, t, p, c->value);
}

int xsp_write_server_node(struct xs_handle *xs, uint32_t domid, const char *name,
                          const char *value)
{
    struct server_node_ctx c = { .domid = domid, .name = name, .value = value };

    if (!name || !*name || strchr(name, '/'))
        return -EINVAL;
    return xsw_transact(xs, node_body, &c);
}
