/* The BAR planner (docs/design/host.md "Planner"): where a domain's passed-through
 * functions sit on the virtual bus, where each BAR lives in the guest's
 * vPCI holes, which SPI carries each INTx; and the guest layout those holes
 * come from (Xen's public arch-arm.h, overridable by /etc/xen/pcipt.conf). */
#ifndef PCIPT_PLAN_H
#define PCIPT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/assign.h"

#define PCIPT_DEFAULT_CONFIG  "/etc/xen/pcipt.conf"
#define PCIPT_INTX_SPI_BASE   48u   /* upstream reserves SPIs 32..43 (vpl011, virtio-mmio); */
#define PCIPT_INTX_SPI_COUNT  16u   /* downstream virtio-pci uses 44..48 */
                                    /* (docs/xen-facts.md "Guest memory map") */
#define PLAN_PAGE_SIZE        4096ull
#define PLAN_MAX_SLOT         31    /* device numbers 1..31 on the virtual bus 0 */
#define PLAN_MAX_FN           7     /* function numbers 0..7 of one slot */

/* One function to add to a domain. */
struct plan_request {
    struct sbdf host;
    int slot;                              /* 1..31, or -1: the lowest free */
    int fn;                                /* 0..7; > 0 only with a slot whose
                                              function 0 is (being) assigned */
    struct host_bar bars[PCI_NUM_RES];     /* from hostpci (sysfs resource) */
    uint8_t intx_pin;                      /* 0: no INTx, no SPI */
    bool force;                            /* ",force=1" or --force */
    bool unsafe_dma;                       /* ",unsafe_dma=1" (pcipt/assign/dma.h) */
};

void guest_layout_defaults(struct guest_layout *l);
/* Defaults, then `key = value` lines of path (NULL = PCIPT_DEFAULT_CONFIG).
 * A missing file is an error only when must_exist.  Errors name file:line. */
int guest_layout_load(const char *path, bool must_exist, struct guest_layout *l,
                      char *err, size_t errlen);
int guest_layout_validate(const struct guest_layout *l, const char *who, char *err,
                          size_t errlen);

/* Add reqs[0..n) to dom (which holds the domain's existing assignments,
 * whose BARs and SPIs stay where they are).  All or nothing: on failure dom
 * is unchanged and err names the device, the BAR, its size and the free
 * space.  Returns 0 or -errno (-ENOSPC does not fit, -EEXIST slot taken). */
int plan_domain(const struct guest_layout *lay, struct domain_assign *dom,
                const struct plan_request *reqs, unsigned n, char *err, size_t errlen);

/* Parse "SBDF[@SLOT[.FN]][,force=0|1][,unsafe_dma=0|1]" and read that host function under sysfs (NULL =
 * /sys/bus/pci) into a request; bridges are refused.  0 or -errno with a
 * sentence in err. */
int plan_request_from_arg(const char *sysfs, const char *arg, struct plan_request *rq, char *err,
                          size_t errlen);
/* The same for host at slot (1..31, or -1), function 0, no options. */
int plan_request_from_host(const char *sysfs, const struct sbdf *host, int slot,
                           struct plan_request *rq, char *err, size_t errlen);

/* "16 GiB", "128 KiB", "4097 bytes": exact, in the largest unit that divides. */
char *format_size(uint64_t bytes, char *buf, size_t len);

#endif
