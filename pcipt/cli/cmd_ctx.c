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

/* One argument: an option, or DOMID / SBDF into pos[]. */
static int dev_arg(const struct pcipt_cmd *cmd, int argc, char **argv, int *i, unsigned how,
                   const char **pos, int *npos, unsigned *flags)
{
    const char *a = argv[*i];

    if ((how & DEV_ARGS_BIND) && !strcmp(a, "--bind"))
        *flags |= ATTACH_BIND;
    else if ((how & DEV_ARGS_BIND) && !strcmp(a, "--force"))
        *flags |= ATTACH_FORCE;
    else if ((how & DEV_ARGS_DASHDASH) && !strcmp(a, "--") && *i + 1 < argc && *npos < 2)
        pos[(*npos)++] = argv[++*i];
    else if (a[0] == '-' && a[1])
        return usage_error(cmd, "unknown option '%s'", a);
    else if (*npos == 2)
        return usage_error(cmd, "unexpected argument '%s'", a);
    else
        pos[(*npos)++] = a;
    return 0;
}

int cmd_parse_dev_args(const struct pcipt_cmd *cmd, int argc, char **argv, unsigned how,
                       struct dev_args *a)
{
    const char *pos[2];
    int npos = 0, rc;

    memset(a, 0, sizeof(*a));
    a->slot = -1;
    for (int i = 1; i < argc; i++)
        if ((rc = dev_arg(cmd, argc, argv, &i, how, pos, &npos, &a->attach_flags)))
            return rc;
    if (npos < 2)
        return usage_error(cmd, "give a domain id and a device");
    if (cmd_parse_domid(pos[0], &a->domid))
        return usage_error(cmd, "'%s' is not a guest domain id (1..32751)", pos[0]);
    if (!(how & DEV_ARGS_VSLOT)) {
        if (sbdf_parse(pos[1], &a->host))
            return usage_error(cmd, "'%s' is not SSSS:BB:DD.F", pos[1]);
    } else if (sbdf_parse_vslot(pos[1], &a->host, &a->slot, &a->fn)) {
        return usage_error(cmd, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..31, "
                           "function 0..7)", pos[1]);
    }
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
