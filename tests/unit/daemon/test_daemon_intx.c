/* The INTx relay with a test double for uio: an eventfd is the "line
 * fired" fd, a counter records unmasks, a memdev's Status register says
 * whether the device still asserts; the guest SPI is the simulator's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/daemon/intx.h"
#include "tests/support/fake_memdev.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 3
#define SPI 40

struct dbl { unsigned unmasks; };

static int dbl_ack(void *ctx, int fd)
{
    uint64_t v;
    (void)ctx;
    if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
        return 1;
    return errno == EAGAIN ? 0 : -errno;
}

static int dbl_unmask(void *ctx, int fd)
{
    (void)fd;
    ((struct dbl *)ctx)->unmasks++;
    return 0;
}

static const struct intx_src_ops dbl_ops = { .ack = dbl_ack, .unmask = dbl_unmask };

static struct memdev md;
static struct dbl ctx;
static struct intx_line line;
static int efd;

static void fire(void)
{
    uint64_t one = 1;
    ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
    intx_fired(&line);
}

static void device_asserts(bool on)
{
    uint32_t st = memdev_get(&md, 0x06, 2);
    memdev_set(&md, 0x06, 2, on ? st | PCI_STS_INTERRUPT : st & ~PCI_STS_INTERRUPT);
}

static int spi(void) { return sim_irq_level(simfx_hv, DOM, SPI); }

static void setup(void)
{
    simfx_setup();
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0x40000000, 0x100000, 64), 0);
    memdev_init(&md, 0x8086, 0x10c9, 256);
    device_asserts(false);
    ctx = (struct dbl){ 0 };
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ck_assert_int_ge(efd, 0);
    ck_assert_int_eq(intx_line_start(&line, simfx_hv, DOM, SPI, &md.hd, efd, &dbl_ops, &ctx), 0);
    ck_assert_uint_eq(ctx.unmasks, 1);        /* a fresh start lets the line fire */
    ck_assert_int_eq(spi(), 0);
}

static void teardown(void)
{
    intx_line_stop(&line);
    close(efd);
    simfx_teardown();
}

START_TEST(fire_raise_deassert_lower_unmask_and_again)
{
    device_asserts(true);
    fire();
    ck_assert_int_eq(spi(), 1);
    ck_assert(intx_waiting(&line));
    intx_check(&line);                        /* still asserting: stays up, masked */
    ck_assert_int_eq(spi(), 1);
    ck_assert_uint_eq(ctx.unmasks, 1);
    device_asserts(false);                    /* the guest's handler cleared the cause */
    intx_check(&line);
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx.unmasks, 2);
    ck_assert(!intx_waiting(&line));
    intx_check(&line);                        /* nothing more to do */
    ck_assert_uint_eq(ctx.unmasks, 2);
    device_asserts(true);                     /* a second interrupt */
    fire();
    ck_assert_int_eq(spi(), 1);
    device_asserts(false);
    intx_check(&line);
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx.unmasks, 3);
    ck_assert_uint_eq(line.raised, 2);
    ck_assert_uint_eq(line.lowered, 2);
    ck_assert_uint_eq(line.fired, 2);
}
END_TEST

START_TEST(guest_intx_disable_holds_the_line_down)
{
    device_asserts(true);
    fire();
    ck_assert_int_eq(spi(), 1);
    intx_guest_disable(&line, true);          /* PCI 3.0 §6.2.2: no INTx while disabled */
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx.unmasks, 1);        /* host stays masked: the device still asks */
    intx_guest_disable(&line, false);
    ck_assert_int_eq(spi(), 1);               /* still pending: it comes back */
    intx_guest_disable(&line, true);
    device_asserts(false);
    intx_check(&line);
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx.unmasks, 2);
    device_asserts(true);
    fire();                                   /* fires while disabled: no SPI */
    ck_assert_int_eq(spi(), 0);
    intx_guest_disable(&line, false);
    ck_assert_int_eq(spi(), 1);
}
END_TEST

START_TEST(unreadable_device_does_not_hold_the_line)
{
    device_asserts(true);
    fire();
    memdev_set(&md, 0x06, 2, 0xffff);         /* surprise removal reads all-ones */
    intx_check(&line);
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx.unmasks, 2);
}
END_TEST

/* A second device on the same SPI (fixed routes share SPIs between slots,
 * pcipt/assign/intx_route.h): the guest's SPI is the OR of both lines.  One
 * device deasserting while the other still asserts leaves it up; it drops
 * only when both have; either stopping leaves the other's level. */
static struct memdev md2;
static struct dbl ctx2;
static struct intx_line line2;
static int efd2;

static void fire2(void)
{
    uint64_t one = 1;
    ck_assert_int_eq(write(efd2, &one, sizeof(one)), sizeof(one));
    intx_fired(&line2);
}

static void device2_asserts(bool on)
{
    uint32_t st = memdev_get(&md2, 0x06, 2);
    memdev_set(&md2, 0x06, 2, on ? st | PCI_STS_INTERRUPT : st & ~PCI_STS_INTERRUPT);
}

static void start2(void)
{
    memdev_init(&md2, 0x8086, 0x10c9, 256);
    device2_asserts(false);
    ctx2 = (struct dbl){ 0 };
    efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ck_assert_int_ge(efd2, 0);
    ck_assert_int_eq(intx_line_start_shared(&line2, &line, simfx_hv, DOM, SPI, &md2.hd, efd2,
                                            &dbl_ops, &ctx2), 0);
}

START_TEST(shared_spi_is_the_or_of_its_lines)
{
    start2();
    ck_assert_int_eq(spi(), 0);
    device_asserts(true);
    fire();
    ck_assert_int_eq(spi(), 1);
    device2_asserts(true);
    fire2();
    ck_assert_int_eq(spi(), 1);
    device_asserts(false);                    /* the first is served; the second still asks */
    intx_check(&line);
    ck_assert_int_eq(spi(), 1);
    ck_assert_uint_eq(ctx.unmasks, 2);        /* the first's host line is unmasked all the same */
    intx_check(&line2);
    ck_assert_int_eq(spi(), 1);
    device2_asserts(false);
    intx_check(&line2);
    ck_assert_int_eq(spi(), 0);
    ck_assert_uint_eq(ctx2.unmasks, 2);
    /* the second raises alone, the first asserts too, then the second's
     * disable holds only its own contribution down */
    device2_asserts(true);
    fire2();
    device_asserts(true);
    fire();
    intx_guest_disable(&line2, true);
    ck_assert_int_eq(spi(), 1);
    intx_guest_disable(&line2, false);
    /* the first stops while the second asserts: the SPI stays up */
    intx_line_stop(&line);
    ck_assert_int_eq(spi(), 1);
    device2_asserts(false);
    intx_check(&line2);
    ck_assert_int_eq(spi(), 0);
    /* a line starting beside a raised one does not lower it */
    device2_asserts(true);
    fire2();
    ck_assert_int_eq(spi(), 1);
    ck_assert_int_eq(intx_line_start_shared(&line, &line2, simfx_hv, DOM, SPI, &md.hd, efd,
                                            &dbl_ops, &ctx), 0);
    ck_assert_int_eq(spi(), 1);
    intx_line_stop(&line2);
    close(efd2);
    ck_assert_int_eq(spi(), 0);               /* the remaining line is low */
    ck_assert_ptr_eq(line.share_next, &line); /* alone again */
}
END_TEST

/* pciback holds the function (xl's requirement) and requests no interrupt:
 * the relay polls Status.Interrupt Status on a timerfd
 * (pcipt/daemon/intx_poll.c).  The tick runs only while the line may fire. */
static bool ticks_within(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 1;
}

START_TEST(pciback_held_function_is_polled)
{
    struct intx_line pl;
    int pfd;

    ck_assert_int_eq(intx_poll_open(&pfd), 0);
    ck_assert_int_eq(intx_line_start(&pl, simfx_hv, DOM, SPI + 1, &md.hd, pfd, &intx_poll_ops,
                                     (void *)&md.hd), 0);
    /* quiet device: ticks come, nothing is raised */
    ck_assert(ticks_within(pfd, 1000));
    intx_fired(&pl);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI + 1), 0);
    ck_assert_uint_eq(pl.fired, 0);
    /* the device asserts: the next tick raises the SPI, and the tick stops */
    device_asserts(true);
    ck_assert(ticks_within(pfd, 1000));
    intx_fired(&pl);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI + 1), 1);
    ck_assert_uint_eq(pl.fired, 1);
    ck_assert(intx_waiting(&pl));
    ck_assert(!ticks_within(pfd, 20));        /* stopped: a disarmed timerfd never ticks */
    /* the guest's handler cleared the cause: lowered, ticking again */
    device_asserts(false);
    intx_check(&pl);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI + 1), 0);
    ck_assert(!intx_waiting(&pl));
    ck_assert(ticks_within(pfd, 1000));
    intx_fired(&pl);
    /* MSI on or INTx-disable: quiet, no tick; back on: ticking */
    intx_guest_disable(&pl, true);
    { uint64_t t; (void)!read(pfd, &t, sizeof(t)); }
    ck_assert(!ticks_within(pfd, 20));
    intx_guest_disable(&pl, false);
    ck_assert(ticks_within(pfd, 1000));
    intx_line_stop(&pl);                      /* closes the timerfd */
    ck_assert_int_eq(fcntl(pfd, F_GETFD), -1);
}
END_TEST

START_TEST(uio_lookup)
{
    char dir[] = "/tmp/pcipt-uio-XXXXXX", path[256], err[512];
    int fd = -1;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(intx_uio_open(dir, dir, &fd, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "uio_pci_generic"));
    snprintf(path, sizeof(path), "%s/uio", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(intx_uio_open(dir, dir, &fd, err, sizeof(err)), -ENOENT);
    snprintf(path, sizeof(path), "%s/uio/uio7", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(intx_uio_open(dir, dir, &fd, err, sizeof(err)), -ENOENT);  /* no dev node */
    ck_assert_ptr_nonnull(strstr(err, "uio7"));
    snprintf(path, sizeof(path), "%s/uio7", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(intx_uio_open(dir, dir, &fd, err, sizeof(err)), 0);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *daemon_intx_suite(void)
{
    Suite *s = suite_create("daemon_intx");
    TCase *tc = tcase_create("relay");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fire_raise_deassert_lower_unmask_and_again);
    tcase_add_test(tc, guest_intx_disable_holds_the_line_down);
    tcase_add_test(tc, unreadable_device_does_not_hold_the_line);
    tcase_add_test(tc, shared_spi_is_the_or_of_its_lines);
    tcase_add_test(tc, pciback_held_function_is_polled);
    suite_add_tcase(s, tc);
    TCase *tu = tcase_create("uio");
    tcase_add_test(tu, uio_lookup);
    suite_add_tcase(s, tu);
    return s;
}

TEST_SUITE(daemon_intx_suite)
