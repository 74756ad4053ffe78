/* The type-0 header (PCI Local Bus 3.0 §6.2) of a passed-through function and
 * of the root complex.  BARs and the ROM BAR are registered by bar.c. */
#include <errno.h>

#include "hostbridge/vdev.h"

#define CMD_IO          0x0001
#define CMD_MEMORY      0x0002
#define CMD_MASTER      0x0004
#define CMD_INTX_DIS    0x0400
#define HDR_MULTIFN     0x80

static uint32_t header_type_read(struct vdev *v, const struct vreg *r, uint32_t val)
{
    /* §6.2.1: bit 7 of function 0's header type says the device has other
     * functions; we present the virtual slot's layout, not the host's. */
    val &= 0x7f;
    if (v->fn == 0 && vdev_slot_is_multifunction(v))
        val |= HDR_MULTIFN;
    return val;
}

static void bus_master_event(struct vdev *v, bool on)
{
    struct vdev_event ev = { .type = VDEV_EV_BUS_MASTER, .bar = -1, .enable = on };
    vdev_emit(v, &ev);
}

void header_bus_master_off_locked(struct vdev *v)
{
    struct vreg *r = v->dma ? regset_find(&v->regs, 0x04) : NULL;

    if (r && (r->val & CMD_MASTER))
        bus_master_event(v, false);
}

/* Bus Master (§6.2.2 bit 2) lets the function issue DMA.  Without an IOMMU
 * context for the function (vdev_config.dma false) the guest's DMA would
 * reach host physical memory (xen-arm-dma-msi.md section 1): the bit reads
 * 0 and the host's stays off.  Otherwise the service follows it on the
 * host. */
static void command_write(struct vdev *v, struct vreg *r, uint32_t val, uint32_t old,
                          uint32_t wmask)
{
    uint32_t rom = bar_rom_ctrl(v);
    if (!v->dma) {
        r->val &= ~(uint32_t)CMD_MASTER;
        val &= ~(uint32_t)CMD_MASTER;
        old &= ~(uint32_t)CMD_MASTER;
    } else if ((val ^ old) & CMD_MASTER) {
        bus_master_event(v, val & CMD_MASTER);
    }
    if ((val ^ old) & CMD_MEMORY)
        bars_update_mapping(v, (uint16_t)old, (uint16_t)val, rom, rom);
    if ((val ^ old) & CMD_INTX_DIS) {
        struct vdev_event ev = { .type = VDEV_EV_INTX, .bar = -1 };
        vdev_emit(v, &ev);
    }
}

/* Command: decode, bus master and INTx-disable are emulated (the host's
 * command register belongs to the service, which follows Bus Master when
 * the vdev has .dma); every other bit is RsvdP. */
#define HOST_RO(off, sz, nm) { .name = nm, .offset = off, .size = sz, .src = REG_HOST_RO, \
                               .ro = (uint32_t)((1ull << (sz * 8)) - 1) }
#define ZERO(off, sz, nm) { .name = nm, .offset = off, .size = sz, .src = REG_ZERO, \
                            .ro = (uint32_t)((1ull << (sz * 8)) - 1) }

static const struct reg_desc header_regs[] = {
    HOST_RO(0x00, 2, "vendor"),
    HOST_RO(0x02, 2, "device"),
    { .name = "command", .offset = 0x04, .size = 2, .src = REG_EMULATED,
      .rsvdp = 0xffff & ~(CMD_IO | CMD_MEMORY | CMD_MASTER | CMD_INTX_DIS),
      .write = command_write },
    /* Status §6.2.3: Interrupt Status (3), 66 MHz (5), Fast B2B (7), DEVSEL
     * (10:9) from the host; Capabilities List (4) follows the filtered list;
     * the error bits (8, 15:11) are RW1C, emulated. */
    { .name = "status", .offset = 0x06, .size = 2, .src = REG_MIXED,
      .host_mask = 0x06a8, .ro = 0x06b8, .rw1c = 0xf900, .rsvdz = 0x0047 },
    HOST_RO(0x08, 4, "revision/class"),
    { .name = "cache line size", .offset = 0x0c, .size = 1, .src = REG_EMULATED },
    { .name = "latency timer", .offset = 0x0d, .size = 1, .src = REG_EMULATED },
    { .name = "header type", .offset = 0x0e, .size = 1, .src = REG_EMULATED, .ro = 0xff,
      .read = header_type_read },
    ZERO(0x0f, 1, "BIST"),
    ZERO(0x28, 4, "CardBus CIS"),
    HOST_RO(0x2c, 2, "subsystem vendor"),
    HOST_RO(0x2e, 2, "subsystem"),
    { .name = "capabilities pointer", .offset = 0x34, .size = 1, .src = REG_EMULATED, .ro = 0xff },
    ZERO(0x35, 1, "reserved"),
    ZERO(0x36, 2, "reserved"),
    ZERO(0x38, 4, "reserved"),
    { .name = "interrupt line", .offset = 0x3c, .size = 1, .src = REG_EMULATED },
    HOST_RO(0x3d, 1, "interrupt pin"),
    ZERO(0x3e, 1, "min grant"),
    ZERO(0x3f, 1, "max latency"),
};
const struct reg_table header_table = REG_TABLE("type-0 header", header_regs, 0x40);

/* The root complex at bus_start:00.0: a host bridge (class 06 00 00),
 * fully emulated, no BARs, no capabilities. */
#define RC_RO(off, sz, nm, v) { .name = nm, .offset = off, .size = sz, .src = REG_EMULATED, \
                                .init = v, .ro = (uint32_t)((1ull << (sz * 8)) - 1) }
static const struct reg_desc root_regs[] = {
    RC_RO(0x00, 2, "vendor", RC_VENDOR_ID),
    RC_RO(0x02, 2, "device", RC_DEVICE_ID),
    { .name = "command", .offset = 0x04, .size = 2, .src = REG_EMULATED,
      .rsvdp = 0xffff & ~(CMD_MEMORY | CMD_MASTER) },
    { .name = "status", .offset = 0x06, .size = 2, .src = REG_EMULATED,
      .rw1c = 0xf900, .rsvdz = 0x06ff },
    RC_RO(0x08, 4, "revision/class", 0x06000000),
    RC_RO(0x0c, 4, "cls/latency/header/BIST", 0),
    RC_RO(0x2c, 2, "subsystem vendor", RC_VENDOR_ID),
    RC_RO(0x2e, 2, "subsystem", RC_DEVICE_ID),
};
const struct reg_table root_table = REG_TABLE("root complex", root_regs, 0x40);

int header_setup(struct vdev *v)
{
    uint32_t htype = 0;
    int rc = regset_add_table(&v->regs, &header_table, 0, 0x40, -1);
    if (rc)
        return rc;
    /* Read once at setup: the layout bits; multi-function is ours. */
    if ((rc = vdev_host_read(v, 0x0e, 1, &htype)))
        return rc;
    if ((htype & 0x7f) != 0)
        return -ENOTSUP;   /* only type-0 (endpoint) functions are passed through */
    regset_find(&v->regs, 0x0e)->val = regset_find(&v->regs, 0x0e)->reset = 0;
    regset_find(&v->regs, 0x3c)->val = regset_find(&v->regs, 0x3c)->reset = v->intx_line_init;
    return 0;
}

int root_setup(struct vdev *v)
{
    return regset_add_table(&v->regs, &root_table, 0, 0x40, -1);
}

uint16_t vdev_cmd_locked(struct vdev *v)
{
    struct vreg *r = regset_find(&v->regs, 0x04);
    return r ? (uint16_t)r->val : 0;
}
