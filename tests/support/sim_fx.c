/* Private simulator directory per test (see sim_fx.h). */
#include "tests/support/sim_fx.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"

struct hv *simfx_hv;
char simfx_dir[64];

struct hv *simfx_open(void)
{
    struct hv *hv = NULL;
    char err[256];
    int rc = hv_open("sim", &hv, err, sizeof(err));
    ck_assert_msg(rc == 0, "hv_open(sim): %s", err);
    return hv;
}

void simfx_setup(void)
{
    snprintf(simfx_dir, sizeof(simfx_dir), "/tmp/pcipt-hv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(simfx_dir));
    setenv(SIM_DIR_ENV, simfx_dir, 1);
    unsetenv(SIM_FAIL_ENV);
    simfx_hv = simfx_open();
}

void simfx_teardown(void)
{
    char cmd[128];
    hv_close(simfx_hv);
    simfx_hv = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", simfx_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", simfx_dir);
}
