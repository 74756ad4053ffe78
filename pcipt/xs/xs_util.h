/* Internal helpers shared by pcipt/xs/xs_*.c: strict value parsing and the
 * node formats.  Not for use outside the xenstore layer. */
#ifndef PCIPT_XS_UTIL_H
#define PCIPT_XS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/common/sbdf.h"
#include "pcipt/xs/xs.h"

/* libxl's PCI_BDF "%04x:%02x:%02x.%01x" (key-N, dev-N) and pciback's
 * vdev-N "%04x:%02x:%02x.%02x" ("The PV protocol uses %02x"). */
void xsu_fmt_bdf(const struct sbdf *s, char *buf);    /* >= 16 bytes */
void xsu_fmt_vdev(const struct sbdf *s, char *buf);   /* >= 16 bytes */
/* Strict parsers of exactly those shapes (lower-case hex); true if ok. */
bool xsu_parse_bdf(const char *s, struct sbdf *out);
bool xsu_parse_vdev(const char *s, struct sbdf *out);
/* Decimal without sign, spaces or leading zeros ("0" itself is fine). */
bool xsu_parse_dec(const char *s, uint64_t max, uint64_t *out);
/* "0x" followed by 1..16 lower-case hex digits. */
bool xsu_parse_hex(const char *s, uint64_t *out);

/* snprintf into a path buffer of XSW_PATH_MAX; -ENAMETOOLONG on overflow. */
int xsu_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A reader that records the first problem as "PATH: problem". */
struct xsu_reader {
    struct xs_handle *xs;
    xs_transaction_t t;
    char *err;
    size_t errlen;
    int rc;                      /* first error, 0 while all is well */
};
/* Read PATH; on failure records "PATH is missing" / the errno. */
char *xsu_get(struct xsu_reader *r, const char *path);
/* Read an optional PATH: NULL with nothing recorded when it is absent (or a
 * problem is recorded already); a read failure is recorded (xsu_fail). */
char *xsu_get_optional(struct xsu_reader *r, const char *path);
/* Read and parse a node; false (and r->rc set) on any problem. */
bool xsu_get_dec(struct xsu_reader *r, const char *path, uint64_t max, uint64_t *out);
bool xsu_get_hex(struct xsu_reader *r, const char *path, uint64_t *out);
/* Record a validation problem (-EINVAL) about path unless one is recorded. */
void xsu_bad(struct xsu_reader *r, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a non-validation failure (e.g. -EIO from xenstore). */
void xsu_fail(struct xsu_reader *r, int rc, const char *path);

#endif
