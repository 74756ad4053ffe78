/* Opening what attach and detach work with (see attach.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"

int attach_ctx_open(struct attach_ctx *ctx, const struct pcipt_env *env, bool with_layout,
                    char *err, size_t errlen)
{
    int rc;

    memset(ctx, 0, sizeof(*ctx));
    ctx->sysfs = env->sysfs;
    ctx->host_dt = env->host_dt;
    if (with_layout &&
        (rc = guest_layout_load(env->config, env->config != NULL, &ctx->layout, err, errlen)))
        return rc < 0 ? rc : -EINVAL;
    if ((rc = hv_open(env->hv ? env->hv : "xen", &ctx->hv, err, errlen)))
        return rc < 0 ? rc : -EIO;
    if (!(ctx->xs = xsw_open())) {
        rc = errno ? errno : EIO;
        hv_close(ctx->hv);
        ctx->hv = NULL;
        snprintf(err, errlen, "cannot reach xenstore at %s: %s", xsw_socket_path(),
                 strerror(rc));
        return -rc;
    }
    return 0;
}

void attach_ctx_close(struct attach_ctx *ctx)
{
    xsw_close(ctx->xs);
    hv_close(ctx->hv);
    ctx->xs = NULL;
    ctx->hv = NULL;
}
