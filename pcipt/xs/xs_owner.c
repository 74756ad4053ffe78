/* be/pcipt/vm: the domain an assignment belongs to (pcipt/xs/xs_owner.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"
#include "pcipt/xs/xs_owner.h"

bool xsp_vm_valid(const char *v)
{
    size_t n = strlen(v);

    if (!n)
        return true;
    if (n >= XSP_VM_MAX || strncmp(v, "/vm/", 4) || n == 4)
        return false;
    for (const char *c = v + 4; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            return false;
    return true;
}

static int read_into(struct xs_handle *xs, xs_transaction_t t, const char *path, char *out,
                     size_t len)
{
    char *v = xsw_read(xs, t, path);

    out[0] = '\0';
    if (!v)
        return errno ? -errno : -EIO;
    if (strlen(v) < len)
        snprintf(out, len, "%s", v);
    free(v);
    return 0;
}

int xsp_domain_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, char *vm,
                  size_t len)
{
    char p[XSW_PATH_MAX];
    int rc;

    snprintf(p, sizeof(p), "/local/domain/%u/vm", domid);
    rc = read_into(xs, t, p, vm, len);
    return rc == -ENOENT ? 0 : rc;
}

int xsp_read_owner_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, char *vm,
                      size_t len)
{
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    int rc;

    xsp_backend_path(domid, be);
    if ((rc = xsu_path(p, "%s/pcipt/vm", be)))
        return rc;
    return read_into(xs, t, p, vm, len);
}

int xsp_write_owner_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid,
                       const char *vm)
{
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX];
    int rc;

    xsp_backend_path(domid, be);
    if ((rc = xsu_path(p, "%s/pcipt/vm", be)))
        return rc;
    return xsw_write(xs, t, p, vm);
}

struct owner_ctx {
    uint32_t domid;
    char rec[XSP_VM_MAX], cur[XSP_VM_MAX];
    bool stale;
};

static int check_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct owner_ctx *c = arg;
    int rc;

    c->stale = false;
    rc = xsp_read_owner_vm(xs, t, c->domid, c->rec, sizeof(c->rec));
    if (rc == -ENOENT || (!rc && !c->rec[0]))
        return 0;
    if (rc)
        return rc;
    if ((rc = xsp_domain_vm(xs, t, c->domid, c->cur, sizeof(c->cur))))
        return rc;
    c->stale = strcmp(c->rec, c->cur) != 0;
    return 0;
}

int xsp_owner_check(struct xs_handle *xs, uint32_t domid, char *recorded, char *current,
                    size_t len)
{
    struct owner_ctx c = { .domid = domid };
    int rc = xsw_transact_read(xs, check_body, &c);

    if (recorded)
        snprintf(recorded, len, "%s", c.rec);
    if (current)
        snprintf(current, len, "%s", c.cur);
    return rc ? rc : c.stale ? -ESTALE : 0;
}
