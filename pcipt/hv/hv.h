/* The hypervisor backend: every call pcipt makes into Xen goes through this
 * table.  Two implementations:
 *   xen  (pcipt/hv/hv_xen.c)  libxenctrl, libxendevicemodel, libxenforeignmemory,
 *                          libxenevtchn
 *   sim  (pcipt/sim/hv_sim.c)  a simulator of domains, p2m, iomem permissions,
 *                          IOREQ servers and event channels that enforces Xen's
 *                          rules (docs/xen-facts.md): at most 64
 *                          pages per memory_mapping (-E2BIG), iomem permission
 *                          for dom0 and the target, no overlapping mappings
 *                          (-EEXIST), buffered ioreqs refused (-EINVAL),
 *                          inject_msi / set_pci_intx_level -EOPNOTSUPP, the
 *                          patched vITS's device bindings, at most
 *                          8 servers per domain and 256 ranges per server and
 *                          range type.  Its state lives in a directory shared
 *                          by processes (PCIPT_SIM_DIR), so successive pcipt
 *                          commands, the daemon and test "guests" see it.
 * All functions return 0 (or a non-negative value where stated) or -errno. */
#ifndef PCIPT_HV_H
#define PCIPT_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_MAX_PAGES_PER_MAPPING 64   /* XEN_DOMCTL_memory_mapping on Arm */
#define HV_PAGE_SHIFT 12
#define HV_PAGE_SIZE  (1ull << HV_PAGE_SHIFT)

struct hv;

struct hv_counters {
    uint64_t memory_mapping_calls;   /* every XEN_DOMCTL_memory_mapping issued */
    uint64_t memory_mapping_e2big;
    uint64_t iomem_permission_calls;
    uint64_t dm_op_calls;
};

struct hv_ops {
    const char *name;
    void (*close)(struct hv *hv);

    /* domains */
    int (*domain_exists)(struct hv *hv, uint32_t domid);       /* 1, 0, or -errno */
    int (*domain_nr_vcpus)(struct hv *hv, uint32_t domid, unsigned *n);

    /* stage 2 */
    int (*iomem_permission)(struct hv *hv, uint32_t domid, uint64_t first_mfn,
                            uint64_t nr_mfns, bool allow);
    /* ONE hypercall, as XEN_DOMCTL_memory_mapping: nr > 64 gives -E2BIG. */
    int (*memory_mapping)(struct hv *hv, uint32_t domid, uint64_t first_gfn,
                          uint64_t first_mfn, uint64_t nr_mfns, bool add);

    /* IOREQ servers */
    int (*ioreq_create)(struct hv *hv, uint32_t domid, int bufioreq, uint16_t *id);
    int (*ioreq_destroy)(struct hv *hv, uint32_t domid, uint16_t id);
    int (*ioreq_set_state)(struct hv *hv, uint32_t domid, uint16_t id, bool enabled);
    int (*ioreq_map_range)(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                           uint64_t start, uint64_t end /* inclusive */);
    int (*ioreq_unmap_range)(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                             uint64_t start, uint64_t end);
    int (*ioreq_map_pcidev)(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                            uint8_t bus, uint8_t dev, uint8_t fn);
    int (*ioreq_unmap_pcidev)(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                              uint8_t bus, uint8_t dev, uint8_t fn);
    /* Map the server's ioreq page (XENMEM_resource_ioreq_server, frame 1):
     * a shared_iopage_t (struct ioreq vcpu_ioreq[] from <xen/hvm/ioreq.h>). */
    int (*ioreq_map_page)(struct hv *hv, uint32_t domid, uint16_t id, void **page);
    int (*ioreq_unmap_page)(struct hv *hv, uint32_t domid, uint16_t id, void *page);

    /* event channels (the daemon's side) */
    int (*evtchn_fd)(struct hv *hv);                       /* poll()able fd */
    int (*evtchn_bind)(struct hv *hv, uint32_t domid, uint32_t remote_port); /* local port */
    int (*evtchn_unbind)(struct hv *hv, uint32_t local_port);
    int (*evtchn_pending)(struct hv *hv);                  /* local port, or -EAGAIN */
    int (*evtchn_unmask)(struct hv *hv, uint32_t local_port);
    int (*evtchn_notify)(struct hv *hv, uint32_t local_port);

    /* interrupts */
    int (*set_irq_level)(struct hv *hv, uint32_t domid, uint32_t irq, unsigned level);
    int (*set_pci_intx_level)(struct hv *hv, uint32_t domid, uint16_t seg, uint8_t bus,
                              uint8_t dev, uint8_t intx, unsigned level); /* -EOPNOTSUPP on Arm */
    int (*inject_msi)(struct hv *hv, uint32_t domid, uint64_t addr, uint32_t data); /* -EOPNOTSUPP on Arm */

    /* vITS (XEN_DMOP_pcipt_its_device, toolstack-hooks/xen-patches/4.17/
     * 0006-arm-vits-domu-pcipt.patch): bind guest DeviceID guest_devid of
     * domid to the host function machine_sbdf (hv_machine_sbdf) with an ITT
     * of nr_events (a power of two >= 32), *host_devid receiving the host
     * ITS DeviceID Xen derived; or unbind (bind false: nr_events ignored,
     * host_devid may be NULL).  -EOPNOTSUPP: no vITS for the domain (an
     * unpatched Xen, or no host ITS); -EINVAL bad nr_events or guest_devid;
     * -ENODEV no msi-map entry; -EPERM the function is not assigned to
     * domid; -EBUSY guest_devid or the function already bound; -ENOENT
     * unbind of something not bound.  NULL member = -EOPNOTSUPP. */
    int (*its_device)(struct hv *hv, uint32_t domid, uint32_t guest_devid,
                      uint32_t machine_sbdf, uint32_t nr_events, bool bind,
                      uint32_t *host_devid);

    /* IOMMU (xen-arm-dma-msi.md sections 1-2).  machine_sbdf is Xen's
     * seg << 16 | bus << 8 | devfn (hv_machine_sbdf).  iommu_enabled: 1 when
     * the hypervisor runs an IOMMU (XEN_SYSCTL_PHYSCAP_directio, what libxl
     * asks before it accepts passthrough="enabled"), 0 when not, -errno.
     * test_assign: 0 if the function can be assigned to domid (owned by dom0
     * or quarantine).  assign: the function's DMA goes through domid's p2m
     * (the domain must have been created with passthrough).  deassign: back
     * to dom0; domid may be DOMID_IO for a function Xen quarantined when
     * its domain died. */
    int (*iommu_enabled)(struct hv *hv);
    int (*test_assign_device)(struct hv *hv, uint32_t domid, uint32_t machine_sbdf);
    int (*assign_device)(struct hv *hv, uint32_t domid, uint32_t machine_sbdf);
    int (*deassign_device)(struct hv *hv, uint32_t domid, uint32_t machine_sbdf);

    /* The running hypervisor's version (XENVER_version: major << 16 | minor). */
    int (*xen_version)(struct hv *hv, unsigned *major, unsigned *minor);
    /* The hypervisor's build configuration (the .config text Xen publishes
     * in hypfs as /buildinfo/config when built with CONFIG_HYPFS_CONFIG),
     * malloc'd into *text.  -ENOENT when the hypervisor does not publish it. */
    int (*build_config)(struct hv *hv, char **text);
};

struct hv {
    const struct hv_ops *ops;
    struct hv_counters counters;
    void *priv;
};

#define HV_DOMID_IO 0x7ff1u        /* DOMID_IO: Xen's quarantine owner */

static inline uint32_t hv_machine_sbdf(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
    return (uint32_t)seg << 16 | (uint32_t)bus << 8 | (uint32_t)(dev << 3 | fn);
}

/* Open a backend by name ("xen" or "sim").  On failure returns -errno and
 * writes a sentence into err. */
int hv_open(const char *name, struct hv **out, char *err, size_t errlen);
void hv_close(struct hv *hv);

/* "X.Y": decimal, 4 <= X <= 99, Y <= 99.  0 or -EINVAL. */
int hv_parse_xen_version(const char *s, unsigned *major, unsigned *minor);
/* Ask the backend named `name` (NULL = "xen") for the hypervisor's version.
 * 0, or -errno with a sentence in err ending in what to do instead (give
 * --xen-version X.Y). */
int hv_query_xen_version(const char *name, unsigned *major, unsigned *minor, char *err,
                         size_t errlen);

/* Does the backend named `name` (NULL = "xen") run an IOMMU?  1, 0, or
 * -errno (the backend cannot be opened or cannot tell). */
int hv_query_iommu(const char *name);

#endif
