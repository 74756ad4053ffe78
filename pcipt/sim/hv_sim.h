/* The simulator's own API (tests, `pcipt sim`, `pcipt simulate`): domain
 * administration, inspection, failure injection and the guest side.
 * Every function takes a struct hv opened with hv_open("sim") and returns
 * 0 / a count, or -errno (-EINVAL if hv is not a sim backend). */
#ifndef PCIPT_HV_SIM_H
#define PCIPT_HV_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/dm_op.h>   /* XEN_DMOP_IO_RANGE_* */

#include "pcipt/hv/hv.h"

#define SIM_DIR_ENV      "PCIPT_SIM_DIR"
/* The simulated hypervisor's build .config (build_config op), if present. */
#define SIM_BUILD_CONFIG_FILE "buildinfo-config"
#define SIM_DIR_DEFAULT  "/run/pcipt-sim"
#define SIM_FAIL_ENV     "PCIPT_SIM_FAIL"     /* "op:n:errno", this process only */
/* The version the simulated hypervisor reports (xen_version op), "X.Y";
 * anything else makes hv_open("sim") fail. */
#define SIM_XEN_VERSION_ENV     "PCIPT_SIM_XEN_VERSION"
#define SIM_XEN_VERSION_DEFAULT "4.17"
/* "off": the simulated Xen runs no IOMMU (every assign op -EOPNOTSUPP, as
 * 4.17 without an SMMU); anything else: an SMMUv3 that can take PCI
 * functions (xen-arm-dma-msi.md section 2, the patched case). */
#define SIM_IOMMU_ENV           "PCIPT_SIM_IOMMU"
/* "off": the simulated Xen has no virtual ITS for domUs (an unpatched Xen,
 * or a host without an ITS): its_device answers -EOPNOTSUPP.  Anything
 * else: the project's patch (toolstack-hooks/xen-patches/4.17/
 * 0006-arm-vits-domu-pcipt.patch) on a host with an ITS. */
#define SIM_VITS_ENV            "PCIPT_SIM_VITS"
/* "1": a memory_mapping REMOVE also needs the target domain's iomem
 * permission, as on stock Xen <= 4.21 (common/domctl.c).  Default: the
 * project's patched 4.17 (toolstack-hooks/xen-patches/4.17/
 * 0004-domctl-unmap-without-target-permission.patch) and Xen 4.22, where a
 * remove needs only the caller's.  Read through test_env(). */
#define SIM_UNMAP_PERM_ENV      "PCIPT_SIM_UNMAP_NEEDS_PERMISSION"

bool hv_is_sim(const struct hv *hv);
const char *sim_dir(const struct hv *hv);

/* ---- administration ---- */
int sim_reset(struct hv *hv);
/* Created with passthrough="enabled" (XEN_DOMCTL_CDF_iommu): it can take
 * assigned functions.  sim_domain_create_flags: flags 0 = without. */
int sim_domain_create(struct hv *hv, uint32_t domid, unsigned nr_vcpus, uint64_t ram_base,
                      uint64_t ram_size, unsigned nr_spis);
#define SIM_DOMAIN_PASSTHROUGH 0x1u
int sim_domain_create_flags(struct hv *hv, uint32_t domid, unsigned nr_vcpus,
                            uint64_t ram_base, uint64_t ram_size, unsigned nr_spis,
                            unsigned flags);
/* As Xen's domain destruction: servers, ports, mappings, permissions go. */
int sim_domain_destroy(struct hv *hv, uint32_t domid);
/* Make the n-th next call (n >= 1) of op fail with -err, in every process.
 * op is an hv_ops member name ("memory_mapping", "ioreq_create", ...). */
int sim_inject_fail(struct hv *hv, const char *op, unsigned n, int err);

/* ---- inspection ---- */
struct sim_domain_info {
    uint32_t domid, nr_vcpus, nr_spis;
    uint64_t ram_base, ram_size;
    bool crashed;
    uint64_t memory_mapping_calls, ioreqs, direct_accesses, ram_accesses, aborts,
        bad_state, emulator_gone;
    uint64_t vcpu_blocks;    /* waits that blocked after a look found no answer */
};
struct sim_mapping { uint64_t gfn, mfn, nr; };
struct sim_range { uint64_t start, end; };   /* inclusive */
struct sim_server_info {
    uint16_t id;
    bool enabled;
    unsigned nr_ranges[3];                    /* by XEN_DMOP_IO_RANGE_* */
};

/* List domain ids (including 0); returns how many (may exceed max). */
int sim_list_domains(struct hv *hv, uint32_t *ids, unsigned max);
int sim_domain_info(struct hv *hv, uint32_t domid, struct sim_domain_info *out);
int sim_list_mappings(struct hv *hv, uint32_t domid, struct sim_mapping *m, unsigned max);
int sim_list_permissions(struct hv *hv, uint32_t domid, struct sim_range *r, unsigned max);
int sim_list_servers(struct hv *hv, uint32_t domid, struct sim_server_info *s, unsigned max);
/* type: XEN_DMOP_IO_RANGE_PORT/_MEMORY/_PCI (pcidevs are PCI ranges of SBDFs) */
int sim_list_ranges(struct hv *hv, uint32_t domid, uint16_t id, unsigned type,
                    struct sim_range *r, unsigned max);
/* Asserted SPIs; returns how many. */
int sim_list_irqs_high(struct hv *hv, uint32_t domid, uint32_t *irqs, unsigned max);
/* The level the device model last set: 0/1 or -errno.  Not what the guest
 * sees: on 4.17's vGIC a raise delivers once and level 0 is ignored. */
int sim_irq_level(struct hv *hv, uint32_t domid, uint32_t irq);
/* The guest takes one delivery of SPI irq (acknowledge + EOI): 1 if one
 * was pending, 0 if none, -errno.  A raise while one is in flight queues
 * one more (at most one). */
int sim_irq_take(struct hv *hv, uint32_t domid, uint32_t irq);
/* Deliveries of irq the guest has taken since the domain was created. */
int sim_irq_delivered(struct hv *hv, uint32_t domid, uint32_t irq, uint64_t *n);
/* The guest-side port of a server's vCPU (what Xen writes into vp_eport). */
int sim_server_port(struct hv *hv, uint32_t domid, uint16_t id, unsigned vcpu);

/* ---- the SMMU (sim_iommu.c) ---- */
/* Who owns the function's StreamID: 0 (dom0), a domU, or HV_DOMID_IO. */
int sim_device_owner(struct hv *hv, uint32_t machine_sbdf, uint32_t *owner);
/* The function DMAs to bus address addr: SIM_DMA_OK (translated through its
 * owner's stage 2: the owner's RAM or p2m), SIM_DMA_UNTRANSLATED (no IOMMU:
 * addr is a host physical address), or -EFAULT (an SMMU translation
 * fault, counted in sim_smmu_faults). */
#define SIM_DMA_OK 0
#define SIM_DMA_UNTRANSLATED 1
int sim_device_dma(struct hv *hv, uint32_t machine_sbdf, uint64_t addr);
int sim_smmu_faults(struct hv *hv, uint64_t *n);

/* ---- the vITS (sim_its.c) ---- */
#define SIM_ITS_DEVID_LIMIT 0x10000u   /* the patch's vITS: 16 DeviceID bits */
struct sim_its_binding { uint32_t guest_devid, machine_sbdf, host_devid, nr_events; };
/* The domain's bindings (by guest DeviceID); returns how many. */
int sim_list_its_bindings(struct hv *hv, uint32_t domid, struct sim_its_binding *b,
                          unsigned max);
/* The guest's MAPD of guest_devid with an ITT of nr_events (the patch's
 * its_handle_mapd for a domU): 0 accepted (a bound DeviceID, at most its
 * events), -EPERM refused, -EOPNOTSUPP no vITS; both counted in the
 * domain's its_mapd_accepted / its_mapd_refused. */
int sim_guest_its_mapd(struct hv *hv, uint32_t domid, uint32_t guest_devid,
                       uint32_t nr_events);
int sim_its_mapd_counts(struct hv *hv, uint32_t domid, uint64_t *accepted, uint64_t *refused);

/* ---- guest side (sim_vcpu.c) ---- */
enum sim_access_result {
    SIM_ACCESS_IOREQ = 0,     /* forwarded to an IOREQ server and completed */
    SIM_ACCESS_DIRECT = 1,    /* stage-2 mapped device: no trap */
    SIM_ACCESS_RAM = 2,       /* ordinary guest RAM */
};
/* Value a direct (stage-2 mapped) read returns: the host physical address. */
#define SIM_DIRECT_READ_VALUE(mfn, off) (((uint64_t)(mfn) << 12) | (off))

/* A guest vCPU's MMIO access, as Arm Xen does it (try_handle_mmio /
 * try_fwd_ioserv): returns enum sim_access_result, or -EFAULT (the guest
 * takes a data abort), -ETIMEDOUT (no answer within timeout_ms), -EIO (the
 * device model broke the ioreq protocol), -EINVAL (bad size / vcpu). */
int sim_guest_mmio(struct hv *hv, uint32_t domid, unsigned vcpu, uint64_t gpa, unsigned size,
                   bool write, uint64_t *data, int timeout_ms);
/* IOREQ_TYPE_PCI_CONFIG as x86 Xen sends it: addr = sbdf << 32 | reg. */
int sim_guest_pci_config(struct hv *hv, uint32_t domid, unsigned vcpu, uint32_t sbdf,
                         uint32_t reg, unsigned size, bool write, uint64_t *data,
                         int timeout_ms);
/* Send *req unchecked to server id (for malformed-request tests); the
 * completed slot is copied to *resp. */
int sim_guest_raw_ioreq(struct hv *hv, uint32_t domid, unsigned vcpu, uint16_t id,
                        const ioreq_t *req, ioreq_t *resp, int timeout_ms);

#endif
