/* pcipt sim: administer the simulated hypervisor (the `sim` backend's
 * shared state in $PCIPT_SIM_DIR).  Always uses the sim backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/assign.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/sim/sim_show.h"


extern const struct pcipt_cmd cmd_sim;

/* A whole decimal (or 0x-hex) number within [min, max]. */
static int parse_num(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int open_sim(struct hv **hv)
{
    char err[300];
    if (hv_open("sim", hv, err, sizeof(err)))
        return fail("%s", err);
    return 0;
}

static int parse_domid(const char *s, unsigned long long *domid)
{
    if (parse_num(s, 1, 0x7fef, domid))
        return usage_error(&cmd_sim, "'%s' is not a guest domain id (1..32751)", s ? s : "");
    return 0;
}

static int do_reset(int argc, char **argv)
{
    struct hv *hv;
    if (argc != 2)
        return usage_error(&cmd_sim, "'sim reset' takes no arguments");
    if (open_sim(&hv))
        return 1;
    int rc = sim_reset(hv);
    hv_close(hv);
    return rc ? fail("cannot reset the simulator: %s", strerror(-rc)) : 0;
}

struct create_opts { unsigned long long vcpus, mib, spis; unsigned flags; };

static int parse_create_opts(int argc, char **argv, struct create_opts *o)
{
    *o = (struct create_opts){ 1, 512, 32, 0 };
    for (int i = 3; i < argc; i += 2) {
        unsigned long long *slot = NULL, max = 0;
        if (!strcmp(argv[i], "--passthrough")) {
            o->flags |= SIM_DOMAIN_PASSTHROUGH;
            i--;
            continue;
        }
        if (!strcmp(argv[i], "--vcpus"))
            slot = &o->vcpus, max = 128;
        else if (!strcmp(argv[i], "--memory"))
            slot = &o->mib, max = PCIPT_RAM0_SIZE >> 20;
        else if (!strcmp(argv[i], "--spis"))
            slot = &o->spis, max = 960;
        else
            return usage_error(&cmd_sim, "unknown option '%s' for sim domain-create", argv[i]);
        if (i + 1 >= argc || parse_num(argv[i + 1], slot == &o->spis ? 0 : 1, max, slot))
            return usage_error(&cmd_sim, "%s needs a number from %d to %llu", argv[i],
                               slot == &o->spis ? 0 : 1, max);
    }
    return 0;
}

static int do_domain_create(int argc, char **argv)
{
    unsigned long long domid;
    struct create_opts o;
    struct hv *hv;
    if (argc < 3)
        return usage_error(&cmd_sim, "sim domain-create needs a DOMID");
    int rc = parse_domid(argv[2], &domid);
    if (!rc)
        rc = parse_create_opts(argc, argv, &o);
    if (rc || open_sim(&hv))
        return rc ? rc : 1;
    rc = sim_domain_create_flags(hv, (uint32_t)domid, (unsigned)o.vcpus, PCIPT_RAM0_BASE,
                                 o.mib << 20, (unsigned)o.spis, o.flags);
    hv_close(hv);
    if (rc == -EEXIST)
        return fail("simulated domain %llu already exists", domid);
    if (rc == -ENOSPC)
        return fail("cannot create simulated domain %llu: the simulator holds at most 15 "
                    "guest domains", domid);
    return rc ? fail("cannot create simulated domain %llu: %s", domid, strerror(-rc)) : 0;
}

static int do_domain_destroy(int argc, char **argv)
{
    unsigned long long domid;
    struct hv *hv;
    if (argc != 3)
        return usage_error(&cmd_sim, "sim domain-destroy takes exactly one DOMID");
    int rc = parse_domid(argv[2], &domid);
    if (rc || open_sim(&hv))
        return rc ? rc : 1;
    rc = sim_domain_destroy(hv, (uint32_t)domid);
    hv_close(hv);
    if (rc == -ESRCH)
        return fail("no simulated domain %llu", domid);
    return rc ? fail("cannot destroy simulated domain %llu: %s", domid, strerror(-rc)) : 0;
}

static int do_show(int argc, char **argv)
{
    bool json = false;
    long domid = -1;
    unsigned long long v;
    struct hv *hv;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (domid < 0 && !parse_num(argv[i], 0, 0x7fef, &v))
            domid = (long)v;
        else
            return usage_error(&cmd_sim, "unexpected argument '%s' for sim show", argv[i]);
    }
    if (open_sim(&hv))
        return 1;
    int rc = sim_show(hv, stdout, domid, json);
    hv_close(hv);
    if (rc == -ESRCH)
        return fail("no simulated domain %ld", domid);
    return rc ? fail("cannot show the simulator state: %s", strerror(-rc)) : 0;
}

/* The guest's MAPD (sim_guest_its_mapd): exit 0 accepted, 1 refused. */
static int do_its_mapd(int argc, char **argv)
{
    unsigned long long domid, devid, events;
    struct hv *hv;
    if (argc != 5)
        return usage_error(&cmd_sim, "sim its-mapd takes DOMID DEVICEID EVENTS");
    int rc = parse_domid(argv[2], &domid);
    if (rc)
        return rc;
    if (parse_num(argv[3], 0, UINT32_MAX, &devid) || parse_num(argv[4], 0, UINT32_MAX, &events))
        return usage_error(&cmd_sim, "sim its-mapd: DEVICEID and EVENTS are numbers");
    if (open_sim(&hv))
        return 1;
    rc = sim_guest_its_mapd(hv, (uint32_t)domid, (uint32_t)devid, (uint32_t)events);
    hv_close(hv);
    if (rc == -EPERM)
        return fail("domain %llu's MAPD of DeviceID %#llx (%llu events) refused: nothing "
                    "bound it to a device with that many events", domid, devid, events);
    if (rc == -EOPNOTSUPP)
        return fail("simulated domain %llu has no virtual ITS", domid);
    if (rc == -ESRCH)
        return fail("no simulated domain %llu", domid);
    if (rc)
        return fail("MAPD in simulated domain %llu failed: %s", domid, strerror(-rc));
    printf("dom%llu MAPD DeviceID %#llx events %llu accepted\n", domid, devid, events);
    return 0;
}

static int run_sim(int argc, char **argv)
{
    if (wants_help(argc, argv))
        return print_help(&cmd_sim);
    if (argc < 2)
        return usage_error(&cmd_sim, "sim needs an action");
    if (!strcmp(argv[1], "reset"))
        return do_reset(argc, argv);
    if (!strcmp(argv[1], "domain-create"))
        return do_domain_create(argc, argv);
    if (!strcmp(argv[1], "domain-destroy"))
        return do_domain_destroy(argc, argv);
    if (!strcmp(argv[1], "show"))
        return do_show(argc, argv);
    if (!strcmp(argv[1], "its-mapd"))
        return do_its_mapd(argc, argv);
    return usage_error(&cmd_sim, "unknown sim action '%s'", argv[1]);
}

const struct pcipt_cmd cmd_sim = {
    .name = "sim",
    .run = run_sim,
    .synopsis = "sim reset | domain-create DOMID [--vcpus N] [--memory MiB] [--spis N] "
                "[--passthrough] | "
                "domain-destroy DOMID | show [DOMID] [--json] | its-mapd DOMID DEVICEID EVENTS",
    .summary = "administer the simulated hypervisor (--hv sim)",
    .help =
        "The simulated hypervisor keeps domains, their p2m, iomem permissions,\n"
        "IOREQ servers and event channels in $PCIPT_SIM_DIR (default\n"
        "/run/pcipt-sim), shared by every pcipt --hv sim process.\n"
        "\n"
        "  reset                   forget every guest domain (dom0 stays)\n"
        "  domain-create DOMID     create a guest domain; --vcpus N (1..128, default 1),\n"
        "                          --memory MiB (default 512, RAM at 0x40000000),\n"
        "                          --spis N (default 32, rounded up to a multiple of 32),\n"
        "                          --passthrough (as xl's passthrough=\"enabled\": it can\n"
        "                          take functions assigned to the simulated SMMU)\n"
        "  domain-destroy DOMID    destroy it with its servers, mappings, permissions\n"
        "  show [DOMID] [--json]   one line per fact: 'domN domain|stats|iomem|map|\n"
        "                          server|irq|its|its-mapd ...', or JSON\n"
        "  its-mapd DOMID DEVICEID EVENTS\n"
        "                          the guest's ITS MAPD: accepted (exit 0) only for a\n"
        "                          DeviceID pcipt bound with at least EVENTS events\n"
        "\n"
        "PCIPT_SIM_FAIL=op:n:errno makes the n-th call of op (an hv operation such as\n"
        "memory_mapping) in that process fail with errno; memory_mapping:n:kill\n"
        "carries the n-th mapping call out, then kills the process (SIGKILL), as a\n"
        "crash right after it would.  PCIPT_SIM_IOMMU=off\n"
        "simulates a Xen without an IOMMU (every assign operation fails with\n"
        "EOPNOTSUPP).  PCIPT_SIM_VITS=off simulates a Xen without the project's\n"
        "domU vITS patch (binding a device fails with EOPNOTSUPP).",
};
