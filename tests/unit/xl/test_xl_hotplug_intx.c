/* INTx for a hot-plugged device: `pcipt create` writes the guest's
 * interrupt-map once, routing every slot (pcipt/assign/intx_route.h), and a
 * `pcipt pci-attach` into a slot nothing used at create gets the SPI that
 * map already has for its slot and pin: the SPI `pcipt status` shows is the
 * one the guest looks up (issue: of_irq_parse_pci failed with rc=-22).  The
 * full flow: fake xl, the sim, the real xenstored and daemon. */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xl_fx.h"

#define CFG "name = \"guest1\"\npcipt = [ \"0000:01:00.0@2\" ]\n"

static char *path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    return (char *)xlfx_path(name, buf[k++ % 4], sizeof(buf[0]));
}

/* The SPI `pcipt status 7` shows for host (its "  HOST -> GUEST  spi N" line). */
static unsigned status_spi(const char *host, const char *guest)
{
    char *out = NULL, *err = NULL, want[96];
    const char *l;
    unsigned spi = 0;

    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s status 7", afx_args()) == 0, "%s",
                  err);
    snprintf(want, sizeof(want), "  %s -> %s  spi ", host, guest);
    ck_assert_msg((l = strstr(out, want)) != NULL, "no '%s' in: %s", want, out);
    ck_assert_int_eq(sscanf(l + strlen(want), "%u", &spi), 1);
    free(out);
    free(err);
    return spi;
}

START_TEST(attach_into_a_new_slot_gets_the_routed_spi)
{
    struct domain_assign *da = calloc(1, sizeof(*da));
    char *out, *err, e[256];
    uint32_t gic[3];
    unsigned spi;
    void *fdt;
    int node, dpid;

    ck_assert_ptr_nonnull(da);
    xlfx_write("g.cfg", CFG);
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s create %s", afx_args(),
                            path("g.cfg")) == 0, "%s", err);
    free(out); free(err);
    dpid = xlfx_daemon_pid(7);
    fdt = dtbt_load(path("guest1.dtb"));           /* what the guest booted with */
    node = dtbt_node(fdt, "/passthrough/pcie@10000000");

    /* slot 7: nothing sat there at create */
    ck_assert_msg(run_pcipt(xlfx_opts(""), &out, &err, "%s pci-attach 7 " AFX_GPU "@7",
                            afx_args()) == 0, "%s", err);
    free(out); free(err);
    ck_assert_int_eq(xsp_read_domain(afx_ctx.xs, 7, da, e, sizeof(e)), 0);
    ck_assert_uint_eq(da->ndevs, 2);
    ck_assert_uint_eq(da->devs[1].guest.dev, 7);
    ck_assert_uint_ne(da->devs[1].intx_pin, 0);    /* the GPU has an INTx pin */
    ck_assert_msg(dtbt_intx_lookup(fdt, node, 0, 7, da->devs[1].intx_pin, gic),
                  "the create-time interrupt-map does not route slot 7 INT%c",
                  'A' + da->devs[1].intx_pin - 1);
    spi = status_spi(AFX_GPU, "0000:00:07.0");
    ck_assert_uint_eq(spi, da->devs[1].spi);
    ck_assert_msg(spi == gic[1] + 32, "status says SPI %u, the guest's interrupt-map %u", spi,
                  gic[1] + 32);
    /* and the device of create keeps its own */
    ck_assert_msg(dtbt_intx_lookup(fdt, node, 0, 2, da->devs[0].intx_pin, gic), "slot 2");
    ck_assert_uint_eq(status_spi(AFX_NIC, "0000:00:02.0"), gic[1] + 32);

    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 7), 0);
    (void)xlfx_wait_gone(dpid);
    free(fdt);
    free(da);
}
END_TEST

static Suite *xl_hotplug_intx_suite(void)
{
    Suite *s = suite_create("xl_hotplug_intx");
    TCase *tc = tcase_create("hotplug");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, xlfx_setup, xlfx_teardown);
    tcase_add_test(tc, attach_into_a_new_slot_gets_the_routed_spi);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xl_hotplug_intx_suite)
