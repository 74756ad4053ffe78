/* pcipt create: the domain-boot flow and its undo (see create.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbridge/common/log.h"
#include "its/its_vits.h"
#include "pcipt/xl/guest_dt.h"
#include "pcipt/assign/attach.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/xl/create.h"
#include "pcipt/xl/launch.h"
#include "pcipt/hv/hv.h"
#include "pcipt/assign/plan.h"
#include "pcipt/util/numarg.h"
#include "pcipt/util/proc.h"
#include "pcipt/xs/xs_publish.h"

/* What has been done so far (undone in reverse). */
struct create_run {
    const struct create_opts *o;
    struct xlcfg cfg;
    const char *name;
    struct guest_layout lay;
    struct domain_assign *plan;
    struct create_dev *devs;     /* the config's, PCIPT_MAX_DEVS */
    unsigned ndevs;
    char dtb[512];
    bool dtb_written, domain_created, daemon_started;
    uint32_t domid;
    unsigned nattached;
    struct hostpci_handover handover[PCIPT_MAX_DEVS];  /* per attached device: --bind's */
    struct attach_ctx ctx;
    bool ctx_open;
    struct daemon_ref daemon;
    FILE *out;
};

static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* The devices of both lists (create_devices), planned as a fresh domain;
 * none is an empty guest. */
static int plan_devices(struct create_run *r, char *err, size_t errlen)
{
    struct plan_request reqs[PCIPT_MAX_DEVS];
    int rc;

    if (!(r->devs = calloc(PCIPT_MAX_DEVS, sizeof(*r->devs))) ||
        !(r->plan = calloc(1, sizeof(*r->plan))))
        return say(err, errlen, -ENOMEM, "out of memory");
    if ((rc = create_devices(r->o, &r->cfg, r->devs, &r->ndevs, err, errlen)))
        return rc;
    for (unsigned i = 0; i < r->ndevs; i++)
        reqs[i] = r->devs[i].rq;
    return r->ndevs ? plan_domain(&r->lay, r->plan, reqs, r->ndevs, err, errlen) : 0;
}

/* ATTACH_BIND for a device whose `pci` entry asks seize=1. */
static unsigned seize_flag(const struct create_run *r, const struct sbdf *host)
{
    for (unsigned i = 0; i < r->ndevs; i++)
        if (sbdf_equal(&r->devs[i].rq.host, host))
            return r->devs[i].seize ? ATTACH_BIND : 0;
    return 0;
}

/* --xen-version, else the running hypervisor's (the same question
 * `pcipt dtb` asks: hv_query_xen_version through --hv). */
static int xen_version(struct create_run *r, struct dtb_options *d, char *err, size_t errlen)
{
    const char *hv = r->o->env->hv ? r->o->env->hv : "xen";

    if (r->o->xen_major) {
        d->xen_major = r->o->xen_major;
        d->xen_minor = r->o->xen_minor;
        return 0;
    }
    return hv_query_xen_version(hv, &d->xen_major, &d->xen_minor, err, errlen);
}

static int default_dtb_path(struct create_run *r, char *err, size_t errlen)
{
    const char *dir = getenv("PCIPT_STATE_DIR");

    if (r->o->dtb_path) {
        snprintf(r->dtb, sizeof(r->dtb), "%s", r->o->dtb_path);
        return 0;
    }
    dir = dir && *dir ? dir : CREATE_STATE_DIR;
    if (strchr(r->name, '/') || !strcmp(r->name, ".") || !strcmp(r->name, ".."))
        return say(err, errlen, -EINVAL, "the domain name '%s' cannot be a file name; give "
                   "--dtb FILE", r->name);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return say(err, errlen, -errno, "cannot create %s: %s", dir, strerror(errno));
    snprintf(r->dtb, sizeof(r->dtb), "%s/%s.dtb", dir, r->name);
    return 0;
}

static int xl(char *const argv[], char **out, char *err, size_t errlen)
{
    int st = proc_run(argv, out);
    if (st == 0)
        return 0;
    char *line = proc_cmdline(argv);
    say(err, errlen, -EIO, "`%s` failed (status %d)", line ? line : argv[0], st);
    free(line);
    return -EIO;
}

static int find_domid(struct create_run *r, char *err, size_t errlen)
{
    char *argv[] = { "xl", "domid", (char *)r->name, NULL }, *out = NULL;
    int rc = xl(argv, &out, err, errlen);

    if (!rc) {
        out[strcspn(out, "\n")] = '\0';
        if (parse_domid(out, &r->domid))
            rc = say(err, errlen, -EIO, "`xl domid %s` printed '%.40s', not a domain id",
                     r->name, out);
    }
    free(out);
    return rc;
}

/* Attach in plan order at the planned slots, so the planner assigns the
 * same SPIs (lowest free, in request order) that the DT routes. */
static int attach_all(struct create_run *r, char *err, size_t errlen)
{
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN], e[512];
    struct sbdf group[PCIPT_MAX_DEVS];

    /* one request: its functions may share a host page (sub-page BARs) */
    for (unsigned i = 0; i < r->plan->ndevs && i < PCIPT_MAX_DEVS; i++)
        group[i] = r->plan->devs[i].host;
    r->ctx.group = group;
    r->ctx.ngroup = r->plan->ndevs < PCIPT_MAX_DEVS ? r->plan->ndevs : PCIPT_MAX_DEVS;
    for (unsigned i = 0; i < r->plan->ndevs; i++) {
        const struct dev_assign *d = &r->plan->devs[i];
        struct sbdf guest;
        int rc;

        /* a failing attach gives its own device back; the ones before are undo()'s */
        r->ctx.handover = &r->handover[i];
        rc = attach_device(&r->ctx, r->domid, &d->host, d->guest.dev, d->guest.fn,
                           r->o->attach_flags | (d->unsafe_dma ? ATTACH_UNSAFE_DMA : 0) |
                           (d->force ? ATTACH_FORCE : 0) | seize_flag(r, &d->host),
                           &guest, e, sizeof(e));
        r->ctx.handover = NULL;
        if (rc) {
            r->ctx.group = NULL;
            return say(err, errlen, rc, "attach: %s", e);
        }
        r->nattached++;
        fprintf(r->out, "attached %s as %s\n", sbdf_format(&d->host, h), sbdf_format(&guest, g));
    }
    r->ctx.group = NULL;
    r->ctx.ngroup = 0;
    return 0;
}

/* What was published must be what the device tree describes. */
static int check_published(struct create_run *r, char *err, size_t errlen)
{
    struct domain_assign *got = calloc(1, sizeof(*got));
    char h[SBDF_STR_LEN];
    int rc;

    if (!r->plan->ndevs) {          /* an empty guest: nothing to compare */
        free(got);
        return 0;
    }
    if (!got)
        return say(err, errlen, -ENOMEM, "out of memory");
    rc = xsp_read_domain(r->ctx.xs, r->domid, got, err, errlen);
    for (unsigned i = 0; !rc && i < r->plan->ndevs; i++) {
        const struct dev_assign *want = &r->plan->devs[i];
        bool found = false;
        for (unsigned j = 0; j < got->ndevs && !found; j++) {
            const struct dev_assign *d = &got->devs[j];
            if (!sbdf_equal(&d->host, &want->host))
                continue;
            found = true;
            if (d->guest.dev != want->guest.dev || d->guest.fn != want->guest.fn ||
                d->spi != want->spi)
                rc = say(err, errlen, -EPROTO, "%s was attached at slot %u.%u with SPI %u, but "
                         "the device tree says slot %u.%u with SPI %u", sbdf_format(&d->host, h),
                         d->guest.dev, d->guest.fn, d->spi, want->guest.dev, want->guest.fn,
                         want->spi);
        }
        if (!found)
            rc = say(err, errlen, -ENOENT, "%s is not published for domain %u after attach",
                     sbdf_format(&want->host, h), r->domid);
    }
    free(got);
    return rc;
}

static int start_daemon(struct create_run *r, char *err, size_t errlen)
{
    char e[512];
    int rc = daemon_start(r->o->env, r->domid, &r->daemon, e, sizeof(e));

    if (rc)
        return say(err, errlen, rc, "cannot start domain %u's daemon: %s", r->domid, e);
    r->daemon_started = true;
    rc = daemon_wait_ready(r->ctx.xs, &r->daemon,
                           r->o->ready_timeout_ms ? r->o->ready_timeout_ms
                                                  : DAEMON_READY_TIMEOUT_MS, e, sizeof(e));
    if (rc)
        return say(err, errlen, rc, "%s", e);
    return 0;
}

/* Give the devices --bind took from their dom0 drivers back (last first),
 * once nothing maps them: each was detached, or the domain is gone.  What
 * cannot be given back is added to gb ("0000:01:00.0 ... 'igb': WHY"). */
static void give_back_all(struct create_run *r, unsigned n, const bool *detached,
                          bool destroyed, char *gb, size_t gblen)
{
    char h[SBDF_STR_LEN];

    while (n-- > 0) {
        const struct hostpci_handover *ho = &r->handover[n];
        const char *sep = gb[0] ? "; " : "";
        size_t len = strlen(gb);

        if (!ho->changed)
            continue;
        if (detached[n] || destroyed)
            (void)attach_give_back(&r->ctx, ho, sep, true, gb, gblen);
        else if (len + 1 < gblen)
            snprintf(gb + len, gblen - len, "%s%s stays with %s (it could not be detached)",
                     sep, sbdf_format(&ho->addr, h), ho->holder);
    }
}

/* Undo, in reverse order; every step is attempted.  gb: see give_back_all. */
static void undo(struct create_run *r, char *gb, size_t gblen)
{
    char e[512], h[SBDF_STR_LEN], dom[16];
    bool detached[PCIPT_MAX_DEVS] = { false }, destroyed = false;
    unsigned n = r->nattached;

    if (r->daemon_started)
        daemon_stop(&r->daemon);
    while (r->nattached > 0) {
        const struct dev_assign *d = &r->plan->devs[--r->nattached];
        if (detach_device(&r->ctx, r->domid, &d->host, e, sizeof(e)))
            fprintf(stderr, "pcipt: undo: detach %s: %s\n", sbdf_format(&d->host, h), e);
        else
            detached[r->nattached] = true;
    }
    if (r->domain_created) {
        char *argv[] = { "xl", "destroy", dom, NULL };
        if (r->domid)
            snprintf(dom, sizeof(dom), "%u", r->domid);
        else
            snprintf(dom, sizeof(dom), "%.15s", r->name);
        if (proc_run(argv, NULL))
            fprintf(stderr, "pcipt: undo: `xl destroy %s` failed\n", dom);
        else
            destroyed = true;
    }
    give_back_all(r, n, detached, destroyed, gb, gblen);
    if (r->dtb_written && unlink(r->dtb) && errno != ENOENT)
        fprintf(stderr, "pcipt: undo: cannot remove %s: %s\n", r->dtb, strerror(errno));
}

/* Does a domain of that name exist (after a failed `xl create`)? */
static bool domain_named(const char *name)
{
    char *argv[] = { "xl", "domid", (char *)name, NULL }, *out = NULL;
    int st = proc_run(argv, &out);
    free(out);
    return st == 0;
}

static int boot(struct create_run *r, char **xl_argv, char *err, size_t errlen)
{
    char *argv[] = { "xl", "unpause", NULL, NULL }, dom[16];
    int rc;

    fflush(r->out);
    if ((rc = xl(xl_argv, NULL, err, errlen))) {
        r->domain_created = domain_named(r->name);
        return rc;
    }
    r->domain_created = true;
    if ((rc = find_domid(r, err, errlen)))
        return rc;
    if ((rc = attach_ctx_open(&r->ctx, r->o->env, true, err, errlen)))
        return rc;
    r->ctx_open = true;
    r->ctx.layout = r->lay;
    r->ctx.out = r->out;
    if ((rc = attach_all(r, err, errlen)) || (rc = check_published(r, err, errlen)) ||
        (rc = start_daemon(r, err, errlen)))
        return rc;
    snprintf(dom, sizeof(dom), "%u", r->domid);
    argv[2] = dom;
    return xl(argv, NULL, err, errlen);
}

/* The guest DT describes the vITS only when Xen will create one
 * (create_vits); otherwise MSI stays hidden from the guest and this is said
 * once. */
static void msi_decision(struct create_run *r, struct dtb_options *dopt, int iommu)
{
    char why[512];

    dopt->vits = create_vits(r->o->env, &r->cfg, iommu, why, sizeof(why));
    dopt->its_base = ITS_GUEST_VITS_BASE;
    if (!dopt->vits)
        log_warn("domain %s: MSI off, its devices use INTx: %s", r->name, why);
}

/* xl create options that block until the guest's console or the domain
 * ends (-c, -V, -A, -F, -e) or create nothing (-n): pcipt must go on after
 * `xl create -p` returns. */
static int check_xl_options(const struct create_opts *o, char *err, size_t errlen)
{
    static const char *const refused[] = { "-c", "-V", "-A", "-F", "-e", "-n", "--vncviewer",
                                           "--vncviewer-autopass", "--dryrun" };

    for (int i = 0; i < o->nxl_args; i++)
        for (unsigned k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
            if (!strcmp(o->xl_args[i], refused[k]))
                return say(err, errlen, -EINVAL, "xl option %s cannot be used with pcipt "
                           "create (xl would not return, or create nothing, before the devices "
                           "are attached); use `xl console NAME` afterwards, or "
                           "`pcipt create --dry-run`", refused[k]);
    return 0;
}

int create_domain(const struct create_opts *o, char *err, size_t errlen)
{
    struct create_run r = { .o = o, .out = o->out ? o->out : stdout };
    struct dtb_options dopt;
    char spi[64], e[512];
    char **xl_argv = NULL;
    int rc, iommu;

    dtb_options_default(&dopt);
    dopt.empty_bridge = true;       /* a guest with no device at create */
    if ((rc = check_xl_options(o, err, errlen)) ||
        (rc = create_read_config(o, &r.cfg, err, errlen)))
        goto out;
    if (!(r.name = xlcfg_string(&r.cfg, "name")) || !*r.name) {
        rc = say(err, errlen, -EINVAL, "%s has no name = \"...\"", o->cfg_path);
        goto out;
    }
    if (xlcfg_has(&r.cfg, "device_tree")) {
        rc = say(err, errlen, -EINVAL, "%s already sets device_tree=; pcipt create writes "
                 "the guest's partial device tree itself (remove the line, or merge yours with "
                 "`pcipt dtb` and use xl create)", o->cfg_path);
        goto out;
    }
    if ((rc = guest_layout_load(o->env->config, o->env->config != NULL, &r.lay, err, errlen)) ||
        (rc = plan_devices(&r, err, errlen)) || (rc = xen_version(&r, &dopt, err, errlen)) ||
        (rc = create_spi_arg(&r.cfg, &r.lay, dopt.xen_major, dopt.xen_minor, spi, sizeof(spi),
                             err, errlen)) ||
        (rc = default_dtb_path(&r, err, errlen)))
        goto out;
    iommu = hv_query_iommu(o->env->hv);
    msi_decision(&r, &dopt, iommu);
    if ((rc = dtb_write_file(r.dtb, r.plan, &r.lay, &dopt, e, sizeof(e)))) {
        say(err, errlen, rc, "cannot write the device tree %s: %s", r.dtb, e);
        goto out;
    }
    r.dtb_written = true;
    if (!(xl_argv = create_xl_argv(o, r.dtb, spi, create_passthrough_arg(&r.cfg, iommu),
                                   xlcfg_has(&r.cfg, "pci")))) {
        rc = say(err, errlen, -ENOMEM, "out of memory");
        goto out;
    }
    if (o->dry_run) {
        char *line = proc_cmdline(xl_argv);
        fprintf(r.out, "%s\n", line ? line : "(out of memory)");
        free(line);
        r.dtb_written = false;      /* the dry run's product: kept */
        goto out;
    }
    if ((rc = boot(&r, xl_argv, err, errlen)))
        goto out;
    /* the daemon's pid (the serve lock's holder, systemd's too), then its log */
    fprintf(r.out, "domain %s (%u) is running with %u pcipt device%s; daemon pid %d (%s%s)\n",
            r.name, r.domid, r.nattached, r.nattached == 1 ? "" : "s",
            (int)servelock_holder(r.domid), r.daemon.systemd ? "pciptd@, log in the journal"
            : "log ", r.daemon.systemd ? "" : r.daemon.log);
    r.dtb_written = r.domain_created = r.daemon_started = false;
    r.nattached = 0;
out:
    if (rc) {
        bool did = r.dtb_written || r.domain_created || r.nattached || r.daemon_started;
        size_t n = strlen(err);
        char gb[512] = "";
        undo(&r, gb, sizeof(gb));
        if (did && n + 40 < errlen)
            snprintf(err + n, errlen - n, "; everything done so far was undone%s%s",
                     gb[0] ? ", but " : "", gb);
    }
    if (r.ctx_open)
        attach_ctx_close(&r.ctx);
    create_free_argv(xl_argv);
    xlcfg_free(&r.cfg);
    free(r.devs);
    free(r.plan);
    return rc;
}
