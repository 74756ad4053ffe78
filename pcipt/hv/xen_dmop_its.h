/* Our copy of the layout of XEN_DMOP_pcipt_its_device, the DM op the
 * project's Xen patch adds (toolstack-hooks/xen-patches/4.17/
 * 0006-arm-vits-domu-pcipt.patch, the xen/include/public/hvm/dm_op.h hunk):
 * Debian's Xen headers predate it, so the struct is defined here and pinned
 * by _Static_assert to the patch's layout.  struct xen_dm_op is op, pad,
 * then a union whose member for this op is the struct below; Xen reads
 * offsetof(u) + sizeof(member) bytes of the first buffer and copies them
 * back (host_devid is OUT). */
#ifndef PCIPT_HV_XEN_DMOP_ITS_H
#define PCIPT_HV_XEN_DMOP_ITS_H

#include <stddef.h>
#include <stdint.h>

#define PCIPT_XEN_DMOP_ITS_DEVICE 0x70u
#define PCIPT_XEN_DMOP_ITS_BIND   (1u << 0)

struct pcipt_xen_dm_op_its_device {
    uint32_t guest_devid;   /* IN: the guest's ITS DeviceID */
    uint32_t machine_sbdf;  /* IN: seg<<16 | bus<<8 | devfn */
    uint32_t nr_events;     /* IN: power of two >= 32 (bind) */
    uint32_t flags;         /* IN: PCIPT_XEN_DMOP_ITS_BIND or 0 (unbind) */
    uint32_t host_devid;    /* OUT */
    uint32_t pad;           /* must be 0 */
};

struct pcipt_xen_dm_op {
    uint32_t op;
    uint32_t pad;
    union {
        struct pcipt_xen_dm_op_its_device its_device;
        uint64_t align;     /* the real union holds 64-bit members */
    } u;
};

_Static_assert(sizeof(struct pcipt_xen_dm_op_its_device) == 24, "patch: six uint32_t");
_Static_assert(offsetof(struct pcipt_xen_dm_op_its_device, host_devid) == 16,
               "patch: host_devid after flags");
_Static_assert(offsetof(struct pcipt_xen_dm_op, u) == 8, "xen_dm_op: op, pad, then u");
_Static_assert(sizeof(struct pcipt_xen_dm_op) == 32, "xen_dm_op: 8 + 24");

#endif
