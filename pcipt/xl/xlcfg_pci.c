/* One entry of xl's `pci = [...]` read with xl's own parser (see xlcfg.h).
 *
 * libxlutil (tools/libs/util/libxlu_pci.c in Xen 4.17) fills a
 * libxl_device_pci: BDF, vdevfn = VSLOT << 3 (VSLOT hex, 0..0x1f), and the
 * keys' values; it cannot say which keys were written (permissive=0 and no
 * permissive look the same), so the keys are listed again here from the
 * accepted text with libxlutil's own rule: the positional "BDF[@VSLOT]"
 * first (it never holds '='), then KEY=VALUE pairs, KEY up to the next '=',
 * VALUE up to the next ','. */
#include <errno.h>
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

/* libxlutil's reason (one line, without the trailing newline it may lack). */
static void reason(char *buf, size_t len, char *out, size_t outlen)
{
    size_t n = 0;

    out[0] = '\0';
    if (!buf || !len || outlen < 8)
        return;
    n = (size_t)snprintf(out, outlen, " (%.*s", (int)len, buf);
    for (size_t i = 0; i < n && out[i]; i++)
        if (out[i] == '\n')
            out[i] = ' ';
    n = strlen(out);
    while (n > 2 && out[n - 1] == ' ')
        out[--n] = '\0';
    snprintf(out + n, outlen - n, ")");
}

int xlcfg_pci_spec(const char *spec, struct xlcfg_pci *out, char *err, size_t errlen)
{
    libxl_device_pci pci;
    XLU_Config *xlu = NULL;
    char *buf = NULL, why[160];
    size_t len = 0;
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
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
                 "[DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...]%s", spec, why);
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
