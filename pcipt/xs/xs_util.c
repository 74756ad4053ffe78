/* Strict parsing/formatting of xenstore values and a validating reader. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_util.h"

void xsu_fmt_bdf(const struct sbdf *s, char *buf)
{
    snprintf(buf, 16, "%04x:%02x:%02x.%01x", s->seg, s->bus, s->dev, s->fn);
}

void xsu_fmt_vdev(const struct sbdf *s, char *buf)
{
    snprintf(buf, 16, "%04x:%02x:%02x.%02x", s->seg, s->bus, s->dev, s->fn);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly n lower-case hex digits at s. */
static bool hex_field(const char *s, int n, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0)
            return false;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return true;
}

/* "ssss:bb:dd.f" (fn_digits 1) or "ssss:bb:dd.ff" (fn_digits 2). */
static bool parse_shape(const char *s, int fn_digits, struct sbdf *out)
{
    unsigned seg, bus, dev, fn;

    if (strlen(s) != (size_t)(11 + fn_digits) || s[4] != ':' || s[7] != ':' || s[10] != '.')
        return false;
    if (!hex_field(s, 4, &seg) || !hex_field(s + 5, 2, &bus) || !hex_field(s + 8, 2, &dev) ||
        !hex_field(s + 11, fn_digits, &fn))
        return false;
    if (dev > 31 || fn > 7)            /* PCI: 32 devices of 8 functions */
        return false;
    *out = (struct sbdf){ .seg = (uint16_t)seg, .bus = (uint8_t)bus, .dev = (uint8_t)dev,
                          .fn = (uint8_t)fn };
    return true;
}

bool xsu_parse_bdf(const char *s, struct sbdf *out)
{
    return parse_shape(s, 1, out);
}

bool xsu_parse_vdev(const char *s, struct sbdf *out)
{
    return parse_shape(s, 2, out);
}

bool xsu_parse_dec(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s || (s[0] == '0' && s[1]))
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');

        if (v > max / 10 || (v == max / 10 && d > max % 10))
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool xsu_parse_hex(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n;

    if (strncmp(s, "0x", 2))
        return false;
    s += 2;
    n = strlen(s);
    if (n == 0 || n > 16)
        return false;
    for (; *s; s++) {
        int d = hexval(*s);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

int xsu_path(char *buf, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, XSW_PATH_MAX, fmt, ap);
    va_end(ap);
    return n < 0 || n >= XSW_PATH_MAX ? -ENAMETOOLONG : 0;
}

static void record(struct xsu_reader *r, int rc, const char *path, const char *fmt, va_list ap)
{
    int n;

    if (r->rc)
        return;
    r->rc = rc;
    if (!r->err || !r->errlen)
        return;
    n = snprintf(r->err, r->errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < r->errlen)
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    /* values quoted from the store may hold anything: keep it one line */
    for (char *c = r->err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            *c = '?';
}

void xsu_bad(struct xsu_reader *r, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record(r, -EINVAL, path, fmt, ap);
    va_end(ap);
}

static void record_msg(struct xsu_reader *r, int rc, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record(r, rc, path, fmt, ap);
    va_end(ap);
}

void xsu_fail(struct xsu_reader *r, int rc, const char *path)
{
    record_msg(r, rc, path, "cannot read it from xenstore (%s)", strerror(-rc));
}

char *xsu_get(struct xsu_reader *r, const char *path)
{
    char *v;

    if (r->rc)
        return NULL;
    v = xsw_read(r->xs, r->t, path);
    if (v)
        return v;
    if (errno == ENOENT)
        xsu_bad(r, path, "node is missing");
    else if (errno == EILSEQ)
        xsu_bad(r, path, "value contains a NUL byte");
    else
        xsu_fail(r, errno ? -errno : -EIO, path);
    return NULL;
}

char *xsu_get_optional(struct xsu_reader *r, const char *path)
{
    char *v;

    if (r->rc)
        return NULL;
    if (!(v = xsw_read(r->xs, r->t, path)) && errno != ENOENT)
        xsu_fail(r, errno ? -errno : -EIO, path);
    return v;
}

bool xsu_get_dec(struct xsu_reader *r, const char *path, uint64_t max, uint64_t *out)
{
    char *v = xsu_get(r, path);
    bool ok;

    if (!v)
        return false;
    ok = xsu_parse_dec(v, max, out);
    if (!ok)
        xsu_bad(r, path, "'%.40s' is not a decimal number in 0..%llu", v,
                (unsigned long long)max);
    free(v);
    return ok;
}

bool xsu_get_hex(struct xsu_reader *r, const char *path, uint64_t *out)
{
    char *v = xsu_get(r, path);
    bool ok;

    if (!v)
        return false;
    ok = xsu_parse_hex(v, out);
    if (!ok)
        xsu_bad(r, path, "'%.40s' is not a 64-bit hex number (0x...)", v);
    free(v);
    return ok;
}
