/* The real `lspci -F` as an independent parser of guest views: run it on a
 * dump and fail the test on any complaint it prints. */
#ifndef TESTS_LSPCI_UTIL_H
#define TESTS_LSPCI_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/* What lspci prints when a config space is inconsistent or cut short
 * (pciutils ls-caps.c, ls-ecaps.c, lspci.c): NULL-terminated. */
extern const char *const lspci_complaints[];

/* Run `lspci -F <file holding view> <flags>`; the test fails unless it exits
 * 0 with no complaint on stdout and nothing on stderr but the container's
 * libkmod notice.  `who` names the device in failure messages.  Returns
 * lspci's stdout (malloc'd). */
char *lspci_decode(const char *view, const char *flags, const char *who);

/* "Region N: Memory at ADDR" in lspci's text: true and *addr when present. */
bool lspci_region(const char *text, unsigned n, uint64_t *addr);
/* "Expansion ROM at ADDR". */
bool lspci_rom(const char *text, uint64_t *addr);

#endif
