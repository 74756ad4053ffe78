/* Tiny JSON output helpers for the CLI's --json modes. */
#ifndef PCIPT_JSONW_H
#define PCIPT_JSONW_H

#include <stdio.h>

/* s as a JSON string literal (quotes, escapes); NULL prints null. */
void json_str(FILE *f, const char *s);

#endif
