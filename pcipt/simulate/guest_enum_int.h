/* Internals of the simulated guest enumerator (pcipt/simulate/guest_enum*.c). */
#ifndef PCIPT_GUEST_ENUM_INT_H
#define PCIPT_GUEST_ENUM_INT_H

#include "hostbridge/common/pci_regs.h"
#include "pcipt/simulate/guest_enum.h"

/* One enumeration's state: the vCPU's accessor and where results go. */
struct genum {
    const struct guest_bus_ops *ops;
    void *ctx;
    const struct guest_enum_config *cfg;
    struct guest_enum_result *res;   /* counts go here (NULL: not counted) */
    int first_err;                   /* first abort's -errno */
};

/* Counted config loads/stores of size 1, 2 or 4 at reg of bdf.  A load
 * that aborts returns all-ones of its size; an aborted store is dropped. */
uint32_t ge_read(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size);
void ge_write(struct genum *g, const struct sbdf *bdf, unsigned reg, unsigned size,
              uint32_t val);

/* guest_enum_probe.c */
void ge_size_bars(struct genum *g, struct guest_func *fn);
/* guest_enum_caps.c */
void ge_walk_caps(struct genum *g, struct guest_func *fn);
void ge_enable_msi(struct genum *g, struct guest_func *fn, uint32_t data);
/* guest_enum_assign.c */
void ge_assign_all(struct genum *g);
void ge_enable_all(struct genum *g);

#endif
