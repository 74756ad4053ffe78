/* Config-space images in `lspci -xxxx` form, which `lspci -F FILE` reads
 * back (pciutils lib/dump.c): a "[SSSS:]BB:DD.F description" line, then
 * "OOO: xx xx ..." lines of 16 bytes, then a blank line. */
#ifndef PCIPT_LSPCI_FMT_H
#define PCIPT_LSPCI_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hostbridge/common/sbdf.h"

/* Write one function's image: len is 64, 256 or 4096 (a multiple of 16).
 * desc may be NULL; it is cut at the first newline.  The segment is
 * printed only when non-zero.  Returns 0, -EINVAL (bad args) or -EIO. */
int lspci_fmt_write(FILE *f, const struct sbdf *bdf, const char *desc, const uint8_t *cfg,
                    size_t len);

#endif
