/* The INTx relay (pcipt/daemon/daemon_intx.c).
 *
 * Xen 4.17 on Arm routes every SPI of a host bridge's interrupt-map to dom0
 * and will not route it to a domU, so the daemon relays: the dom0 holder
 * driver uio_pci_generic hands the device's INTx to user space (/dev/uioN:
 * read() returns a count once the line fired and the kernel set the host
 * Command.INTx-disable bit; writing a 32-bit 1 clears it again), and the
 * daemon raises the guest's SPI with set_irq_level(spi, 1).  It lowers the
 * SPI and unmasks the host line once the device deasserts: Status.Interrupt
 * Status (bit 3, PCI 3.0 §6.2.3: "reflects the state of the interrupt in the
 * device/function", whatever INTx-disable says) reads 0.  The guest's
 * handler clears the cause through the directly mapped BAR, which does not
 * trap, so the daemon checks after every guest config access and on a
 * short timer while the line is up.  The host line stays masked while the
 * device asserts: no storm; it is unmasked only after a deassert, and a
 * device that asserts again fires again: nothing is lost.
 *
 * The "line fired" fd + unmask is a small ops table so tests use an eventfd
 * (tests/unit/daemon/test_daemon_intx.c); "still asserting" reads the host_dev's
 * Status register (a memdev in tests). */
#ifndef PCIPT_INTX_H
#define PCIPT_INTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/common/pci_regs.h"
#include "hostbridge/hostdev.h"
#include "pcipt/hv/hv.h"

#define INTX_REARM_MS 1             /* first re-raise period while asserted */
/* Re-raises at INTX_REARM_MS before backing off: one second's worth.  A
 * device the guest keeps serving but that asserts again before the relay
 * polls its Status looks continuously asserted, so a short fast phase
 * (32) trapped a busy edu at the slow period: median raise-to-handler
 * 16.5 ms in the domU against 37 us in dom0 (system test,
 * irq_latency_intx).  Only a guest that leaves the line asserted for a
 * whole second is polled slower. */
#define INTX_REARM_FAST 1000
#define INTX_REARM_MAX_MS 16        /* longest re-raise / deassert check period */

struct intx_src_ops {
    /* Consume the notification: 1 if the line fired, 0 if nothing, -errno. */
    int (*ack)(void *ctx, int fd);
    /* Let the host line fire again (uio: write 1). */
    int (*unmask)(void *ctx, int fd);
    /* Optional: the guest cannot take INTx now (quiet) or can again; a
     * polled source stops and restarts its tick.  NULL for uio. */
    int (*quiet)(void *ctx, int fd, bool quiet);
};

struct intx_line {
    bool active;                    /* a source is attached */
    int fd;                         /* poll()able "line fired" fd */
    const struct intx_src_ops *ops;
    void *ctx;
    const struct host_dev *hd;      /* Status.Interrupt Status */
    struct hv *hv;
    uint32_t domid, spi;
    bool host_masked;               /* fired; not yet unmasked */
    bool spi_high;
    bool guest_disabled;            /* guest Command.INTx-disable */
    uint64_t raised, lowered, fired;
    uint64_t reraised;              /* raises while the device still asserted */
    uint64_t rearm_at_ms;           /* next re-raise due (monotonic ms) */
    uint32_t rearm_ms;              /* current period */
    uint32_t rearm_count;           /* re-raises of this assertion */
    struct intx_line *share_next;   /* ring of the lines sharing this SPI (self: none) */
};

/* uio ops: read a 4-byte count, write a 4-byte 1 (ctx unused). */
extern const struct intx_src_ops intx_uio_ops;
/* uio_pci_generic (no irqcontrol: writing /dev/uioN gives ENOSYS): read a
 * count; unmask = clear the host's Command.INTx-disable, which its handler
 * set.  ctx = the function's const struct host_dev *. */
extern const struct intx_src_ops intx_uio_pci_ops;
/* No uio (the function is held by pciback, which requests no interrupt):
 * poll Status.Interrupt Status every INTX_POLL_MS on a timerfd while the
 * line may fire (pcipt/daemon/intx_poll.c).  ctx = the const struct
 * host_dev *. */
#define INTX_POLL_MS 2
extern const struct intx_src_ops intx_poll_ops;
int intx_poll_open(int *fd);
/* The ops for a function bound to DRIVER (sysfs driver name). */
const struct intx_src_ops *intx_uio_ops_for(const char *driver);

/* Attach a source; lowers the SPI and unmasks the host line (a restarted
 * daemon does not know what its predecessor left: a line still asserted
 * fires again at once). */
int intx_line_start(struct intx_line *l, struct hv *hv, uint32_t domid, uint32_t spi,
                    const struct host_dev *hd, int fd, const struct intx_src_ops *ops,
                    void *ctx);
/* The same, for a line whose SPI share (an active line of the same domain)
 * already carries: the guest's SPI is the OR of the lines sharing it
 * (pcipt/assign/intx_route.h says why slots share SPIs).  share NULL = alone. */
int intx_line_start_shared(struct intx_line *l, struct intx_line *share, struct hv *hv,
                           uint32_t domid, uint32_t spi, const struct host_dev *hd, int fd,
                           const struct intx_src_ops *ops, void *ctx);
/* Open SYSFS_DEV_DIR/uio/uioN's /dev/uioN (devdir NULL = "/dev").  -ENOENT
 * when the device has no uio (not bound to uio_pci_generic). */
int intx_uio_open(const char *sysfs_dev_dir, const char *devdir, int *fd, char *err,
                  size_t errlen);
/* The fd is readable. */
void intx_fired(struct intx_line *l);
/* Deassert check and re-raise (after a guest access, on the timer), at
 * now_ms (monotonic) or the current time. */
void intx_check_at(struct intx_line *l, uint64_t now_ms);
void intx_check(struct intx_line *l);
/* Milliseconds until intx_check is due (0 = now); -1 when nothing waits. */
int intx_timeout_ms(const struct intx_line *l, uint64_t now_ms);
uint64_t intx_now_ms(void);
/* True while the line is up (the deassert check must run). */
static inline bool intx_waiting(const struct intx_line *l) { return l->active && l->host_masked; }
/* The guest changed Command.INTx-disable. */
void intx_guest_disable(struct intx_line *l, bool disabled);
/* Lower the SPI, unmask, close the fd. */
void intx_line_stop(struct intx_line *l);

#endif
