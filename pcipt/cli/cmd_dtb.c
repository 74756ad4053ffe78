/* pcipt dtb: write the partial device tree (xl `device_tree=`) describing
 * the guest's emulated PCI host bridge(s): see pcipt/xl/guest_dt.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/guest_dt.h"
#include "pcipt/cli/cmd_dtb.h"
#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/hv/hv.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"

/* A DOMID: the assignment published in xenstore (what attach wrote). */
static int assignment_from_xenstore(const char *arg, struct domain_assign *out, char *err,
                                    size_t errlen)
{
    struct xs_handle *xs;
    uint32_t domid;
    int rc;

    if (parse_domid(arg, &domid)) {
        snprintf(err, errlen, "'%s' is not a guest domain id (1..32751)", arg);
        return -EINVAL;
    }
    if (!(xs = xsw_open())) {
        rc = errno ? errno : EIO;
        snprintf(err, errlen, "cannot reach xenstore at %s: %s", xsw_socket_path(),
                 strerror(rc));
        return -rc;
    }
    rc = xsp_read_domain(xs, domid, out, err, errlen);
    xsw_close(xs);
    if (rc == -ENOENT)
        snprintf(err, errlen, "no devices are published for domain %u", domid);
    else if (rc && rc != -EINVAL)
        snprintf(err, errlen, "cannot read domain %u from xenstore: %s", domid, strerror(-rc));
    return rc;
}

/* SBDF[@SLOT[.FN]]...: plan them exactly as `pcipt plan` does. */
static int assignment_from_plan(int argc, char **argv, struct domain_assign *out,
                                const struct guest_layout *lay, char *err, size_t errlen)
{
    struct plan_request *reqs;
    int rc = 0;

    if (argc < 1 || argc > PCIPT_MAX_DEVS) {
        snprintf(err, errlen, "too many devices (at most %d per domain)", PCIPT_MAX_DEVS);
        return -E2BIG;
    }
    if (!(reqs = calloc(PCIPT_MAX_DEVS, sizeof(*reqs)))) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (int i = 0; i < argc && !rc; i++)
        rc = plan_request_from_arg(g_opts.sysfs, argv[i], &reqs[i], err, errlen);
    memset(out, 0, sizeof(*out));
    if (!rc)
        rc = plan_domain(lay, out, reqs, (unsigned)argc, err, errlen);
    free(reqs);
    return rc;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int dtb_assignment_from_args(int argc, char **argv, struct domain_assign *out,
                             struct guest_layout *lay, char *err, size_t errlen)
{
    int rc;

    if ((rc = guest_layout_load(g_opts.config, g_opts.config != NULL, lay, err, errlen)))
        return rc;
    if (argc >= 1 && all_digits(argv[0])) {
        if (argc > 1) {
            snprintf(err, errlen, "give either one DOMID or devices, not both");
            return -EINVAL;
        }
        return assignment_from_xenstore(argv[0], out, err, errlen);
    }
    return assignment_from_plan(argc, argv, out, lay, err, errlen);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!s || !*s || *s == '-')
        return -EINVAL;
    errno = 0;
    *v = strtoull(s, &end, 0);
    return (errno || *end) ? -EINVAL : 0;
}

/* No --xen-version: the running hypervisor's, asked through the backend
 * (--hv); never a guess, because the prefetchable window's phys.hi
 * depends on it (pcipt/xl/guest_dt.h). */
static int dtb_running_xen(struct dtb_options *o, char *err, size_t errlen)
{
    int rc = hv_query_xen_version(g_opts.hv, &o->xen_major, &o->xen_minor, err, errlen);

    if (!rc && g_opts.verbose)
        fprintf(stderr, "pcipt: dtb: the %s hypervisor is Xen %u.%u\n",
                g_opts.hv ? g_opts.hv : "xen", o->xen_major, o->xen_minor);
    return rc;
}

/* "--name VALUE" or "--name=VALUE": returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int run_dtb(int argc, char **argv)
{
    const char *out = NULL, *v;
    struct dtb_options o;
    struct domain_assign *da;
    struct guest_layout lay;
    char err[512];
    char **pos = calloc((size_t)argc + 1, sizeof(*pos));
    int npos = 0, rc;
    bool version_given = false;
    uint64_t u;

    if (!pos)
        return fail("out of memory");
    dtb_options_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc)
                pos[npos++] = argv[i];
            break;
        }
        if (!strcmp(a, "-o") || !strncmp(a, "--output", 8)) {
            out = !strcmp(a, "-o") ? (i + 1 < argc ? argv[++i] : NULL)
                                   : opt_value(argc, argv, &i, "--output");
            if (!out || !*out) {
                free(pos);
                return usage_error(&cmd_dtb, "-o needs a file name");
            }
        } else if (!strncmp(a, "--xen-version", 13)) {
            v = opt_value(argc, argv, &i, "--xen-version");
            if (hv_parse_xen_version(v, &o.xen_major, &o.xen_minor)) {
                free(pos);
                return usage_error(&cmd_dtb, "--xen-version needs X.Y (e.g. 4.17), not '%s'",
                                   v ? v : "");
            }
            version_given = true;
        } else if (!strncmp(a, "--vits", 6)) {
            v = opt_value(argc, argv, &i, "--vits");
            if (parse_u64(v, &u) || u == 0 || (u & 0xffff)) {
                free(pos);
                return usage_error(&cmd_dtb, "--vits needs the vITS base address "
                                   "(64 KiB aligned), not '%s'", v ? v : "");
            }
            o.vits = true;
            o.its_base = u;
        } else if (!strncmp(a, "--its-phandle", 13)) {
            v = opt_value(argc, argv, &i, "--its-phandle");
            if (parse_u64(v, &u) || u == 0 || u >= 0xffffffffu) {
                free(pos);
                return usage_error(&cmd_dtb, "--its-phandle needs a phandle, not '%s'",
                                   v ? v : "");
            }
            o.its_phandle = (uint32_t)u;
        } else if (a[0] == '-' && a[1]) {
            free(pos);
            return usage_error(&cmd_dtb, "unknown option '%s'", a);
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (!out) {
        free(pos);
        return usage_error(&cmd_dtb, "say where to write the device tree with -o FILE");
    }
    if (npos == 0) {
        free(pos);
        return usage_error(&cmd_dtb, "name a domain or at least one device");
    }
    da = calloc(1, sizeof(*da));
    if (!da) {
        free(pos);
        return fail("out of memory");
    }
    memset(&lay, 0, sizeof(lay));
    rc = dtb_assignment_from_args(npos, pos, da, &lay, err, sizeof(err));
    if (!rc && !version_given)
        rc = dtb_running_xen(&o, err, sizeof(err));
    if (!rc)
        rc = dtb_write_file(out, da, &lay, &o, err, sizeof(err));
    free(da);
    free(pos);
    if (rc)
        return fail("dtb: %s", err);
    return 0;
}

const struct pcipt_cmd cmd_dtb = {
    .name = "dtb",
    .run = run_dtb,
    .synopsis = "dtb [--xen-version X.Y] [--vits ADDR [--its-phandle N]] -o FILE DOMID|SBDF[@SLOT[.FN]]...",
    .summary = "write the guest's PCI host bridge as a partial device tree for xl",
    .help =
        "Write a partial flattened device tree for xl's `device_tree=` option that\n"
        "describes the guest's emulated PCI host bridge(s) under /passthrough: one\n"
        "pcie@ECAM node per guest segment, with reg and bus-range trimmed to the\n"
        "buses in use, the vPCI memory windows, INTx routed to guest SPIs\n"
        "(interrupt-map), and msi-map when a vITS is offered.\n"
        "\n"
        "  DOMID            describe what is assigned to this running domain\n"
        "  SBDF[@SLOT[.FN]]  plan these host devices (optionally at guest slot SLOT,\n"
        "                   function FN)\n"
        "  -o, --output FILE  where to write the blob (written atomically)\n"
        "  --xen-version X.Y  target Xen (default: ask the running hypervisor through\n"
        "                   --hv; without one, give it): from 4.19 the prefetchable\n"
        "                   window is 64-bit (phys.hi 0x43000000, else 0x42000000)\n"
        "  --vits ADDR      the guest has a virtual ITS at ADDR: emit its ITS node and msi-map\n"
        "  --its-phandle N  phandle of the guest's ITS node (default 64999)\n"
        "  --sysfs DIR      (global) read host devices from a sysfs-shaped tree\n"
        "\n"
        "Example:  pcipt dtb -o /etc/xen/guest1-pci.dtb 0000:01:00.0@1\n"
        "          then in the xl config: device_tree = \"/etc/xen/guest1-pci.dtb\"",
};
