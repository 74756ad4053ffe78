/* The INTx relay inside the real daemon.  /dev/uioN is played by a
 * pseudo-terminal in raw mode: the test writes a 4-byte count to the master
 * ("the line fired, the kernel masked it") and reads the daemon's unmask
 * (a 4-byte 1) from it; the device's Interrupt Status is bit 3 of Status in
 * the sysfs tree's `config` file, which libpci reads on every access.  The
 * daemon finds it through SYSFS/devices/SBDF/uio/uio0 and
 * $PCIPT_UIO_DEV_DIR/uio0. */
#include <errno.h>
#include <fcntl.h>
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
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5

static int master = -1, slave = -1;

static void make_uio(void)
{
    char path[160], link[160];

    master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    struct termios t;
    ck_assert_int_eq(tcgetattr(slave, &t), 0);
    cfmakeraw(&t);
    ck_assert_int_eq(tcsetattr(slave, TCSANOW, &t), 0);
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/uio", dfx_tree);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/uio/uio0", dfx_tree);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(link, sizeof(link), "%s/uio0", dfx_tree);
    ck_assert_int_eq(symlink(ptsname(master), link), 0);
    setenv("PCIPT_UIO_DEV_DIR", dfx_tree, 1);
}

static void set_interrupt_status(bool on)
{
    char path[160];
    unsigned char b;

    snprintf(path, sizeof(path), "%s/devices/0000:01:00.0/config", dfx_tree);
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, &b, 1, 6), 1);
    b = on ? (b | 0x08) : (b & ~0x08);
    ck_assert_int_eq(pwrite(fd, &b, 1, 6), 1);
    close(fd);
}

/* The next unmask the daemon writes (a 32-bit 1). */
static void expect_unmask(void)
{
    uint32_t v = 0;
    size_t got = 0;
    struct pollfd p = { .fd = master, .events = POLLIN };

    while (got < sizeof(v)) {
        ck_assert_int_eq(poll(&p, 1, DFX_WAIT_MS), 1);
        ssize_t n = read(master, (char *)&v + got, sizeof(v) - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    ck_assert_uint_eq(v, 1);
}

static void no_unmask_pending(void)
{
    struct pollfd p = { .fd = master, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0);
}

static void fire(void)
{
    uint32_t count = 1;
    ck_assert_int_eq(write(master, &count, sizeof(count)), sizeof(count));
}

static int wait_spi(uint32_t spi, int level)
{
    int v = -1;
    for (int i = 0; i < DFX_WAIT_MS && (v = sim_irq_level(simfx_hv, DOM, spi)) != level; i++)
        usleep(1000);
    return v;
}

START_TEST(relay_through_the_daemon)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    make_uio();
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    ck_assert_uint_ne(a.spi, 0);
    dfx_start(&dm, DOM);
    unsetenv("PCIPT_UIO_DEV_DIR");
    expect_unmask();                          /* a fresh daemon lets the line fire */
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 0);

    set_interrupt_status(true);
    fire();
    ck_assert_int_eq(wait_spi(a.spi, 1), 1);
    struct hv *g = simfx_open();
    /* the guest reads Status: Interrupt Status from the host */
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x06, 2) & 0x08, 0x08);
    no_unmask_pending();                      /* still asserting: stays masked */
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 1);
    set_interrupt_status(false);              /* the guest driver served it */
    expect_unmask();
    ck_assert_int_eq(wait_spi(a.spi, 0), 0);

    set_interrupt_status(true);               /* a second interrupt */
    fire();
    ck_assert_int_eq(wait_spi(a.spi, 1), 1);
    /* guest sets Command.INTx-disable: the line drops, the host stays masked */
    uint32_t cmd = dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x04, 2);
    dfx_cfg_write(g, DOM, 0, a.guest.dev, 0x04, 2, cmd | 0x400);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 0);
    no_unmask_pending();
    dfx_cfg_write(g, DOM, 0, a.guest.dev, 0x04, 2, cmd);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 1);
    set_interrupt_status(false);
    /* checked right after a guest access, too */
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x06, 2) & 0x08, 0);
    expect_unmask();
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 0);
    hv_close(g);

    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    ck_assert_int_eq(dfx_stat(log, "intx_raised"), 3);
    ck_assert_int_eq(dfx_stat(log, "intx_lowered"), 3);
    free(log);
    close(slave);
    close(master);
}
END_TEST

/* PCI 3.0 §6.8.2.3: with MSI-X enabled the function does not signal INTx,
 * so the relay drops the SPI and does not re-raise an assertion left from
 * before (pcipt/daemon/daemon_msi.c daemon_msi_intx_sync); MSI-X off again:
 * an INTx line still asserted is raised again, as after INTx-disable. */
START_TEST(msix_enable_silences_the_relay)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    make_uio();
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    unsetenv("PCIPT_UIO_DEV_DIR");
    expect_unmask();
    set_interrupt_status(true);
    fire();
    ck_assert_int_eq(wait_spi(a.spi, 1), 1);
    struct hv *g = simfx_open();
    dfx_cfg_write(g, DOM, 0, a.guest.dev, 0x72, 2, 0x8000);         /* MSI-X on */
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 0);
    usleep(100 * 1000);                       /* several re-raise periods */
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x06, 2) & 0x08, 0x08);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 0);
    no_unmask_pending();
    dfx_cfg_write(g, DOM, 0, a.guest.dev, 0x72, 2, 0x0000);         /* MSI-X off */
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, a.spi), 1);
    set_interrupt_status(false);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x06, 2) & 0x08, 0);
    expect_unmask();
    ck_assert_int_eq(wait_spi(a.spi, 0), 0);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    close(slave);
    close(master);
}
END_TEST

static Suite *daemon_intx_live_suite(void)
{
    Suite *s = suite_create("daemon_intx_live");
    TCase *tc = tcase_create("live");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, relay_through_the_daemon);
    tcase_add_test(tc, msix_enable_silences_the_relay);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_intx_live_suite)
