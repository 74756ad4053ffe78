/* A sysfs-shaped tree built from a dump, the layout Linux gives
 * /sys/bus/pci and libpci's sysfs backend reads with `sysfs.path=DIR`:
 *   DIR/devices/SSSS:BB:DD.F/{config,resource,vendor,device,class,
 *       subsystem_vendor,subsystem_device,revision,irq,numa_node,
 *       driver_override,reset_method,reset (with a method: empty, keeps what is
 *       written),driver -> ../../drivers/NAME}
 *   DIR/drivers/NAME/{bind,unbind}, DIR/drivers_probe
 * BAR sizes are not in a dump: each is derived from the address alignment
 * (lowest set bit), capped so that it does not run into the next BAR of
 * the same function, with a per-fixture override table where the
 * derivation is known to be wrong (sizes stated in the dumps' own lspci
 * text, or the device's documented BAR sizes). */
#ifndef TESTS_SYSFS_TREE_H
#define TESTS_SYSFS_TREE_H

#include <stddef.h>

#include "hostbridge/hostdev.h"
#include "tests/support/dump.h"

#define TREE_DRIVER_FROM_DUMP ((const char *)1)

struct tree_opts {
    const char *driver;        /* NULL: unbound; TREE_DRIVER_FROM_DUMP: the dump's own */
    const char *reset_method;  /* NULL: no reset_method file; "" = empty file */
};

/* The BARs as the tree's `resource` file states them (type, prefetch,
 * address, size); index 6 is the ROM.  Sizes as described above. */
void tree_bars(const struct dump_func *f, struct host_bar bars[PCI_NUM_RES]);
/* The alignment-only size of a BAR at addr (no override), as used above. */
uint64_t tree_derive_size(const struct dump_func *f, unsigned index, uint64_t addr, bool io);

int sysfs_tree_add(const char *dir, const struct dump_func *f, const struct tree_opts *o,
                   char *err, size_t errlen);
/* Every function of the dump file; returns 0 or -errno (message in err). */
int sysfs_tree_from_dump(const char *dir, const char *dump_path, const struct tree_opts *o,
                         char *err, size_t errlen);
/* A fresh empty directory /tmp/pcipt-tree.XXXXXX into dir (>= 32 bytes). */
int sysfs_tree_mkdtemp(char *dir, size_t len);
/* rm -r dir. */
void sysfs_tree_remove(const char *dir);

#endif
