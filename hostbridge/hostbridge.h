/* The emulated PCI host bridges a guest sees, and the entry points for every
 * guest config access: vpci_cfg_read / vpci_cfg_write (hostbridge/topology.c;
 * hostbridge_cfg_read / hostbridge_cfg_write for one bridge).
 *
 * A `struct vpci_topology` holds one or more host bridges (one per PCI
 * segment, each with its bus range).  Each bridge has a root-complex function
 * at bus_start:00.0 and up to 31 slots (1..31) whose functions are virtual
 * devices (`struct vdev`) backed by host functions (`struct host_dev`).
 *
 * Guest writes that need the outside world (stage-2 mappings, FLR, MSI
 * routing, INTx) are reported through one event callback, called
 * synchronously from inside vpci_cfg_write, so the caller can finish
 * the p2m change before it completes the guest's access. */
#ifndef HOSTBRIDGE_HOSTBRIDGE_H
#define HOSTBRIDGE_HOSTBRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/cfg.h"
#include "hostbridge/hostdev.h"

struct vpci_topology;
struct hostbridge;
struct vdev;


enum vdev_event_type {
    VDEV_EV_BAR_MAP,      /* decode (or ROM enable) turned on: map bar at new_addr */
    VDEV_EV_BAR_UNMAP,    /* decode (or ROM enable) turned off: unmap bar at old_addr */
    VDEV_EV_BAR_MOVE,     /* a completed move of a BAR: old_addr -> new_addr.
                             Sent whether or not the BAR is mapped; when mapped,
                             the handler must unmap old and map new. */
    VDEV_EV_FLR,          /* guest set Initiate Function Level Reset */
    VDEV_EV_MSI,          /* MSI state changed (enable, address, data, mask) */
    VDEV_EV_MSIX,         /* MSI-X enable or function mask changed */
    VDEV_EV_MSIX_ENTRY,   /* the guest wrote MSI-X table entry .entry (changed) */
    VDEV_EV_INTX,         /* guest changed Command.INTx-disable */
    VDEV_EV_STATE,        /* guest-visible state changed (persist it) */
    VDEV_EV_BUS_MASTER,   /* Command.BusMaster changed on a vdev whose config
                             has .dma: .enable is the new value; the service
                             sets the host's bit to it */
};

struct vdev_event {
    enum vdev_event_type type;
    struct vdev *vdev;
    int bar;              /* 0..5, PCI_ROM_SLOT for the ROM; -1 if n/a */
    uint64_t old_addr;    /* guest physical */
    uint64_t new_addr;    /* guest physical */
    uint64_t size;        /* BAR size in bytes */
    bool mapped;          /* for BAR_MOVE: the BAR is currently mapped */
    bool enable;          /* for BUS_MASTER: the guest's new Bus Master */
    unsigned entry;       /* for MSIX_ENTRY: the table entry */
};

/* Return 0 to accept, -errno to refuse.  A refused BAR_MAP or BAR_MOVE leaves
 * the BAR unmapped (the engine documents what the guest reads back).  Other
 * events' return values are ignored.
 * Locking: called with the vdev's (recursive) mutex held and the topology's
 * read lock held.  The handler may call vdev_*_info / vdev_command on the
 * same vdev, but must not add/remove devices or issue config accesses.
 * After VDEV_EV_FLR the engine resets the function's virtual state to its
 * power-on values (BARs were unmapped by BAR_UNMAP events just before). */
typedef int (*vdev_event_fn)(void *opaque, const struct vdev_event *ev);

/* ---- topology ---------------------------------------------------------- */
struct vpci_topology *vpci_topology_new(void);
void vpci_topology_free(struct vpci_topology *t);
/* Add a host bridge for `seg` serving buses [bus_start, bus_end]. */
int vpci_topology_add_bridge(struct vpci_topology *t, uint16_t seg,
                             uint8_t bus_start, uint8_t bus_end, struct hostbridge **out);
struct hostbridge *vpci_topology_bridge(struct vpci_topology *t, uint16_t seg);
void vpci_topology_set_event_handler(struct vpci_topology *t, vdev_event_fn fn, void *opaque);

/* ---- devices ----------------------------------------------------------- */
struct vdev_config {
    uint8_t slot;                        /* 1..31 */
    uint8_t fn;                          /* 0..7 */
    uint64_t guest_bar[PCI_NUM_RES];     /* planned guest address per BAR (0 = none) */
    uint8_t intx_line;                   /* guest Interrupt Line value (SPI - 32, or 0) */
    bool dma;                            /* the guest's Command.BusMaster reaches the host
                                            (VDEV_EV_BUS_MASTER); false: it reads 0 */
    bool hide_msi;                       /* unlink MSI and MSI-X (the guest uses INTx);
                                            the MSI-X table pages stay reported */
};

/* Present host function `hd` at bus_start:slot.fn of bridge `hb`.  The engine
 * keeps a pointer to hd (owned by the caller, must outlive the vdev). */
int hostbridge_add_device(struct hostbridge *hb, struct host_dev *hd,
                          const struct vdev_config *cfg, struct vdev **out);
int hostbridge_remove_device(struct hostbridge *hb, uint8_t slot, uint8_t fn);
struct vdev *hostbridge_find(struct hostbridge *hb, uint8_t bus, uint8_t slot, uint8_t fn);

/* ---- guest accesses: every one lands here ------------------------------- */
/* size 1/2/4/8; anything else, misaligned, or beyond 4 KiB reads all-ones. */
uint64_t vpci_cfg_read(struct vpci_topology *t, const struct cfg_req *r);
void vpci_cfg_write(struct vpci_topology *t, const struct cfg_req *r, uint64_t data);
uint64_t hostbridge_cfg_read(struct hostbridge *hb, const struct cfg_req *r);
void hostbridge_cfg_write(struct hostbridge *hb, const struct cfg_req *r, uint64_t data);

/* ---- what the service needs to know about a vdev ------------------------ */
struct vdev_bar_info {
    enum bar_type type;
    bool prefetchable;
    uint64_t guest_addr;
    uint64_t host_addr;
    uint64_t size;
    bool mapped;          /* decode on and the last map was accepted */
};

struct msix_info {
    bool present;
    int table_bar;  uint64_t table_offset; uint64_t table_size;   /* bytes */
    int pba_bar;    uint64_t pba_offset;   uint64_t pba_size;
    unsigned nr_entries;
    bool enabled, masked;
    bool hidden;    /* capability unlinked (vdev_config.hide_msi): location only */
};

/* One MSI-X table entry as the guest wrote it (PCI 3.0 §6.8.2.4-§6.8.2.9). */
struct msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;    /* ctrl bit 0: Mask */
};
#define MSIX_ENTRY_MASKED 1u

struct msi_info {
    bool present, enabled, is64, maskable;
    unsigned max_vectors, vectors;       /* capability max, guest-enabled count */
    uint64_t address;                    /* as the guest wrote it */
    uint16_t data;
    uint32_t mask, pending;
};

struct host_dev *vdev_host(const struct vdev *v);
void vdev_location(const struct vdev *v, uint16_t *seg, uint8_t *bus, uint8_t *slot, uint8_t *fn);
void vdev_bar_info(const struct vdev *v, int bar, struct vdev_bar_info *out);
void vdev_msix_info(const struct vdev *v, struct msix_info *out);
void vdev_msi_info(const struct vdev *v, struct msi_info *out);
uint16_t vdev_command(const struct vdev *v);
uint8_t vdev_intx_pin(const struct vdev *v);    /* 0 = none, 1..4 = INTA..INTD */

/* Set the emulated MSI Pending bits (the service does this for vectors that
 * fired while masked); bits of vectors the function lacks are ignored.
 * -ENODEV without a maskable MSI capability. */
int vdev_msi_set_pending(struct vdev *v, uint32_t pending);

/* A guest MMIO access at offset `off` of BAR `bar` (size 1..8; data in/out):
 * 1 when it falls in the MSI-X table or PBA and was answered (table: the
 * emulated entries, VDEV_EV_MSIX_ENTRY per changed entry; PBA: the host's
 * pending bits, writes ignored), 0 when it does not (the caller forwards it
 * to the host BAR).  Accesses other than an aligned DWORD or QWORD
 * (PCI 3.0 §6.8.2) read all-ones, are dropped and counted. */
int vdev_msix_mmio(struct vdev *v, int bar, uint64_t off, unsigned size, bool write,
                   uint64_t *data);
/* Entry i of the guest's table; -ENOENT past the table or without MSI-X. */
int vdev_msix_entry(const struct vdev *v, unsigned i, struct msix_entry *out);
/* Set entry i without events (daemon hand-over: rebuilt from the host). */
int vdev_msix_entry_set(struct vdev *v, unsigned i, const struct msix_entry *in);
/* Table/PBA accesses refused for their size or alignment. */
uint64_t vdev_msix_bad(const struct vdev *v);
/* Return the virtual function to its power-on state (guest reboot, assign):
 * BAR_UNMAP events for mapped BARs, then every register and BAR reset.  No
 * VDEV_EV_FLR (the caller resets the host function itself). */
void vdev_reset(struct vdev *v);

/* Guest-visible state, for persistence across daemon restarts. */
struct vdev_state {
    uint16_t command;
    uint16_t status_rw1c;                 /* emulated RW1C bits currently set */
    uint64_t guest_bar[PCI_NUM_RES];      /* as the guest last programmed them */
    uint32_t rom_ctrl;                    /* ROM enable bit */
    uint8_t intx_line;
    uint16_t msi_ctrl; uint64_t msi_addr; uint16_t msi_data; uint32_t msi_mask;
    uint16_t msix_ctrl;
    uint16_t pcie_devctl, pcie_lnkctl, pcie_devctl2;
    uint16_t pm_ctrl;
    uint8_t cache_line, latency_timer;    /* emulated RW header bytes 0x0c, 0x0d */
    uint8_t bars_mapped;                  /* bit i: BAR i's last map was accepted */
    uint32_t msi_pending;                 /* MSI Pending bits the service set */
};
void vdev_save_state(const struct vdev *v, struct vdev_state *st);
/* Restore without emitting events.  A BAR counts as mapped when decode (and
 * for the ROM, ROM Enable) is on and its bit in bars_mapped is set: a BAR
 * whose map or move the service refused stays unmapped across a restart. */
void vdev_restore_state(struct vdev *v, const struct vdev_state *st);

/* Statistics: counters of accesses and refusals (for `pcipt simulate`). */
struct vpci_stats {
    uint64_t reads, writes, bad_accesses, absent_accesses, host_reads, host_writes;
};
void vpci_topology_stats(const struct vpci_topology *t, struct vpci_stats *out);

#endif
