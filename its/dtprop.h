/* Device-tree properties as /proc/device-tree presents them: a directory
 * per node, a file per property holding its raw (big-endian) bytes. */
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

#endif
