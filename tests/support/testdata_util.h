/* Real test data (tests/data/dumps): dump paths and loads, sysfs-shaped
 * trees from dumps in /tmp, lspci's size text. */
#ifndef TESTS_TESTDATA_UTIL_H
#define TESTS_TESTDATA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tests/support/sysfs_tree.h"

/* $PCIPT_SRC/tests/data/dumps/<name> into buf. */
const char *testdata_dump_path(const char *name, char *buf, size_t len);
/* A fresh tree in dir (>= 64 bytes) from dump <name>; fails the test on error. */
void testdata_tree(const char *name, const struct tree_opts *o, char *dir, size_t len);
/* Load dump <name>; fails the test on error. */
void testdata_dump(const char *name, struct dump *d);
/* "16K" / "4M" / "32" (lspci's size text) in bytes; 0 if not a size. */
uint64_t testdata_parse_size(const char *s);

#endif
