#include "hostbridge/common/sbdf.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_hex(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned v = 0;

    if (len == 0 || len > 4)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -EINVAL;
        v = v * 16 + d;
    }
    if (v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int sbdf_parse(const char *s, struct sbdf *out)
{
    const char *c1, *c2, *dot, *bus;
    unsigned seg = 0, b, d, f;

    if (!s || !*s)
        return -EINVAL;
    dot = strchr(s, '.');
    if (!dot || strchr(dot + 1, '.') || strlen(dot + 1) != 1)
        return -EINVAL;
    c2 = NULL;
    for (const char *p = s; p < dot; p++)
        if (*p == ':')
            c2 = p;
    if (!c2)
        return -EINVAL;
    c1 = NULL;
    for (const char *p = s; p < c2; p++)
        if (*p == ':')
            c1 = p;
    if (c1) {
        if (parse_hex(s, (size_t)(c1 - s), 0xffff, &seg))
            return -EINVAL;
        bus = c1 + 1;
    } else {
        bus = s;
    }
    if (parse_hex(bus, (size_t)(c2 - bus), 0xff, &b) ||
        parse_hex(c2 + 1, (size_t)(dot - c2 - 1), 0x1f, &d) ||
        parse_hex(dot + 1, 1, 7, &f))
        return -EINVAL;
    out->seg = (uint16_t)seg;
    out->bus = (uint8_t)b;
    out->dev = (uint8_t)d;
    out->fn = (uint8_t)f;
    return 0;
}

/* "SLOT[.FN]": SLOT decimal or 0x-hex 1..31, FN one digit 0..7.  Decimal
 * means decimal: "010" is 10, not octal 8 (fuzz_xlcfg P4). */
static int parse_vslot(const char *s, int *slot, int *fn)
{
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    char *end;
    long v;

    if (!isxdigit((unsigned char)s[hex ? 2 : 0]))
        return -ERANGE;
    errno = 0;
    v = strtol(s + (hex ? 2 : 0), &end, hex ? 16 : 10);
    if (errno || end == s || v < 1 || v > 31)
        return -ERANGE;
    if (*end == '.') {
        if (end[1] < '0' || end[1] > '7' || end[2])
            return -ERANGE;
        *fn = end[1] - '0';
    } else if (*end) {
        return -ERANGE;
    }
    *slot = (int)v;
    return 0;
}

int sbdf_parse_vslot(const char *s, struct sbdf *out, int *slot, int *fn)
{
    char buf[32];
    const char *at = strchr(s, '@');

    *slot = -1;
    *fn = 0;
    if (!at)
        return sbdf_parse(s, out);
    if ((size_t)(at - s) >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, (size_t)(at - s));
    buf[at - s] = '\0';
    if (sbdf_parse(buf, out))
        return -EINVAL;
    if (parse_vslot(at + 1, slot, fn)) {
        *slot = -1;
        *fn = 0;
        return -ERANGE;
    }
    return 0;
}

int sbdf_parse_slot(const char *s, struct sbdf *out, int *slot)
{
    const char *at = strchr(s, '@');
    int fn;
    int rc = sbdf_parse_vslot(s, out, slot, &fn);

    if (!rc && at && strchr(at, '.')) {
        *slot = -1;
        return -ERANGE;             /* a function part: callers of this one take none */
    }
    return rc;
}

char *sbdf_format(const struct sbdf *s, char *buf)
{
    snprintf(buf, SBDF_STR_LEN, SBDF_FMT, s->seg, s->bus, s->dev & 0x1f, s->fn & 7);
    return buf;
}

uint32_t sbdf_encode(const struct sbdf *s)
{
    return ((uint32_t)s->seg << 16) | ((uint32_t)s->bus << 8) |
           ((uint32_t)(s->dev & 0x1f) << 3) | (s->fn & 7u);
}

struct sbdf sbdf_decode(uint32_t v)
{
    struct sbdf s = { (uint16_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)((v >> 3) & 0x1f),
                      (uint8_t)(v & 7) };
    return s;
}

bool sbdf_equal(const struct sbdf *a, const struct sbdf *b)
{
    return sbdf_encode(a) == sbdf_encode(b);
}
