/* Shared helpers for the simulated guest's tests. */
#ifndef TESTS_GUEST_ENUM_UTIL_H
#define TESTS_GUEST_ENUM_UTIL_H

#include "pcipt/simulate/guest_enum.h"
#include "tests/support/fake_ecam.h"

/* Run one enumeration of fe with cfg into a malloc'd result (asserts 0). */
struct guest_enum_result *get_run(struct fake_ecam *fe, const struct guest_enum_config *cfg);
/* A standard bus (1 bus at 0x10000000) and its enumeration with the
 * standard config. */
struct guest_enum_result *get_standard(struct fake_ecam **fe_out);
const struct guest_func *get_func(const struct guest_enum_result *r, uint8_t bus, uint8_t dev,
                                  uint8_t fn);

#endif
