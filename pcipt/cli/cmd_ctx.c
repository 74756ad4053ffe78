/* Shared set-up of `pcipt attach` / `pcipt detach` (see cmd_ctx.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"

#define DOMID_FIRST_RESERVED 0x7ff0u   /* xen/include/public/xen.h */

int cmd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !(*s >= '0' && *s <= '9'))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int cmd_parse_domid(const char *s, uint32_t *domid)
{
    unsigned long v;

    if (cmd_parse_ulong(s, 1, DOMID_FIRST_RESERVED - 1, &v))
        return -EINVAL;
    *domid = (uint32_t)v;
    return 0;
}

int cmd_ctx_open(struct attach_ctx *ctx, bool with_layout)
{
    char err[512];
    int rc;

    memset(ctx, 0, sizeof(*ctx));
    ctx->sysfs = g_opts.sysfs;
    if (with_layout &&
        guest_layout_load(g_opts.config, g_opts.config != NULL, &ctx->layout, err, sizeof(err)))
        return fail("%s", err);
    if ((rc = hv_open(g_opts.hv, &ctx->hv, err, sizeof(err))))
        return fail("%s", err);
    if (!(ctx->xs = xsw_open())) {
        rc = errno;
        hv_close(ctx->hv);
        ctx->hv = NULL;
        return fail("cannot reach xenstore at %s: %s", xsw_socket_path(), strerror(rc ? rc : EIO));
    }
    return 0;
}

void cmd_ctx_close(struct attach_ctx *ctx)
{
    xsw_close(ctx->xs);
    hv_close(ctx->hv);
    ctx->xs = NULL;
    ctx->hv = NULL;
}
