/* Does a domU get a virtual ITS?  The decision `pcipt create` takes before it
 * writes the guest device tree (an ITS node and msi-map only when the vITS
 * will exist) and the fact `pcipt check` reports.
 *
 * The vITS for domUs is the project's Xen patch
 * toolstack-hooks/xen-patches/4.17/0006-arm-vits-domu-pcipt.patch: "a domU
 * created with XEN_DOMCTL_CDF_iommu on a host with an ITS gets one virtual
 * ITS at GUEST_GICV3_ITS_BASE (0x04020000, 128 KiB ...)".  So three facts,
 * all needed:
 *   1. the hypervisor is built with the patch series and an ITS driver:
 *      CONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y and CONFIG_HAS_ITS=y in its build
 *      configuration (hypfs /buildinfo/config);
 *   2. the host has an ITS: a node compatible "arm,gic-v3-its" in the host
 *      device tree (/sys/firmware/fdt);
 *   3. the domain is created with the IOMMU on (passthrough="enabled",
 *      XEN_DOMCTL_CDF_iommu).
 * Upstream Xen has no domU vITS in any release (docs/design/guest-dt-its.md). */
#ifndef ITS_VITS_H
#define ITS_VITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GUEST_GICV3_ITS_BASE / _SIZE of the patch's public arch-arm.h hunk. */
#define ITS_GUEST_VITS_BASE 0x04020000ull
#define ITS_GUEST_VITS_SIZE 0x00020000ull

#define ITS_CONFIG_PCIPT "CONFIG_ARM_PCI_PASSTHROUGH_PCIPT"
#define ITS_CONFIG_ITS   "CONFIG_HAS_ITS"

struct its_vits_facts {
    const char *build_config;   /* the hypervisor's .config text; NULL = unknown */
    const char *config_why;     /* why build_config is NULL ("" or NULL: unknown) */
    bool host_its;              /* the host DT has an "arm,gic-v3-its" node */
    const char *host_dt_why;    /* why host_its is false when the DT could not be read */
    bool domain_iommu;          /* the domain is created with passthrough enabled */
};

/* "NAME=y" on a line of a .config text (NULL text: false). */
bool its_config_has(const char *config, const char *name);
/* Does the blob have a node compatible "arm,gic-v3-its"? */
bool its_fdt_has_its(const void *fdt);
/* Will the domain have a vITS?  true, or false with one sentence in why
 * saying which fact is missing and what it means (MSI stays hidden, the
 * guest uses INTx). */
bool its_vits_decide(const struct its_vits_facts *f, char *why, size_t len);

#endif
