/* See bench_sim.h. */
#include "tests/bench/bench_sim.h"

#include <stdio.h>
#include <stdlib.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/bench/bench.h"
#include "tests/support/sysfs_tree.h"

static struct hv *open_sim(void)
{
    struct hv *hv = NULL;
    char err[256];
    if (hv_open("sim", &hv, err, sizeof(err)))
        bench_fail("%s", err);
    return hv;
}

void bench_sim_open(struct bench_sim *s, unsigned nr_vcpus)
{
    snprintf(s->dir, sizeof(s->dir), "/tmp/pcipt-bench-sim.XXXXXX");
    if (!mkdtemp(s->dir))
        bench_fail("cannot create a simulator directory under /tmp");
    setenv(SIM_DIR_ENV, s->dir, 1);
    unsetenv(SIM_FAIL_ENV);
    s->dm = open_sim();
    s->guest = open_sim();
    int rc = sim_domain_create(s->dm, BENCH_DOM, nr_vcpus, 0x40000000, 0x10000000, 64);
    if (rc)
        bench_fail("sim: cannot create domain %d (%d)", BENCH_DOM, rc);
}

void bench_sim_close(struct bench_sim *s)
{
    sim_domain_destroy(s->dm, BENCH_DOM);
    hv_close(s->guest);
    hv_close(s->dm);
    sysfs_tree_remove(s->dir);      /* rm -r */
}
