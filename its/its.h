/* MSI through the virtual GICv3 ITS (docs/xen-facts.md "vITS").
 *
 * A PCI function's MSI write reaches an ITS as (DeviceID, EventID):
 *   host:  DeviceID = the host bridge's msi-map applied to the RID
 *          (bus<<8 | dev<<3 | fn), read from the host device tree;
 *   guest: DeviceID = the guest bridge's msi-map, which pcipt/xl/guest_dt.c
 *          emits as <0 ITS seg<<16 0x10000>: seg<<16 | RID (identity on
 *          segment 0);
 *   EventID = the MSI data the device writes to GITS_TRANSLATER.
 * Xen needs the guest DeviceID bound to the host device; upstream has no
 * interface for a domU, the project's patch adds XEN_DMOP_pcipt_its_device,
 * which attach calls (pcipt/assign/msi_announce.h); without it the guest
 * keeps INTx. */
#ifndef ITS_ITS_H
#define ITS_ITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "hostbridge/common/sbdf.h"


/* ---- host side: msi-map (Linux bindings/pci/pci-msi.txt) --------------- */
#define ITS_MAX_MAP_ENTRIES 64

struct its_msi_map_entry {
    uint32_t rid_base, phandle, msi_base, length;
};

struct its_msi_map {
    unsigned n;                                  /* 0: no msi-map property */
    struct its_msi_map_entry e[ITS_MAX_MAP_ENTRIES];
    uint32_t mask;                               /* msi-map-mask; all-ones if absent */
    bool has_msi_parent;
    uint32_t msi_parent;                         /* phandle */
};

static inline uint32_t its_rid(uint8_t bus, uint8_t dev, uint8_t fn)
{
    return (uint32_t)bus << 8 | (uint32_t)(dev & 0x1f) << 3 | (fn & 7u);
}

/* Read msi-map, msi-map-mask and msi-parent from a device-tree node
 * directory (as /proc/device-tree shows it: one file per property holding
 * big-endian cells).  0, or -errno with a sentence naming the node. */
int its_msi_map_load(const char *node_dir, struct its_msi_map *m, char *err, size_t errlen);

/* DeviceID for rid: masked by msi-map-mask, then the tuple containing it
 * (DeviceID = rid - rid-base + msi-base); with no msi-map but msi-parent,
 * the RID itself.  -ENOENT when no tuple covers it (or nothing maps MSIs). */
int its_msi_map_translate(const struct its_msi_map *m, uint32_t rid, uint32_t *devid,
                          uint32_t *controller);

/* The device-tree node directory of dev's host bridge: through sysfs
 * (SYSFS/devices/SBDF, up to its pciSSSS:BB host bridge, its `of_node`
 * link; a link into .../devicetree/base is re-rooted at dt_root), else the
 * node under dt_root with device_type "pci" and linux,pci-domain = segment.
 * sysfs NULL = /sys/bus/pci, dt_root NULL = /proc/device-tree. */
int its_find_host_bridge(const char *sysfs, const char *dt_root, const struct sbdf *dev,
                         char *node_dir, size_t len, char *err, size_t errlen);

/* Both of the above: the host ITS DeviceID of dev. */
int its_host_devid(const char *sysfs, const char *dt_root, const struct sbdf *dev,
                   uint32_t *devid, char *err, size_t errlen);

/* its_msi_map_translate of dev's RID, with a sentence naming dev, the RID
 * and node when no tuple covers it (-ENOENT). */
int its_msi_map_devid(const struct its_msi_map *m, const struct sbdf *dev, const char *node,
                      uint32_t *devid, char *err, size_t errlen);
/* The device-tree path (e.g. "/soc/pcie@40000000") of dev's host bridge from
 * its sysfs of_node link into .../devicetree/base.  -ENOENT without one. */
int its_sysfs_dt_path(const char *sysfs, const struct sbdf *dev, char *path, size_t len);

/* ---- host side from the flattened device tree (its/its_fdt.c) ------------
 * What the kernel booted with: /sys/firmware/fdt on Linux (dom0 under Xen:
 * the tree Xen built for dom0, host bridges and their msi-map included). */
#define ITS_HOST_FDT_DEFAULT "/sys/firmware/fdt"
#define ITS_FDT_MAX_SIZE     (64u << 20)

/* Read and fully check (fdt_check_full) a blob: *fdt is malloc'd (free()).
 * 0, or -errno with a sentence naming path. */
int its_fdt_read(const char *path, void **fdt, char *err, size_t errlen);
/* msi-map, msi-map-mask and msi-parent of node (path names it in messages). */
int its_msi_map_load_fdt(const void *fdt, int node, const char *path, struct its_msi_map *m,
                         char *err, size_t errlen);
/* dev's host bridge node: the sysfs of_node path if it names a node of fdt,
 * else the one node with device_type "pci" and linux,pci-domain = segment
 * (-EEXIST for several, -ENOENT for none).  path gets the node's path. */
int its_fdt_find_host_bridge(const void *fdt, const char *sysfs, const struct sbdf *dev,
                             int *node, char *path, size_t len, char *err, size_t errlen);
/* Both: the host ITS DeviceID of dev (-ENOENT with a sentence when the
 * bridge has no msi-map/msi-parent or no tuple covers the RID). */
int its_host_devid_fdt(const void *fdt, const char *sysfs, const struct sbdf *dev,
                       uint32_t *devid, char *err, size_t errlen);

/* ---- guest side --------------------------------------------------------- */
#define ITS_DOORBELL_OFFSET 0x10040u   /* GITS_TRANSLATER, second 64 KiB frame */
#define ITS_LPI_BLOCK       32u        /* Xen allocates host LPIs in blocks of 32 */

/* seg<<16 | RID: what the msi-map written by pcipt/xl/guest_dt.c yields. */
uint32_t its_guest_devid(const struct sbdf *guest);
uint64_t its_doorbell(uint64_t its_base);
/* 0 if a guest-programmed MSI address is the vITS doorbell; -EINVAL if
 * not; -ENODEV if the guest has no vITS (its_base 0). */
int its_check_msi_address(uint64_t its_base, uint64_t addr);

/* ---- events per device --------------------------------------------------- */
/* Xen's rounding in gicv3_its_map_guest_device: a power of two, >= 32.
 * 0 for n > 2^31 (no ITT that large). */
uint32_t its_round_events(uint32_t n);
/* The larger of MSI's and MSI-X's vector counts, rounded. */
uint32_t its_events_needed(unsigned msi_vectors, unsigned msix_entries);
/* From the host config space: MSI Multiple Message Capable (Message
 * Control bits 3:1, 2^n vectors) and MSI-X Table Size (bits 10:0, N-1).
 * -ENOENT (with err) if the device has neither capability. */
int its_device_events(const struct host_dev *hd, uint32_t *nr_events, char *err, size_t errlen);

/* ---- binding ------------------------------------------------------------- */
struct its_bind_req {
    uint32_t domid;
    struct sbdf host, guest;
    uint32_t host_devid, guest_devid;
    uint32_t event_id;
    uint32_t nr_events;        /* its_round_events() of the device's need */
    bool valid;                /* false: unbind */
};

/* Fill a request for one event of a device (guest DeviceID from guest). */
void its_bind_req_init(struct its_bind_req *r, uint32_t domid, const struct sbdf *host,
                       uint32_t host_devid, const struct sbdf *guest, uint32_t nr_events,
                       uint32_t event_id, bool valid);

#endif
