/* Running the built `pcipt simulate` in tests: sysfs trees from the dumps
 * and a run in a private TMPDIR, after which nothing of the run may be
 * left: no directory in TMPDIR and no process (xenstored, the daemon)
 * whose environment names it. */
#ifndef TESTS_SIMULATE_FX_H
#define TESTS_SIMULATE_FX_H

#include <stdbool.h>
#include <stdint.h>

/* A tree with every function of each named dump, held by pciback with an
 * FLR reset method (what attach wants).  dir >= 64 bytes. */
void smx_tree(char *dir, unsigned len, const char *const *dumps, unsigned n);

struct smx_result {
    int status;
    char *out, *err;
    char kept[256];              /* --keep: the directory it printed, else "" */
};
/* `pcipt [--sysfs TREE] simulate ARGS` through run_pcipt() in a private
 * TMPDIR; env: extra "VAR=value " assignments or "".  Asserts nothing is
 * left behind (a --keep directory excepted: the caller removes it). */
void smx_run(const char *tree, const char *env, const char *args, struct smx_result *r);
void smx_free(struct smx_result *r);

/* The text from "Guest view:" up to (not including) "Config accesses:". */
char *smx_device_section(const char *out);
/* The block of guest function "BB:DD.F" in the guest view (malloc'd) or NULL. */
char *smx_func_block(const char *out, const char *bdf);
/* Region i of a block: true with its address and size. */
bool smx_region(const char *block, unsigned i, uint64_t *addr, uint64_t *size);
bool smx_rom(const char *block, uint64_t *addr, uint64_t *size);
/* Processes whose environment mentions path (0 expected after a run). */
unsigned smx_procs_mentioning(const char *path);
/* Entries in a directory (-1 if it cannot be read). */
int smx_dir_entries(const char *dir);

#endif
