/* The guest layout: Xen's public arch-arm.h holes, and the optional
 * `key = value` file that overrides them for hypervisors built otherwise. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/plan.h"

void guest_layout_defaults(struct guest_layout *l)
{
    l->ecam_base = PCIPT_VPCI_ECAM_BASE;
    l->ecam_size = PCIPT_VPCI_ECAM_SIZE;
    l->mem_base = PCIPT_VPCI_MEM_ADDR;
    l->mem_size = PCIPT_VPCI_MEM_SIZE;
    l->pref_base = PCIPT_VPCI_PREFETCH_MEM_ADDR;
    l->pref_size = PCIPT_VPCI_PREFETCH_MEM_SIZE;
    l->spi_base = PCIPT_INTX_SPI_BASE;
    l->spi_count = PCIPT_INTX_SPI_COUNT;
}

struct layout_key {
    const char *name;
    size_t off;
    bool u32;
};

#define KEY64(n, f) { n, offsetof(struct guest_layout, f), false }
#define KEY32(n, f) { n, offsetof(struct guest_layout, f), true }
static const struct layout_key keys[] = {
    KEY64("vpci_ecam_base", ecam_base),      KEY64("vpci_ecam_size", ecam_size),
    KEY64("vpci_mem_base", mem_base),        KEY64("vpci_mem_size", mem_size),
    KEY64("vpci_prefetch_base", pref_base),  KEY64("vpci_prefetch_size", pref_size),
    KEY32("intx_spi_base", spi_base),        KEY32("intx_spi_count", spi_count),
};

/* Decimal or 0x-hex, optional K/M/G (binary) suffix. */
static int parse_value(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno)
        return -ERANGE;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    default: break;
    }
    if (*end)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int apply_line(char *line, struct guest_layout *l, const char *path, unsigned ln,
                      char *err, size_t errlen)
{
    char *eq, *key, *val;
    uint64_t v;

    line[strcspn(line, "#")] = '\0';
    key = trim(line);
    if (!*key)
        return 0;
    eq = strchr(key, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%u: expected 'key = value'", path, ln);
        return -EINVAL;
    }
    *eq = '\0';
    key = trim(key);
    val = trim(eq + 1);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i].name))
            continue;
        if (parse_value(val, &v) || (keys[i].u32 && v > UINT32_MAX)) {
            snprintf(err, errlen, "%s:%u: %s: '%s' is not a valid number", path, ln, key, val);
            return -EINVAL;
        }
        if (keys[i].u32)
            *(uint32_t *)((char *)l + keys[i].off) = (uint32_t)v;
        else
            *(uint64_t *)((char *)l + keys[i].off) = v;
        return 0;
    }
    snprintf(err, errlen, "%s:%u: unknown key '%s' (known: vpci_ecam_base, vpci_ecam_size, "
             "vpci_mem_base, vpci_mem_size, vpci_prefetch_base, vpci_prefetch_size, "
             "intx_spi_base, intx_spi_count)", path, ln, key);
    return -EINVAL;
}

int guest_layout_load(const char *path, bool must_exist, struct guest_layout *l,
                      char *err, size_t errlen)
{
    struct guest_layout tmp;
    char line[512];
    unsigned ln = 0;
    FILE *fp;
    int rc = 0;

    if (!path)
        path = PCIPT_DEFAULT_CONFIG;
    guest_layout_defaults(&tmp);
    fp = fopen(path, "r");
    if (!fp) {
        if (errno == ENOENT && !must_exist) {
            *l = tmp;
            return 0;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    while (!rc && fgets(line, sizeof(line), fp)) {
        ln++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(err, errlen, "%s:%u: line too long", path, ln);
            rc = -EINVAL;
            break;
        }
        rc = apply_line(line, &tmp, path, ln, err, errlen);
    }
    fclose(fp);
    if (!rc)
        rc = guest_layout_validate(&tmp, path, err, errlen);
    if (!rc)
        *l = tmp;
    return rc;
}

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static int bad(char *err, size_t errlen, const char *who, const char *what)
{
    snprintf(err, errlen, "%s: %s", who, what);
    return -EINVAL;
}

int guest_layout_validate(const struct guest_layout *l, const char *who, char *err,
                          size_t errlen)
{
    const struct { const char *name; uint64_t base, size; } r[] = {
        { "vpci_ecam", l->ecam_base, l->ecam_size },
        { "vpci_mem", l->mem_base, l->mem_size },
        { "vpci_prefetch", l->pref_base, l->pref_size },
    };
    char msg[200];

    for (unsigned i = 0; i < 3; i++) {
        if (!r[i].size || r[i].base % PLAN_PAGE_SIZE || r[i].size % PLAN_PAGE_SIZE ||
            r[i].base + r[i].size < r[i].base) {
            snprintf(msg, sizeof(msg), "%s_base/%s_size must be non-empty, 4 KiB aligned and "
                     "not wrap around", r[i].name, r[i].name);
            return bad(err, errlen, who, msg);
        }
        for (unsigned j = 0; j < i; j++)
            if (overlaps(r[i].base, r[i].size, r[j].base, r[j].size)) {
                snprintf(msg, sizeof(msg), "%s and %s overlap", r[j].name, r[i].name);
                return bad(err, errlen, who, msg);
            }
    }
    /* ECAM: 1 MiB per bus (PCIe base spec §7.2.2), at most 256 buses. */
    if (l->ecam_base % (1u << 20) || l->ecam_size % (1u << 20) || l->ecam_size > (256u << 20))
        return bad(err, errlen, who, "vpci_ecam must be 1 MiB aligned and at most 256 MiB");
    /* 32-bit BARs can only hold addresses below 4 GiB. */
    if (l->mem_base + l->mem_size > 0x100000000ull)
        return bad(err, errlen, who, "vpci_mem must lie below 4 GiB (it holds 32-bit BARs)");
    /* SPIs are INTIDs 32..1019 (GICv3 architecture). */
    if (l->spi_base < 32 || l->spi_count == 0 || l->spi_count > 988 ||
        l->spi_base + l->spi_count > 1020)
        return bad(err, errlen, who, "intx_spi_base/intx_spi_count must lie within SPIs 32..1019");
    return 0;
}
