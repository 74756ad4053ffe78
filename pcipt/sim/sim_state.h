/* Internal layout of the simulator's shared state (PCIPT_SIM_DIR/state).
 * The file is mmap'd MAP_SHARED by every process that uses the sim backend
 * and protected by one process-shared robust mutex.  Fixed layout, no
 * pointers; bump SIM_STATE_VERSION when it changes. */
#ifndef PCIPT_SIM_STATE_H
#define PCIPT_SIM_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcipt/hv/hv.h"

#define SIM_STATE_MAGIC   0x53494d5043495054ull   /* "SIMPCIPT" */
#define SIM_STATE_VERSION 6

#define SIM_MAX_DOMAINS   16
#define SIM_MAX_VCPUS     128     /* slots in one ioreq page (docs/xen-facts.md "The ioreq ABI") */
#define SIM_MAX_SERVERS   8       /* MAX_NR_IOREQ_SERVERS (docs/xen-facts.md */
                                  /* "IOREQ server bring-up") */
#define SIM_MAX_IO_RANGES 256     /* MAX_NR_IO_RANGES per type (same) */
#define SIM_RANGE_TYPES   3       /* XEN_DMOP_IO_RANGE_PORT, _MEMORY, _PCI */
#define SIM_P2M_CAP       4096
#define SIM_PERM_CAP      256
#define SIM_MAX_PORTS     1024
#define SIM_MAX_SPIS      960     /* GICv3: SPIs 32..1019 */
#define SIM_MAX_HANDLES   256     /* pcipt simulate: 128 vCPU threads + daemon + tools */
#define SIM_MAX_FAILS     8
#define SIM_OP_NAME_LEN   32
#define SIM_MAX_PDEVS     64      /* functions the SMMU model tracks */
#define SIM_PADDR_BITS    48      /* Arm64 p2m: mfn must fit in 48 bits of address */
#define SIM_MAX_ITS_BINDINGS SIM_MAX_PDEVS   /* one per assigned function at most */

struct sim_interval { uint64_t start, end; };   /* inclusive */

/* Like Xen's rangeset: sorted, disjoint, adjacent ranges merged, at most
 * `limit` ranges (rangeset_limit). */
struct sim_rangeset {
    uint32_t nr, limit;
    struct sim_interval r[SIM_MAX_IO_RANGES];
};

struct sim_p2m_entry { uint64_t gfn, mfn, nr; };

enum sim_port_state { PORT_FREE = 0, PORT_UNBOUND, PORT_INTERDOMAIN };

struct sim_port {
    uint8_t state;
    uint32_t remote_dom;     /* UNBOUND: who may bind; INTERDOMAIN: the peer */
    uint32_t remote_port;
    int32_t handle;          /* dom0: the evtchn handle owning it; domU: guest waiter, -1 none */
    uint8_t pending;         /* dom0: signalled, not yet collected (Xen's pending bit) */
    uint32_t kicks;          /* domU: notifications so far; a vCPU waiting in Xen
                              * (wait_for_io) re-reads its slot only when it moves */
};

struct sim_server {
    uint8_t used, enabled;
    uint32_t emulator;
    struct sim_rangeset ranges[SIM_RANGE_TYPES];
    uint32_t ports[SIM_MAX_VCPUS];   /* the per-vCPU port in the guest domain */
};

struct sim_domain_stats {
    uint64_t memory_mapping_calls;
    uint64_t ioreqs;              /* requests sent to a server */
    uint64_t direct_accesses;     /* accesses that hit a stage-2 MMIO mapping */
    uint64_t ram_accesses;
    uint64_t aborts;              /* data aborts injected into the guest */
    uint64_t bad_state;           /* "device model set bad IO state/event channel" */
    uint64_t emulator_gone;       /* completion found NONE: data all ones */
    uint64_t vcpu_blocks;         /* a vCPU looked, found no answer, blocked (wait_for_io) */
    uint64_t its_mapd_accepted;   /* the guest's MAPDs of a bound DeviceID (sim_its.c) */
    uint64_t its_mapd_refused;    /* MAPDs of an unbound DeviceID or beyond its events */
};

struct sim_domain {
    uint8_t used, crashed;
    uint8_t passthrough;          /* created with XEN_DOMCTL_CDF_iommu */
    uint32_t domid, nr_vcpus, nr_spis;
    uint64_t ram_base, ram_size;
    uint32_t irq_level[(32 + SIM_MAX_SPIS + 31) / 32 + 1];  /* last level the DM set */
    /* 4.17's vGIC per SPI: deliveries the guest has not taken yet, 0..2
     * (one in flight + one queued behind it); see hv_sim.c. */
    uint8_t spi_pending[SIM_MAX_SPIS];
    uint64_t spi_delivered[SIM_MAX_SPIS];
    struct sim_rangeset perms;              /* iomem_caps, in mfns */
    uint32_t nr_p2m;
    struct sim_p2m_entry p2m[SIM_P2M_CAP];  /* sorted by gfn */
    struct sim_server servers[SIM_MAX_SERVERS];
    struct sim_port ports[SIM_MAX_PORTS];
    struct sim_domain_stats stats;
};

/* dropped: events whose datagram did not fit the handle's socket queue
 * (net.unix.max_dgram_qlen, 10 by default); their ports keep `pending`
 * and the owner finds them once its queue is empty. */
struct sim_handle { uint8_t used; int32_t pid; uint32_t serial; uint32_t dropped; };

struct sim_fail { char op[SIM_OP_NAME_LEN]; uint32_t countdown; int32_t err; };
/* err of PCIPT_SIM_FAIL "op:n:kill": the n-th call is carried out, then the
 * process kills itself (SIGKILL), as a crash right after it would
 * (sim_fail_after; memory_mapping only). */
#define SIM_FAIL_KILL (-1)

/* The SMMU's view of one PCI function (absent: owned by dom0). */
struct sim_pdev { uint8_t used; uint32_t sbdf, owner; };

/* A vITS binding (XEN_DMOP_pcipt_its_device, sim_its.c). */
struct sim_its_bind { uint8_t used; uint32_t domid, guest_devid, sbdf, host_devid, nr_events; };

struct sim_state {
    uint64_t magic;
    uint32_t version, size;
    pthread_mutex_t lock;
    uint32_t handle_serial;
    struct sim_handle handles[SIM_MAX_HANDLES];
    struct sim_fail fails[SIM_MAX_FAILS];
    struct sim_domain domains[SIM_MAX_DOMAINS];   /* [0] is dom0 */
    struct sim_pdev pdevs[SIM_MAX_PDEVS];
    uint64_t smmu_faults;
    struct sim_its_bind its[SIM_MAX_ITS_BINDINGS];
};

/* Per-process backend object. */
struct hv_sim {
    struct hv hv;
    char dir[256];
    int state_fd;
    struct sim_state *st;
    int evt_handle;              /* index in st->handles, -1 until opened */
    int evt_fd;
    struct sim_fail env_fail;    /* PCIPT_SIM_FAIL, counted in this process */
    bool kill_after;             /* "op:n:kill" hit: SIGKILL once the call is done */
    unsigned xen_major, xen_minor;   /* PCIPT_SIM_XEN_VERSION (xen_version op) */
    bool no_iommu;                   /* PCIPT_SIM_IOMMU=off */
    bool no_vits;                    /* PCIPT_SIM_VITS=off */
    bool unmap_needs_perm;           /* PCIPT_SIM_UNMAP_NEEDS_PERMISSION=1 */
};

static inline struct hv_sim *to_sim(struct hv *hv) { return (struct hv_sim *)hv; }

/* sim_state.c */
int sim_state_open(struct hv_sim *s, char *err, size_t errlen);
void sim_state_close(struct hv_sim *s);
void sim_lock(struct hv_sim *s);
void sim_unlock(struct hv_sim *s);
void sim_state_reset_locked(struct hv_sim *s);
struct sim_domain *sim_domain_find(struct sim_state *st, uint32_t domid);
/* Failure injection: -errno if this call of `op` must fail, else 0. Locked. */
int sim_fail_check(struct hv_sim *s, const char *op);
/* After an operation that called sim_fail_check, outside the lock: SIGKILL
 * this process if a "kill" fault hit. */
void sim_fail_after(struct hv_sim *s);
int sim_page_path(const struct hv_sim *s, uint32_t domid, unsigned id, char *buf, size_t len);
int sim_sock_path(const struct hv_sim *s, unsigned handle, uint32_t serial, char *buf, size_t len);

/* sim_range.c */
void rs_init(struct sim_rangeset *rs, uint32_t limit);
bool rs_overlaps(const struct sim_rangeset *rs, uint64_t s, uint64_t e);
bool rs_contains(const struct sim_rangeset *rs, uint64_t s, uint64_t e);
int rs_add(struct sim_rangeset *rs, uint64_t s, uint64_t e);      /* union; -ENOMEM */
int rs_remove(struct sim_rangeset *rs, uint64_t s, uint64_t e);   /* -ENOMEM on split */

/* sim_p2m.c */
void sim_p2m_clear(struct sim_domain *d);
const struct sim_p2m_entry *sim_p2m_lookup(const struct sim_domain *d, uint64_t gfn);

/* sim_iommu.c: the domain's functions go to quarantine (Xen on destroy). */
void sim_iommu_domain_gone_locked(struct hv_sim *s, uint32_t domid);

/* sim_its.c: the bindings of a function leaving its domain (deassign), of
 * a domain going away. */
void sim_its_release_sbdf_locked(struct hv_sim *s, uint32_t sbdf);
void sim_its_domain_gone_locked(struct hv_sim *s, uint32_t domid);

/* sim_ioreq.c */
void sim_server_teardown_locked(struct hv_sim *s, struct sim_domain *d, unsigned id);

/* sim_evtchn.c */
int sim_port_alloc(struct sim_domain *d, uint32_t remote_dom);     /* port or -ENOSPC */
void sim_port_close_locked(struct hv_sim *s, struct sim_domain *d, uint32_t port);
void sim_domain_ports_close_locked(struct hv_sim *s, struct sim_domain *d);
/* Deliver an event on (d, port): datagram to the handle that listens. */
void sim_port_kick_locked(struct hv_sim *s, struct sim_domain *d, uint32_t port);
int sim_evtchn_ensure_locked(struct hv_sim *s);
void sim_evtchn_close(struct hv_sim *s);
bool sim_handle_alive(const struct sim_state *st, int h);

/* hv_sim.c ops used by other files */
extern const struct hv_ops sim_ops;

#endif
