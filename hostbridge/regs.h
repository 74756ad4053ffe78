/* The generic config-space register engine: static, const descriptor tables
 * (one descriptor per register), validated when registered, instantiated per
 * virtual device as a sorted array searched by binary search, and one
 * split/merge path for reads and writes that span registers and gaps.
 *
 * Mask semantics (PCI Local Bus 3.0 §6.1, PCIe Base §7.4 "register attributes"):
 *   ro     read-only: guest writes never change these bits;
 *   rw1c   write-1-to-clear: a 1 written clears the bit, a 0 leaves it;
 *   rsvdp  reserved-preserved: read as 0 by the guest, writes ignored;
 *   rsvdz  reserved-zero: read as 0, writes ignored;
 *   every other bit inside the register's size is read-write.
 * The four masks must be disjoint and lie inside the register's size. */
#ifndef HOSTBRIDGE_REGS_H
#define HOSTBRIDGE_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "hostbridge/common/size_mask.h"

struct vdev;
struct vreg;

enum reg_src {
    REG_EMULATED,   /* value kept in the engine; the host is never read */
    REG_HOST_RO,    /* read from the host on every access, guest writes dropped */
    REG_HOST_RW,    /* read from the host; writable bits written to the host */
    REG_ZERO,       /* reads 0, writes dropped */
    REG_MIXED,      /* emulated, except the bits of host_mask which come from
                       the host (read-only) */
};

/* read: given the value the source produced, return what the guest sees.
 * write: called after the masks were applied; `val` is the merged new value
 * (already stored in r->val for emulated registers), `old` the previous guest
 * view, `wmask` the bits the guest's access actually covered. */
typedef uint32_t (*reg_read_fn)(struct vdev *v, const struct vreg *r, uint32_t val);
typedef void (*reg_write_fn)(struct vdev *v, struct vreg *r, uint32_t val,
                             uint32_t old, uint32_t wmask);

struct reg_desc {
    const char *name;
    uint16_t offset;        /* relative to the table's base */
    uint8_t size;           /* 1, 2 or 4 */
    enum reg_src src;
    uint32_t init;
    uint32_t ro, rw1c, rsvdp, rsvdz;
    uint32_t host_mask;     /* REG_MIXED only */
    reg_read_fn read;
    reg_write_fn write;
};

struct reg_table {
    const char *name;
    const struct reg_desc *regs;
    unsigned n;
    uint16_t span;          /* bytes covered from the base (for placement checks) */
};

#define REG_TABLE(nm, arr, sp) { (nm), (arr), sizeof(arr) / sizeof((arr)[0]), (sp) }

/* One register of one device. */
struct vreg {
    const struct reg_desc *d;
    uint16_t off;           /* absolute config-space offset */
    uint16_t base;          /* absolute offset of the table's base (capability) */
    uint32_t val;           /* emulated value */
    uint32_t reset;         /* power-on value (restored by a function reset) */
    int aux;                /* table-specific: BAR index */
};

struct regset {
    struct vreg *r;
    unsigned n, cap;
};

/* Check one descriptor on its own: size, alignment, masks.  0 or -EINVAL. */
int reg_desc_check(const struct reg_desc *d, uint16_t base);
/* Check a whole table: every descriptor, plus sorted/non-overlapping and inside span. */
int reg_table_check(const struct reg_table *t);

/* Add the table's descriptors whose offset + size <= limit, at `base`.
 * All or nothing: -EINVAL (bad descriptor, beyond 4 KiB), -EEXIST (overlap
 * with a register already in the set), -ENOMEM. */
int regset_add_table(struct regset *s, const struct reg_table *t, uint16_t base,
                     uint16_t limit, int aux);
int regset_add(struct regset *s, const struct reg_desc *d, uint16_t base, int aux);
struct vreg *regset_find(const struct regset *s, uint16_t off);
void regset_free(struct regset *s);

/* The generic path: size 1, 2 or 4, naturally aligned, inside 4 KiB (the
 * caller validated).  Gaps read 0 and ignore writes. */
uint32_t regs_read(struct vdev *v, struct regset *s, unsigned off, unsigned size);
void regs_write(struct vdev *v, struct regset *s, unsigned off, unsigned size, uint32_t data);
/* The guest view of one whole register (sources, hooks, reserved masks). */
uint32_t vreg_read(struct vdev *v, const struct vreg *r);

/* Every static table in the engine, for the validation test. */
extern const struct reg_table *const engine_tables[];
extern const unsigned engine_tables_count;

#endif
