/* The daemon's nodes: per-device guest-visible state (struct vdev_state,
 * one node per field under pcipt/dev-N/state/) and the IOREQ server
 * (pcipt/server/).  Values are "0x..." hex. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"

struct state_field {
    const char *name;
    size_t off, size;
};

#define SF(n, f) { n, offsetof(struct vdev_state, f), sizeof(((struct vdev_state *)0)->f) }
#define SB(i) { "bar-" #i, offsetof(struct vdev_state, guest_bar) + (i) * sizeof(uint64_t), 8 }
static const struct state_field state_fields[] = {
    SF("command", command), SF("status-rw1c", status_rw1c),
    SB(0), SB(1), SB(2), SB(3), SB(4), SB(5), SB(6),
    SF("rom-ctrl", rom_ctrl), SF("intx-line", intx_line),
    SF("msi-ctrl", msi_ctrl), SF("msi-addr", msi_addr), SF("msi-data", msi_data),
    SF("msi-mask", msi_mask), SF("msix-ctrl", msix_ctrl),
    SF("pcie-devctl", pcie_devctl), SF("pcie-lnkctl", pcie_lnkctl),
    SF("pcie-devctl2", pcie_devctl2), SF("pm-ctrl", pm_ctrl),
    SF("cache-line", cache_line), SF("latency-timer", latency_timer),
    SF("bars-mapped", bars_mapped), SF("msi-pending", msi_pending),
};
#define NR_STATE_FIELDS (sizeof(state_fields) / sizeof(state_fields[0]))
_Static_assert(PCI_NUM_RES == 7, "state_fields lists bar-0..bar-6");

static uint64_t field_get(const struct vdev_state *st, const struct state_field *f)
{
    const unsigned char *p = (const unsigned char *)st + f->off;
    uint8_t v8; uint16_t v16; uint32_t v32; uint64_t v64;

    switch (f->size) {
    case 1: memcpy(&v8, p, 1); return v8;
    case 2: memcpy(&v16, p, 2); return v16;
    case 4: memcpy(&v32, p, 4); return v32;
    default: memcpy(&v64, p, 8); return v64;
    }
}

/* false if v does not fit the field. */
static bool field_set(struct vdev_state *st, const struct state_field *f, uint64_t v)
{
    unsigned char *p = (unsigned char *)st + f->off;
    uint8_t v8 = (uint8_t)v; uint16_t v16 = (uint16_t)v; uint32_t v32 = (uint32_t)v;

    if (f->size < 8 && v >> (f->size * 8))
        return false;
    switch (f->size) {
    case 1: memcpy(p, &v8, 1); break;
    case 2: memcpy(p, &v16, 2); break;
    case 4: memcpy(p, &v32, 4); break;
    default: memcpy(p, &v, 8); break;
    }
    return true;
}

/* be/pcipt/dev-N of the device with host SBDF host, inside t. */
static int dev_dir(struct xsu_reader *r, uint32_t domid, const struct sbdf *host, char *dir)
{
    char be[XSW_PATH_MAX];
    unsigned num;
    int i;

    xsp_backend_path(domid, be);
    if (xsp_num_devs(r, be, &num))
        return r->rc;
    if ((i = xsp_find_dev(r, be, num, host)) < 0)
        return i;
    return xsu_path(dir, "%s/pcipt/dev-%d", be, i);
}

struct state_ctx {
    uint32_t domid;
    const struct sbdf *host;
    struct vdev_state *st;
    char *err;
    size_t errlen;
};

static int write_state_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct state_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX];
    int rc;

    if ((rc = dev_dir(&r, c->domid, c->host, dir)))
        return rc;
    for (unsigned i = 0; i < NR_STATE_FIELDS; i++)
        if ((rc = xsu_path(p, "%s/state/%s", dir, state_fields[i].name)) ||
            (rc = xsw_printf(xs, t, p, "0x%llx",
                             (unsigned long long)field_get(c->st, &state_fields[i]))))
            return rc;
    return 0;
}

int xsp_write_vdev_state(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         const struct vdev_state *st)
{
    struct state_ctx c = { .domid = domid, .host = host, .st = (struct vdev_state *)st };

    return xsw_transact(xs, write_state_body, &c);
}

static int read_state_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct state_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t, .err = c->err, .errlen = c->errlen };
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX], **kids;
    unsigned n;
    uint64_t v;
    int rc;

    if ((rc = dev_dir(&r, c->domid, c->host, dir)))
        return rc;
    xsu_path(p, "%s/state", dir);
    if (!(kids = xsw_directory(xs, t, p, &n)))
        return errno ? -errno : -EIO;       /* ENOENT: never written */
    free(kids);
    memset(c->st, 0, sizeof(*c->st));
    for (unsigned i = 0; i < NR_STATE_FIELDS && !r.rc; i++) {
        xsu_path(p, "%s/state/%s", dir, state_fields[i].name);
        if (xsu_get_hex(&r, p, &v) && !field_set(c->st, &state_fields[i], v))
            xsu_bad(&r, p, "0x%llx does not fit in %zu bytes", (unsigned long long)v,
                    state_fields[i].size);
    }
    return r.rc;
}

int xsp_read_vdev_state(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        struct vdev_state *st, char *err, size_t errlen)
{
    char dummy[1];
    struct state_ctx c = { .domid = domid, .host = host, .st = st, .err = err ? err : dummy,
                           .errlen = err ? errlen : 1 };

    c.err[0] = '\0';
    return xsw_transact(xs, read_state_body, &c);
}

/* ---- the IOREQ server ---- */

struct server_ctx {
    uint32_t domid;
    struct xsp_server *srv;
    char *err;
    size_t errlen;
    bool empty_ok;      /* xsp_write_server_empty */
};

/* be/pcipt/server, with devices published; with none only when empty_ok
 * (a record of a domain with no device yet, or reading one). */
static int server_dir(struct xsu_reader *r, uint32_t domid, bool empty_ok, char *dir)
{
    char be[XSW_PATH_MAX];
    unsigned num;

    xsp_backend_path(domid, be);
    if (xsp_num_devs(r, be, &num))
        return r->rc;
    if (num == 0 && !empty_ok)
        return -ENOENT;
    return xsu_path(dir, "%s/pcipt/server", be);
}

static int write_server_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct server_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t };
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX];
    int rc;

    if ((rc = server_dir(&r, c->domid, c->empty_ok, dir)) || (rc = xsw_rm(xs, t, dir)))
        return rc;
    if ((rc = xsu_path(p, "%s/id", dir)) || (rc = xsw_printf(xs, t, p, "%u", c->srv->id)))
        return rc;
    if ((rc = xsu_path(p, "%s/pid", dir)) || (rc = xsw_printf(xs, t, p, "%d", c->srv->pid)))
        return rc;
    if ((rc = xsu_path(p, "%s/nr-vcpus", dir)) ||
        (rc = xsw_printf(xs, t, p, "%u", c->srv->nr_vcpus)))
        return rc;
    for (unsigned v = 0; v < c->srv->nr_vcpus; v++)
        if ((rc = xsu_path(p, "%s/port-%u", dir, v)) ||
            (rc = xsw_printf(xs, t, p, "%u", c->srv->ports[v])))
            return rc;
    return 0;
}

static int write_server(struct xs_handle *xs, uint32_t domid, const struct xsp_server *srv,
                        bool empty_ok)
{
    struct server_ctx c = { .domid = domid, .srv = (struct xsp_server *)srv,
                            .empty_ok = empty_ok };

    if (srv->nr_vcpus == 0 || srv->nr_vcpus > XSP_MAX_VCPUS || srv->pid <= 0)
        return -EINVAL;
    return xsw_transact(xs, write_server_body, &c);
}

int xsp_write_server(struct xs_handle *xs, uint32_t domid, const struct xsp_server *srv)
{
    return write_server(xs, domid, srv, false);
}

int xsp_write_server_empty(struct xs_handle *xs, uint32_t domid, const struct xsp_server *srv)
{
    return write_server(xs, domid, srv, true);
}

static int read_server_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct server_ctx *c = arg;
    struct xsu_reader r = { .xs = xs, .t = t, .err = c->err, .errlen = c->errlen };
    char dir[XSW_PATH_MAX], p[XSW_PATH_MAX], **kids;
    unsigned n;
    uint64_t v;
    int rc;

    if ((rc = server_dir(&r, c->domid, true, dir)))
        return rc;
    if (!(kids = xsw_directory(xs, t, dir, &n)))
        return errno ? -errno : -EIO;       /* ENOENT: no daemon recorded */
    free(kids);
    memset(c->srv, 0, sizeof(*c->srv));
    xsu_path(p, "%s/id", dir);
    if (xsu_get_dec(&r, p, UINT32_MAX, &v))
        c->srv->id = (uint32_t)v;
    xsu_path(p, "%s/pid", dir);
    if (xsu_get_dec(&r, p, INT32_MAX, &v))
        c->srv->pid = (int32_t)v;
    xsu_path(p, "%s/nr-vcpus", dir);
    if (xsu_get_dec(&r, p, XSP_MAX_VCPUS, &v)) {
        c->srv->nr_vcpus = (unsigned)v;
        if (!v)         /* xsp_write_server refuses 0 too (found by fuzz_xs) */
            xsu_bad(&r, p, "a daemon serves at least one vCPU");
    }
    for (unsigned i = 0; i < c->srv->nr_vcpus && !r.rc; i++) {
        xsu_path(p, "%s/port-%u", dir, i);
        if (xsu_get_dec(&r, p, UINT32_MAX, &v))
            c->srv->ports[i] = (uint32_t)v;
    }
    return r.rc;
}

int xsp_read_server(struct xs_handle *xs, uint32_t domid, struct xsp_server *srv, char *err,
                    size_t errlen)
{
    char dummy[1];
    struct server_ctx c = { .domid = domid, .srv = srv, .err = err ? err : dummy,
                            .errlen = err ? errlen : 1 };

    c.err[0] = '\0';
    return xsw_transact(xs, read_server_body, &c);
}
