/* `pcipt sim ...` against a private simulator directory, and the state it
 * shows being the one the library changed (shared between processes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

static void expect(const char *args, int status, const char *out_has, const char *err_has)
{
    char *out = NULL, *err = NULL;
    int rc = run_pcipt(NULL, &out, &err, "%s", args);
    ck_assert_msg(rc == status, "pcipt %s: status %d, stderr: %s", args, rc, err ? err : "");
    if (out_has)
        ck_assert_msg(out && strstr(out, out_has), "pcipt %s: no '%s' in: %s", args, out_has,
                      out ? out : "");
    if (err_has)
        ck_assert_msg(err && strstr(err, err_has), "pcipt %s: no '%s' in: %s", args, err_has,
                      err ? err : "");
    free(out);
    free(err);
}

START_TEST(domain_lifecycle)
{
    expect("sim domain-create 5 --vcpus 2 --memory 256 --spis 40", 0, NULL, NULL);
    expect("sim show 5", 0, "dom5 domain vcpus=2 spis=64 ram=0x40000000+0x10000000", NULL);
    expect("sim domain-create 5", 1, NULL, "simulated domain 5 already exists");
    expect("sim show 6", 1, NULL, "no simulated domain 6");
    expect("sim domain-destroy 5", 0, NULL, NULL);
    expect("sim domain-destroy 5", 1, NULL, "no simulated domain 5");
    expect("sim domain-create 0", 2, NULL, "not a guest domain id");
    expect("sim domain-create 7 --vcpus 200", 2, NULL, "--vcpus needs a number from 1 to 128");
    expect("sim domain-create 7 --bogus 1", 2, NULL, "unknown option '--bogus'");
    expect("sim frobnicate", 2, NULL, "unknown sim action 'frobnicate'");
    expect("sim", 2, NULL, "sim needs an action");
    expect("sim --help", 0, "domain-create DOMID", NULL);
}
END_TEST

START_TEST(show_reflects_library_changes)
{
    struct hv *hv = simfx_hv;
    ck_assert_int_eq(sim_domain_create(hv, 5, 2, 0x40000000, 1 << 28, 32), 0);
    ck_assert_int_eq(hv_grant_iomem(hv, 5, 0x80000000, 1 << 20), 0);
    ck_assert_int_eq(hv_map_mmio(hv, 5, 0x23000, 0x80000, 64, NULL, 0, NULL), 0);
    uint16_t id;
    ck_assert_int_eq(hv->ops->ioreq_create(hv, 5, 0, &id), 0);
    ck_assert_int_eq(hv->ops->ioreq_map_range(hv, 5, id, true, 0x10000000, 0x1fffffff), 0);
    ck_assert_int_eq(hv->ops->ioreq_map_pcidev(hv, 5, id, 0, 0, 1, 0), 0);
    ck_assert_int_eq(hv->ops->ioreq_set_state(hv, 5, id, true), 0);
    ck_assert_int_eq(hv->ops->set_irq_level(hv, 5, 40, 1), 0);
    expect("sim show 5", 0, "dom5 map gfn=0x23000 mfn=0x80000 nr=64\n", NULL);
    expect("sim show 5", 0, "dom5 iomem 0x80000-0x800ff\n", NULL);
    expect("sim show 5", 0, "dom5 server 0 enabled=yes\n", NULL);
    expect("sim show 5", 0, "dom5 server 0 mmio 0x10000000-0x1fffffff\n", NULL);
    expect("sim show 5", 0, "dom5 server 0 pcidev 0000:00:01.0\n", NULL);
    expect("sim show 5", 0, "dom5 irq 40 level=1\n", NULL);
    expect("sim show 5", 0, "dom5 stats memory_mapping_calls=1 ", NULL);
    expect("sim show --json 5", 0, "\"mappings\":[{\"gfn\":143360,\"mfn\":524288,\"nr\":64}]",
           NULL);
    expect("sim show 5 --json", 0, "\"servers\":[{\"id\":0,\"enabled\":true,\"port\":[],"
           "\"mmio\":[[268435456,536870911]],\"pcidev\":[[8,8]]}]", NULL);
    expect("sim reset", 0, NULL, NULL);
    ck_assert_int_eq(hv->ops->domain_exists(hv, 5), 0);
    expect("sim show", 0, "dom0 iomem 0x0-0xfffffffff\n", NULL);
}
END_TEST

START_TEST(env_failure_injection_cli)
{
    expect("sim domain-create 5", 0, NULL, NULL);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_SIM_FAIL=domain_create:1:12"), &out, &err,
                               "sim domain-create 6"), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot create simulated domain 6: Cannot allocate memory"));
    free(out);
    free(err);
    ck_assert_int_eq(simfx_hv->ops->domain_exists(simfx_hv, 6), 0);
    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_SIM_FAIL=nonsense"), NULL, &err, "sim show"), 1);
    ck_assert_ptr_nonnull(strstr(err, "PCIPT_SIM_FAIL='nonsense': expected op:n:errno"));
    free(err);
}
END_TEST

static Suite *hv_cli_suite(void)
{
    Suite *s = suite_create("hv_cli");
    TCase *tc = tcase_create("sim_cmd");
    tcase_add_checked_fixture(tc, simfx_setup, simfx_teardown);
    tcase_add_test(tc, domain_lifecycle);
    tcase_add_test(tc, show_reflects_library_changes);
    tcase_add_test(tc, env_failure_injection_cli);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_cli_suite)
