/* The daemon looks up each device's host ITS DeviceID in the host
 * device tree (--host-dt, built by dtc from tests/data/host-dt/):
 * 0000:01:00.0 -> 0x20100 and 0000:02:00.0 -> 0x40000 (second msi-map
 * tuple); 0000:03:00.0 is in no tuple.  Without a usable tree, or for a
 * device the map does not cover, MSI stays off (said once, no bind asked
 * for) and the device is served as before.  The daemon binds nothing per
 * event: attach binds whole devices (pcipt/assign/msi_announce.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define MSI_CTRL 0x52          /* cap-pcie-2: MSI capability at 0x50 */

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Guest: MSI on, off, on again on slot s (one bind at most per device). */
static void guest_enables_msi(struct hv *g, unsigned s)
{
    dfx_cfg_write(g, DOM, 0, s, MSI_CTRL, 2, 0x0001);
    dfx_cfg_write(g, DOM, 0, s, MSI_CTRL, 2, 0x0000);
    dfx_cfg_write(g, DOM, 0, s, MSI_CTRL, 2, 0x0001);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, s, MSI_CTRL, 2) & 1, 1);
}

/* Assign host devices 0000:0n:00.0 for each n in devs (0-terminated),
 * start the daemon, let the guest enable MSI on each, stop; the log. */
static char *run(const unsigned *devs, struct dev_assign *a)
{
    struct dfx_daemon dm;
    struct hv *g;
    unsigned k;

    dfx_domain(DOM, 1);
    for (k = 0; devs[k]; k++)
        dfx_assign(DOM, devs[k], &a[k]);
    dfx_start(&dm, DOM);
    g = simfx_open();
    for (k = 0; devs[k]; k++) {
        ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a[k].guest.dev, 0, 4), 0x10c98086u);
        guest_enables_msi(g, a[k].guest.dev);
        /* INTx is untouched: pin from the host, line = SPI - 32 */
        ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a[k].guest.dev, 0x3c, 2),
                          (uint32_t)a[k].intx_pin << 8 | (a[k].spi - 32));
    }
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    return dfx_log(&dm);
}

START_TEST(each_device_gets_its_own_host_devid)
{
    const unsigned devs[] = { 1, 2, 3, 0 };
    struct dev_assign a[3];
    char *log;

    dfx_use_host_dt("virt-gicv3-its.dts");
    log = run(devs, a);
    ck_assert_uint_eq(count(log, "0000:01:00.0 has host ITS DeviceID 0x20100"), 1);
    ck_assert_uint_eq(count(log, "0000:02:00.0 has host ITS DeviceID 0x40000"), 1);
    /* bus 3 is in no msi-map tuple: MSI stays off for it alone, said once */
    ck_assert_uint_eq(count(log, "MSI of 0000:03:00.0 stays off (INTx works): device "
                                 "0000:03:00.0: RID 0x0300 (masked 0x300) is in no msi-map "
                                 "range of /pcie@4010000000"), 1);
    /* nothing is bound per event: attach binds the whole device
     * (pcipt/assign/msi_announce.h) */
    ck_assert_uint_eq(count(log, "vITS event"), 0);
    free(log);
}
END_TEST

/* No ITS in the host tree, no tree at all, not a tree: defined, once. */
START_TEST(no_host_devid_keeps_msi_off)
{
    static const struct { const char *dts, *junk, *msg; unsigned times; } c[] = {
        { "virt-gicv3-noits.dts", NULL, "MSI of 0000:0%u:00.0 stays off (INTx works): "
          "/pcie@4010000000 has neither msi-map nor msi-parent", 1 },
        { NULL, NULL, "no host ITS DeviceIDs, so MSI stays off for every device (INTx works): "
          "cannot read the host device tree %s/no-host-fdt: No such file or directory", 0 },
        { NULL, "not a device tree blob, but long enough to have a header", "no host ITS "
          "DeviceIDs, so MSI stays off for every device (INTx works): %s/junk.dtb is not a "
          "valid flattened device tree", 0 },
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const unsigned devs[] = { 1, 2, 0 };
        struct dev_assign a[2];
        char want[512], *log;

        if (i)
            dfx_teardown(), dfx_setup();
        if (c[i].dts)
            dfx_use_host_dt(c[i].dts);
        if (c[i].junk) {
            snprintf(dfx_host_dt, sizeof(dfx_host_dt), "%s/junk.dtb", dfx_tree);
            FILE *f = fopen(dfx_host_dt, "w");
            ck_assert_ptr_nonnull(f);
            fputs(c[i].junk, f);
            fclose(f);
        }
        log = run(devs, a);
        if (c[i].times) {              /* per device */
            for (unsigned n = 1; n <= 2; n++) {
                snprintf(want, sizeof(want), c[i].msg, n);
                ck_assert_msg(count(log, want) == 1, "case %u: no '%s' in: %s", i, want, log);
            }
        } else {                       /* once for the daemon, whatever the devices */
            snprintf(want, sizeof(want), c[i].msg, dfx_tree);
            ck_assert_msg(count(log, want) == 1, "case %u: no '%s' in: %s", i, want, log);
            ck_assert_uint_eq(count(log, "stays off"), 1);
        }
        /* no bind asked for; the guest keeps INTx */
        ck_assert_msg(count(log, "vITS event") == 0, "case %u: %s", i, log);
        free(log);
    }
}
END_TEST

static Suite *daemon_msi_suite(void)
{
    Suite *s = suite_create("daemon_msi");
    TCase *tc = tcase_create("msi");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, each_device_gets_its_own_host_devid);
    tcase_add_test(tc, no_host_devid_keeps_msi_off);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_msi_suite)
