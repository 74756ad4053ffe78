/* The list of every static register table in the engine (the unit test
 * validates them all). */
#include "hostbridge/vdev.h"

const struct reg_table *const engine_tables[] = {
    &header_table, &root_table, &bar_mem_table, &bar_mem64_hi_table, &bar_zero_table,
    &rom_table, &pm_table, &msi32_table, &msi64_table, &msix_table, &pcie_table,
    &ext_hidden_table,
};
const unsigned engine_tables_count = sizeof(engine_tables) / sizeof(engine_tables[0]);
