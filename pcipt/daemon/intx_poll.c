/* The INTx source for a function no uio driver holds: xl's pciback.
 *
 * libxl wants the function bound to pciback (xl pci-assignable-add), and
 * Debian's arm64 kernel builds xen-pciback in stub mode: it binds the
 * function and requests no interrupt, so nothing in dom0 reports the line.
 * The device itself does: Status.Interrupt Status (bit 3, PCI 3.0 §6.2.3)
 * "reflects the state of the interrupt in the device/function" whatever
 * driver is bound.  So this source is a periodic timerfd: at each tick the
 * relay reads Status, and an asserting device counts as "the line fired".
 * Nothing is masked in the host (no handler, no storm), so the tick stops
 * while the guest's SPI is up (the relay's own deassert check runs then)
 * and while the guest cannot take INTx (Command.INTx-disable, MSI or MSI-X
 * on), and starts again when the line may fire. */
#include "pcipt/daemon/intx.h"

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int poll_arm(int fd, bool on)
{
    struct itimerspec it = { 0 };

    if (on) {
        it.it_value.tv_nsec = INTX_POLL_MS * 1000000L;
        it.it_interval = it.it_value;
    }
    return timerfd_settime(fd, 0, &it, NULL) ? -errno : 0;
}

static bool poll_asserting(const struct host_dev *hd)
{
    uint32_t status;

    if (host_cfg_read(hd, PCI_CFG_STATUS, 2, &status))
        return false;
    return status != 0xffff && (status & PCI_STS_INTERRUPT);
}

/* One tick: 1 when the device asserts (the tick stops until the relay
 * unmasks, i.e. the device deasserted), else 0. */
static int poll_ack(void *ctx, int fd)
{
    uint64_t ticks;
    ssize_t n = read(fd, &ticks, sizeof(ticks));
    int rc;

    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    if (n != (ssize_t)sizeof(ticks) || !poll_asserting(ctx))
        return 0;
    if ((rc = poll_arm(fd, false)))
        return rc;
    return 1;
}

static int poll_unmask(void *ctx, int fd)
{
    (void)ctx;
    return poll_arm(fd, true);
}

static int poll_quiet(void *ctx, int fd, bool quiet)
{
    (void)ctx;
    return poll_arm(fd, !quiet);
}

const struct intx_src_ops intx_poll_ops = { poll_ack, poll_unmask, poll_quiet };

int intx_poll_open(int *fd)
{
    *fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return *fd < 0 ? -errno : 0;
}
