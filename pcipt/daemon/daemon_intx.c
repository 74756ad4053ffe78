/* The INTx relay: see pcipt/daemon/intx.h for the facts it rests on. */
#include "pcipt/daemon/intx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/common/log.h"

static int uio_ack(void *ctx, int fd)
{
    uint32_t count;
    ssize_t n = read(fd, &count, sizeof(count));

    (void)ctx;
    if (n == (ssize_t)sizeof(count))
        return 1;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return n < 0 ? -errno : -EIO;
}

static int uio_unmask(void *ctx, int fd)
{
    uint32_t one = 1;

    (void)ctx;
    return write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one) ? 0 : -errno;
}

const struct intx_src_ops intx_uio_ops = { uio_ack, uio_unmask, NULL };

/* uio_pci_generic has no irqcontrol (a write to /dev/uioN fails with
 * ENOSYS): its handler masks with Command.INTx-disable
 * (pci_check_and_mask_intx), so unmasking is clearing that bit in the host
 * config space, as Linux's uio howto says for this driver.  A device that
 * asserts again between the read and the write fires again at once. */
static int uio_pci_unmask(void *ctx, int fd)
{
    const struct host_dev *hd = ctx;
    uint32_t cmd;
    int rc;

    (void)fd;
    if ((rc = host_cfg_read(hd, PCI_CFG_COMMAND, 2, &cmd)))
        return rc;
    if (cmd == 0xffff || !(cmd & PCI_CMD_INTX_DISABLE))
        return 0;
    return host_cfg_write(hd, PCI_CFG_COMMAND, 2, cmd & ~(uint32_t)PCI_CMD_INTX_DISABLE);
}

const struct intx_src_ops intx_uio_pci_ops = { uio_ack, uio_pci_unmask, NULL };

const struct intx_src_ops *intx_uio_ops_for(const char *driver)
{
    return driver && !strcmp(driver, "uio_pci_generic") ? &intx_uio_pci_ops : &intx_uio_ops;
}

int intx_uio_open(const char *sysfs_dev_dir, const char *devdir, int *fd, char *err,
                  size_t errlen)
{
    char path[512];
    struct dirent *e;
    DIR *dir;

    snprintf(path, sizeof(path), "%s/uio", sysfs_dev_dir);
    if (!(dir = opendir(path))) {
        snprintf(err, errlen, "%s: no uio device (bind the function to uio_pci_generic "
                 "for INTx)", path);
        return -ENOENT;
    }
    path[0] = '\0';
    while ((e = readdir(dir)))
        if (!strncmp(e->d_name, "uio", 3) && e->d_name[3]) {
            snprintf(path, sizeof(path), "%s/%s", devdir ? devdir : "/dev", e->d_name);
            break;
        }
    closedir(dir);
    if (!path[0]) {
        snprintf(err, errlen, "%s/uio: empty", sysfs_dev_dir);
        return -ENOENT;
    }
    *fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    return 0;
}

/* The level of the guest's SPI: the OR of every active line sharing it (a
 * lone line's ring is itself or NULL).  Level-triggered INTx lines are
 * wired-OR in PCI (PCI 3.0 §2.2.6: "INTx# ... may be shared"). */
static bool wire_high(const struct intx_line *l)
{
    const struct intx_line *p = l;

    do {
        if (p->active && p->spi_high)
            return true;
        p = p->share_next;
    } while (p && p != l);
    return false;
}

/* This line's contribution goes to high/low; the hypervisor hears of it only
 * when the OR changes, so a line that drops while another sharing its SPI
 * still asserts does not lower the guest's SPI. */
static void set_spi(struct intx_line *l, bool high)
{
    bool was = l->spi_high, before;
    int rc;

    if (was == high)
        return;
    before = wire_high(l);
    l->spi_high = high;
    if (wire_high(l) != before) {
        rc = l->hv->ops->set_irq_level(l->hv, l->domid, l->spi, high ? 1 : 0);
        if (rc) {
            log_err("dom%u: set_irq_level(SPI %u, %d): %s", l->domid, l->spi, high,
                    strerror(-rc));
            l->spi_high = was;
            return;
        }
    }
    if (high)
        l->raised++;
    else
        l->lowered++;
}

static void ring_join(struct intx_line *l, struct intx_line *share)
{
    if (share && share->active && share->share_next && share->hv == l->hv &&
        share->domid == l->domid && share->spi == l->spi) {
        l->share_next = share->share_next;
        share->share_next = l;
    } else {
        l->share_next = l;
    }
}

static void ring_leave(struct intx_line *l)
{
    struct intx_line *p = l->share_next;

    while (p && p != l && p->share_next != l)
        p = p->share_next;
    if (p && p != l)
        p->share_next = l->share_next;
    l->share_next = NULL;
}

uint64_t intx_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void rearm_reset(struct intx_line *l, uint64_t now_ms)
{
    l->rearm_ms = INTX_REARM_MS;
    l->rearm_count = 0;
    l->rearm_at_ms = now_ms + INTX_REARM_MS;
}

/* The device still asserts and the SPI is up: raise again when due (the
 * vGIC delivered the last raise once and will not re-sample the line). */
static void reraise(struct intx_line *l, uint64_t now_ms)
{
    int rc;

    if (now_ms < l->rearm_at_ms)
        return;
    rc = l->hv->ops->set_irq_level(l->hv, l->domid, l->spi, 1);
    if (rc)
        log_err("dom%u: set_irq_level(SPI %u, 1): %s", l->domid, l->spi, strerror(-rc));
    else
        l->reraised++;
    if (++l->rearm_count >= INTX_REARM_FAST && l->rearm_ms < INTX_REARM_MAX_MS)
        l->rearm_ms = l->rearm_ms * 2 > INTX_REARM_MAX_MS ? INTX_REARM_MAX_MS : l->rearm_ms * 2;
    l->rearm_at_ms = now_ms + l->rearm_ms;
}

static bool device_asserting(const struct intx_line *l)
{
    uint32_t status;

    if (host_cfg_read(l->hd, PCI_CFG_STATUS, 2, &status))
        return false;         /* a device that cannot be read does not hold the line */
    return status != 0xffff && (status & PCI_STS_INTERRUPT);
}

int intx_line_start_shared(struct intx_line *l, struct intx_line *share, struct hv *hv,
                           uint32_t domid, uint32_t spi, const struct host_dev *hd, int fd,
                           const struct intx_src_ops *ops, void *ctx)
{
    int rc;

    *l = (struct intx_line){ .active = true, .fd = fd, .ops = ops, .ctx = ctx, .hd = hd,
                             .hv = hv, .domid = domid, .spi = spi, .spi_high = true };
    ring_join(l, share);
    set_spi(l, false);
    l->lowered = 0;
    if ((rc = ops->unmask(ctx, fd))) {
        log_err("dom%u: cannot unmask the host INTx of SPI %u: %s", domid, spi, strerror(-rc));
        ring_leave(l);
        l->active = false;
        return rc;
    }
    return 0;
}

int intx_line_start(struct intx_line *l, struct hv *hv, uint32_t domid, uint32_t spi,
                    const struct host_dev *hd, int fd, const struct intx_src_ops *ops,
                    void *ctx)
{
    return intx_line_start_shared(l, NULL, hv, domid, spi, hd, fd, ops, ctx);
}

void intx_fired(struct intx_line *l)
{
    int rc;

    if (!l->active)
        return;
    while ((rc = l->ops->ack(l->ctx, l->fd)) > 0) {
        l->fired++;
        l->host_masked = true;       /* the kernel masked the host line */
    }
    if (rc < 0)
        log_err("dom%u: INTx source of SPI %u: %s", l->domid, l->spi, strerror(-rc));
    if (l->host_masked && !l->guest_disabled && !l->spi_high) {
        set_spi(l, true);
        rearm_reset(l, intx_now_ms());
    }
}

void intx_check_at(struct intx_line *l, uint64_t now_ms)
{
    int rc;

    if (!l->active || !l->host_masked)
        return;
    if (device_asserting(l)) {
        if (l->spi_high)
            reraise(l, now_ms);
        return;
    }
    set_spi(l, false);
    if ((rc = l->ops->unmask(l->ctx, l->fd)))
        log_err("dom%u: cannot unmask the host INTx of SPI %u: %s", l->domid, l->spi,
                strerror(-rc));
    else
        l->host_masked = false;
    if (!rc && l->guest_disabled && l->ops->quiet)
        (void)l->ops->quiet(l->ctx, l->fd, true);
}

void intx_check(struct intx_line *l)
{
    intx_check_at(l, intx_now_ms());
}

int intx_timeout_ms(const struct intx_line *l, uint64_t now_ms)
{
    if (!l->active || !l->host_masked)
        return -1;
    if (!l->spi_high)
        return INTX_REARM_MAX_MS;     /* guest-disabled: only the deassert check */
    return l->rearm_at_ms > now_ms ? (int)(l->rearm_at_ms - now_ms) : 0;
}

/* PCI 3.0 §6.2.2: with Interrupt Disable set the function may not assert
 * INTx; the guest sees its line drop and come back when it clears the bit
 * while the device still asks. */
void intx_guest_disable(struct intx_line *l, bool disabled)
{
    bool was = l->guest_disabled;

    l->guest_disabled = disabled;
    if (!l->active)
        return;
    if (l->ops->quiet && was != disabled && !l->host_masked)
        (void)l->ops->quiet(l->ctx, l->fd, disabled);
    if (disabled)
        set_spi(l, false);
    else if (l->host_masked && device_asserting(l) && !l->spi_high) {
        set_spi(l, true);
        rearm_reset(l, intx_now_ms());
    }
    intx_check(l);
}

void intx_line_stop(struct intx_line *l)
{
    if (!l->active)
        return;
    set_spi(l, false);
    if (l->host_masked)
        (void)l->ops->unmask(l->ctx, l->fd);
    if (l->fd >= 0 && (l->ops == &intx_uio_ops || l->ops == &intx_uio_pci_ops ||
                       l->ops == &intx_poll_ops))
        close(l->fd);
    ring_leave(l);
    l->active = false;
}
