/* Device-tree properties as /proc/device-tree presents them (a directory
 * per node, a file per property holding its raw big-endian bytes), or as a
 * flattened tree holds them (libfdt). */
#ifndef ITS_DTPROP_H
#define ITS_DTPROP_H

#include <stddef.h>
#include <stdint.h>

/* Read property `name` of node_dir into buf (cap bytes); *len = its size.
 * -ENOENT if absent, -E2BIG if larger than cap, other -errno on I/O. */
int dt_prop_read(const char *node_dir, const char *name, void *buf, size_t cap, size_t *len);
/* A one-cell property: -ENOENT if absent, -EINVAL if not 4 bytes. */
int dt_prop_u32(const char *node_dir, const char *name, uint32_t *val);
/* Big-endian cell i of a raw property value. */
uint32_t dt_cell(const void *buf, size_t i);

/* One node, in either form: dir (a /proc/device-tree directory) when set,
 * else node `node` of the flattened tree `fdt`.  name: how messages call
 * it (the directory, or the node's path). */
struct dt_src {
    const char *dir;
    const void *fdt;
    int node;
    const char *name;
};
/* dt_prop_read / dt_prop_u32 on either form (same results). */
int dt_src_read(const struct dt_src *s, const char *prop, void *buf, size_t cap, size_t *len);
int dt_src_u32(const struct dt_src *s, const char *prop, uint32_t *val);

#endif
