/* pcipt create: what it reads from the xl config and what it adds to xl's
 * command line (see create.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/create.h"

int create_read_config(const struct create_opts *o, struct xlcfg *cfg, char *err, size_t errlen)
{
    /* xl appends each `key=value` argument as a line after the file
     * (xl_vmcontrol.c main_create / create_domain), so they win. */
    return xlcfg_read_file(cfg, o->cfg_path, o->xl_args, o->nxl_args, err, errlen);
}

static int parse_long(const char *s, long *v)
{
    char *end;

    if (!s || !*s)
        return -EINVAL;
    errno = 0;
    *v = strtol(s, &end, 0);
    return (errno || *end) ? -EINVAL : 0;
}

static unsigned round_up_32(unsigned long n)
{
    return (unsigned)((n + 31) / 32 * 32);
}

/* irqs = [ ... ] entries are passed through 1:1 (Arm bind_pt_irq), so the
 * line is allocated and XEN_DMOP_set_irq_level refuses it. */
static int check_irqs(const struct xlcfg *cfg, uint32_t first, uint32_t last, char *err,
                      size_t errlen)
{
    int n = xlcfg_list_len(cfg, "irqs");
    long v;

    for (int i = 0; i < n; i++)
        if (!parse_long(xlcfg_list_item(cfg, "irqs", i), &v) && v >= first && v <= last) {
            snprintf(err, errlen, "irqs = [...] passes SPI %ld through to the guest, but SPIs "
                     "%u..%u are pcipt's INTx SPIs (intx_spi_base/intx_spi_count in "
                     "pcipt.conf): move one of them", v, first, last);
            return -EINVAL;
        }
    return 0;
}

int create_spi_arg(const struct xlcfg *cfg, const struct guest_layout *lay, unsigned xen_major,
                   unsigned xen_minor, char *arg, size_t arglen, char *err, size_t errlen)
{
    uint32_t first = lay->spi_base, last = lay->spi_base + lay->spi_count - 1;
    unsigned long need = last - 32 + 1;      /* nr_spis covering SPIs 32..last */
    bool has_nr_spis = xlcfg_has(cfg, "nr_spis");
    bool xl_has_nr_spis = xen_major > 4 || (xen_major == 4 && xen_minor >= 19);
    const char *nr = xlcfg_string(cfg, "nr_spis");
    long v;
    int rc;

    arg[0] = '\0';
    if ((rc = check_irqs(cfg, first, last, err, errlen)))
        return rc;
    if (has_nr_spis) {
        if (parse_long(nr, &v) || v < 0 || v > 988) {
            snprintf(err, errlen, "nr_spis = %s in the xl config is not a number of SPIs "
                     "(0..988)", nr ? nr : "[...]");
            return -EINVAL;
        }
        if (round_up_32((unsigned long)v) < need) {
            snprintf(err, errlen, "nr_spis = %ld gives the guest SPIs 32..%u, but pcipt's INTx "
                     "SPIs reach %u: set nr_spis to at least %lu", v,
                     31 + round_up_32((unsigned long)v), last, need);
            return -EINVAL;
        }
        return 0;
    }
    if (need <= 32) {
        if (!xlcfg_has(cfg, "vuart"))
            snprintf(arg, arglen, "vuart=\"sbsa_uart\"");
        return 0;
    }
    if (!xl_has_nr_spis) {
        snprintf(err, errlen, "pcipt's INTx SPIs reach %u, beyond the 32 SPIs a guest gets "
                 "without nr_spis, and xl's nr_spis needs Xen 4.19 (this is %u.%u): lower "
                 "intx_spi_base/intx_spi_count in pcipt.conf to end at 63 or below", last,
                 xen_major, xen_minor);
        return -EINVAL;
    }
    snprintf(arg, arglen, "nr_spis=%lu", need);
    return 0;
}

/* device_tree="PATH" with PATH escaped for an xl string. */
static char *device_tree_arg(const char *path)
{
    size_t n = strlen(path);
    char *s = malloc(n * 2 + sizeof("device_tree=\"\"")), *o;

    if (!s)
        return NULL;
    o = s + sprintf(s, "device_tree=\"");
    for (; *path; path++) {
        if (*path == '"' || *path == '\\')
            *o++ = '\\';
        *o++ = *path;
    }
    strcpy(o, "\"");
    return s;
}

/* A domain takes assigned functions only if created with passthrough
 * (XEN_DOMCTL_CDF_iommu, xen-arm-dma-msi.md section 2), and libxl refuses
 * passthrough="enabled" where the hypervisor runs no IOMMU ("passthrough
 * not supported on this platform"): so it is added only with an IOMMU,
 * and never over the config's own passthrough setting. */
const char *create_passthrough_arg(const struct xlcfg *cfg, int iommu)
{
    return iommu == 1 && !xlcfg_has(cfg, "passthrough") ? "passthrough=\"enabled\"" : NULL;
}

char **create_xl_argv(const struct create_opts *o, const char *dtb_path, const char *spi_arg,
                      const char *pt_arg, bool hide_pci)
{
    char **argv = calloc((size_t)o->nxl_args + 10, sizeof(*argv));
    unsigned n = 0;
    bool ok = argv != NULL;

    if (!ok)
        return NULL;
    ok = (argv[n++] = strdup("xl")) && (argv[n++] = strdup("create")) &&
         (argv[n++] = strdup("-p")) && (argv[n++] = strdup(o->cfg_path)) &&
         (argv[n++] = device_tree_arg(dtb_path));
    if (ok && spi_arg && *spi_arg)
        ok = (argv[n++] = strdup(spi_arg)) != NULL;
    if (ok && pt_arg && *pt_arg)
        ok = (argv[n++] = strdup(pt_arg)) != NULL;
    for (int i = 0; ok && i < o->nxl_args; i++)
        ok = (argv[n++] = strdup(o->xl_args[i])) != NULL;
    /* last, so it wins over the file and the user's pci=... (create.h) */
    if (ok && hide_pci)
        ok = (argv[n++] = strdup("pci=[]")) != NULL;
    if (!ok) {
        create_free_argv(argv);
        return NULL;
    }
    return argv;
}

void create_free_argv(char **argv)
{
    for (unsigned i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}
