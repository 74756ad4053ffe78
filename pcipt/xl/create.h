/* `pcipt create`: boot an xl domain with pcipt's devices (toolstack-hooks'
 * domain-boot flow).
 *
 *   read CFG (pcipt/xl/xlcfg.h): name, `pcipt = [ "SBDF[@SLOT]", ... ]`
 *   -> plan the devices as a fresh domain (plan_domain) -> write the guest
 *   DT (pcipt/xl/guest_dt.h) -> `xl create -p CFG device_tree="DTB" [SPI arg]
 *   [passthrough="enabled" (create_passthrough_arg)] XL_ARGS...` -> `xl domid NAME` -> attach_device each (the planned slot)
 *   -> check the published slots/SPIs are the planned ones -> start the
 *   domain's daemon (pcipt/xl/launch.h) and wait for "ready" -> `xl
 *   unpause DOMID`.  Any failure undoes everything done so far, in reverse:
 *   stop the daemon, detach the devices, `xl destroy`, remove the DTB.
 *
 * SPI arg (the INTx relay raises SPIs spi_base .. spi_base+count-1, which
 * must exist in the guest's vGIC: Xen gives a domain 32 + nr_spis IRQs,
 * nr_spis rounded up to 32; docs/xen-facts.md "Guest memory map"):
 *   - config sets nr_spis: checked to cover them, nothing added;
 *   - they fit in 32..63: `vuart="sbsa_uart"` (libxl then asks for 1 SPI,
 *     Xen rounds to 32) unless the config already sets vuart;
 *   - beyond 63: `nr_spis=N` (xl >= 4.19), refused on older Xen;
 *   - an `irqs = [...]` entry in the range is refused (passthrough SPIs are
 *     1:1 and allocated; XEN_DMOP_set_irq_level refuses allocated lines). */
#ifndef PCIPT_CREATE_H
#define PCIPT_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pcipt/assign/assign.h"
#include "pcipt/util/env.h"
#include "pcipt/xl/xlcfg.h"

#define CREATE_STATE_DIR "/var/lib/pcipt"   /* $PCIPT_STATE_DIR overrides */

struct create_opts {
    const struct pcipt_env *env;   /* required by create_domain: --hv, --sysfs, --config... */
    const char *cfg_path;
    char **xl_args;          /* the user's xl options, passed on as given */
    int nxl_args;
    const char *dtb_path;    /* NULL: $PCIPT_STATE_DIR/<name>.dtb */
    bool dry_run;
    unsigned attach_flags;   /* ATTACH_BIND | ATTACH_FORCE | ATTACH_VERBOSE |
                                ATTACH_UNSAFE_DMA */
    int ready_timeout_ms;    /* 0: DAEMON_READY_TIMEOUT_MS */
    unsigned xen_major, xen_minor;   /* 0.0: ask the hypervisor (hv_query_xen_version) */
    FILE *out;               /* progress and the dry-run line; NULL = stdout */
};

/* The whole flow.  0, or -errno with a sentence in err naming what failed
 * (and that everything was undone). */
int create_domain(const struct create_opts *o, char *err, size_t errlen);

/* The pieces (public for tests). */
/* The config plus the user's `key=value` xl options, in xl's order. */
int create_read_config(const struct create_opts *o, struct xlcfg *cfg, char *err,
                       size_t errlen);
/* The extra xl argument that gives the guest the INTx SPIs (see above):
 * "" when none is needed.  0 or -EINVAL + err. */
int create_spi_arg(const struct xlcfg *cfg, const struct guest_layout *lay, unsigned xen_major,
                   unsigned xen_minor, char *arg, size_t arglen, char *err, size_t errlen);
/* The `xl create` argv (NULL-terminated, malloc'd; free with
 * create_free_argv). */
/* passthrough="enabled" when iommu (hv_query_iommu) is 1 and the config
 * does not set passthrough itself; else NULL. */
const char *create_passthrough_arg(const struct xlcfg *cfg, int iommu);
/* Is the domain created with the IOMMU on (passthrough enabled)? */
bool create_domain_iommu(const struct xlcfg *cfg, int iommu);
/* Will the domain have Xen's domU vITS (its/its_vits.h: the patched Xen
 * with an ITS driver, an ITS on the host, the IOMMU on)?  false with one
 * sentence in why saying which fact is missing (pcipt/xl/create_vits.c). */
bool create_vits(const struct pcipt_env *env, const struct xlcfg *cfg, int iommu, char *why,
                 size_t len);
char **create_xl_argv(const struct create_opts *o, const char *dtb_path, const char *spi_arg,
                      const char *pt_arg);
void create_free_argv(char **argv);

#endif
