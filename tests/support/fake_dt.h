/* A fake /proc/device-tree (and sysfs links) in a temporary directory:
 * one directory per node, one file per property holding big-endian cells,
 * exactly as the kernel presents them. */
#ifndef TESTS_FAKE_DT_H
#define TESTS_FAKE_DT_H

#include <stdint.h>

/* mkdir -p root/rel; returns the full path in a static ring of buffers. */
const char *fakedt_node(const char *root, const char *rel);
void fakedt_cells(const char *node, const char *prop, const uint32_t *cells, unsigned n);
void fakedt_str(const char *node, const char *prop, const char *val);
/* A symlink at root/rel (parents created) pointing to target. */
void fakedt_link(const char *root, const char *rel, const char *target);
/* rm -rf dir */
void fakedt_remove(const char *dir);

#endif
