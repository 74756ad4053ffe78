/* Reacting to `xl pci-attach` / `xl pci-detach` where xl itself assigns
 * PCI devices (Xen 4.21+ built with CONFIG_PCI_PASSTHROUGH): libxl then
 * writes its pciback nodes (libxl_pci.c libxl__device_pci_add_xenstore, one
 * transaction):
 *     be = /local/domain/0/backend/pci/DOMID/0
 *     first device: be/frontend, frontend-id, online, state = 1, domain
 *     key-N, dev-N = "%04x:%02x:%02x.%01x", [vdevfn-N = "%x"], [name-N],
 *     opts-N = "msitranslate=..,power_mgmt=..,permissive=..,rdm_policy=..",
 *     state-N = 1, num_devs = N+1  (and be/state = 7 on a hot-add)
 * and removes them (libxl__device_pci_remove_xenstore): one transaction
 * writes state-N = 5 and be/state = 7, a second removes the *-N nodes,
 * moves every later *-J to *-(J-1) and writes num_devs; the last device
 * removes be altogether (libxl__device_destroy).  libxl grants iomem and
 * assigns the device, but maps nothing: Arm has no vPCI for domUs.
 *
 * xlwatch_scan() brings pcipt in line with those nodes:
 *   - ADOPT: a be/dev-N in state 1 without be/pcipt/dev-N is attached in
 *     adopt mode (attach_device with ATTACH_ADOPT: plan at libxl's vdevfn
 *     slot if given, grant, map, publish vdev-N and pcipt/dev-N beside
 *     libxl's untouched nodes, marked adopted = 1, host = SBDF);
 *   - RELEASE: a device (adopted, or attached by pcipt itself: xl
 *     pci-detach and xl destroy work on both) whose libxl nodes say state 5
 *     or are gone is unmapped (where its p2m records say; after libxl's
 *     revoke too: hv_unmap_mmio_revoked), its iomem revoked, its vITS
 *     binding dropped, deassigned; if libxl still lists it, its
 *     pcipt/dev-N is marked released = 1, else pcipt/dev-K is removed and
 *     the later pcipt/dev-J moved down, so that pcipt's numbering follows
 *     libxl's again.  A device pcipt detach is taking back
 *     (pcipt/dev-K/detach) is left to it;
 *   - RELIST: a device pcipt attached itself that libxl lists nowhere while
 *     Xen still has it assigned was overwritten by a concurrent xl
 *     pci-attach (same N): listed again at the end (xlw_relist).
 * struct xlwatch remembers the adopted devices between scans, so a device
 * whose nodes vanished at once (libxl's last device) is still released. */
#ifndef PCIPT_XLWATCH_H
#define PCIPT_XLWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <xenstore.h>

#include "pcipt/assign/assign.h"
#include "pcipt/assign/attach.h"

struct xlwatch_dev {
    struct sbdf host;
    bool adopted;                     /* else pcipt attached it itself */
    struct bar_assign bars[PCI_NUM_RES];
    uint64_t mapped[PCI_NUM_RES];     /* guest address mapped, 0 = none */
    enum dev_msi msi;                 /* vits: release unbinds its_guest_devid */
    uint32_t its_guest_devid;
};

struct xlwatch {
    uint32_t domid;
    FILE *log;                        /* one line per action; NULL = none */
    unsigned n;
    struct xlwatch_dev devs[PCIPT_MAX_DEVS];
    unsigned adopted, released, failed;   /* totals (for callers, tests) */
    /* What the last xlwatch_scan released (BARs unmapped, iomem revoked):
     * the daemon takes these off its bus without touching the p2m again. */
    unsigned nreleased_now;
    struct sbdf released_now[PCIPT_MAX_DEVS];
};

void xlwatch_init(struct xlwatch *w, uint32_t domid, FILE *log);
/* One pass (see above).  Returns the number of devices adopted or
 * released, or -errno when xenstore could not be read (err says why).  A
 * device that cannot be adopted is left as libxl wrote it, counted in
 * w->failed and logged; the next pass tries again. */
int xlwatch_scan(struct attach_ctx *ctx, struct xlwatch *w, char *err, size_t errlen);
/* How many cached devices pcipt adopted from libxl (the rest it attached
 * itself): a watcher starts a daemon only for those. */
unsigned xlwatch_nadopted(const struct xlwatch *w);
/* Did the last xlwatch_scan release host? */
bool xlwatch_just_released(const struct xlwatch *w, const struct sbdf *host);
/* For a watcher while another process (the domain's daemon) follows
 * libxl: make the cache exactly the adopted, unreleased devices xenstore
 * records, changing nothing, so that this one can take over releasing them
 * (a last device's nodes all vanish with be) if the other one stops.
 * 0, or -errno + err. */
int xlwatch_sync(struct xs_handle *xs, struct xlwatch *w, char *err, size_t errlen);

#endif
