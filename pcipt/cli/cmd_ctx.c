/* Shared set-up of `pcipt attach` / `pcipt detach` (see cmd_ctx.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/util/numarg.h"

/* One argument: an option, or DOMID / SBDF into pos[]. */
static int dev_arg(const struct pcipt_cmd *cmd, int argc, char **argv, int *i, unsigned how,
                   const char **pos, int *npos, unsigned *flags)
{
    const char *a = argv[*i];

    if ((how & DEV_ARGS_BIND) && !strcmp(a, "--bind"))
        *flags |= ATTACH_BIND;
    else if ((how & DEV_ARGS_BIND) && !strcmp(a, "--force"))
        *flags |= ATTACH_FORCE;
    else if ((how & DEV_ARGS_BIND) && !strcmp(a, "--unsafe-dma"))
        *flags |= ATTACH_UNSAFE_DMA;
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
    if (parse_domid(pos[0], &a->domid))
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

    if (attach_ctx_open(ctx, &g_opts, with_layout, err, sizeof(err)))
        return fail("%s", err);
    return 0;
}

void cmd_ctx_close(struct attach_ctx *ctx)
{
    attach_ctx_close(ctx);
}

void cmd_preview_warnings(const struct sbdf *host)
{
    struct hostpci *hp;
    char err[512];

    if (hostpci_open(g_opts.sysfs, host, &hp, err, sizeof(err)))
        return;
    (void)hostpci_check_preview(hp, err, sizeof(err));
    hostpci_close(hp);
}
