/* One entry of xl's `pci = [...]` read with xl's own parser (see xlcfg.h).
 *
 * libxlutil (tools/libs/util/libxlu_pci.c in Xen 4.17) fills a
 * libxl_device_pci: BDF, vdevfn = VSLOT << 3 (VSLOT hex, 0..0x1f), and the
 * keys' values; it cannot say which keys were written (permissive=0 and no
 * permissive look the same), so the keys are listed again here from the
 * accepted text with libxlutil's own rule: the positional "BDF[@VSLOT]"
 * first (it never holds '='), then KEY=VALUE pairs, KEY up to the next '=',
 * VALUE up to the next ','. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>

#include "pcipt/xl/xlcfg.h"

static const struct {
    const char *name;
    unsigned bit;
} keys[] = {
    { "bdf", XLCFG_PCI_BDF },           { "vslot", XLCFG_PCI_VSLOT },
    { "permissive", XLCFG_PCI_PERMISSIVE }, { "msitranslate", XLCFG_PCI_MSITRANSLATE },
    { "seize", XLCFG_PCI_SEIZE },       { "power_mgmt", XLCFG_PCI_POWER_MGMT },
    { "rdm_policy", XLCFG_PCI_RDM_POLICY }, { "name", XLCFG_PCI_NAME },
};

/* The mask of keys an entry libxlutil accepted names. */
static unsigned named_keys(const char *spec)
{
    size_t first = strcspn(spec, ",");
    const char *p = spec;
    unsigned mask = 0;

    if (!memchr(spec, '=', first)) {             /* positional BDF[@VSLOT] */
        if (memchr(spec, '@', first))
            mask |= XLCFG_PCI_VSLOT;
        p = spec + first + (spec[first] == ',');
    }
    while (*p) {
        size_t k = strcspn(p, "="), v;

        for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strlen(keys[i].name) == k && !strncmp(p, keys[i].name, k))
                mask |= keys[i].bit;
        if (!p[k])
            break;
        p += k + 1;
        v = strcspn(p, ",");
        p += v + (p[v] == ',');
    }
    return mask;
}

const char *xlcfg_quote(const char *s, char *buf, size_t len)
{
    size_t n = 0, max = len > 84 ? 80 : len - 1;

    for (; *s && n < max; s++)
        buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    if (*s && len >= 4) {
        n = n > len - 4 ? len - 4 : n;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* libxlutil's reason, " (REASON)" on one line, or "". */
static void reason(const char *buf, size_t len, char *out, size_t outlen)
{
    char text[160], q[96];
    size_t n;

    out[0] = '\0';
    if (!buf || !len)
        return;
    snprintf(text, sizeof(text), "%.*s", (int)len, buf);
    n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = '\0';
    snprintf(out, outlen, " (%s)", xlcfg_quote(text, q, sizeof(q)));
}

/* Would libxlutil's parse_bdf use an unset offset on str?  It counts the
 * colons of the leading hex-and-colon run, then reads "%x:%x.%n" (one colon)
 * or "%x:%x:%x.%n" (two) and advances by n when sscanf converted every %x,
 * even when the '.' did not match and n was never written ("01:00", or
 * "01:00,seize=1": found by fuzz_xlcfg, a SEGV inside libxlutil 4.17).  The
 * same sscanf on the same text, with n preset, tells. */
static bool bdf_unset_offset(const char *str)
{
    unsigned colons = 0, a, b, c;
    int n = -1, got;

    for (const char *p = str; isxdigit((unsigned char)*p) || *p == ':'; p++)
        colons += *p == ':';
    if (colons == 1)
        got = sscanf(str, "%x:%x.%n", &a, &b, &n) == 2;
    else if (colons == 2)
        got = sscanf(str, "%x:%x:%x.%n", &a, &b, &c, &n) == 3;
    else
        return false;
    return got && n < 0;
}

/* The positional BDF and every bdf= value of spec, as libxlutil will read
 * them: may any reach that unset offset? */
static bool unsafe_for_libxlutil(const char *spec)
{
    char val[128];

    if (bdf_unset_offset(spec))
        return true;
    for (const char *p = spec; (p = strstr(p, "bdf=")); p += 4) {
        size_t n = strcspn(p + 4, ",");
        if ((p == spec || p[-1] == ',') && n < sizeof(val)) {
            memcpy(val, p + 4, n);
            val[n] = '\0';
            if (bdf_unset_offset(val))
                return true;
        } else if (p == spec || p[-1] == ',') {
            return true;        /* too long to check: refused */
        }
    }
    return false;
}

int xlcfg_pci_spec(const char *spec, struct xlcfg_pci *out, char *err, size_t errlen)
{
    libxl_device_pci pci;
    XLU_Config *xlu = NULL;
    char *buf = NULL, why[120], q[96];
    size_t len = 0;
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    if (unsafe_for_libxlutil(spec)) {
        snprintf(err, errlen, "'%s' is not xl's PCI_SPEC_STRING [DDDD:]BB:DD.F[@VSLOT]"
                 "[,KEY=VALUE...] (a BDF without its .F, which xl's parser misreads)",
                 xlcfg_quote(spec, q, sizeof(q)));
        return -EINVAL;
    }
    if (!(f = open_memstream(&buf, &len)) || !(xlu = xlu_cfg_init(f, "pci"))) {
        if (f)
            fclose(f);
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    libxl_device_pci_init(&pci);
    rc = xlu_pci_parse_spec_string(xlu, &pci, spec);
    fflush(f);
    if (rc) {
        reason(buf, len, why, sizeof(why));
        snprintf(err, errlen, "'%s' is not xl's PCI_SPEC_STRING "
                 "[DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...]%s", xlcfg_quote(spec, q, sizeof(q)),
                 why);
    } else {
        out->seg = (unsigned)pci.domain;
        out->bus = pci.bus;
        out->dev = pci.dev;
        out->fn = pci.func;
        out->all_functions = pci.vfunc_mask == LIBXL_PCI_FUNC_ALL;
        out->vslot = pci.vdevfn >> 3;
        out->seize = pci.seize;
        out->keys = named_keys(spec);
    }
    libxl_device_pci_dispose(&pci);
    xlu_cfg_destroy(xlu);
    fclose(f);
    free(buf);
    return rc ? (rc == ERROR_NOMEM ? -ENOMEM : -EINVAL) : 0;
}
