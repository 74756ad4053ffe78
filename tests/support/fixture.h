/* Test fixtures: sysfs-shaped trees from tests/data/dumps in /tmp. */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tests/support/sysfs_tree.h"

/* $PCIPT_SRC/tests/data/dumps/<name> into buf. */
const char *fixture_dump_path(const char *name, char *buf, size_t len);
/* A fresh tree in dir (>= 64 bytes) from dump <name>; fails the test on error. */
void fixture_tree(const char *name, const struct tree_opts *o, char *dir, size_t len);
/* Load dump <name>; fails the test on error. */
void fixture_dump(const char *name, struct dump *d);
/* "16K" / "4M" / "32" (lspci's size text) in bytes; 0 if not a size. */
uint64_t fixture_parse_size(const char *s);

#endif
