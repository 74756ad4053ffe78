/* pcipt's xenstore schema (docs/design/xs.md "Schema"):
 *
 *   be = /local/domain/0/backend/pci/DOMID/0         (libxl's pciback dir)
 *     frontend, frontend-id, online, state, domain, num_devs,
 *     key-N, dev-N, vdev-N, opts-N, state-N             (libxl/pciback shapes)
 *     pcipt/dev-N/{spi,intx-pin,force,dma}              (our per-device nodes;
 *                                                        dma: iommu|off|unsafe,
 *                                                        missing = off)
 *     pcipt/dev-N/reset                                 (how attach reset it: flr|pm|
 *                                                        bus|...|none-forced; missing =
 *                                                        not recorded)
 *     pcipt/dev-N/{msi,its-guest-devid,its-host-devid}  (msi: vits|off, missing =
 *                                                        off; the DeviceIDs "0x.."
 *                                                        with vits only)
 *     pcipt/dev-N/bar-I/{type,prefetchable,host,guest,size}
 *     pcipt/dev-N/state/...                             (guest-visible state)
 *     pcipt/server/{id,pid,nr-vcpus,port-V}             (the domain's daemon)
 *
 * Everything is written in transactions with dom0-only permissions.
 * All functions return 0 or -errno. */
#ifndef PCIPT_XS_PUBLISH_H
#define PCIPT_XS_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign/assign.h"

#define XSP_MAX_VCPUS 128

struct xsp_server {
    uint32_t id;                    /* IOREQ server id */
    int32_t pid;                    /* daemon process */
    unsigned nr_vcpus;
    uint32_t ports[XSP_MAX_VCPUS];  /* local event channel port per vCPU */
};

/* Add dev as the next N.  -EEXIST if its host SBDF or virtual SBDF is
 * already published for the domain; -ENOSPC beyond PCIPT_MAX_DEVS. */
int xsp_publish_device(struct xs_handle *xs, uint32_t domid, const struct dev_assign *dev);
/* The same, and in the same transaction the p2m record
 * pcipt/dev-N/bar-I/mapped of each present BAR: mapped[I] = where BAR I is
 * mapped in the guest's stage 2 ("0x..."), 0 = not mapped ("none"). */
int xsp_publish_device_mapped(struct xs_handle *xs, uint32_t domid, const struct dev_assign *dev,
                              const uint64_t mapped[PCI_NUM_RES]);
/* The p2m record of one BAR of a published device (docs/design/attach.md
 * "Hand-over: p2m records"): whoever changes the p2m updates it in the same step.  gaddr 0 =
 * "none".  -ENOENT if the device or the BAR is not published; reading a
 * device published without records gives -ENOENT too. */
int xsp_write_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         unsigned bar, uint64_t gaddr);
int xsp_read_bar_mapped(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        unsigned bar, uint64_t *gaddr);
/* be/state-N = 5 is libxl's Closing (xl pci-detach, xl destroy): only
 * libxl writes it; pcipt never writes libxl's state-N after publishing. */
#define XSP_XENBUS_CLOSING 5
/* pcipt's own hand-over, pcipt/dev-N/detach of a published device: detach
 * asks the daemon to let go with 1 (ASKED), the daemon answers 2
 * (RELEASED).  Kept out of libxl's nodes, since libxl renumbers them at
 * once on its own removals.  Writing needs pcipt/dev-N (-ENOENT). */
#define XSP_DETACH_ASKED    1
#define XSP_DETACH_RELEASED 2
int xsp_write_dev_detach(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         unsigned value);
int xsp_read_dev_detach(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        unsigned *value);
/* Remove one device, renumbering the later ones down as libxl does; the
 * whole backend dir goes with the last device.  -ENOENT if absent. */
int xsp_remove_device(struct xs_handle *xs, uint32_t domid, const struct sbdf *host);
/* Remove everything of the domain (not an error when nothing is there). */
int xsp_remove_domain(struct xs_handle *xs, uint32_t domid);

/* Read and validate the domain's assignment.  -ENOENT when nothing is
 * published; -EINVAL with a sentence in err naming the path and problem. */
int xsp_read_domain(struct xs_handle *xs, uint32_t domid, struct domain_assign *out, char *err,
                    size_t errlen);
/* The same, skipping devices libxl wrote (be/dev-N) that pcipt has not
 * adopted yet (no be/pcipt/dev-N): what attach plans against. */
int xsp_read_domain_published(struct xs_handle *xs, uint32_t domid, struct domain_assign *out,
                              char *err, size_t errlen);
/* Adopt the device libxl published as be/dev-N (xl pci-attach): leave
 * libxl's nodes as they are, write vdev-N and pcipt/dev-N/ (with
 * p2m records like xsp_publish_device_mapped, plus adopted = 1 and host =
 * the SBDF, which stay right when libxl renumbers its nodes).  One
 * transaction.  -ESTALE if be/dev-N is not dev->host, -EEXIST if
 * pcipt/dev-N exists or the virtual SBDF is taken, -ENOENT if N >= num_devs. */
int xsp_adopt_device_mapped(struct xs_handle *xs, uint32_t domid, unsigned n,
                            const struct dev_assign *dev, const uint64_t mapped[PCI_NUM_RES]);

/* Domains with a pci backend dir, ascending; returns how many (<= max). */
int xsp_list_domains(struct xs_handle *xs, uint32_t *domids, unsigned max);

/* The guest-visible state of a published device (found by host SBDF). */
int xsp_write_vdev_state(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                         const struct vdev_state *st);
/* -ENOENT if the device or its state is absent, -EINVAL on bad contents. */
int xsp_read_vdev_state(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                        struct vdev_state *st, char *err, size_t errlen);

/* The MSI nodes of a published device (found by host SBDF): msi, and with
 * vits its-guest-devid and its-host-devid.  A device published without
 * them reads DEV_MSI_OFF.  -ENOENT if the device is absent, -EINVAL on
 * bad contents. */
int xsp_read_dev_msi(struct xs_handle *xs, uint32_t domid, const struct sbdf *host,
                     enum dev_msi *msi, uint32_t *guest_devid, uint32_t *host_devid);
/* The same from a pcipt/dev-N directory inside transaction t (xlwatch). */
int xsp_read_msi_dir(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                     enum dev_msi *msi, uint32_t *guest_devid, uint32_t *host_devid);

/* The domain's daemon.  Needs a published device (-ENOENT otherwise). */
int xsp_write_server(struct xs_handle *xs, uint32_t domid, const struct xsp_server *srv);
/* The same for a domain with no device yet (a daemon started by `pcipt
 * create` for an empty guest): written even without num_devs.  The
 * record's nodes can then be written (xsp_write_server_node) and read until
 * the backend dir goes (the domain's destruction, or the last detach). */
int xsp_write_server_empty(struct xs_handle *xs, uint32_t domid, const struct xsp_server *srv);
int xsp_read_server(struct xs_handle *xs, uint32_t domid, struct xsp_server *srv, char *err,
                    size_t errlen);

#endif
