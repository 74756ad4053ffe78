/* The fixed INTx route (see intx_route.h). */
#include "pcipt/assign/intx_route.h"

uint32_t intx_route_spi(const struct guest_layout *lay, uint8_t slot, uint8_t pin)
{
    if (slot < INTX_ROUTE_FIRST_SLOT || slot > INTX_ROUTE_LAST_SLOT || pin < 1 ||
        pin > INTX_ROUTE_PINS || lay->spi_count == 0)
        return 0;
    return lay->spi_base + ((uint32_t)(slot - 1) + (uint32_t)(pin - 1)) % lay->spi_count;
}
