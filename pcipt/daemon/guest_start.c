#include "pcipt/daemon/guest_start.h"

#define PCI_COMMAND_MEMORY 0x2        /* PCI 3.0 §6.2.2 Command bit 1 */
#define GIC_FIRST_SPI      32u        /* INTIDs 32..1019 are SPIs */

uint8_t guest_intx_line(const struct dev_assign *as)
{
    return as->spi ? (uint8_t)(as->spi - GIC_FIRST_SPI) : 0;
}

void guest_vdev_config(const struct dev_assign *as, struct vdev_config *cfg)
{
    *cfg = (struct vdev_config){ .slot = as->guest.dev, .fn = as->guest.fn,
                                 .intx_line = guest_intx_line(as),
                                 .dma = as->dma != DEV_DMA_OFF };
    for (int i = 0; i < PCI_NUM_RES; i++)
        cfg->guest_bar[i] = as->bars[i].type == BAR_NONE ? 0 : as->bars[i].guest;
}

void guest_firmware_state(const struct vdev *v, struct vdev_state *st)
{
    vdev_save_state(v, st);
    st->command |= PCI_COMMAND_MEMORY;
    for (int i = 0; i < PCI_NUM_BARS; i++) {
        struct vdev_bar_info bi;

        vdev_bar_info(v, i, &bi);
        if ((bi.type == BAR_MEM32 || bi.type == BAR_MEM64) && bi.size)
            st->bars_mapped |= (uint8_t)(1u << i);
    }
}
