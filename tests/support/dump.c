/* Parser for `lspci -vvvxxxx` dumps: see dump.h. */
#include "tests/support/dump.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const dump_files[] = {
    "broken-ecaps", "cap-dev3", "cap-ea-1", "cap-l1-pm", "cap-pcie-2",
    "cap-rebar", "cap-vendor-virtio", "tree-fsl-p2020", NULL,
};

uint8_t dump_cfg8(const struct dump_func *f, unsigned off)
{
    return off < f->cfg_size ? f->cfg[off] : 0;
}

uint16_t dump_cfg16(const struct dump_func *f, unsigned off)
{
    return (uint16_t)(dump_cfg8(f, off) | dump_cfg8(f, off + 1) << 8);
}

uint32_t dump_cfg32(const struct dump_func *f, unsigned off)
{
    return (uint32_t)dump_cfg16(f, off) | (uint32_t)dump_cfg16(f, off + 2) << 16;
}

/* "BB:DD.F rest" or "SSSS:BB:DD.F rest" at the start of a line. */
static int parse_device_line(const char *line, struct dump_func *f)
{
    char addr[16];
    size_t n = strcspn(line, " \t\n");

    if (n < 7 || n >= sizeof(addr) || line[n] != ' ')
        return -EINVAL;
    memcpy(addr, line, n);
    addr[n] = '\0';
    if (sbdf_parse(addr, &f->addr))
        return -EINVAL;
    snprintf(f->desc, sizeof(f->desc), "%s", line + n + 1);
    f->desc[strcspn(f->desc, "\n")] = '\0';
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* "xxx: hh hh ... (16 bytes)"; returns 1 if the line is a hex line, 0 if
 * not, -EINVAL if it looks like one but is malformed. */
static int parse_hex_line(const char *line, struct dump_func *f)
{
    unsigned off = 0;
    const char *p = line;
    int digits = 0;

    while (hexval((unsigned char)*p) >= 0 && digits < 4) {
        off = off * 16 + (unsigned)hexval((unsigned char)*p++);
        digits++;
    }
    if (digits < 2 || digits > 3 || p[0] != ':' || p[1] != ' ')
        return 0;   /* not "xx: " (a device line has "BB:DD.F") */
    if (off % 16 || off + 16 > PCI_CFG_SIZE)
        return -EINVAL;
    p++;
    for (unsigned i = 0; i < 16; i++) {
        int hi, lo;
        if (*p++ != ' ')
            return -EINVAL;
        hi = hexval((unsigned char)p[0]);
        lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);
        if (lo < 0)
            return -EINVAL;
        f->cfg[off + i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    if (*p && *p != '\n' && *p != '\r' && *p != ' ')
        return -EINVAL;
    if (off + 16 > f->cfg_size)
        f->cfg_size = off + 16;
    return 1;
}

static uint64_t parse_size_text(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    switch (*end) {
    case 'K': return v << 10;
    case 'M': return v << 20;
    case 'G': return v << 30;
    case 'T': return v << 40;
    case ']': return v;
    default: return 0;
    }
}

/* "\tRegion N: ... [size=X]", "\tExpansion ROM at ... [size=X]" (one tab:
 * deeper-indented regions belong to SR-IOV VFs), "\tKernel driver in use: X". */
static void parse_text_line(const char *line, struct dump_func *f)
{
    const char *sz = strstr(line, "[size=");
    int idx = -1;

    if (line[0] != '\t' || line[1] == '\t')
        return;
    if (!strncmp(line + 1, "Kernel driver in use: ", 22)) {
        snprintf(f->driver, sizeof(f->driver), "%.*s", (int)sizeof(f->driver) - 1, line + 23);
        f->driver[strcspn(f->driver, "\r\n")] = '\0';
        return;
    }
    if (!strncmp(line + 1, "Region ", 7) && line[8] >= '0' && line[8] <= '5' && line[9] == ':')
        idx = line[8] - '0';
    else if (!strncmp(line + 1, "Expansion ROM at ", 17))
        idx = PCI_ROM_SLOT;
    if (idx >= 0 && sz)
        f->text_size[idx] = parse_size_text(sz + 6);
}

static int add_func(struct dump *d, char *err, size_t errlen, const char *path, unsigned ln)
{
    struct dump_func *nf = realloc(d->f, (d->n + 1) * sizeof(*nf));

    if (!nf) {
        snprintf(err, errlen, "%s:%u: out of memory", path, ln);
        return -ENOMEM;
    }
    d->f = nf;
    memset(&d->f[d->n], 0, sizeof(*nf));
    d->n++;
    return 0;
}

static int finish_func(const struct dump_func *f, const char *path, char *err, size_t errlen)
{
    if (f->cfg_size == 0) {
        snprintf(err, errlen, "%s: device %s has no config space lines", path, f->desc);
        return -EINVAL;
    }
    return 0;
}

int dump_load(const char *path, struct dump *out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    unsigned ln = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    while (!rc && fgets(line, sizeof(line), fp)) {
        struct dump_func *cur = out->n ? &out->f[out->n - 1] : NULL;
        struct dump_func probe;
        int h;

        ln++;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (cur) {
            h = parse_hex_line(line, cur);
            if (h < 0) {
                snprintf(err, errlen, "%s:%u: malformed config-space line", path, ln);
                rc = -EINVAL;
                break;
            }
            if (h > 0)
                continue;
        }
        if (line[0] == '\t') {
            if (cur)
                parse_text_line(line, cur);
            continue;
        }
        memset(&probe, 0, sizeof(probe));
        if (parse_device_line(line, &probe)) {
            snprintf(err, errlen, "%s:%u: expected a device line \"[SSSS:]BB:DD.F description\"",
                     path, ln);
            rc = -EINVAL;
            break;
        }
        if (cur && (rc = finish_func(cur, path, err, errlen)))
            break;
        if ((rc = add_func(out, err, errlen, path, ln)))
            break;
        out->f[out->n - 1] = probe;
    }
    fclose(fp);
    if (!rc && out->n == 0) {
        snprintf(err, errlen, "%s: no devices found", path);
        rc = -EINVAL;
    }
    if (!rc)
        rc = finish_func(&out->f[out->n - 1], path, err, errlen);
    if (!rc) {
        for (unsigned i = 0; i < out->n; i++)
            out->f[i].cfg_size = out->f[i].cfg_size > 256 ? PCI_CFG_SIZE : 256;
    } else {
        dump_free(out);
    }
    return rc;
}

void dump_free(struct dump *d)
{
    free(d->f);
    d->f = NULL;
    d->n = 0;
}
