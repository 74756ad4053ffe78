#include "tests/support/dtb_util.h"

#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dtbt_layout(struct guest_layout *lay)
{
    memset(lay, 0, sizeof(*lay));
    lay->ecam_base = PCIPT_VPCI_ECAM_BASE;
    lay->ecam_size = PCIPT_VPCI_ECAM_SIZE;
    lay->mem_base = PCIPT_VPCI_MEM_ADDR;
    lay->mem_size = PCIPT_VPCI_MEM_SIZE;
    lay->pref_base = PCIPT_VPCI_PREFETCH_MEM_ADDR;
    lay->pref_size = PCIPT_VPCI_PREFETCH_MEM_SIZE;
    lay->spi_base = 44;
    lay->spi_count = 56;
}

void dtbt_add(struct domain_assign *da, uint16_t seg, uint8_t hbus, uint8_t hdev, uint8_t hfn,
              uint8_t gbus, uint8_t gslot, uint8_t gfn, uint8_t pin, uint32_t spi)
{
    struct dev_assign *d;

    ck_assert_uint_lt(da->ndevs, PCIPT_MAX_DEVS);
    d = &da->devs[da->ndevs++];
    memset(d, 0, sizeof(*d));
    d->host = (struct sbdf){ seg, hbus, hdev, hfn };
    d->guest = (struct sbdf){ seg, gbus, gslot, gfn };
    d->intx_pin = pin;
    d->spi = spi;
}

int dtbt_node(const void *fdt, const char *path)
{
    int n = fdt_path_offset(fdt, path);
    ck_assert_msg(n >= 0, "no node %s (%s)", path, fdt_strerror(n));
    return n;
}

void dtbt_assert_cells(const void *fdt, int node, const char *prop, const uint32_t *cells,
                       unsigned n)
{
    int len = -1;
    const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);

    ck_assert_msg(v != NULL, "property %s missing", prop);
    ck_assert_msg(len == (int)(n * 4), "property %s has %d bytes, expected %u", prop, len, n * 4);
    for (unsigned i = 0; i < n; i++)
        ck_assert_msg(fdt32_to_cpu(v[i]) == cells[i], "%s cell %u is %#x, expected %#x",
                      prop, i, fdt32_to_cpu(v[i]), cells[i]);
}

void dtbt_assert_str(const void *fdt, int node, const char *prop, const char *val)
{
    int len = -1;
    const char *v = fdt_getprop(fdt, node, prop, &len);

    ck_assert_msg(v != NULL, "property %s missing", prop);
    ck_assert_int_eq(len, (int)strlen(val) + 1);
    ck_assert_str_eq(v, val);
}

static uint32_t cell(const void *fdt, int node, const char *prop, unsigned i)
{
    int len = -1;
    const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);
    ck_assert_msg(v && len >= (int)((i + 1) * 4), "property %s too short", prop);
    return fdt32_to_cpu(v[i]);
}

static void assert_bridge_fits(const void *fdt, int node, const struct domain_assign *da)
{
    uint32_t seg = cell(fdt, node, "linux,pci-domain", 0);
    uint32_t lo = cell(fdt, node, "bus-range", 0), hi = cell(fdt, node, "bus-range", 1);
    uint64_t base = ((uint64_t)cell(fdt, node, "reg", 0) << 32) | cell(fdt, node, "reg", 1);
    uint64_t size = ((uint64_t)cell(fdt, node, "reg", 2) << 32) | cell(fdt, node, "reg", 3);
    bool lo_used = false, hi_used = false;

    ck_assert_uint_le(lo, hi);
    ck_assert_uint_eq(base, PCIPT_VPCI_ECAM_BASE + ((uint64_t)lo << 20));
    ck_assert_uint_eq(size, (uint64_t)(hi - lo + 1) << 20);
    for (unsigned i = 0; i < da->ndevs; i++) {
        if (da->devs[i].guest.seg != seg)
            continue;
        ck_assert_uint_ge(da->devs[i].guest.bus, lo);
        ck_assert_uint_le(da->devs[i].guest.bus, hi);
        lo_used |= da->devs[i].guest.bus == lo;
        hi_used |= da->devs[i].guest.bus == hi;
    }
    ck_assert_msg(lo_used && hi_used, "bus-range <%u %u> wider than the buses in use", lo, hi);
}

void dtbt_assert_fits(const void *fdt, const struct domain_assign *da)
{
    int pt = fdt_path_offset(fdt, "/passthrough"), n, bridges = 0;
    bool seen[65536] = { false };
    unsigned segs = 0;

    ck_assert_int_ge(pt, 0);
    fdt_for_each_subnode(n, fdt, pt) {
        const char *t = fdt_getprop(fdt, n, "device_type", NULL);
        if (!t || strcmp(t, "pci"))
            continue;           /* the ITS node beside the bridges */
        assert_bridge_fits(fdt, n, da);
        bridges++;
    }
    for (unsigned i = 0; i < da->ndevs; i++)
        if (!seen[da->devs[i].guest.seg]) {
            seen[da->devs[i].guest.seg] = true;
            segs++;
        }
    ck_assert_uint_eq((unsigned)bridges, segs);
}

void *dtbt_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    void *buf;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_gt(n, 0);
    rewind(f);
    buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    ck_assert_msg(fdt_check_header(buf) == 0 && fdt_totalsize(buf) == (uint32_t)n,
                  "%s is not a device tree blob", path);
    return buf;
}

#define GIC_ADDRESS_CELLS   0   /* libxl make_gicv3_node */
#define GIC_INTERRUPT_CELLS 3

bool dtbt_intx_lookup(const void *fdt, int node, uint8_t bus, uint8_t slot, uint8_t pin,
                      uint32_t gic[3])
{
    const uint32_t child[4] = { (uint32_t)bus << 16 | (uint32_t)slot << 11, 0, 0, pin };
    const unsigned entry = 4 + 1 + GIC_ADDRESS_CELLS + GIC_INTERRUPT_CELLS;
    int len = -1, mlen = -1;
    const fdt32_t *map = fdt_getprop(fdt, node, "interrupt-map", &len);
    const fdt32_t *mask = fdt_getprop(fdt, node, "interrupt-map-mask", &mlen);

    ck_assert_msg(map && mask, "interrupt-map or interrupt-map-mask missing");
    ck_assert_int_eq(mlen, 16);
    ck_assert_msg(len > 0 && len % (int)(entry * 4) == 0,
                  "interrupt-map has %d bytes, not entries of %u cells", len, entry);
    for (unsigned e = 0; e < (unsigned)len / (entry * 4); e++) {
        const fdt32_t *c = map + e * entry;
        bool match = true;

        for (unsigned i = 0; i < 4; i++)
            match &= ((child[i] ^ fdt32_to_cpu(c[i])) & fdt32_to_cpu(mask[i])) == 0;
        if (!match)
            continue;
        for (unsigned i = 0; i < GIC_INTERRUPT_CELLS; i++)
            gic[i] = fdt32_to_cpu(c[5 + GIC_ADDRESS_CELLS + i]);
        return true;
    }
    return false;
}

void dtbt_assert_every_slot_routed(const void *fdt, int node, uint32_t spi_base,
                                   uint32_t spi_count, unsigned gic_address_cells)
{
    const unsigned entry = 4 + 1 + gic_address_cells + GIC_INTERRUPT_CELLS;
    int len = -1;
    uint32_t gic[3];

    ck_assert_ptr_nonnull(fdt_getprop(fdt, node, "interrupt-map", &len));
    ck_assert_msg(len == (int)(31 * 4 * entry * 4), "interrupt-map has %d bytes, not 124 "
                  "entries of %u cells", len, entry);
    if (gic_address_cells != GIC_ADDRESS_CELLS)
        return;
    for (uint8_t slot = 1; slot <= 31; slot++)
        for (uint8_t pin = 1; pin <= 4; pin++)
            for (unsigned bus = 0; bus < 256; bus += 85) {
                uint32_t want = spi_base + ((uint32_t)slot - 1 + pin - 1) % spi_count;
                ck_assert_msg(dtbt_intx_lookup(fdt, node, (uint8_t)bus, slot, pin, gic),
                              "bus %u slot %u INT%c: no interrupt-map entry", bus, slot,
                              'A' + pin - 1);
                ck_assert_msg(gic[0] == 0 && gic[1] + 32 == want && gic[2] == 4,
                              "slot %u INT%c: <%u %u %u>, expected SPI %u level-high", slot,
                              'A' + pin - 1, gic[0], gic[1], gic[2], want);
            }
}
