/* INTx: what the guest's device tree routes and what the daemon does must
 * agree.  A guest OS on a device-tree platform takes a function's Interrupt
 * Pin (config 0x3d), looks (slot, pin) up in the host bridge node's
 * interrupt-map (masked by interrupt-map-mask) and waits on the GIC SPI it
 * finds there; Interrupt Line (0x3c) is what pcipt says the line is (SPI -
 * 32, the GIC cell's number).  Three devices with pins INTA, INTB and INTD
 * at guest slots 3, 6 and 9 are served by the real daemon (every slot's
 * every pin is routed, pcipt/assign/intx_route.h; a pin taken without the
 * slot's swizzle, or an SPI off by one, lands on another SPI); the DT
 * is `pcipt dtb DOMID`'s, read back with libfdt; each device's INTx is
 * fired through its uio stand-in (a pty, as in tests/unit/daemon/test_daemon_intx_live.c)
 * and the SPI the daemon raises in the simulated vGIC must be the DT's. */
#include <fcntl.h>
#include <libfdt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/dtb_util.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define NDEV 3

static const struct { unsigned host, slot; uint8_t pin; } devs[NDEV] = {
    { 1, 3, 1 },        /* 0000:01:00.0 INTA at slot 3 */
    { 2, 6, 2 },        /* 0000:02:00.0 INTB at slot 6 */
    { 3, 9, 4 },        /* 0000:03:00.0 INTD at slot 9 */
};
static int master[NDEV] = { -1, -1, -1 }, slave[NDEV] = { -1, -1, -1 };

static void config_byte(unsigned host, unsigned off, uint8_t set, uint8_t clear)
{
    char path[160];
    unsigned char b;
    int fd;

    snprintf(path, sizeof(path), "%s/devices/0000:%02x:00.0/config", dfx_tree, host);
    ck_assert_int_ge(fd = open(path, O_RDWR), 0);
    ck_assert_int_eq(pread(fd, &b, 1, off), 1);
    b = (uint8_t)((b & ~clear) | set);
    ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

/* Device k's /dev/uio<k>: a raw pty (see tests/unit/daemon/test_daemon_intx_live.c). */
static void make_uio(unsigned k)
{
    char path[160], link[160];
    struct termios t;

    ck_assert_int_ge(master[k] = posix_openpt(O_RDWR | O_NOCTTY), 0);
    ck_assert_int_eq(grantpt(master[k]), 0);
    ck_assert_int_eq(unlockpt(master[k]), 0);
    ck_assert_int_ge(slave[k] = open(ptsname(master[k]), O_RDWR | O_NOCTTY), 0);
    ck_assert_int_eq(tcgetattr(slave[k], &t), 0);
    cfmakeraw(&t);
    ck_assert_int_eq(tcsetattr(slave[k], TCSANOW, &t), 0);
    snprintf(path, sizeof(path), "%s/devices/0000:%02x:00.0/uio", dfx_tree, devs[k].host);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "/uio%u", k);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(link, sizeof(link), "%s/uio%u", dfx_tree, k);
    ck_assert_int_eq(symlink(ptsname(master[k]), link), 0);
}

/* The daemon's next unmask on device k's uio (a 32-bit 1). */
static void expect_unmask(unsigned k)
{
    uint32_t v = 0;
    size_t got = 0;
    struct pollfd p = { .fd = master[k], .events = POLLIN };

    while (got < sizeof(v)) {
        ck_assert_int_eq(poll(&p, 1, DFX_WAIT_MS), 1);
        ssize_t n = read(master[k], (char *)&v + got, sizeof(v) - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    ck_assert_uint_eq(v, 1);
}

/* The SPIs up in the guest's vGIC once one is (or none, after a wait). */
static int spis_high(uint32_t *irqs, unsigned max, bool want_some)
{
    int n = 0;
    for (int i = 0; i < DFX_WAIT_MS; i++) {
        n = sim_list_irqs_high(simfx_hv, DOM, irqs, max);
        if ((n > 0) == want_some)
            break;
        usleep(1000);
    }
    return n;
}

/* The guest DT of the domain, as `pcipt dtb DOMID` writes it. */
static void *guest_dt(void)
{
    char blob[160], *err = NULL;

    snprintf(blob, sizeof(blob), "%s/guest.dtb", dfx_tree);
    ck_assert_msg(run_pcipt(NULL, NULL, &err, "--hv sim --sysfs %s dtb -o %s %u", dfx_tree, blob,
                            DOM) == 0, "%s", err);
    free(err);
    return dtbt_load(blob);
}

START_TEST(pin_line_and_raised_spi_follow_the_interrupt_map)
{
    struct dev_assign a[NDEV];
    struct dfx_daemon dm;
    uint32_t irqs[8], gic[3];
    struct hv *g;
    void *fdt;
    int node;

    for (unsigned k = 0; k < NDEV; k++) {
        config_byte(devs[k].host, 0x3d, devs[k].pin, 0xff);     /* Interrupt Pin */
        make_uio(k);
    }
    setenv("PCIPT_UIO_DEV_DIR", dfx_tree, 1);
    dfx_domain(DOM, 1);
    for (unsigned k = 0; k < NDEV; k++) {
        dfx_assign_at(DOM, devs[k].host, (int)devs[k].slot, &a[k]);
        ck_assert_uint_eq(a[k].guest.dev, devs[k].slot);
        ck_assert_uint_eq(a[k].intx_pin, devs[k].pin);
    }
    dfx_start(&dm, DOM);
    unsetenv("PCIPT_UIO_DEV_DIR");
    for (unsigned k = 0; k < NDEV; k++)
        expect_unmask(k);                         /* a fresh daemon unmasks every line */

    fdt = guest_dt();
    node = fdt_first_subnode(fdt, dtbt_node(fdt, "/passthrough"));
    ck_assert_int_ge(node, 0);
    g = simfx_open();
    for (unsigned k = 0; k < NDEV; k++) {
        unsigned slot = a[k].guest.dev;
        uint32_t pin = dfx_cfg_read(g, DOM, 0, slot, 0x3d, 1);
        uint32_t line = dfx_cfg_read(g, DOM, 0, slot, 0x3c, 1), spi;

        /* the guest sees the host's pin, and the DT routes exactly that pin */
        ck_assert_uint_eq(pin, devs[k].pin);
        ck_assert_msg(dtbt_intx_lookup(fdt, node, a[k].guest.bus, (uint8_t)slot, (uint8_t)pin,
                                       gic), "slot %u INT%c: no interrupt-map entry", slot,
                      'A' + pin - 1);
        ck_assert_uint_eq(gic[0], 0);             /* GIC_SPI */
        ck_assert_uint_eq(gic[2], 4);             /* level, active high */
        spi = gic[1] + 32;
        ck_assert_msg(line == gic[1], "slot %u: Interrupt Line %u, interrupt-map SPI %u",
                      slot, line, spi);
        /* the slot's other pins are routed too (a hot-plugged function may use
         * them), each to another SPI */
        for (uint8_t other = 1; other <= 4; other++) {
            uint32_t o[3];
            ck_assert(dtbt_intx_lookup(fdt, node, a[k].guest.bus, (uint8_t)slot, other, o));
            ck_assert(other == pin || o[1] != gic[1]);
        }

        /* the device asserts INTx: the daemon raises that SPI and no other */
        ck_assert_int_eq(spis_high(irqs, 8, false), 0);
        config_byte(devs[k].host, 0x06, 0x08, 0);                  /* Interrupt Status */
        uint32_t fired = 1;
        ck_assert_int_eq(write(master[k], &fired, sizeof(fired)), sizeof(fired));
        ck_assert_int_eq(spis_high(irqs, 8, true), 1);
        ck_assert_msg(irqs[0] == spi, "slot %u INT%c: the daemon raised SPI %u, the DT says %u",
                      slot, 'A' + pin - 1, irqs[0], spi);
        ck_assert_uint_eq(irqs[0], a[k].spi);                      /* as published */
        config_byte(devs[k].host, 0x06, 0, 0x08);                  /* served */
        expect_unmask(k);
        ck_assert_int_eq(spis_high(irqs, 8, false), 0);
    }
    hv_close(g);
    free(fdt);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    for (unsigned k = 0; k < NDEV; k++) {
        close(slave[k]);
        close(master[k]);
        master[k] = slave[k] = -1;
    }
}
END_TEST

static Suite *intx_dt_suite(void)
{
    Suite *s = suite_create("intx_dt");
    TCase *tc = tcase_create("agree");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pin_line_and_raised_spi_follow_the_interrupt_map);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(intx_dt_suite)
