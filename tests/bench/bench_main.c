/* pcipt-bench [--src DIR] [--quick] [--only cfg|ioreq|enum|map|msix|daemon]...
 *   Runs the groups, prints the table and one machine-readable line per
 *   metric: metric=<name> value=<v> baseline=<b> ratio=<r> unit=<u>.
 * pcipt-bench --ir-kernel PATTERN:engine|host --iters N
 *   (internal) one config kernel, for callgrind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostbridge/common/log.h"
#include "tests/bench/bench.h"

static const struct {
    const char *name;
    void (*run)(const struct bench_opts *o);
} groups[] = {
    { "cfg", bench_cfg },
    { "ioreq", bench_ioreq },
    { "enum", bench_enum },
    { "map", bench_map },
    { "msix", bench_msix },
    { "daemon", bench_daemon },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void usage(void)
{
    fprintf(stderr, "usage: pcipt-bench [--src DIR] [--quick] [--no-instr] [--only GROUP]...\n"
                    "  groups: cfg ioreq enum map msix daemon\n");
    exit(2);
}

static unsigned group_bit(const char *name)
{
    for (unsigned g = 0; g < NGROUPS; g++)
        if (!strcmp(groups[g].name, name))
            return 1u << g;
    fprintf(stderr, "pcipt-bench: no group %s\n", name);
    usage();
    return 0;
}

int main(int argc, char **argv)
{
    static char self[4096];
    struct bench_opts o = { .src = ".", .self = self };
    const char *kernel = NULL;
    unsigned iters = 100, only = 0;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        bench_fail("cannot find this program's own path (/proc/self/exe)");

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick"))
            o.quick = true;
        else if (!strcmp(a, "--no-instr"))
            o.no_instr = true;
        else if (!strcmp(a, "--src") && v)
            o.src = argv[++i];
        else if (!strcmp(a, "--only") && v)
            only |= group_bit(argv[++i]);
        else if (!strcmp(a, "--ir-kernel") && v)
            kernel = argv[++i];
        else if (!strcmp(a, "--iters") && v)
            iters = (unsigned)strtoul(argv[++i], NULL, 0);
        else
            usage();
    }
    log_set_level(LOG_LVL_ERR);      /* guest-visible oddities are expected here */
    if (kernel)
        return bench_cfg_ir_child(&o, kernel, iters);

    bench_machine();
    for (unsigned g = 0; g < NGROUPS; g++) {
        if (only && !(only & (1u << g)))
            continue;
        fprintf(stderr, "pcipt-bench: %s ...\n", groups[g].name);
        groups[g].run(&o);
    }
    return bench_print() ? 0 : 1;
}
