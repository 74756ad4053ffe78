/* `pcipt create`: boot an xl domain with pcipt's devices (toolstack-hooks'
 * domain-boot flow).
 *
 *   read CFG (pcipt/xl/xlcfg.h): name, the devices (below)
 *   -> plan the devices as a fresh domain (plan_domain) -> write the guest
 *   DT (pcipt/xl/guest_dt.h) -> `xl create -p CFG device_tree="DTB" [SPI arg]
 *   [passthrough="enabled" (create_passthrough_arg)] XL_ARGS... [pci=[]]`
 *   -> `xl domid NAME` -> attach_device each (the planned slot)
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
 *     1:1 and allocated; XEN_DMOP_set_irq_level refuses allocated lines).
 *
 * Devices (pcipt/xl/create_pci.c), planned in this order:
 *   - `pcipt = [ "SBDF[@SLOT[.FN]][,force=0|1][,unsafe_dma=0|1]", ... ]`,
 *     pcipt's own list (SLOT decimal or 0x-hex; plan_request_from_arg);
 *   - xl's `pci = [ "[DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...]", ... ]`, read by
 *     xl's own parser (xlcfg_pci_spec): VSLOT hex as xl reads it (`@10` is
 *     slot 16; `@0` any slot), function 0 of that slot; `bdf=` and `vslot=`
 *     as xl; `seize=1` (default: the config's `pci_seize`) takes the
 *     function from its dom0 driver (attach's ATTACH_BIND, for that device
 *     only).  Keys that do not apply on pcipt/Arm (permissive,
 *     msitranslate, power_mgmt, rdm_policy, name; the globals
 *     pci_permissive, pci_msitranslate, pci_power_mgmt) and `BB:DD.*` are
 *     refused before any domain exists, naming the entry and the key.
 *   A function in both lists (or twice) is refused.  Neither list, or
 *   empty lists: an empty guest, created with the host bridge and every
 *   slot routed (pcipt/assign/intx_route.h) and its daemon ready, so
 *   `pcipt pci-attach` (and `xl pci-attach`) can add devices later.
 *   libxl must not see the `pci` list: it would assign the functions itself
 *   and add its own `pcie@10000000` node (libxl_arm.c make_vpci_node, made
 *   when num_pcidevs > 0) beside pcipt's; so `pci=[]` is appended last to
 *   xl's command line when the config has one (xl appends `key=value`
 *   arguments after the file, and the last assignment wins). */
#ifndef PCIPT_CREATE_H
#define PCIPT_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pcipt/assign/assign.h"
#include "pcipt/assign/plan.h"
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

/* One device of the config. */
struct create_dev {
    struct plan_request rq;
    bool seize;              /* xl's seize=1 (or pci_seize): --bind for this device */
    const char *list;        /* "pcipt" or "pci" */
    int index;               /* its entry, from 1 */
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
/* hide_pci: append pci=[] (the config has a `pci` list). */
char **create_xl_argv(const struct create_opts *o, const char *dtb_path, const char *spi_arg,
                      const char *pt_arg, bool hide_pci);
void create_free_argv(char **argv);
/* The devices of both lists (devs: PCIPT_MAX_DEVS), checked as above; *n
 * may be 0.  0 or -errno with a sentence naming the config and entry. */
int create_devices(const struct create_opts *o, const struct xlcfg *cfg,
                   struct create_dev *devs, unsigned *n, char *err, size_t errlen);
/* One `pci` entry (index from 1) of the config cfg_path; seize_default:
 * pci_seize. */
int create_pci_entry(const char *sysfs, const char *cfg_path, int index, const char *spec,
                     bool seize_default, struct create_dev *d, char *err, size_t errlen);

#endif
