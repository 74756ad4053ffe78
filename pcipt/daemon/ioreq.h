/* Answering one guest request from an ioreq slot: the daemon's dispatcher.
 * Every request is answered (never left pending) with a defined result:
 *   IOREQ_TYPE_COPY in the ECAM window   -> a config request (hostbridge)
 *   IOREQ_TYPE_PCI_CONFIG (x86 encoding) -> a config request (hostbridge)
 *   IOREQ_TYPE_COPY in a trapped MSI-X page of a mapped BAR
 *                                        -> the router's mmio hook
 *                                           (pcipt/daemon/daemon_msix.c)
 *   IOREQ_TYPE_COPY in a BAR window      -> all-ones read, write dropped
 *                                           (nothing is mapped there now)
 *   IOREQ_TYPE_INVALIDATE                -> acknowledged
 *   anything else (data_is_ptr, count != 1, bad size, unknown type)
 *                                        -> all-ones read, write dropped,
 *                                           counted, rate-limited log
 * The state machine (READY -> INPROCESS -> IORESP_READY, barriers) is the
 * caller's: handle_slot in pcipt/daemon/daemon_loop.c, with the slot
 * accessors of pcipt/hv/ioreq_slot.h. */
#ifndef PCIPT_IOREQ_H
#define PCIPT_IOREQ_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "hostbridge/hostbridge.h"
#include "hostbridge/common/log.h"

#define IOREQ_MAX_WINDOWS 4

struct ioreq_stats {
    uint64_t ecam_reads, ecam_writes;
    uint64_t pci_config_reads, pci_config_writes;
    uint64_t bar_window;          /* COPY into a claimed BAR window (unmapped) */
    uint64_t unclaimed;           /* COPY outside every claimed range */
    uint64_t invalidate;
    uint64_t malformed;           /* data_is_ptr, count != 1, bad size */
    uint64_t unknown_type;
    uint64_t msix;                /* COPY answered by the mmio hook (MSI-X pages) */
};

/* An MMIO access outside ECAM: 0 if handled (req->data set for a read),
 * -ENOENT if the address is none of the hook's. */
typedef int (*ioreq_mmio_fn)(void *opaque, ioreq_t *req);

struct ioreq_router {
    struct vpci_topology *topo;
    uint16_t seg;                 /* segment of the ECAM window */
    uint8_t ecam_bus_base;        /* first bus of the window */
    uint64_t ecam_base, ecam_size;
    unsigned nwindows;
    struct { uint64_t start, end; } bar_window[IOREQ_MAX_WINDOWS];   /* inclusive end */
    struct ioreq_stats stats;
    struct ratelimit rl;
    ioreq_mmio_fn mmio;           /* optional: trapped MSI-X pages */
    void *mmio_opaque;
};

void ioreq_router_init(struct ioreq_router *r, struct vpci_topology *topo, uint16_t seg,
                       uint8_t bus_base, uint64_t ecam_base, uint64_t ecam_size);
int ioreq_router_add_window(struct ioreq_router *r, uint64_t start, uint64_t size);
/* What ioreq_dispatch made of a request, for the caller's accounting and
 * tracing (so nothing decodes a request twice). */
enum ioreq_target {
    IOREQ_TARGET_OTHER,           /* INVALIDATE, or a type that is not handled */
    IOREQ_TARGET_CONFIG,          /* PCI_CONFIG, or COPY inside the ECAM window */
    IOREQ_TARGET_MMIO,            /* COPY outside the ECAM window */
};
struct ioreq_decoded {
    enum ioreq_target target;     /* set even when the request is malformed */
    bool cfg_valid;               /* cfg holds the config access that was made */
    struct cfg_req cfg;           /* decoded SBDF, register and size */
    bool write;
    bool mmio_hook;               /* answered by the router's mmio hook */
};

/* Handle one request in place: for reads, req->data receives the answer.
 * out (optional) receives what was decoded. */
void ioreq_dispatch(struct ioreq_router *r, ioreq_t *req, struct ioreq_decoded *out);
const char *ioreq_type_name(unsigned type);

#endif
