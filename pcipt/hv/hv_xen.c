/* The real backend: libxenctrl, libxendevicemodel, libxenforeignmemory,
 * libxenevtchn (Debian's libxen-dev 4.17).  Handles are opened lazily, on
 * first use; every error is returned as -errno.
 *
 * memory_mapping: XEN_DOMCTL_memory_mapping takes at most 64 pages on Arm
 * (docs/xen-facts.md "64 pages per call", -E2BIG).  libxc's xc_domain_memory_mapping() halves
 * the batch and retries on E2BIG, and undoes a partial add itself, so one call
 * of it is not one hypercall in general.  With nr <= 64 it makes exactly one
 * domctl (no E2BIG can happen), so this backend refuses nr > 64 with -E2BIG
 * itself and passes smaller requests through: one ops->memory_mapping call is
 * then exactly one hypercall, as the interface promises. */
/* xenctrl.h needs GNU C: xen/hvm/save.h refuses anonymous unions under
 * __STRICT_ANSI__ (which -std=c11 defines), and xen/foreign/ then fails. */
#undef __STRICT_ANSI__

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenhypfs.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>
#include <xen/sys/privcmd.h>

#include "pcipt/hv/hv_backends.h"
#include "pcipt/hv/xen_dmop_its.h"
#include "hostbridge/common/log.h"

#define XEN_PRIVCMD "/dev/xen/privcmd"
#define MAX_MAPPED_PAGES 16

struct mapped_page {
    void *addr;
    xenforeignmemory_resource_handle *res;
};

struct hv_xen {
    struct hv hv;
    xc_interface *xch;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    xenevtchn_handle *xce;
    struct mapped_page pages[MAX_MAPPED_PAGES];
};

static struct hv_xen *to_xen(struct hv *hv) { return (struct hv_xen *)hv; }

/* libxen* functions return -1 and set errno. */
static int neg_errno(void) { return errno ? -errno : -EIO; }

static xendevicemodel_handle *dmod_of(struct hv_xen *x)
{
    if (!x->dmod)
        x->dmod = xendevicemodel_open(NULL, 0);
    return x->dmod;
}

static xenforeignmemory_handle *fmem_of(struct hv_xen *x)
{
    if (!x->fmem)
        x->fmem = xenforeignmemory_open(NULL, 0);
    return x->fmem;
}

static xenevtchn_handle *xce_of(struct hv_xen *x)
{
    if (!x->xce)
        x->xce = xenevtchn_open(NULL, 0);
    return x->xce;
}

#define DMOD_OR_FAIL(x)                                                       \
    xendevicemodel_handle *dm = dmod_of(x);                                   \
    if (!dm)                                                                  \
        return neg_errno();                                                   \
    (x)->hv.counters.dm_op_calls++

static void xen_close(struct hv *hv)
{
    struct hv_xen *x = to_xen(hv);
    for (unsigned i = 0; i < MAX_MAPPED_PAGES; i++)
        if (x->pages[i].res)
            xenforeignmemory_unmap_resource(x->fmem, x->pages[i].res);
    if (x->xce)
        xenevtchn_close(x->xce);
    if (x->fmem)
        xenforeignmemory_close(x->fmem);
    if (x->dmod)
        xendevicemodel_close(x->dmod);
    if (x->xch)
        xc_interface_close(x->xch);
    free(x);
}

int hv_xen_dominfo_alive(int n, uint32_t domid, uint32_t info_domid, bool dying)
{
    return n == 1 && info_domid == domid && !dying;
}

int hv_xen_getinfo_failed(int err)
{
    return err == ESRCH ? 0 : -err;
}

/* 4.17 API: xc_domain_getinfo may return the NEXT domain, so compare domid.
 * A dying domain (xl destroy under way) counts as gone: it stays in Xen's
 * list, as "(null) --p--d", until every foreign mapping of its pages is
 * dropped, and the daemon's own mapping of the ioreq page is one of them:
 * waiting for it to vanish would keep it forever (seen on real Xen). */
static int xen_domain_exists(struct hv *hv, uint32_t domid)
{
    xc_dominfo_t info;
    errno = 0;
    int n = xc_domain_getinfo(to_xen(hv)->xch, domid, 1, &info);
    if (n < 0)
        return hv_xen_getinfo_failed(errno ? errno : EIO);
    return hv_xen_dominfo_alive(n, domid, info.domid, n == 1 && info.dying);
}

static int xen_nr_vcpus(struct hv *hv, uint32_t domid, unsigned *n)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_nr_vcpus(dm, domid, n) ? neg_errno() : 0;
}

static int xen_iomem_permission(struct hv *hv, uint32_t domid, uint64_t first_mfn,
                                uint64_t nr_mfns, bool allow)
{
    hv->counters.iomem_permission_calls++;
    return xc_domain_iomem_permission(to_xen(hv)->xch, domid, first_mfn, nr_mfns, allow)
               ? neg_errno() : 0;
}

static int xen_memory_mapping(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn,
                              uint64_t nr, bool add)
{
    int rc;
    if (nr > HV_MAX_PAGES_PER_MAPPING) {
        rc = -E2BIG;    /* what the domctl would say; see the file comment */
    } else {
        errno = 0;
        rc = xc_domain_memory_mapping(to_xen(hv)->xch, domid, gfn, mfn, nr,
                                      add ? DPCI_ADD_MAPPING : DPCI_REMOVE_MAPPING);
        /* libxc returns -EINVAL itself (errno untouched) when the domain is
         * not found, else -1 with errno. */
        if (rc == -EINVAL)
            rc = -EINVAL;
        else if (rc < 0)
            rc = neg_errno();
        else
            rc = 0;
    }
    hv_count_mapping(hv, rc);
    return rc;
}

static int xen_ioreq_create(struct hv *hv, uint32_t domid, int bufioreq, uint16_t *id)
{
    DMOD_OR_FAIL(to_xen(hv));
    ioservid_t sid;
    if (xendevicemodel_create_ioreq_server(dm, domid, bufioreq, &sid))
        return neg_errno();
    *id = sid;
    return 0;
}

static int xen_ioreq_destroy(struct hv *hv, uint32_t domid, uint16_t id)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_destroy_ioreq_server(dm, domid, id) ? neg_errno() : 0;
}

static int xen_ioreq_set_state(struct hv *hv, uint32_t domid, uint16_t id, bool enabled)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_set_ioreq_server_state(dm, domid, id, enabled) ? neg_errno() : 0;
}

static int xen_ioreq_map_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                               uint64_t start, uint64_t end)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_map_io_range_to_ioreq_server(dm, domid, id, is_mmio, start, end)
               ? neg_errno() : 0;
}

static int xen_ioreq_unmap_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                                 uint64_t start, uint64_t end)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_unmap_io_range_from_ioreq_server(dm, domid, id, is_mmio, start, end)
               ? neg_errno() : 0;
}

static int xen_ioreq_map_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                                uint8_t bus, uint8_t dev, uint8_t fn)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_map_pcidev_to_ioreq_server(dm, domid, id, seg, bus, dev, fn)
               ? neg_errno() : 0;
}

static int xen_ioreq_unmap_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                                  uint8_t bus, uint8_t dev, uint8_t fn)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_unmap_pcidev_from_ioreq_server(dm, domid, id, seg, bus, dev, fn)
               ? neg_errno() : 0;
}

/* Arm: only frame XENMEM_resource_ioreq_server_frame_ioreq(0) exists
 * (docs/xen-facts.md "IOREQ server bring-up"). */
static int xen_ioreq_map_page(struct hv *hv, uint32_t domid, uint16_t id, void **page)
{
    struct hv_xen *x = to_xen(hv);
    struct mapped_page *slot = NULL;
    for (unsigned i = 0; i < MAX_MAPPED_PAGES && !slot; i++)
        if (!x->pages[i].res)
            slot = &x->pages[i];
    if (!slot)
        return -ENOSPC;
    xenforeignmemory_handle *fm = fmem_of(x);
    if (!fm)
        return neg_errno();
    void *addr = NULL;
    xenforeignmemory_resource_handle *res = xenforeignmemory_map_resource(
        fm, domid, XENMEM_resource_ioreq_server, id, XENMEM_resource_ioreq_server_frame_ioreq(0),
        1, &addr, PROT_READ | PROT_WRITE, 0);
    if (!res)
        return neg_errno();
    slot->addr = addr;
    slot->res = res;
    *page = addr;
    return 0;
}

static int xen_ioreq_unmap_page(struct hv *hv, uint32_t domid, uint16_t id, void *page)
{
    struct hv_xen *x = to_xen(hv);
    for (unsigned i = 0; i < MAX_MAPPED_PAGES; i++) {
        if (x->pages[i].res && x->pages[i].addr == page) {
            int rc = xenforeignmemory_unmap_resource(x->fmem, x->pages[i].res) ? neg_errno() : 0;
            x->pages[i].res = NULL;
            x->pages[i].addr = NULL;
            return rc;
        }
    }
    return -ENOENT;
}

static int xen_evtchn_fd(struct hv *hv)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    return xce ? xenevtchn_fd(xce) : neg_errno();
}

static int xen_evtchn_bind(struct hv *hv, uint32_t domid, uint32_t remote_port)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    if (!xce)
        return neg_errno();
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, domid, remote_port);
    return p < 0 ? neg_errno() : (int)p;
}

static int xen_evtchn_unbind(struct hv *hv, uint32_t port)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    if (!xce)
        return neg_errno();
    return xenevtchn_unbind(xce, port) ? neg_errno() : 0;
}

static int xen_evtchn_pending(struct hv *hv)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    if (!xce)
        return neg_errno();
    xenevtchn_port_or_error_t p = xenevtchn_pending(xce);
    return p < 0 ? neg_errno() : (int)p;
}

static int xen_evtchn_unmask(struct hv *hv, uint32_t port)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    if (!xce)
        return neg_errno();
    return xenevtchn_unmask(xce, port) ? neg_errno() : 0;
}

static int xen_evtchn_notify(struct hv *hv, uint32_t port)
{
    xenevtchn_handle *xce = xce_of(to_xen(hv));
    if (!xce)
        return neg_errno();
    return xenevtchn_notify(xce, port) ? neg_errno() : 0;
}

static int xen_iommu_enabled(struct hv *hv)
{
    xc_physinfo_t info = { 0 };

    if (xc_physinfo(to_xen(hv)->xch, &info))
        return neg_errno();
    return (info.capabilities & XEN_SYSCTL_PHYSCAP_directio) ? 1 : 0;
}

static int xen_test_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    return xc_test_assign_device(to_xen(hv)->xch, domid, sbdf) ? neg_errno() : 0;
}

/* flags: XEN_DOMCTL_DEV_RDM_RELAXED is x86-only (reserved device memory). */
static int xen_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    return xc_assign_device(to_xen(hv)->xch, domid, sbdf, 0) ? neg_errno() : 0;
}

static int xen_deassign_device(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    return xc_deassign_device(to_xen(hv)->xch, domid, sbdf) ? neg_errno() : 0;
}

static int xen_set_irq_level(struct hv *hv, uint32_t domid, uint32_t irq, unsigned level)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_set_irq_level(dm, domid, irq, level) ? neg_errno() : 0;
}

static int xen_set_pci_intx_level(struct hv *hv, uint32_t domid, uint16_t seg, uint8_t bus,
                                  uint8_t dev, uint8_t intx, unsigned level)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_set_pci_intx_level(dm, domid, seg, bus, dev, intx, level)
               ? neg_errno() : 0;
}

static int xen_inject_msi(struct hv *hv, uint32_t domid, uint64_t addr, uint32_t data)
{
    DMOD_OR_FAIL(to_xen(hv));
    return xendevicemodel_inject_msi(dm, domid, addr, data) ? neg_errno() : 0;
}

/* XEN_DMOP_pcipt_its_device (pcipt/hv/xen_dmop_its.h).  Through the
 * privcmd DM_OP ioctl rather than libxencall: the kernel pins our buffer
 * and hands it to HYPERVISOR_dm_op itself (the way libxendevicemodel
 * issues its own ops), so no hypercall buffer, no new library, and the OUT
 * field lands in our struct.  An unpatched Xen answers -EOPNOTSUPP (its
 * dm_op table ends before 0x70). */
static int xen_its_device(struct hv *hv, uint32_t domid, uint32_t guest_devid,
                          uint32_t machine_sbdf, uint32_t nr_events, bool bind,
                          uint32_t *host_devid)
{
    struct pcipt_xen_dm_op op = { .op = PCIPT_XEN_DMOP_ITS_DEVICE };
    privcmd_dm_op_buf_t buf = { .uptr = &op, .size = sizeof(op) };
    privcmd_dm_op_t call = { .dom = (domid_t)domid, .num = 1, .ubufs = &buf };
    int fd, rc;

    op.u.its_device = (struct pcipt_xen_dm_op_its_device){
        .guest_devid = guest_devid, .machine_sbdf = machine_sbdf,
        .nr_events = bind ? nr_events : 0, .flags = bind ? PCIPT_XEN_DMOP_ITS_BIND : 0 };
    hv->counters.dm_op_calls++;
    fd = open(XEN_PRIVCMD, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return neg_errno();
    rc = ioctl(fd, IOCTL_PRIVCMD_DM_OP, &call) < 0 ? neg_errno() : 0;
    close(fd);
    if (!rc && host_devid)
        *host_devid = op.u.its_device.host_devid;
    return rc;
}

/* XENVER_version answers (major << 16) | minor, never an error code on
 * success (xen/include/public/version.h). */
static int xen_xen_version(struct hv *hv, unsigned *major, unsigned *minor)
{
    int v = xc_version(to_xen(hv)->xch, XENVER_version, NULL);

    if (v < 0)
        return neg_errno();
    *major = (unsigned)v >> 16;
    *minor = (unsigned)v & 0xffff;
    return 0;
}

/* hypfs /buildinfo/config (xen/common/Kconfig HYPFS_CONFIG): the .config
 * the running hypervisor was built with.  A handle of its own, opened and
 * closed here: only `pcipt check` asks. */
static int xen_build_config(struct hv *hv, char **text)
{
    xenhypfs_handle *h = xenhypfs_open(NULL, 0);
    int rc = 0;

    if (!h)
        return neg_errno();
    *text = xenhypfs_read(h, "/buildinfo/config");
    if (!*text)
        rc = neg_errno();
    xenhypfs_close(h);
    return rc;
}

static const struct hv_ops xen_ops = {
    .name = "xen",
    .close = xen_close,
    .domain_exists = xen_domain_exists,
    .domain_nr_vcpus = xen_nr_vcpus,
    .iomem_permission = xen_iomem_permission,
    .memory_mapping = xen_memory_mapping,
    .ioreq_create = xen_ioreq_create,
    .ioreq_destroy = xen_ioreq_destroy,
    .ioreq_set_state = xen_ioreq_set_state,
    .ioreq_map_range = xen_ioreq_map_range,
    .ioreq_unmap_range = xen_ioreq_unmap_range,
    .ioreq_map_pcidev = xen_ioreq_map_pcidev,
    .ioreq_unmap_pcidev = xen_ioreq_unmap_pcidev,
    .ioreq_map_page = xen_ioreq_map_page,
    .ioreq_unmap_page = xen_ioreq_unmap_page,
    .evtchn_fd = xen_evtchn_fd,
    .evtchn_bind = xen_evtchn_bind,
    .evtchn_unbind = xen_evtchn_unbind,
    .evtchn_pending = xen_evtchn_pending,
    .evtchn_unmask = xen_evtchn_unmask,
    .evtchn_notify = xen_evtchn_notify,
    .set_irq_level = xen_set_irq_level,
    .set_pci_intx_level = xen_set_pci_intx_level,
    .inject_msi = xen_inject_msi,
    .its_device = xen_its_device,
    .iommu_enabled = xen_iommu_enabled,
    .test_assign_device = xen_test_assign_device,
    .assign_device = xen_assign_device,
    .deassign_device = xen_deassign_device,
    .xen_version = xen_xen_version,
    .build_config = xen_build_config,
};

int hv_xen_open(struct hv **out, char *err, size_t errlen)
{
    if (access(XEN_PRIVCMD, R_OK | W_OK) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot use the Xen hypervisor: %s: %s (this is not a Xen dom0, "
                 "or xen privcmd is not loaded; use --hv sim to simulate)", XEN_PRIVCMD,
                 strerror(e));
        return -e;
    }
    struct hv_xen *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* NULL loggers: libxen* log their own errors to stderr (linking
     * libxentoollog directly would need another pkg-config module). */
    x->xch = xc_interface_open(NULL, NULL, 0);
    if (!x->xch) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "cannot open the Xen control interface (xc_interface_open): %s",
                 strerror(e));
        xen_close(&x->hv);
        return -e;
    }
    x->hv.ops = &xen_ops;
    x->hv.priv = x;
    *out = &x->hv;
    return 0;
}
