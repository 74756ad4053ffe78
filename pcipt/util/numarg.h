/* Strict numbers from text (command-line arguments, `xl domid`'s output). */
#ifndef PCIPT_NUMARG_H
#define PCIPT_NUMARG_H

#include <stdint.h>

/* A plain decimal number in [min, max] (no sign, no spaces): 0 or -EINVAL. */
int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* A guest domain id: decimal, 1..0x7fef (below DOMID_FIRST_RESERVED). */
int parse_domid(const char *s, uint32_t *domid);

#endif
