/* Write the guest's host bridge nodes as a partial FDT (see guest_dt.h).
 * libfdt's sequential-write API builds the blob; guest_dt_plan.c has already
 * checked that every value fits. */
#include "pcipt/xl/guest_dt.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "its/its_vits.h"
#include "pcipt/xl/guest_dt_plan.h"
#include "pcipt/util/file_replace.h"

/* The root's and /passthrough's cells (GUEST_ROOT_ADDRESS_CELLS/SIZE_CELLS). */
#define ROOT_CELLS 2
/* GIC interrupt specifier (arm,gic-v3 binding): <type number flags>. */
#define GIC_SPI             0u
#define IRQ_TYPE_LEVEL_HIGH 4u

void dtb_options_default(struct dtb_options *o)
{
    memset(o, 0, sizeof(*o));
    o->xen_major = 4;
    o->xen_minor = 17;
    o->its_base = ITS_GUEST_VITS_BASE;
    o->its_phandle = GUEST_PHANDLE_ITS_DEFAULT;
    o->gic_phandle = PCIPT_PHANDLE_GIC;
    o->gic_address_cells = GUEST_GIC_ADDRESS_CELLS;
}

uint32_t dtb_prefetch_phys_hi(unsigned xen_major, unsigned xen_minor)
{
    /* "arm/vpci: make prefetchable mem 64 bit" (232ee07c23, Xen 4.19). */
    if (xen_major > 4 || (xen_major == 4 && xen_minor >= 19))
        return OF_PCI_PREF_MEM64;
    return OF_PCI_PREF_MEM32;
}

/* A growable array of big-endian cells for one property. */
struct cells {
    unsigned n;
    fdt32_t v[DTB_MAX_ROUTES * 12];   /* interrupt-map: <4 + 1 + 3 + 3> per route at most */
};

static void put(struct cells *c, uint32_t v)
{
    if (c->n < sizeof(c->v) / sizeof(c->v[0]))
        c->v[c->n++] = cpu_to_fdt32(v);
}

static void put64(struct cells *c, uint64_t v)
{
    put(c, (uint32_t)(v >> 32));
    put(c, (uint32_t)v);
}

static int prop_cells(void *fdt, const char *name, const struct cells *c)
{
    return fdt_property(fdt, name, c->v, (int)(c->n * sizeof(c->v[0])));
}

static int bridge_ranges(void *fdt, const struct guest_layout *lay, const struct dtb_options *o)
{
    struct cells c = { 0 };

    /* <phys.hi phys.mid phys.lo  cpu.hi cpu.lo  size.hi size.lo>, PCI
     * address identical to the CPU address as in libxl's vpci ranges. */
    put(&c, OF_PCI_MEM32);
    put64(&c, lay->mem_base);
    put64(&c, lay->mem_base);
    put64(&c, lay->mem_size);
    if (lay->pref_size) {
        put(&c, dtb_prefetch_phys_hi(o->xen_major, o->xen_minor));
        put64(&c, lay->pref_base);
        put64(&c, lay->pref_base);
        put64(&c, lay->pref_size);
    }
    return prop_cells(fdt, "ranges", &c);
}

static int bridge_interrupt_map(void *fdt, const struct dtb_bridge *b, const struct dtb_options *o)
{
    struct cells map = { 0 }, mask = { 0 };
    int rc;

    if (!b->nroutes)
        return 0;
    for (unsigned i = 0; i < b->nroutes; i++) {
        const struct dtb_intx_route *r = &b->routes[i];
        /* child: <phys.hi 0 0 pin>, phys.hi = bus<<16 | dev<<11 | fn<<8 */
        put(&map, ((uint32_t)r->bus << 16) | ((uint32_t)r->slot << 11));
        put(&map, 0);
        put(&map, 0);
        put(&map, r->pin);
        /* parent: phandle, #address-cells zeros, <GIC_SPI spi-32 level-high> */
        put(&map, o->gic_phandle);
        for (unsigned k = 0; k < o->gic_address_cells; k++)
            put(&map, 0);
        put(&map, GIC_SPI);
        put(&map, r->spi - 32);
        put(&map, IRQ_TYPE_LEVEL_HIGH);
    }
    put(&mask, 0xf800);
    put(&mask, 0);
    put(&mask, 0);
    put(&mask, 7);
    rc = prop_cells(fdt, "interrupt-map", &map);
    return rc ? rc : prop_cells(fdt, "interrupt-map-mask", &mask);
}

static int bridge_msi_map(void *fdt, const struct dtb_bridge *b, const struct dtb_options *o)
{
    struct cells c = { 0 };

    if (!o->vits)
        return 0;
    /* (rid-base, msi-controller, msi-base, length): DeviceID = seg<<16 | RID,
     * the identity for segment 0 (what the downstream domU vITS expects). */
    put(&c, 0);
    put(&c, o->its_phandle);
    put(&c, (uint32_t)b->seg << 16);
    put(&c, 0x10000);
    return prop_cells(fdt, "msi-map", &c);
}

static int bridge_node(void *fdt, const struct dtb_bridge *b, const struct guest_layout *lay,
                       const struct dtb_options *o)
{
    uint64_t reg_base = lay->ecam_base + (uint64_t)b->bus_first * DTB_ECAM_BUS_SIZE;
    uint64_t reg_size = ((uint64_t)b->bus_last - b->bus_first + 1) * DTB_ECAM_BUS_SIZE;
    struct cells reg = { 0 }, range = { 0 };
    char name[32];
    int rc;

    snprintf(name, sizeof(name), "pcie@%llx", (unsigned long long)reg_base);
    put64(&reg, reg_base);
    put64(&reg, reg_size);
    put(&range, b->bus_first);
    put(&range, b->bus_last);
    if ((rc = fdt_begin_node(fdt, name)) ||
        (rc = fdt_property_string(fdt, "compatible", "pci-host-ecam-generic")) ||
        (rc = fdt_property_string(fdt, "device_type", "pci")) ||
        (rc = prop_cells(fdt, "reg", &reg)) ||
        (rc = prop_cells(fdt, "bus-range", &range)) ||
        (rc = fdt_property_cell(fdt, "#address-cells", 3)) ||
        (rc = fdt_property_cell(fdt, "#size-cells", 2)) ||
        (rc = fdt_property_cell(fdt, "#interrupt-cells", 1)) ||
        (rc = bridge_ranges(fdt, lay, o)) ||
        (rc = fdt_property_cell(fdt, "linux,pci-domain", b->seg)) ||
        (rc = fdt_property(fdt, "dma-coherent", NULL, 0)) ||
        (rc = bridge_interrupt_map(fdt, b, o)) ||
        (rc = bridge_msi_map(fdt, b, o)) ||
        (rc = fdt_property_string(fdt, "status", "okay")))
        return rc;
    return fdt_end_node(fdt);
}

/* The guest's ITS, beside the bridges so that msi-map's phandle resolves
 * inside /passthrough (libxl copies nothing else from a partial FDT):
 * the arm,gic-v3-its binding's compatible, msi-controller and
 * #msi-cells = <1> (the msi-map tuples carry one DeviceID cell), reg =
 * GUEST_GICV3_ITS_BASE/SIZE of the vITS patch
 * (toolstack-hooks/xen-patches/4.17/0006-arm-vits-domu-pcipt.patch). */
static int its_node(void *fdt, const struct dtb_options *o)
{
    struct cells reg = { 0 };
    char name[32];
    int rc;

    if (!o->vits)
        return 0;
    snprintf(name, sizeof(name), "its@%llx", (unsigned long long)o->its_base);
    put64(&reg, o->its_base);
    put64(&reg, ITS_GUEST_VITS_SIZE);
    if ((rc = fdt_begin_node(fdt, name)) ||
        (rc = fdt_property_string(fdt, "compatible", "arm,gic-v3-its")) ||
        (rc = fdt_property(fdt, "msi-controller", NULL, 0)) ||
        (rc = fdt_property_cell(fdt, "#msi-cells", 1)) ||
        (rc = prop_cells(fdt, "reg", &reg)) ||
        (rc = fdt_property_cell(fdt, "phandle", o->its_phandle)))
        return rc;
    return fdt_end_node(fdt);
}

static int write_tree(void *fdt, size_t size, const struct dtb_plan *p,
                      const struct guest_layout *lay, const struct dtb_options *o)
{
    int rc;

    if ((rc = fdt_create(fdt, (int)size)) ||
        (rc = fdt_finish_reservemap(fdt)) ||
        (rc = fdt_begin_node(fdt, "")) ||
        (rc = fdt_property_cell(fdt, "#address-cells", ROOT_CELLS)) ||
        (rc = fdt_property_cell(fdt, "#size-cells", ROOT_CELLS)) ||
        (rc = fdt_begin_node(fdt, "passthrough")) ||
        (rc = fdt_property_string(fdt, "compatible", "simple-bus")) ||
        (rc = fdt_property(fdt, "ranges", NULL, 0)) ||
        (rc = fdt_property_cell(fdt, "#address-cells", ROOT_CELLS)) ||
        (rc = fdt_property_cell(fdt, "#size-cells", ROOT_CELLS)))
        return rc;
    for (unsigned i = 0; i < p->nbridges; i++)
        if ((rc = bridge_node(fdt, &p->bridges[i], lay, o)))
            return rc;
    if ((rc = its_node(fdt, o)) || (rc = fdt_end_node(fdt)) || (rc = fdt_end_node(fdt)))
        return rc;
    return fdt_finish(fdt);
}

static int check_options(const struct dtb_options *o, char *err, size_t errlen)
{
    if (o->xen_major < 4 || (o->xen_major == 4 && o->xen_minor < 16)) {
        snprintf(err, errlen, "Xen %u.%u has no guest vPCI windows (they appeared in 4.16)",
                 o->xen_major, o->xen_minor);
        return -EINVAL;
    }
    if (o->vits && (o->its_phandle == 0 || o->its_phandle == 0xffffffffu ||
                    o->its_phandle == o->gic_phandle)) {
        snprintf(err, errlen, "ITS phandle %#x is not usable", o->its_phandle);
        return -EINVAL;
    }
    if (o->vits && (o->its_base == 0 || o->its_base % 0x10000)) {
        snprintf(err, errlen, "ITS address %#llx is not a 64 KiB aligned guest address",
                 (unsigned long long)o->its_base);
        return -EINVAL;
    }
    if (o->gic_phandle == 0 || o->gic_phandle == 0xffffffffu || o->gic_address_cells > 3) {
        snprintf(err, errlen, "GIC phandle %#x / #address-cells %u is not usable",
                 o->gic_phandle, o->gic_address_cells);
        return -EINVAL;
    }
    return 0;
}

int dtb_build(const struct domain_assign *da, const struct guest_layout *lay,
              const struct dtb_options *o, void *buf, size_t bufsize,
              char *err, size_t errlen)
{
    struct dtb_plan *plan;
    int rc;

    if (!buf || bufsize > INT32_MAX) {
        snprintf(err, errlen, "no usable buffer for the device tree");
        return -EINVAL;
    }
    if ((rc = check_options(o, err, errlen)))
        return rc;
    plan = malloc(sizeof(*plan));
    if (!plan) {
        snprintf(err, errlen, "out of memory building the device tree");
        return -ENOMEM;
    }
    rc = dtb_plan_make(da, lay, o->empty_bridge, plan, err, errlen);
    if (!rc) {
        rc = write_tree(buf, bufsize, plan, lay, o);
        if (rc == -FDT_ERR_NOSPACE) {
            snprintf(err, errlen, "the device tree does not fit in %zu bytes", bufsize);
            rc = -ENOSPC;
        } else if (rc) {
            snprintf(err, errlen, "libfdt: %s", fdt_strerror(rc));
            rc = -EIO;
        } else {
            rc = (int)fdt_totalsize(buf);
        }
    }
    free(plan);
    return rc;
}

int dtb_write_file(const char *path, const struct domain_assign *da,
                   const struct guest_layout *lay, const struct dtb_options *o,
                   char *err, size_t errlen)
{
    char *blob;
    int size, rc;

    blob = malloc(DTB_MAX_SIZE);
    if (!blob) {
        snprintf(err, errlen, "out of memory writing %s", path);
        return -ENOMEM;
    }
    size = dtb_build(da, lay, o, blob, DTB_MAX_SIZE, err, errlen);
    if (size < 0) {
        free(blob);
        return size;
    }
    if ((rc = file_replace(path, blob, (size_t)size, 0644)))
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    free(blob);
    return rc;
}
