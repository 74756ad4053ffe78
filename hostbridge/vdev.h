/* Internal view of a virtual device and the host bridge it sits on (shared
 * by the engine's files; the public API is hostbridge.h). */
#ifndef HOSTBRIDGE_VDEV_H
#define HOSTBRIDGE_VDEV_H

#include <pthread.h>
#include <stdatomic.h>

#include "hostbridge/hostbridge.h"
#include "hostbridge/regs.h"
#include "hostbridge/common/log.h"

#define PCI_SLOTS 32
#define PCI_FNS   8

/* Root-complex identity (docs/design/hostbridge.md "Root complex"): XenSource's vendor
 * ID and a device ID that pci.ids does not list. */
#define RC_VENDOR_ID 0x5853
#define RC_DEVICE_ID 0xc0de

struct vbar {
    enum bar_type type;         /* BAR_NONE for unimplemented or hidden */
    bool prefetchable;
    uint64_t size, host_addr;
    uint64_t initial;           /* planned guest address (vdev_config) */
    uint64_t committed;         /* guest address the service knows about */
    uint64_t pending;           /* guest address as programmed so far */
    bool sizing_lo, sizing_hi;  /* last write to that half was a size probe */
    bool mapped;
};

struct vdev {
    struct hostbridge *hb;
    struct host_dev *hd;        /* NULL for the root complex */
    uint8_t slot, fn;
    pthread_mutex_t lock;       /* recursive: the event handler may call vdev_*_info */
    struct regset regs;
    struct vbar bars[PCI_NUM_RES];
    uint8_t intx_line_init;
    bool dma;                   /* vdev_config.dma */
    uint16_t pm_base, msi_base, msix_base, pcie_base;   /* 0 = not exposed */
    bool msi_is64, msi_maskable;
    unsigned msi_max;
    struct msix_info msix;      /* location (static) */
    struct msix_entry *msix_tab;   /* the guest's table, nr_entries (msix_table.c) */
    uint64_t msix_bad;          /* table/PBA accesses of a size or alignment §6.8.2 forbids */
    bool msi_hidden;            /* vdev_config.hide_msi: MSI and MSI-X unlinked */
    unsigned ext_hidden;        /* extended capabilities hidden */
    unsigned caps_hidden;       /* legacy capabilities unlinked */
    bool dirty;                 /* emulated state changed during this write */
    struct ratelimit rl;
    _Atomic uint64_t host_reads, host_writes;
};

struct hostbridge {
    struct vpci_topology *topo;
    uint16_t seg;
    uint8_t bus_start, bus_end;
    struct vdev *root;
    struct vdev *fns[PCI_SLOTS][PCI_FNS];
};

#define MAX_BRIDGES 16
struct vpci_topology {
    pthread_rwlock_t lock;      /* read: accesses; write: add/remove */
    struct hostbridge *bridges[MAX_BRIDGES];
    unsigned nbridges;
    vdev_event_fn handler;
    void *opaque;
    struct ratelimit rl, rl_absent;   /* bad accesses; absent functions */
    pthread_mutex_t rl_lock;
    _Atomic uint64_t reads, writes, bad, absent, gone_host_reads, gone_host_writes;
};

/* Before a reset of the virtual Command register: a Bus Master the host
 * follows is turned off (VDEV_EV_BUS_MASTER).  Lock held. */
void header_bus_master_off_locked(struct vdev *v);

/* Send an event (vdev lock held).  Returns the handler's result, 0 without one. */
int vdev_emit(struct vdev *v, struct vdev_event *ev);
uint16_t vdev_cmd_locked(struct vdev *v);
bool vdev_slot_is_multifunction(const struct vdev *v);

/* Per-area setup (vdev.c calls them in order) and hooks. */
int header_setup(struct vdev *v);
int root_setup(struct vdev *v);
int bars_setup(struct vdev *v, const struct vdev_config *cfg);
void bars_update_mapping(struct vdev *v, uint16_t old_cmd, uint16_t new_cmd,
                         uint32_t old_rom, uint32_t new_rom);
void bars_unmap_all(struct vdev *v);
uint32_t bar_rom_ctrl(struct vdev *v);
uint64_t bar_fit_addr(const struct vbar *b, uint64_t addr);
int caps_setup(struct vdev *v);
int pm_setup(struct vdev *v, uint16_t base);
int msi_setup(struct vdev *v, uint16_t base);
int msix_setup(struct vdev *v, uint16_t base);
int pcie_setup(struct vdev *v, uint16_t base);
/* MSI-X table location only (for a hidden capability, whose pages stay trapped). */
int msix_locate(struct vdev *v, uint16_t base, struct msix_info *out);
/* The guest's MSI-X table: allocate (reset values), reset (mask bits set). */
int msix_table_alloc(struct vdev *v);
void msix_table_reset(struct vdev *v);
/* Guest-initiated FLR: unmap BARs (events), VDEV_EV_FLR, then power-on values. */
void vdev_function_reset_locked(struct vdev *v);
/* Create a vdev (root complex when hd is NULL); vdev_free undoes it. */
int vdev_create(struct hostbridge *hb, struct host_dev *hd, const struct vdev_config *cfg,
                struct vdev **out);
void vdev_free(struct vdev *v);
/* One validated access of size 1, 2 or 4 (locks the vdev). */
uint32_t vdev_cfg_read(struct vdev *v, unsigned reg, unsigned size);
void vdev_cfg_write(struct vdev *v, unsigned reg, unsigned size, uint32_t data);

/* Host config read by the engine (counts; -errno on failure). */
int vdev_host_read(struct vdev *v, unsigned off, unsigned size, uint32_t *val);
int vdev_host_write(struct vdev *v, unsigned off, unsigned size, uint32_t val);

/* Tables shared with tables.c. */
extern const struct reg_table header_table, root_table, bar_mem_table, bar_mem64_hi_table,
    bar_zero_table, rom_table, pm_table, msi32_table, msi64_table, msix_table,
    pcie_table, ext_hidden_table;

/* A kept capability's header is fully emulated: caps_setup stores the ID (fixed
 * by the allowlist) and the next pointer at registration, so a guest walking
 * the list never causes a host read. */
#define CAP_HDR_REGS                                                                   \
    { .name = "capability ID", .offset = 0, .size = 1, .src = REG_EMULATED, .ro = 0xff }, \
    { .name = "next pointer", .offset = 1, .size = 1, .src = REG_EMULATED, .ro = 0xff }

#endif
