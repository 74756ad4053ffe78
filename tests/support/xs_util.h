/* Helpers for the xenstore tests (tests/unit/xs/). */
#ifndef TESTS_XS_UTIL_H
#define TESTS_XS_UTIL_H

#include <stdbool.h>
#include <xenstore.h>

#include "pcipt/assign/assign.h"

#define XST_DOMID 5
#define XST_BE "/local/domain/0/backend/pci/5/0"

/* Sample assignments:
 *   0: 0000:03:00.0 -> 0000:00:01.0, BAR0 64-bit pref 1 MiB (high hole),
 *      BAR2 32-bit 16 KiB, BAR3 sub-page 256 B, ROM 64 KiB, SPI 40, INTA
 *   1: 0001:0a:1f.7 -> 0000:00:02.0, BAR0 I/O 32 B, BAR1 32-bit 4 KiB,
 *      no INTx, forced
 *   2: 0000:04:00.0 -> 0000:00:03.0, BAR0 32-bit 64 KiB, SPI 41, INTB */
void xst_sample(int which, struct dev_assign *d);
bool xst_dev_equal(const struct dev_assign *a, const struct dev_assign *b);

/* dom0 and the guest as a running system has them: /local/domain/0/name
 * and /local/domain/5/name ("guest5"). */
void xst_seed(void);
/* A fresh store for one test case: injection off (xsw_inject_fail), the
 * old /local gone, then xst_seed(); returns an open handle (never NULL). */
struct xs_handle *xst_fresh(void);
/* `xenstore-ls -fp /` (values and permissions of every node); malloc'd. */
char *xst_dump(void);
/* `xenstore-read PATH`, trailing newline removed; malloc'd or NULL. */
char *xst_cli_read(const char *path);
/* All nodes under path without children (absolute paths); NULL-terminated
 * malloc'd array, free with xst_free_list. */
char **xst_leaves(struct xs_handle *xs, const char *path);
void xst_free_list(char **list);

#endif
