/* A libxl double for pci-attach / pci-detach / destroy (see fake_libxl.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "hostbridge/common/sbdf.h"
#include "pcipt/hv/hv.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/fake_libxl.h"
#include "tests/support/sim_fx.h"

#define PAGE 4096ull
#define PCI_BAR_IO 0x100          /* IORESOURCE_IO in sysfs `resource` flags */
#define NRES 7                    /* PROC_PCI_NUM_RESOURCES */
#define MAXDEV 32
#define OPTS "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"

static libxl_double_hook hook_fn;
static void *hook_arg;
static unsigned resets;

void libxl_double_set_hook(libxl_double_hook fn, void *arg)
{
    hook_fn = fn;
    hook_arg = arg;
}

void libxl_double_reset(void)
{
    hook_fn = NULL;
    hook_arg = NULL;
    resets = 0;
}

unsigned libxl_double_resets(void) { return resets; }

static void be_path(uint32_t domid, char *p, size_t n)
{
    snprintf(p, n, "/local/domain/0/backend/pci/%u/0", domid);
}

static void fe_path(uint32_t domid, char *p, size_t n)
{
    snprintf(p, n, "/local/domain/%u/device/pci/0", domid);
}

/* Grant (or revoke) every BAR of the function's sysfs `resource`, as
 * pci_add_dm_done / do_pci_remove: pages start >> 12, (size + 4095) >> 12. */
static int bars_permission(uint32_t domid, const char *sbdf, bool allow)
{
    char p[256];
    unsigned long long start, end, flags;
    int rc = 0;

    snprintf(p, sizeof(p), "%s/devices/%s/resource", afx_tree, sbdf);
    FILE *f = fopen(p, "r");
    if (!f)
        return -errno;
    for (int i = 0; i < NRES && !rc; i++) {
        if (fscanf(f, "0x%llx 0x%llx 0x%llx\n", &start, &end, &flags) != 3)
            continue;
        if (!start)
            continue;
        if (flags & PCI_BAR_IO)
            rc = -EOPNOTSUPP;     /* xc_domain_ioport_permission: x86 only */
        else
            rc = simfx_hv->ops->iomem_permission(simfx_hv, domid, start >> 12,
                                                 (end - start + 1 + PAGE - 1) >> 12, allow);
    }
    fclose(f);
    return rc;
}

static uint32_t machine(const char *sbdf)
{
    struct sbdf s;
    if (sbdf_parse(sbdf, &s))
        return UINT32_MAX;
    return hv_machine_sbdf(s.seg, s.bus, s.dev, s.fn);
}

struct add_tx {
    uint32_t domid;
    const char *sbdf;
    int vslot;
    int num;                      /* read before the transaction, -1 = absent */
};

static int w(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int w(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
             const char *fmt, ...)
{
    char p[256], v[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    snprintf(p, sizeof(p), "%s/%s", dir, key);
    return xsw_write(xs, t, p, v);
}

/* libxl__create_pci_backend: the frontend/backend base nodes. */
static int create_backend(struct xs_handle *xs, xs_transaction_t t, uint32_t domid)
{
    char be[128], fe[128];
    struct xs_permissions perms[2] = { { .id = 0, .perms = XS_PERM_NONE },
                                       { .id = domid, .perms = XS_PERM_READ } };
    int rc;

    be_path(domid, be, sizeof(be));
    fe_path(domid, fe, sizeof(fe));
    if ((rc = w(xs, t, be, "frontend", "%s", fe)) || (rc = w(xs, t, be, "frontend-id", "%u", domid)) ||
        (rc = w(xs, t, be, "online", "1")) || (rc = w(xs, t, be, "state", "1")) ||
        (rc = w(xs, t, be, "domain", "guest%u", domid)))
        return rc;
    if (!xs_set_permissions(xs, t, be, perms, 2))
        return -errno;
    if ((rc = w(xs, t, fe, "backend", "%s", be)) || (rc = w(xs, t, fe, "backend-id", "0")) ||
        (rc = w(xs, t, fe, "state", "1")))
        return rc;
    perms[0].id = domid;
    perms[1].id = 0;
    return xs_set_permissions(xs, t, fe, perms, 2) ? 0 : -errno;
}

static int add_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct add_tx *a = arg;
    unsigned n = a->num < 0 ? 0 : (unsigned)a->num;
    char be[128], k[32];
    int rc;

    be_path(a->domid, be, sizeof(be));
    if (a->num < 0 && (rc = create_backend(xs, t, a->domid)))
        return rc;
#define K(fmt) (snprintf(k, sizeof(k), fmt, n), k)
    if ((rc = w(xs, t, be, K("key-%u"), "%s", a->sbdf)) ||
        (rc = w(xs, t, be, K("dev-%u"), "%s", a->sbdf)) ||
        (a->vslot >= 0 && (rc = w(xs, t, be, K("vdevfn-%u"), "%x", (unsigned)a->vslot << 3))) ||
        (rc = w(xs, t, be, K("opts-%u"), OPTS)) || (rc = w(xs, t, be, K("state-%u"), "1")) ||
        (rc = w(xs, t, be, "num_devs", "%u", n + 1)))
        return rc;
#undef K
    return n ? w(xs, t, be, "state", "7") : 0;
}

static int read_num(uint32_t domid, xs_transaction_t t)
{
    char be[128], p[160];
    be_path(domid, be, sizeof(be));
    snprintf(p, sizeof(p), "%s/num_devs", be);
    char *v = xsw_read(afx_ctx.xs, t, p);
    int n = v ? atoi(v) : -1;
    free(v);
    return n;
}

int libxl_double_attach(uint32_t domid, const char *sbdf, int vslot)
{
    struct add_tx a = { domid, sbdf, vslot, -1 };
    int rc;

    if ((rc = bars_permission(domid, sbdf, true)))
        return rc;
    if ((rc = simfx_hv->ops->assign_device(simfx_hv, domid, machine(sbdf))))
        return rc;
    a.num = read_num(domid, XBT_NULL);        /* outside any transaction */
    if (hook_fn)
        hook_fn(hook_arg);
    return xsw_transact(afx_ctx.xs, add_body, &a);
}

static int find_index(uint32_t domid, const char *sbdf, int num)
{
    char be[128], p[160];
    be_path(domid, be, sizeof(be));
    for (int i = 0; i < num; i++) {
        snprintf(p, sizeof(p), "%s/dev-%d", be, i);
        char *v = xsw_read(afx_ctx.xs, XBT_NULL, p);
        bool same = v && !strcmp(v, sbdf);
        free(v);
        if (same)
            return i;
    }
    return -ENODEV;
}

struct rm_tx {
    uint32_t domid;
    int i, num;
};

static int close_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct rm_tx *r = arg;
    char be[128], k[32];
    int rc;

    be_path(r->domid, be, sizeof(be));
    snprintf(k, sizeof(k), "state-%d", r->i);
    if ((rc = w(xs, t, be, k, "5")))
        return rc;
    return w(xs, t, be, "state", "7");
}

static const char *const keys[] = { "state", "key", "dev", "vdev", "opts", "vdevfn", "name" };

static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct rm_tx *r = arg;
    char be[128], p[192], q[192];
    int rc;

    be_path(r->domid, be, sizeof(be));
    for (unsigned k = 0; k < 7; k++) {
        snprintf(p, sizeof(p), "%s/%s-%d", be, keys[k], r->i);
        if ((rc = xsw_rm(xs, t, p)) && rc != -ENOENT)
            return rc;
    }
    if ((rc = w(xs, t, be, "num_devs", "%d", r->num - 1)))
        return rc;
    for (int j = r->i + 1; j < r->num; j++)
        for (unsigned k = 0; k < 7; k++) {
            snprintf(p, sizeof(p), "%s/%s-%d", be, keys[k], j);
            snprintf(q, sizeof(q), "%s/%s-%d", be, keys[k], j - 1);
            char *v = xsw_read(xs, t, p);
            if (!v)
                continue;
            rc = xsw_write(xs, t, q, v);
            free(v);
            if (rc || (rc = xsw_rm(xs, t, p)))
                return rc;
        }
    return 0;
}

/* libxl__xs_path_cleanup: remove path, then each parent left empty. */
static void path_cleanup(char *path)
{
    unsigned n;
    char **kids, *slash;

    (void)xsw_rm(afx_ctx.xs, XBT_NULL, path);
    while ((slash = strrchr(path, '/')) && slash != path) {
        *slash = '\0';
        kids = xsw_directory(afx_ctx.xs, XBT_NULL, path, &n);
        free(kids);
        if (!kids || n)
            break;
        (void)xsw_rm(afx_ctx.xs, XBT_NULL, path);
    }
}

/* libxl__device_destroy of the last device: backend and frontend dirs. */
static void destroy_backend(uint32_t domid)
{
    char be[128], fe[128];
    be_path(domid, be, sizeof(be));
    fe_path(domid, fe, sizeof(fe));
    path_cleanup(be);
    path_cleanup(fe);
}

static void reset_function(const char *sbdf)
{
    char p[256];
    struct sbdf s;

    if (sbdf_parse(sbdf, &s) || s.fn != 0)
        return;                   /* libxl resets only when (vdevfn & 7) == 0 */
    snprintf(p, sizeof(p), "%s/devices/%s/reset", afx_tree, sbdf);
    FILE *f = fopen(p, "w");
    if (!f)
        return;
    fputs("1\n", f);
    fclose(f);
    resets++;
}

int libxl_double_detach(uint32_t domid, const char *sbdf)
{
    struct rm_tx r = { domid, -1, read_num(domid, XBT_NULL) };
    int rc;

    if (r.num < 0 || (r.i = find_index(domid, sbdf, r.num)) < 0)
        return -ENODEV;           /* "Couldn't find the device on xenstore" */
    /* do_pci_remove: revoke; pci_remove_detached: reset, deassign */
    if (simfx_hv->ops->domain_exists(simfx_hv, domid) == 1) {
        if ((rc = bars_permission(domid, sbdf, false)))
            return rc;
    }
    reset_function(sbdf);
    if ((rc = simfx_hv->ops->deassign_device(simfx_hv, domid, machine(sbdf))))
        return rc;
    if ((rc = xsw_transact(afx_ctx.xs, close_body, &r)) ||
        (rc = xsw_transact(afx_ctx.xs, remove_body, &r)))
        return rc;
    if (r.num == 1)
        destroy_backend(domid);
    return 0;
}

int libxl_double_destroy(uint32_t domid)
{
    char be[128], p[160];
    int num, rc = 0;

    be_path(domid, be, sizeof(be));
    while (!rc && (num = read_num(domid, XBT_NULL)) > 0) {
        snprintf(p, sizeof(p), "%s/dev-0", be);   /* libxl's list order */
        char *v = xsw_read(afx_ctx.xs, XBT_NULL, p);
        rc = v ? libxl_double_detach(domid, v) : -ENOENT;
        free(v);
    }
    return rc ? rc : sim_domain_destroy(simfx_hv, domid);
}
