/* pcipt simulate [--vcpus N] [--json] [--keep] [--lspci] [--force] SBDF[@SLOT[.FN]]...:
 * what a guest sees of host PCI functions, with the real daemon and a
 * simulated hypervisor (pcipt/simulate/simulate.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/assign/attach.h"
#include "pcipt/cli/cmd_ctx.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/simulate/simulate.h"
#include "pcipt/xs/xsd_launch.h"

static void on_signal(int sig)
{
    (void)sig;
    simulate_interrupted = 1;
}

static void catch_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* The guest's config spaces through the real `lspci -F FILE -vv`. */
static int run_lspci(const struct simulate_report *r)
{
    const char *tmp = getenv("TMPDIR");
    char path[300];
    FILE *f;
    int fd, st, rc;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/pcipt-simulate-lspci.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if ((fd = mkstemp(path)) < 0)
        return fail("cannot create a file for lspci in %s: %s", tmp && *tmp ? tmp : "/tmp",
                    strerror(errno));
    if (!(f = fdopen(fd, "w"))) {
        close(fd);
        unlink(path);
        return fail("cannot write %s: %s", path, strerror(errno));
    }
    rc = simulate_write_lspci_dump(f, r);
    if (fclose(f) || rc) {
        unlink(path);
        return fail("cannot write the guest's config spaces to %s", path);
    }
    printf("\nlspci -F (the guest's config spaces, decoded by pciutils):\n");
    fflush(stdout);
    if ((pid = fork()) == 0) {
        execlp("lspci", "lspci", "-F", path, "-vv", (char *)NULL);
        _exit(127);
    }
    st = -1;
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    unlink(path);
    if (pid < 0 || !WIFEXITED(st))
        return fail("lspci -F did not run");
    if (WEXITSTATUS(st) == 127)
        return fail("lspci not found: install the package pciutils");
    if (WEXITSTATUS(st))
        return fail("lspci -F %s exited with status %d", path, WEXITSTATUS(st));
    return 0;
}

static int run_simulate(int argc, char **argv)
{
    struct simulate_dev devs[PCIPT_MAX_DEVS];
    struct simulate_opts o = { .vcpus = 1, .devs = devs };
    struct simulate_report r;
    bool json = false, lspci = false;
    char err[768];
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--vcpus") || !strncmp(a, "--vcpus=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            unsigned long n;
            if (parse_ulong(v, 1, SIMULATE_MAX_VCPUS, &n))
                return usage_error(&cmd_simulate, "--vcpus takes a number of vCPUs, 1..%u",
                                   SIMULATE_MAX_VCPUS);
            o.vcpus = (unsigned)n;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--keep")) {
            o.keep = true;
        } else if (!strcmp(a, "--lspci")) {
            lspci = true;
        } else if (!strcmp(a, "--force")) {
            o.attach_flags |= ATTACH_FORCE;
        } else if (a[0] == '-' && a[1]) {
            return usage_error(&cmd_simulate, "unknown option '%s'", a);
        } else if (o.ndevs == PCIPT_MAX_DEVS) {
            return usage_error(&cmd_simulate, "at most %u devices", PCIPT_MAX_DEVS);
        } else if (sbdf_parse_vslot(a, &devs[o.ndevs].host, &devs[o.ndevs].slot,
                                    &devs[o.ndevs].fn)) {
            return usage_error(&cmd_simulate, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot "
                               "1..31, function 0..7)", a);
        } else {
            o.ndevs++;
        }
    }
    if (!o.ndevs)
        return usage_error(&cmd_simulate, "give at least one host device");
    if (json && lspci)
        return usage_error(&cmd_simulate, "--lspci prints text: it cannot go with --json");
    o.sysfs = g_opts.sysfs;
    o.config = g_opts.config;
    o.verbose = g_opts.verbose;

    catch_signals();
    rc = simulate_run(&o, &r, err, sizeof(err));
    if (rc) {
        simulate_report_free(&r);
        if (o.keep && r.dir[0])
            fprintf(stderr, "pcipt: kept %s\n", r.dir);
        if (rc == -EINTR) {
            fprintf(stderr, "pcipt: interrupted; everything was torn down\n");
            return 130;
        }
        return fail("%s", err);
    }
    if (json)
        simulate_print_json(stdout, &r);
    else
        simulate_print_text(stdout, &r);
    rc = lspci ? run_lspci(&r) : 0;
    if (o.keep && !json)
        printf("\nKept the simulation's directory: %s\n", r.dir);
    simulate_report_free(&r);
    return rc;
}

const struct pcipt_cmd cmd_simulate = {
    .name = "simulate",
    .run = run_simulate,
    .synopsis = "simulate [--vcpus N] [--json] [--keep] [--lspci] [--force] SBDF[@SLOT[.FN]]...",
    .summary = "show what a guest would see of host devices, without Xen",
    .help =
        "Description:\n"
        "  Runs the real pcipt daemon against a simulated hypervisor and lets a\n"
        "  simulated guest enumerate the host PCI functions SBDF... the way Linux's\n"
        "  pci-host-generic driver does at boot, then prints what the guest found.\n"
        "  Nothing on the host is changed and no Xen is needed.\n"
        "\n"
        "  In a private throwaway directory (under $TMPDIR if its path is short,\n"
        "  else /tmp) it starts a private real xenstored (Debian's\n"
        "  " XSD_DEFAULT_BIN " with pcipt's preload shim fakexen.so) and a\n"
        "  private simulator (never the state in $PCIPT_SIM_DIR), creates\n"
        "  simulated domain 1 with N vCPUs, attaches each function exactly as\n"
        "  `pcipt attach` does (same checks, except that a function bound to a\n"
        "  dom0 driver or without a usable reset method is simulated as it is,\n"
        "  with a warning: nothing on the host changes; same BAR plan, same stage-2 mappings\n"
        "  and xenstore records), and starts `pcipt --hv sim serve 1` as a child\n"
        "  process: the daemon that runs on Xen.  Then each vCPU (a thread with\n"
        "  its own vCPU index and event channel) enumerates the bus through the\n"
        "  ECAM window: it probes vendor IDs, sizes the BARs and the ROM, assigns\n"
        "  addresses inside the device-tree windows (keeping firmware's planned\n"
        "  addresses when they fit), enables memory decode and bus mastering,\n"
        "  walks the capabilities and enables MSI (doorbell: the vITS's\n"
        "  GITS_TRANSLATER).  The vCPUs rescan one after another, vCPU 0 first, as\n"
        "  a guest serialises rescans; then all of them read every function's\n"
        "  config space at the same time.  Every vCPU must find the same bus and\n"
        "  read the same bytes, else simulate fails naming the vCPU.\n"
        "\n"
        "  The output is the guest's view in `lspci -vv` form (vCPU 0's\n"
        "  enumeration), each vCPU's config access counts, the daemon's counters\n"
        "  (its final stats line: ioreqs by type, maps, remaps, refused BAR moves,\n"
        "  ...) and the simulator's (ioreqs, direct BAR accesses, aborts, mapping\n"
        "  hypercalls, the domain's p2m).  Afterwards everything is torn down:\n"
        "  daemon, xenstored, the directory; also after a failure or Ctrl-C.\n"
        "\n"
        "Arguments:\n"
        "  SBDF[@SLOT[.FN]]  host function SSSS:BB:DD.F (or BB:DD.F), read from\n"
        "                 /sys/bus/pci or --sysfs DIR; @SLOT places it at virtual\n"
        "                 slot 1..31 (default: the lowest free one), @SLOT.FN as\n"
        "                 function FN (0..7) there (the slot needs a function 0).\n"
        "                 Up to 32.\n"
        "\n"
        "Options:\n"
        "  --vcpus N      guest vCPUs, 1..128 (default 1)\n"
        "  --json         one JSON object: devices, functions (IDs, BARs,\n"
        "                 capabilities, MSI), enumerations, daemon, sim\n"
        "  --keep         leave the private directory (simulator state, daemon\n"
        "                 log serve.log, xenstored log) and print its path; inspect\n"
        "                 it with PCIPT_SIM_DIR=DIR/sim pcipt sim show\n"
        "  --lspci        also decode the guest's config spaces with the real\n"
        "                 `lspci -F FILE -vv` (pciutils)\n"
        "  --force        accepted for `pcipt attach`'s sake; simulate only warns\n"
        "                 about a missing reset method\n"
        "  --sysfs DIR, --config FILE, -v, -vv   (global) see `pcipt --help`;\n"
        "                 -v/-vv are passed on to the daemon, whose log is kept\n"
        "                 with --keep\n"
        "\n"
        "Environment:\n"
        "  PCIPT_XENSTORED  the xenstored to run (default " XSD_DEFAULT_BIN ")\n"
        "  PCIPT_FAKEXEN    the preload shim (default " PCIPT_LIBEXEC "/fakexen.so,\n"
        "                   else tests/fakexen.so next to the pcipt binary)\n"
        "\n"
        "Exit status:\n"
        "  0 the guest enumerated and every vCPU agreed; 1 failure (one line names\n"
        "  the device, BAR, vCPU or program at fault: an unknown device, a bridge,\n"
        "  BARs that do not fit the guest's holes, xenstored not installed, a\n"
        "  daemon that did not start, vCPUs that disagree); 2 usage error;\n"
        "  130 interrupted.\n"
        "\n"
        "Examples:\n"
        "  pcipt simulate 0000:01:00.0\n"
        "  pcipt --sysfs ./tree simulate --vcpus 4 01:00.0 02:00.0@5\n"
        "  pcipt simulate --lspci 0000:03:00.0\n",
};
